//! Golden fixtures for what `format=json` does not show: the drawing options the Graph functions
//! leave on series, and the pie functions' values.
//!
//! `tests/golden/options.expected.json` is written by `tests/golden/generate_options.py`, which
//! evaluates targets with graphite-web 1.1.10's evaluator over the golden dataset. This test
//! builds the same dataset (checking its digest), evaluates the same targets over the same range
//! through our library (finder, whisper reads, evaluator, functions) and compares every series:
//! name, path expression, start, end, step, values, tags, options (key, value and type: bool,
//! number or text), colour, and the three pie functions' values; and the pie functions over the
//! fixture's synthetic value lists. Numbers agree within 1e-9 relative (NaN equals NaN; an int
//! equals the same float). Every mismatch is printed before the test fails.
//!
//! Deliberate differences are marked in the fixture: `"ours": "input_error"` where we answer a
//! 400 (the reference fails with a 500 or stores an unvalidated argument), `"ours": "series"`
//! where we answer with series where the reference fails. A series the reference names `None`
//! (`verticalLine` without a label) is named `""` here.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;
use webapp::app::AppState;
use webapp::evaluator::{EvalError, Evaluator, RequestContext};
use webapp::functions::pie::pie_function;
use webapp::series::{OptionValue, TimeSeries};
use webapp::settings::{Env, Settings};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/options.expected.json"
);
const DATASET_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/dataset.py");
/// Floats agree when |a - b| <= REL_TOL * max(|a|, |b|).
const REL_TOL: f64 = 1e-9;
const PIE_MODES: [&str; 3] = ["average", "maximum", "minimum"];

/// A Python literal for the settings file (strings, numbers, lists).
fn py_literal(v: &Json, dir: &str) -> String {
    match v {
        Json::Null => "None".into(),
        Json::Bool(b) => if *b { "True" } else { "False" }.into(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => format!("{:?}", s.replace("{dir}", dir)),
        Json::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|x| py_literal(x, dir))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Json::Object(_) => panic!("no dict settings expected"),
    }
}

/// Builds the dataset under `dir` (checking it is the one the fixture was recorded from) and
/// the server's state over it with the fixture's settings (the runtime must outlive it).
fn dataset_state(dir: &Path, fixture: &Json) -> (AppState, tokio::runtime::Runtime) {
    let python = reference_python::python();
    let out = Command::new(&python)
        .arg(DATASET_PY)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "dataset.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Json = serde_json::from_slice(&out.stdout).expect("dataset.py prints JSON");
    assert_eq!(
        summary["sha256"], fixture["dataset"]["sha256"],
        "dataset.py builds another dataset than options.expected.json was recorded from: \
         regenerate with .venv-ref/bin/python webapp/tests/golden/generate_options.py"
    );
    let dir_str = dir.to_str().expect("utf-8 temp dir");
    let mut conf = String::new();
    for (k, v) in fixture["settings"].as_object().expect("settings") {
        conf.push_str(&format!("{k} = {}\n", py_literal(v, dir_str)));
    }
    let conf_path = dir.join("local_settings.py");
    std::fs::write(&conf_path, conf).expect("write the settings file");
    let settings = Settings::load(&conf_path, &Env::default()).expect("settings load");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let state = {
        let _guard = runtime.enter();
        AppState::new(settings, runtime.handle().clone()).expect("app state")
    };
    (state, runtime)
}

/// The fixture's spelling of a number: a JSON number, or "nan"/"inf"/"-inf".
fn fixture_number(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => match s.as_str() {
            "nan" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

fn close(expected: f64, actual: f64) -> bool {
    if expected.is_nan() || actual.is_nan() {
        return expected.is_nan() && actual.is_nan();
    }
    if expected.is_infinite() || actual.is_infinite() {
        return expected == actual;
    }
    (expected - actual).abs() <= REL_TOL * expected.abs().max(actual.abs())
}

/// Compares an optional number with the fixture's (null is None).
fn check_number(at: &str, expected: &Json, actual: Option<f64>, out: &mut Vec<String>) {
    let ok = match (expected, actual) {
        (Json::Null, None) => true,
        (e, Some(a)) => fixture_number(e).is_some_and(|e| close(e, a)),
        _ => false,
    };
    if !ok {
        out.push(format!("{at}: expected {expected}, got {actual:?}"));
    }
}

fn check_option(at: &str, expected: &Json, actual: Option<&OptionValue>, out: &mut Vec<String>) {
    let ok = match (expected, actual) {
        (Json::Bool(e), Some(OptionValue::Bool(a))) => e == a,
        (Json::String(e), Some(OptionValue::Text(a))) => e == a,
        (e, Some(OptionValue::Number(a))) if !e.is_boolean() => {
            fixture_number(e).is_some_and(|e| close(e, *a))
        }
        _ => false,
    };
    if !ok {
        out.push(format!("{at}: expected {expected}, got {actual:?}"));
    }
}

/// Every difference between a recorded series and ours.
fn compare_series(at: &str, e: &Json, a: &TimeSeries, out: &mut Vec<String>) {
    // The reference's `None` name (verticalLine without a label) is "" here.
    let text = |v: &Json| v.as_str().unwrap_or_default().to_owned();
    if text(&e["name"]) != a.name {
        out.push(format!(
            "{at}.name: expected {}, got {:?}",
            e["name"], a.name
        ));
    }
    if text(&e["pathExpression"]) != a.path_expression {
        out.push(format!(
            "{at}.pathExpression: expected {}, got {:?}",
            e["pathExpression"], a.path_expression
        ));
    }
    check_number(
        &format!("{at}.start"),
        &e["start"],
        Some(a.start as f64),
        out,
    );
    check_number(&format!("{at}.end"), &e["end"], Some(a.end as f64), out);
    check_number(&format!("{at}.step"), &e["step"], Some(a.step as f64), out);
    let values = e["values"].as_array().expect("values");
    if values.len() == a.values.len() {
        for (i, (ev, av)) in values.iter().zip(&a.values).enumerate() {
            check_number(&format!("{at}.values[{i}]"), ev, *av, out);
        }
    } else {
        out.push(format!(
            "{at}.values: expected {} values, got {}",
            values.len(),
            a.values.len()
        ));
    }
    let tags: HashMap<String, String> = e["tags"]
        .as_object()
        .expect("tags")
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    let ours: HashMap<String, String> = a.tags.clone().into_iter().collect();
    if tags != ours {
        out.push(format!("{at}.tags: expected {tags:?}, got {ours:?}"));
    }
    let options = e["options"].as_object().expect("options");
    for (key, value) in options {
        check_option(
            &format!("{at}.options.{key}"),
            value,
            a.options.values.get(key),
            out,
        );
    }
    for key in a.options.values.keys() {
        if !options.contains_key(key) {
            out.push(format!("{at}.options: unexpected {key}"));
        }
    }
    let color = e.get("color").map(text);
    if color != a.options.color {
        out.push(format!(
            "{at}.color: expected {color:?}, got {:?}",
            a.options.color
        ));
    }
    for mode in PIE_MODES {
        let f = pie_function(mode).expect("pie mode");
        check_number(&format!("{at}.pie.{mode}"), &e["pie"][mode], f(a), out);
    }
}

/// Evaluates one case through our library and lists its differences from the recording.
fn run_case(state: &AppState, case: &Json) -> Vec<String> {
    let id = case["id"].as_str().expect("id");
    let c = &case["context"];
    let int = |k: &str| c[k].as_i64().expect("context field");
    let targets: Vec<String> = case["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t.as_str().expect("target").to_owned())
        .collect();
    let ctx = RequestContext {
        start: int("start"),
        end: int("end"),
        now: int("now"),
        tz: webapp::attime::parse_tz(c["tz"].as_str().expect("tz")).expect("known tz"),
        x_files_factor: std::cell::Cell::new(c["xFilesFactor"].as_f64().expect("xFilesFactor")),
        template: Default::default(),
        local_only: false,
        max_data_points: None,
        targets: targets.clone(),
    };
    let mut out = Vec::new();
    let exprs: Vec<_> = match targets
        .iter()
        .map(|t| webapp::grammar::parse_target(t))
        .collect::<Result<_, _>>()
    {
        Ok(exprs) => exprs,
        Err(e) => return vec![format!("{id}: target does not parse: {e}")],
    };
    let storage = state.storage();
    let mut evaluator = Evaluator::new(
        &storage,
        state.settings.enforce_input_validation,
        state.settings.max_series_per_request,
    );
    let result = evaluator.evaluate_targets(&ctx, &exprs);
    let ours = case["ours"].as_str();
    match (result, ours) {
        (Err(EvalError::InputParameter { .. }), Some("input_error")) => {}
        (Err(EvalError::InputParameter { message, .. }), None) if case.get("error").is_some() => {
            if case["error"].as_str() != Some(message.as_str()) {
                out.push(format!(
                    "{id}: expected error {}, got {message:?}",
                    case["error"]
                ));
            }
        }
        (Ok(_), Some("series")) => {}
        (Ok(series), None) if case.get("series").is_some() => {
            let expected = case["series"].as_array().expect("series");
            if expected.len() != series.len() {
                out.push(format!(
                    "{id}: expected {} series, got {}: {:?}",
                    expected.len(),
                    series.len(),
                    series.iter().map(|s| &s.name).collect::<Vec<_>>()
                ));
            }
            for (i, (e, a)) in expected.iter().zip(&series).enumerate() {
                compare_series(&format!("{id}[{i}]"), e, a, &mut out);
            }
        }
        (result, _) => out.push(format!(
            "{id}: the reference answered {}, we answered {:?} (ours: {ours:?})",
            case.get("series")
                .map(|_| "series".to_owned())
                .or_else(|| case.get("error").map(|e| format!("error {e}")))
                .or_else(|| case.get("exception").map(|e| format!("a 500 ({e})")))
                .unwrap_or_default(),
            result.map(|s| s.len())
        )),
    }
    out
}

fn load_fixture() -> Json {
    let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
    serde_json::from_str(&text).expect("options.expected.json is JSON")
}

#[test]
fn graph_options_and_pie_values_match_the_reference() {
    let fixture = load_fixture();
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, _runtime) = dataset_state(dir.path(), &fixture);
    let cases = fixture["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for case in cases {
        failures.extend(run_case(&state, case));
    }
    assert!(
        failures.is_empty(),
        "{} differences in {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn pie_functions_match_the_reference_on_synthetic_series() {
    let fixture = load_fixture();
    let mut failures = Vec::new();
    for (i, case) in fixture["pie_series"]
        .as_array()
        .expect("pie_series")
        .iter()
        .enumerate()
    {
        let values: Vec<Option<f64>> = case["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(fixture_number)
            .collect();
        let end = 10 * values.len() as i64;
        let mut series = TimeSeries::new("synthetic", 0, end, 10, values, 0.0);
        series.consolidate(
            usize::try_from(case["valuesPerPoint"].as_u64().expect("valuesPerPoint"))
                .expect("small"),
        );
        for mode in PIE_MODES {
            let f = pie_function(mode).expect("pie mode");
            check_number(
                &format!("pie_series[{i}].{mode}"),
                &case["pie"][mode],
                f(&series),
                &mut failures,
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_graph_and_pie_function_has_three_cases() {
    let fixture = load_fixture();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for case in fixture["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().expect("id");
        let function = id.split('-').next().unwrap_or_default();
        *counts.entry(function).or_default() += 1;
    }
    for function in [
        "alpha",
        "areaBetween",
        "color",
        "dashed",
        "drawAsInfinite",
        "lineWidth",
        "secondYAxis",
        "stacked",
        "threshold",
        "verticalLine",
    ] {
        assert!(
            counts.get(function).copied().unwrap_or(0) >= 3,
            "{function}: {counts:?}"
        );
    }
    assert!(fixture["pie_series"].as_array().expect("pie").len() >= 3);
}
