//! The SVG backend: the recorded drawing as cairo 1.16's SVG surface writes it, after
//! glyph.py's edits: sizes in `px`, a `class="graphite"` on the surface group when there are
//! `<defs>`, the trailing `<script>` with the `metadata` JSON.
//!
//! It follows cairo's output closely enough that a graph's SVG equals the reference's byte
//! for byte (tested on a scene drawn by cairo; glyph.py draws text with `text_path` +
//! `fill`, which cairo also writes as paths): number formatting, a whole-surface fill as a
//! `<rect>` (cairo turns it into a paint), box clips reduced to each operation's extents,
//! operations outside the surface or clip dropped. Differences that do not change the
//! picture: strokes under a rotated matrix are written in device space instead of user
//! space plus a `transform`; path (non-box) clips are nested groups, not reduced; the
//! surface is always `surface1` (cairo numbers surfaces per process).

use std::fmt::Write as _;

use crate::graph::canvas::recorder::{ClipEntry, Op, Recorder, Rgba, StrokeStyle};
use crate::graph::canvas::{Canvas, LineCap, LineJoin, PathSegment};

/// The recording as an SVG document with glyph.py's metadata script, as graphite-web 1.1.10
/// really writes it: without header groups (see [`render_svg_with`]).
///
/// `metadata_json` is the reference's `metaData` already serialized (`json.dumps`); `None`
/// means a graph without data (a pie chart or "No Data"), which gets `metadata = {}`.
pub fn render_svg(recorder: &Recorder, metadata_json: Option<&str>) -> Vec<u8> {
    // The reference's real output has no header groups (see render_svg_with).
    render_svg_with(recorder, metadata_json, false)
}

/// [`render_svg`] with the header groups chosen explicitly. graphite-web 1.1.10 marks each
/// section with a stroke at (-88, -88) that it turns into `<g class="...">`; cairo 1.16
/// drops those strokes (they lie outside the surface), so the real reference output has no
/// such groups. `header_groups = false` reproduces that output exactly.
pub fn render_svg_with(
    recorder: &Recorder,
    metadata_json: Option<&str>,
    header_groups: bool,
) -> Vec<u8> {
    let (width, height) = recorder.size();
    let mut writer = Writer {
        defs: String::new(),
        body: String::new(),
        next_clip: 1,
        open: ClipState::default(),
        header_open: false,
    };
    // The surface's integer extents (cairo's recording surface bounds every operation).
    let surface: IRect = (0, 0, width.ceil() as i64, height.ceil() as i64);
    let clips = recorder.clips();
    for op in recorder.ops() {
        match op {
            Op::Fill { path, color, clip } => {
                let paint = covers(path, width, height);
                let mask = if paint {
                    Some(surface)
                } else {
                    path_extents(path).map(round_out)
                };
                if !writer.place(*clip, mask, surface, clips) {
                    continue;
                }
                if paint {
                    // cairo turns a fill covering the whole surface into a paint.
                    let _ = writeln!(
                        writer.body,
                        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" style=\"fill:{};fill-opacity:{};stroke:none;\"/>",
                        num(width),
                        num(height),
                        rgb(color),
                        num(color.a)
                    );
                } else {
                    let _ = writeln!(
                        writer.body,
                        "<path style=\" stroke:none;fill-rule:nonzero;fill:{};fill-opacity:{};\" d=\"{}\"/>",
                        rgb(color),
                        num(color.a),
                        path_data(path)
                    );
                }
            }
            Op::Stroke {
                path,
                color,
                style,
                clip,
            } => {
                if !writer.place(*clip, stroke_extents(path, style), surface, clips) {
                    continue;
                }
                let _ = writeln!(
                    writer.body,
                    "<path style=\"{}\" d=\"{}\"/>",
                    stroke_style(style, color),
                    path_data(path)
                );
            }
            Op::Group(class) => {
                if header_groups {
                    writer.open(ClipState::default(), clips);
                    if writer.header_open {
                        writer.body.push_str("</g>");
                    }
                    let _ = write!(writer.body, "<g class=\"{}\">", escape_attr(class));
                    writer.header_open = true;
                }
            }
        }
    }
    writer.open(ClipState::default(), clips);
    if writer.header_open {
        writer.body.push_str("</g>\n");
    }

    let mut out = String::with_capacity(writer.defs.len() + writer.body.len() + 512);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"{w}px\" height=\"{h}px\" viewBox=\"0 0 {w} {h}\" version=\"1.1\">",
        w = num(width),
        h = num(height)
    );
    if writer.defs.is_empty() {
        out.push_str("<g id=\"surface1\">\n");
    } else {
        out.push_str("<defs>\n");
        out.push_str(&writer.defs);
        // glyph.py adds the class by replacing "</defs>\n<g", so only when there are defs.
        out.push_str("</defs>\n<g class=\"graphite\" id=\"surface1\">\n");
    }
    out.push_str(&writer.body);
    out.push_str("</g>\n");
    let _ = write!(
        out,
        "<script>\n  <![CDATA[\n    metadata = {}\n  ]]>\n</script>\n</svg>",
        metadata_json.unwrap_or("{}")
    );
    out.into_bytes()
}

/// An integer rectangle `(x0, y0, x1, y1)`, as cairo's `cairo_rectangle_int_t`.
type IRect = (i64, i64, i64, i64);
/// A box in device coordinates `(x0, y0, x1, y1)`.
type BoxF = (f64, f64, f64, f64);

/// A clip as cairo's SVG surface receives it for one operation: the intersection of the box
/// clips (reduced to the operation's extents) and the path clips, oldest first.
#[derive(Debug, Clone, PartialEq, Default)]
struct ClipState {
    /// The box part (`None`: no clip at all when `paths` is empty too).
    boxes: Option<BoxF>,
    /// Clip entries that are not boxes.
    paths: Vec<usize>,
}

impl ClipState {
    /// How many `<g clip-path>` groups this clip opens.
    fn groups(&self) -> usize {
        usize::from(self.boxes.is_some()) + self.paths.len()
    }
}

struct Writer {
    defs: String,
    body: String,
    next_clip: usize,
    /// The clip whose groups are open.
    open: ClipState,
    header_open: bool,
}

impl Writer {
    /// Decides the clip of one operation as cairo's recording surface does, and opens its
    /// groups; `false` when cairo would draw nothing (the operation's extents miss the
    /// surface or the clip).
    ///
    /// cairo reduces the clip to the operation's integer extents: a box clip that contains
    /// them is dropped, otherwise the box part becomes its intersection with them (so each
    /// series of a graph gets its own `clipPath`); path clips are kept, after that box.
    fn place(
        &mut self,
        clip: Option<usize>,
        mask: Option<IRect>,
        surface: IRect,
        clips: &[ClipEntry],
    ) -> bool {
        let Some(unclipped) = intersect_rect(mask, Some(surface)) else {
            return false;
        };
        let mut boxes: Option<BoxF> = None;
        let mut paths = Vec::new();
        let mut extents = Some(unclipped);
        for i in chain(clip, clips) {
            let Some(entry) = clips.get(i) else {
                continue;
            };
            if let Some(b) = as_box(&entry.path) {
                boxes = match boxes {
                    None => Some(b),
                    Some(a) => match intersect_box(a, b) {
                        Some(r) => Some(r),
                        None => return false, // all clipped
                    },
                };
                extents = intersect_rect(extents, Some(round_out(b)));
            } else {
                extents = intersect_rect(extents, path_extents(&entry.path).map(round_out));
                paths.push(i);
            }
        }
        if clip.is_none() {
            self.open(ClipState::default(), clips);
            return true;
        }
        let Some(bounded) = extents else {
            return false;
        };
        let (bx0, by0, bx1, by1) = (
            bounded.0 as f64,
            bounded.1 as f64,
            bounded.2 as f64,
            bounded.3 as f64,
        );
        let target = match boxes {
            // A box clip containing the whole operation is dropped.
            Some(b)
                if paths.is_empty()
                    && b.0 <= unclipped.0 as f64
                    && b.1 <= unclipped.1 as f64
                    && b.2 >= unclipped.2 as f64
                    && b.3 >= unclipped.3 as f64 =>
            {
                ClipState::default()
            }
            Some(b) => ClipState {
                boxes: Some((b.0.max(bx0), b.1.max(by0), b.2.min(bx1), b.3.min(by1))),
                paths,
            },
            // A path clip gets the operation's extents as its box.
            None => ClipState {
                boxes: Some((bx0, by0, bx1, by1)),
                paths,
            },
        };
        self.open(target, clips);
        true
    }

    /// Makes `target` the open clip as cairo's surface clipper does: nothing when equal, only
    /// the new paths when the old clip's paths continue into the new one's with the same
    /// boxes, else all groups closed and the new clip written afresh (new `clipN` ids).
    fn open(&mut self, target: ClipState, clips: &[ClipEntry]) {
        if self.open == target {
            return;
        }
        let incremental = !self.open.paths.is_empty()
            && self.open.boxes == target.boxes
            && target.paths.starts_with(&self.open.paths);
        let first_path = if incremental {
            self.open.paths.len()
        } else {
            for _ in 0..self.open.groups() {
                self.body.push_str("</g>\n");
            }
            if let Some((x0, y0, x1, y1)) = target.boxes {
                let path = path_data(&[
                    PathSegment::MoveTo(x0, y0),
                    PathSegment::LineTo(x1, y0),
                    PathSegment::LineTo(x1, y1),
                    PathSegment::LineTo(x0, y1),
                    PathSegment::Close,
                    PathSegment::MoveTo(x0, y0),
                ]);
                self.clip_group(&path);
            }
            0
        };
        for &i in &target.paths[first_path..] {
            let path = clips.get(i).map(|c| path_data(&c.path)).unwrap_or_default();
            self.clip_group(&path);
        }
        self.open = target;
    }

    /// Writes a `clipPath` and opens the group that uses it.
    fn clip_group(&mut self, path: &str) {
        let id = self.next_clip;
        self.next_clip += 1;
        let _ = write!(
            self.defs,
            "<clipPath id=\"clip{id}\">\n  <path d=\"{path}\"/>\n</clipPath>\n"
        );
        let _ = writeln!(
            self.body,
            "<g clip-path=\"url(#clip{id})\" clip-rule=\"nonzero\">"
        );
    }
}

/// The clip entries in force for `clip`, outermost first.
fn chain(clip: Option<usize>, clips: &[ClipEntry]) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut cursor = clip;
    while let Some(i) = cursor {
        if chain.len() > clips.len() {
            break; // a parent cycle cannot come from the Recorder; stay finite anyway
        }
        chain.push(i);
        cursor = clips.get(i).and_then(|c| c.parent);
    }
    chain.reverse();
    chain
}

/// The path as one axis-aligned box, when it is one (cairo's `_cairo_path_fixed_is_box`).
fn as_box(path: &[PathSegment]) -> Option<BoxF> {
    let pts: Vec<(f64, f64)> = match path {
        [PathSegment::MoveTo(ax, ay), PathSegment::LineTo(bx, by), PathSegment::LineTo(cx, cy), PathSegment::LineTo(dx, dy), PathSegment::Close, rest @ ..]
            if rest.len() <= 1 && rest.iter().all(|s| matches!(s, PathSegment::MoveTo(..))) =>
        {
            vec![(*ax, *ay), (*bx, *by), (*cx, *cy), (*dx, *dy)]
        }
        _ => return None,
    };
    let horizontal_first = pts[0].1 == pts[1].1
        && pts[1].0 == pts[2].0
        && pts[2].1 == pts[3].1
        && pts[3].0 == pts[0].0;
    let vertical_first = pts[0].0 == pts[1].0
        && pts[1].1 == pts[2].1
        && pts[2].0 == pts[3].0
        && pts[3].1 == pts[0].1;
    if !(horizontal_first || vertical_first) {
        return None;
    }
    let x0 = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let y0 = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let x1 = pts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let y1 = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    Some((x0, y0, x1, y1))
}

fn intersect_box(a: BoxF, b: BoxF) -> Option<BoxF> {
    let r = (a.0.max(b.0), a.1.max(b.1), a.2.min(b.2), a.3.min(b.3));
    (r.0 < r.2 && r.1 < r.3).then_some(r)
}

fn intersect_rect(a: Option<IRect>, b: Option<IRect>) -> Option<IRect> {
    let (a, b) = (a?, b?);
    let r = (a.0.max(b.0), a.1.max(b.1), a.2.min(b.2), a.3.min(b.3));
    (r.0 < r.2 && r.1 < r.3).then_some(r)
}

/// cairo's `_cairo_box_round_to_rectangle`.
fn round_out(b: BoxF) -> IRect {
    (
        b.0.floor() as i64,
        b.1.floor() as i64,
        b.2.ceil() as i64,
        b.3.ceil() as i64,
    )
}

/// The path's extents as cairo keeps them: the points of drawn segments, curves by their
/// tight bounds; `None` for a path that draws nothing.
fn path_extents(path: &[PathSegment]) -> Option<BoxF> {
    let mut ext: Option<BoxF> = None;
    let mut add = |x: f64, y: f64| {
        ext = Some(match ext {
            None => (x, y, x, y),
            Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
        });
    };
    let mut current = None;
    for seg in path {
        match *seg {
            PathSegment::MoveTo(x, y) => current = Some((x, y)),
            PathSegment::LineTo(x, y) => {
                if let Some((cx, cy)) = current {
                    add(cx, cy);
                }
                add(x, y);
                current = Some((x, y));
            }
            PathSegment::CurveTo(x1, y1, x2, y2, x3, y3) => {
                let (x0, y0) = current.unwrap_or((x1, y1));
                add(x0, y0);
                add(x3, y3);
                for t in bezier_extrema(x0, x1, x2, x3)
                    .into_iter()
                    .chain(bezier_extrema(y0, y1, y2, y3))
                {
                    add(bezier(x0, x1, x2, x3, t), bezier(y0, y1, y2, y3, t));
                }
                current = Some((x3, y3));
            }
            PathSegment::Close => {}
        }
    }
    ext
}

fn bezier(p0: f64, p1: f64, p2: f64, p3: f64, t: f64) -> f64 {
    let u = 1.0 - t;
    u * u * u * p0 + 3.0 * u * u * t * p1 + 3.0 * u * t * t * p2 + t * t * t * p3
}

/// The parameters in (0, 1) where one coordinate of a cubic has a zero derivative.
fn bezier_extrema(p0: f64, p1: f64, p2: f64, p3: f64) -> Vec<f64> {
    let a = -p0 + 3.0 * p1 - 3.0 * p2 + p3;
    let b = 2.0 * (p0 - 2.0 * p1 + p2);
    let c = p1 - p0;
    let mut roots = Vec::with_capacity(2);
    if a.abs() < 1e-12 {
        if b.abs() > 1e-12 {
            roots.push(-c / b);
        }
    } else {
        let disc = b * b - 4.0 * a * c;
        if disc >= 0.0 {
            let sq = disc.sqrt();
            roots.push((-b + sq) / (2.0 * a));
            roots.push((-b - sq) / (2.0 * a));
        }
    }
    roots.retain(|t| *t > 0.0 && *t < 1.0);
    roots
}

/// cairo's `_cairo_path_fixed_approximate_stroke_extents` for a vector surface: the path's
/// extents grown by the style's reach (half the width; the miter reach when joins can miter).
fn stroke_extents(path: &[PathSegment], style: &StrokeStyle) -> Option<IRect> {
    let (x0, y0, x1, y1) = path_extents(path)?;
    let mut expansion = match style.cap {
        LineCap::Square => std::f64::consts::FRAC_1_SQRT_2,
        _ => 0.5,
    };
    if style.join == LineJoin::Miter
        && !is_rectilinear(path)
        && expansion < std::f64::consts::SQRT_2 * style.miter_limit
    {
        expansion = std::f64::consts::SQRT_2 * style.miter_limit;
    }
    // Vector surfaces keep lines thinner than the fixed-point resolution.
    let d = crate::graph::canvas::path::fixed((expansion * style.width).max(2.0 / 256.0));
    Some(round_out((x0 - d, y0 - d, x1 + d, y1 + d)))
}

/// Whether every segment (closing ones included) is horizontal or vertical.
fn is_rectilinear(path: &[PathSegment]) -> bool {
    let mut current = (0.0, 0.0);
    let mut start = (0.0, 0.0);
    for seg in path {
        match *seg {
            PathSegment::MoveTo(x, y) => {
                current = (x, y);
                start = (x, y);
            }
            PathSegment::LineTo(x, y) => {
                if x != current.0 && y != current.1 {
                    return false;
                }
                current = (x, y);
            }
            PathSegment::CurveTo(..) => return false,
            PathSegment::Close => {
                if start.0 != current.0 && start.1 != current.1 {
                    return false;
                }
                current = start;
            }
        }
    }
    true
}

/// Whether a path is one axis-aligned box covering the surface (cairo's fill-to-paint test).
fn covers(path: &[PathSegment], width: f64, height: f64) -> bool {
    let points: Vec<(f64, f64)> = path
        .iter()
        .filter_map(|s| match *s {
            PathSegment::MoveTo(x, y) | PathSegment::LineTo(x, y) => Some((x, y)),
            _ => None,
        })
        .collect();
    let curves = path.iter().any(|s| matches!(s, PathSegment::CurveTo(..)));
    let moves = path
        .iter()
        .filter(|s| matches!(s, PathSegment::MoveTo(..)))
        .count();
    if curves || moves > 2 || !(4..=6).contains(&points.len()) {
        return false;
    }
    let box_points = &points[..4];
    let xs: Vec<f64> = box_points.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = box_points.iter().map(|p| p.1).collect();
    let (x0, x1) = (
        xs.iter().cloned().fold(f64::INFINITY, f64::min),
        xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
    );
    let (y0, y1) = (
        ys.iter().cloned().fold(f64::INFINITY, f64::min),
        ys.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
    );
    // Each corner must be on the box's edges in both coordinates (a rectangle, not a
    // quadrilateral).
    let is_box = box_points
        .iter()
        .all(|&(x, y)| (x == x0 || x == x1) && (y == y0 || y == y1))
        && box_points
            .windows(2)
            .all(|w| w[0].0 == w[1].0 || w[0].1 == w[1].1);
    is_box && x0 <= 0.0 && y0 <= 0.0 && x1 >= width.ceil() && y1 >= height.ceil()
}

fn stroke_style(style: &StrokeStyle, color: &Rgba) -> String {
    let cap = match style.cap {
        LineCap::Butt => "butt",
        LineCap::Round => "round",
        LineCap::Square => "square",
    };
    let join = match style.join {
        LineJoin::Miter => "miter",
        LineJoin::Round => "round",
        LineJoin::Bevel => "bevel",
    };
    let mut s = format!(
        "fill:none;stroke-width:{};stroke-linecap:{cap};stroke-linejoin:{join};stroke:{};stroke-opacity:{};",
        num(style.width),
        rgb(color),
        num(color.a)
    );
    if !style.dash.is_empty() {
        let dashes: Vec<String> = style.dash.iter().map(|d| num(*d)).collect();
        let _ = write!(s, "stroke-dasharray:{};", dashes.join(","));
        if style.dash_offset != 0.0 {
            let _ = write!(s, "stroke-dashoffset:{};", num(style.dash_offset));
        }
    }
    let _ = write!(s, "stroke-miterlimit:{};", num(style.miter_limit));
    s
}

fn rgb(c: &Rgba) -> String {
    format!(
        "rgb({}%,{}%,{}%)",
        num(c.r * 100.0),
        num(c.g * 100.0),
        num(c.b * 100.0)
    )
}

/// A path's `d` attribute as cairo writes it: each operator followed by a space.
pub(crate) fn path_data(path: &[PathSegment]) -> String {
    let mut d = String::with_capacity(path.len() * 24);
    for seg in path {
        let _ = match *seg {
            PathSegment::MoveTo(x, y) => write!(d, "M {} {} ", num(x), num(y)),
            PathSegment::LineTo(x, y) => write!(d, "L {} {} ", num(x), num(y)),
            PathSegment::CurveTo(a, b, c, e, f, g) => write!(
                d,
                "C {} {} {} {} {} {} ",
                num(a),
                num(b),
                num(c),
                num(e),
                num(f),
                num(g)
            ),
            PathSegment::Close => write!(d, "Z "),
        };
    }
    d
}

/// cairo's `_cairo_dtostr`: `%f` (six decimals) for |v| >= 0.1, six significant decimals
/// after the leading zeros below that, trailing zeros and a bare point removed, no "-0".
pub(crate) fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let v = if v == 0.0 { 0.0 } else { v };
    let mut s = if v.abs() >= 0.1 {
        format!("{v:.6}")
    } else {
        let long = format!("{v:.18}");
        let fraction = long.split('.').nth(1).unwrap_or("");
        let zeros = fraction.chars().take_while(|c| *c == '0').count();
        let digits = zeros + 6;
        if digits < 18 {
            format!("{v:.digits$}")
        } else {
            long
        }
    };
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

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_cairo_writes_them() {
        assert_eq!(num(186.92578125), "186.925781");
        assert_eq!(num(50.0), "50");
        assert_eq!(num(0.4), "0.4");
        assert_eq!(num(0.05078125), "0.0507812");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(43.529411764705884), "43.529412");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-3.5), "-3.5");
    }

    /// A minimal well-formedness check: tags balance and attributes are quoted.
    fn assert_well_formed(xml: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = xml;
        while let Some(start) = rest.find('<') {
            let after = &rest[start..];
            if after.starts_with("<?") {
                let end = after.find("?>").expect("pi end");
                rest = &after[end + 2..];
                continue;
            }
            if after.starts_with("<![CDATA[") {
                let end = after.find("]]>").expect("cdata end");
                rest = &after[end + 3..];
                continue;
            }
            let end = after.find('>').expect("tag end");
            let tag = &after[1..end];
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in <{tag}>"
            );
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("name");
                stack.push(name.to_owned());
            }
            rest = &after[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    fn sample(rec: &mut Recorder) {
        rec.begin_group("background");
        rec.set_source_rgba(1.0, 1.0, 1.0, 1.0);
        rec.rectangle(0.0, 0.0, 100.0, 50.0);
        rec.fill();
        rec.begin_group("title");
        rec.set_source_rgba(0.0, 0.0, 0.0, 1.0);
        rec.select_font_face("Sans", false, false);
        rec.move_to(10.0, 20.0);
        rec.text_path("Ab");
        rec.fill();
        rec.begin_group("lines");
        rec.rectangle(10.0, 10.0, 80.0, 30.0);
        rec.clip();
        rec.set_dash(&[4.0], 1.0);
        rec.set_line_width(1.5);
        rec.set_source_rgba(1.0, 0.0, 0.0, 0.5);
        rec.move_to(1.0, 1.0);
        rec.line_to(50.0, 0.05);
        rec.stroke();
        rec.begin_group("legend");
    }

    #[test]
    fn document_structure() {
        let mut rec = Recorder::for_vector(100.0, 50.0);
        sample(&mut rec);
        let svg = String::from_utf8(render_svg_with(&rec, Some("{\"x\": 1}"), true)).expect("utf8");
        assert_well_formed(&svg);
        assert!(svg.contains("width=\"100px\" height=\"50px\" viewBox=\"0 0 100 50\""));
        assert!(svg.contains("</defs>\n<g class=\"graphite\" id=\"surface1\">\n<g class=\"background\"><rect x=\"0\" y=\"0\" width=\"100\" height=\"50\" style=\"fill:rgb(100%,100%,100%);fill-opacity:1;stroke:none;\"/>"));
        assert!(svg.contains("<clipPath id=\"clip1\">\n  <path d=\"M 10 10 L 72 10 L 72 23 L 10 23 Z M 10 10 \"/>\n</clipPath>"));
        assert!(svg.contains("<g clip-path=\"url(#clip1)\" clip-rule=\"nonzero\">\n<path style=\"fill:none;stroke-width:1.5;stroke-linecap:butt;stroke-linejoin:miter;stroke:rgb(100%,0%,0%);stroke-opacity:0.5;stroke-dasharray:4;stroke-dashoffset:1;stroke-miterlimit:10;\" d=\"M 1 1 L 50 0.0507812 \"/>\n</g>\n"));
        assert!(svg.contains("<g class=\"legend\">"));
        assert!(svg.ends_with(
            "<script>\n  <![CDATA[\n    metadata = {\"x\": 1}\n  ]]>\n</script>\n</svg>"
        ));

        let plain = String::from_utf8(render_svg(&rec, None)).expect("utf8");
        assert_well_formed(&plain);
        assert!(!plain.contains("class=\"title\""));
        assert!(plain.contains("metadata = {}"));
        // The default is the reference's real output: no header groups, with data too.
        let default = String::from_utf8(render_svg(&rec, Some("{}"))).expect("utf8");
        assert!(!default.contains("class=\"legend\""));
    }

    /// The scene drawn by cairo's SVG surface (with glyph.py's edits), byte for byte:
    /// `tests/graph/cairo_scene.py`.
    #[test]
    fn scene_equals_cairo_svg() {
        let mut rec = Recorder::for_vector(300.0, 200.0);
        crate::graph::raster::scene::replay(&mut rec, &crate::graph::raster::scene::ops());
        let ours = String::from_utf8(render_svg_with(&rec, None, false)).expect("utf8");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/graph/cairo_scene.svg");
        let theirs = std::fs::read_to_string(path).expect("cairo svg");
        for (i, (a, b)) in ours.lines().zip(theirs.lines()).enumerate() {
            assert_eq!(a, b, "line {}", i + 1);
        }
        assert_eq!(ours, theirs);
    }

    #[test]
    fn no_defs_no_graphite_class() {
        let mut rec = Recorder::for_vector(30.0, 20.0);
        rec.rectangle(0.0, 0.0, 30.0, 20.0);
        rec.fill();
        let svg = String::from_utf8(render_svg(&rec, None)).expect("utf8");
        assert_well_formed(&svg);
        assert!(svg.contains("version=\"1.1\">\n<g id=\"surface1\">\n<rect"));
    }
}
