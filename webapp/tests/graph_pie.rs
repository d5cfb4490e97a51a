//! Pie graph layout against graphite-web 1.1.10: every case of
//! `tests/graph/pie.expected.json` (recorded by `tests/graph/reference_pie.py` from the
//! reference's `PieGraph` on a real cairo surface) is drawn by our pie code on the PNG canvas,
//! and the area, centre, radius, slice angles, legend boxes, value labels and every text
//! anchor must be the reference's. A case where the reference raises must be an error here.
//! For a few cases the fixture holds the reference's whole SVG document, which ours must
//! equal byte for byte (cairo's per-process surface number aside).

use serde_json::Value;
use webapp::graph::canvas::recorder::Recorder;
use webapp::graph::line::templates::Templates;
use webapp::graph::pie::{draw_pie_graph, PieLayout};
use webapp::graph::render::graph_options;
use webapp::params::Params;

/// Numbers that come from the same float operations must be equal; a tiny tolerance
/// absorbs only the last-bit differences of `sin`/`cos` between libm implementations.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn check(id: &str, what: &str, ours: f64, theirs: &Value, errors: &mut Vec<String>) {
    if !close(ours, num(theirs)) {
        errors.push(format!("{id}: {what}: ours {ours}, reference {theirs}"));
    }
}

fn draw(case: &Value) -> Result<PieLayout, String> {
    let mut pairs = vec![("graphType".to_owned(), "pie".to_owned())];
    for p in case["params"].as_array().into_iter().flatten() {
        pairs.push((
            p[0].as_str().unwrap_or_default().to_owned(),
            p[1].as_str().unwrap_or_default().to_owned(),
        ));
    }
    let params = Params::from_pairs(pairs);
    let options = graph_options(&params, None, true);
    let (width, height) = options.image_size().map_err(|e| e.to_string())?;
    let mut canvas = Recorder::new(width, height);
    let data: Vec<(String, f64)> = case["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| (d[0].as_str().unwrap_or_default().to_owned(), num(&d[1])))
        .collect();
    let template = Templates::builtin()
        .resolve("default")
        .expect("default template");
    draw_pie_graph(&mut canvas, &options, &template, &data).map_err(|e| e.to_string())
}

#[test]
fn pie_layout_matches_the_reference() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/graph/pie.expected.json"
    ))
    .expect("read pie.expected.json");
    let fixture: Value = serde_json::from_str(&text).expect("parse pie.expected.json");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 8);
    let mut errors = Vec::new();
    for case in cases {
        let id = case["id"].as_str().unwrap_or("?");
        let result = draw(case);
        if let Some(exception) = case.get("exception") {
            if result.is_ok() {
                errors.push(format!("{id}: the reference raises {exception}, we drew"));
            }
            continue;
        }
        let layout = match result {
            Ok(layout) => layout,
            Err(e) => {
                errors.push(format!("{id}: we failed: {e}"));
                continue;
            }
        };
        if case["no_data"] == Value::Bool(true) {
            assert!(layout.no_data, "{id}");
        } else {
            let area = layout.area.expect("area");
            check(
                id,
                "area.xmin",
                area.xmin,
                &case["area"]["xmin"],
                &mut errors,
            );
            check(
                id,
                "area.xmax",
                area.xmax,
                &case["area"]["xmax"],
                &mut errors,
            );
            check(
                id,
                "area.ymin",
                area.ymin,
                &case["area"]["ymin"],
                &mut errors,
            );
            check(
                id,
                "area.ymax",
                area.ymax,
                &case["area"]["ymax"],
                &mut errors,
            );
            check(id, "x0", layout.center.0, &case["center"][0], &mut errors);
            check(id, "y0", layout.center.1, &case["center"][1], &mut errors);
            check(id, "radius", layout.radius, &case["radius"], &mut errors);
            let slices = case["slices"].as_array().expect("slices");
            assert_eq!(layout.slices.len(), slices.len(), "{id}: slices");
            for (i, (ours, theirs)) in layout.slices.iter().zip(slices).enumerate() {
                let what = |f: &str| format!("slice {i} {f}");
                assert_eq!(ours.name, theirs["name"].as_str().unwrap_or(""), "{id}");
                assert_eq!(ours.color, theirs["color"].as_str().unwrap_or(""), "{id}");
                check(
                    id,
                    &what("value"),
                    ours.value,
                    &theirs["value"],
                    &mut errors,
                );
                check(
                    id,
                    &what("percent"),
                    ours.percent,
                    &theirs["percent"],
                    &mut errors,
                );
                check(
                    id,
                    &what("alpha"),
                    ours.alpha,
                    &theirs["alpha"],
                    &mut errors,
                );
                check(
                    id,
                    &what("start"),
                    ours.start,
                    &theirs["start"],
                    &mut errors,
                );
                check(id, &what("end"), ours.end, &theirs["end"], &mut errors);
                check(
                    id,
                    &what("mid"),
                    ours.mid_angle,
                    &theirs["mid_angle"],
                    &mut errors,
                );
            }
            let legend = case["legend"].as_array().expect("legend");
            if layout.legend.len() != legend.len() {
                errors.push(format!(
                    "{id}: {} legend boxes, the reference {}",
                    layout.legend.len(),
                    legend.len()
                ));
            }
            for (i, (ours, theirs)) in layout.legend.iter().zip(legend).enumerate() {
                check(
                    id,
                    &format!("legend {i} x"),
                    ours.x,
                    &theirs["x"],
                    &mut errors,
                );
                check(
                    id,
                    &format!("legend {i} y"),
                    ours.y,
                    &theirs["y"],
                    &mut errors,
                );
                check(
                    id,
                    &format!("legend {i} size"),
                    ours.size,
                    &theirs["size"],
                    &mut errors,
                );
            }
        }
        let texts = case["texts"].as_array().expect("texts");
        if layout.texts.len() != texts.len() {
            errors.push(format!(
                "{id}: {} texts, the reference {}",
                layout.texts.len(),
                texts.len()
            ));
        }
        for (i, (ours, theirs)) in layout.texts.iter().zip(texts).enumerate() {
            if ours.text != theirs["text"].as_str().unwrap_or("") {
                errors.push(format!(
                    "{id}: text {i}: ours {:?}, reference {}",
                    ours.text, theirs["text"]
                ));
            }
            check(
                id,
                &format!("text {i} x"),
                ours.x,
                &theirs["x"],
                &mut errors,
            );
            check(
                id,
                &format!("text {i} y"),
                ours.y,
                &theirs["y"],
                &mut errors,
            );
            check(
                id,
                &format!("text {i} rotate"),
                ours.rotate,
                &theirs["rotate"],
                &mut errors,
            );
            check(
                id,
                &format!("text {i} origin x"),
                ours.origin.0,
                &theirs["origin"][0],
                &mut errors,
            );
            check(
                id,
                &format!("text {i} origin y"),
                ours.origin.1,
                &theirs["origin"][1],
                &mut errors,
            );
        }
    }
    assert!(
        errors.is_empty(),
        "{} differences from the reference:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

/// `id="surfaceN"` (and references to it) with N replaced by `#`.
fn surface_ids(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(at) = rest.find("surface") {
        out.push_str(&rest[..at + 7]);
        rest = &rest[at + 7..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push('#');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// The SVG documents the reference wrote for some cases: ours must be the same bytes.
#[test]
fn pie_svg_is_the_references() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/graph/pie.expected.json"
    ))
    .expect("read pie.expected.json");
    let fixture: Value = serde_json::from_str(&text).expect("parse pie.expected.json");
    let mut checked = 0;
    for case in fixture["cases"].as_array().expect("cases") {
        let Some(want) = case["svg"].as_str() else {
            continue;
        };
        let id = case["id"].as_str().unwrap_or("?");
        let mut pairs = vec![
            ("graphType".to_owned(), "pie".to_owned()),
            ("format".to_owned(), "svg".to_owned()),
        ];
        for p in case["params"].as_array().into_iter().flatten() {
            pairs.push((
                p[0].as_str().unwrap_or_default().to_owned(),
                p[1].as_str().unwrap_or_default().to_owned(),
            ));
        }
        let params = Params::from_pairs(pairs);
        let options = graph_options(&params, Some("svg"), true);
        let (width, height) = options.image_size().expect("size");
        let mut canvas = Recorder::for_vector(width, height);
        let data: Vec<(String, f64)> = case["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| (d[0].as_str().unwrap_or_default().to_owned(), num(&d[1])))
            .collect();
        let template = Templates::builtin()
            .resolve("default")
            .expect("default template");
        draw_pie_graph(&mut canvas, &options, &template, &data).expect("draw");
        let ours = String::from_utf8(webapp::graph::svg::render_svg(&canvas, None)).expect("utf-8");
        // cairo numbers its surfaces per process (`surface1`, `surface25`, ...): a worker's
        // count, not part of the drawing.
        let (ours, want) = (surface_ids(&ours), surface_ids(want));
        let want = want.as_str();
        if ours != want {
            let at = ours
                .bytes()
                .zip(want.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(want.len()));
            let from = at.saturating_sub(80);
            panic!(
                "{id}: our SVG differs from the reference's at byte {at}:\nours: {:?}\nref:  {:?}",
                &ours[from..(at + 80).min(ours.len())],
                &want[from..(at + 80).min(want.len())]
            );
        }
        checked += 1;
    }
    assert!(checked >= 4, "{checked} SVG cases");
}

/// Non-finite slice values abort the reference's process (a cairo assertion on the arc's
/// angles); we answer an error instead.
#[test]
fn non_finite_slices_are_errors() {
    let params = Params::default();
    let options = graph_options(&params, None, true);
    let template = Templates::builtin()
        .resolve("default")
        .expect("default template");
    for data in [
        vec![("a".to_owned(), f64::NAN), ("b".to_owned(), 1.0)],
        vec![("a".to_owned(), f64::INFINITY), ("b".to_owned(), 1.0)],
    ] {
        let mut canvas = Recorder::new(330.0, 250.0);
        assert!(
            draw_pie_graph(&mut canvas, &options, &template, &data).is_err(),
            "{data:?}"
        );
    }
}
