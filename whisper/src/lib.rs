//! Whisper: Graphite's fixed-size round-robin database files, read and written byte for byte as
//! whisper 1.1.10 does, so files move freely between this crate and the Python reference.
//!
//! # Overview
//! - [`format`]: the on-disk layout ([`Header`], [`ArchiveInfo`], [`AggregationMethod`]) and
//!   its validation; a file that fails it is never written to.
//! - [`retention`]: retention definitions (`10s:6h`, `60:1440`) and the archive-list rules.
//! - [`Whisper`]: the operations (create, info, update, update_many, fetch, set metadata, merge,
//!   diff) with whisper's module flags as [`Options`] (locking, header cache, fsync, fadvise).
//!   The free functions below use the default options.
//! - [`aggregate()`]: how a window of points becomes one lower-precision point.
//! - [`tools`]: `fill` and `resize`, the logic behind `whisper-fill` and `whisper-resize`.
//! - [`pyfmt`]: Python's float formatting, for tool output that scripts parse.
//!
//! The crate is synchronous and does blocking file I/O (positioned reads and writes); async
//! callers run it on a blocking thread. Time is passed in (`now`) wherever whisper reads the
//! clock, so behaviour is reproducible.

mod aggregate;
/// Shared code of the `whisper-*` command-line tools (clock, errors, Python-style output).
pub mod cli;
mod database;
pub mod error;
pub mod format;
pub mod pyfmt;
mod pyset;
pub mod retention;
mod sys;
pub mod tools;

use std::path::Path;

pub use aggregate::aggregate;
pub use database::{now_epoch_secs, ArchiveDiff, CreateOptions, Fetched, Options, Whisper};
pub use error::{Error, Result};
pub use format::{AggregationMethod, ArchiveInfo, Header};
pub use pyset::set_iteration_order;
pub use retention::{parse_retention_def, validate_archive_list, ArchiveSpec};

/// [`Whisper::create`] with default options.
pub fn create(path: &Path, archives: &[ArchiveSpec], opts: &CreateOptions) -> Result<()> {
    Whisper::default().create(path, archives, opts)
}

/// [`Whisper::info`] with default options.
pub fn info(path: &Path) -> Result<Header> {
    Whisper::default().info(path)
}

/// [`Whisper::update`] with default options.
pub fn update(path: &Path, value: f64, timestamp: Option<i64>, now: Option<i64>) -> Result<()> {
    Whisper::default().update(path, value, timestamp, now)
}

/// [`Whisper::update_many`] with default options.
pub fn update_many(path: &Path, points: &[(i64, f64)], now: Option<i64>) -> Result<()> {
    Whisper::default().update_many(path, points, now)
}

/// [`Whisper::fetch`] with default options and automatic archive selection.
pub fn fetch(
    path: &Path,
    from: i64,
    until: Option<i64>,
    now: Option<i64>,
) -> Result<Option<Fetched>> {
    Whisper::default().fetch(path, from, until, now, None)
}
