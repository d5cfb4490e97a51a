//! Binding and validation against the catalog's parameter specs.

use super::*;

fn series(name: &str) -> TimeSeries {
    TimeSeries::new(name, 0, 60, 60, vec![Some(1.0)], 0.0)
}

#[test]
fn every_implementation_is_in_the_catalog() {
    for name in implemented_names() {
        let f = lookup(name).unwrap();
        assert_eq!(f.info["name"], name);
        assert!(f.info.get("aggregator").is_none());
    }
    assert!(CATALOG.series.len() >= 154);
}

#[test]
fn binds_positional_multiple_and_keyword_arguments() {
    let sum = lookup("sumSeries").unwrap();
    let mut args = Args::bind(
        sum,
        vec![
            Value::SeriesList(vec![series("a")]),
            Value::SeriesList(vec![series("b")]),
        ],
        &[],
        true,
    )
    .unwrap();
    assert_eq!(args.series_lists(0).len(), 2);

    let scale = lookup("scale").unwrap();
    let args = Args::bind(
        scale,
        vec![Value::SeriesList(vec![])],
        &[("factor".into(), Value::Int(2))],
        true,
    )
    .unwrap();
    assert_eq!(args.float(1), Some(2.0));
}

#[test]
fn reports_the_reference_messages() {
    let scale = lookup("scale").unwrap();
    let err = Args::bind(scale, vec![Value::SeriesList(vec![])], &[], true).unwrap_err();
    assert_eq!(
        err,
        "Missing required parameter \"factor\" for function \"scale\""
    );
    let err = Args::bind(
        scale,
        vec![Value::SeriesList(vec![]), Value::Float(1.0), Value::Int(3)],
        &[],
        true,
    )
    .unwrap_err();
    assert_eq!(err, "Too many parameters specified for function \"scale\"");
    let err = Args::bind(
        scale,
        vec![Value::SeriesList(vec![]), Value::Str("x".into())],
        &[],
        true,
    )
    .unwrap_err();
    assert_eq!(
        err,
        "Invalid \"float\" value specified for function \"scale\" parameter \"factor\": 'x'"
    );
    let err = Args::bind(
        scale,
        vec![Value::SeriesList(vec![]), Value::Float(2.0)],
        &[("bogus".into(), Value::Int(1))],
        true,
    )
    .unwrap_err();
    // Positional plus keyword arguments outnumber the parameters before names are looked at.
    assert_eq!(err, "Too many parameters specified for function \"scale\"");
}

#[test]
fn functions_view_lists_implemented_functions() {
    let reply = functions_view(&Params::default(), "GET", None);
    assert_eq!(reply.status, 200);
    // Infinite defaults are written 1e9999 (as the reference's encoder), which JSON parsers
    // refuse as a number.
    let text = String::from_utf8(reply.body)
        .unwrap()
        .replace("1e9999", "null");
    let v: Json = serde_json::from_str(&text).unwrap();
    assert!(v.get("sumSeries").is_some());
    assert_eq!(v["scale"]["group"], "Transform");
    let reply = functions_view(&Params::default(), "GET", Some("nope"));
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body, br#"{"error": "Function not found: nope"}"#);
    let reply = functions_view(&Params::default(), "POST", None);
    assert_eq!(reply.status, 405);
}
