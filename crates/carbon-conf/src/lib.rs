//! The configuration files of the carbon daemons, read as carbon 1.1.10 reads them.
//!
//! - [`ini::Ini`] is an INI reader with Python `ConfigParser` semantics (case-insensitive
//!   keys, `[DEFAULT]`, `%(key)s` interpolation, continuation lines, strict duplicates).
//! - [`Settings`] types one section's values the way `Settings.readFrom` does (by the type
//!   of carbon's code default: list, bool, else int, float or string) over those defaults.
//! - [`read_config`] reads carbon.conf for a program and instance (`[cache]` then
//!   `[cache:b]`) and derives the paths from [`PathDefaults`] (the daemon passes
//!   `GRAPHITE_ROOT` & co. in; this crate reads no environment), and [`CacheSettings`] is
//!   carbon-cache's typed view of the result, with unknown keys as warnings.
//! - [`StorageSchemas`] and [`AggregationSchemas`] read `storage-schemas.conf` and
//!   `storage-aggregation.conf` (ordered sections, first match wins, built-in fallbacks),
//!   with carbon's own retention syntax ([`parse_retention_def`]) and Python-syntax
//!   patterns ([`PyRegex`]).
//! - [`RegexList`] reads whitelist/blacklist files; [`FileWatch`] notices a newer mtime.
//! - [`RewriteRules`] reads rewrite-rules.conf (carbon-aggregator's; carbon-cache has none).
//!
//! Where we differ from the reference (it crashes or would write unusable files), see the
//! "carbon configuration" section of `docs/compatibility.md`.

#![forbid(unsafe_code)]

mod carbon_conf;
pub mod error;
pub mod ini;
mod lists;
mod pattern;
mod reload;
mod rewrite;
mod schemas;
mod settings;

pub use carbon_conf::{
    read_config, CacheSettings, CacheWriteStrategy, LoadOptions, LoadedConfig, PathDefaults,
};
pub use error::{Error, Result};
pub use lists::RegexList;
pub use pattern::PyRegex;
pub use reload::FileWatch;
pub use rewrite::{RewriteRule, RewriteRules};
pub use schemas::{
    parse_retention_def, AggregationSchema, AggregationSchemas, StorageSchema, StorageSchemas,
};
pub use settings::{parse_bool, py_float, py_int, Settings, Value, EXTRA_KNOWN_KEYS};
