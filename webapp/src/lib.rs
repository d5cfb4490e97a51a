//! graphite-web: the render and metrics APIs of Graphite 1.1.10 over whisper files and
//! carbon-cache's unflushed points.
//!
//! # Layout
//! - [`settings`]: the settings file (graphite-web's setting names).
//! - [`attime`]: `from`/`until`/`now` parsing (graphite's `parseATTime`).
//! - [`grammar`]: the target expression grammar, parsed into an [`grammar::Expr`] tree.
//! - [`finder`]: path expressions (globs per node) matched against the whisper tree, kept in
//!   an index validated by directory mtimes.
//! - [`carbonlink`]: the cache-query client that reads carbon-cache's unflushed points.
//! - [`reader`]: whisper fetch merged with the cache overlay.
//! - [`series`]: [`series::TimeSeries`], consolidation and the request context.
//! - [`store`]: fetching path expressions (finder, whisper, cache overlay) for a render.
//! - [`tags`]: the tag database (graphite-web's tables in `graphite.db`, indexed in memory)
//!   behind `seriesByTag` and the `/tags` API.
//! - [`evaluator`] and [`functions`]: evaluation of a parsed target and the render functions.
//! - [`output`]: the data formats of `/render` (json, csv, raw, pickle, msgpack, ...).
//! - [`graph`]: the graph images (png, svg, pdf; line and pie graphs).
//! - [`find_output`]: the formats of `/metrics/find`.
//! - [`pyjson`]: Python's `json.dumps` output, byte for byte.
//! - [`params`]: merged GET/POST parameters and the views' [`params::Reply`].
//! - [`app`]: the axum router and handlers.
#![forbid(unsafe_code)]

pub mod app;
pub mod attime;
pub mod carbonlink;
pub mod evaluator;
pub mod find_output;
pub mod finder;
pub mod functions;
pub mod grammar;
pub mod graph;
pub mod output;
pub mod params;
pub mod pyjson;
pub mod reader;
pub mod series;
pub mod settings;
pub mod store;
pub mod tags;
