//! Reading `carbon.conf` for one daemon the way `carbon.conf.read_config` does (section, then
//! instance section, paths derived from STORAGE_DIR), and the typed [`CacheSettings`] of
//! carbon-cache built from the result.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::ini::Ini;
use crate::settings::{Settings, Value};

/// Where paths default from; the daemon fills this from its environment so the library never
/// reads environment variables itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathDefaults {
    /// `GRAPHITE_ROOT` (the reference: the environment variable, else the parent of `bin/`).
    pub graphite_root: PathBuf,
    /// `GRAPHITE_CONF_DIR`, if set; else `<root>/conf`. Ignored when a config file is given.
    pub conf_dir: Option<PathBuf>,
    /// `GRAPHITE_STORAGE_DIR`, if set; else `<root>/storage`. The file may override it.
    pub storage_dir: Option<PathBuf>,
}

/// Per-run choices from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--config`; default `CONF_DIR/carbon.conf`. When given, CONF_DIR becomes its directory.
    pub config: Option<PathBuf>,
    /// `--instance` (the daemons default it to `a`); `None` or empty means no instance.
    pub instance: Option<String>,
    /// `--pidfile`, replacing the derived `PID_DIR/<program>-<instance>.pid`.
    pub pidfile: Option<PathBuf>,
    /// `--logdir`, replacing the derived per-instance log directory.
    pub logdir: Option<PathBuf>,
}

/// carbon.conf read for one program and instance.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    /// Every setting: code defaults, the program's section, the instance's section, and the
    /// derived paths (`STORAGE_DIR`, `LOCAL_DATA_DIR`, `WHITELISTS_DIR`, `CONF_DIR`,
    /// `LOG_DIR`, `PID_DIR`).
    pub settings: Settings,
    /// The config file that was read.
    pub config_path: PathBuf,
    /// The program's section (`cache`, `relay`, `aggregator`, `aggregator-cache`).
    pub section: String,
    /// The instance, if any.
    pub instance: Option<String>,
    /// The pid file.
    pub pidfile: PathBuf,
    /// Messages for the operator (unknown keys); the daemon logs them at WARN.
    pub warnings: Vec<String>,
}

/// Python's `os.path.normpath` for the purpose of taking a directory name: drops `.`
/// components and folds `x/..` pairs, keeping a leading `..`.
fn normpath(p: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            _ => out.push(c),
        }
    }
    out.iter().collect()
}

/// Reads carbon.conf for `program` (`carbon-cache`, `carbon-relay`, ...) as `read_config` does.
///
/// Order: code defaults; `CONF_DIR` (the config file's directory when `--config` is given);
/// `STORAGE_DIR`; the `[<program minus "carbon-">]` section; `PID_DIR`, `LOG_DIR`
/// (`STORAGE_DIR/log/<program>`), `LOCAL_DATA_DIR` (`STORAGE_DIR/whisper`) and
/// `WHITELISTS_DIR` filled from STORAGE_DIR *as that section left it*; then
/// `[<section>:<instance>]`, which can override any of them (but a STORAGE_DIR set only there
/// does not move the others, as in the reference); then the pid file and the per-instance
/// `LOG_DIR/<program>-<instance>`.
pub fn read_config(
    program: &str,
    opts: &LoadOptions,
    defaults: &PathDefaults,
) -> Result<LoadedConfig> {
    let mut settings = Settings::new();
    let root = &defaults.graphite_root;
    let conf_dir = defaults
        .conf_dir
        .clone()
        .unwrap_or_else(|| root.join("conf"));
    settings.set(
        "CONF_DIR",
        Value::Str(conf_dir.to_string_lossy().into_owned()),
    );
    let config_path = match &opts.config {
        None => conf_dir.join("carbon.conf"),
        Some(p) => {
            let parent = normpath(p)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            settings.set(
                "CONF_DIR",
                Value::Str(parent.to_string_lossy().into_owned()),
            );
            p.clone()
        }
    };
    let storage_dir = defaults
        .storage_dir
        .clone()
        .unwrap_or_else(|| root.join("storage"));
    settings.set(
        "STORAGE_DIR",
        Value::Str(storage_dir.to_string_lossy().into_owned()),
    );

    let section = program
        .strip_prefix("carbon-")
        .unwrap_or(program)
        .to_owned();
    let ini = Ini::read(&config_path)?;
    let mut read_keys = settings.read_from(&ini, &section)?;
    fill_storage_deps(&mut settings, program)?;

    let instance = opts.instance.clone().filter(|i| !i.is_empty());
    let pidfile;
    if let Some(inst) = &instance {
        read_keys.extend(settings.read_from(&ini, &format!("{section}:{inst}"))?);
        let name = format!("{program}-{inst}");
        pidfile = match &opts.pidfile {
            Some(p) => p.clone(),
            None => path_setting(&settings, "PID_DIR")?.join(format!("{name}.pid")),
        };
        let log_dir = match &opts.logdir {
            Some(p) => p.clone(),
            None => path_setting(&settings, "LOG_DIR")?.join(&name),
        };
        settings.set(
            "LOG_DIR",
            Value::Str(log_dir.to_string_lossy().into_owned()),
        );
    } else {
        pidfile = match &opts.pidfile {
            Some(p) => p.clone(),
            None => path_setting(&settings, "PID_DIR")?.join(format!("{program}.pid")),
        };
        if let Some(p) = &opts.logdir {
            settings.set("LOG_DIR", Value::Str(p.to_string_lossy().into_owned()));
        }
    }
    fill_storage_deps(&mut settings, program)?;

    let mut warnings = Vec::new();
    for key in read_keys {
        if !Settings::is_known_key(&key) && !warnings.iter().any(|w: &String| w.contains(&key)) {
            warnings.push(format!(
                "unknown setting {key} in {} ignored",
                config_path.display()
            ));
        }
    }
    Ok(LoadedConfig {
        settings,
        config_path,
        section,
        instance,
        pidfile,
        warnings,
    })
}

fn fill_storage_deps(settings: &mut Settings, program: &str) -> Result<()> {
    let storage = path_setting(settings, "STORAGE_DIR")?;
    let s = |p: PathBuf| Value::Str(p.to_string_lossy().into_owned());
    settings.set_default("PID_DIR", s(storage.clone()));
    settings.set_default("LOG_DIR", s(storage.join("log").join(program)));
    settings.set_default("LOCAL_DATA_DIR", s(storage.join("whisper")));
    settings.set_default("WHITELISTS_DIR", s(storage.join("lists")));
    Ok(())
}

fn invalid(key: &str, value: &Value, reason: &str) -> Error {
    Error::InvalidValue {
        key: key.to_owned(),
        value: value.to_string(),
        reason: reason.to_owned(),
    }
}

fn get<'a>(settings: &'a Settings, key: &str) -> &'a Value {
    static NONE: Value = Value::None;
    settings.get(key).unwrap_or(&NONE)
}

/// A path-valued setting. Python would crash joining a number onto a path; so do we, politely.
fn path_setting(settings: &Settings, key: &str) -> Result<PathBuf> {
    match get(settings, key) {
        Value::Str(s) => Ok(PathBuf::from(s)),
        v => Err(invalid(key, v, "expected a path")),
    }
}

fn string(settings: &Settings, key: &str) -> String {
    get(settings, key).to_string()
}

fn boolean(settings: &Settings, key: &str) -> Result<bool> {
    match get(settings, key) {
        Value::Bool(b) => Ok(*b),
        v => Err(invalid(key, v, "expected a boolean")),
    }
}

fn number(settings: &Settings, key: &str) -> Result<f64> {
    match get(settings, key) {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) if !f.is_nan() => Ok(*f),
        v => Err(invalid(key, v, "expected a number")),
    }
}

fn unsigned(settings: &Settings, key: &str) -> Result<u64> {
    match get(settings, key) {
        Value::Int(i) if *i >= 0 => Ok(*i as u64),
        v => Err(invalid(key, v, "expected a whole number >= 0")),
    }
}

fn port(settings: &Settings, key: &str) -> Result<u16> {
    match get(settings, key) {
        Value::Int(i) => u16::try_from(*i).map_err(|_| invalid(key, &Value::Int(*i), "not a port")),
        v => Err(invalid(key, v, "expected a port number")),
    }
}

/// `inf` (or, for optional keys, no value) means no limit; otherwise a number >= 0 rounded up
/// (the reference compares `size >= limit`, so a fractional limit acts as the next integer).
fn count_limit(settings: &Settings, key: &str) -> Result<Option<u64>> {
    let v = get(settings, key);
    let x = number(settings, key)?;
    if x == f64::INFINITY {
        Ok(None)
    } else if x >= 0.0 {
        Ok(Some(x.ceil() as u64))
    } else {
        Err(invalid(key, v, "expected a number >= 0 or inf"))
    }
}

/// A rate: `inf` means unlimited; otherwise it must be positive (the reference's token bucket
/// with a rate of 0 blocks the writer for ever).
fn rate(settings: &Settings, key: &str, allow_zero: bool) -> Result<Option<f64>> {
    let v = get(settings, key);
    if matches!(v, Value::None) {
        return Ok(None);
    }
    let x = number(settings, key)?;
    if x == f64::INFINITY {
        Ok(None)
    } else if x > 0.0 || (allow_zero && x == 0.0) {
        Ok(Some(x))
    } else {
        Err(invalid(key, v, "expected a positive number or inf"))
    }
}

/// MAX_UPDATES_PER_SECOND_ON_SHUTDOWN: unset is `None`, and `inf` is kept as infinity (it
/// lifts the limits while draining, where an unset key keeps the normal rates).
fn shutdown_rate(settings: &Settings) -> Result<Option<f64>> {
    const KEY: &str = "MAX_UPDATES_PER_SECOND_ON_SHUTDOWN";
    if matches!(get(settings, KEY), Value::None) {
        return Ok(None);
    }
    Ok(Some(rate(settings, KEY, false)?.unwrap_or(f64::INFINITY)))
}

/// How the writer picks the next metric to flush (`CACHE_WRITE_STRATEGY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheWriteStrategy {
    /// `sorted`: metrics with the most points first, the order refreshed about once a second.
    Sorted,
    /// `max`: always the metric with the most points.
    Max,
    /// `naive`: no ordering (insertion order).
    Naive,
    /// `timesorted`: metrics whose oldest point is oldest first (respects MIN_TIMESTAMP_LAG).
    TimeSorted,
    /// `random`: a random metric (undocumented in the reference, but implemented).
    Random,
}

impl CacheWriteStrategy {
    /// Parses carbon's name (case-sensitive, as the reference compares it).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sorted" => Self::Sorted,
            "max" => Self::Max,
            "naive" => Self::Naive,
            "timesorted" => Self::TimeSorted,
            "random" => Self::Random,
            _ => return None,
        })
    }
}

/// carbon-cache's settings, typed, with the reference's code defaults for absent keys.
///
/// Only what carbon-cache uses is here; everything else stays in [`LoadedConfig::settings`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CacheSettings {
    /// The instance (`a` by default in the daemon), used in pid/log names and self-metrics.
    pub instance: Option<String>,
    /// USER: drop privileges to this user; empty = stay.
    pub user: String,
    /// ENABLE_LOGROTATION: daily rotation (true) or reopen when the file moves (false).
    pub enable_logrotation: bool,
    /// MAX_CACHE_SIZE in points; `None` = unbounded (`inf`).
    pub max_cache_size_points: Option<u64>,
    /// MAX_UPDATES_PER_SECOND: update_many calls per second; `None` = unlimited (`inf`).
    pub max_updates_per_second: Option<f64>,
    /// MAX_UPDATES_PER_SECOND_ON_SHUTDOWN: replaces both rates while draining; `None` = unset,
    /// infinity = no limit while draining.
    pub max_updates_per_second_on_shutdown: Option<f64>,
    /// MAX_CREATES_PER_MINUTE; `None` = unlimited (`inf`, the code default).
    pub max_creates_per_minute: Option<f64>,
    /// MIN_TIMESTAMP_RESOLUTION: timestamps rounded down to a multiple; 0 = keep as sent.
    pub min_timestamp_resolution_secs: u64,
    /// MIN_TIMESTAMP_LAG: the timesorted strategy waits until points are this old.
    pub min_timestamp_lag_secs: f64,
    /// LINE_RECEIVER_INTERFACE.
    pub line_receiver_interface: String,
    /// LINE_RECEIVER_PORT.
    pub line_receiver_port: u16,
    /// ENABLE_UDP_LISTENER.
    pub enable_udp_listener: bool,
    /// UDP_RECEIVER_INTERFACE.
    pub udp_receiver_interface: String,
    /// UDP_RECEIVER_PORT.
    pub udp_receiver_port: u16,
    /// PICKLE_RECEIVER_INTERFACE.
    pub pickle_receiver_interface: String,
    /// PICKLE_RECEIVER_PORT.
    pub pickle_receiver_port: u16,
    /// PICKLE_RECEIVER_MAX_LENGTH: larger pickle frames are refused.
    pub pickle_receiver_max_length_bytes: u64,
    /// USE_INSECURE_UNPICKLER: accepted for compatibility; our decoder is always the safe one.
    pub use_insecure_unpickler: bool,
    /// CACHE_QUERY_INTERFACE.
    pub cache_query_interface: String,
    /// CACHE_QUERY_PORT.
    pub cache_query_port: u16,
    /// USE_FLOW_CONTROL: pause receivers while the cache is full instead of dropping.
    pub use_flow_control: bool,
    /// MAX_RECEIVER_CONNECTIONS per listener; `None` = unlimited.
    pub max_receiver_connections: Option<u64>,
    /// METRIC_CLIENT_IDLE_TIMEOUT: close idle receiver connections; `None` = never.
    pub metric_client_idle_timeout_secs: Option<f64>,
    /// LOG_UPDATES.
    pub log_updates: bool,
    /// LOG_CREATES.
    pub log_creates: bool,
    /// LOG_CACHE_HITS.
    pub log_cache_hits: bool,
    /// LOG_CACHE_QUEUE_SORTS.
    pub log_cache_queue_sorts: bool,
    /// LOG_LISTENER_CONN_SUCCESS.
    pub log_listener_conn_success: bool,
    /// LOG_LISTENER_CONN_LOST.
    pub log_listener_conn_lost: bool,
    /// CACHE_WRITE_STRATEGY.
    pub cache_write_strategy: CacheWriteStrategy,
    /// WHISPER_AUTOFLUSH: fsync after each write.
    pub whisper_autoflush: bool,
    /// WHISPER_SPARSE_CREATE.
    pub whisper_sparse_create: bool,
    /// WHISPER_FALLOCATE_CREATE (wins over sparse).
    pub whisper_fallocate_create: bool,
    /// WHISPER_LOCK_WRITES: flock around writes.
    pub whisper_lock_writes: bool,
    /// WHISPER_FADVISE_RANDOM.
    pub whisper_fadvise_random: bool,
    /// USE_WHITELIST: apply the white- and blacklist files.
    pub use_whitelist: bool,
    /// CARBON_METRIC_PREFIX for self-metrics.
    pub carbon_metric_prefix: String,
    /// CARBON_METRIC_INTERVAL; 0 disables self-metrics.
    pub carbon_metric_interval_secs: f64,
    /// ENABLE_TAGS: register tagged series with the TagDB.
    pub enable_tags: bool,
    /// SKIP_TAGS_FOR_NONTAGGED.
    pub skip_tags_for_nontagged: bool,
    /// TAG_UPDATE_INTERVAL: re-tag a series every N updates.
    pub tag_update_interval: u64,
    /// TAG_BATCH_SIZE: series per TagDB request.
    pub tag_batch_size: u64,
    /// TAG_QUEUE_SIZE: series waiting to be tagged.
    pub tag_queue_size: u64,
    /// TAG_HASH_FILENAMES: store tagged series under hashed names.
    pub tag_hash_filenames: bool,
    /// GRAPHITE_URL: the webapp holding the TagDB.
    pub graphite_url: String,
    /// STORAGE_DIR.
    pub storage_dir: PathBuf,
    /// LOCAL_DATA_DIR: the whisper tree.
    pub local_data_dir: PathBuf,
    /// WHITELISTS_DIR (unused by the reference; kept for completeness).
    pub whitelists_dir: PathBuf,
    /// CONF_DIR: where storage-schemas.conf and the lists are looked for.
    pub conf_dir: PathBuf,
    /// LOG_DIR (already per instance).
    pub log_dir: PathBuf,
    /// PID_DIR.
    pub pid_dir: PathBuf,
    /// The pid file.
    pub pidfile: PathBuf,
}

impl CacheSettings {
    /// Types the settings carbon-cache uses; an unusable value is an error naming its key.
    /// Settings the daemon does not implement but that are switched on (AMQP, manhole, the
    /// insecure unpickler) add a message to `warnings`.
    pub fn from_loaded(loaded: &LoadedConfig, warnings: &mut Vec<String>) -> Result<Self> {
        let s = &loaded.settings;
        let database = string(s, "DATABASE");
        if database != "whisper" {
            return Err(invalid(
                "DATABASE",
                get(s, "DATABASE"),
                "only the whisper database is supported",
            ));
        }
        for key in ["ENABLE_AMQP", "ENABLE_MANHOLE", "USE_INSECURE_UNPICKLER"] {
            if boolean(s, key)? {
                warnings.push(format!("{key} is not supported and is ignored"));
            }
        }
        let strategy_value = get(s, "CACHE_WRITE_STRATEGY");
        let cache_write_strategy = CacheWriteStrategy::from_name(&strategy_value.to_string())
            .ok_or_else(|| {
                invalid(
                    "CACHE_WRITE_STRATEGY",
                    strategy_value,
                    "expected sorted, max, naive, timesorted or random",
                )
            })?;
        let timeout = match get(s, "METRIC_CLIENT_IDLE_TIMEOUT") {
            Value::None => None,
            Value::Str(x) if x == "None" => None,
            _ => {
                let t = number(s, "METRIC_CLIENT_IDLE_TIMEOUT")?;
                (t > 0.0 && t.is_finite()).then_some(t)
            }
        };
        let lag = number(s, "MIN_TIMESTAMP_LAG")?;
        let interval = number(s, "CARBON_METRIC_INTERVAL")?;
        Ok(CacheSettings {
            instance: loaded.instance.clone(),
            user: string(s, "USER"),
            enable_logrotation: boolean(s, "ENABLE_LOGROTATION")?,
            max_cache_size_points: count_limit(s, "MAX_CACHE_SIZE")?,
            max_updates_per_second: rate(s, "MAX_UPDATES_PER_SECOND", false)?,
            max_updates_per_second_on_shutdown: shutdown_rate(s)?,
            max_creates_per_minute: rate(s, "MAX_CREATES_PER_MINUTE", true)?,
            min_timestamp_resolution_secs: unsigned(s, "MIN_TIMESTAMP_RESOLUTION")?,
            min_timestamp_lag_secs: if lag >= 0.0 {
                lag
            } else {
                return Err(invalid(
                    "MIN_TIMESTAMP_LAG",
                    get(s, "MIN_TIMESTAMP_LAG"),
                    "negative",
                ));
            },
            line_receiver_interface: string(s, "LINE_RECEIVER_INTERFACE"),
            line_receiver_port: port(s, "LINE_RECEIVER_PORT")?,
            enable_udp_listener: boolean(s, "ENABLE_UDP_LISTENER")?,
            udp_receiver_interface: string(s, "UDP_RECEIVER_INTERFACE"),
            udp_receiver_port: port(s, "UDP_RECEIVER_PORT")?,
            pickle_receiver_interface: string(s, "PICKLE_RECEIVER_INTERFACE"),
            pickle_receiver_port: port(s, "PICKLE_RECEIVER_PORT")?,
            pickle_receiver_max_length_bytes: unsigned(s, "PICKLE_RECEIVER_MAX_LENGTH")?,
            use_insecure_unpickler: boolean(s, "USE_INSECURE_UNPICKLER")?,
            cache_query_interface: string(s, "CACHE_QUERY_INTERFACE"),
            cache_query_port: port(s, "CACHE_QUERY_PORT")?,
            use_flow_control: boolean(s, "USE_FLOW_CONTROL")?,
            max_receiver_connections: count_limit(s, "MAX_RECEIVER_CONNECTIONS")?,
            metric_client_idle_timeout_secs: timeout,
            log_updates: boolean(s, "LOG_UPDATES")?,
            log_creates: boolean(s, "LOG_CREATES")?,
            log_cache_hits: boolean(s, "LOG_CACHE_HITS")?,
            log_cache_queue_sorts: boolean(s, "LOG_CACHE_QUEUE_SORTS")?,
            log_listener_conn_success: boolean(s, "LOG_LISTENER_CONN_SUCCESS")?,
            log_listener_conn_lost: boolean(s, "LOG_LISTENER_CONN_LOST")?,
            cache_write_strategy,
            whisper_autoflush: boolean(s, "WHISPER_AUTOFLUSH")?,
            whisper_sparse_create: boolean(s, "WHISPER_SPARSE_CREATE")?,
            whisper_fallocate_create: boolean(s, "WHISPER_FALLOCATE_CREATE")?,
            whisper_lock_writes: boolean(s, "WHISPER_LOCK_WRITES")?,
            whisper_fadvise_random: boolean(s, "WHISPER_FADVISE_RANDOM")?,
            use_whitelist: boolean(s, "USE_WHITELIST")?,
            carbon_metric_prefix: string(s, "CARBON_METRIC_PREFIX"),
            carbon_metric_interval_secs: if interval >= 0.0 && interval.is_finite() {
                interval
            } else {
                return Err(invalid(
                    "CARBON_METRIC_INTERVAL",
                    get(s, "CARBON_METRIC_INTERVAL"),
                    "expected seconds >= 0",
                ));
            },
            enable_tags: boolean(s, "ENABLE_TAGS")?,
            skip_tags_for_nontagged: boolean(s, "SKIP_TAGS_FOR_NONTAGGED")?,
            tag_update_interval: unsigned(s, "TAG_UPDATE_INTERVAL")?,
            tag_batch_size: unsigned(s, "TAG_BATCH_SIZE")?,
            tag_queue_size: unsigned(s, "TAG_QUEUE_SIZE")?,
            tag_hash_filenames: boolean(s, "TAG_HASH_FILENAMES")?,
            graphite_url: string(s, "GRAPHITE_URL"),
            storage_dir: path_setting(s, "STORAGE_DIR")?,
            local_data_dir: path_setting(s, "LOCAL_DATA_DIR")?,
            whitelists_dir: path_setting(s, "WHITELISTS_DIR")?,
            conf_dir: path_setting(s, "CONF_DIR")?,
            log_dir: path_setting(s, "LOG_DIR")?,
            pid_dir: path_setting(s, "PID_DIR")?,
            pidfile: loaded.pidfile.clone(),
        })
    }

    /// Reads carbon.conf for carbon-cache and types it; warnings (unknown keys, unsupported
    /// features switched on) are returned beside the settings.
    pub fn load(opts: &LoadOptions, defaults: &PathDefaults) -> Result<(Self, Vec<String>)> {
        let loaded = read_config("carbon-cache", opts, defaults)?;
        let mut warnings = loaded.warnings.clone();
        let settings = CacheSettings::from_loaded(&loaded, &mut warnings)?;
        Ok((settings, warnings))
    }

    /// CACHE_SIZE_LOW_WATERMARK: the reference resumes reading at 95% of MAX_CACHE_SIZE.
    pub fn cache_size_low_watermark_points(&self) -> Option<u64> {
        self.max_cache_size_points.map(|m| (m as f64 * 0.95) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults(root: &Path) -> PathDefaults {
        PathDefaults {
            graphite_root: root.to_owned(),
            conf_dir: None,
            storage_dir: None,
        }
    }

    fn load(text: &str, instance: Option<&str>) -> Result<(CacheSettings, Vec<String>)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("carbon.conf");
        std::fs::write(&path, text).unwrap();
        let opts = LoadOptions {
            config: Some(path),
            instance: instance.map(str::to_owned),
            ..LoadOptions::default()
        };
        CacheSettings::load(&opts, &defaults(Path::new("/opt/graphite")))
    }

    #[test]
    fn code_defaults_when_section_missing() {
        let (c, w) = load("[relay]\nLINE_RECEIVER_PORT = 2013\n", Some("a")).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.max_cache_size_points, None);
        assert_eq!(c.max_updates_per_second, Some(500.0));
        assert_eq!(c.max_creates_per_minute, None);
        assert_eq!(c.line_receiver_port, 2003);
        assert!(c.log_updates && c.log_creates);
        assert!(!c.whisper_fallocate_create);
        assert_eq!(c.cache_write_strategy, CacheWriteStrategy::Sorted);
        assert_eq!(c.pickle_receiver_max_length_bytes, 1 << 20);
        assert_eq!(c.storage_dir, Path::new("/opt/graphite/storage"));
        assert_eq!(c.local_data_dir, Path::new("/opt/graphite/storage/whisper"));
        assert_eq!(
            c.pidfile,
            Path::new("/opt/graphite/storage/carbon-cache-a.pid")
        );
        assert_eq!(
            c.log_dir,
            Path::new("/opt/graphite/storage/log/carbon-cache/carbon-cache-a")
        );
    }

    #[test]
    fn instance_section_overrides_and_storage_quirk() {
        let text = "[cache]\nSTORAGE_DIR = /s\nCACHE_QUERY_PORT = 7002\nFOO = 1\n\
                    [cache:b]\nCACHE_QUERY_PORT = 7102\nSTORAGE_DIR = /t\n";
        let (c, w) = load(text, Some("b")).unwrap();
        assert_eq!(c.cache_query_port, 7102);
        assert_eq!(c.storage_dir, Path::new("/t"));
        // Derived from [cache]'s STORAGE_DIR, before the instance section was read.
        assert_eq!(c.local_data_dir, Path::new("/s/whisper"));
        assert_eq!(c.pidfile, Path::new("/s/carbon-cache-b.pid"));
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("FOO"));
    }

    #[test]
    fn invalid_values_name_the_key() {
        for (text, key) in [
            (
                "[cache]\nLINE_RECEIVER_PORT = 70000\n",
                "LINE_RECEIVER_PORT",
            ),
            (
                "[cache]\nCACHE_WRITE_STRATEGY = fastest\n",
                "CACHE_WRITE_STRATEGY",
            ),
            ("[cache]\nMAX_CACHE_SIZE = lots\n", "MAX_CACHE_SIZE"),
            (
                "[cache]\nMAX_UPDATES_PER_SECOND = 0\n",
                "MAX_UPDATES_PER_SECOND",
            ),
            ("[cache]\nDATABASE = ceres\n", "DATABASE"),
            ("[cache]\nENABLE_TAGS = sometimes\n", "ENABLE_TAGS"),
        ] {
            let err = load(text, Some("a")).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn none_and_inf() {
        let (c, _) = load(
            "[cache]\nMETRIC_CLIENT_IDLE_TIMEOUT = None\nMAX_CREATES_PER_MINUTE = 50\n\
             MAX_CACHE_SIZE = 1e6\nMAX_RECEIVER_CONNECTIONS = inf\n",
            None,
        )
        .unwrap();
        assert_eq!(c.metric_client_idle_timeout_secs, None);
        assert_eq!(c.max_creates_per_minute, Some(50.0));
        assert_eq!(c.max_cache_size_points, Some(1_000_000));
        assert_eq!(c.cache_size_low_watermark_points(), Some(950_000));
        assert_eq!(c.max_receiver_connections, None);
        assert_eq!(
            c.pidfile,
            Path::new("/opt/graphite/storage/carbon-cache.pid")
        );
    }

    #[test]
    fn config_dir_becomes_conf_dir() {
        assert_eq!(
            normpath(Path::new("./conf/../conf/./carbon.conf")),
            Path::new("conf/carbon.conf")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("carbon.conf");
        std::fs::write(&path, "[cache]\n").unwrap();
        let opts = LoadOptions {
            config: Some(path),
            ..LoadOptions::default()
        };
        let loaded = read_config("carbon-cache", &opts, &defaults(Path::new("/r"))).unwrap();
        assert_eq!(
            loaded.settings.get("CONF_DIR"),
            Some(&Value::Str(dir.path().to_string_lossy().into_owned()))
        );
        assert!(matches!(
            read_config(
                "carbon-cache",
                &LoadOptions::default(),
                &defaults(Path::new("/nonexistent"))
            ),
            Err(Error::Io { .. })
        ));
    }
}
