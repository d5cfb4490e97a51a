//! Bad input to every `/render` and `/metrics` parameter: a 400 that says what is wrong (or
//! the reference's lenient answer where it ignores the value), never a panic or a 500.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use tower::ServiceExt;
use webapp::app::{router, AppState};
use webapp::settings::{parse_file, Env, Settings};

struct Server {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

fn server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let whisper_dir = dir.path().join("whisper");
    std::fs::create_dir_all(whisper_dir.join("a")).expect("mkdir");
    let now = whisper::now_epoch_secs();
    let db = whisper::Whisper::default();
    let archives = whisper::parse_retention_def("60:1440")
        .map(|a| vec![a])
        .expect("retention");
    let file = whisper_dir.join("a/b.wsp");
    db.create(&file, &archives, &whisper::CreateOptions::default())
        .expect("create");
    db.update_many(&file, &[(now - 120, 1.0), (now - 60, 2.0)], None)
        .expect("update");
    let assignments = parse_file(&format!(
        "STORAGE_DIR = '{}'\nWHISPER_DIR = '{}'\nCARBONLINK_HOSTS = []\n",
        dir.path().display(),
        whisper_dir.display()
    ))
    .expect("settings");
    let settings = Settings::derive(&assignments, &Env::default()).expect("settings");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let state = Arc::new(AppState::new(settings, runtime.handle().clone()).expect("state"));
    let app = router(&state);
    Server {
        runtime,
        app,
        _dir: dir,
    }
}

impl Server {
    fn get(&self, path_and_query: &str) -> (StatusCode, String) {
        let request = Request::get(path_and_query)
            .body(Body::empty())
            .expect("request");
        self.send(request)
    }

    fn post_form(&self, path: &str, form: &str) -> (StatusCode, String) {
        let request = Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .expect("request");
        self.send(request)
    }

    fn send(&self, request: Request<Body>) -> (StatusCode, String) {
        self.runtime.block_on(async {
            let response = self.app.clone().oneshot(request).await.expect("response");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            (status, String::from_utf8_lossy(&body).into_owned())
        })
    }
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[test]
fn bad_render_parameters_are_400s_with_reasons() {
    let s = server();
    let cases: &[(&str, &str)] = &[
        (
            "target=a.b&format=json&from=garbage",
            "Unknown day reference: garbage",
        ),
        (
            "target=a.b&format=json&until=2023-11-01",
            "Unknown day reference",
        ),
        (
            "target=a.b&format=json&now=someday",
            "Unknown day reference",
        ),
        ("target=a.b&format=json&from=-1m", "Invalid offset unit 'm'"),
        (
            "target=a.b&format=json&from=-1h&until=-1h",
            "Invalid empty time range",
        ),
        (
            "target=a.b&format=json&graphType=bar",
            "Invalid graphType 'bar'",
        ),
        (
            "target=a.b&format=json&cacheTimeout=soon",
            "invalid literal for int() with base 10: 'soon'",
        ),
        (
            "target=a.b&format=json&xFilesFactor=half",
            "could not convert string to float",
        ),
        ("target=nosuch(a.b)&format=json", "unknown function: nosuch"),
        ("target=sumSeries(a.b&format=json", "position"),
        ("target=a.b)))junk&format=json", "position"),
        ("target=scale(a.b,.5)&format=json", "position"),
        (
            "target=scale(a.b)&format=json",
            "Missing required parameter \"factor\"",
        ),
        (
            "target=scale(a.b,'x')&format=json",
            "Invalid \"float\" value",
        ),
        ("target=scale(a.b,1,2)&format=json", "Too many parameters"),
        (
            "target=consolidateBy(a.b,'median')&format=json",
            "Invalid option",
        ),
        (
            "target=aliasSub(a.b,'(','x')&format=json",
            "invalid regular expression",
        ),
        (
            "target=aliasSub(a.b,'(a)','\\2')&format=json",
            "invalid group reference",
        ),
    ];
    for (query, reason) in cases {
        let path = format!(
            "/render?{}",
            query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => format!("{}={}", k, encode(v)),
                    None => kv.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("&")
        );
        let (status, body) = s.get(&path);
        let body: String = body.chars().take(300).collect();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body.contains(reason), "{query}: {body:?} lacks {reason:?}");
        assert!(body.starts_with("Invalid parameters ("), "{query}: {body}");
    }
}

#[test]
fn ignored_values_are_ignored_as_in_the_reference() {
    let s = server();
    for query in [
        "target=a.b&format=json&maxDataPoints=5.5",
        "target=a.b&format=json&maxDataPoints=-1",
        "target=a.b&format=json&maxDataPoints=99999999999999999999999999",
        "target=a.b&format=json&tz=Mars/Olympus",
        "target=a.b&format=json&noNullPoints",
        "target=&format=json",
        "format=json",
    ] {
        let (status, body) = s.get(&format!("/render?{query}"));
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
    }
}

#[test]
fn bad_metrics_parameters_are_400s() {
    let s = server();
    for (path, reason) in [
        ("/metrics/find", "Missing required parameter 'query'"),
        (
            "/metrics/find?query=",
            "Required parameter 'query' is empty",
        ),
        (
            "/metrics/find?query=a.*&format=yaml",
            "Invalid value for 'format' parameter",
        ),
        (
            "/metrics/find?query=a.*&leavesOnly=yes",
            "Invalid int value 'yes'",
        ),
        (
            "/metrics/find?query=a.*&from=garbage",
            "Unknown day reference: garbage",
        ),
    ] {
        let (status, body) = s.get(path);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body.contains(reason), "{path}: {body:?} lacks {reason:?}");
    }
}

#[test]
fn bad_tag_input_is_a_400_with_the_reason() {
    let s = server();
    let (status, body) = s.post_form("/tags/tagMultiSeries", "path=a.b%3Bdc%3Deu");
    assert_eq!(status, StatusCode::OK, "{body}");
    let render = |target: &str| format!("/render?format=json&from=-1h&target={}", encode(target));
    for (path, reason) in [
        ("/tags/findSeries?expr=dc".to_owned(), "Invalid tagspec dc"),
        (
            format!("/tags/findSeries?expr={}", encode("dc!=x")),
            "At least one tagspec must not match the empty string",
        ),
        (
            format!("/tags/findSeries?expr={}", encode("dc=~(")),
            "invalid regular expression",
        ),
        (
            "/tags/findSeries".to_owned(),
            "no tag expressions specified",
        ),
        (
            format!("/tags?filter={}", encode("(")),
            "invalid regular expression",
        ),
        (
            "/tags?limit=x".to_owned(),
            "invalid literal for int() with base 10: 'x'",
        ),
        ("/tags/dc?limit=1.5".to_owned(), "invalid literal for int()"),
        ("/tags/autoComplete/values".to_owned(), "no tag specified"),
        (
            format!(
                "/tags/autoComplete/values?tag=a%3Bb&expr={}",
                encode("dc=eu")
            ),
            "Invalid tagspec a;b!=",
        ),
        (
            "/tags/autoComplete/tags?expr=nope".to_owned(),
            "Invalid tagspec nope",
        ),
        (render("seriesByTag('dc=~(')"), "invalid regular expression"),
        (
            render("seriesByTag('dc!=eu')"),
            "At least one tagspec must not match the empty string",
        ),
        (
            render("seriesByTag()"),
            "At least one tagspec must not match the empty string",
        ),
        (render("seriesByTag('dc')"), "Invalid tagspec dc"),
    ] {
        let (status, body) = s.get(&path);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body.contains(reason), "{path}: {body:?} lacks {reason:?}");
    }
    for (path, form, reason) in [
        (
            "/tags/tagSeries",
            "path=a%3B%3Db",
            "Cannot parse path a;=b, invalid segment =b",
        ),
        (
            "/tags/tagSeries",
            "path=a%3Bb%3D",
            "Value for tag \\\"b\\\" may not be empty",
        ),
        ("/tags/tagSeries", "", "no path specified"),
        ("/tags/tagMultiSeries", "path=~", "Cannot use metric name ~"),
        ("/tags/delSeries", "path=%3Bx%3Dy", "no metric found"),
    ] {
        let (status, body) = s.post_form(path, form);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {form}: {body}");
        assert!(
            body.contains(reason),
            "{path} {form}: {body:?} lacks {reason:?}"
        );
    }
    // The valid series is still there.
    let (status, body) = s.get("/tags/findSeries?expr=dc%3Deu");
    assert_eq!((status, body.as_str()), (StatusCode::OK, "[\"a.b;dc=eu\"]"));
}

/// Random tag expressions (operators, regex syntax, separators) in every tag endpoint and in
/// seriesByTag: the answer is a 200 or a 400, never a 500 or a panic.
#[test]
fn random_tag_queries_never_fail_the_server() {
    let s = server();
    s.post_form(
        "/tags/tagMultiSeries",
        "path=a.b%3Bdc%3Deu%3Bhost%3Dx&path=c%3Bdc%3Dus&path=plain",
    );
    let alphabet: Vec<char> = "adch=!~;^$.*()[]{}|+?\\,'\" ".chars().collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for _ in 0..1500 {
        let exprs: Vec<String> = (0..next(4))
            .map(|_| {
                (0..next(10))
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect()
            })
            .collect();
        let query: String = exprs
            .iter()
            .map(|e| format!("&expr={}", encode(e)))
            .collect();
        let target = format!(
            "seriesByTag({})",
            exprs
                .iter()
                .map(|e| format!("'{e}'"))
                .collect::<Vec<_>>()
                .join(",")
        );
        for path in [
            format!("/tags/findSeries?x=1{query}"),
            format!("/tags/autoComplete/tags?x=1{query}"),
            format!("/tags/autoComplete/values?tag=dc{query}"),
            format!(
                "/tags?filter={}",
                encode(exprs.first().map_or("", String::as_str))
            ),
            format!("/render?format=json&target={}", encode(&target)),
        ] {
            let (status, body) = s.get(&path);
            assert!(
                status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
                "{path}: {status} {body}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Random values in every parameter: the server answers (no panic, no 500).
    #[test]
    fn random_render_parameters_never_fail_the_server(
        target in ".{0,40}",
        from in prop::option::of(".{0,12}"),
        until in prop::option::of(".{0,12}"),
        tz in prop::option::of("[A-Za-z/_]{0,20}"),
        mdp in prop::option::of(".{0,6}"),
        fmt in prop::sample::select(vec!["json", "csv", "raw", "pickle", "msgpack", "dygraph", "rickshaw"]),
        xff in prop::option::of(".{0,5}"),
    ) {
        thread_local! { static SERVER: Server = server(); }
        let mut query = format!("target={}&format={fmt}", encode(&target));
        for (name, value) in [("from", &from), ("until", &until), ("tz", &tz), ("maxDataPoints", &mdp), ("xFilesFactor", &xff)] {
            if let Some(v) = value {
                query.push_str(&format!("&{name}={}", encode(v)));
            }
        }
        let (status, body) = SERVER.with(|s| s.get(&format!("/render?{query}")));
        prop_assert!(status == StatusCode::OK || status == StatusCode::BAD_REQUEST, "{query}: {status} {body}");
    }
}

/// A random argument: a path (matching or not), a nested call, a number, a string, a boolean.
fn argument() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a.b".to_owned()),
        Just("a.*".to_owned()),
        Just("x.nothere".to_owned()),
        Just("sumSeries(a.*)".to_owned()),
        any::<i32>().prop_map(|i| i.to_string()),
        (-1e6f64..1e6).prop_map(|f| format!("{f:.3}")),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("inf".to_owned()),
        Just("none".to_owned()),
        Just("true".to_owned()),
        "[a-z0-9]{0,6}".prop_map(|s| format!("'{s}'")),
        prop::sample::select(vec![
            "'1h'",
            "'-5min'",
            "'0s'",
            "'sum'",
            "'avg'",
            "'median'",
            "'max'",
            "'last'",
            "'x'",
            "''",
            "'1d'",
            "'999999999y'",
            "'\\1'",
            "'(a)'",
            "'days'",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, .. ProptestConfig::default() })]

    /// Every implemented function with random arguments: an answer (200, or 400 for invalid
    /// arguments), never a panic or a 500.
    #[test]
    fn random_function_calls_never_fail_the_server(
        function in prop::sample::select(webapp::functions::implemented_names()),
        args in prop::collection::vec(argument(), 0..5),
        from in prop::sample::select(vec!["-1h", "-1d", "-10min"]),
    ) {
        thread_local! { static SERVER: Server = server(); }
        let target = format!("{function}({})", args.join(","));
        let query = format!("target={}&format=json&from={from}", encode(&target));
        let (status, body) = SERVER.with(|s| s.get(&format!("/render?{query}")));
        let body: String = body.chars().take(300).collect();
        prop_assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{target}: {status} {body}"
        );
    }
}
