//! Graph images (`format=png|svg|pdf`, `graphType=line|pie`): graphite-web's `glyph.py`
//! drawn on a [`canvas::Canvas`] and written by one of the backends.

pub mod canvas;
pub mod line;
pub mod pdf;
pub mod pie;
pub mod raster;
pub mod render;
pub mod svg;
pub mod text;
