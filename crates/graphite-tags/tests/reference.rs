//! Compares this crate with the reference's `carbon.util.TaggedSeries` (carbon 1.1.10) and
//! graphite-web's `graphite.tags.utils.TaggedSeries` on a large table of tricky names: parse
//! (normal form, metric, tags, error message), encode with `hash_only` true and false, decode.
//!
//! Needs the reference virtualenv (`scripts/reference-venv.sh`); fails when it is missing.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use graphite_tags::{decode, encode, TaggedSeries};
use serde_json::{json, Value};

fn reference_python() -> PathBuf {
    reference_python::python()
}

const SCRIPT: &str = r#"
import json, sys
from carbon.util import TaggedSeries
try:
    from graphite.tags.utils import TaggedSeries as WebSeries
except Exception:
    WebSeries = None

def parse(cls, name):
    try:
        s = cls.parse(name)
        return {"path": s.path, "metric": s.metric, "tags": s.tags}
    except Exception as e:
        return {"error": str(e)}

out = []
for name in json.load(sys.stdin):
    r = {"parse": parse(TaggedSeries, name)}
    if WebSeries is not None:
        r["web"] = parse(WebSeries, name)
    r["hash"] = TaggedSeries.encode(name, "/", hash_only=True)
    r["plain"] = TaggedSeries.encode(name, "/", hash_only=False)
    r["dots"] = TaggedSeries.encode(name)
    r["decode"] = TaggedSeries.decode(r["plain"], "/")
    out.append(r)
json.dump(out, sys.stdout)
"#;

fn ours(name: &str) -> Value {
    let parse = |web: bool| match TaggedSeries::parse(name) {
        Ok(s) => json!({"path": s.path(), "metric": s.metric(), "tags": s.tags()}),
        Err(e) if web => json!({"error": e.graphite_web_message()}),
        Err(e) => json!({"error": e.to_string()}),
    };
    let plain = encode(name, '/', false);
    json!({
        "parse": parse(false),
        "web": parse(true),
        "hash": encode(name, '/', true),
        "plain": plain,
        "dots": encode(name, '.', false),
        "decode": decode(&plain, '/'),
    })
}

/// Hand-picked names: every rule and error of both forms, plus path oddities.
fn hand_table() -> Vec<String> {
    let names: &[&str] = &[
        "",
        "a",
        "a.b.c",
        "~foo.bar",
        "~~",
        "~",
        "~;a=b",
        "..lead.dots",
        "a..b",
        "trailing.",
        ".",
        "/",
        "/etc/passwd",
        "a/../../b",
        "nul\0byte",
        "a b\tc",
        "ünïcödé.métric;tâg=välue",
        "foo.tag;z=1;a=2",
        "a.b;a=2;a.b=1",
        "some.metric;tag1=value2;tag2=value.2",
        "m;a=1;a=2",
        "m;name=x",
        "m;name=x;b=1",
        "m;",
        ";",
        ";a=b",
        "m;a",
        "m;=b",
        "m;a=",
        "m;a==",
        "m;a=b=c",
        "m;a!=b",
        "m;a^=b",
        "m;a^!=b",
        "m;a=~b",
        "m;a=b~",
        "m;~a=b",
        "m;a=b;;c=d",
        "m;z=1;a=\"}",
        "m{;z=\"};a=1",
        "m{;a=\"};z=1",
        "m{a=\"1\"}",
        "m{b=\"2\",a=\"1\"}",
        "m{a=\"1\",a=\"2\"}",
        "m{a=\"1\":,b=\"2\"}",
        "m{a=\"1\";b=\"2\"}",
        "m{a=\"1\"b=\"2\"}",
        "m{a=\"1\",}",
        "m{a=\"\"}",
        "m{=\"1\"}",
        "m{a=1}",
        "m{a=\"x\\\"y\"}",
        "m{a=\"x\\\\y\"}",
        "m{a=\"x\\\\\\\"y\"}",
        "m{a=\"x\\y\"}",
        "m{a=\"x\\\"}",
        "m{a=\"x;y\"}",
        "m{a=\"~x\"}",
        "m{a!=\"x\"}",
        "m{a;b=\"x\"}",
        "m{name=\"x\"}",
        "m{{a=\"1\"}",
        "m{a=\"{\"}",
        "{a=\"1\"}",
        "~{a=\"1\"}",
        "~m{a=\"1\"}",
        "a;b=c{x=\"y\"}",
        "a;b=2{b=\"1\"}",
        "m{\"}",
        "\"}",
        "{\"}",
        "m{a=\"1\"}}",
        "m{a=\"b\nc\"}",
        "m{a\n=\"b\"}",
        "m{a=\"é\",b=\"ü\"}",
        "m;a=b\n",
        "m;a=é.b",
    ];
    names.iter().map(|s| s.to_string()).collect()
}

/// Deterministic pseudo-random names over the characters the parsers care about.
fn generated_table(n: usize) -> Vec<String> {
    const ALPHABET: &[&str] = &[
        "a", "b", "c", ".", ";", "=", "~", "{", "}", "\"", "\\", ",", ":", "!", "^", "/", "é",
        "\"}", ";a=", "=\"", "\",", "{a=\"",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let len = (next() % 12) as usize;
            let mut s = String::new();
            if next() % 3 == 0 {
                s.push('m');
            }
            for _ in 0..len {
                s.push_str(ALPHABET[(next() % ALPHABET.len() as u64) as usize]);
            }
            if next() % 3 == 0 {
                s.push_str("\"}");
            }
            s
        })
        .collect()
}

#[test]
fn matches_reference_tagged_series() {
    let mut names = hand_table();
    names.extend(generated_table(4000));

    let mut child = Command::new(reference_python())
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the reference python");
    let input = serde_json::to_vec(&names).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "reference script failed");
    let theirs: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(theirs.len(), names.len());
    let mut parsed_ok = 0;
    for (name, theirs) in names.iter().zip(&theirs) {
        assert!(
            theirs.get("web").is_some(),
            "graphite-web's TaggedSeries is not importable"
        );
        let ours = ours(name);
        assert_eq!(&ours, theirs, "name {name:?}");
        parsed_ok += usize::from(theirs["parse"].get("path").is_some());
    }
    // The table must exercise both outcomes substantially.
    assert!(parsed_ok > 300, "only {parsed_ok} names parsed");
    assert!(names.len() - parsed_ok > 300);
}
