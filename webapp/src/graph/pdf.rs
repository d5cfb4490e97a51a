//! The PDF backend: one page the size of the recording (points), its drawing as vector
//! paths in a Flate-compressed content stream, alpha through `ExtGState`s, clips as
//! `q ... W n ... Q` nesting. Text arrives as filled glyph outlines (glyph.py draws text
//! with `text_path` + `fill`, which cairo also writes as paths).
//!
//! glyph.py sizes the PDF surface in points from the pixel size and cairo's fallback
//! resolution (300 dpi), and then draws the whole graph in that smaller coordinate space:
//! [`page_size`] gives the size to build the [`Recorder`] with.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::graph::canvas::recorder::{ClipEntry, Op, Recorder, Rgba, StrokeStyle};
use crate::graph::canvas::{Canvas, LineCap, LineJoin, PathSegment};

/// cairo's default fallback resolution for PDF surfaces, which glyph.py's `setupCairo`
/// divides the pixel size by.
pub const FALLBACK_RESOLUTION: f64 = 300.0;

/// The page size in points for a graph of `width` x `height` pixels, as glyph.py computes
/// it (`float(width / res_x) * 72`); the graph is laid out in these units.
pub fn page_size(width: f64, height: f64) -> (f64, f64) {
    (
        width / FALLBACK_RESOLUTION * 72.0,
        height / FALLBACK_RESOLUTION * 72.0,
    )
}

/// The recording as a PDF 1.4 document of one page.
pub fn render_pdf(recorder: &Recorder) -> Vec<u8> {
    let (width, height) = recorder.size();
    let (width, height) = (finite_or(width, 1.0), finite_or(height, 1.0));
    let mut content = String::new();
    // PDF's y axis points up; the drawing's points down.
    let _ = writeln!(content, "1 0 0 -1 0 {} cm", num(height));
    let mut alphas: BTreeMap<u64, usize> = BTreeMap::new();
    let mut open_clips: Vec<usize> = Vec::new();
    for op in recorder.ops() {
        match op {
            Op::Fill { path, color, clip } => {
                set_clip(&mut content, &mut open_clips, *clip, recorder.clips());
                let _ = write!(
                    content,
                    "{} {} {} rg ",
                    unit(color.r),
                    unit(color.g),
                    unit(color.b)
                );
                alpha(&mut content, &mut alphas, color);
                path_ops(&mut content, path);
                content.push_str("f\n");
            }
            Op::Stroke {
                path,
                color,
                style,
                clip,
            } => {
                if style.width <= 0.0 || style.width.is_nan() {
                    continue;
                }
                set_clip(&mut content, &mut open_clips, *clip, recorder.clips());
                let _ = write!(
                    content,
                    "{} {} {} RG ",
                    unit(color.r),
                    unit(color.g),
                    unit(color.b)
                );
                alpha(&mut content, &mut alphas, color);
                stroke_state(&mut content, style);
                path_ops(&mut content, path);
                content.push_str("S\n");
            }
            Op::Group(_) => {}
        }
    }
    for _ in open_clips.drain(..) {
        content.push_str("Q\n");
    }

    let stream = miniz_oxide::deflate::compress_to_vec_zlib(content.as_bytes(), 6);
    let mut doc = PdfWriter::default();
    doc.out.extend_from_slice(b"%PDF-1.4\n%\xb5\xed\xae\xfb\n");
    let ext_gstates: Vec<usize> = alphas
        .keys()
        .map(|bits| {
            let a = f64::from_bits(*bits);
            doc.object(format!("<< /Type /ExtGState /CA {0} /ca {0} >>", unit(a)).as_bytes())
        })
        .collect();
    let content_id = doc.stream(&stream);
    let mut resources = String::from("<< /ExtGState << ");
    for ((_, index), id) in alphas.iter().zip(&ext_gstates) {
        let _ = write!(resources, "/a{index} {id} 0 R ");
    }
    resources.push_str(">> >>");
    // The page tree refers to the page and back: reserve the numbers first.
    let pages_id = doc.reserve();
    let page_id = doc.object(
        format!(
            "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [ 0 0 {} {} ] /Contents {content_id} 0 R /Group << /Type /Group /S /Transparency /I true /CS /DeviceRGB >> /Resources {resources} >>",
            num(width),
            num(height)
        )
        .as_bytes(),
    );
    doc.fill(
        pages_id,
        format!("<< /Type /Pages /Kids [ {page_id} 0 R ] /Count 1 >>").as_bytes(),
    );
    let catalog_id = doc.object(format!("<< /Type /Catalog /Pages {pages_id} 0 R >>").as_bytes());
    let info_id = doc.object(b"<< /Producer (graphite-web) >>");
    doc.finish(catalog_id, info_id)
}

fn finite_or(v: f64, default: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        default
    }
}

/// Sets the alpha (through a shared ExtGState per distinct value) unless it is opaque.
fn alpha(content: &mut String, alphas: &mut BTreeMap<u64, usize>, color: &Rgba) {
    // Every op sets its alpha, so a preceding translucent op never leaks into an opaque one.
    let next = alphas.len();
    let index = *alphas.entry(color.a.to_bits()).or_insert(next);
    let _ = write!(content, "/a{index} gs ");
}

fn stroke_state(content: &mut String, style: &StrokeStyle) {
    let cap = match style.cap {
        LineCap::Butt => 0,
        LineCap::Round => 1,
        LineCap::Square => 2,
    };
    let join = match style.join {
        LineJoin::Miter => 0,
        LineJoin::Round => 1,
        LineJoin::Bevel => 2,
    };
    let _ = write!(
        content,
        "{} w {cap} J {join} j {} M [",
        num(style.width),
        num(style.miter_limit)
    );
    for d in &style.dash {
        let _ = write!(content, " {}", num(*d));
    }
    let _ = write!(content, " ] {} d ", num(style.dash_offset));
}

/// Opens and closes `q ... W n` levels so that exactly `clip`'s chain is in force.
fn set_clip(content: &mut String, open: &mut Vec<usize>, clip: Option<usize>, clips: &[ClipEntry]) {
    let mut chain = Vec::new();
    let mut cursor = clip;
    while let Some(i) = cursor {
        if chain.len() > clips.len() {
            break;
        }
        chain.push(i);
        cursor = clips.get(i).and_then(|c| c.parent);
    }
    chain.reverse();
    let common = open.iter().zip(&chain).take_while(|(a, b)| a == b).count();
    while open.len() > common {
        open.pop();
        content.push_str("Q\n");
    }
    for &i in &chain[common..] {
        content.push_str("q ");
        if let Some(entry) = clips.get(i) {
            path_ops(content, &entry.path);
        }
        content.push_str("W n\n");
        open.push(i);
    }
}

fn path_ops(content: &mut String, path: &[PathSegment]) {
    for seg in path {
        let _ = match *seg {
            PathSegment::MoveTo(x, y) => write!(content, "{} {} m ", num(x), num(y)),
            PathSegment::LineTo(x, y) => write!(content, "{} {} l ", num(x), num(y)),
            PathSegment::CurveTo(a, b, c, d, e, f) => write!(
                content,
                "{} {} {} {} {} {} c ",
                num(a),
                num(b),
                num(c),
                num(d),
                num(e),
                num(f)
            ),
            PathSegment::Close => write!(content, "h "),
        };
    }
}

/// A coordinate with cairo's PDF precision (three decimals, trailing zeros removed).
fn num(v: f64) -> String {
    trim(format!("{:.3}", if v.is_finite() { v } else { 0.0 }))
}

/// A colour or alpha component (six decimals).
fn unit(v: f64) -> String {
    trim(format!("{:.6}", if v.is_finite() { v } else { 0.0 }))
}

fn trim(mut s: String) -> String {
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}

/// Numbered objects and the cross-reference table.
#[derive(Default)]
struct PdfWriter {
    out: Vec<u8>,
    /// Byte offset of each object, by number - 1 (`None` until written).
    offsets: Vec<Option<usize>>,
}

impl PdfWriter {
    fn reserve(&mut self) -> usize {
        self.offsets.push(None);
        self.offsets.len()
    }

    fn fill(&mut self, id: usize, body: &[u8]) {
        if let Some(slot) = self.offsets.get_mut(id - 1) {
            *slot = Some(self.out.len());
        }
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn object(&mut self, body: &[u8]) -> usize {
        let id = self.reserve();
        self.fill(id, body);
        id
    }

    fn stream(&mut self, data: &[u8]) -> usize {
        let mut body = format!(
            "<< /Length {} /Filter /FlateDecode >>\nstream\n",
            data.len()
        )
        .into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(&body)
    }

    fn finish(mut self, root: usize, info: usize) -> Vec<u8> {
        let xref = self.out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len() + 1);
        for offset in &self.offsets {
            let _ = writeln!(table, "{:010} 00000 n ", offset.unwrap_or(0));
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            self.offsets.len() + 1
        );
        self.out.extend_from_slice(table.as_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    /// Checks the structure a reader relies on: header, every xref offset pointing at its
    /// `N 0 obj`, startxref pointing at the table, stream lengths, the page size.
    fn check_structure(pdf: &[u8]) -> String {
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let sx = pdf
            .windows(10)
            .rposition(|w| w == b"startxref\n")
            .expect("startxref");
        let tail = std::str::from_utf8(&pdf[sx + 10..]).expect("ascii tail");
        let xref_at: usize = tail.lines().next().expect("n").parse().expect("offset");
        assert!(pdf[xref_at..].starts_with(b"xref\n"));
        let table = std::str::from_utf8(&pdf[xref_at..]).expect("ascii table");
        let mut lines = table.lines().skip(1);
        let count: usize = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .expect("count");
        let entries: Vec<&str> = lines.take(count).collect();
        assert_eq!(entries.len(), count);
        for (n, entry) in entries.iter().enumerate().skip(1) {
            assert_eq!(entry.len(), 19, "entry {n} {entry:?}"); // 20 bytes with the \n
            let offset: usize = entry[..10].parse().expect("offset");
            assert!(
                pdf[offset..].starts_with(format!("{n} 0 obj\n").as_bytes()),
                "object {n} not at {offset}"
            );
        }
        // The content stream: Length matches and it inflates.
        let s = find(pdf, b"/Filter /FlateDecode >>\nstream\n").expect("stream");
        let len_at = pdf[..s]
            .windows(8)
            .rposition(|w| w == b"/Length ")
            .expect("length")
            + 8;
        let len: usize = std::str::from_utf8(&pdf[len_at..s])
            .expect("ascii")
            .trim()
            .parse()
            .expect("len");
        let data_at = s + b"/Filter /FlateDecode >>\nstream\n".len();
        assert!(pdf[data_at + len..].starts_with(b"\nendstream"));
        let inflated = miniz_oxide::inflate::decompress_to_vec_zlib(&pdf[data_at..data_at + len])
            .expect("inflate");
        String::from_utf8(inflated).expect("utf8")
    }

    #[test]
    fn structure_and_content() {
        let (w, h) = page_size(300.0, 200.0);
        assert_eq!((w, h), (72.0, 48.0));
        let mut rec = Recorder::for_vector(w, h);
        rec.set_source_rgba(1.0, 1.0, 1.0, 1.0);
        rec.rectangle(0.0, 0.0, w, h);
        rec.fill();
        rec.rectangle(5.0, 5.0, 20.0, 20.0);
        rec.clip();
        rec.set_source_rgba(1.0, 0.0, 0.0, 0.5);
        rec.set_dash(&[2.0], 1.0);
        rec.move_to(0.0, 10.0);
        rec.line_to(50.0, 10.0);
        rec.stroke();
        rec.reset_clip();
        rec.select_font_face("Sans", false, true);
        rec.move_to(10.0, 40.0);
        rec.text_path("Hg");
        rec.fill();
        let pdf = render_pdf(&rec);
        let content = check_structure(&pdf);
        assert!(String::from_utf8_lossy(&pdf).contains("/MediaBox [ 0 0 72 48 ]"));
        assert!(content.starts_with("1 0 0 -1 0 48 cm\n"));
        assert!(content.contains("1 1 1 rg /a0 gs 0 0 m 72 0 l 72 48 l 0 48 l h 0 0 m f\n"));
        assert!(content.contains("q 5 5 m 25 5 l 25 25 l 5 25 l h 5 5 m W n\n"));
        assert!(
            content.contains("1 0 0 RG /a1 gs 2 w 0 J 0 j 10 M [ 2 ] 1 d 0 10 m 50 10 l S\nQ\n")
        );
        assert!(content.contains(" c "), "glyph curves");
    }

    /// poppler draws our PDF of the shared test scene (text, clips, a dashed translucent line,
    /// an arc, rotated text) as our rasterizer draws the same recording: `pdftoppm` (from
    /// poppler-utils, which CI installs) must open it cleanly, and only edge pixels may
    /// differ.
    #[test]
    fn poppler_draws_what_the_rasterizer_draws() {
        let mut rec = Recorder::for_vector(300.0, 200.0);
        crate::graph::raster::scene::replay(&mut rec, &crate::graph::raster::scene::ops());
        let dir = std::env::temp_dir().join(format!("pdf-scene-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let input = dir.join("scene.pdf");
        std::fs::write(&input, render_pdf(&rec)).expect("write");
        let out = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "72", "-singlefile"])
            .arg(&input)
            .arg(dir.join("scene"))
            .output()
            .expect("pdftoppm (poppler-utils) must be installed for this test");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.trim().is_empty(), "{stderr}");
        let page = tiny_skia::Pixmap::load_png(dir.join("scene.png")).expect("poppler's png");
        let _ = std::fs::remove_dir_all(&dir);
        let ours = crate::graph::raster::rasterize(&rec).expect("raster");
        assert_eq!((page.width(), page.height()), (300, 200));
        // poppler draws on white; our pixmap starts transparent (as cairo's image surface).
        // Measured: 135 pixels differ by more than 64 (none by more than 96), all on the
        // edges of glyphs and lines: poppler anti-aliases its own way. A missing or misplaced
        // line or shape would add several hundred.
        let mut over_64 = 0;
        for (a, b) in ours.pixels().iter().zip(page.pixels()) {
            let a = a.demultiply();
            let on_white = |c: u8| {
                let alpha = f64::from(a.alpha()) / 255.0;
                (f64::from(c) * alpha + 255.0 * (1.0 - alpha)).round() as u8
            };
            let b = b.demultiply();
            let delta = on_white(a.red())
                .abs_diff(b.red())
                .max(on_white(a.green()).abs_diff(b.green()))
                .max(on_white(a.blue()).abs_diff(b.blue()));
            over_64 += usize::from(delta > 64);
        }
        assert!(
            over_64 < 300,
            "{over_64} of 60,000 pixels differ by more than 64"
        );
    }

    #[test]
    fn empty_recording_is_a_valid_page() {
        let pdf = render_pdf(&Recorder::for_vector(0.0, f64::NAN));
        let content = check_structure(&pdf);
        assert_eq!(content, "1 0 0 -1 0 1 cm\n");
    }
}
