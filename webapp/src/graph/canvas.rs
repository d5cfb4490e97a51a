//! The drawing surface the graph code draws on: the subset of cairo's context API that
//! graphite-web's `glyph.py` uses, with cairo's semantics, so the layout code can follow the
//! reference step by step while the backends (PNG through our scan converter on tiny-skia's
//! pixmap, SVG, PDF) stay apart.
//!
//! Coordinates are user-space pixels (y down, origin top-left); the current transformation
//! matrix starts as the identity and changes only through [`Canvas::rotate`],
//! [`Canvas::translate`] and [`Canvas::set_matrix`]. As in cairo, path coordinates are
//! transformed when they are added, and `stroke`/`fill`/`clip` consume the current path.

pub mod path;
pub mod recorder;

/// A 2-D affine matrix `(xx, yx, xy, yy, x0, y0)` as cairo's `Matrix`: a point `(x, y)` maps
/// to `(xx*x + xy*y + x0, yx*x + yy*y + y0)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matrix {
    /// xx.
    pub xx: f64,
    /// yx.
    pub yx: f64,
    /// xy.
    pub xy: f64,
    /// yy.
    pub yy: f64,
    /// x0.
    pub x0: f64,
    /// y0.
    pub y0: f64,
}

impl Matrix {
    /// The identity.
    pub const IDENTITY: Matrix = Matrix {
        xx: 1.0,
        yx: 0.0,
        xy: 0.0,
        yy: 1.0,
        x0: 0.0,
        y0: 0.0,
    };
}

/// cairo's `LINE_CAP_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineCap {
    /// `butt` (cairo's default).
    #[default]
    Butt,
    /// `round`.
    Round,
    /// `square`.
    Square,
}

/// cairo's `LINE_JOIN_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineJoin {
    /// `miter` (cairo's default, miter limit 10).
    #[default]
    Miter,
    /// `round`.
    Round,
    /// `bevel`.
    Bevel,
}

/// cairo's `text_extents` of a string in the current font.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TextExtents {
    /// Left of the ink box relative to the origin.
    pub x_bearing: f64,
    /// Top of the ink box relative to the baseline (negative above it).
    pub y_bearing: f64,
    /// Ink width.
    pub width: f64,
    /// Ink height.
    pub height: f64,
    /// Advance to the next origin (what glyph.py calls the text's width).
    pub x_advance: f64,
    /// Vertical advance.
    pub y_advance: f64,
}

/// cairo's `font_extents` of the current font.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FontExtents {
    /// Ascent above the baseline.
    pub ascent: f64,
    /// Descent below the baseline (positive).
    pub descent: f64,
    /// Recommended line spacing.
    pub height: f64,
    /// Largest horizontal advance.
    pub max_x_advance: f64,
    /// Largest vertical advance.
    pub max_y_advance: f64,
}

/// A path saved by [`Canvas::copy_path`], in device coordinates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SavedPath {
    /// The path's segments.
    pub segments: Vec<PathSegment>,
}

/// One segment of a path, in device coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PathSegment {
    /// Starts a sub-path.
    MoveTo(f64, f64),
    /// A straight line.
    LineTo(f64, f64),
    /// A cubic Bézier curve (arcs and glyph outlines become these).
    CurveTo(f64, f64, f64, f64, f64, f64),
    /// Closes the sub-path.
    Close,
}

/// The drawing operations graph code uses, with cairo's semantics.
pub trait Canvas {
    /// The surface size in user units (pixels; points for PDF).
    fn size(&self) -> (f64, f64);

    /// Sets the source colour (components 0..=1).
    fn set_source_rgba(&mut self, r: f64, g: f64, b: f64, a: f64);
    /// Sets the stroke width (user units).
    fn set_line_width(&mut self, width: f64);
    /// The stroke width.
    fn line_width(&self) -> f64;
    /// Sets the dash pattern (empty: solid) and its offset.
    fn set_dash(&mut self, dashes: &[f64], offset: f64);
    /// Sets the line cap.
    fn set_line_cap(&mut self, cap: LineCap);
    /// Sets the line join.
    fn set_line_join(&mut self, join: LineJoin);

    /// Starts a new sub-path at `(x, y)`.
    fn move_to(&mut self, x: f64, y: f64);
    /// Adds a line to `(x, y)` (a `move_to` when there is no current point).
    fn line_to(&mut self, x: f64, y: f64);
    /// Moves the current point by `(dx, dy)` in user space.
    fn rel_move_to(&mut self, dx: f64, dy: f64);
    /// Adds a closed rectangle sub-path.
    fn rectangle(&mut self, x: f64, y: f64, width: f64, height: f64);
    /// Adds a circular arc (angles in radians, increasing clockwise on screen), connected to
    /// the current point by a line as cairo does.
    fn arc(&mut self, xc: f64, yc: f64, radius: f64, angle1: f64, angle2: f64);
    /// Closes the current sub-path.
    fn close_path(&mut self);
    /// Clears the current path.
    fn new_path(&mut self);
    /// The current point in user space, if any.
    fn current_point(&self) -> Option<(f64, f64)>;
    /// A copy of the current path.
    fn copy_path(&self) -> SavedPath;
    /// Appends a saved path to the current one.
    fn append_path(&mut self, path: &SavedPath);

    /// Strokes the current path with the current colour, width, dash, cap and join; clears it.
    fn stroke(&mut self);
    /// Fills the current path (non-zero winding) with the current colour; clears it.
    fn fill(&mut self);
    /// Fills the current path and keeps it.
    fn fill_preserve(&mut self);
    /// Intersects the clip with the current path; clears it.
    fn clip(&mut self);
    /// Removes the clip.
    fn reset_clip(&mut self);
    /// Pushes the graphics state (colour, line style, matrix, clip, font).
    fn save(&mut self);
    /// Pops the graphics state.
    fn restore(&mut self);

    /// Rotates the user space by `angle` radians.
    fn rotate(&mut self, angle: f64);
    /// Translates the user space.
    fn translate(&mut self, dx: f64, dy: f64);
    /// The current matrix.
    fn matrix(&self) -> Matrix;
    /// Sets the current matrix.
    fn set_matrix(&mut self, matrix: Matrix);

    /// Selects a font by family name (`Sans`, `DejaVu Sans`, ...), slant and weight, as
    /// cairo's toy `select_font_face`; an unknown family falls back to the embedded font.
    fn select_font_face(&mut self, family: &str, italic: bool, bold: bool);
    /// Sets the font size (user units, cairo's em size).
    fn set_font_size(&mut self, size: f64);
    /// The extents of the current font.
    fn font_extents(&self) -> FontExtents;
    /// The extents of `text` in the current font.
    fn text_extents(&self, text: &str) -> TextExtents;
    /// Adds the outlines of `text`, starting at the current point, to the current path and
    /// moves the current point to the end of the text.
    fn text_path(&mut self, text: &str);

    /// Starts a group of drawing that the SVG output wraps in `<g class="{class}">` (the
    /// reference's `encodeHeader`: title, legend, each series, ...), ending the previous one.
    /// Raster and PDF backends ignore it.
    fn begin_group(&mut self, class: &str);
}
