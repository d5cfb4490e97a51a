//! `/metrics/find`, `/metrics/expand` and `/metrics/index.json` against graphite-web 1.1.10's
//! views (called through Django's `RequestFactory`) on the same tree: statuses, content types,
//! no-cache headers, JSON bodies byte for byte (interval starts, which depend on the clock,
//! masked), pickle and msgpack bodies decoded by the reference (pickles with its SafeUnpickler,
//! as a cluster peer reads them).

mod finder_common;

use finder_common::{build_tree, run_driver, Storage};
use serde_json::json;
use webapp::find_output::{expand_view, find_view, index_view, ViewContext};
use webapp::finder::Finder;
use webapp::params::{Params, Reply};

struct Req {
    view: &'static str,
    query: Vec<(&'static str, &'static str)>,
    form: Option<Vec<(&'static str, &'static str)>>,
    accept: Option<&'static str>,
}

fn get(view: &'static str, query: &[(&'static str, &'static str)]) -> Req {
    Req {
        view,
        query: query.to_vec(),
        form: None,
        accept: None,
    }
}

fn requests() -> Vec<Req> {
    let f = |q: &[(&'static str, &'static str)]| get("find", q);
    let mut v = vec![
        f(&[("query", "a.*")]),
        f(&[("query", "*")]),
        f(&[("query", "a.*"), ("format", "treejson"), ("wildcards", "1")]),
        f(&[("query", "a.b.*"), ("wildcards", "1")]),
        f(&[("query", "cpu.*"), ("wildcards", "1")]),
        f(&[("query", "cpu.*.load")]),
        f(&[("query", "a.b")]),
        f(&[("query", "odd.*")]),
        f(&[("query", "odd.*"), ("jsonp", "cb")]),
        f(&[("query", "odd.*"), ("jsonp", "")]),
        f(&[("query", "a.*"), ("pretty", "1")]),
        f(&[("query", "a.*"), ("pretty", "0"), ("format", "completer")]),
        f(&[("query", "a.*"), ("pretty", "")]),
        f(&[("query", "a.b"), ("format", "completer")]),
        f(&[("query", "a..b"), ("format", "completer")]),
        f(&[
            ("query", "cpu.host1,host2"),
            ("format", "completer"),
            ("automatic_variants", "1"),
        ]),
        f(&[("query", "cpu.host1,host2"), ("format", "completer")]),
        f(&[
            ("query", "cpu.host1*"),
            ("format", "completer"),
            ("wildcards", "1"),
        ]),
        f(&[("query", "odd.*"), ("format", "completer")]),
        f(&[("query", "cpu.*.*"), ("format", "nodelist")]),
        f(&[
            ("query", "cpu.*.*"),
            ("format", "nodelist"),
            ("position", "1"),
        ]),
        f(&[
            ("query", "cpu.*.*"),
            ("format", "nodelist"),
            ("position", "-3"),
        ]),
        f(&[
            ("query", "cpu.*.*"),
            ("format", "nodelist"),
            ("position", "7"),
        ]),
        f(&[
            ("query", "nothing.*"),
            ("format", "nodelist"),
            ("position", "7"),
        ]),
        f(&[("query", "a.b.*"), ("format", "json")]),
        f(&[("query", "*"), ("format", "json")]),
        f(&[("query", "cpu.host2.*"), ("format", "json")]),
        f(&[("query", "**"), ("format", "json"), ("leavesOnly", "1")]),
        f(&[("query", "cpu.load;dc=east;host=a"), ("format", "json")]),
        // Not "disk.used;host=c;x=y.z": it is stored under both encodings, which the reference
        // merges into one leaf (intervals united); here the first file serves it.
        f(&[("query", "odd.*"), ("format", "json"), ("pretty", "1")]),
        f(&[("query", "a.b.*"), ("format", "pickle")]),
        f(&[("query", "*"), ("format", "pickle")]),
        f(&[("query", "cpu.*.*"), ("format", "pickle")]),
        f(&[("query", "big.*"), ("format", "pickle")]),
        f(&[("query", "nothing"), ("format", "pickle")]),
        f(&[("query", "a.b.*"), ("format", "msgpack")]),
        f(&[("query", "*"), ("format", "msgpack")]),
        f(&[("query", "odd.*"), ("format", "msgpack")]),
        f(&[("query", "nothing"), ("format", "msgpack")]),
        f(&[("query", "a.*"), ("format", "bogus")]),
        f(&[("format", "json")]),
        f(&[("query", "")]),
        f(&[("query", "a.*"), ("leavesOnly", "1")]),
        f(&[("query", "a.*"), ("leavesOnly", "x")]),
        f(&[("query", "a.*"), ("leavesOnly", " 1 ")]),
        f(&[("query", "a.*"), ("local", "")]),
        f(&[("query", "a.*"), ("wildcards", "1.5")]),
        f(&[("query", "a.*"), ("position", "it's")]),
        f(&[("query", "a.*"), ("automatic_variants", "no")]),
        f(&[("query", "a.*"), ("from", "-1d"), ("until", "now")]),
        f(&[("query", "a.*"), ("from", "-1"), ("until", "-1")]),
        f(&[("query", "a.*"), ("from", "1700000000")]),
        f(&[("query", "a.*"), ("from", "garbage")]),
        f(&[("query", "a.*"), ("until", "garbage")]),
        f(&[("query", "a.*"), ("now", "garbage")]),
        f(&[("query", "a.*"), ("tz", "Europe/Paris"), ("from", "-2h")]),
        f(&[("query", "a.*"), ("tz", "nope")]),
        f(&[("query", "a.*"), ("query", "cpu.*")]),
        f(&[("query", "_tagged.*")]),
        f(&[("query", "a.b\\*"), ("format", "completer")]),
    ];
    v.push(Req {
        view: "find",
        query: vec![("format", "json")],
        form: Some(vec![("query", "a.b.*")]),
        accept: None,
    });
    v.push(Req {
        view: "find",
        query: vec![("query", "a.*"), ("pretty", "1")],
        form: Some(vec![("query", "cpu.*")]),
        accept: None,
    });
    for accept in ["text/html", "*/*", "application/json"] {
        for (k, val) in [("jsonp", ""), ("jsonp", "cb")] {
            v.push(Req {
                view: "find",
                query: vec![("query", "odd.*"), (k, val)],
                form: None,
                accept: Some(accept),
            });
        }
    }
    let e = |q: &[(&'static str, &'static str)]| get("expand", q);
    v.extend([
        e(&[("query", "a.*")]),
        e(&[("query", "a.*"), ("query", "cpu.*.load")]),
        e(&[
            ("query", "a.*"),
            ("query", "cpu.*.load"),
            ("groupByExpr", "1"),
        ]),
        e(&[
            ("query", "cpu.*.load"),
            ("query", "a.*"),
            ("query", "cpu.*.load"),
            ("groupByExpr", "1"),
        ]),
        e(&[("query", "a.*"), ("leavesOnly", "1")]),
        e(&[("query", "a.*"), ("jsonp", "cb")]),
        e(&[("query", "a.*"), ("pretty", "1"), ("groupByExpr", "1")]),
        e(&[("query", "a.*"), ("local", "x")]),
        e(&[("query", "a.*"), ("groupByExpr", "yes")]),
        e(&[("query", "")]),
        e(&[]),
        e(&[("query", "odd.*"), ("groupByExpr", "1")]),
    ]);
    let i = |q: &[(&'static str, &'static str)]| get("index", q);
    v.extend([
        i(&[]),
        i(&[("jsonp", "cb")]),
        i(&[("local", "1")]),
        i(&[("local", "x")]),
        i(&[("pretty", "1")]),
    ]);
    v.push(Req {
        view: "index",
        query: vec![],
        form: None,
        accept: Some("text/html"),
    });
    v
}

fn encode(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Masks the clock-dependent interval starts of a JSON body.
fn mask(body: &[u8]) -> String {
    let re = regex::Regex::new(r#""start": -?[0-9.e+-]+"#).unwrap();
    re.replace_all(&String::from_utf8_lossy(body), r#""start": START"#)
        .into_owned()
}

/// The view's part of a 400 for an unparsable time: `Invalid parameters (Invalid value 'x' for
/// param from: `.
fn time_error_prefix(body: &[u8]) -> Option<String> {
    let re =
        regex::Regex::new(r"^Invalid parameters \(Invalid value .* for param (from|until|now): ")
            .unwrap();
    re.find(&String::from_utf8_lossy(body))
        .map(|m| m.as_str().to_owned())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn views_match_the_reference() {
    let storage = Storage::new();
    let whisper = storage.whisper();
    build_tree(&whisper);
    let finder = Finder::new(vec![whisper.clone()]);
    let reqs = requests();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let ours: Vec<Reply> = reqs
        .iter()
        .map(|r| {
            let query = encode(&r.query);
            let form = r.form.as_ref().map(|f| encode(f));
            let params =
                Params::from_query_and_form(Some(&query), form.as_deref().map(str::as_bytes));
            let mut ctx = ViewContext::new(&finder, now);
            ctx.accept = r.accept;
            match r.view {
                "find" => find_view(&params, &ctx),
                "expand" => expand_view(&params, &ctx),
                _ => index_view(&params, &ctx),
            }
        })
        .collect();
    let input = json!({
        "whisper": whisper,
        "requests": reqs.iter().map(|r| json!({
            "view": r.view,
            "query": r.query,
            "form": r.form,
            "accept": r.accept,
        })).collect::<Vec<_>>(),
        "ours": ours.iter().map(|o| json!({
            "content_type": o.content_type,
            "body_hex": hex(&o.body),
        })).collect::<Vec<_>>(),
    });
    let reference = run_driver("find_views.py", &storage.storage(), &input);
    let reference = reference.as_array().unwrap();
    assert_eq!(reference.len(), reqs.len());
    let mut failures = Vec::new();
    let mut decoded_checked = 0;
    for ((req, ours), want) in reqs.iter().zip(&ours).zip(reference) {
        let what = format!(
            "{} {:?} form {:?} accept {:?}",
            req.view, req.query, req.form, req.accept
        );
        let status = want["status"].as_u64().unwrap() as u16;
        if ours.status != status {
            failures.push(format!(
                "{what}: status {} vs reference {status} {want}",
                ours.status
            ));
            continue;
        }
        if let Some(exc) = want.get("exception") {
            // An uncaught exception: Django's 500 page; only the status is comparable.
            assert_eq!(ours.status, 500, "{what}: {exc}");
            continue;
        }
        if ours.content_type != want["content_type"].as_str().unwrap() {
            failures.push(format!(
                "{what}: content type {:?} vs {}",
                ours.content_type, want["content_type"]
            ));
        }
        for (name, key) in [("Pragma", "pragma"), ("Cache-Control", "cache_control")] {
            if header(ours, name) != want[key].as_str() {
                failures.push(format!(
                    "{what}: header {name} {:?} vs {}",
                    header(ours, name),
                    want[key]
                ));
            }
        }
        let ref_body = unhex(want["body_hex"].as_str().unwrap());
        if !want["decoded"].is_null() {
            decoded_checked += 1;
            if want["ours_decoded"] != want["decoded"] {
                failures.push(format!(
                    "{what}: decoded\n  reference {}\n  ours      {}",
                    want["decoded"], want["ours_decoded"]
                ));
            }
            let starts = |k: &str| -> Vec<f64> {
                want[k]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect()
            };
            let (a, b) = (starts("starts"), starts("ours_starts"));
            assert_eq!(a.len(), b.len(), "{what}");
            for (x, y) in a.iter().zip(&b) {
                assert!((x - y).abs() < 60.0, "{what}: start {y} vs reference {x}");
            }
            if ours.content_type == "application/x-msgpack" && ours.body.len() != ref_body.len() {
                failures.push(format!(
                    "{what}: msgpack length {} vs {}",
                    ours.body.len(),
                    ref_body.len()
                ));
            }
        } else if let (Some(a), Some(b)) =
            (time_error_prefix(&ours.body), time_error_prefix(&ref_body))
        {
            // The reason text after the prefix is `attime`'s wording, not the view's.
            if a != b {
                failures.push(format!("{what}: 400 body prefix {a:?} vs {b:?}"));
            }
        } else if mask(&ours.body) != mask(&ref_body) {
            failures.push(format!(
                "{what}: body\n  reference {}\n  ours      {}",
                mask(&ref_body),
                mask(&ours.body)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(decoded_checked >= 9);
}
