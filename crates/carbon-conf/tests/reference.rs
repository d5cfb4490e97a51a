//! Interop: carbon 1.1.10's own loaders (run in the reference virtualenv by
//! `tests/reference/conf_ref.py`) and ours read the same files and must agree.
//!
//! The Python is `$GRAPHITE_REFERENCE_PYTHON`, else `<workspace>/.venv-ref/bin/python`; these
//! tests fail (they do not skip) when it is missing: run `bash scripts/reference-venv.sh`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use carbon_conf::ini::Ini;
use carbon_conf::{
    read_config, AggregationSchemas, CacheSettings, LoadOptions, PathDefaults, RegexList,
    RewriteRules, Settings, StorageSchemas, Value,
};
use serde_json::{json, Value as Json};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn python() -> PathBuf {
    reference_python::python()
}

fn reference(req: &Json) -> Json {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/conf_ref.py");
    let mut child = Command::new(python())
        .arg(script)
        .current_dir(std::env::temp_dir())
        .env_remove("GRAPHITE_ROOT")
        .env_remove("GRAPHITE_CONF_DIR")
        .env_remove("GRAPHITE_STORAGE_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the reference python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(req.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
    let Some(last) = last else {
        panic!(
            "no answer from the reference: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    serde_json::from_str(last).unwrap_or_else(|e| panic!("bad answer {last:?}: {e}"))
}

fn ref_conf(name: &str) -> PathBuf {
    workspace().join(".venv-ref/conf").join(name)
}

fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Our value in the reference's encoding, compared semantically for floats.
fn same_value(ours: &Value, theirs: &Json) -> bool {
    let tag = theirs[0].as_str().unwrap();
    match (ours, tag) {
        (Value::None, "none") => true,
        (Value::Bool(b), "bool") => theirs[1].as_bool() == Some(*b),
        (Value::Int(i), "int") => theirs[1].as_str() == Some(&i.to_string()),
        (Value::Float(f), "float") => {
            let t: f64 = theirs[1].as_str().unwrap().parse().unwrap();
            t.to_bits() == f.to_bits() || (t.is_nan() && f.is_nan())
        }
        (Value::Str(s), "str") => theirs[1].as_str() == Some(s),
        (Value::List(l), "list") => {
            let t: Vec<&str> = theirs[1]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            t == *l
        }
        _ => false,
    }
}

fn our_settings(path: &Path, sections: &[&str]) -> Result<Settings, String> {
    let ini = Ini::read(path).map_err(|e| e.to_string())?;
    let mut s = Settings::new();
    for section in sections {
        s.read_from(&ini, section).map_err(|e| e.to_string())?;
    }
    Ok(s)
}

fn compare_settings(path: &Path, sections: &[&str]) {
    let theirs = reference(&json!({"mode": "settings", "path": path, "sections": sections}));
    let ours = our_settings(path, sections);
    let ctx = format!("{} {sections:?}", path.display());
    match (ours, theirs.get("error")) {
        (Err(_), Some(_)) => {}
        (Err(e), None) => panic!("{ctx}: we fail ({e}), the reference reads it"),
        (Ok(_), Some(e)) => panic!("{ctx}: the reference fails ({e}), we read it"),
        (Ok(ours), None) => {
            let theirs = theirs.as_object().unwrap();
            let our_keys: Vec<&str> = ours.iter().map(|(k, _)| k).collect();
            let mut their_keys: Vec<&str> = theirs.keys().map(String::as_str).collect();
            their_keys.sort_unstable();
            assert_eq!(our_keys, their_keys, "{ctx}: key sets");
            for (k, v) in ours.iter() {
                assert!(
                    same_value(v, &theirs[k]),
                    "{ctx}: {k}: ours {v:?}, theirs {}",
                    theirs[k]
                );
            }
        }
    }
}

const TRICKY_CONF: &str = "\
[DEFAULT]
base = /srv/graphite
LOG_UPDATES = no

[cache]
STORAGE_DIR = %(base)s/storage
LOCAL_DATA_DIR = %(storage_dir)s/whisper
max_cache_size = inf
MAX_CREATES_PER_MINUTE = 1e3
MAX_UPDATES_PER_SECOND: 250
METRIC_CLIENT_IDLE_TIMEOUT = None
DESTINATIONS = a:1, b:2 ,c:3:x
BIND_PATTERNS =
ENABLE_TAGS = On
TAG_HASH_FILENAMES = 0
USER = 123
GRAPHITE_URL = http://x:8080/%%7e
MIN_TIMESTAMP_LAG = -5
QUEUE_LOW_WATERMARK_PCT = .5
WHATEVER = 1_000
NEGATIVE_INF = -Infinity
NOT_A_NUMBER = nan
HEX = 0x10
MULTI = line1
   line2

   line3
; a comment
# another = 1
[cache:b]
CACHE_QUERY_PORT = 7102
LOG_UPDATES = yes
MAX_CACHE_SIZE = -inf
STORAGE_DIR = /elsewhere

[relay]
DESTINATIONS =
";

#[test]
fn carbon_conf_settings_match_the_reference() {
    let example = ref_conf("carbon.conf.example");
    for sections in [
        &["cache"][..],
        &["relay"],
        &["aggregator"],
        &["cache", "cache:b"],
        &["nonexistent"],
    ] {
        compare_settings(&example, sections);
    }
    let ours = workspace().join("conf/carbon.conf.example");
    compare_settings(&ours, &["cache", "cache:a"]);
    compare_settings(&ours, &["relay"]);

    let dir = tempfile::tempdir().unwrap();
    let tricky = write_temp(dir.path(), "tricky.conf", TRICKY_CONF);
    for sections in [&["cache"][..], &["cache", "cache:b"], &["relay"]] {
        compare_settings(&tricky, sections);
        assert!(our_settings(&tricky, sections).is_ok());
    }
    // Every one of these is an error on both sides.
    for (i, text) in [
        "[cache]\nGRAPHITE_URL = 50%\n",
        "[cache]\nA = %(missing)s\n",
        "[cache]\nA = %(a)s\n",
        "[cache]\nUSE_FLOW_CONTROL = maybe\n",
        "[cache]\nA = 1\na = 2\n",
        "[cache]\n[cache]\n",
        "A = 1\n[cache]\n",
        "[cache]\njunk line\n",
        "[DEFAULT]\nA = 5%\n[cache]\n",
    ]
    .iter()
    .enumerate()
    {
        let p = write_temp(dir.path(), &format!("bad{i}.conf"), text);
        compare_settings(&p, &["cache"]);
        assert!(our_settings(&p, &["cache"]).is_err(), "{text}");
    }
}

#[test]
fn carbon_conf_paths_match_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let tricky = write_temp(dir.path(), "carbon.conf", TRICKY_CONF);
    let cases = [
        (ref_conf("carbon.conf.example"), "a"),
        (ref_conf("carbon.conf.example"), "b"),
        (workspace().join("conf/carbon.conf.example"), "a"),
        (tricky.clone(), "a"),
        (tricky, "b"),
    ];
    for (path, instance) in cases {
        let theirs = reference(&json!({
            "mode": "read_config", "path": path, "instance": instance, "root": "/graphite-root"
        }));
        let loaded = read_config(
            "carbon-cache",
            &LoadOptions {
                config: Some(path.clone()),
                instance: Some(instance.into()),
                ..LoadOptions::default()
            },
            &PathDefaults {
                graphite_root: "/graphite-root".into(),
                conf_dir: None,
                storage_dir: None,
            },
        )
        .unwrap();
        for key in [
            "STORAGE_DIR",
            "LOCAL_DATA_DIR",
            "WHITELISTS_DIR",
            "CONF_DIR",
            "LOG_DIR",
            "PID_DIR",
        ] {
            let ours = Path::new(&loaded.settings.get(key).unwrap().to_string()).to_owned();
            let t = Path::new(theirs[key].as_str().unwrap()).to_owned();
            assert_eq!(ours, t, "{} {instance} {key}", path.display());
        }
        assert_eq!(
            loaded.pidfile,
            Path::new(theirs["pidfile"].as_str().unwrap()),
            "{} {instance}",
            path.display()
        );
    }
}

#[test]
fn every_shipped_example_loads() {
    let conf = workspace().join("conf");
    let (cache, warnings) = CacheSettings::load(
        &LoadOptions {
            config: Some(conf.join("carbon.conf.example")),
            instance: Some("a".into()),
            ..LoadOptions::default()
        },
        &PathDefaults {
            graphite_root: workspace(),
            conf_dir: None,
            storage_dir: None,
        },
    )
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(cache.line_receiver_port, 2003);
    assert_eq!(cache.max_creates_per_minute, Some(50.0));
    assert_eq!(cache.conf_dir, conf);
    assert_eq!(cache.local_data_dir, workspace().join("storage/whisper"));
    for section in ["relay", "aggregator"] {
        let ini = Ini::read(&conf.join("carbon.conf.example")).unwrap();
        Settings::new().read_from(&ini, section).unwrap();
    }
    let s = StorageSchemas::load(&conf.join("storage-schemas.conf.example")).unwrap();
    assert!(s.messages.is_empty(), "{:?}", s.messages);
    assert_eq!(s.match_metric("carbon.agents.x.cpuUsage").name, "carbon");
    assert_eq!(s.match_metric("servers.web1.load").archives.len(), 3);
    let a = AggregationSchemas::load(&conf.join("storage-aggregation.conf.example")).unwrap();
    assert!(a.messages.is_empty(), "{:?}", a.messages);
    assert_eq!(a.schemas.len(), 5);
    let w = RegexList::load(&conf.join("whitelist.conf.example")).unwrap();
    assert!(w.messages.is_empty() && w.matches("anything"));
    let b = RegexList::load(&conf.join("blacklist.conf.example")).unwrap();
    assert!(b.messages.is_empty() && b.matches("a..b") && !b.matches("a.b"));
}

const METRICS: &[&str] = &[
    "carbon.agents.host-a.cpuUsage",
    "xcarbon.y",
    "servers.web1.load.min",
    "servers.web1.load.max",
    "stats.count",
    "only.thing",
    "a.b.c",
    "cpu;host=a;dc=b",
    "",
];

const TRICKY_SCHEMAS: &str = "\
[DEFAULT]
retentions = 10s:1d

[noretentions]
pattern = ^x

[nopattern]
retentions = 60:10

[empty_pattern]
pattern =
retentions = 60:10

[invalid]
pattern = ^bad
retentions = 60:10,90:10

[same_precision]
pattern = ^same
retentions = 60:10,60:20

[tagged]
pattern = ;host=
retentions = 1m:1d, 5m:30d

[inherits]
pattern = ^servers\\.
  # a continuation of nothing, then a comment

[carbon]
pattern = ^carbon\\.
retentions = 60:90d

[class]
pattern = ^[a-c]\\.b\\.c$
retentions = 1s:1h,1m:1d,1h:1y,1d:5y
";

fn compare_schemas(path: &Path) {
    let theirs = reference(&json!({"mode": "schemas", "path": path, "metrics": METRICS}));
    let ctx = path.display().to_string();
    let ours = match (StorageSchemas::load(path), theirs.get("error")) {
        (Err(_), Some(_)) => return,
        (Err(e), None) => panic!("{ctx}: we fail ({e}), the reference reads it"),
        (Ok(_), Some(e)) => panic!("{ctx}: the reference fails ({e}), we read it"),
        (Ok(o), None) => o,
    };
    let ours_list: Vec<Json> = ours
        .schemas
        .iter()
        .map(|s| {
            let a: Vec<Json> = s
                .archives
                .iter()
                .map(|a| json!([a.seconds_per_point, a.points]))
                .collect();
            json!([s.name, a])
        })
        .collect();
    assert_eq!(Json::from(ours_list), theirs["schemas"], "{ctx}");
    for (i, m) in METRICS.iter().enumerate() {
        assert_eq!(
            ours.match_metric(m).name,
            theirs["matches"][i],
            "{ctx}: {m}"
        );
    }
}

#[test]
fn storage_schemas_match_the_reference() {
    compare_schemas(&ref_conf("storage-schemas.conf.example"));
    compare_schemas(&workspace().join("conf/storage-schemas.conf.example"));
    let dir = tempfile::tempdir().unwrap();
    let tricky = write_temp(dir.path(), "tricky.conf", TRICKY_SCHEMAS);
    compare_schemas(&tricky);
    assert_eq!(StorageSchemas::load(&tricky).unwrap().schemas.len(), 6);
    for (i, text) in [
        "[a]\npattern = x\nretentions = 1min:1d\n",
        "[a]\npattern = x\nretentions = 60:1sec\n",
        "[a]\npattern = x\nretentions = 60:1d:2\n",
        "[a]\npattern = x\nretentions =\n",
        "[a]\npattern = x\nretentions = 60:1d,\n",
        "[a]\npattern = x\nretentions = 1H:1d\n",
        "[a]\nretentions = 1q:1d\n",
        "[a]\npattern = (x\nretentions = 60:1d\n",
        "[a]\npattern = x\n[a]\n",
        "",
    ]
    .iter()
    .enumerate()
    {
        compare_schemas(&write_temp(dir.path(), &format!("s{i}.conf"), text));
    }
}

const TRICKY_AGGREGATION: &str = "\
[bad_xff]
pattern = .*
xFilesFactor = half

[no_pattern]
XFILESFACTOR = 0.3

[min]
pattern = \\.min$
xFilesFactor = 0.1
aggregationMethod = min

[only_xff]
pattern = ^only\\.
xFilesFactor = 0

[only_method]
Pattern = count$
AggregationMethod = sum

[exp]
pattern = ^a\\.
xFilesFactor = 1e-1
";

fn compare_aggregation(path: &Path) {
    let theirs = reference(&json!({"mode": "aggregation", "path": path, "metrics": METRICS}));
    let ctx = path.display().to_string();
    let ours = match (AggregationSchemas::load(path), theirs.get("error")) {
        (Err(_), Some(_)) => return,
        (Err(e), None) => panic!("{ctx}: we fail ({e}), the reference reads it"),
        (Ok(_), Some(e)) => panic!("{ctx}: the reference fails ({e}), we read it"),
        (Ok(o), None) => o,
    };
    let theirs_list = theirs["schemas"].as_array().unwrap();
    assert_eq!(ours.schemas.len(), theirs_list.len(), "{ctx}");
    for (o, t) in ours.schemas.iter().zip(theirs_list) {
        assert_eq!(o.name, t[0], "{ctx}");
        let xff = o.x_files_factor.map_or(Value::None, Value::Float);
        assert!(
            same_value(&xff, &t[1]),
            "{ctx}: {} xff {xff:?} vs {}",
            o.name,
            t[1]
        );
        let method = o
            .aggregation_method
            .map_or(Value::None, |m| Value::Str(m.name().into()));
        assert!(same_value(&method, &t[2]), "{ctx}: {} method", o.name);
    }
    for (i, m) in METRICS.iter().enumerate() {
        assert_eq!(
            ours.match_metric(m).name,
            theirs["matches"][i],
            "{ctx}: {m}"
        );
    }
}

#[test]
fn storage_aggregation_matches_the_reference() {
    compare_aggregation(&ref_conf("storage-aggregation.conf.example"));
    compare_aggregation(&workspace().join("conf/storage-aggregation.conf.example"));
    let dir = tempfile::tempdir().unwrap();
    let tricky = write_temp(dir.path(), "tricky.conf", TRICKY_AGGREGATION);
    compare_aggregation(&tricky);
    assert_eq!(AggregationSchemas::load(&tricky).unwrap().schemas.len(), 5);
    compare_aggregation(&dir.path().join("missing.conf"));
    for (i, text) in [
        "[a]\npattern = x\nxFilesFactor = 1.5\n",
        "[a]\npattern = x\nxFilesFactor = -0.1\n",
        "[a]\npattern = x\nxFilesFactor = nan\n",
        "[a]\npattern = x\naggregationMethod = Average\n",
        "[a]\naggregationMethod = median\n",
        "[a]\npattern = x\nxFilesFactor = inf\n",
    ]
    .iter()
    .enumerate()
    {
        compare_aggregation(&write_temp(dir.path(), &format!("a{i}.conf"), text));
    }
}

#[test]
fn regex_lists_match_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let tricky = write_temp(
        dir.path(),
        "list.conf",
        "# comment\n\n   \n  # indented: a pattern\n^servers\\.\n(unclosed\n\\.count$\n[a-c]x\n\
         end\\Z\n{literal}\n^q{,2}$\n[[]\n",
    );
    let names = [
        "servers.a",
        "a.count",
        "bx",
        "zz",
        "x  # indented: a pattern",
        "a..b",
    ];
    for path in [
        ref_conf("whitelist.conf.example"),
        ref_conf("blacklist.conf.example"),
        workspace().join("conf/blacklist.conf.example"),
        tricky,
        dir.path().join("missing.conf"),
    ] {
        let theirs = reference(&json!({"mode": "list", "path": path, "metrics": names}));
        let ours = RegexList::load(&path).unwrap();
        assert_eq!(
            ours.patterns.len() as u64,
            theirs["count"].as_u64().unwrap()
        );
        for (i, n) in names.iter().enumerate() {
            assert_eq!(
                ours.matches(n),
                theirs["matches"][i].as_bool().unwrap(),
                "{} {n}",
                path.display()
            );
        }
    }
}

#[test]
fn rewrite_rules_read_and_applied_as_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(
        dir.path(),
        "rewrite-rules.conf",
        "before.any = never\n\
         # a comment\n\
         \x20 # an indented comment\n\
         [PRE]\n\
         ^collectd\\. = \n\
         \\.cpu-(\\d+)\\. = .cpu\\1.\n\
         (?P<host>web\\d+)\\.(?P<what>\\w+) = \\g<what>.\\g<host>.\\g<0>\n\
         a=b = c\n\
         \\.{2,} = .\n\
         [post]\n\
         _(sum|count)$ = .\\1\n\
         x = \\t\\101\\\\\\.\n\
         o* = -\n\
         [pre]\n\
         ^collectd\\. = \n\
         \\.cpu-(\\d+)\\. = .cpu\\1.\n\
         (o)(z)? = [\\2\\1]\n",
    );
    let names = [
        "collectd.host.cpu-0.idle",
        "collectd.web01.load.cpu-12.x",
        "a.b..c...d",
        "foo_sum",
        "box_count",
        "plain",
        "a=b",
    ];
    let theirs = reference(&json!({"mode": "rewrite", "path": path, "metrics": names}));
    let ours = RewriteRules::load(&path).unwrap();
    assert!(ours.messages.is_empty(), "{:?}", ours.messages);
    for section in ["pre", "post"] {
        assert_eq!(
            ours.section(section).len() as u64,
            theirs["counts"][section].as_u64().unwrap(),
            "{section}"
        );
        for (i, n) in names.iter().enumerate() {
            assert_eq!(
                ours.apply(section, n),
                theirs[section][i].as_str().unwrap(),
                "[{section}] {n}"
            );
        }
    }
}
