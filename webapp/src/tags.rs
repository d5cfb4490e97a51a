//! The tag database (graphite-web's `TAGDB`): which tagged series exist and their tags, for
//! `seriesByTag`, the `/tags` API and Grafana's tag autocomplete.
//!
//! # Overview
//! - [`TagDb`]: the database: an in-memory [`index::TagIndex`] answering queries, kept in
//!   step with graphite-web's own SQLite tables (`STORAGE_DIR/graphite.db`, the reference's
//!   default `LocalDatabaseTagDB`), which it loads at start and writes on every
//!   registration. A user can switch between the reference and this server in place.
//! - [`query`]: tag expressions (`tag=value`, `!=`, `=~`, `!=~`) and their matching rules.
//! - [`views`]: the `/tags/...` endpoints.
//!
//! Registrations come from carbon-cache (`/tags/tagMultiSeries`, batched) and from users.
//! Series whose whisper files use the readable `_DOT_` spelling under `_tagged/` are added at
//! start too; hashed file names (carbon's default) cannot be turned back into names, so those
//! series come from the database and carbon's registrations.

pub mod index;
pub mod query;
mod sqlite;
pub mod views;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use graphite_tags::TaggedSeries;

use index::{TagIndex, TagInfo, ValueInfo};
use query::parse_query;
use sqlite::{NewSeries, SqliteStore};

/// Why a tag database operation failed. `Display` is the message the API returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// An expression does not have the form `tag op spec`.
    #[error("Invalid tagspec {0}")]
    InvalidTagSpec(String),
    /// Every expression matches series without the tag.
    #[error("At least one tagspec must not match the empty string")]
    AllMatchEmpty,
    /// A regular expression does not compile.
    #[error("{message}")]
    InvalidRegex {
        /// The (anchored) pattern.
        pattern: String,
        /// The compiler's complaint, naming the pattern.
        message: String,
    },
    /// A series name does not parse as a tagged series (the reference's message).
    #[error("{0}")]
    InvalidSeries(String),
    /// A `limit` that is not an integer (Python's `int()` message).
    #[error("invalid literal for int() with base 10: {0}")]
    InvalidLimit(String),
    /// Tagging with `TAGDB` set to nothing (the reference's `DummyTagDB`).
    #[error("Tagging not implemented with DummyTagDB")]
    NotImplemented,
    /// The database file failed.
    #[error("tag database: {0}")]
    Database(String),
}

impl TagError {
    /// The HTTP status the API answers with: 400 for bad input, 500 for the server's faults.
    pub fn status(&self) -> u16 {
        match self {
            TagError::NotImplemented | TagError::Database(_) => 500,
            _ => 400,
        }
    }
}

/// Which tag database the settings ask for (`TAGDB`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagDbConfig {
    /// `graphite.tags.localdatabase.LocalDatabaseTagDB` (the default): this SQLite file.
    Local(PathBuf),
    /// `TAGDB = ''`: nothing is tagged and tagging fails (`DummyTagDB`).
    Disabled,
}

/// The tag database.
#[derive(Debug)]
pub struct TagDb {
    index: RwLock<TagIndex>,
    /// `None` for a disabled database.
    store: Option<Mutex<SqliteStore>>,
    /// `TAGDB_AUTOCOMPLETE_LIMIT`.
    autocomplete_limit: i64,
    /// Why the database could not be opened: every operation fails with it (a 500), as the
    /// reference's do when its database is unusable; renders without tags are unaffected.
    unavailable: Option<String>,
}

/// A `limit` parameter: absent, or Python's `int()` of the text.
fn parse_limit(raw: Option<&str>) -> Result<Option<i64>, TagError> {
    raw.map(|s| {
        crate::find_output::python_int(s)
            .ok_or_else(|| TagError::InvalidLimit(crate::find_output::py_repr(s)))
    })
    .transpose()
}

/// SQL's `LIMIT n` as the reference applies an int limit (`if limit:`): none for zero
/// (falsy); SQLite treats a negative limit as none.
fn sql_limit(limit: Option<i64>) -> Option<usize> {
    limit.filter(|&n| n > 0).map(|n| n as usize)
}

/// SQL's `LIMIT n` for the text of a `limit` parameter (`/tags`, `/tags/<tag>`): any
/// non-empty text is truthy, so `0` gives nothing; a negative limit is none.
fn sql_limit_from_text(raw: Option<&str>) -> Result<Option<usize>, TagError> {
    Ok(parse_limit(raw.filter(|l| !l.is_empty()))?
        .filter(|&n| n >= 0)
        .map(|n| n as usize))
}

/// The reference's anchoring of a filter regex: `^(filter)` unless it starts with `^`.
fn anchored_filter(filter: Option<&str>) -> Result<Option<crate::functions::PyRegex>, TagError> {
    match filter {
        Some(f) if !f.is_empty() => {
            let pattern = if f.starts_with('^') {
                f.to_owned()
            } else {
                format!("^({f})")
            };
            query::compile(&pattern).map(Some)
        }
        _ => Ok(None),
    }
}

/// Python's `seq[:n]` for a raw `limit` the store applies after merging (`if limit:`).
fn python_slice<T>(mut items: Vec<T>, raw: Option<&str>, limit: Option<i64>) -> Vec<T> {
    if raw.is_some_and(|r| !r.is_empty()) {
        if let Some(n) = limit {
            let len = items.len() as i64;
            let end = if n < 0 { (len + n).max(0) } else { n.min(len) };
            items.truncate(end as usize);
        }
    }
    items
}

/// The reference's bounded sorted insertion (`bisect.insort_left` capped at `limit`): the
/// `limit` smallest distinct items, none when `limit` is not positive.
fn smallest(mut items: Vec<String>, limit: i64) -> Vec<String> {
    if limit <= 0 {
        return Vec::new();
    }
    items.sort_unstable();
    items.dedup();
    items.truncate(limit as usize);
    items
}

/// The tags of a raw name in the order the reference's parser yields them: tags in the order
/// written (a repeated tag keeps its first place), then `name` unless a tag named it.
fn tags_in_written_order(raw: &str, parsed: &TaggedSeries) -> Vec<(String, String)> {
    let mut order: Vec<String> = Vec::new();
    let mut push = |tag: &str| {
        if parsed.tags().contains_key(tag) && !order.iter().any(|t| t == tag) {
            order.push(tag.to_owned());
        }
    };
    if raw.ends_with("\"}") && raw.contains('{') {
        // OpenMetrics: each tag starts after `{` or `,` and ends at `="`.
        let body = &raw[raw.find('{').map_or(0, |i| i + 1)..];
        for (i, _) in body.match_indices("=\"") {
            let start = body[..i].rfind([',', '{']).map_or(0, |j| j + 1);
            push(&body[start..i]);
        }
    } else {
        for segment in raw.split(';').skip(1) {
            if let Some((tag, _)) = segment.split_once('=') {
                push(tag);
            }
        }
    }
    push("name");
    let mut tags: Vec<(String, String)> = order
        .iter()
        .map(|t| {
            let value = parsed.tags()[t.as_str()].clone();
            (t.clone(), value)
        })
        .collect();
    // Anything the scan missed keeps sorted order at the end.
    for (t, v) in parsed.tags() {
        if !tags.iter().any(|(x, _)| x == t) {
            tags.push((t.clone(), v.clone()));
        }
    }
    tags
}

impl TagDb {
    /// Opens the database the settings name; a local one is loaded into memory.
    pub fn open(config: &TagDbConfig, autocomplete_limit: i64) -> Result<Self, TagError> {
        match config {
            TagDbConfig::Disabled => Ok(Self {
                index: RwLock::new(TagIndex::new()),
                store: None,
                autocomplete_limit,
                unavailable: None,
            }),
            TagDbConfig::Local(path) => {
                Self::with_store(SqliteStore::open(path)?, autocomplete_limit)
            }
        }
    }

    /// A database in memory only (tests).
    pub fn in_memory(autocomplete_limit: i64) -> Result<Self, TagError> {
        Self::with_store(SqliteStore::in_memory()?, autocomplete_limit)
    }

    fn with_store(store: SqliteStore, autocomplete_limit: i64) -> Result<Self, TagError> {
        let mut index = TagIndex::new();
        let started = std::time::Instant::now();
        let loaded = store.load(&mut index)?;
        tracing::info!(
            series = loaded,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "tag database loaded"
        );
        Ok(Self {
            index: RwLock::new(index),
            store: Some(Mutex::new(store)),
            autocomplete_limit,
            unavailable: None,
        })
    }

    /// A database that could not be opened: every operation fails with `reason`.
    pub fn unavailable(reason: String) -> Self {
        Self {
            index: RwLock::new(TagIndex::new()),
            store: None,
            autocomplete_limit: 0,
            unavailable: Some(reason),
        }
    }

    fn check(&self) -> Result<(), TagError> {
        match &self.unavailable {
            Some(reason) => Err(TagError::Database(reason.clone())),
            None => Ok(()),
        }
    }

    /// How many series are tagged.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no series are tagged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, TagIndex> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, TagIndex> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The canonical paths of the series matching every expression, sorted.
    pub fn find_series<S: AsRef<str>>(&self, exprs: &[S]) -> Result<Vec<String>, TagError> {
        self.check()?;
        let parsed = parse_query(exprs)?;
        Ok(self.read().find(&parsed))
    }

    /// Registers series by name (either form); returns their canonical paths. Every valid
    /// name is registered even when another is not; the first invalid one is the error.
    pub fn tag_multi_series<S: AsRef<str>>(&self, names: &[S]) -> Result<Vec<String>, TagError> {
        self.check()?;
        let Some(store) = &self.store else {
            return Err(TagError::NotImplemented);
        };
        let mut paths = Vec::with_capacity(names.len());
        let mut new: Vec<NewSeries> = Vec::new();
        let mut first_error = None;
        {
            let index = self.read();
            for raw in names {
                let raw = raw.as_ref();
                match TaggedSeries::parse(raw) {
                    Ok(parsed) => {
                        let path = parsed.path();
                        if !index.contains(&path) && !new.iter().any(|(p, _)| p == &path) {
                            new.push((path.clone(), tags_in_written_order(raw, &parsed)));
                        }
                        paths.push(path);
                    }
                    Err(e) => {
                        first_error
                            .get_or_insert(TagError::InvalidSeries(e.graphite_web_message()));
                    }
                }
            }
        }
        if !new.is_empty() {
            let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
            let registered = store.insert(&new)?;
            let mut index = self.write();
            for (tag, id) in &registered.tags {
                index.add_tag(tag, *id);
            }
            for (value, id) in &registered.values {
                index.add_value(value, *id);
            }
            for (path, tags) in &new {
                index.insert(path, tags.iter().map(|(t, v)| (t.as_str(), v.as_str())));
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(paths),
        }
    }

    /// Removes series by name; unknown ones are ignored.
    pub fn del_multi_series<S: AsRef<str>>(&self, names: &[S]) -> Result<(), TagError> {
        self.check()?;
        let mut paths = Vec::with_capacity(names.len());
        for raw in names {
            let parsed = TaggedSeries::parse(raw.as_ref())
                .map_err(|e| TagError::InvalidSeries(e.graphite_web_message()))?;
            paths.push(parsed.path());
        }
        let Some(store) = &self.store else {
            return Ok(());
        };
        let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
        store.delete(&paths)?;
        let mut index = self.write();
        for path in &paths {
            index.remove(path);
        }
        Ok(())
    }

    /// `/tags`: tag names matching the anchored `filter` regex, sorted, with ids.
    pub fn list_tags(
        &self,
        filter: Option<&str>,
        limit: Option<&str>,
    ) -> Result<Vec<TagInfo>, TagError> {
        self.check()?;
        let limit = sql_limit_from_text(limit)?;
        let regex = anchored_filter(filter)?;
        Ok(self
            .read()
            .list_tags(|t| regex.as_ref().is_none_or(|r| r.is_match(t)), limit))
    }

    /// `/tags/<tag>`: the tag and its values (with series counts), or `None` when unknown.
    pub fn get_tag(
        &self,
        tag: &str,
        filter: Option<&str>,
        limit: Option<&str>,
    ) -> Result<Option<(TagInfo, Vec<ValueInfo>)>, TagError> {
        self.check()?;
        let limit = sql_limit_from_text(limit)?;
        let regex = anchored_filter(filter)?;
        let index = self.read();
        let Some(id) = index.tag_db_id(tag) else {
            return Ok(None);
        };
        let values = index.list_values(
            tag,
            "",
            |v| regex.as_ref().is_none_or(|r| r.is_match(v)),
            limit,
        );
        Ok(Some((
            TagInfo {
                id,
                tag: tag.to_owned(),
            },
            values,
        )))
    }

    /// `/tags/autoComplete/tags`: tag names (starting with `prefix`) of the series matching
    /// `exprs`, less the tags the expressions name; all tag names without expressions.
    pub fn auto_complete_tags<S: AsRef<str>>(
        &self,
        exprs: &[S],
        prefix: Option<&str>,
        raw_limit: Option<&str>,
    ) -> Result<Vec<String>, TagError> {
        self.check()?;
        let limit = parse_limit(raw_limit)?.unwrap_or(self.autocomplete_limit);
        let prefix = prefix.unwrap_or_default();
        let tags = if exprs.is_empty() {
            self.read()
                .tags_with_prefix(prefix, sql_limit(Some(limit)))
                .into_iter()
                .map(|t| t.tag)
                .collect()
        } else {
            let parsed = parse_query(exprs)?;
            let searched: Vec<&str> = parsed.iter().map(|e| e.tag.as_str()).collect();
            let names: Vec<String> = self
                .read()
                .tags_of_matches(&parsed)
                .into_iter()
                .filter(|t| !searched.contains(&t.as_str()) && t.starts_with(prefix))
                .collect();
            smallest(names, limit)
        };
        Ok(python_slice(tags, raw_limit, Some(limit)))
    }

    /// `/tags/autoComplete/values`: values (starting with `prefix`) of `tag` among the series
    /// matching `exprs`; all its values without expressions.
    pub fn auto_complete_values<S: AsRef<str>>(
        &self,
        exprs: &[S],
        tag: &str,
        prefix: Option<&str>,
        raw_limit: Option<&str>,
    ) -> Result<Vec<String>, TagError> {
        self.check()?;
        let limit = parse_limit(raw_limit)?.unwrap_or(self.autocomplete_limit);
        let prefix = prefix.unwrap_or_default();
        let values = if exprs.is_empty() {
            self.read()
                .list_values(tag, prefix, |_| true, sql_limit(Some(limit)))
                .into_iter()
                .map(|v| v.value)
                .collect()
        } else {
            let mut all: Vec<String> = exprs.iter().map(|e| e.as_ref().to_owned()).collect();
            all.push(format!("{tag}!="));
            let parsed = parse_query(&all)?;
            let values: Vec<String> = self
                .read()
                .values_of_matches(&parsed, tag)
                .into_iter()
                .filter(|v| v.starts_with(prefix))
                .collect();
            smallest(values, limit)
        };
        Ok(python_slice(values, raw_limit, Some(limit)))
    }

    /// Adds the series whose whisper files under `<root>/_tagged/` have readable (`_DOT_`)
    /// names and are not yet known. Returns how many were added.
    pub fn add_from_tree(&self, root: &Path) -> Result<usize, TagError> {
        self.check()?;
        let names = readable_tagged_names(&root.join("_tagged"));
        let known = self.read();
        let new: Vec<String> = names.into_iter().filter(|n| !known.contains(n)).collect();
        drop(known);
        if new.is_empty() || self.store.is_none() {
            return Ok(0);
        }
        let count = new.len();
        self.tag_multi_series(&new).or_else(|e| match e {
            TagError::InvalidSeries(_) => Ok(Vec::new()),
            other => Err(other),
        })?;
        Ok(count)
    }
}

/// The names of `_tagged/xxx/yyy/<name with . as _DOT_>.wsp` files (hashed names skipped).
fn readable_tagged_names(tagged: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(level1) = std::fs::read_dir(tagged) else {
        return out;
    };
    for a in level1.flatten() {
        let Ok(level2) = std::fs::read_dir(a.path()) else {
            continue;
        };
        for b in level2.flatten() {
            let Ok(files) = std::fs::read_dir(b.path()) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name();
                let Some(name) = name.to_str().and_then(|n| n.strip_suffix(".wsp")) else {
                    continue;
                };
                let hashed = name.len() == 64 && name.bytes().all(|c| c.is_ascii_hexdigit());
                if !hashed && name.contains(';') {
                    out.push(name.replace("_DOT_", "."));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
