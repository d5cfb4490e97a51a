//! The finder against graphite-web 1.1.10's `StandardFinder` on the same tree: every glob
//! form, braces, `**`, hidden entries, empty directories, symbolic links, escaped nodes and
//! tagged names; plus `get_index`.

mod finder_common;

use std::collections::BTreeSet;

use finder_common::{build_second, build_tree, run_driver, Storage, TAGGED};
use serde_json::json;
use webapp::finder::Finder;

const PATTERNS: &[&str] = &[
    "*",
    "a",
    "a.*",
    "a.b",
    "a.b.*",
    "a.b*",
    "a.*b",
    "a.?",
    "a.??",
    "a.[bc]*",
    "a.[!b]*",
    "a.[a-c]",
    "a.[b-a]",
    "a.[!b-a]",
    "a.[",
    "a.b[",
    "a.{b,bc}",
    "a.{b,{bc,bd}}",
    "a.{b,x}.*",
    "a.{b,b*}",
    "a.{,b}",
    "a.{b",
    "a.b}",
    "{a,d1}.*",
    "cpu.host[1-3].*",
    "cpu.host1?.load",
    "cpu.host[!1].*",
    "cpu.*.{load,idle}",
    "cpu.host*.load",
    "cpu.*.*",
    "*.*.*",
    "*.*.*.*",
    "**",
    "a.**",
    "**.load",
    "cpu.**.load",
    "a.b.**",
    "d1.**.leaf",
    "d1.**",
    "**.d4.*",
    "a..b",
    "a...c",
    "a.",
    ".",
    "",
    "..",
    "a.b\\*",
    "a.\\*",
    "a.b.\\[cd]",
    "cpu.host\\?.load",
    "d1.**.l\\*",
    "d1.**.d\\*",
    "odd.*",
    "odd.a?b",
    "odd.[[]x]",
    "odd.\\[x\\]",
    "odd.[!]x",
    "odd.[^]x",
    "odd.é",
    "odd.é*",
    "odd.sp ace",
    "odd.*+*",
    "odd.*%*",
    "odd.*\"*",
    "odd.back*",
    "odd.{brace}",
    "odd.readme",
    "odd.data",
    "odd.*.*",
    "nonexistent",
    "nonexistent.*",
    "a.b.c.d",
    "a.b.c.*",
    "top",
    ".top",
    "*top",
    "linkdir",
    "linkdir.*",
    "linkdir.load",
    "cpu.host2.*",
    "cpu.host2.alias",
    "cpu.host2.broken",
    "cpu.*.alias",
    "v1",
    "v1.*",
    "v1*",
    "v1.2",
    "v1.2.*",
    "empty",
    "empty.*",
    "a.bd",
    "a.bd.*",
    "a.b.e.*",
    "a.b.e.deep.*",
    "a.x",
    "a.x*",
    "a.x.y",
    "a.hidden",
    "a.*hidden",
    "a.?hdir.*",
    "a.[.]hdir.z",
    "big.m00[0-4]?",
    "big.m01*",
    "big.*9",
    "_tagged",
    "_tagged.*",
    "_tagged.*.*.*",
    "cpu.load;dc=east;host=a",
    "cpu.load;host=a;dc=east",
    "mem.free;host=b",
    "disk.used;host=c;x=y.z",
    "nothing;here=1",
    "_tagged.x;y",
];

fn nodes_of(finder: &Finder, pattern: &str) -> Result<BTreeSet<(String, bool)>, String> {
    finder
        .find(pattern, false)
        .map(|ns| ns.into_iter().map(|n| (n.path, n.is_leaf)).collect())
        .map_err(|e| e.to_string())
}

fn ref_nodes(v: &serde_json::Value) -> Result<BTreeSet<(String, bool)>, String> {
    if let Some(e) = v.get("error") {
        return Err(e.as_str().unwrap().to_owned());
    }
    Ok(v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t[0].as_str().unwrap().to_owned(), t[1].as_bool().unwrap()))
        .collect())
}

#[test]
fn same_nodes_as_standard_finder() {
    let storage = Storage::new();
    let whisper = storage.whisper();
    build_tree(&whisper);
    let finder = Finder::new(vec![whisper.clone()]);
    // The reference is given the directory without its trailing slash: with one, its `**`
    // slices one character too many off every path `os.walk` returns, so a leading `**` sees
    // only the top level (a bug this finder does not copy).
    let input = json!({
        "dirs": [whisper.to_str().unwrap().trim_end_matches('/')],
        "patterns": PATTERNS,
        "index": true,
    });
    let reference = run_driver("find_nodes.py", &storage.storage(), &input);
    let finds = reference["finds"].as_array().unwrap();
    assert_eq!(finds.len(), PATTERNS.len());
    let mut failures = Vec::new();
    let mut total = 0;
    for (pattern, want) in PATTERNS.iter().zip(finds) {
        let want = ref_nodes(want);
        // Twice: a cold and a warm index give the same answer.
        finder.clear_cache();
        let cold = nodes_of(&finder, pattern);
        let got = nodes_of(&finder, pattern);
        assert_eq!(cold, got, "cold and warm differ for {pattern:?}");
        match (&want, &got) {
            (Ok(w), Ok(g)) if w == g => total += g.len(),
            (Err(_), Err(_)) => {}
            _ => failures.push(format!(
                "{pattern:?}:\n  reference {want:?}\n  ours      {got:?}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(total > 700, "the patterns matched only {total} nodes");

    // Real metric paths of leaves reached through symbolic links.
    for (pattern, want) in PATTERNS.iter().zip(finds) {
        let Some(nodes) = want.get("nodes") else {
            continue;
        };
        let ours = finder.find(pattern, false).unwrap();
        for node in ours.iter().filter(|n| n.is_leaf) {
            // Several files can give one path (`a.b\*` matches b.wsp and bc.wsp); the
            // reference keeps one of them, so ours must be one of its real paths.
            let reals: Vec<&str> = nodes
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t[1].as_bool().unwrap() && t[0] == node.path.as_str())
                .map(|t| t[2].as_str().unwrap())
                .collect();
            assert!(
                reals.contains(&node.real_metric_path.as_str()),
                "real path of {} for {pattern:?}: {} not in {reals:?}",
                node.path,
                node.real_metric_path
            );
        }
    }

    let index: Vec<String> = serde_json::from_value(reference["index"].clone()).unwrap();
    assert_eq!(finder.index(), index);
    assert!(index.len() > 250);

    // leaves_only drops the branches.
    let leaves = finder.find("a.*", true).unwrap();
    assert!(leaves.iter().all(|n| n.is_leaf));
    assert_eq!(leaves.len(), 3, "{leaves:?}");
}

#[test]
fn several_directories() {
    let storage = Storage::new();
    let whisper = storage.whisper();
    build_tree(&whisper);
    let second = storage.tmp.path().join("second");
    build_second(&second);
    let finder = Finder::new(vec![whisper.clone(), second.clone()]);
    let patterns = [
        "*",
        "a.b.*",
        "cpu.host1.*",
        "second.*",
        "**.c",
        "cpu.load;dc=east;host=a",
    ];
    let input = json!({
        "dirs": [whisper.to_str().unwrap(), second.to_str().unwrap()],
        "patterns": patterns,
    });
    let reference = run_driver("find_nodes.py", &storage.storage(), &input);
    for (pattern, want) in patterns.iter().zip(reference["finds"].as_array().unwrap()) {
        assert_eq!(nodes_of(&finder, pattern), ref_nodes(want), "{pattern:?}");
    }
    // The first directory's copy of a leaf found in both.
    let c = finder.find("a.b.c", true).unwrap();
    assert_eq!(c.len(), 1);
    assert!(c[0].fs_path.starts_with(&whisper), "{:?}", c[0].fs_path);
}

#[test]
fn tagged_names() {
    let storage = Storage::new();
    let whisper = storage.whisper();
    build_tree(&whisper);
    let finder = Finder::new(vec![whisper.clone()]);
    for (name, _, _) in TAGGED {
        let found = finder.find(name, false).unwrap();
        assert_eq!(found.len(), 1, "{name}");
        assert_eq!(found[0].path, name);
        assert!(found[0].is_leaf);
        assert!(found[0].fs_path.starts_with(whisper.join("_tagged")));
    }
    // Names that would leave the storage directory are refused.
    assert!(finder
        .find("x;a=../../../etc/passwd", false)
        .unwrap()
        .is_empty());
}
