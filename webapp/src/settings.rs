//! The settings file: graphite-web's setting names (`local_settings.py`), one
//! `NAME = <Python literal>` per line.
//!
//! Values are the literals a `local_settings.py` assigns: strings in either quote, integers,
//! floats, `True`/`False`/`None`, and lists or tuples of those (which may span lines). So the
//! simple assignments of an existing `local_settings.py` can be copied over as they are.
//! Settings that only concern Django or features this server does not have are accepted and
//! reported as ignored; unknown names are warned about.
//!
//! Paths derive as in the reference's `settings.py`: `GRAPHITE_ROOT` (env `GRAPHITE_ROOT`,
//! default `/opt/graphite`), `STORAGE_DIR` (env `GRAPHITE_STORAGE_DIR`, default
//! `GRAPHITE_ROOT/storage`), `WHISPER_DIR` (`STORAGE_DIR/whisper/`), `STANDARD_DIRS`
//! (`[WHISPER_DIR]`).

use std::path::{Path, PathBuf};

/// A settings file that could not be read or has an invalid value.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not `NAME = value` or its value is not a literal.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A setting has a value of the wrong kind.
    #[error("setting {name}: {message}")]
    Value {
        /// The setting.
        name: String,
        /// What is wrong.
        message: String,
    },
}

/// A Python literal as the settings file spells it.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'` or `"text"`.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// `True` / `False`.
    Bool(bool),
    /// `None`.
    None,
    /// `[...]` or `(...)`.
    List(Vec<Literal>),
}

/// Everything the server reads from the settings file.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `GRAPHITE_ROOT`.
    pub graphite_root: PathBuf,
    /// `STORAGE_DIR`.
    pub storage_dir: PathBuf,
    /// `WHISPER_DIR`.
    pub whisper_dir: PathBuf,
    /// `STANDARD_DIRS`: the trees the finder searches.
    pub standard_dirs: Vec<PathBuf>,
    /// `LOG_DIR` (accepted; logs go to stderr).
    pub log_dir: PathBuf,
    /// `CARBONLINK_HOSTS`: `host:port[:instance]` entries.
    pub carbonlink_hosts: Vec<String>,
    /// `CARBONLINK_TIMEOUT` in seconds.
    pub carbonlink_timeout_secs: f64,
    /// `CARBONLINK_RETRY_DELAY` in seconds.
    pub carbonlink_retry_delay_secs: f64,
    /// `CARBONLINK_HASHING_TYPE`: `carbon_ch`, `fnv1a_ch` or `mmh3_ch`.
    pub carbonlink_hashing_type: String,
    /// `CARBON_METRIC_PREFIX`: metrics queried on every cache.
    pub carbon_metric_prefix: String,
    /// `REPLICATION_FACTOR`.
    pub replication_factor: usize,
    /// `TIME_ZONE`: the default zone for times and labels.
    pub time_zone: chrono_tz::Tz,
    /// `DATE_FORMAT` for automatic x-axis labels.
    pub date_format: String,
    /// `URL_PREFIX`: everything is served under it.
    pub url_prefix: String,
    /// `DEFAULT_CACHE_DURATION` in seconds (`Cache-Control: max-age`).
    pub default_cache_duration_secs: i64,
    /// `DEFAULT_CACHE_POLICY`: `(minimum range seconds, timeout seconds)` pairs.
    pub default_cache_policy: Vec<(i64, i64)>,
    /// `DEFAULT_XFILES_FACTOR`.
    pub default_xfiles_factor: f64,
    /// `ENFORCE_INPUT_VALIDATION`.
    pub enforce_input_validation: bool,
    /// `METRICS_FIND_WARNING_THRESHOLD`: leaf matches above it are logged.
    pub metrics_find_warning_threshold: f64,
    /// `METRICS_FIND_FAILURE_THRESHOLD`: leaf matches above it fail the request.
    pub metrics_find_failure_threshold: f64,
    /// `FIND_TIMEOUT` in seconds.
    pub find_timeout_secs: f64,
    /// `FETCH_TIMEOUT` in seconds.
    pub fetch_timeout_secs: f64,
    /// `LEGEND_MAX_ITEMS`.
    pub legend_max_items: usize,
    /// `MAX_TARGETS_PER_REQUEST` (ours): more targets in one `/render` get a 400.
    pub max_targets_per_request: usize,
    /// `MAX_SERIES_PER_REQUEST` (ours): more fetched series in one `/render` get a 400.
    pub max_series_per_request: usize,
    /// `MAX_IMAGE_PIXELS` (ours): a graph image (`width * height`) larger than this gets a 400,
    /// so no request allocates an unbounded raster.
    pub max_image_pixels: usize,
    /// `GRAPHTEMPLATES_CONF` (default `CONF_DIR/graphTemplates.conf`, `CONF_DIR` being
    /// `$GRAPHITE_CONF_DIR` or `GRAPHITE_ROOT/conf`): the graph templates, read by every
    /// graph as the reference does; a missing file means the built-in defaults.
    pub graph_templates_conf: PathBuf,
    /// `TAGDB`: the tag database class (`LocalDatabaseTagDB` by default, `''` for none).
    pub tagdb: String,
    /// `TAGDB_AUTOCOMPLETE_LIMIT`.
    pub tagdb_autocomplete_limit: i64,
    /// The SQLite file of the local tag database: `STORAGE_DIR/graphite.db`, as the
    /// reference's default `DATABASES`.
    pub tagdb_file: PathBuf,
    /// Settings that were given but have no effect here, for a start-up notice.
    pub ignored: Vec<String>,
    /// Names not known at all, for a start-up warning.
    pub unknown: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self::derive(&[], &Env::default()).expect("defaults are valid")
    }
}

/// The environment variables the paths derive from.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `GRAPHITE_ROOT`.
    pub graphite_root: Option<String>,
    /// `GRAPHITE_STORAGE_DIR`.
    pub graphite_storage_dir: Option<String>,
    /// `GRAPHITE_CONF_DIR`.
    pub graphite_conf_dir: Option<String>,
}

impl Env {
    /// Reads the process environment.
    pub fn from_process() -> Self {
        Self {
            graphite_root: std::env::var("GRAPHITE_ROOT").ok(),
            graphite_storage_dir: std::env::var("GRAPHITE_STORAGE_DIR").ok(),
            graphite_conf_dir: std::env::var("GRAPHITE_CONF_DIR").ok(),
        }
    }
}

/// Names that mean nothing to this server but are common in `local_settings.py`.
const IGNORED: &[&str] = &[
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEBUG",
    "DATABASES",
    "CACHES",
    "MEMCACHE_HOSTS",
    "MEMCACHE_KEY_PREFIX",
    "MEMCACHE_OPTIONS",
    "LOG_RENDERING_PERFORMANCE",
    "LOG_CACHE_PERFORMANCE",
    "LOG_INFO_PERFORMANCE",
    "LOG_ROTATION",
    "LOG_ROTATION_COUNT",
    "LOG_FILE_INFO",
    "LOG_FILE_EXCEPTION",
    "LOG_FILE_CACHE",
    "LOG_FILE_RENDERING",
    "CERES_DIR",
    "RRD_DIR",
    "INDEX_FILE",
    "WHITELIST_FILE",
    "DASHBOARD_CONF",
    "STORAGE_FINDERS",
    "CLUSTER_SERVERS",
    "USE_WORKER_POOL",
    "POOL_MAX_WORKERS",
    "REMOTE_RETRY_DELAY",
    "REMOTE_EXCLUDE_LOCAL",
    "STORE_FAIL_ON_ERROR",
    "REMOTE_STORE_MERGE_RESULTS",
    "REMOTE_STORE_FORWARD_HEADERS",
    "REMOTE_STORE_USE_POST",
    "REMOTE_BUFFER_SIZE",
    "MAX_FETCH_RETRIES",
    "INTRACLUSTER_HTTPS",
    "FIND_CACHE_DURATION",
    "FIND_TOLERANCE",
    "CARBONLINK_HASHING_KEYFUNC",
    "CARBONLINK_PICKLE_PROTOCOL",
    "REMOTE_RENDERING",
    "RENDERING_HOSTS",
    "REMOTE_RENDER_CONNECT_TIMEOUT",
    "RENDER_TRIM_RECENT_IN_AGGREGATE",
    "AUTOCOMPRESS_GAPS_IN_DERIVATIVE_FUNCTIONS",
    "UTF8_METRICS",
    "TAGDB_CACHE_DURATION",
    "TAGDB_REDIS_HOST",
    "TAGDB_REDIS_PORT",
    "TAGDB_REDIS_DB",
    "TAGDB_REDIS_PASSWORD",
    "TAGDB_HTTP_URL",
    "TAGDB_HTTP_USER",
    "TAGDB_HTTP_PASSWORD",
    "TAGDB_HTTP_AUTOCOMPLETE",
    "FUNCTION_PLUGINS",
    "INPUT_VALIDATION_SOURCE_ID_HEADERS",
    "MAX_TAG_LENGTH",
    "AUTO_REFRESH_INTERVAL",
    "DASHBOARD_REQUIRE_AUTHENTICATION",
    "DASHBOARD_REQUIRE_PERMISSIONS",
    "DASHBOARD_REQUIRE_EDIT_GROUP",
    "USE_LDAP_AUTH",
    "USE_REMOTE_USER_AUTHENTICATION",
    "REMOTE_USER_BACKEND",
    "REMOTE_USER_MIDDLEWARE",
    "LOGIN_URL",
    "DOCUMENTATION_URL",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "RRD_CF",
    "FLUSHRRDCACHED",
    "REMOTE_FIND_TIMEOUT",
    "REMOTE_FETCH_TIMEOUT",
];

/// The reference's default `TAGDB`, the only backend this server has (besides none).
pub const LOCAL_TAGDB: &str = "graphite.tags.localdatabase.LocalDatabaseTagDB";

/// Names this server reads.
const KNOWN: &[&str] = &[
    "GRAPHITE_ROOT",
    "STORAGE_DIR",
    "WHISPER_DIR",
    "STANDARD_DIRS",
    "LOG_DIR",
    "CARBONLINK_HOSTS",
    "CARBONLINK_TIMEOUT",
    "CARBONLINK_RETRY_DELAY",
    "CARBONLINK_HASHING_TYPE",
    "CARBON_METRIC_PREFIX",
    "REPLICATION_FACTOR",
    "TIME_ZONE",
    "DATE_FORMAT",
    "URL_PREFIX",
    "DEFAULT_CACHE_DURATION",
    "DEFAULT_CACHE_POLICY",
    "DEFAULT_XFILES_FACTOR",
    "ENFORCE_INPUT_VALIDATION",
    "METRICS_FIND_WARNING_THRESHOLD",
    "METRICS_FIND_FAILURE_THRESHOLD",
    "FIND_TIMEOUT",
    "FETCH_TIMEOUT",
    "LEGEND_MAX_ITEMS",
    "MAX_TARGETS_PER_REQUEST",
    "MAX_SERIES_PER_REQUEST",
    "MAX_IMAGE_PIXELS",
    "CONF_DIR",
    "GRAPHTEMPLATES_CONF",
    "TAGDB",
    "TAGDB_AUTOCOMPLETE_LIMIT",
];

impl Settings {
    /// Reads a settings file.
    pub fn load(path: &Path, env: &Env) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Io {
            path: path.to_owned(),
            source,
        })?;
        let assignments = parse_file(&text).map_err(|(line, message)| SettingsError::Syntax {
            path: path.to_owned(),
            line,
            message,
        })?;
        Self::derive(&assignments, env)
    }

    /// Builds settings from parsed assignments (later ones win) and the environment.
    pub fn derive(assignments: &[(String, Literal)], env: &Env) -> Result<Self, SettingsError> {
        let get = |name: &str| {
            assignments
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v)
        };
        let mut ignored = Vec::new();
        let mut unknown = Vec::new();
        for (name, _) in assignments {
            if KNOWN.contains(&name.as_str()) {
                continue;
            }
            let list = if IGNORED.contains(&name.as_str()) || name.starts_with("LDAP_") {
                &mut ignored
            } else {
                &mut unknown
            };
            if !list.contains(name) {
                list.push(name.clone());
            }
        }

        let graphite_root = match get("GRAPHITE_ROOT") {
            Some(v) => PathBuf::from(nonempty_str("GRAPHITE_ROOT", v)?),
            None => PathBuf::from(env.graphite_root.as_deref().unwrap_or("/opt/graphite")),
        };
        let storage_dir = match get("STORAGE_DIR").map(|v| str_value("STORAGE_DIR", v)) {
            Some(Ok(s)) if !s.is_empty() => PathBuf::from(s),
            Some(Err(e)) => return Err(e),
            _ => env
                .graphite_storage_dir
                .as_deref()
                .map(PathBuf::from)
                .unwrap_or_else(|| graphite_root.join("storage")),
        };
        let whisper_dir = match get("WHISPER_DIR").map(|v| str_value("WHISPER_DIR", v)) {
            Some(Ok(s)) if !s.is_empty() => PathBuf::from(s),
            Some(Err(e)) => return Err(e),
            _ => storage_dir.join("whisper"),
        };
        let conf_dir = match get("CONF_DIR").map(|v| str_value("CONF_DIR", v)) {
            Some(Ok(s)) if !s.is_empty() => PathBuf::from(s),
            Some(Err(e)) => return Err(e),
            _ => env
                .graphite_conf_dir
                .as_deref()
                .map(PathBuf::from)
                .unwrap_or_else(|| graphite_root.join("conf")),
        };
        let graph_templates_conf =
            match get("GRAPHTEMPLATES_CONF").map(|v| str_value("GRAPHTEMPLATES_CONF", v)) {
                Some(Ok(s)) if !s.is_empty() => PathBuf::from(s),
                Some(Err(e)) => return Err(e),
                _ => conf_dir.join("graphTemplates.conf"),
            };
        let log_dir = match get("LOG_DIR").map(|v| str_value("LOG_DIR", v)) {
            Some(Ok(s)) if !s.is_empty() => PathBuf::from(s),
            Some(Err(e)) => return Err(e),
            _ => storage_dir.join("log").join("webapp"),
        };
        let standard_dirs = match get("STANDARD_DIRS") {
            Some(v) => {
                let dirs: Vec<PathBuf> = str_list("STANDARD_DIRS", v)?
                    .into_iter()
                    .map(PathBuf::from)
                    .collect();
                if dirs.is_empty() {
                    vec![whisper_dir.clone()]
                } else {
                    dirs
                }
            }
            None => vec![whisper_dir.clone()],
        };
        let time_zone_name = match get("TIME_ZONE") {
            Some(v) => str_value("TIME_ZONE", v)?,
            None => "UTC".to_owned(),
        };
        let time_zone: chrono_tz::Tz =
            time_zone_name.parse().map_err(|_| SettingsError::Value {
                name: "TIME_ZONE".into(),
                message: format!("unknown time zone {time_zone_name:?}"),
            })?;
        let carbonlink_hashing_type = match get("CARBONLINK_HASHING_TYPE") {
            Some(v) => str_value("CARBONLINK_HASHING_TYPE", v)?,
            None => "carbon_ch".to_owned(),
        };
        if !matches!(
            carbonlink_hashing_type.as_str(),
            "carbon_ch" | "fnv1a_ch" | "mmh3_ch"
        ) {
            return Err(SettingsError::Value {
                name: "CARBONLINK_HASHING_TYPE".into(),
                message: format!(
                    "{carbonlink_hashing_type:?} is not supported (carbon_ch, fnv1a_ch or mmh3_ch)"
                ),
            });
        }
        let default_cache_policy = match get("DEFAULT_CACHE_POLICY") {
            None => Vec::new(),
            Some(Literal::List(items)) => items
                .iter()
                .map(|item| match item {
                    Literal::List(pair) if pair.len() == 2 => Ok((
                        int_value("DEFAULT_CACHE_POLICY", &pair[0])?,
                        int_value("DEFAULT_CACHE_POLICY", &pair[1])?,
                    )),
                    _ => Err(value_error(
                        "DEFAULT_CACHE_POLICY",
                        "entries must be (seconds, timeout) pairs",
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(value_error(
                    "DEFAULT_CACHE_POLICY",
                    "must be a list of (seconds, timeout) pairs",
                ))
            }
        };
        let float =
            |name: &str, default: f64| get(name).map_or(Ok(default), |v| float_value(name, v));
        let int = |name: &str, default: i64| get(name).map_or(Ok(default), |v| int_value(name, v));
        let string = |name: &str, default: &str| {
            get(name).map_or(Ok(default.to_owned()), |v| str_value(name, v))
        };
        let count = |name: &str, default: i64| -> Result<usize, SettingsError> {
            let n = int(name, default)?;
            usize::try_from(n).map_err(|_| value_error(name, "must not be negative"))
        };

        let tagdb = match get("TAGDB") {
            Some(Literal::None) => String::new(),
            Some(v) => str_value("TAGDB", v)?,
            None => LOCAL_TAGDB.to_owned(),
        };
        if !tagdb.is_empty() && tagdb != LOCAL_TAGDB {
            return Err(value_error(
                "TAGDB",
                "only graphite.tags.localdatabase.LocalDatabaseTagDB (the default) or '' is supported",
            ));
        }
        let tagdb_file = storage_dir.join("graphite.db");
        let url_prefix = string("URL_PREFIX", "")?;
        Ok(Self {
            graphite_root,
            storage_dir,
            whisper_dir,
            standard_dirs,
            log_dir,
            carbonlink_hosts: match get("CARBONLINK_HOSTS") {
                Some(v) => str_list("CARBONLINK_HOSTS", v)?,
                None => vec!["127.0.0.1:7002".to_owned()],
            },
            carbonlink_timeout_secs: float("CARBONLINK_TIMEOUT", 1.0)?,
            carbonlink_retry_delay_secs: float("CARBONLINK_RETRY_DELAY", 15.0)?,
            carbonlink_hashing_type,
            carbon_metric_prefix: string("CARBON_METRIC_PREFIX", "carbon")?,
            replication_factor: count("REPLICATION_FACTOR", 1)?.max(1),
            time_zone,
            date_format: string("DATE_FORMAT", "%m/%d")?,
            url_prefix: url_prefix.trim_matches('/').to_owned(),
            default_cache_duration_secs: int("DEFAULT_CACHE_DURATION", 60)?,
            default_cache_policy,
            default_xfiles_factor: float("DEFAULT_XFILES_FACTOR", 0.0)?,
            enforce_input_validation: get("ENFORCE_INPUT_VALIDATION")
                .map_or(Ok(false), |v| bool_value("ENFORCE_INPUT_VALIDATION", v))?,
            metrics_find_warning_threshold: float("METRICS_FIND_WARNING_THRESHOLD", f64::INFINITY)?,
            metrics_find_failure_threshold: float("METRICS_FIND_FAILURE_THRESHOLD", f64::INFINITY)?,
            find_timeout_secs: match get("FIND_TIMEOUT").or(get("REMOTE_FIND_TIMEOUT")) {
                Some(v) => float_value("FIND_TIMEOUT", v)?,
                None => 3.0,
            },
            fetch_timeout_secs: match get("FETCH_TIMEOUT").or(get("REMOTE_FETCH_TIMEOUT")) {
                Some(v) => float_value("FETCH_TIMEOUT", v)?,
                None => 6.0,
            },
            legend_max_items: count("LEGEND_MAX_ITEMS", 10)?,
            max_targets_per_request: count("MAX_TARGETS_PER_REQUEST", 1000)?,
            max_series_per_request: count("MAX_SERIES_PER_REQUEST", 100_000)?,
            max_image_pixels: count("MAX_IMAGE_PIXELS", 16_777_216)?,
            graph_templates_conf,
            tagdb,
            tagdb_autocomplete_limit: int("TAGDB_AUTOCOMPLETE_LIMIT", 100)?,
            tagdb_file,
            ignored,
            unknown,
        })
    }
}

fn value_error(name: &str, message: &str) -> SettingsError {
    SettingsError::Value {
        name: name.to_owned(),
        message: message.to_owned(),
    }
}

fn str_value(name: &str, v: &Literal) -> Result<String, SettingsError> {
    match v {
        Literal::Str(s) => Ok(s.clone()),
        _ => Err(value_error(name, "must be a string")),
    }
}

fn nonempty_str(name: &str, v: &Literal) -> Result<String, SettingsError> {
    let s = str_value(name, v)?;
    if s.is_empty() {
        return Err(value_error(name, "must not be empty"));
    }
    Ok(s)
}

fn str_list(name: &str, v: &Literal) -> Result<Vec<String>, SettingsError> {
    match v {
        Literal::List(items) => items.iter().map(|i| str_value(name, i)).collect(),
        _ => Err(value_error(name, "must be a list of strings")),
    }
}

fn int_value(name: &str, v: &Literal) -> Result<i64, SettingsError> {
    match v {
        Literal::Int(i) => Ok(*i),
        _ => Err(value_error(name, "must be an integer")),
    }
}

fn float_value(name: &str, v: &Literal) -> Result<f64, SettingsError> {
    match v {
        Literal::Int(i) => Ok(*i as f64),
        Literal::Float(f) => Ok(*f),
        _ => Err(value_error(name, "must be a number")),
    }
}

fn bool_value(name: &str, v: &Literal) -> Result<bool, SettingsError> {
    match v {
        Literal::Bool(b) => Ok(*b),
        _ => Err(value_error(name, "must be True or False")),
    }
}

/// Parses a whole file into `(NAME, value)` assignments; errors carry the 1-based line.
pub fn parse_file(text: &str) -> Result<Vec<(String, Literal)>, (usize, String)> {
    let mut out = Vec::new();
    let mut parser = LiteralParser {
        chars: text.chars().collect(),
        pos: 0,
    };
    loop {
        parser.skip_blank_lines();
        if parser.at_end() {
            return Ok(out);
        }
        let line = parser.line();
        let name = parser
            .identifier()
            .ok_or((line, "expected NAME = value".to_owned()))?;
        if !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err((line, format!("setting names are upper case: {name:?}")));
        }
        parser.skip_inline_space();
        if !parser.eat('=') {
            return Err((line, format!("expected '=' after {name}")));
        }
        parser.skip_inline_space();
        let value = parser.literal(0).map_err(|m| (parser.line(), m))?;
        parser.skip_inline_space();
        if parser.eat('#') {
            parser.skip_to_eol();
        }
        if !(parser.at_end() || parser.eat('\n')) {
            return Err((parser.line(), "unexpected text after the value".to_owned()));
        }
        out.push((name, value));
    }
}

/// Lists may nest this deep; deeper input is an error, not a stack overflow.
const MAX_NESTING: usize = 32;

struct LiteralParser {
    chars: Vec<char>,
    pos: usize,
}

impl LiteralParser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn line(&self) -> usize {
        1 + self.chars[..self.pos.min(self.chars.len())]
            .iter()
            .filter(|&&c| c == '\n')
            .count()
    }

    fn skip_inline_space(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\r')) {
            self.pos += 1;
        }
    }

    fn skip_to_eol(&mut self) {
        while !matches!(self.peek(), None | Some('\n')) {
            self.pos += 1;
        }
    }

    fn skip_blank_lines(&mut self) {
        loop {
            self.skip_inline_space();
            match self.peek() {
                Some('#') => self.skip_to_eol(),
                Some('\n') => self.pos += 1,
                _ => return,
            }
        }
    }

    /// Whitespace, newlines and comments inside brackets.
    fn skip_space_in_brackets(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r' | '\n') => self.pos += 1,
                Some('#') => self.skip_to_eol(),
                _ => return,
            }
        }
    }

    fn identifier(&mut self) -> Option<String> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        (self.pos > start).then(|| self.chars[start..self.pos].iter().collect())
    }

    fn literal(&mut self, depth: usize) -> Result<Literal, String> {
        if depth > MAX_NESTING {
            return Err("lists nested too deeply".to_owned());
        }
        match self.peek() {
            Some(q @ ('\'' | '"')) => self.string(q),
            Some(open @ ('[' | '(')) => {
                let close = if open == '[' { ']' } else { ')' };
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space_in_brackets();
                    if self.eat(close) {
                        return Ok(Literal::List(items));
                    }
                    items.push(self.literal(depth + 1)?);
                    self.skip_space_in_brackets();
                    if self.eat(',') {
                        continue;
                    }
                    if self.eat(close) {
                        // `(x)` is just x in Python; keep it a list only for brackets.
                        if open == '(' && items.len() == 1 {
                            return Ok(items.pop().expect("one item"));
                        }
                        return Ok(Literal::List(items));
                    }
                    return Err(format!("expected ',' or '{close}' in a list"));
                }
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() => {
                let word = self.identifier().unwrap_or_default();
                match word.as_str() {
                    "True" => Ok(Literal::Bool(true)),
                    "False" => Ok(Literal::Bool(false)),
                    "None" => Ok(Literal::None),
                    // `float('inf')`, the reference's spelling of "no limit".
                    "float" => {
                        let rest: String = self.chars[self.pos..].iter().take(16).collect();
                        for spelling in ["('inf')", "(\"inf\")", "('+inf')", "(\"+inf\")"] {
                            if rest.starts_with(spelling) {
                                self.pos += spelling.len();
                                return Ok(Literal::Float(f64::INFINITY));
                            }
                        }
                        Err("only float('inf') is understood among calls".to_owned())
                    }
                    _ => Err(format!(
                        "{word} is not a literal (only strings, numbers, True/False/None and lists)"
                    )),
                }
            }
            _ => Err("expected a value".to_owned()),
        }
    }

    fn string(&mut self, quote: char) -> Result<Literal, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None | Some('\n') => return Err("unterminated string".to_owned()),
                Some(c) if c == quote => {
                    self.pos += 1;
                    return Ok(Literal::Str(out));
                }
                Some('\\') => {
                    self.pos += 1;
                    let escaped = self.peek().ok_or("unterminated string")?;
                    self.pos += 1;
                    match escaped {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        '\\' | '\'' | '"' => out.push(escaped),
                        other => {
                            // Python keeps unknown escapes as written.
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Literal, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.' | '_'))
        {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos]
            .iter()
            .filter(|&&c| c != '_')
            .collect();
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Literal::Int(i));
        }
        match text.parse::<f64>() {
            Ok(f)
                if !text.to_ascii_lowercase().contains("inf")
                    && !text.to_ascii_lowercase().contains("nan") =>
            {
                Ok(Literal::Float(f))
            }
            _ => Err(format!("{text:?} is not a number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_settings_style_assignments() {
        let text = "# comment\nTIME_ZONE = 'Europe/Berlin'\nCARBONLINK_HOSTS = [\n  \"127.0.0.1:7002:a\",  # first\n  '127.0.0.1:7102:b',\n]\nCARBONLINK_TIMEOUT = 2\nDEFAULT_CACHE_POLICY = [(0, 60), (7200, 120)]\nENFORCE_INPUT_VALIDATION = True\nMETRICS_FIND_FAILURE_THRESHOLD = float('inf')\nSECRET_KEY = 'x'\nNOT_A_SETTING = None\n";
        let assignments = parse_file(text).unwrap();
        let s = Settings::derive(&assignments, &Env::default()).unwrap();
        assert_eq!(s.time_zone, chrono_tz::Europe::Berlin);
        assert_eq!(s.carbonlink_hosts, ["127.0.0.1:7002:a", "127.0.0.1:7102:b"]);
        assert_eq!(s.carbonlink_timeout_secs, 2.0);
        assert_eq!(s.default_cache_policy, [(0, 60), (7200, 120)]);
        assert!(s.enforce_input_validation);
        assert_eq!(s.metrics_find_failure_threshold, f64::INFINITY);
        assert_eq!(s.ignored, ["SECRET_KEY"]);
        assert_eq!(s.unknown, ["NOT_A_SETTING"]);
    }

    #[test]
    fn paths_derive_like_the_reference() {
        let env = Env {
            graphite_root: Some("/srv/g".into()),
            graphite_storage_dir: None,
            graphite_conf_dir: None,
        };
        let s = Settings::derive(&[], &env).unwrap();
        assert_eq!(s.storage_dir, Path::new("/srv/g/storage"));
        assert_eq!(
            s.graph_templates_conf,
            Path::new("/srv/g/conf/graphTemplates.conf")
        );
        assert_eq!(s.whisper_dir, Path::new("/srv/g/storage/whisper"));
        assert_eq!(s.standard_dirs, [PathBuf::from("/srv/g/storage/whisper")]);
        let assignments = parse_file("STORAGE_DIR = '/data'\n").unwrap();
        let s = Settings::derive(&assignments, &env).unwrap();
        assert_eq!(s.whisper_dir, Path::new("/data/whisper"));
        assert_eq!(s.carbonlink_hosts, ["127.0.0.1:7002"]);
    }

    #[test]
    fn errors_name_the_line_and_setting() {
        assert_eq!(parse_file("A = 1\nB = [1,\n").unwrap_err().0, 3);
        assert!(parse_file("A = os.path.join('a')\n").is_err());
        assert!(parse_file(&format!("A = {}1{}\n", "[".repeat(100), "]".repeat(100))).is_err());
        let assignments = parse_file("TIME_ZONE = 'Mars/Olympus'\n").unwrap();
        let err = Settings::derive(&assignments, &Env::default()).unwrap_err();
        assert!(err.to_string().contains("TIME_ZONE"), "{err}");
    }
}
