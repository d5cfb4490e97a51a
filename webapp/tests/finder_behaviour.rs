//! Finder behaviour the interop test cannot show: the index sees changes on the next query,
//! concurrent queries, and the glob matcher and brace expansion against Python's own
//! `fnmatch` and `expand_braces` (batched through the reference interpreter).

mod finder_common;

use std::sync::Arc;

use finder_common::{build_tree, run_driver, wsp, Storage};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use webapp::finder::glob::{expand_braces, Glob};
use webapp::finder::{leaf_intervals, Finder};

fn paths(finder: &Finder, pattern: &str) -> Vec<String> {
    finder
        .find(pattern, false)
        .unwrap()
        .into_iter()
        .map(|n| format!("{}{}", n.path, if n.is_leaf { "" } else { "/" }))
        .collect()
}

#[test]
fn new_files_and_directories_show_up_on_the_next_query() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    wsp(&root.join("a/b/c.wsp"), 10);
    let finder = Finder::new(vec![root.clone()]);
    assert_eq!(paths(&finder, "a.b.*"), ["a.b.c"]);
    assert_eq!(paths(&finder, "a.b.c"), ["a.b.c"]);
    assert!(paths(&finder, "a.b.d").is_empty());
    // A new file in a cached directory, queried by glob and by name straight away.
    wsp(&root.join("a/b/d.wsp"), 10);
    assert_eq!(paths(&finder, "a.b.*"), ["a.b.c", "a.b.d"]);
    assert_eq!(paths(&finder, "a.b.d"), ["a.b.d"]);
    // A new directory chain.
    wsp(&root.join("a/n/m/x.wsp"), 10);
    assert_eq!(paths(&finder, "a.*"), ["a.b/", "a.n/"]);
    assert_eq!(paths(&finder, "a.n.m.x"), ["a.n.m.x"]);
    assert_eq!(paths(&finder, "**.x"), ["a.n.m.x"]);
    // Removal.
    std::fs::remove_file(root.join("a/b/c.wsp")).unwrap();
    assert_eq!(paths(&finder, "a.b.*"), ["a.b.d"]);
    std::fs::remove_dir_all(root.join("a/n")).unwrap();
    assert_eq!(paths(&finder, "a.*"), ["a.b/"]);
    assert!(paths(&finder, "a.n.m.x").is_empty());
    assert_eq!(finder.index(), ["a.b.d"]);
}

#[test]
fn old_listings_are_reused_and_still_see_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    wsp(&root.join("a/c.wsp"), 10);
    // Age the directory so its listing is trusted (not "racy").
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let dir = std::fs::File::open(root.join("a")).unwrap();
    dir.set_modified(old).unwrap();
    std::fs::File::open(&root)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let finder = Finder::new(vec![root.clone()]);
    assert_eq!(paths(&finder, "a.*"), ["a.c"]);
    assert_eq!(finder.cache_stats().0, 2);
    assert_eq!(paths(&finder, "a.*"), ["a.c"]);
    // Creating a file moves the directory's mtime past the cached stamp.
    wsp(&root.join("a/d.wsp"), 10);
    assert_eq!(paths(&finder, "a.*"), ["a.c", "a.d"]);
}

#[test]
fn concurrent_queries_while_files_appear() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    for h in 0..20 {
        wsp(&root.join(format!("s/h{h}/m0.wsp")), 10);
    }
    let finder = Arc::new(Finder::new(vec![root.clone()]));
    let writer = {
        let root = root.clone();
        std::thread::spawn(move || {
            for i in 1..30 {
                for h in 0..20 {
                    std::fs::write(root.join(format!("s/h{h}/m{i}.wsp")), b"").unwrap();
                }
            }
        })
    };
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let finder = Arc::clone(&finder);
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..200 {
                    let n = finder.find("s.*.*", true).unwrap().len();
                    assert!(n >= 20);
                    last = n;
                }
                last
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }
    // Every file is there once the writer is done.
    assert_eq!(finder.find("s.*.*", true).unwrap().len(), 20 * 30);
}

#[test]
fn leaf_intervals_follow_the_header_and_mtime() {
    let tmp = tempfile::tempdir().unwrap();
    wsp(&tmp.path().join("x.wsp"), 100);
    let finder = Finder::new(vec![tmp.path().to_path_buf()]);
    let node = finder.find("x", true).unwrap().pop().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let i = leaf_intervals(&node, now).unwrap();
    assert_eq!(i.start, now - 6000.0);
    assert!(i.end <= now + 1.0 && i.end > now - 60.0, "{i:?}");
    // Far in the future the file's mtime is before the start: end == start.
    let later = leaf_intervals(&node, now + 1e6).unwrap();
    assert_eq!(later.start, later.end);
}

#[test]
fn symlinked_leaves_keep_their_real_path() {
    let storage = Storage::new();
    let whisper = storage.whisper();
    build_tree(&whisper);
    let finder = Finder::new(vec![whisper.clone()]);
    let alias = finder.find("cpu.host2.alias", true).unwrap().pop().unwrap();
    assert_eq!(alias.real_metric_path, "cpu.host3.load");
    assert_eq!(
        alias.fs_path,
        std::fs::canonicalize(whisper.join("cpu/host3/load.wsp")).unwrap()
    );
    let via_dir = finder.find("linkdir.load", true).unwrap().pop().unwrap();
    assert_eq!(via_dir.path, "linkdir.load");
    assert_eq!(via_dir.real_metric_path, "cpu.host1.load");
    let plain = finder.find("cpu.host1.load", true).unwrap().pop().unwrap();
    assert_eq!(plain.real_metric_path, "cpu.host1.load");
    assert_eq!(plain.fs_path, whisper.join("cpu/host1/load.wsp"));
}

/// Patterns and names over a small alphabet full of glob syntax.
fn glob_cases() -> impl Strategy<Value = Vec<(String, String)>> {
    let pat = proptest::string::string_regex("[ab\\-\\]\\[!^*?\\\\.é]{0,7}").unwrap();
    let name = proptest::string::string_regex("[ab\\-\\]\\[!^\\\\.é]{0,6}").unwrap();
    proptest::collection::vec((pat, name), 800)
}

#[test]
fn glob_matches_python_fnmatch() {
    let storage = Storage::new();
    let mut runner = TestRunner::new(Config {
        cases: 6,
        ..Config::default()
    });
    let checked = std::cell::Cell::new(0usize);
    runner
        .run(&glob_cases(), |cases| {
            // Bias towards matches: also try each pattern against itself with the wildcards
            // replaced.
            let mut cases = cases;
            let extra: Vec<(String, String)> = cases
                .iter()
                .map(|(p, _)| {
                    (
                        p.clone(),
                        p.replace(['*', '?'], "a").replace(['[', ']'], ""),
                    )
                })
                .collect();
            cases.extend(extra);
            let reply = run_driver(
                "find_nodes.py",
                &storage.storage(),
                &json!({"dirs": [storage.whisper()], "fnmatch": cases}),
            );
            let want = reply["fnmatch"].as_array().unwrap();
            for ((p, n), w) in cases.iter().zip(want) {
                prop_assert_eq!(
                    Glob::new(p).is_match(n),
                    w.as_bool().unwrap(),
                    "pattern {:?} name {:?}",
                    p,
                    n
                );
            }
            checked.set(checked.get() + cases.len());
            Ok(())
        })
        .unwrap();
    assert!(checked.get() >= 9000);
}

#[test]
fn braces_match_python_expand_braces() {
    let storage = Storage::new();
    let mut runner = TestRunner::new(Config {
        cases: 4,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(
        proptest::string::string_regex("[ab{},*]{0,10}").unwrap(),
        300,
    );
    runner
        .run(&strategy, |cases| {
            let reply = run_driver(
                "find_nodes.py",
                &storage.storage(),
                &json!({"dirs": [storage.whisper()], "braces": cases}),
            );
            for (s, want) in cases.iter().zip(reply["braces"].as_array().unwrap()) {
                let want: Vec<String> = serde_json::from_value(want.clone()).unwrap();
                prop_assert_eq!(expand_braces(s).unwrap(), want, "{:?}", s);
            }
            Ok(())
        })
        .unwrap();
}

/// `find_names` (the browser tree's shortcut) agrees with the names of `find`'s nodes, for
/// trees where names repeat as leaves and branches, differ only after a dot, hide, and come
/// from two roots.
#[test]
fn find_names_agrees_with_find() {
    use webapp::finder::FoundNames;
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for (root, files) in [
        (
            a.path(),
            &[
                "h1/x.wsp",
                "h1/y.wsp",
                "h1/z/q.wsp",
                "h2/x/q.wsp",
                "h2/y.wsp",
                "h2/.hid.wsp",
                "h2/w.old.wsp",
                "h2/w.wsp",
                "h-3/x.wsp",
                "h.4/v.wsp",
                "x.wsp",
                "x/y.wsp",
            ][..],
        ),
        (
            b.path(),
            &["h1/x.wsp", "h1/x/k.wsp", "h5/y.wsp", "z.wsp"][..],
        ),
    ] {
        for f in files {
            wsp(&root.join(f), 10);
        }
    }
    let finder = Finder::new(vec![a.path().to_path_buf(), b.path().to_path_buf()]);
    for pattern in [
        "*",
        "*.*",
        "*.*.*",
        "h*.x",
        "h1.*",
        "h2.*",
        "h?.{x,y}",
        "**",
        "x",
        "x.*",
        "nothing.*",
        "h[12].*",
        "*.w",
        "h1.x.k",
    ] {
        for leaves_only in [false, true] {
            let mut from_find = FoundNames::from_nodes(&finder.find(pattern, leaves_only).unwrap());
            let mut names = finder.find_names(pattern, leaves_only).unwrap();
            from_find.names.sort();
            names.names.sort();
            assert_eq!(names.names, from_find.names, "{pattern} {leaves_only}");
            assert_eq!(names.several, from_find.several, "{pattern} {leaves_only}");
            assert_eq!(
                names.any_branch, from_find.any_branch,
                "{pattern} {leaves_only}"
            );
        }
    }
}
