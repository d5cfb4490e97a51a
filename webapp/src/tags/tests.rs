//! The tag database's API semantics (the reference's limits, prefixes and errors).

use super::*;

fn db(names: &[&str]) -> TagDb {
    let db = TagDb::in_memory(100).unwrap();
    db.tag_multi_series(names).unwrap();
    db
}

#[test]
fn registration_returns_canonical_paths_and_is_idempotent() {
    let db = TagDb::in_memory(100).unwrap();
    let paths = db
        .tag_multi_series(&["cpu.load;host=a;dc=east", "mem{host=\"b\"}"])
        .unwrap();
    assert_eq!(paths, ["cpu.load;dc=east;host=a", "mem;host=b"]);
    assert_eq!(
        db.tag_multi_series(&["cpu.load;dc=east;host=a"])
            .unwrap()
            .len(),
        1
    );
    assert_eq!(db.len(), 2);
}

#[test]
fn ids_follow_the_written_order_with_name_last() {
    let db = db(&["m;host=a;dc=east"]);
    let tags = db.list_tags(None, None).unwrap();
    let ids: Vec<(String, i64)> = tags.into_iter().map(|t| (t.tag, t.id)).collect();
    assert_eq!(
        ids,
        [
            ("dc".to_owned(), 2),
            ("host".to_owned(), 1),
            ("name".to_owned(), 3)
        ]
    );
}

#[test]
fn invalid_names_are_refused_but_valid_ones_kept() {
    let db = TagDb::in_memory(100).unwrap();
    let err = db
        .tag_multi_series(&["a;x=1", "b;=2", "c;y=3"])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Cannot parse path b;=2, invalid segment =2"
    );
    assert_eq!(err.status(), 400);
    assert_eq!(db.find_series(&["name=~[ac]"]).unwrap(), ["a;x=1", "c;y=3"]);
}

#[test]
fn find_errors() {
    let db = db(&["a;x=1"]);
    assert_eq!(
        db.find_series(&["x!=1"]).unwrap_err().to_string(),
        "At least one tagspec must not match the empty string"
    );
    assert_eq!(
        db.find_series(&["x"]).unwrap_err().to_string(),
        "Invalid tagspec x"
    );
    assert_eq!(db.find_series(&["x=~("]).unwrap_err().status(), 400);
}

#[test]
fn list_tags_filter_and_limits() {
    let db = db(&["a;alpha=1;beta=2;gamma=3"]);
    let names = |f: Option<&str>, l: Option<&str>| -> Vec<String> {
        db.list_tags(f, l)
            .unwrap()
            .into_iter()
            .map(|t| t.tag)
            .collect()
    };
    assert_eq!(names(None, None), ["alpha", "beta", "gamma", "name"]);
    assert_eq!(names(Some("a|b"), None), ["alpha", "beta"]);
    assert_eq!(names(Some("^g"), None), ["gamma"]);
    assert_eq!(names(Some("lph"), None), Vec::<String>::new());
    assert_eq!(names(None, Some("2")), ["alpha", "beta"]);
    // `if limit:` on the text: "0" is truthy (LIMIT 0); a negative limit is none (SQLite).
    assert_eq!(names(None, Some("0")).len(), 0);
    assert_eq!(names(None, Some("-1")).len(), 4);
    assert_eq!(
        db.list_tags(None, Some("x")).unwrap_err().to_string(),
        "invalid literal for int() with base 10: 'x'"
    );
}

#[test]
fn get_tag_counts_values() {
    let db = db(&["a;dc=eu", "b;dc=eu", "c;dc=us"]);
    let (info, values) = db.get_tag("dc", None, None).unwrap().unwrap();
    assert_eq!(info.tag, "dc");
    let v: Vec<(String, usize)> = values.into_iter().map(|v| (v.value, v.count)).collect();
    assert_eq!(v, [("eu".to_owned(), 2), ("us".to_owned(), 1)]);
    assert!(db.get_tag("nope", None, None).unwrap().is_none());
    let (_, values) = db.get_tag("dc", Some("u"), None).unwrap().unwrap();
    assert_eq!(values.len(), 1);
}

#[test]
fn autocomplete_limits_follow_the_reference() {
    let db = db(&["a;t1=x;t2=y;t3=z", "b;t1=w"]);
    let tags = |exprs: &[&str], prefix: Option<&str>, limit: Option<&str>| {
        db.auto_complete_tags(exprs, prefix, limit).unwrap()
    };
    assert_eq!(tags(&[], None, None), ["name", "t1", "t2", "t3"]);
    assert_eq!(tags(&[], Some("t"), Some("2")), ["t1", "t2"]);
    // The store slices the merged list with the raw limit: "0" gives nothing, "-1" drops
    // the last.
    assert_eq!(tags(&[], None, Some("0")), Vec::<String>::new());
    assert_eq!(tags(&[], None, Some("-1")), ["name", "t1", "t2"]);
    assert_eq!(tags(&["t1=x"], None, None), ["name", "t2", "t3"]);
    assert_eq!(tags(&["t1=x"], None, Some("-1")), Vec::<String>::new());
    assert_eq!(tags(&["t1=x"], Some("t"), Some("1")), ["t2"]);

    let values = |exprs: &[&str], tag: &str, prefix: Option<&str>| {
        db.auto_complete_values(exprs, tag, prefix, None).unwrap()
    };
    assert_eq!(values(&[], "t1", None), ["w", "x"]);
    assert_eq!(values(&[], "t1", Some("x")), ["x"]);
    assert_eq!(values(&["name=a"], "t1", None), ["x"]);
    assert_eq!(values(&["name=~.*"], "t2", None), ["y"]);
    assert!(db
        .auto_complete_values(&["name=a"], "t;", None, None)
        .is_err());
}

#[test]
fn deletion_keeps_tags_listed() {
    let db = db(&["a;dc=eu"]);
    db.del_multi_series(&["a;dc=eu", "never;x=y"]).unwrap();
    assert!(db.is_empty());
    assert!(db.find_series(&["dc=eu"]).unwrap().is_empty());
    assert_eq!(db.list_tags(None, None).unwrap().len(), 2);
}

#[test]
fn disabled_database_finds_nothing_and_refuses_tagging() {
    let db = TagDb::open(&TagDbConfig::Disabled, 100).unwrap();
    assert!(db.find_series(&["a=b"]).unwrap().is_empty());
    assert_eq!(db.tag_multi_series(&["a;b=c"]).unwrap_err().status(), 500);
}

#[test]
fn tree_scan_adds_readable_names() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("_tagged/c5e/d2e");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("cpu_DOT_load;dc=east;host=a.wsp"), b"").unwrap();
    std::fs::write(
        sub.join("c5ed2e2da3c0669ff9dfc81c0ed2a6d07ea6cbc3072138b0d969377758ca185a.wsp"),
        b"",
    )
    .unwrap();
    let db = TagDb::in_memory(100).unwrap();
    assert_eq!(db.add_from_tree(dir.path()).unwrap(), 1);
    assert_eq!(
        db.find_series(&["dc=east"]).unwrap(),
        ["cpu.load;dc=east;host=a"]
    );
    assert_eq!(db.add_from_tree(dir.path()).unwrap(), 0);
}
