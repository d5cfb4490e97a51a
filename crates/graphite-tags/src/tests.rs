use super::*;

fn norm(s: &str) -> String {
    normalize(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn err(s: &str) -> String {
    normalize(s).expect_err(s).to_string()
}

#[test]
fn carbon_form_sorts_whole_tag_strings() {
    assert_eq!(norm("foo.tag;z=1;a=2"), "foo.tag;a=2;z=1");
    assert_eq!(norm("a.b;a=2;a.b=1"), "a.b;a.b=1;a=2");
    assert_eq!(norm("plain.metric"), "plain.metric");
}

#[test]
fn last_repeated_tag_wins_and_name_tag_is_replaced() {
    assert_eq!(norm("m;a=1;a=2"), "m;a=2");
    assert_eq!(norm("m;name=other;x=1"), "m;x=1");
    let s = TaggedSeries::parse("~m;x=1").unwrap();
    assert_eq!(s.metric(), "~m");
    assert_eq!(s.tags()["name"], "m");
}

#[test]
fn tilde_is_stripped_from_untagged_names() {
    assert_eq!(norm("~foo.bar"), "foo.bar");
    assert_eq!(norm("~~~x"), "x");
    assert_eq!(
        err("~~"),
        "Cannot use metric name ~~ as tag value, results in an empty string"
    );
    assert_eq!(
        TaggedSeries::parse("~").unwrap_err().graphite_web_message(),
        "Cannot use metric name ~ as tag value, results in emptry string"
    );
}

#[test]
fn carbon_form_errors() {
    assert_eq!(err(""), "Cannot parse path , no metric found");
    assert_eq!(err(";a=b"), "Cannot parse path ;a=b, no metric found");
    assert_eq!(err("m;ab"), "Cannot parse path m;ab, invalid segment ab");
    assert_eq!(err("m;=b"), "Cannot parse path m;=b, invalid segment =b");
    assert_eq!(err("m;"), "Cannot parse path m;, invalid segment ");
    assert_eq!(err("m;a="), "Value for tag \"a\" may not be empty");
    assert_eq!(
        err("m;a!=b"),
        "Character \"!\" is not allowed in tag \"a!\""
    );
    assert_eq!(
        err("m;a^!=b"),
        "Character \"!\" is not allowed in tag \"a^!\""
    );
    assert_eq!(
        err("m;a=~b"),
        "Tag values are not allowed to start with \"~\" in tag \"a\""
    );
    // '=' inside the value is fine: the split is on the first '='.
    assert_eq!(norm("m;a=b=c"), "m;a=b=c");
}

#[test]
fn openmetrics_form() {
    assert_eq!(norm("m{b=\"2\",a=\"1\"}"), "m;a=1;b=2");
    assert_eq!(norm("m{a=\"x\\\"y\"}"), "m;a=x\"y");
    assert_eq!(norm("m{a=\"x\\\\y\"}"), "m;a=x\\y");
    // The reference's `(:?,|$)` typo accepts ":," between tags.
    assert_eq!(norm("m{a=\"1\":,b=\"2\"}"), "m;a=1;b=2");
    assert_eq!(
        err("m{a=\"1\"b=\"2\"}"),
        "Cannot parse path m{a=\"1\"b=\"2\"}, invalid segment a=\"1\"b=\"2\""
    );
    assert_eq!(
        err("{a=\"1\"}"),
        "Cannot parse path {a=\"1\"}, no metric found"
    );
    assert_eq!(err("m{{a=\"1\"}"), "too many values to unpack (expected 2)");
    assert_eq!(
        err("m{a=\"x;y\"}"),
        "Character \";\" is not allowed in value \"x;y\" of tag a"
    );
    // Not OpenMetrics (no closing `"}`): parsed as a carbon name.
    assert_eq!(norm("m{a=1}"), "m{a=1}");
}

#[test]
fn paths() {
    assert_eq!(relative_path("a.b.c", true), "a/b/c.wsp");
    assert_eq!(relative_path("..lead.dots", true), "lead/dots.wsp");
    assert_eq!(relative_path("a..b", true), "a//b.wsp");
    assert_eq!(relative_path("/etc/passwd", true), "etc/passwd.wsp");
    let h = tag_hash("foo.tag;a=2;z=1");
    assert!(h.starts_with("9f95851201b9"), "{h}");
    assert_eq!(
        relative_path("foo.tag;a=2;z=1", true),
        format!("_tagged/9f9/585/{h}.wsp")
    );
    assert_eq!(
        relative_path("some.metric;tag1=value2;tag2=value.2", false),
        "_tagged/eff/aae/some_DOT_metric;tag1=value2;tag2=value_DOT_2.wsp"
    );
    assert_eq!(encode("a.b", '.', false), "a.b");
    assert_eq!(encode(".a.b", '.', false), "a.b");
}

#[test]
fn decode_inverts_encode() {
    let n = "some.metric;tag1=value2;tag2=value.2";
    assert_eq!(decode(&encode(n, '/', false), '/'), n);
    assert_eq!(decode("a/b/c", '/'), "a.b.c");
}

#[test]
fn unsafe_names_are_refused() {
    assert_eq!(validate_metric_name("a.b.c"), Ok(()));
    assert_eq!(validate_metric_name("..lead.dots"), Ok(()));
    assert_eq!(validate_metric_name("a..b"), Ok(()));
    assert_eq!(validate_metric_name("a/b..c"), Ok(()));
    assert_eq!(validate_metric_name("a\0b"), Err(UnsafeNameError::NulByte));
    assert_eq!(
        validate_metric_name("/etc/passwd"),
        Err(UnsafeNameError::AbsolutePath)
    );
    assert_eq!(
        validate_metric_name("a/../../b"),
        Err(UnsafeNameError::ParentComponent)
    );
    assert_eq!(
        validate_metric_name(".."),
        Err(UnsafeNameError::ParentComponent)
    );
    assert_eq!(
        validate_metric_name("x;t=a/../y"),
        Err(UnsafeNameError::ParentComponent)
    );
}

#[test]
fn is_tagged_means_semicolon() {
    assert!(is_tagged("a;b=c"));
    assert!(!is_tagged("a.b"));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn name_strategy() -> impl Strategy<Value = String> {
        // Weighted towards the characters that matter to the parsers.
        proptest::collection::vec(
            prop_oneof![
                4 => proptest::char::range('a', 'e'),
                1 => proptest::sample::select(vec![
                    ';', '=', '~', '{', '}', '"', '\\', ',', ':', '.', '/', '!', '^', '\0', 'é'
                ]),
                1 => any::<char>(),
            ],
            0..24,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn never_panics_and_normal_form_is_stable(name in name_strategy()) {
            for hash_only in [true, false] {
                let p = relative_path(&name, hash_only);
                if !name.contains('\0') {
                    let path = std::path::Path::new(&p);
                    prop_assert!(path.is_relative());
                    prop_assert!(path.components().all(|c| c != std::path::Component::ParentDir));
                }
            }
            let _ = validate_metric_name(&name);
            if let Ok(series) = TaggedSeries::parse(&name) {
                // The normal form re-parses to itself, except (as in the reference) when an
                // OpenMetrics name holds a `;`, or when sorting moves a value ending in `"}`
                // last in a name holding `{` (it then reads as OpenMetrics).
                let normal = series.path();
                let odd = series.tags()["name"].contains(';')
                    || (normal.ends_with("\"}") && normal.contains('{'));
                match TaggedSeries::parse(&normal) {
                    Ok(again) if !odd => {
                        prop_assert_eq!(again.path(), normal.clone());
                        prop_assert_eq!(again.tags(), series.tags());
                    }
                    Ok(_) => {}
                    Err(e) => prop_assert!(odd, "{normal:?} does not re-parse: {e}"),
                }
            }
        }

        #[test]
        fn formatted_tags_round_trip(
            name in "[a-z~][a-z.~]{0,8}",
            tags in proptest::collection::btree_map("[a-z.]{1,4}", "[a-z.=~]{1,4}", 0..5),
        ) {
            let mut carbon = name.clone();
            for (k, v) in &tags {
                carbon.push_str(&format!(";{k}={v}"));
            }
            match TaggedSeries::parse(&carbon) {
                Ok(s) => {
                    let normal = s.path();
                    prop_assert_eq!(normalize(&normal).unwrap(), normal);
                }
                Err(e) => {
                    // Only these can fail with this alphabet.
                    let tilde = tags.values().any(|v| v.starts_with('~'));
                    let empty_name = name.trim_start_matches('~').is_empty();
                    prop_assert!(tilde || empty_name, "{}", e);
                }
            }
        }
    }
}
