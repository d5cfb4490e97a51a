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
        "WHISPER_DIR = '{}'\nCARBONLINK_HOSTS = []\n",
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
