//! [`Recorder`]: the concrete [`Canvas`]. It keeps cairo's graphics state and current path
//! and turns each `fill`/`stroke` into an [`Op`] of a display list, with the device-space
//! path and everything a backend needs (colour, stroke style in device units, clip), so the
//! PNG, SVG and PDF writers replay one drawing.

use std::f64::consts::PI;
use std::sync::Arc;

use super::path::{arc_segments_needed, fixed, PathBuilder};
use super::{Canvas, FontExtents, LineCap, LineJoin, Matrix, PathSegment, SavedPath, TextExtents};
use crate::graph::text::{self, Font, Hinting};

/// A colour with straight (not premultiplied) components in `0..=1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgba {
    /// Red.
    pub r: f64,
    /// Green.
    pub g: f64,
    /// Blue.
    pub b: f64,
    /// Alpha.
    pub a: f64,
}

/// How a stroke is drawn, in device units.
#[derive(Debug, Clone, PartialEq)]
pub struct StrokeStyle {
    /// The line width.
    pub width: f64,
    /// On/off lengths (empty: solid).
    pub dash: Vec<f64>,
    /// Where the pattern starts.
    pub dash_offset: f64,
    /// The cap.
    pub cap: LineCap,
    /// The join.
    pub join: LineJoin,
    /// The miter limit (cairo's default 10).
    pub miter_limit: f64,
}

/// One entry of the clip stack: the region is the intersection of `path` (non-zero fill)
/// with the parent's region.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipEntry {
    /// The enclosing clip, if any.
    pub parent: Option<usize>,
    /// The clip path, device space.
    pub path: Vec<PathSegment>,
}

/// A recorded drawing operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Fill a path with the non-zero rule.
    Fill {
        /// Device-space path, as `copy_path` would return it.
        path: Vec<PathSegment>,
        /// The colour.
        color: Rgba,
        /// Index into [`Recorder::clips`].
        clip: Option<usize>,
    },
    /// Stroke a path.
    Stroke {
        /// Device-space path, as `copy_path` would return it.
        path: Vec<PathSegment>,
        /// The colour.
        color: Rgba,
        /// Width, dash, cap, join in device units.
        style: StrokeStyle,
        /// Index into [`Recorder::clips`].
        clip: Option<usize>,
    },
    /// The start of an SVG group (`<g class="...">`), ending the previous one.
    Group(String),
}

#[derive(Debug, Clone)]
struct State {
    color: Rgba,
    line_width: f64,
    dash: Vec<f64>,
    dash_offset: f64,
    cap: LineCap,
    join: LineJoin,
    matrix: Matrix,
    clip: Option<usize>,
    font: Arc<Font>,
    font_size: f64,
}

/// The recording canvas. `Recorder::new` measures text as cairo's image surface does (for
/// PNG); [`Recorder::for_vector`] as its SVG/PDF surfaces do.
#[derive(Debug)]
pub struct Recorder {
    width: f64,
    height: f64,
    hinting: Hinting,
    state: State,
    stack: Vec<State>,
    path: PathBuilder,
    ops: Vec<Op>,
    clips: Vec<ClipEntry>,
}

/// The deepest `save` nesting kept; deeper saves are ignored (cairo has no limit, but the
/// graph code nests two or three levels, and the stack must not grow without bound).
const MAX_SAVE_DEPTH: usize = 256;

/// Glyphs whose origin lies farther than this outside the surface are not outlined.
const TEXT_MARGIN: f64 = 4096.0;
/// At most this many glyphs are outlined per `text_path` call.
const MAX_GLYPHS_PER_TEXT: usize = 20_000;

impl Recorder {
    /// A canvas of `width` x `height` pixels, text measured as for PNG output.
    pub fn new(width: f64, height: f64) -> Recorder {
        Recorder::with_hinting(width, height, Hinting::Full)
    }

    /// A canvas whose text is measured as on cairo's vector surfaces (SVG, PDF: no hinting).
    pub fn for_vector(width: f64, height: f64) -> Recorder {
        Recorder::with_hinting(width, height, Hinting::None)
    }

    /// A canvas with an explicit text measuring mode.
    pub fn with_hinting(width: f64, height: f64, hinting: Hinting) -> Recorder {
        Recorder {
            width,
            height,
            hinting,
            state: State {
                // cairo's defaults: opaque black, width 2, butt caps, miter joins, the
                // default sans at 10.
                color: Rgba {
                    r: 0.0,
                    g: 0.0,
                    b: 0.0,
                    a: 1.0,
                },
                line_width: 2.0,
                dash: Vec::new(),
                dash_offset: 0.0,
                cap: LineCap::Butt,
                join: LineJoin::Miter,
                matrix: Matrix::IDENTITY,
                clip: None,
                font: text::select_font("", false, false),
                font_size: 10.0,
            },
            stack: Vec::new(),
            path: PathBuilder::default(),
            ops: Vec::new(),
            clips: Vec::new(),
        }
    }

    /// The recorded operations, in drawing order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The clip table the operations refer to.
    pub fn clips(&self) -> &[ClipEntry] {
        &self.clips
    }

    /// How text is measured.
    pub fn hinting(&self) -> Hinting {
        self.hinting
    }

    fn to_device(&self, x: f64, y: f64) -> (f64, f64) {
        transform_point(&self.state.matrix, x, y)
    }

    fn to_device_distance(&self, dx: f64, dy: f64) -> (f64, f64) {
        let m = &self.state.matrix;
        (m.xx * dx + m.xy * dy, m.yx * dx + m.yy * dy)
    }

    /// The CTM's uniform scale (the graph code only rotates and translates).
    fn scale(&self) -> f64 {
        let m = &self.state.matrix;
        (m.xx * m.yy - m.xy * m.yx).abs().sqrt()
    }

    fn rel_line_to(&mut self, dx: f64, dy: f64) {
        let Some((cx, cy)) = self.path.current() else {
            return;
        };
        // cairo rounds the device distance to fixed point, then adds it.
        let (ddx, ddy) = self.to_device_distance(dx, dy);
        self.path.line_to(cx + fixed(ddx), cy + fixed(ddy));
    }

    fn curve_to(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, x3: f64, y3: f64) {
        let c1 = self.to_device(x1, y1);
        let c2 = self.to_device(x2, y2);
        let p = self.to_device(x3, y3);
        self.path.curve_to(c1, c2, p);
    }

    /// cairo's `_cairo_arc_in_direction` (forward).
    fn arc_path(&mut self, xc: f64, yc: f64, radius: f64, mut min: f64, mut max: f64) {
        // cairo allows 65536 turns; more than two only repeats the same outline, and each
        // turn costs up to ~2000 segments, so fewer keep a hostile angle from allocating
        // without bound.
        const MAX_FULL_CIRCLES: f64 = 2.0;
        if max - min > 2.0 * PI * MAX_FULL_CIRCLES {
            max = (max - min) % (2.0 * PI);
            min %= 2.0 * PI;
            max += min + 2.0 * PI * MAX_FULL_CIRCLES;
        }
        if max - min > PI {
            let mid = min + (max - min) / 2.0;
            self.arc_path(xc, yc, radius, min, mid);
            self.arc_path(xc, yc, radius, mid, max);
        } else if max != min {
            let mut segments = arc_segments_needed(max - min, self.major_axis(radius));
            let step = (max - min) / segments as f64;
            segments -= 1;
            self.line_to(xc + radius * min.cos(), yc + radius * min.sin());
            for _ in 0..segments {
                self.arc_segment(xc, yc, radius, min, min + step);
                min += step;
            }
            self.arc_segment(xc, yc, radius, min, max);
        } else {
            self.line_to(xc + radius * min.cos(), yc + radius * min.sin());
        }
    }

    /// cairo's `_cairo_matrix_transformed_circle_major_axis`.
    fn major_axis(&self, radius: f64) -> f64 {
        let m = &self.state.matrix;
        if m.xx == 1.0 && m.yy == 1.0 && m.xy == 0.0 && m.yx == 0.0 {
            return radius;
        }
        let (a, b, c, d) = (m.xx, m.yx, m.xy, m.yy);
        let i = a * a + b * b;
        let j = c * c + d * d;
        let f = 0.5 * (i + j);
        let g = 0.5 * (i - j);
        let h = a * c + b * d;
        radius * (f + g.hypot(h)).sqrt()
    }

    fn arc_segment(&mut self, xc: f64, yc: f64, radius: f64, a: f64, b: f64) {
        let (r_sin_a, r_cos_a) = (radius * a.sin(), radius * a.cos());
        let (r_sin_b, r_cos_b) = (radius * b.sin(), radius * b.cos());
        let h = 4.0 / 3.0 * ((b - a) / 4.0).tan();
        self.curve_to(
            xc + r_cos_a - h * r_sin_a,
            yc + r_sin_a + h * r_cos_a,
            xc + r_cos_b + h * r_sin_b,
            yc + r_sin_b - h * r_cos_b,
            xc + r_cos_b,
            yc + r_sin_b,
        );
    }

    fn stroke_style(&self) -> StrokeStyle {
        let scale = self.scale();
        StrokeStyle {
            width: self.state.line_width * scale,
            dash: self.state.dash.iter().map(|d| d * scale).collect(),
            dash_offset: self.state.dash_offset * scale,
            cap: self.state.cap,
            join: self.state.join,
            miter_limit: 10.0,
        }
    }
}

/// Applies a matrix to a point.
pub fn transform_point(m: &Matrix, x: f64, y: f64) -> (f64, f64) {
    (m.xx * x + m.xy * y + m.x0, m.yx * x + m.yy * y + m.y0)
}

/// The inverse of a matrix, `None` when it is singular.
pub fn invert(m: &Matrix) -> Option<Matrix> {
    let det = m.xx * m.yy - m.xy * m.yx;
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let (xx, xy, yx, yy) = (m.yy / det, -m.xy / det, -m.yx / det, m.xx / det);
    Some(Matrix {
        xx,
        yx,
        xy,
        yy,
        x0: -(xx * m.x0 + xy * m.y0),
        y0: -(yx * m.x0 + yy * m.y0),
    })
}

/// `a` then `b` (cairo's `cairo_matrix_multiply(result, a, b)`).
fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    Matrix {
        xx: a.xx * b.xx + a.yx * b.xy,
        yx: a.xx * b.yx + a.yx * b.yy,
        xy: a.xy * b.xx + a.yy * b.xy,
        yy: a.xy * b.yx + a.yy * b.yy,
        x0: a.x0 * b.xx + a.y0 * b.xy + b.x0,
        y0: a.x0 * b.yx + a.y0 * b.yy + b.y0,
    }
}

impl Canvas for Recorder {
    fn size(&self) -> (f64, f64) {
        (self.width, self.height)
    }

    fn set_source_rgba(&mut self, r: f64, g: f64, b: f64, a: f64) {
        // cairo clamps the components.
        let c = |v: f64| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
        self.state.color = Rgba {
            r: c(r),
            g: c(g),
            b: c(b),
            a: c(a),
        };
    }

    fn set_line_width(&mut self, width: f64) {
        if width.is_finite() && width >= 0.0 {
            self.state.line_width = width;
        }
    }

    fn line_width(&self) -> f64 {
        self.state.line_width
    }

    fn set_dash(&mut self, dashes: &[f64], offset: f64) {
        // cairo rejects negative lengths and an all-zero pattern (an error state that would
        // stop all drawing); we keep the previous dash instead.
        if dashes.iter().any(|d| !d.is_finite() || *d < 0.0)
            || (!dashes.is_empty() && dashes.iter().all(|d| *d == 0.0))
        {
            return;
        }
        self.state.dash = dashes.iter().take(64).copied().collect();
        self.state.dash_offset = if offset.is_finite() { offset } else { 0.0 };
    }

    fn set_line_cap(&mut self, cap: LineCap) {
        self.state.cap = cap;
    }

    fn set_line_join(&mut self, join: LineJoin) {
        self.state.join = join;
    }

    fn move_to(&mut self, x: f64, y: f64) {
        let (dx, dy) = self.to_device(x, y);
        self.path.move_to(dx, dy);
    }

    fn line_to(&mut self, x: f64, y: f64) {
        let (dx, dy) = self.to_device(x, y);
        self.path.line_to(dx, dy);
    }

    fn rel_move_to(&mut self, dx: f64, dy: f64) {
        // Without a current point cairo enters an error state; we ignore the call.
        let Some((cx, cy)) = self.path.current() else {
            return;
        };
        let (ddx, ddy) = self.to_device_distance(dx, dy);
        self.path.move_to(cx + fixed(ddx), cy + fixed(ddy));
    }

    fn rectangle(&mut self, x: f64, y: f64, width: f64, height: f64) {
        self.move_to(x, y);
        self.rel_line_to(width, 0.0);
        self.rel_line_to(0.0, height);
        self.rel_line_to(-width, 0.0);
        self.path.close();
    }

    fn arc(&mut self, xc: f64, yc: f64, radius: f64, angle1: f64, mut angle2: f64) {
        if ![xc, yc, radius, angle1, angle2]
            .iter()
            .all(|v| v.is_finite())
        {
            return;
        }
        if angle2 < angle1 {
            angle2 = (angle2 - angle1) % (2.0 * PI);
            if angle2 < 0.0 {
                angle2 += 2.0 * PI;
            }
            angle2 += angle1;
        }
        if radius <= 0.0 {
            // cairo: a degenerate arc is two line_tos to the centre.
            let (x, y) = self.to_device(xc, yc);
            self.path.line_to(x, y);
            self.path.line_to(x, y);
            return;
        }
        self.line_to(xc + radius * angle1.cos(), yc + radius * angle1.sin());
        self.arc_path(xc, yc, radius, angle1, angle2);
    }

    fn close_path(&mut self) {
        self.path.close();
    }

    fn new_path(&mut self) {
        self.path.clear();
    }

    fn current_point(&self) -> Option<(f64, f64)> {
        let (x, y) = self.path.current()?;
        let inverse = invert(&self.state.matrix)?;
        Some(transform_point(&inverse, x, y))
    }

    fn copy_path(&self) -> SavedPath {
        SavedPath {
            segments: self.path.copy(),
        }
    }

    fn append_path(&mut self, path: &SavedPath) {
        self.path.append(&path.segments);
    }

    fn stroke(&mut self) {
        if !self.path.is_empty() {
            self.ops.push(Op::Stroke {
                path: self.path.copy(),
                color: self.state.color,
                style: self.stroke_style(),
                clip: self.state.clip,
            });
        }
        self.path.clear();
    }

    fn fill(&mut self) {
        self.fill_preserve();
        self.path.clear();
    }

    fn fill_preserve(&mut self) {
        if !self.path.is_empty() {
            self.ops.push(Op::Fill {
                path: self.path.copy(),
                color: self.state.color,
                clip: self.state.clip,
            });
        }
    }

    fn clip(&mut self) {
        self.clips.push(ClipEntry {
            parent: self.state.clip,
            path: self.path.copy(),
        });
        self.state.clip = Some(self.clips.len() - 1);
        self.path.clear();
    }

    fn reset_clip(&mut self) {
        self.state.clip = None;
    }

    fn save(&mut self) {
        if self.stack.len() < MAX_SAVE_DEPTH {
            self.stack.push(self.state.clone());
        }
    }

    fn restore(&mut self) {
        if let Some(state) = self.stack.pop() {
            self.state = state;
        }
    }

    fn rotate(&mut self, angle: f64) {
        let (s, c) = angle.sin_cos();
        let rotation = Matrix {
            xx: c,
            yx: s,
            xy: -s,
            yy: c,
            x0: 0.0,
            y0: 0.0,
        };
        self.state.matrix = multiply(&rotation, &self.state.matrix);
    }

    fn translate(&mut self, dx: f64, dy: f64) {
        let translation = Matrix {
            x0: dx,
            y0: dy,
            ..Matrix::IDENTITY
        };
        self.state.matrix = multiply(&translation, &self.state.matrix);
    }

    fn matrix(&self) -> Matrix {
        self.state.matrix
    }

    fn set_matrix(&mut self, matrix: Matrix) {
        if invert(&matrix).is_some() {
            self.state.matrix = matrix;
        }
    }

    fn select_font_face(&mut self, family: &str, italic: bool, bold: bool) {
        self.state.font = text::select_font(family, italic, bold);
    }

    fn set_font_size(&mut self, size: f64) {
        if size.is_finite() && size > 0.0 {
            self.state.font_size = size;
        }
    }

    fn font_extents(&self) -> FontExtents {
        text::font_extents(&self.state.font, self.state.font_size, self.hinting)
    }

    fn text_extents(&self, text: &str) -> TextExtents {
        text::text_extents(&self.state.font, self.state.font_size, self.hinting, text)
    }

    fn text_path(&mut self, text: &str) {
        let Some((x, y)) = self.current_point() else {
            return;
        };
        // cairo-ft's split of font matrix x CTM into a size (the basis scale factors) and a
        // shape (what is left: rotation, shear) that FreeType applies to the outline.
        let size = self.state.font_size;
        let m = self.state.matrix;
        let (sxx, syx, sxy, syy) = (size * m.xx, size * m.yx, size * m.xy, size * m.yy);
        let x_scale = sxx.hypot(syx);
        let det = (sxx * syy - sxy * syx).abs();
        if x_scale == 0.0 || det == 0.0 || !det.is_finite() {
            return;
        }
        let y_scale = det / x_scale;
        let shape = [sxx / x_scale, syx / x_scale, sxy / y_scale, syy / y_scale];
        let transformed = text::has_shape(shape);
        let scale = x_scale / size;
        let glyphs = text::glyphs(&self.state.font, x_scale, self.hinting, text);
        let mut pen_x = x;
        let mut outlined = 0;
        for glyph in &glyphs {
            let (ox, oy) = self.to_device(pen_x, y);
            let (ox, oy) = (fixed(ox), fixed(oy));
            // Text comes from requests (target names in legends): outline only glyphs near
            // the surface, and not too many, so a huge string cannot exhaust memory. The
            // margin is wide enough that ordinary overflowing text is kept, as cairo does.
            let near = ox > -TEXT_MARGIN
                && oy > -TEXT_MARGIN
                && ox < self.width + TEXT_MARGIN
                && oy < self.height + TEXT_MARGIN;
            if !near || outlined >= MAX_GLYPHS_PER_TEXT {
                pen_x += glyph.x_advance / scale;
                continue;
            }
            outlined += 1;
            let rotated;
            let outline = if transformed {
                rotated = text::transformed_outline(glyph, shape);
                &rotated
            } else {
                &glyph.outline
            };
            for seg in outline {
                match *seg {
                    PathSegment::MoveTo(a, b) => self.path.move_to(ox + a, oy + b),
                    PathSegment::LineTo(a, b) => self.path.line_to(ox + a, oy + b),
                    PathSegment::CurveTo(a, b, c, d, e, f) => {
                        self.path
                            .curve_to((ox + a, oy + b), (ox + c, oy + d), (ox + e, oy + f))
                    }
                    PathSegment::Close => self.path.close(),
                }
            }
            // Advances are in user units of the device-size font; back to user space.
            pen_x += glyph.x_advance / scale;
        }
        if !glyphs.is_empty() {
            self.move_to(pen_x, y);
        }
    }

    fn begin_group(&mut self, class: &str) {
        self.ops.push(Op::Group(class.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: &serde_json::Value) -> f64 {
        v.as_f64().unwrap_or(f64::NAN)
    }

    fn run(rec: &mut Recorder, ops: &[serde_json::Value]) {
        for op in ops {
            let op = op.as_array().expect("op");
            let a: Vec<f64> = op[1..].iter().map(num).collect();
            match op[0].as_str().unwrap_or_default() {
                "rectangle" => rec.rectangle(a[0], a[1], a[2], a[3]),
                "move_to" => rec.move_to(a[0], a[1]),
                "line_to" => rec.line_to(a[0], a[1]),
                "rel_move_to" => rec.rel_move_to(a[0], a[1]),
                "arc" => rec.arc(a[0], a[1], a[2], a[3], a[4]),
                "close_path" => rec.close_path(),
                "translate" => rec.translate(a[0], a[1]),
                "rotate" => rec.rotate(a[0]),
                other => panic!("unknown op {other}"),
            }
        }
    }

    /// Paths built by the Recorder equal cairo's `copy_path()` (recorded by
    /// `tests/graph/cairo_paths.py`): fixed-point rounding, lazy moves, degenerate and
    /// collinear lines, close, arcs split into Béziers, transforms.
    #[test]
    fn paths_equal_cairo() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/graph/cairo_paths.json");
        let cases: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("table")).expect("json");
        for case in cases.as_array().expect("cases") {
            let mut rec = Recorder::new(800.0, 600.0);
            run(&mut rec, case["ops"].as_array().expect("ops"));
            let want: Vec<PathSegment> = case["path"]
                .as_array()
                .expect("path")
                .iter()
                .map(|seg| {
                    let v: Vec<f64> = seg.as_array().expect("seg").iter().map(num).collect();
                    match v[0] as i64 {
                        0 => PathSegment::MoveTo(v[1], v[2]),
                        1 => PathSegment::LineTo(v[1], v[2]),
                        2 => PathSegment::CurveTo(v[1], v[2], v[3], v[4], v[5], v[6]),
                        _ => PathSegment::Close,
                    }
                })
                .collect();
            let got = rec.copy_path().segments;
            assert_eq!(got, want, "ops {}", case["ops"]);
            let point = rec.path.current();
            let want_point = case["current_point"]
                .as_array()
                .map(|p| (num(&p[0]), num(&p[1])));
            assert_eq!(point, want_point, "current point after {}", case["ops"]);
        }
    }

    fn segments(value: &serde_json::Value) -> Vec<PathSegment> {
        value
            .as_array()
            .expect("path")
            .iter()
            .map(|seg| {
                let v: Vec<f64> = seg.as_array().expect("seg").iter().map(num).collect();
                match v[0] as i64 {
                    0 => PathSegment::MoveTo(v[1], v[2]),
                    1 => PathSegment::LineTo(v[1], v[2]),
                    2 => PathSegment::CurveTo(v[1], v[2], v[3], v[4], v[5], v[6]),
                    _ => PathSegment::Close,
                }
            })
            .collect()
    }

    /// Glyph outlines from `text_path` equal cairo's (`tests/graph/cairo_text_paths.py`):
    /// hinted on the image surface, unhinted on vector surfaces.
    #[test]
    fn text_paths_equal_cairo() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/graph/cairo_text_paths.json"
        );
        let cases: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("table")).expect("json");
        for case in cases.as_array().expect("cases") {
            let mut rec = match case["surface"].as_str() {
                Some("image") => Recorder::new(200.0, 200.0),
                _ => Recorder::for_vector(200.0, 200.0),
            };
            rec.select_font_face(
                case["family"].as_str().unwrap_or_default(),
                case["italic"].as_bool().unwrap_or_default(),
                case["bold"].as_bool().unwrap_or_default(),
            );
            rec.set_font_size(num(&case["size"]));
            rec.translate(num(&case["x"]), num(&case["y"]));
            rec.rotate(num(&case["angle"]));
            rec.move_to(0.0, 0.0);
            rec.text_path(case["text"].as_str().unwrap_or_default());
            let got = rec.copy_path().segments;
            let want = segments(&case["path"]);
            let label = format!(
                "{} {} {} angle {}",
                case["surface"], case["text"], case["size"], case["angle"]
            );
            assert_eq!(got.len(), want.len(), "{label}: segment count");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{label}: segment {i}");
            }
            let point = rec.current_point().expect("point");
            assert_eq!(
                point,
                (
                    num(&case["current_point"][0]),
                    num(&case["current_point"][1])
                ),
                "{label}"
            );
        }
    }

    #[test]
    fn state_save_restore_and_ops() {
        let mut rec = Recorder::new(100.0, 100.0);
        rec.set_source_rgba(1.0, 0.0, 0.0, 0.5);
        rec.save();
        rec.set_line_width(3.0);
        rec.set_dash(&[4.0], 1.0);
        rec.rectangle(0.0, 0.0, 10.0, 10.0);
        rec.clip();
        rec.move_to(1.0, 1.0);
        rec.line_to(5.0, 5.0);
        rec.stroke();
        rec.restore();
        assert_eq!(rec.line_width(), 2.0);
        rec.rectangle(0.0, 0.0, 1.0, 1.0);
        rec.fill();
        match rec.ops() {
            [Op::Stroke {
                style,
                clip: Some(0),
                color,
                ..
            }, Op::Fill { clip: None, .. }] => {
                assert_eq!(style.width, 3.0);
                assert_eq!(style.dash, vec![4.0]);
                assert_eq!(color.a, 0.5);
            }
            other => panic!("unexpected ops {other:?}"),
        }
        // Degenerate input never panics.
        rec.set_dash(&[0.0, 0.0], 0.0);
        rec.arc(f64::NAN, 0.0, 1.0, 0.0, 1.0);
        rec.arc(0.0, 0.0, 1e300, 0.0, 1e300);
        rec.rel_move_to(1.0, 1.0);
        rec.new_path();
        rec.rel_move_to(1.0, 1.0);
        rec.text_path("no current point");
        assert!(rec.copy_path().segments.is_empty());
    }

    #[test]
    fn text_path_moves_the_current_point_by_the_advance() {
        let mut rec = Recorder::new(100.0, 100.0);
        rec.select_font_face("Sans", false, false);
        rec.set_font_size(10.0);
        let advance = rec.text_extents("Hello").x_advance;
        rec.move_to(5.0, 20.0);
        rec.text_path("Hello");
        let (x, y) = rec.current_point().expect("point");
        assert!((x - (5.0 + advance)).abs() < 1e-9 && y == 20.0);
        assert!(rec.copy_path().segments.len() > 20);
    }

    #[test]
    fn huge_text_stays_bounded() {
        let mut rec = Recorder::new(100.0, 100.0);
        let text = "W".repeat(1_000_000);
        rec.move_to(0.0, 10.0);
        rec.text_path(&text);
        // Only the glyphs within the margin are outlined; the pen still advances.
        let glyphs = rec
            .copy_path()
            .segments
            .iter()
            .filter(|s| matches!(s, PathSegment::Close))
            .count();
        assert!(glyphs < 1000, "{glyphs}");
        let (x, _) = rec.current_point().expect("point");
        assert!((x - rec.text_extents(&text).x_advance).abs() < 1e-3);
    }
}
