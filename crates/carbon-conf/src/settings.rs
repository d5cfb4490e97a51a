//! carbon.conf values typed as `carbon.conf.Settings.readFrom` types them, and the generic
//! settings map every daemon starts from (the reference's code defaults, then the file).

use std::collections::BTreeMap;
use std::fmt;

use crate::error::Result;
use crate::ini::Ini;

/// One setting's value, with the Python type carbon gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Python `None` (only ever a code default; a file's literal `None` is a string).
    None,
    /// A boolean (keys whose default is a bool, read with `getboolean`).
    Bool(bool),
    /// A value `int()` accepts.
    Int(i64),
    /// A value `float()` accepts but `int()` does not (`inf`, `0.8`, `1e3`).
    Float(f64),
    /// Anything else, as written after interpolation.
    Str(String),
    /// Keys whose default is a list: split on `,`, each part stripped.
    List(Vec<String>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s),
            Value::List(l) => f.write_str(&l.join(", ")),
        }
    }
}

/// How `readFrom` types a key: by the type of its code default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Bool,
    /// `int()`, then `float()`, else the string.
    Auto,
}

/// carbon 1.1.10's code defaults (`carbon.conf.defaults`), in its order.
fn code_defaults() -> Vec<(&'static str, Value)> {
    use Value::{Bool as B, Float as F, Int as I, None as N};
    let s = |v: &str| Value::Str(v.to_owned());
    vec![
        ("USER", s("")),
        ("MAX_CACHE_SIZE", F(f64::INFINITY)),
        ("MAX_UPDATES_PER_SECOND", I(500)),
        ("MAX_CREATES_PER_MINUTE", F(f64::INFINITY)),
        ("MIN_TIMESTAMP_RESOLUTION", I(0)),
        ("MIN_TIMESTAMP_LAG", I(0)),
        ("LINE_RECEIVER_INTERFACE", s("0.0.0.0")),
        ("LINE_RECEIVER_PORT", I(2003)),
        ("ENABLE_UDP_LISTENER", B(false)),
        ("UDP_RECEIVER_INTERFACE", s("0.0.0.0")),
        ("UDP_RECEIVER_PORT", I(2003)),
        ("PICKLE_RECEIVER_INTERFACE", s("0.0.0.0")),
        ("PICKLE_RECEIVER_PORT", I(2004)),
        ("MAX_RECEIVER_CONNECTIONS", F(f64::INFINITY)),
        ("CACHE_QUERY_INTERFACE", s("0.0.0.0")),
        ("CACHE_QUERY_PORT", I(7002)),
        ("LOG_UPDATES", B(true)),
        ("LOG_CREATES", B(true)),
        ("LOG_CACHE_HITS", B(true)),
        ("LOG_CACHE_QUEUE_SORTS", B(true)),
        ("DATABASE", s("whisper")),
        ("WHISPER_AUTOFLUSH", B(false)),
        ("WHISPER_SPARSE_CREATE", B(false)),
        ("WHISPER_FALLOCATE_CREATE", B(false)),
        ("WHISPER_LOCK_WRITES", B(false)),
        ("WHISPER_FADVISE_RANDOM", B(false)),
        ("CERES_MAX_SLICE_GAP", I(80)),
        ("CERES_NODE_CACHING_BEHAVIOR", s("all")),
        ("CERES_SLICE_CACHING_BEHAVIOR", s("latest")),
        ("CERES_LOCK_WRITES", B(false)),
        ("MAX_DATAPOINTS_PER_MESSAGE", I(500)),
        ("MAX_AGGREGATION_INTERVALS", I(5)),
        ("FORWARD_ALL", B(true)),
        ("MAX_QUEUE_SIZE", I(1000)),
        ("QUEUE_LOW_WATERMARK_PCT", F(0.8)),
        ("TIME_TO_DEFER_SENDING", F(0.0001)),
        ("ENABLE_AMQP", B(false)),
        ("AMQP_METRIC_NAME_IN_BODY", B(false)),
        ("AMQP_VERBOSE", B(false)),
        ("AMQP_SPEC", N),
        ("BIND_PATTERNS", Value::List(vec!["#".into()])),
        ("GRAPHITE_URL", s("http://127.0.0.1:80")),
        ("ENABLE_TAGS", B(true)),
        ("SKIP_TAGS_FOR_NONTAGGED", B(true)),
        ("TAG_UPDATE_INTERVAL", I(100)),
        ("TAG_BATCH_SIZE", I(100)),
        ("TAG_QUEUE_SIZE", I(10000)),
        ("TAG_HASH_FILENAMES", B(true)),
        ("TAG_RELAY_NORMALIZED", B(false)),
        ("ENABLE_MANHOLE", B(false)),
        ("MANHOLE_INTERFACE", s("127.0.0.1")),
        ("MANHOLE_PORT", I(7222)),
        ("MANHOLE_USER", s("")),
        ("MANHOLE_PUBLIC_KEY", s("")),
        ("MANHOLE_HOST_KEY_DIR", s("")),
        ("RELAY_METHOD", s("rules")),
        ("DYNAMIC_ROUTER", B(false)),
        ("DYNAMIC_ROUTER_MAX_RETRIES", I(5)),
        ("ROUTER_HASH_TYPE", N),
        ("REPLICATION_FACTOR", I(1)),
        ("DIVERSE_REPLICAS", B(true)),
        ("DESTINATIONS", Value::List(Vec::new())),
        ("DESTINATION_PROTOCOL", s("pickle")),
        ("DESTINATION_TRANSPORT", s("none")),
        ("DESTINATION_SSL_CA", N),
        ("DESTINATION_POOL_REPLICAS", B(false)),
        ("USE_FLOW_CONTROL", B(true)),
        ("USE_INSECURE_UNPICKLER", B(false)),
        ("USE_WHITELIST", B(false)),
        ("CARBON_METRIC_PREFIX", s("carbon")),
        ("CARBON_METRIC_INTERVAL", I(60)),
        ("CACHE_WRITE_STRATEGY", s("sorted")),
        ("WRITE_BACK_FREQUENCY", N),
        ("MIN_RESET_STAT_FLOW", I(1000)),
        ("MIN_RESET_RATIO", F(0.9)),
        ("MIN_RESET_INTERVAL", I(121)),
        ("TCP_KEEPALIVE", B(true)),
        ("TCP_KEEPIDLE", I(10)),
        ("TCP_KEEPINTVL", I(30)),
        ("TCP_KEEPCNT", I(2)),
        ("USE_RATIO_RESET", B(false)),
        ("LOG_LISTENER_CONN_LOST", B(false)),
        ("LOG_LISTENER_CONN_SUCCESS", B(true)),
        ("LOG_AGGREGATOR_MISSES", B(true)),
        ("AGGREGATION_RULES", s("aggregation-rules.conf")),
        ("REWRITE_RULES", s("rewrite-rules.conf")),
        ("RELAY_RULES", s("relay-rules.conf")),
        ("ENABLE_LOGROTATION", B(true)),
        ("METRIC_CLIENT_IDLE_TIMEOUT", N),
        ("CACHE_METRIC_NAMES_MAX", I(0)),
        ("CACHE_METRIC_NAMES_TTL", I(0)),
        ("RAVEN_DSN", N),
        ("PICKLE_RECEIVER_MAX_LENGTH", I(1 << 20)),
    ]
}

/// Keys carbon reads (or its examples document) that have no code default: the paths, and
/// options only looked up when used. They are typed like unknown keys (int, float, string).
pub const EXTRA_KNOWN_KEYS: &[&str] = &[
    "STORAGE_DIR",
    "LOCAL_DATA_DIR",
    "WHITELISTS_DIR",
    "CONF_DIR",
    "LOG_DIR",
    "PID_DIR",
    "MAX_UPDATES_PER_SECOND_ON_SHUTDOWN",
    "PROTOBUF_RECEIVER_INTERFACE",
    "PROTOBUF_RECEIVER_PORT",
    "AMQP_HOST",
    "AMQP_PORT",
    "AMQP_VHOST",
    "AMQP_USER",
    "AMQP_PASSWORD",
    "AMQP_EXCHANGE",
    // The reference example's misspelling of DESTINATION_POOL_REPLICAS (no effect there).
    "DESTINATIONS_POOL_REPLICAS",
    "CACHE_SERVERS",
];

/// The settings map: upper-cased key → typed value. Starts as carbon's code defaults; each
/// [`Settings::read_from`] overlays one section of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    values: BTreeMap<String, Value>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new()
    }
}

impl Settings {
    /// carbon's code defaults.
    pub fn new() -> Settings {
        Settings {
            values: code_defaults()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        }
    }

    /// Overlays `section` of `ini` as `Settings.readFrom` does (nothing when the section is
    /// absent). Returns the upper-cased keys that were read, in `items()` order.
    pub fn read_from(&mut self, ini: &Ini, section: &str) -> Result<Vec<String>> {
        let Some(items) = ini.items(section)? else {
            return Ok(Vec::new());
        };
        let mut read = Vec::with_capacity(items.len());
        for (key, raw) in items {
            let key = key.to_uppercase();
            let value = type_value(&key, &raw, self.kind(&key))?;
            self.values.insert(key.clone(), value);
            read.push(key);
        }
        Ok(read)
    }

    fn kind(&self, key: &str) -> Kind {
        // The reference types by the *code default's* type, whatever the map holds now.
        match code_defaults().into_iter().find(|(k, _)| *k == key) {
            Some((_, Value::List(_))) => Kind::List,
            Some((_, Value::Bool(_))) => Kind::Bool,
            _ => Kind::Auto,
        }
    }

    /// The value of `key` (upper case), if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// Sets `key` (used for the derived paths and by tests).
    pub fn set(&mut self, key: &str, value: Value) {
        self.values.insert(key.to_owned(), value);
    }

    /// Sets `key` only when it is not set yet (Python's `setdefault`).
    pub fn set_default(&mut self, key: &str, value: Value) {
        self.values.entry(key.to_owned()).or_insert(value);
    }

    /// Every key and value, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Whether `key` is one carbon knows (a code default or one of [`EXTRA_KNOWN_KEYS`]).
    pub fn is_known_key(key: &str) -> bool {
        EXTRA_KNOWN_KEYS.contains(&key) || code_defaults().iter().any(|(k, _)| *k == key)
    }
}

fn type_value(key: &str, raw: &str, kind: Kind) -> Result<Value> {
    Ok(match kind {
        Kind::List => Value::List(raw.split(',').map(|s| s.trim().to_owned()).collect()),
        Kind::Bool => Value::Bool(parse_bool(raw).ok_or_else(|| crate::Error::InvalidValue {
            key: key.to_owned(),
            value: raw.to_owned(),
            reason: "not a boolean (1/yes/true/on or 0/no/false/off)".into(),
        })?),
        Kind::Auto => {
            if let Some(i) = py_int(raw) {
                Value::Int(i)
            } else if let Some(f) = py_float(raw) {
                Value::Float(f)
            } else {
                Value::Str(raw.to_owned())
            }
        }
    })
}

/// `ConfigParser.getboolean`'s words, case-insensitive.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// Removes Python's digit-group underscores (`1_000`), refusing misplaced ones.
fn strip_underscores(s: &str) -> Option<String> {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let before = i > 0 && b[i - 1].is_ascii_digit();
            let after = b.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(before && after) {
                return None;
            }
        }
    }
    Some(s.replace('_', ""))
}

/// Python's `int(s)` for ASCII input: optional sign, decimal digits, digit-group underscores,
/// surrounding whitespace. Values beyond i64 are not ints here (they fall through to float).
pub fn py_int(s: &str) -> Option<i64> {
    let t = strip_underscores(s.trim())?;
    let digits = t.strip_prefix(['+', '-']).unwrap_or(&t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Python's `float(s)`: decimal or exponent notation, `inf`/`infinity`/`nan` in any case,
/// optional sign and digit-group underscores, surrounding whitespace.
pub fn py_float(s: &str) -> Option<f64> {
    let t = strip_underscores(s.trim())?;
    let body = t.strip_prefix(['+', '-']).unwrap_or(&t);
    let lower = body.to_ascii_lowercase();
    let word = matches!(lower.as_str(), "inf" | "infinity" | "nan");
    // Rust accepts the same grammar, but also some spellings Python does not; check the
    // characters first so only decimal forms reach `parse`.
    let decimal = !body.is_empty()
        && body.bytes().any(|c| c.is_ascii_digit())
        && body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if word || decimal {
        t.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, section: &str) -> Settings {
        let mut s = Settings::new();
        s.read_from(&Ini::parse(text).unwrap(), section).unwrap();
        s
    }

    #[test]
    fn typing_by_default_type() {
        let s = read(
            "[cache]\nMAX_CACHE_SIZE = inf\nLINE_RECEIVER_PORT = 2103\nLOG_UPDATES = Off\n\
             DESTINATIONS = a:1 , b:2,\nMETRIC_CLIENT_IDLE_TIMEOUT = None\n\
             QUEUE_LOW_WATERMARK_PCT = 1_0.5\nUNKNOWN = 0x10\nUSER = 7\nENABLE_TAGS = 1\n",
            "cache",
        );
        assert_eq!(s.get("MAX_CACHE_SIZE"), Some(&Value::Float(f64::INFINITY)));
        assert_eq!(s.get("LINE_RECEIVER_PORT"), Some(&Value::Int(2103)));
        assert_eq!(s.get("LOG_UPDATES"), Some(&Value::Bool(false)));
        assert_eq!(
            s.get("DESTINATIONS"),
            Some(&Value::List(vec![
                "a:1".into(),
                "b:2".into(),
                String::new()
            ]))
        );
        assert_eq!(
            s.get("METRIC_CLIENT_IDLE_TIMEOUT"),
            Some(&Value::Str("None".into()))
        );
        assert_eq!(s.get("QUEUE_LOW_WATERMARK_PCT"), Some(&Value::Float(10.5)));
        assert_eq!(s.get("UNKNOWN"), Some(&Value::Str("0x10".into())));
        assert_eq!(s.get("USER"), Some(&Value::Int(7)));
        assert_eq!(s.get("ENABLE_TAGS"), Some(&Value::Bool(true)));
        // Untouched keys keep the code default.
        assert_eq!(s.get("MAX_UPDATES_PER_SECOND"), Some(&Value::Int(500)));
        assert_eq!(s.get("AMQP_SPEC"), Some(&Value::None));
    }

    #[test]
    fn bad_boolean_names_the_key() {
        let mut s = Settings::new();
        let ini = Ini::parse("[cache]\nuse_flow_control = maybe\n").unwrap();
        let err = s.read_from(&ini, "cache").unwrap_err().to_string();
        assert!(err.contains("USE_FLOW_CONTROL"), "{err}");
    }

    #[test]
    fn python_numbers() {
        assert_eq!(py_int(" -12 "), Some(-12));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("1.0"), None);
        assert_eq!(py_float("1e3"), Some(1000.0));
        assert_eq!(py_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(py_float("NaN").unwrap().is_nan());
        assert_eq!(py_float(".5"), Some(0.5));
        assert_eq!(py_float("5."), Some(5.0));
        assert_eq!(py_float("infin"), None);
        assert_eq!(py_float("0x1p3"), None);
        assert_eq!(py_float(""), None);
    }
}
