//! The line graph's layout against graphite-web 1.1.10's, recorded by
//! `tests/graph/reference_layout.py` (glyph.py drawn by cairo with the real fonts) in
//! `tests/graph/layout.expected.json`: for every case the same request parameters and series
//! are drawn by `webapp::graph::line` on the recording canvas, and the plot area, the Y axes
//! (limits, step, label values and texts, label width), the X axis configuration and scale,
//! every text drawn (text, anchor, alignment, rotation), the series paths, the SVG metadata
//! and the errors must equal the reference's (floats within 1e-6, texts exactly).
//!
//! Set `GRAPH_LAYOUT_CASE=<id>` to run one case; failures are collected and listed together.

use serde_json::Value;
use webapp::graph::canvas::recorder::Recorder;
use webapp::graph::canvas::PathSegment;
use webapp::graph::line::axis::Num;
use webapp::graph::line::templates::Templates;
use webapp::graph::line::{draw_line_graph, svg_metadata, GraphOptions, LineContext, LineLayout};
use webapp::params::Params;
use webapp::series::{OptionValue, TimeSeries};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/graph/layout.expected.json"
);

/// A fixture float: a number, or text (Python's repr, "nan", "inf", "-inf").
fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Equal within 1e-6, relative for magnitudes above 1 (expected numbers pass through
/// serde_json's parser, which can be an ulp off for large values).
fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

/// Collects differences for one case.
struct Check {
    id: String,
    errors: Vec<String>,
}

impl Check {
    fn num(&mut self, what: &str, ours: f64, expected: &Value) {
        match float(expected) {
            Some(e) if close(ours, e) => {}
            _ => self
                .errors
                .push(format!("{what}: ours {ours:?}, reference {expected}")),
        }
    }

    /// A value whose Python type matters (int or float), as in the SVG metadata.
    fn typed(&mut self, what: &str, ours: Num, expected: &Value) {
        let type_ok = match (ours, expected) {
            (Num::Int(_), Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Num::Float(_), Value::Number(n)) => n.is_f64(),
            (Num::Bool(_), Value::Bool(_)) => true,
            _ => false,
        };
        if !type_ok {
            self.errors.push(format!(
                "{what}: type differs: ours {ours:?}, reference {expected}"
            ));
        }
        if let Value::Bool(b) = expected {
            self.num(what, ours.f(), &Value::from(u8::from(*b)));
        } else {
            self.num(what, ours.f(), expected);
        }
    }

    #[allow(clippy::needless_pass_by_value)] // Call sites read better with values.
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, ours: T, expected: T) {
        if ours != expected {
            self.errors
                .push(format!("{what}: ours {ours:?}, reference {expected:?}"));
        }
    }
}

/// The case's series as the reference built them.
fn build_series(case: &Value) -> Vec<TimeSeries> {
    let mut out = Vec::new();
    for s in case["series"].as_array().into_iter().flatten() {
        let values: Vec<Option<f64>> = s["values"]
            .as_array()
            .into_iter()
            .flatten()
            .map(float)
            .collect();
        let int_of = |k: &str| s[k].as_i64().unwrap_or_default();
        let mut ts = TimeSeries::new(
            s["name"].as_str().unwrap_or_default(),
            int_of("start"),
            int_of("end"),
            int_of("step"),
            values,
            0.0,
        );
        if let Some(options) = s["options"].as_object() {
            for (k, v) in options {
                let v = match v {
                    Value::Bool(b) => OptionValue::Bool(*b),
                    Value::String(t) => OptionValue::Text(t.clone()),
                    other => OptionValue::Number(float(other).unwrap_or_default()),
                };
                ts.options.values.insert(k.clone(), v);
            }
        }
        ts.options.color = s["color"].as_str().map(str::to_owned);
        out.push(ts);
    }
    out
}

fn check_axis(
    check: &mut Check,
    name: &str,
    ours: Option<&webapp::graph::line::YAxis>,
    expected: &Value,
) {
    let Some(axis) = ours else {
        check.errors.push(format!("{name}: missing"));
        return;
    };
    check.typed(&format!("{name}.top"), axis.top, &expected["top"]);
    check.typed(&format!("{name}.bottom"), axis.bottom, &expected["bottom"]);
    match (axis.step, &expected["step"]) {
        (None, Value::Null) => {}
        (Some(s), e) => check.num(&format!("{name}.step"), s, e),
        (None, e) => check
            .errors
            .push(format!("{name}.step: ours None, reference {e}")),
    }
    check.num(&format!("{name}.span"), axis.span, &expected["span"]);
    let labels: Vec<String> = expected["labels"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    check.eq(&format!("{name}.labels"), axis.labels.clone(), labels);
    let values = expected["labelValues"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if values.len() != axis.label_values.len() {
        check
            .errors
            .push(format!("{name}.labelValues: lengths differ"));
    } else {
        for (i, (o, e)) in axis.label_values.iter().zip(&values).enumerate() {
            check.num(&format!("{name}.labelValues[{i}]"), *o, e);
        }
    }
    check.num(
        &format!("{name}.labelWidth"),
        axis.label_width,
        &expected["labelWidth"],
    );
}

fn check_layout(check: &mut Check, layout: &LineLayout, expected: &Value, format: Option<&str>) {
    check.num("width", layout.width, &expected["width"]);
    check.num("height", layout.height, &expected["height"]);
    check.eq(
        "no_data",
        layout.no_data,
        expected["no_data"].as_bool().unwrap_or(false),
    );
    let area = &expected["area"];
    check.typed("area.xmin", layout.area.xmin, &area["xmin"]);
    check.typed("area.xmax", layout.area.xmax, &area["xmax"]);
    check.typed("area.ymin", layout.area.ymin, &area["ymin"]);
    check.typed("area.ymax", layout.area.ymax, &area["ymax"]);
    if !expected["y"].is_null() {
        check_axis(check, "y", layout.y.as_ref(), &expected["y"]);
    }
    if !expected["yLeft"].is_null() {
        check_axis(check, "yLeft", layout.y_left.as_ref(), &expected["yLeft"]);
        check_axis(
            check,
            "yRight",
            layout.y_right.as_ref(),
            &expected["yRight"],
        );
    }
    if !expected["x"].is_null() {
        let e = &expected["x"];
        match &layout.x {
            None => check.errors.push("x: missing".into()),
            Some(x) => {
                check.eq(
                    "x.config",
                    x.config_index as u64,
                    e["config"].as_u64().unwrap_or(999),
                );
                check.num("x.labelStep", x.label_step, &e["labelStep"]);
                check.num("x.minorGridStep", x.minor_grid_step, &e["minorGridStep"]);
                check.num("x.majorGridStep", x.major_grid_step, &e["majorGridStep"]);
                check.num("x.scaleFactor", x.scale_factor, &e["scaleFactor"]);
            }
        }
        check.eq(
            "time range",
            layout.time_range,
            Some((
                e["startTime"].as_i64().unwrap_or(0),
                e["endTime"].as_i64().unwrap_or(0),
            )),
        );
    }
    let texts = expected["texts"].as_array().cloned().unwrap_or_default();
    check.eq("text count", layout.texts.len(), texts.len());
    for (i, (ours, e)) in layout.texts.iter().zip(&texts).enumerate() {
        check.eq(
            &format!("text[{i}]"),
            ours.text.as_str(),
            e[0].as_str().unwrap_or_default(),
        );
        check.num(&format!("text[{i}] {:?} x", ours.text), ours.x, &e[1]);
        check.num(&format!("text[{i}] {:?} y", ours.text), ours.y, &e[2]);
        check.eq(
            &format!("text[{i}] align"),
            ours.align,
            e[3].as_str().unwrap_or_default(),
        );
        check.eq(
            &format!("text[{i}] valign"),
            ours.valign,
            e[4].as_str().unwrap_or_default(),
        );
        check.num(&format!("text[{i}] rotate"), ours.rotate, &e[5]);
    }
    let paths = expected["paths"].as_array().cloned().unwrap_or_default();
    let ours: Vec<PathSegment> = layout
        .series
        .iter()
        .flat_map(|s| s.segments.clone())
        .collect();
    let count = expected["path_count"].as_u64().unwrap_or(0) as usize;
    check.eq("path segment count", ours.len(), count);
    for (i, (seg, e)) in ours.iter().zip(&paths).enumerate() {
        let (kind, x, y) = match seg {
            PathSegment::MoveTo(x, y) => ("M", *x, *y),
            PathSegment::LineTo(x, y) => ("L", *x, *y),
            PathSegment::Close => ("Z", 0.0, 0.0),
            PathSegment::CurveTo(..) => ("C", 0.0, 0.0),
        };
        check.eq(
            &format!("path[{i}] kind"),
            kind,
            e[0].as_str().unwrap_or_default(),
        );
        if kind != "Z" {
            check.num(&format!("path[{i}] x"), x, &e[1]);
            check.num(&format!("path[{i}] y"), y, &e[2]);
        }
        if check.errors.len() > 40 {
            break;
        }
    }
    if format == Some("svg") {
        let ours = svg_metadata(layout);
        let reference = expected["metadata"].as_str().unwrap_or_default();
        if ours != reference {
            let at = ours
                .bytes()
                .zip(reference.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(reference.len()));
            let from = at.saturating_sub(80);
            check.errors.push(format!(
                "svg metadata differs at byte {at}:\n    ours      ...{}\n    reference ...{}",
                ours.get(from..(at + 80).min(ours.len()))
                    .unwrap_or_default(),
                reference
                    .get(from..(at + 80).min(reference.len()))
                    .unwrap_or_default()
            ));
        }
    }
}

#[test]
fn line_graph_layout_equals_reference() {
    let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
    let fixture: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let templates_path = format!(
        "{}/../{}",
        env!("CARGO_MANIFEST_DIR"),
        fixture["templates"].as_str().unwrap_or_default()
    );
    let templates_text = std::fs::read_to_string(&templates_path)
        .unwrap_or_else(|e| panic!("{templates_path}: {e}"));
    let templates = Templates::from_conf(&templates_text).unwrap_or_else(|e| panic!("{e}"));
    let ctx = LineContext {
        time_zone: chrono_tz::UTC,
        date_format: "%m/%d",
        legend_max_items: 10,
        templates: &templates,
    };
    let only = std::env::var("GRAPH_LAYOUT_CASE").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in fixture["cases"].as_array().into_iter().flatten() {
        let id = case["id"].as_str().unwrap_or_default().to_owned();
        if only.as_ref().is_some_and(|o| *o != id) {
            continue;
        }
        ran += 1;
        let format = case["format"].as_str();
        let pairs: Vec<(String, String)> = case["params"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p[0].as_str().unwrap_or_default().to_owned(),
                    p[1].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let options = GraphOptions::parse_line(&Params::from_pairs(pairs), format);
        let series = build_series(case);
        let expected = &case["expected"];
        let mut check = Check {
            id: id.clone(),
            errors: Vec::new(),
        };
        let result = options.image_size().and_then(|(w, h)| {
            let mut canvas = if matches!(format, Some("svg") | Some("pdf")) {
                Recorder::for_vector(w, h)
            } else {
                Recorder::new(w, h)
            };
            draw_line_graph(&mut canvas, &series, &options, &ctx)
        });
        match (result, expected.get("error")) {
            (Ok(layout), None) => check_layout(&mut check, &layout, expected, format),
            (Err(e), Some(err)) => {
                check.eq(
                    "exception",
                    e.exception,
                    err["exception"].as_str().unwrap_or_default(),
                );
                if matches!(
                    e.exception,
                    "GraphError" | "AttributeError" | "AssertionError"
                ) {
                    check.eq(
                        "message",
                        e.message.as_str(),
                        err["message"].as_str().unwrap_or_default(),
                    );
                }
            }
            (Ok(_), Some(err)) => check
                .errors
                .push(format!("expected error {err}, drew a graph")),
            (Err(e), None) => check.errors.push(format!("unexpected error {e}")),
        }
        if !check.errors.is_empty() {
            failures.push(format!(
                "case {}:\n  {}",
                check.id,
                check.errors.join("\n  ")
            ));
        }
    }
    assert!(ran > 0, "no case ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

mod robustness {
    //! Arbitrary option values and data never make the line graph panic: every input either
    //! draws or fails with a `GraphError`, as the reference either draws or raises.

    use super::*;
    use proptest::prelude::*;

    /// Option names and the kinds of values a request might carry for them.
    const NAMES: &[&str] = &[
        "width",
        "height",
        "margin",
        "bgcolor",
        "fgcolor",
        "fontSize",
        "fontBold",
        "colorList",
        "template",
        "yAxisSide",
        "title",
        "vtitle",
        "vtitleRight",
        "lineMode",
        "lineWidth",
        "hideLegend",
        "hideAxes",
        "minXStep",
        "hideGrid",
        "graphOnly",
        "yMin",
        "yMax",
        "yLimit",
        "yStep",
        "areaMode",
        "areaAlpha",
        "drawNullAsZero",
        "tz",
        "yUnitSystem",
        "logBase",
        "yMinLeft",
        "yMaxRight",
        "yStepLeft",
        "rightWidth",
        "rightColor",
        "rightDashed",
        "leftColor",
        "xFormat",
        "minorY",
        "hideYAxis",
        "uniqueLegend",
        "yDivisors",
        "connectedLimit",
        "hideXAxis",
        "hideNullFromLegend",
        "outputFormat",
    ];
    const VALUES: &[&str] = &[
        "0",
        "1",
        "-1",
        "2",
        "7",
        "300",
        "99999999999999999999",
        "-5.5",
        "0.0001",
        "1e308",
        "nan",
        "inf",
        "-inf",
        "true",
        "false",
        "max",
        "e",
        "abc",
        "",
        "red",
        "%23ff000080",
        "right",
        "left",
        "staircase",
        "connected",
        "stacked",
        "all",
        "first",
        "binary",
        "sec",
        "%Y %s %Q %",
        "Europe/Berlin",
        "0,4",
        "3,5",
        "a\nb",
        "svg",
        "pdf",
        "png",
    ];

    fn value() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            4 => (-1e6f64..1e6).prop_map(Some),
            1 => Just(None),
            1 => Just(Some(f64::NAN)),
            1 => Just(Some(f64::INFINITY)),
            1 => Just(Some(0.0)),
            1 => (-1e300f64..1e300).prop_map(Some),
        ]
    }

    fn one_series() -> impl Strategy<Value = TimeSeries> {
        (
            prop::collection::vec(value(), 0..60),
            prop_oneof![Just(1i64), Just(60), Just(86400), Just(0), Just(-60)],
            prop_oneof![Just(1_700_000_000i64), Just(0), Just(-5_000_000_000)],
            0u8..8,
        )
            .prop_map(|(values, step, start, flags)| {
                let end = start + step * values.len() as i64;
                let mut ts = TimeSeries::new("s.x", start, end, step, values, 0.0);
                for (bit, key) in [(1, "secondYAxis"), (2, "stacked"), (4, "drawAsInfinite")] {
                    if flags & bit != 0 {
                        ts.options
                            .values
                            .insert(key.into(), OptionValue::Bool(true));
                    }
                }
                ts
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
        #[test]
        fn never_panics(
            params in prop::collection::vec((0..NAMES.len(), 0..VALUES.len()), 0..8),
            series in prop::collection::vec(one_series(), 0..4),
        ) {
            let pairs: Vec<(&str, &str)> =
                params.iter().map(|&(n, v)| (NAMES[n], VALUES[v])).collect();
            let options = GraphOptions::parse_line(&Params::from_pairs(pairs), None);
            let templates = Templates::builtin();
            let ctx = LineContext {
                time_zone: chrono_tz::UTC,
                date_format: "%m/%d",
                legend_max_items: 10,
                templates: &templates,
            };
            if let Ok((w, h)) = options.image_size() {
                // Small surfaces keep the case fast; the layout does not depend on them.
                let mut canvas = Recorder::new(w.min(2000.0), h.min(2000.0));
                let _ = draw_line_graph(&mut canvas, &series, &options, &ctx);
            }
        }
    }
}
