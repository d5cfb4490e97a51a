//! Bad input to the graph images (`format=png|svg|pdf`, `graphType=line|pie`): negative and
//! huge sizes, unknown colours, a log axis over non-positive data, absurd option values. Each
//! gets the reference's answer (graphite-web 1.1.10 fails most of them with a 500 while
//! drawing; the statuses below were recorded from it over the golden dataset, and
//! `tests/graph/reference_bad_input.py` re-checks them) or, for sizes
//! above `MAX_IMAGE_PIXELS` (ours), a 400 that says why; never a panic. A proptest throws
//! random values at every option through the library (where a panic would fail the test,
//! instead of becoming a 500 as it does in the server).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use tower::ServiceExt;
use webapp::app::{router, AppState};
use webapp::graph::line::params::{GRAPH_CUSTOMIZABLE, LINE_CUSTOMIZABLE, PIE_CUSTOMIZABLE};
use webapp::graph::render::{render_image, GraphData, ImageError, ImageRequest};
use webapp::params::Params;
use webapp::series::TimeSeries;
use webapp::settings::{parse_file, Env, Settings};

struct Server {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

const NOW: i64 = 1_700_000_000;

fn settings(dir: &std::path::Path) -> Settings {
    let assignments = parse_file(&format!(
        "STORAGE_DIR = '{0}'\nWHISPER_DIR = '{0}/whisper'\nCARBONLINK_HOSTS = []\nTIME_ZONE = 'UTC'\n",
        dir.display(),
    ))
    .expect("settings");
    Settings::derive(&assignments, &Env::default()).expect("settings")
}

/// A server over `test.constant` (42.5), `test.negative` (-1..-97) and `test.empty` (no
/// values) for the last day at one-minute steps, shaped as the golden dataset's series the
/// reference's answers were recorded over.
fn server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let whisper_dir = dir.path().join("whisper");
    std::fs::create_dir_all(whisper_dir.join("test")).expect("mkdir");
    let db = whisper::Whisper::default();
    let archives = whisper::parse_retention_def("60:1440")
        .map(|a| vec![a])
        .expect("retention");
    for (name, value) in [
        ("constant", Some(42.5)),
        ("negative", None),
        ("empty", None),
    ] {
        let file = whisper_dir.join(format!("test/{name}.wsp"));
        db.create(&file, &archives, &whisper::CreateOptions::default())
            .expect("create");
        let points: Vec<(i64, f64)> = match (name, value) {
            ("empty", _) => Vec::new(),
            (_, Some(v)) => (0..1440).map(|i| (NOW - 60 * i, v)).collect(),
            _ => (0..1440)
                .map(|i| (NOW - 60 * i, -1.0 - (i % 97) as f64))
                .collect(),
        };
        db.update_many(&file, &points, Some(NOW)).expect("update");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let state =
        Arc::new(AppState::new(settings(dir.path()), runtime.handle().clone()).expect("state"));
    let app = router(&state);
    Server {
        runtime,
        app,
        _dir: dir,
    }
}

impl Server {
    fn get(&self, query: &str) -> (StatusCode, String, Vec<u8>) {
        // The default range (one day), as the recorded reference answers used.
        let uri = format!("/render?{query}&now={NOW}");
        let request = Request::get(uri).body(Body::empty()).expect("request");
        self.runtime.block_on(async {
            let response = self.app.clone().oneshot(request).await.expect("response");
            let status = response.status();
            let ctype = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            (status, ctype, body.to_vec())
        })
    }
}

/// What the reference answers (recorded with the Django test client over the golden dataset,
/// which has the same `test.constant` and `test.negative` shapes): `200` an image, `500` an
/// exception while drawing (its class in the comment).
const CASES: &[(&str, u16)] = &[
    ("target=test.constant&width=-1", 500),    // CairoError
    ("target=test.constant&width=0", 500),     // OSError: write_to_png of 0 pixels
    ("target=test.constant&height=0", 500),    // OSError
    ("target=test.constant&width=40000", 500), // CairoError: invalid size
    ("target=test.constant&width=abc", 500),   // ValueError
    ("target=test.constant&width=1.5&height=2.5", 200),
    ("target=test.constant&width=1&height=1", 200),
    ("target=test.constant&bgcolor=nocolor", 500), // ValueError
    ("target=test.constant&fgcolor=nocolor", 500), // ValueError
    ("target=test.constant&colorList=zzzzzz", 500), // ValueError
    ("target=test.constant&majorGridLineColor=bogus", 500),
    ("target=test.negative&logBase=10", 500), // GraphError: minimum <= 0
    ("target=test.constant&logBase=0.5", 200), // below 1: ignored
    ("target=test.constant&logBase=1", 500),  // GraphError
    ("target=test.constant&logBase=abc", 500), // TypeError
    ("target=test.constant&fontSize=-5", 500), // ValueError: math domain error
    ("target=test.constant&fontSize=0", 500),
    ("target=test.constant&fontSize=200", 200),
    ("target=test.constant&margin=100000", 500), // ZeroDivisionError
    ("target=test.constant&margin=abc", 500),
    ("target=test.constant&yMin=abc", 500),       // TypeError
    ("target=test.constant&yMin=10&yMax=5", 500), // GraphError
    ("target=test.constant&yStep=0", 500),        // ZeroDivisionError
    ("target=test.constant&yStep=-1", 500),       // GraphError
    ("target=test.constant&yStep=0.0000000001", 200),
    ("target=test.constant&yDivisors=0", 500), // GraphError
    ("target=test.constant&lineWidth=-1", 200),
    ("target=test.constant&lineWidth=abc", 500),
    ("target=test.constant&minXStep=0", 200),
    ("target=test.constant&xFormat=%25Q", 200),
    ("target=test.constant&outputFormat=gif", 500), // AttributeError: no ctx
    ("target=test.constant&outputFormat=SVG", 200), // an SVG labelled image/png
    ("target=test.constant&tz=Nowhere/Nope", 500),  // UnknownTimeZoneError
    ("target=test.constant&areaAlpha=abc&areaMode=all", 200),
    ("target=test.constant&areaMode=bogus", 500), // AssertionError
    ("target=test.constant&lineMode=bogus", 500), // AssertionError
    ("target=test.constant&yUnitSystem=bogus", 200),
    ("target=test.constant&minorY=-1", 200),
    ("target=test.constant&yAxisSide=bogus", 200),
    ("target=test.constant&template=nope", 200),
    ("target=test.constant&hideLegend=abc", 200),
    ("target=test.constant&format=svg&jsonp=cb", 500), // TypeError: json.dumps(bytes)
    ("target=test.constant&title=5", 500),             // AttributeError
    ("target=test.constant&fontBold=abc", 500),        // TypeError (cairo)
    ("target=test.constant&fontName=5", 500),          // AttributeError
    ("target=test.constant&graphType=pie&valueLabels=bogus", 500), // AssertionError
    ("target=test.constant&graphType=pie&pieMode=bogus", 500), // KeyError
    ("target=test.nothere&graphType=pie&pieMode=bogus", 200), // no series: never looked up
    ("target=test.constant&graphType=pie&valueLabelsMin=abc", 500),
    ("target=test.constant&graphType=pie&width=-5", 500),
    ("target=a:b&graphType=pie", 500), // ValueError: Invalid target
    ("target=a:1&target=b:-1&graphType=pie", 500), // ZeroDivisionError
    ("target=a:0&graphType=pie", 500),
    ("target=a:1&target=b:-3&graphType=pie", 200), // negative slices are drawn
    ("target=test.empty&graphType=pie", 500),      // one slice of 0: ZeroDivisionError
    ("target=test.nothere&graphType=pie", 200),    // No Data
    ("format=png", 200),                           // no target at all: No Data
    ("graphType=pie&format=svg", 200),
];

#[test]
fn bad_graph_options_answer_as_the_reference() {
    let server = server();
    let mut wrong = Vec::new();
    for &(query, want) in CASES {
        let (status, ctype, body) = server.get(query);
        if status.as_u16() != want {
            wrong.push(format!(
                "{query}: {status}, the reference {want}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        } else if want == 200 && !ctype.starts_with("image/") {
            wrong.push(format!("{query}: content type {ctype}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Ours: an image above `MAX_IMAGE_PIXELS` (16,777,216 by default) is a 400 naming the
/// setting; the reference would allocate it.
#[test]
fn huge_images_are_refused_before_allocating() {
    let server = server();
    for query in [
        "target=test.constant&width=5000&height=5000",
        "target=test.constant&width=32767&height=32767",
        "target=test.constant&graphType=pie&width=20000&height=20000",
        "target=test.constant&width=99999999999999999999&height=99999999999999999999",
    ] {
        let (status, _, body) = server.get(query);
        let text = String::from_utf8_lossy(&body);
        if query.contains("99999999999999999999") {
            // Beyond any int: the reference's cairo refuses the size (a 500); so do we.
            assert!(
                status.as_u16() == 400 || status.as_u16() == 500,
                "{query}: {status}"
            );
        } else {
            assert_eq!(status.as_u16(), 400, "{query}: {text}");
            assert!(text.contains("MAX_IMAGE_PIXELS"), "{query}: {text}");
        }
    }
    // A non-image format ignores the size.
    let (status, _, _) = server.get("target=test.constant&width=50000&height=50000&format=json");
    assert_eq!(status.as_u16(), 200);
}

/// The reference labels by `outputFormat` as given: `SVG` draws an SVG labelled image/png.
#[test]
fn content_types_follow_the_reference() {
    let server = server();
    let (_, ctype, body) = server.get("target=test.constant&outputFormat=SVG");
    assert_eq!(ctype, "image/png");
    assert!(body.starts_with(b"<?xml"), "an SVG body");
    let (_, ctype, _) = server.get("target=test.constant&format=svg");
    assert_eq!(ctype, "image/svg+xml");
    let (_, ctype, body) = server.get("target=test.constant&format=pdf");
    assert_eq!(ctype, "application/x-pdf");
    assert!(body.starts_with(b"%PDF-"));
    let (_, ctype, body) = server.get("target=test.constant&graphType=pie&format=json");
    assert_eq!(ctype, "image/png", "a pie ignores the data formats");
    assert!(body.starts_with(b"\x89PNG"));
}

fn one_series() -> Vec<TimeSeries> {
    let values = (0..60)
        .map(|i| {
            if i % 7 == 3 {
                None
            } else {
                Some(f64::from(i) - 20.0)
            }
        })
        .collect();
    vec![
        TimeSeries::new("a.b", NOW - 3600, NOW, 60, values, 0.0),
        TimeSeries::new("a.c", NOW - 3600, NOW, 60, vec![None; 60], 0.0),
    ]
}

/// Values that exercise the coercions: ints, floats, bools, colours, words, huge and odd.
fn option_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-1000i64..1000).prop_map(|i| i.to_string()),
        (-1e6f64..1e6).prop_map(|f| format!("{f:.3}")),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("red".to_owned()),
        Just("#ff00ff80".to_owned()),
        Just("e".to_owned()),
        Just("nan".to_owned()),
        Just("inf".to_owned()),
        Just("-0".to_owned()),
        Just("99999999999999999999999".to_owned()),
        Just("1e308".to_owned()),
        Just("4,5,6".to_owned()),
        Just("%25H:%25M".to_owned()),
        "[a-zA-Z%#,. ]{0,12}",
    ]
}

fn option_name() -> impl Strategy<Value = &'static str> {
    let names: Vec<&'static str> = GRAPH_CUSTOMIZABLE
        .iter()
        .chain(LINE_CUSTOMIZABLE)
        .chain(PIE_CUSTOMIZABLE)
        .copied()
        .filter(|n| !matches!(*n, "width" | "height" | "fontSize"))
        .collect();
    proptest::sample::select(names)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Random values for random options, line and pie: an image, a 400 or a drawing error,
    /// never a panic.
    #[test]
    fn random_options_never_panic(
        options in proptest::collection::vec((option_name(), option_value()), 1..6),
        pie in any::<bool>(),
        format in prop_oneof![Just("png"), Just("svg"), Just("pdf")],
        size in (0i64..400, 0i64..300),
        font_size in -2i64..30,
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = settings(dir.path());
        let mut pairs: Vec<(String, String)> = options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        pairs.push(("width".into(), size.0.to_string()));
        pairs.push(("height".into(), size.1.to_string()));
        pairs.push(("fontSize".into(), font_size.to_string()));
        let params = Params::from_pairs(pairs);
        let request = ImageRequest {
            params: &params,
            format: Some(format),
            jsonp: None,
            settings: &settings,
        };
        let data = if pie {
            GraphData::Pie(vec![("x".into(), 3.0), ("y".into(), -1.0), ("z".into(), 0.5)])
        } else {
            GraphData::Line(one_series())
        };
        match render_image(&request, data) {
            Ok(image) => prop_assert!(!image.body.is_empty()),
            Err(ImageError::BadRequest(m) | ImageError::Failed(m)) => prop_assert!(!m.is_empty()),
        }
    }
}
