//! Golden images of our own output: a handful of line and pie graphs over fixed synthetic
//! data, rendered through the `/render` glue (`render_image`) and compared pixel by pixel
//! with the PNGs committed under `tests/graph/golden/` (exactly: the rasterizer is
//! deterministic). Set `UPDATE_GOLDEN=1` to rewrite them after an intended change, and look
//! at the new files before committing them.
//!
//! The goldens were drawn with DejaVu Sans, which is what `Sans` resolves to on the systems
//! we test on (and our embedded fallback); where fontconfig picks another font the pixel
//! comparison is skipped with a message, the SVG/PDF checks still run.
//!
//! The same cases as SVG must parse as XML (checked with Python's `xml.etree`, the
//! reference's interpreter) and carry the reference's metadata script; as PDF they must be
//! structurally valid: header, every `xref` offset pointing at its object, trailer and
//! `startxref`.

use std::path::PathBuf;
use std::process::Command;

use webapp::graph::render::{render_image, GraphData, Image, ImageRequest};
use webapp::params::Params;
use webapp::series::TimeSeries;
use webapp::settings::{parse_file, Env, Settings};

const NOW: i64 = 1_700_000_000;

fn settings() -> Settings {
    let assignments = parse_file("CARBONLINK_HOSTS = []\nTIME_ZONE = 'UTC'\n").expect("settings");
    Settings::derive(&assignments, &Env::default()).expect("settings")
}

/// Three deterministic series over the last six hours at 5-minute steps: a wave, a ramp with
/// gaps, and a constant.
fn series() -> Vec<TimeSeries> {
    let n = 72;
    let start = NOW - 300 * n;
    let wave = (0..n)
        .map(|i| Some(50.0 + 30.0 * (f64::from(i as i32) / 6.0).sin()))
        .collect();
    let ramp = (0..n)
        .map(|i| (i % 11 != 5).then_some(f64::from(i as i32) * 1.5))
        .collect();
    let constant = vec![Some(20.0); n as usize];
    vec![
        TimeSeries::new("app.wave", start, NOW, 300, wave, 0.0),
        TimeSeries::new("app.ramp", start, NOW, 300, ramp, 0.0),
        TimeSeries::new("app.constant", start, NOW, 300, constant, 0.0),
    ]
}

fn pie() -> Vec<(String, f64)> {
    vec![
        ("apples".into(), 12.0),
        ("pears".into(), 5.5),
        ("plums".into(), 30.0),
        ("figs".into(), 2.0),
    ]
}

/// The golden cases: a name, the query, and whether it is a pie.
const CASES: &[(&str, &str, bool)] = &[
    ("line-default", "", false),
    (
        "line-styled",
        "title=Golden&vtitle=units&areaMode=stacked&bgcolor=black&fgcolor=white&width=400&height=300",
        false,
    ),
    (
        "line-options",
        "lineMode=staircase&yMin=0&yMax=150&hideLegend=true&lineWidth=2&majorGridLineColor=red",
        false,
    ),
    ("pie-default", "", true),
    (
        "pie-rotated",
        "pieLabels=rotated&valueLabels=number&valueLabelsMin=0&areaAlpha=0.7&title=Fruit",
        true,
    ),
    ("nodata", "", false),
];

fn render(query: &str, pie_graph: bool, empty: bool, format: &str) -> Image {
    let settings = settings();
    let params = Params::from_query_and_form(Some(query), None);
    let request = ImageRequest {
        params: &params,
        format: Some(format),
        jsonp: None,
        settings: &settings,
    };
    let data = match (pie_graph, empty) {
        (true, false) => GraphData::Pie(pie()),
        (true, true) => GraphData::Pie(Vec::new()),
        (false, false) => GraphData::Line(series()),
        (false, true) => GraphData::Line(Vec::new()),
    };
    render_image(&request, data).unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/graph/golden")
}

fn pixels(png: &[u8]) -> tiny_skia::Pixmap {
    tiny_skia::Pixmap::decode_png(png).expect("decode PNG")
}

#[test]
fn png_goldens_are_pixel_exact() {
    let font = webapp::graph::text::select_font("Sans", false, false);
    let dejavu = font.origin().ends_with("DejaVuSans.ttf");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut wrong = Vec::new();
    for &(name, query, pie_graph) in CASES {
        let image = render(query, pie_graph, name == "nodata", "png");
        assert_eq!(image.content_type, "image/png");
        let path = golden_dir().join(format!("{name}.png"));
        if update {
            std::fs::create_dir_all(golden_dir()).expect("mkdir");
            std::fs::write(&path, &image.body).expect("write golden");
            continue;
        }
        if !dejavu {
            eprintln!(
                "skipping the pixel comparison of {name}: Sans is {}, not DejaVu Sans",
                font.origin()
            );
            continue;
        }
        let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (ours, theirs) = (pixels(&image.body), pixels(&want));
        if (ours.width(), ours.height()) != (theirs.width(), theirs.height()) {
            wrong.push(format!(
                "{name}: {}x{}, golden {}x{}",
                ours.width(),
                ours.height(),
                theirs.width(),
                theirs.height()
            ));
            continue;
        }
        let differing = ours
            .data()
            .chunks(4)
            .zip(theirs.data().chunks(4))
            .filter(|(a, b)| a != b)
            .count();
        if differing > 0 {
            let out = std::env::temp_dir().join(format!("{name}.actual.png"));
            let _ = std::fs::write(&out, &image.body);
            wrong.push(format!(
                "{name}: {differing} pixels differ (ours written to {})",
                out.display()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn svg_is_well_formed_xml_with_the_metadata() {
    let python = reference_python::python();
    for &(name, query, pie_graph) in CASES {
        let image = render(query, pie_graph, name == "nodata", "svg");
        assert_eq!(image.content_type, "image/svg+xml", "{name}");
        let text = String::from_utf8(image.body).expect("utf-8 SVG");
        assert!(text.contains("<script>"), "{name}: metadata script");
        assert!(text.trim_end().ends_with("</svg>"), "{name}");
        let path =
            std::env::temp_dir().join(format!("graph-golden-{}-{name}.svg", std::process::id()));
        std::fs::write(&path, &text).expect("write svg");
        let out = Command::new(&python)
            .args([
                "-c",
                "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
                 assert r.tag.endswith('svg'), r.tag; print(r.get('width'), r.get('height'))",
            ])
            .arg(&path)
            .output()
            .expect("run python");
        let _ = std::fs::remove_file(&path);
        assert!(
            out.status.success(),
            "{name}: not XML: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The last position of `needle` in `hay`.
fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The ASCII text of `bytes` up to the first line break or 200 bytes.
fn line_at(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .take(200)
        .position(|&b| b == b'\n' || b == b'\r')
        .unwrap_or(bytes.len().min(200));
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Checks a PDF's skeleton (on bytes: the content streams are binary): `%PDF-` header,
/// `startxref` pointing at an `xref` table whose in-use entries each point at `<n> 0 obj`,
/// a trailer with `/Root` and `/Size`, and `%%EOF`.
fn check_pdf(name: &str, pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-1."), "{name}: header");
    let tail = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(64)..]).into_owned();
    assert!(tail.trim_end().ends_with("%%EOF"), "{name}: %%EOF");
    let at = rfind(pdf, b"startxref").expect("startxref");
    let offset: usize = String::from_utf8_lossy(&pdf[at + 9..])
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("startxref offset");
    assert!(
        pdf[offset..].starts_with(b"xref"),
        "{name}: startxref points at {:?}",
        line_at(&pdf[offset..])
    );
    let table = String::from_utf8_lossy(&pdf[offset..]).into_owned();
    let mut lines = table.lines().skip(1);
    let header = lines.next().expect("subsection header");
    let mut parts = header.split_whitespace();
    let first: usize = parts.next().and_then(|n| n.parse().ok()).expect("first");
    let count: usize = parts.next().and_then(|n| n.parse().ok()).expect("count");
    assert!(count > 1, "{name}: objects");
    for (i, line) in lines.take(count).enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 3, "{name}: xref entry {line:?}");
        if fields[2] == "n" {
            let off: usize = fields[0].parse().expect("offset");
            let object = first + i;
            let want = format!("{object} 0 obj");
            assert!(
                pdf[off..].starts_with(want.as_bytes()),
                "{name}: object {object} not at {off}: {:?}",
                line_at(&pdf[off..])
            );
        }
    }
    let trailer =
        String::from_utf8_lossy(&pdf[rfind(pdf, b"trailer").expect("trailer")..]).into_owned();
    assert!(trailer.contains("/Root"), "{name}: trailer /Root");
    assert!(trailer.contains("/Size"), "{name}: trailer /Size");
}

#[test]
fn pdf_is_structurally_valid() {
    for &(name, query, pie_graph) in CASES {
        let image = render(query, pie_graph, name == "nodata", "pdf");
        assert_eq!(image.content_type, "application/x-pdf", "{name}");
        check_pdf(name, &image.body);
    }
}

/// Every PDF opens in poppler (`pdftoppm`, which CI installs with poppler-utils) without an
/// error or warning, at the reference's page size (glyph.py divides the pixel size by cairo's
/// 300 dpi fallback resolution and lays the graph out in those points: drawn at 300 dpi the
/// page has the requested pixel size), and has a drawing on it. That poppler draws what our
/// rasterizer draws is checked on a shared scene in `graph::pdf`'s unit tests.
#[test]
fn pdf_opens_in_pdftoppm() {
    let dir = std::env::temp_dir().join(format!("graph-golden-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    for &(name, query, pie_graph) in CASES {
        let pdf = render(query, pie_graph, name == "nodata", "pdf");
        let png = render(query, pie_graph, name == "nodata", "png");
        let input = dir.join(format!("{name}.pdf"));
        std::fs::write(&input, &pdf.body).expect("write pdf");
        let out = Command::new("pdftoppm")
            .args(["-png", "-r", "300", "-singlefile"])
            .arg(&input)
            .arg(dir.join(name))
            .output()
            .expect("pdftoppm (poppler-utils) must be installed for this test");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "{name}: pdftoppm failed: {stderr}"
        );
        let page = pixels(&std::fs::read(dir.join(format!("{name}.png"))).expect("read"));
        let ours = pixels(&png.body);
        assert_eq!(
            (page.width(), page.height()),
            (ours.width(), ours.height()),
            "{name}: page size at 300 dpi"
        );
        let background = page.pixels()[0];
        let drawn = page.pixels().iter().filter(|p| **p != background).count();
        assert!(drawn > 100, "{name}: only {drawn} pixels drawn");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
