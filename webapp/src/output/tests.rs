//! Unit tests of the data formats, with bodies the reference writes for the same series.

use super::*;
use crate::series::ConsolidationFunc;

fn series(name: &str, start: i64, step: i64, values: &[Option<f64>]) -> TimeSeries {
    let end = start + step * values.len() as i64;
    TimeSeries::new(name, start, end, step, values.to_vec(), 0.0)
}

fn body(series: &mut [TimeSeries], opts: &OutputOptions) -> String {
    let reply = render_data(series, opts).unwrap();
    String::from_utf8(reply.body).unwrap()
}

fn opts(format: Format) -> OutputOptions {
    OutputOptions::new(format)
}

#[test]
fn json_basic_and_nan_substitution() {
    let mut data = [series("a;b=c", 0, 10, &[Some(1.0), None, Some(f64::NAN)])];
    assert_eq!(
        body(&mut data, &opts(Format::Json)),
        r#"[{"target": "a;b=c", "tags": {"b": "c", "name": "a"}, "datapoints": [[1.0, 0], [null, 10], [null, 20]]}]"#
    );
    let mut data = [series(
        "NaN,Infinity,",
        0,
        1,
        &[Some(f64::INFINITY), Some(f64::NEG_INFINITY)],
    )];
    assert_eq!(
        body(&mut data, &opts(Format::Json)),
        r#"[{"target": "null,1e9999,", "tags": {"name": "null,1e9999,"}, "datapoints": [[1e9999, 0], [-1e9999, 1]]}]"#
    );
}

#[test]
fn json_all_empty_series_is_an_empty_list() {
    let mut data = [series("a", 0, 10, &[]), series("b", 0, 10, &[])];
    assert_eq!(body(&mut data, &opts(Format::Json)), "[]");
    // One non-empty series: the empty one is listed too.
    let mut data = [series("a", 0, 10, &[]), series("b", 0, 10, &[Some(1.0)])];
    assert_eq!(
        body(&mut data, &opts(Format::Json)),
        r#"[{"target": "a", "tags": {"name": "a"}, "datapoints": []}, {"target": "b", "tags": {"name": "b"}, "datapoints": [[1.0, 0]]}]"#
    );
}

#[test]
fn json_pretty_jsonp_and_no_null_points() {
    let mut o = opts(Format::Json);
    o.pretty = true;
    o.no_null_points = true;
    o.jsonp = Some("cb".to_owned());
    let mut data = [
        series("a", 0, 10, &[None, Some(f64::NAN)]),
        series("b", 0, 10, &[None, Some(2.5)]),
    ];
    let reply = render_data(&mut data, &o).unwrap();
    assert_eq!(reply.content_type, "text/javascript");
    assert_eq!(
        String::from_utf8(reply.body).unwrap(),
        "cb([\n  {\n    \"target\": \"b\",\n    \"tags\": {\n      \"name\": \"b\"\n    },\n    \"datapoints\": [\n      [\n        2.5,\n        10\n      ]\n    ]\n  }\n])"
    );
}

#[test]
fn json_max_data_points_nudges_and_consolidates() {
    // 10 points at step 10 from 5 (range 100): maxDataPoints=3 -> valuesPerPoint 4,
    // secondsPerPoint 40, nudge = 40 + 5 - 5 = 40, 4 values to lose -> 3 deleted.
    let values: Vec<Option<f64>> = (0..10).map(|i| Some(f64::from(i))).collect();
    let mut data = [series("a", 5, 10, &values)];
    let mut o = opts(Format::Json);
    o.max_data_points = Some(3);
    assert_eq!(
        body(&mut data, &o),
        r#"[{"target": "a", "tags": {"name": "a"}, "datapoints": [[4.5, 45], [8.0, 85]]}]"#
    );
    assert_eq!(data[0].start, 45);
    assert_eq!(data[0].values_per_point, 4);
    assert_eq!(data[0].values.len(), 7);

    // maxDataPoints=1 folds everything into one point stamped at start.
    let mut data = [series("a", 5, 10, &values)];
    data[0].consolidation_func = ConsolidationFunc::Sum;
    o.max_data_points = Some(1);
    assert_eq!(
        body(&mut data, &o),
        r#"[{"target": "a", "tags": {"name": "a"}, "datapoints": [[45.0, 5]]}]"#
    );

    // ... and fails on an empty series next to a non-empty one (range() step 0).
    let mut data = [series("a", 5, 10, &values), series("b", 5, 10, &[])];
    let err = render_data(&mut data, &o).unwrap_err();
    assert_eq!(err.kind, PyException::ValueError);

    // maxDataPoints=0 divides by zero.
    let mut data = [series("a", 5, 10, &values)];
    o.max_data_points = Some(0);
    let err = render_data(&mut data, &o).unwrap_err();
    assert_eq!(err.kind, PyException::ZeroDivisionError);
}

#[test]
fn csv_quotes_and_time_zones() {
    let mut data = [series(
        "a,\"b\"",
        1_710_053_990,
        10,
        &[Some(1.0), None, Some(f64::NAN)],
    )];
    let mut o = opts(Format::Csv);
    o.tz = chrono_tz::America::New_York;
    let reply = render_data(&mut data, &o).unwrap();
    assert_eq!(reply.content_type, "text/csv");
    assert_eq!(
        String::from_utf8(reply.body).unwrap(),
        "\"a,\"\"b\"\"\",2024-03-10 01:59:50,1.0\r\n\"a,\"\"b\"\"\",2024-03-10 03:00:00,\r\n\"a,\"\"b\"\"\",2024-03-10 03:00:10,nan\r\n"
    );
}

#[test]
fn raw_uses_python_repr() {
    let mut data = [series(
        "x",
        0,
        60,
        &[Some(1.0), None, Some(f64::INFINITY), Some(1e16)],
    )];
    let reply = render_data(&mut data, &opts(Format::Raw)).unwrap();
    assert_eq!(reply.content_type, "text/plain");
    assert_eq!(
        String::from_utf8(reply.body).unwrap(),
        "x,0,240,60|1.0,None,inf,1e+16\n"
    );
}

#[test]
fn dygraph_axis_and_literals() {
    let mut data = [
        series("a", 0, 10, &[Some(1.0), Some(f64::INFINITY)]),
        series("b", 0, 10, &[Some(f64::NAN), Some(f64::NEG_INFINITY)]),
    ];
    assert_eq!(
        body(&mut data, &opts(Format::Dygraph)),
        r#"{"labels" : ["Time", "a", "b"], "data" : [[0000, 1.0, null], [10000, Infinity, -Infinity]]}"#
    );
    assert_eq!(body(&mut [], &opts(Format::Dygraph)), "{}");
    let mut data = [
        series("a", 0, 10, &[Some(1.0), Some(2.0)]),
        series("b", 0, 10, &[Some(1.0)]),
    ];
    let err = render_data(&mut data, &opts(Format::Dygraph)).unwrap_err();
    assert_eq!(err.kind, PyException::TypeError);
}

#[test]
fn rickshaw_keeps_nan_literals() {
    let mut data = [series("a", 0, 10, &[Some(f64::NAN), None])];
    assert_eq!(
        body(&mut data, &opts(Format::Rickshaw)),
        r#"[{"target": "a", "datapoints": [{"x": 0, "y": NaN}, {"x": 10, "y": null}]}]"#
    );
}

#[test]
fn pickle_and_msgpack_hold_get_info() {
    let mut s = series("a", 0, 10, &[Some(1.0), None, Some(3.0)]);
    s.consolidate(2);
    let mut data = [s];
    let reply = render_data(&mut data, &opts(Format::Pickle)).unwrap();
    assert_eq!(reply.content_type, "application/pickle");
    let value = carbon_proto::pickle::decode(&reply.body).unwrap();
    let PickleValue::List(items) = value else {
        panic!("not a list")
    };
    let info = &items[0];
    assert_eq!(
        info.get("values"),
        Some(&PickleValue::List(vec![
            PickleValue::Float(1.0),
            PickleValue::Float(3.0)
        ]))
    );
    assert_eq!(info.get("valuesPerPoint"), Some(&PickleValue::Int(2)));
    assert_eq!(
        info.get("consolidationFunc").and_then(PickleValue::as_str),
        Some("average")
    );

    let reply = render_data(&mut data, &opts(Format::Msgpack)).unwrap();
    assert_eq!(reply.content_type, "application/x-msgpack");
    let value = rmpv::decode::read_value(&mut reply.body.as_slice()).unwrap();
    let info = &value.as_array().unwrap()[0];
    let keys: Vec<&str> = info
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "start",
            "end",
            "step",
            "values",
            "pathExpression",
            "valuesPerPoint",
            "consolidationFunc",
            "xFilesFactor"
        ]
    );
}

#[test]
fn zero_step_fails_where_the_reference_does() {
    let mut data = [series("a", 0, 0, &[Some(1.0)])];
    for format in [Format::Json, Format::Dygraph, Format::Rickshaw] {
        assert!(render_data(&mut data, &opts(format)).is_err(), "{format:?}");
    }
    for format in [Format::Csv, Format::Raw, Format::Pickle, Format::Msgpack] {
        assert!(render_data(&mut data, &opts(format)).is_ok(), "{format:?}");
    }
}

#[test]
fn format_names_round_trip() {
    for format in [
        Format::Json,
        Format::Csv,
        Format::Raw,
        Format::Pickle,
        Format::Msgpack,
        Format::Dygraph,
        Format::Rickshaw,
    ] {
        assert_eq!(Format::from_name(format.name()), Some(format));
    }
    assert_eq!(Format::from_name("png"), None);
}

#[test]
fn python_int_values_print_as_ints() {
    let ints = || {
        let mut s = series("c", 0, 10, &[Some(3.0), None, Some(2.0), Some(2.5)]);
        s.int_values = true;
        s
    };
    let mut data = [ints()];
    assert_eq!(
        body(&mut data, &opts(Format::Raw)),
        "c,0,40,10|3,None,2,2.5\n"
    );
    let mut data = [ints()];
    assert_eq!(
        body(&mut data, &opts(Format::Json)),
        r#"[{"target": "c", "tags": {"name": "c"}, "datapoints": [[3, 0], [null, 10], [2, 20], [2.5, 30]]}]"#
    );
    // Averaging ints divides: floats; summing them keeps ints.
    let mut data = [ints()];
    data[0].consolidate(2);
    assert_eq!(body(&mut data, &opts(Format::Raw)), "c,0,40,10|3.0,2.25\n");
    let mut data = [ints()];
    data[0].consolidate(2);
    data[0].consolidation_func = ConsolidationFunc::Sum;
    assert_eq!(body(&mut data, &opts(Format::Raw)), "c,0,40,10|3,4.5\n");
    let mut data = [ints()];
    let reply = render_data(&mut data, &opts(Format::Pickle)).unwrap();
    let decoded = carbon_proto::pickle::decode(&reply.body).unwrap();
    let text = format!("{decoded:?}");
    assert!(text.contains("Int(3)"), "{text}");
}

/// The json points written as text directly ([`JsonWriter::compact_points`]) are the general
/// writer's, byte for byte: over random series with nulls, NaN, infinities, ints, long and
/// short floats, timestamps whose digit count changes, `maxDataPoints` consolidation and
/// `noNullPoints`.
#[test]
fn json_point_text_matches_the_general_writer() {
    let mut state = 0x853C_49E6_748F_EA9Bu64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let starts = [
        1_000_000,
        1_699_920_060,
        999_999_000,
        999_999_999_990,
        999_999,
        12,
        0,
    ];
    for round in 0..400 {
        let start = starts[round % starts.len()] + (next() % 5) as i64;
        let step = [1, 7, 10, 60, 3600, 86_400, 999_999, 2_000_000][(next() % 8) as usize];
        let len = (next() % 200) as usize;
        let values: Vec<Option<f64>> = (0..len)
            .map(|_| {
                let r = next();
                match r % 12 {
                    0 => None,
                    1 => Some(f64::NAN),
                    2 => Some(if r & 16 == 0 {
                        f64::INFINITY
                    } else {
                        f64::NEG_INFINITY
                    }),
                    3 => Some(f64::from_bits(next())),
                    4 => Some(((r >> 8) % 100_000) as f64),
                    5 => Some(-(((r >> 8) % 100_000) as f64) / 8.0),
                    6 => Some(((r >> 8) % 10_000_000) as f64 / 1e6),
                    7 => Some(((r >> 8) % 1000) as f64 / 3.0),
                    8 => Some(((r >> 8) % 1_000_000_000_000) as f64 / 100.0),
                    _ => Some(((r >> 8) % 100_000) as f64 / 1000.0),
                }
            })
            .collect();
        let mut s = series("a.b;x=NaN", start, step, &values);
        s.int_values = round % 5 == 0;
        s.consolidation_func =
            [ConsolidationFunc::Average, ConsolidationFunc::Sum][(next() % 2) as usize];
        let mut o = opts(Format::Json);
        o.no_null_points = next() % 3 == 0;
        if next() % 3 == 0 {
            o.max_data_points = Some(1 + next() % 50);
        }
        let mut direct = [s.clone(), series("b", start, step, &values[..len / 2])];
        let mut general = direct.clone();
        let a = render_json_with(&mut direct, &o, true).map(|r| r.body);
        let b = render_json_with(&mut general, &o, false).map(|r| r.body);
        assert_eq!(
            a.as_ref().map(|b| String::from_utf8_lossy(b)),
            b.as_ref().map(|b| String::from_utf8_lossy(b)),
            "start {start} step {step} values {values:?} opts {o:?}"
        );
    }
}
