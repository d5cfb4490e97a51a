//! Interop with the reference rings (carbon 1.1.10's `carbon/hashing.py` and graphite-web
//! 1.1.10's `graphite/render/hashing.py` on CPython 3.11, from `.venv-ref`): ring entries,
//! `get_node`, `get_nodes` and graphite-web's `REPLICATION_FACTOR` candidates for thousands of
//! keys over several node lists. The Python side is `tests/reference/ring_ref.py`. These tests
//! fail (they do not skip) when the reference is not installed: run
//! `scripts/reference-venv.sh`.
//!
//! `mmh3_ch` needs the `mmh3` module, which the reference virtualenv does not have; its rings
//! are compared with `tests/data/mmh3_golden.json`, made by the ignored
//! `regenerate_mmh3_golden` test with mmh3 5.3.1 on the `PYTHONPATH`.

use std::path::PathBuf;
use std::process::Command;

use carbon_hashing::{py_str_repr, ConsistentHashRing, HashType, Node};
use serde_json::{json, Value};

fn run(mode: &str, input: &Value, extra_pythonpath: Option<&str>) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/ring_ref.py");
    let mut cmd = Command::new(reference_python::python());
    cmd.arg(script).arg(mode);
    if let Some(p) = extra_pythonpath {
        cmd.env("PYTHONPATH", p);
    }
    let out = reference_python::run_with_input(&mut cmd, input.to_string().as_bytes());
    serde_json::from_slice(&out).expect("json from python")
}

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Metric-like keys: dotted names, tagged names, odd characters, the empty string.
fn keys(seed: u64, count: usize) -> Vec<String> {
    const ALPHABET: &[&str] = &[
        "a", "b", "z", "0", "9", "_", "-", "é", "ß", "→", "日", "😀", "'", "\"", "\\", " ", "=",
        ";", "~", "\u{a0}",
    ];
    let mut rng = Rng(seed);
    let mut out = vec![
        String::new(),
        "foo.bar".to_owned(),
        "carbon.agents.a.cpu".to_owned(),
        "a.b;tag=v".to_owned(),
    ];
    while out.len() < count {
        let parts = 1 + rng.below(5);
        let mut key = String::new();
        for p in 0..parts {
            if p > 0 {
                key.push('.');
            }
            let len = 1 + rng.below(10);
            for _ in 0..len {
                // Mostly ASCII letters, sometimes anything from the alphabet.
                if rng.below(4) == 0 {
                    key.push_str(ALPHABET[rng.below(ALPHABET.len())]);
                } else {
                    key.push((b'a' + rng.below(26) as u8) as char);
                }
            }
        }
        out.push(key);
    }
    out
}

fn node_json(n: &Node) -> Value {
    json!([n.server, n.instance])
}

fn node_from_json(v: &Value) -> Node {
    Node {
        server: v[0].as_str().expect("server").to_owned(),
        instance: v[1].as_str().map(str::to_owned),
    }
}

fn nodes(list: &[(&str, Option<&str>)]) -> Vec<Node> {
    list.iter().map(|&(s, i)| Node::new(s, i)).collect()
}

/// The node lists compared, for every hash type.
fn node_lists() -> Vec<(Vec<Node>, Vec<Node>)> {
    let mut many = Vec::new();
    for h in 0..10 {
        for i in ["a", "b"] {
            many.push(Node::new(format!("10.0.0.{h}"), Some(i)));
        }
    }
    vec![
        (nodes(&[("127.0.0.1", None)]), vec![]),
        (
            nodes(&[
                ("127.0.0.1", Some("a")),
                ("127.0.0.1", Some("b")),
                ("10.0.0.2", None),
            ]),
            vec![],
        ),
        (
            nodes(&[
                ("::1", None),
                ("fe80::1", Some("x")),
                ("2001:db8::2", Some("y")),
                ("2001:db8::3", Some("")),
            ]),
            vec![],
        ),
        (many.clone(), vec![]),
        // Removal, then the collisions it leaves behind.
        (
            many,
            nodes(&[("10.0.0.3", Some("a")), ("10.0.0.7", Some("b"))]),
        ),
        // repr() quoting and escaping in carbon_ch replica keys.
        (
            nodes(&[
                ("it's", None),
                ("a\"b", Some("c'd")),
                ("héllo\\", Some("\u{2028}\t")),
                ("h", Some("")),
            ]),
            vec![],
        ),
        // The same node twice: a second set of entries (fnv1a_ch: shared instance names).
        (
            nodes(&[
                ("a", Some("1")),
                ("b", Some("1")),
                ("a", Some("1")),
                ("c", Some("2")),
            ]),
            vec![],
        ),
    ]
}

fn cases(hash_type: HashType, keys_per_case: usize) -> Value {
    let cases: Vec<Value> = node_lists()
        .into_iter()
        .enumerate()
        .map(|(i, (add, remove))| {
            json!({
                "hash_type": hash_type.name(),
                "nodes": add.iter().map(node_json).collect::<Vec<_>>(),
                "remove": remove.iter().map(node_json).collect::<Vec<_>>(),
                "keys": keys(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1), keys_per_case),
                "rf": [1, 2, 3],
            })
        })
        .collect();
    json!({ "cases": cases })
}

/// One case's answers with nodes written as their index in the case's node list:
/// `{"entries": [[position, node]...], "get_node": [node|null...], "nodes": [[node...]...],
/// "diverse": {"1": [[node...]...], ...}}`. The reference yields a ring's only node twice;
/// `nodes` keeps each node once (we yield it once).
fn compact(case: &Value, answer: &Value) -> Value {
    let mut index: Vec<Node> = Vec::new();
    for n in case["nodes"].as_array().expect("nodes") {
        let n = node_from_json(n);
        if !index.contains(&n) {
            index.push(n);
        }
    }
    let idx = |v: &Value| -> Value {
        let n = node_from_json(v);
        json!(index.iter().position(|m| *m == n).expect("known node"))
    };
    let list = |v: &Value| -> Value {
        let mut seen: Vec<Value> = Vec::new();
        for n in v.as_array().expect("node list") {
            let i = idx(n);
            if !seen.contains(&i) {
                seen.push(i);
            }
        }
        Value::from(seen)
    };
    let entries: Vec<Value> = answer["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| json!([e[0], idx(&json!([e[1], e[2]]))]))
        .collect();
    let get_node: Vec<Value> = answer["get_node"]
        .as_array()
        .expect("get_node")
        .iter()
        .map(|n| if n.is_null() { Value::Null } else { idx(n) })
        .collect();
    let nodes: Vec<Value> = answer["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(list)
        .collect();
    let diverse: serde_json::Map<String, Value> = answer["diverse"]
        .as_object()
        .expect("diverse")
        .iter()
        .map(|(rf, lists)| {
            let lists: Vec<Value> = lists.as_array().expect("lists").iter().map(list).collect();
            (rf.clone(), Value::from(lists))
        })
        .collect();
    json!({ "entries": entries, "get_node": get_node, "nodes": nodes, "diverse": diverse })
}

/// Our answers to a case, in the reference's (uncompacted) shape.
fn ours(case: &Value) -> Value {
    let hash_type: HashType = case["hash_type"]
        .as_str()
        .expect("hash type")
        .parse()
        .expect("known hash type");
    let mut ring = ConsistentHashRing::new(hash_type);
    for n in case["nodes"].as_array().expect("nodes") {
        ring.add_node(node_from_json(n));
    }
    for n in case["remove"].as_array().expect("remove") {
        ring.remove_node(&node_from_json(n));
    }
    let keys: Vec<&str> = case["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k.as_str().expect("key"))
        .collect();
    let entries: Vec<Value> = ring
        .entries()
        .map(|(p, n)| json!([p, n.server, n.instance]))
        .collect();
    let get_node: Vec<Value> = keys
        .iter()
        .map(|k| ring.get_node(k).map_or(Value::Null, node_json))
        .collect();
    let nodes: Vec<Value> = keys
        .iter()
        .map(|k| Value::from(ring.get_nodes(k).map(node_json).collect::<Vec<_>>()))
        .collect();
    let mut diverse = serde_json::Map::new();
    for rf in case["rf"].as_array().expect("rf") {
        let rf = rf.as_u64().expect("rf") as usize;
        let lists: Vec<Value> = keys
            .iter()
            .map(|k| {
                let picked = ring.get_diverse_nodes(k, rf);
                Value::from(picked.into_iter().map(node_json).collect::<Vec<_>>())
            })
            .collect();
        diverse.insert(rf.to_string(), Value::from(lists));
    }
    json!({ "entries": entries, "get_node": get_node, "nodes": nodes, "diverse": diverse })
}

/// Checks our ring against one reference module's compacted answers, case by case and key
/// by key so a failure names the key.
fn compare(request: &Value, answers: &[Value], module: &str) {
    let cases = request["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), answers.len());
    for (case, want) in cases.iter().zip(answers) {
        let got = compact(case, &ours(case));
        let what = format!("{module} {} {}", case["hash_type"], case["nodes"]);
        assert_eq!(got["entries"], want["entries"], "entries, {what}");
        for (k, key) in case["keys"].as_array().expect("keys").iter().enumerate() {
            assert_eq!(
                got["get_node"][k], want["get_node"][k],
                "get_node({key}), {what}"
            );
            assert_eq!(
                got["nodes"][k], want["nodes"][k],
                "get_nodes({key}), {what}"
            );
            for rf in ["1", "2", "3"] {
                assert_eq!(
                    got["diverse"][rf][k], want["diverse"][rf][k],
                    "candidates({key}, rf={rf}), {what}"
                );
            }
        }
    }
}

/// The reference's answers, compacted, checking that the single-node case really yields its
/// node twice there.
fn compact_all(request: &Value, answers: &Value) -> Vec<Value> {
    let cases = request["cases"].as_array().expect("cases");
    let answers = answers.as_array().expect("answers");
    for (case, answer) in cases.iter().zip(answers) {
        if case["nodes"].as_array().expect("nodes").len() == 1 {
            for list in answer["nodes"].as_array().expect("nodes") {
                assert_eq!(list.as_array().expect("list").len(), 2, "lone node twice");
            }
        }
    }
    cases
        .iter()
        .zip(answers)
        .map(|(c, a)| compact(c, a))
        .collect()
}

#[test]
fn rings_match_both_references() {
    for hash_type in [HashType::CarbonCh, HashType::Fnv1aCh] {
        let request = cases(hash_type, 2000);
        let answers = run("rings", &request, None);
        compare(
            &request,
            &compact_all(&request, &answers["carbon"]),
            "carbon",
        );
        compare(
            &request,
            &compact_all(&request, &answers["graphite"]),
            "graphite-web",
        );
    }
}

#[test]
fn positions_match_both_references() {
    let keys = keys(42, 5000);
    for hash_type in [HashType::CarbonCh, HashType::Fnv1aCh] {
        let answers = run(
            "positions",
            &json!({ "hash_type": hash_type.name(), "keys": keys }),
            None,
        );
        let ours: Vec<i64> = keys.iter().map(|k| hash_type.position(k)).collect();
        for module in ["carbon", "graphite"] {
            let theirs: Vec<i64> = answers[module]
                .as_array()
                .expect("positions")
                .iter()
                .map(|v| v.as_i64().expect("int"))
                .collect();
            assert_eq!(ours, theirs, "{module} {hash_type}");
        }
    }
}

/// Every non-surrogate code point, in strings of 4096, through `repr()`.
#[test]
fn repr_matches_python_for_every_code_point() {
    let all: Vec<char> = (0..=0x10_ffffu32).filter_map(char::from_u32).collect();
    let mut strings: Vec<String> = all.chunks(4096).map(|c| c.iter().collect()).collect();
    strings.extend(
        [
            "",
            "'",
            "\"",
            "'\"",
            "it's",
            "a\\'b",
            "\u{7f}\u{80}\u{ff}\u{100}",
        ]
        .map(str::to_owned),
    );
    let answers = run("repr", &json!({ "strings": strings }), None);
    let answers = answers.as_array().expect("reprs");
    assert_eq!(answers.len(), strings.len());
    for (s, want) in strings.iter().zip(answers) {
        let got = py_str_repr(s);
        if got != want.as_str().expect("repr") {
            let first = s
                .chars()
                .find(|c| py_str_repr(&c.to_string()) != run_one(*c))
                .map(|c| format!("U+{:04X}", c as u32));
            panic!("repr differs in a chunk; first differing character: {first:?}");
        }
    }
}

fn run_one(c: char) -> String {
    let v = run("repr", &json!({ "strings": [c.to_string()] }), None);
    v[0].as_str().expect("repr").to_owned()
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/mmh3_golden.json")
}

#[test]
fn mmh3_rings_match_golden() {
    let text = std::fs::read_to_string(golden_path()).expect("read mmh3_golden.json");
    let golden: Value = serde_json::from_str(&text).expect("golden json");
    let answers: Vec<Value> = golden.as_array().expect("golden answers").clone();
    compare(
        &cases(HashType::Mmh3Ch, MMH3_KEYS),
        &answers,
        "carbon and graphite-web (golden)",
    );
}

/// Keys per case in the mmh3 golden file.
const MMH3_KEYS: usize = 200;

/// Rewrites `tests/data/mmh3_golden.json` (the compacted answers, which both references
/// must agree on). Run with the mmh3 module importable from `$MMH3_PYTHONPATH`, e.g. after
/// `pip install --target /tmp/mmh3lib mmh3==5.3.1`:
/// `MMH3_PYTHONPATH=/tmp/mmh3lib cargo test -p carbon-hashing --test reference -- --ignored`.
#[test]
#[ignore = "needs the mmh3 Python module"]
fn regenerate_mmh3_golden() {
    let path = std::env::var("MMH3_PYTHONPATH").expect("MMH3_PYTHONPATH");
    let request = cases(HashType::Mmh3Ch, MMH3_KEYS);
    let answers = run("rings", &request, Some(&path));
    let carbon = compact_all(&request, &answers["carbon"]);
    let graphite = compact_all(&request, &answers["graphite"]);
    assert_eq!(carbon, graphite, "the two references disagree");
    std::fs::create_dir_all(golden_path().parent().expect("dir")).expect("mkdir");
    std::fs::write(golden_path(), Value::from(carbon).to_string()).expect("write golden");
}
