//! The PNG backend: replays a [`Recorder`]'s display list into a tiny-skia pixmap and
//! encodes it as PNG. tiny-skia's stroker builds the outlines of strokes (dashes, caps and
//! joins); our own scan converter ([`scan`]) fills them with exact-area anti-aliasing.
//!
//! The pixmap starts transparent, as cairo's ARGB32 image surface does; the graph code
//! paints the background itself.

mod blend;
mod scan;

use std::cell::RefCell;
use std::collections::HashMap;
use std::thread::LocalKey;

use blend::Source;
use scan::{PixelBox, Scanner};
use tiny_skia::{
    FillRule, IntSize, LineCap as SkCap, LineJoin as SkJoin, Mask, Path, PathBuilder,
    PathSegment as TinySegment, Pixmap, Point, Stroke, StrokeDash, Transform,
};

use crate::graph::canvas::recorder::{ClipEntry, Op, Recorder, Rgba, StrokeStyle};
use crate::graph::canvas::{LineCap, LineJoin, PathSegment};

/// The largest image drawn, in pixels (`width * height`): 64 Mpx, 256 MiB of pixmap. The
/// reference has no limit; a request over it gets an error instead of exhausting memory.
pub const MAX_PIXELS: u64 = 1 << 26;

/// Why an image could not be produced.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RasterError {
    /// The surface is empty (a zero dimension) or larger than [`MAX_PIXELS`].
    #[error("image size {width}x{height} is empty or too large")]
    BadSize {
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
    },
    /// The PNG encoder failed.
    #[error("png encoding failed: {0}")]
    Encode(String),
}

/// Draws the recording into a pixmap of the recorder's size (rounded to whole pixels).
///
/// tiny-skia builds the stroke outlines (joins, caps, dashes) and the masks of clips that are
/// not rectangles; [`scan::Scanner`] turns outlines into coverage and the colour is
/// composited here.
pub fn rasterize(recorder: &Recorder) -> Result<Pixmap, RasterError> {
    let (w, h) = tiny_skia_size(recorder)?;
    let bad_size = RasterError::BadSize {
        width: u64::from(w),
        height: u64::from(h),
    };
    let size = IntSize::from_wh(w, h).ok_or(bad_size.clone())?;
    let mut pixels = take_buffer(&PIXEL_BUFFER);
    pixels.clear();
    pixels.resize(w as usize * h as usize * 4, 0);
    let mut pixmap = Pixmap::from_vec(pixels, size).ok_or(bad_size)?;
    let mut scanner = Scanner::with_buffer(w as usize, h as usize, take_buffer(&CELL_BUFFER));
    let mut regions: HashMap<usize, ClipRegion> = HashMap::new();
    for op in recorder.ops() {
        let (outline, color, clip) = match op {
            Op::Fill { path, color, clip } => (to_path(path), color, clip),
            Op::Stroke {
                path,
                color,
                style,
                clip,
            } => (stroke_outline(path, style), color, clip),
            Op::Group(_) => continue,
        };
        let Some(outline) = outline else {
            continue;
        };
        let region = match clip {
            None => &ClipRegion::All,
            Some(index) => regions
                .entry(*index)
                .or_insert_with(|| clip_region(*index, recorder.clips(), w, h)),
        };
        paint_outline(&mut pixmap, &mut scanner, &outline, color, region);
    }
    keep_buffer(&CELL_BUFFER, scanner.into_buffer());
    Ok(pixmap)
}

/// The largest buffer a thread keeps between images, in elements: 16 MiB of cells, a
/// 2,000 x 2,000 image. Larger ones are freed.
const MAX_KEPT_BUFFER: usize = 1 << 22;

thread_local! {
    /// The scan converter's cells, the pixmap's pixels and the PNG encoder's input of this
    /// thread's last image, kept for the next one: allocating them afresh for every image
    /// (and the kernel zeroing fresh pages) cost more than clearing them.
    static CELL_BUFFER: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static PIXEL_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static RGB_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn take_buffer<T>(pool: &'static LocalKey<RefCell<Vec<T>>>) -> Vec<T> {
    pool.with(|b| std::mem::take(&mut *b.borrow_mut()))
}

fn keep_buffer<T>(pool: &'static LocalKey<RefCell<Vec<T>>>, buffer: Vec<T>) {
    if buffer.capacity() <= MAX_KEPT_BUFFER * 4 / std::mem::size_of::<T>() {
        pool.with(|b| *b.borrow_mut() = buffer);
    }
}

/// Where a clip lets drawing through.
enum ClipRegion {
    /// No clip.
    All,
    /// An axis-aligned rectangle in device pixels (`x0, y0, x1, y1`), edges possibly
    /// fractional: the plot area of every line graph.
    Rect([f32; 4]),
    /// Any other shape, as coverage per pixel.
    Mask(Mask),
    /// Nothing is drawn.
    Empty,
}

/// The region of clip entry `index`: its path intersected with its parents'.
fn clip_region(index: usize, clips: &[ClipEntry], w: u32, h: u32) -> ClipRegion {
    let mut rect = [
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::INFINITY,
    ];
    let mut cursor = Some(index);
    let mut depth = 0;
    while let Some(i) = cursor {
        depth += 1;
        let Some(entry) = clips.get(i).filter(|_| depth <= clips.len()) else {
            return ClipRegion::Empty;
        };
        let rects = to_path(&entry.path).as_ref().and_then(as_rects);
        let Some([x0, y0, x1, y1]) = rects.filter(|r| r.len() == 1).map(|r| r[0]) else {
            return match build_mask(index, clips, w, h) {
                Some(mask) => ClipRegion::Mask(mask),
                None => ClipRegion::Empty,
            };
        };
        rect = [
            rect[0].max(x0),
            rect[1].max(y0),
            rect[2].min(x1),
            rect[3].min(y1),
        ];
        cursor = entry.parent;
    }
    if rect[0] < rect[2] && rect[1] < rect[3] {
        ClipRegion::Rect(rect)
    } else {
        ClipRegion::Empty
    }
}

/// The rectangles a path is made of, when each of its contours is an axis-aligned rectangle
/// (as cairo's `rectangle` makes, and the stroker makes of horizontal and vertical lines with
/// butt caps: grid lines, the two axes) and no two of them touch a common pixel, so that
/// painting them one by one is painting the path: `[x0, y0, x1, y1]` each.
fn as_rects(path: &Path) -> Option<Vec<[f32; 4]>> {
    /// More contours than this are left to the scan converter (the pairwise check grows).
    const MAX_RECTS: usize = 16;
    let mut rects = Vec::new();
    let mut points = [Point::zero(); 5];
    let mut n = 0;
    // A contour ends at a close, the next move or the path's end (a fill closes it).
    let end_contour = |points: &[Point], rects: &mut Vec<[f32; 4]>| -> Option<()> {
        if points.len() > 1 {
            rects.push(rect_of(points)?);
        }
        (rects.len() <= MAX_RECTS).then_some(())
    };
    for seg in path.segments() {
        match seg {
            TinySegment::MoveTo(p) => {
                end_contour(&points[..n], &mut rects)?;
                points[0] = p;
                n = 1;
            }
            TinySegment::LineTo(p) if (1..5).contains(&n) => {
                points[n] = p;
                n += 1;
            }
            TinySegment::Close => {
                end_contour(&points[..n], &mut rects)?;
                n = 0;
            }
            _ => return None,
        }
    }
    end_contour(&points[..n], &mut rects)?;
    let pixels = |r: &[f32; 4]| [r[0].floor(), r[1].floor(), r[2].ceil(), r[3].ceil()];
    for (i, a) in rects.iter().enumerate() {
        let a = pixels(a);
        for b in &rects[i + 1..] {
            let b = pixels(b);
            if a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3] {
                return None;
            }
        }
    }
    (!rects.is_empty()).then_some(rects)
}

/// The rectangle four corners (a fifth repeating the first) make, when its sides are
/// horizontal and vertical.
fn rect_of(points: &[Point]) -> Option<[f32; 4]> {
    let corners = match points {
        [a, b, c, d, e] if e == a => [*a, *b, *c, *d],
        [a, b, c, d] => [*a, *b, *c, *d],
        _ => return None,
    };
    let [a, b, c, d] = corners;
    let horizontal_first = a.y == b.y && b.x == c.x && c.y == d.y && d.x == a.x;
    let vertical_first = a.x == b.x && b.y == c.y && c.x == d.x && d.y == a.y;
    (horizontal_first || vertical_first)
        .then(|| [a.x.min(c.x), a.y.min(c.y), a.x.max(c.x), a.y.max(c.y)])
}

/// The outline a stroke fills, built by tiny-skia's stroker (and dasher).
fn stroke_outline(segments: &[PathSegment], style: &StrokeStyle) -> Option<Path> {
    let stroke = to_stroke(style)?;
    let path = to_path(segments)?;
    // A path that is one point (a one-point series) strokes to nothing.
    let bounds = path.bounds();
    if bounds.width() == 0.0 && bounds.height() == 0.0 {
        return None;
    }
    let path = match &stroke.dash {
        Some(dash) => path.dash(dash, 1.0)?,
        None => path,
    };
    path.stroke(&stroke, 1.0)
}

/// Fills `outline` with `color` (source-over, non-zero) within `region`.
fn paint_outline(
    pixmap: &mut Pixmap,
    scanner: &mut Scanner,
    outline: &Path,
    color: &Rgba,
    region: &ClipRegion,
) {
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    if let Some(rects) = as_rects(outline) {
        for rect in rects {
            paint_rect(pixmap, rect, color, region);
        }
        return;
    }
    let b = outline.bounds();
    let mut bounds = PixelBox {
        x0: floor_px(b.left(), w),
        y0: floor_px(b.top(), h),
        x1: ceil_px(b.right(), w),
        y1: ceil_px(b.bottom(), h),
    };
    let clip_rect = match region {
        ClipRegion::Empty => return,
        ClipRegion::All | ClipRegion::Mask(_) => None,
        ClipRegion::Rect(r) => {
            bounds.x0 = bounds.x0.max(floor_px(r[0], w));
            bounds.y0 = bounds.y0.max(floor_px(r[1], h));
            bounds.x1 = bounds.x1.min(ceil_px(r[2], w));
            bounds.y1 = bounds.y1.min(ceil_px(r[3], h));
            // Whole-pixel edges need no per-pixel factor.
            (r.iter().any(|v| v.fract() != 0.0)).then_some(*r)
        }
    };
    let mask = match region {
        ClipRegion::Mask(m) => Some(m.data()),
        _ => None,
    };
    let source = Source::new(color);
    let data = pixmap.data_mut();
    // Coverage cut by the clip, when there is one.
    let mut clipped = match (clip_rect, mask) {
        (None, None) => Vec::new(),
        _ => vec![0u8; bounds.x1.saturating_sub(bounds.x0)],
    };
    scanner.fill(outline, bounds, |y, x0, coverage| {
        let row = &mut data[(y * w + x0) * 4..(y * w + x0 + coverage.len()) * 4];
        let mut coverage = coverage;
        if clip_rect.is_some() || mask.is_some() {
            let out = &mut clipped[..coverage.len()];
            out.copy_from_slice(coverage);
            if let Some(r) = clip_rect {
                // The box is the clip's pixels: only its outer rows and columns are partial.
                let cy = pixel_overlap(y, r[1], r[3]);
                let factor = |x: usize| cy * pixel_overlap(x, r[0], r[2]);
                if cy < 1.0 {
                    for c in out.iter_mut() {
                        *c = scale8(*c, cy);
                    }
                }
                let last = out.len() - 1;
                out[0] = scale8(coverage[0], factor(x0));
                out[last] = scale8(coverage[last], factor(x0 + last));
            }
            if let Some(m) = mask {
                for (c, m) in out.iter_mut().zip(&m[y * w + x0..]) {
                    *c = blend::mul255(*c, *m);
                }
            }
            coverage = out;
        }
        source.over_row(row, coverage);
    });
}

/// Fills an axis-aligned rectangle: a pixel's coverage is the area it shares with the
/// rectangle (cut by a rectangular clip), with no scan conversion.
fn paint_rect(pixmap: &mut Pixmap, rect: [f32; 4], color: &Rgba, region: &ClipRegion) {
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    let [mut left, mut top, mut right, mut bottom] = rect;
    let mask = match region {
        ClipRegion::Empty => return,
        ClipRegion::All => None,
        ClipRegion::Rect(c) => {
            left = left.max(c[0]);
            top = top.max(c[1]);
            right = right.min(c[2]);
            bottom = bottom.min(c[3]);
            None
        }
        ClipRegion::Mask(m) => Some(m.data()),
    };
    let (x0, x1) = (floor_px(left, w), ceil_px(right, w));
    let (y0, y1) = (floor_px(top, h), ceil_px(bottom, h));
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let columns: Vec<u8> = (x0..x1)
        .map(|x| scale8(u8::MAX, pixel_overlap(x, left, right)))
        .collect();
    let mut coverage = columns.clone();
    let source = Source::new(color);
    let data = pixmap.data_mut();
    // The columns wholly inside (coverage 255), filled directly in whole rows.
    let inner_x0 = columns
        .iter()
        .position(|c| *c == u8::MAX)
        .map_or(x1, |i| x0 + i);
    let inner_x1 = columns
        .iter()
        .rposition(|c| *c == u8::MAX)
        .map_or(x0, |i| x0 + i + 1);
    for y in y0..y1 {
        let cy = pixel_overlap(y, top, bottom);
        if cy >= 1.0 && mask.is_none() && inner_x0 < inner_x1 {
            let row = y * w;
            if source.fill_opaque(&mut data[(row + inner_x0) * 4..(row + inner_x1) * 4]) {
                let left = inner_x0 - x0;
                source.over_row(
                    &mut data[(row + x0) * 4..(row + inner_x0) * 4],
                    &columns[..left],
                );
                let right = inner_x1 - x0;
                source.over_row(
                    &mut data[(row + inner_x1) * 4..(row + x1) * 4],
                    &columns[right..],
                );
                continue;
            }
        }
        if cy < 1.0 || mask.is_some() {
            for (c, full) in coverage.iter_mut().zip(&columns) {
                *c = scale8(*full, cy);
            }
            if let Some(m) = mask {
                for (c, m) in coverage.iter_mut().zip(&m[y * w + x0..]) {
                    *c = blend::mul255(*c, *m);
                }
            }
        } else {
            coverage.copy_from_slice(&columns);
        }
        source.over_row(&mut data[(y * w + x0) * 4..(y * w + x1) * 4], &coverage);
    }
}

/// How much of pixel column (or row) `i` lies between `lo` and `hi`, in `0..=1`.
fn pixel_overlap(i: usize, lo: f32, hi: f32) -> f32 {
    let i = i as f32;
    ((i + 1.0).min(hi) - i.max(lo)).clamp(0.0, 1.0)
}

/// 8-bit coverage times a factor in `0..=1`.
fn scale8(coverage: u8, factor: f32) -> u8 {
    (f32::from(coverage) * factor + 0.5) as u8
}

fn floor_px(v: f32, limit: usize) -> usize {
    if v.is_nan() {
        return limit;
    }
    v.floor().clamp(0.0, limit as f32) as usize
}

fn ceil_px(v: f32, limit: usize) -> usize {
    if v.is_nan() {
        return 0;
    }
    v.ceil().clamp(0.0, limit as f32) as usize
}

/// The recording as a PNG file, as cairo's `write_to_png` writes it.
pub fn render_png(recorder: &Recorder) -> Result<Vec<u8>, RasterError> {
    let pixmap = rasterize(recorder)?;
    let png = encode_png(&pixmap);
    keep_buffer(&PIXEL_BUFFER, pixmap.take());
    png
}

/// Encodes a pixmap as cairo 1.16's `write_to_png` does through libpng in what matters to
/// readers: 8-bit RGB when every pixel is opaque (cairo checks), RGBA otherwise. The deflate
/// level is the fast one, not zlib's default: a dense 800x600 graph encodes in ~2 ms instead
/// of ~55 ms, for files 1.2x (dense) to 2x (sparse) the reference's size.
pub fn encode_png(pixmap: &Pixmap) -> Result<Vec<u8>, RasterError> {
    let pixels = pixmap.data();
    // Premultiplied and straight colour are the same where alpha is full: copy RGB while
    // checking that every alpha is.
    let mut rgb = take_buffer(&RGB_BUFFER);
    rgb.clear();
    rgb.resize(pixels.len() / 4 * 3, 0);
    let mut alpha_and = u8::MAX;
    for (out, p) in rgb.chunks_exact_mut(3).zip(pixels.chunks_exact(4)) {
        out.copy_from_slice(&p[..3]);
        alpha_and &= p[3];
    }
    let opaque = alpha_and == u8::MAX;
    let rgba: Vec<u8>;
    let data = if opaque {
        &rgb
    } else {
        rgba = pixmap
            .pixels()
            .iter()
            .flat_map(|pixel| {
                let c = pixel.demultiply();
                [c.red(), c.green(), c.blue(), c.alpha()]
            })
            .collect();
        &rgba
    };
    // Graphs compress to a fifth of their raw size or less.
    let mut out = Vec::with_capacity(data.len() / 4);
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(if opaque {
        png::ColorType::Rgb
    } else {
        png::ColorType::Rgba
    });
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Paeth on every row: files within 3% of the adaptive choice's size (which tries all
    // five filters on each row), a third less time.
    encoder.set_filter(png::FilterType::Paeth);
    let encode = |encoder: png::Encoder<'_, &mut Vec<u8>>| -> Result<(), png::EncodingError> {
        let mut writer = encoder.write_header()?;
        writer.write_image_data(data)?;
        writer.finish()
    };
    let result = encode(encoder).map_err(|e| RasterError::Encode(e.to_string()));
    keep_buffer(&RGB_BUFFER, rgb);
    result?;
    Ok(out)
}

fn tiny_skia_size(recorder: &Recorder) -> Result<(u32, u32), RasterError> {
    use crate::graph::canvas::Canvas;
    let (width, height) = recorder.size();
    // cairo's surface takes integer sizes; glyph.py passes ints.
    let w = if width.is_finite() && width > 0.0 {
        width.round() as u64
    } else {
        0
    };
    let h = if height.is_finite() && height > 0.0 {
        height.round() as u64
    } else {
        0
    };
    if w == 0 || h == 0 || w.saturating_mul(h) > MAX_PIXELS || w > u64::from(u32::MAX) {
        return Err(RasterError::BadSize {
            width: w,
            height: h,
        });
    }
    Ok((w as u32, h as u32))
}

/// The mask of clip entry `index`: its path intersected with its parents'.
fn build_mask(index: usize, clips: &[ClipEntry], w: u32, h: u32) -> Option<Mask> {
    // The chain from the outermost clip inwards, built iteratively (no recursion depth to
    // worry about); an empty clip path leaves an empty region.
    let mut chain = Vec::new();
    let mut cursor = Some(index);
    while let Some(i) = cursor {
        if chain.len() > clips.len() {
            break;
        }
        chain.push(i);
        cursor = clips.get(i).and_then(|c| c.parent);
    }
    let mut mask: Option<Mask> = None;
    for &i in chain.iter().rev() {
        let entry = clips.get(i)?;
        let next = match (mask.take(), to_path(&entry.path)) {
            (_, None) => Mask::new(w, h)?,
            (None, Some(path)) => {
                let mut m = Mask::new(w, h)?;
                m.fill_path(&path, FillRule::Winding, true, Transform::identity());
                m
            }
            (Some(mut m), Some(path)) => {
                m.intersect_path(&path, FillRule::Winding, true, Transform::identity());
                m
            }
        };
        mask = Some(next);
    }
    mask
}

/// A tiny-skia path; `None` when it has no drawable segment.
pub(crate) fn to_path(segments: &[PathSegment]) -> Option<Path> {
    let mut pb = PathBuilder::with_capacity(segments.len(), segments.len() * 3);
    for seg in segments {
        match *seg {
            PathSegment::MoveTo(x, y) => pb.move_to(x as f32, y as f32),
            PathSegment::LineTo(x, y) => pb.line_to(x as f32, y as f32),
            PathSegment::CurveTo(a, b, c, d, e, f) => {
                pb.cubic_to(a as f32, b as f32, c as f32, d as f32, e as f32, f as f32)
            }
            PathSegment::Close => pb.close(),
        }
    }
    pb.finish()
}

fn to_stroke(style: &StrokeStyle) -> Option<Stroke> {
    // cairo draws nothing for a zero width; tiny-skia would draw a hairline.
    if !(style.width > 0.0 && style.width.is_finite()) {
        return None;
    }
    let dash = if style.dash.is_empty() {
        None
    } else {
        // cairo repeats an odd-length pattern to make it even.
        let mut array: Vec<f32> = style.dash.iter().map(|d| *d as f32).collect();
        if array.len() % 2 == 1 {
            array.extend_from_within(..);
        }
        StrokeDash::new(array, style.dash_offset as f32)
    };
    Some(Stroke {
        width: style.width as f32,
        miter_limit: style.miter_limit as f32,
        line_cap: match style.cap {
            LineCap::Butt => SkCap::Butt,
            LineCap::Round => SkCap::Round,
            LineCap::Square => SkCap::Square,
        },
        line_join: match style.join {
            LineJoin::Miter => SkJoin::Miter,
            LineJoin::Round => SkJoin::Round,
            LineJoin::Bevel => SkJoin::Bevel,
        },
        dash,
    })
}

/// The test scene shared by the raster and SVG tests: cairo context calls recorded in
/// `tests/graph/cairo_scene.json` and drawn by cairo in `tests/graph/cairo_scene.py`.
#[cfg(test)]
pub(crate) mod scene {
    use crate::graph::canvas::recorder::Recorder;
    use crate::graph::canvas::Canvas;

    /// The scene's calls.
    pub(crate) fn ops() -> Vec<serde_json::Value> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/graph/cairo_scene.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("scene")).expect("json")
    }

    /// Replays `tests/graph/cairo_scene.json` (cairo context calls) on a canvas.
    pub(crate) fn replay(rec: &mut Recorder, ops: &[serde_json::Value]) {
        for op in ops {
            let op = op.as_array().expect("op");
            let f = |i: usize| op.get(i).and_then(|v| v.as_f64()).unwrap_or(0.0);
            let s = |i: usize| op.get(i).and_then(|v| v.as_str()).unwrap_or_default();
            match s(0) {
                "set_source_rgba" => rec.set_source_rgba(f(1), f(2), f(3), f(4)),
                "rectangle" => rec.rectangle(f(1), f(2), f(3), f(4)),
                "fill" => rec.fill(),
                "stroke" => rec.stroke(),
                "clip" => rec.clip(),
                "reset_clip" => rec.reset_clip(),
                "save" => rec.save(),
                "restore" => rec.restore(),
                "select_font_face" => rec.select_font_face(s(1), f(2) != 0.0, f(3) != 0.0),
                "set_font_size" => rec.set_font_size(f(1)),
                "move_to" => rec.move_to(f(1), f(2)),
                "line_to" => rec.line_to(f(1), f(2)),
                "text_path" => rec.text_path(s(1)),
                "translate" => rec.translate(f(1), f(2)),
                "rotate" => rec.rotate(f(1)),
                "set_line_width" => rec.set_line_width(f(1)),
                "set_dash" => {
                    let dashes: Vec<f64> = op[1]
                        .as_array()
                        .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                        .unwrap_or_default();
                    rec.set_dash(&dashes, f(2));
                }
                "arc" => rec.arc(f(1), f(2), f(3), f(4), f(5)),
                other => panic!("unknown op {other}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::canvas::Canvas;

    fn rgba(p: &Pixmap, x: u32, y: u32) -> [u8; 4] {
        let c = p.pixel(x, y).expect("pixel").demultiply();
        [c.red(), c.green(), c.blue(), c.alpha()]
    }

    #[test]
    fn fills_strokes_clips_and_encodes() {
        let mut rec = Recorder::new(40.0, 30.0);
        rec.set_source_rgba(1.0, 1.0, 1.0, 1.0);
        rec.rectangle(0.0, 0.0, 40.0, 30.0);
        rec.fill();
        rec.save();
        rec.rectangle(10.0, 0.0, 10.0, 30.0);
        rec.clip();
        rec.set_source_rgba(1.0, 0.0, 0.0, 1.0);
        rec.rectangle(0.0, 10.0, 40.0, 10.0);
        rec.fill();
        rec.restore();
        rec.set_source_rgba(0.0, 0.0, 1.0, 1.0);
        rec.set_line_width(2.0);
        rec.move_to(0.0, 25.0);
        rec.line_to(40.0, 25.0);
        rec.stroke();
        let png = render_png(&rec).expect("png");
        let decoded = Pixmap::decode_png(&png).expect("decode");
        assert_eq!((decoded.width(), decoded.height()), (40, 30));
        // Opaque: RGB, as cairo writes it (colour type 2 in IHDR).
        assert_eq!(png[25], 2);
        assert_eq!(rgba(&decoded, 2, 2), [255, 255, 255, 255]);
        assert_eq!(rgba(&decoded, 15, 15), [255, 0, 0, 255]);
        // Clipped away: still white.
        assert_eq!(rgba(&decoded, 5, 15), [255, 255, 255, 255]);
        assert_eq!(rgba(&decoded, 30, 15), [255, 255, 255, 255]);
        assert_eq!(rgba(&decoded, 20, 24), [0, 0, 255, 255]);
        assert_eq!(rgba(&decoded, 20, 25), [0, 0, 255, 255]);
        assert_eq!(rgba(&decoded, 20, 27), [255, 255, 255, 255]);
    }

    #[test]
    fn starts_transparent_and_draws_dashes() {
        let mut rec = Recorder::new(20.0, 4.0);
        rec.set_source_rgba(0.0, 0.0, 0.0, 1.0);
        rec.set_line_width(2.0);
        rec.set_dash(&[4.0], 0.0);
        rec.move_to(0.0, 2.0);
        rec.line_to(20.0, 2.0);
        rec.stroke();
        let png = render_png(&rec).expect("png");
        assert_eq!(png[25], 6, "translucent pixels: RGBA");
        let pixmap = Pixmap::decode_png(&png).expect("decode");
        assert_eq!(rgba(&pixmap, 1, 1)[3], 255);
        assert_eq!(rgba(&pixmap, 5, 1)[3], 0);
        assert_eq!(rgba(&pixmap, 9, 1)[3], 255);
        assert_eq!(rgba(&pixmap, 1, 3)[3], 0);
    }

    /// The same drawing as cairo's (`tests/graph/cairo_scene.py`): text with hinted outlines,
    /// a clipped polyline, a translucent dashed line, a pie slice, rotated text. The shapes
    /// are the same; only anti-aliasing coverage differs, within the tolerance stated here.
    #[test]
    fn matches_cairo_within_antialiasing_tolerance() {
        // Measured: 69 pixels over 8, max delta 19 (tiny-skia's supersampling gave 497 and
        // 40).
        const MAX_CHANNEL_DELTA: u8 = 24;
        const MAX_PIXELS_OVER_8: usize = 150; // of 60,000
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/graph/");
        let mut rec = Recorder::new(300.0, 200.0);
        super::scene::replay(&mut rec, &super::scene::ops());
        let ours = rasterize(&rec).expect("raster");
        let theirs = Pixmap::load_png(format!("{dir}cairo_scene.png")).expect("cairo png");
        let mut over_8 = 0;
        let mut max_delta = 0;
        for (a, b) in ours.pixels().iter().zip(theirs.pixels()) {
            let (a, b) = (a.demultiply(), b.demultiply());
            let delta = [
                a.red().abs_diff(b.red()),
                a.green().abs_diff(b.green()),
                a.blue().abs_diff(b.blue()),
                a.alpha().abs_diff(b.alpha()),
            ]
            .into_iter()
            .max()
            .unwrap_or(0);
            max_delta = max_delta.max(delta);
            over_8 += usize::from(delta > 8);
        }
        println!("against cairo: max delta {max_delta}, {over_8} pixels differ by more than 8");
        assert!(
            max_delta <= MAX_CHANNEL_DELTA && over_8 <= MAX_PIXELS_OVER_8,
            "max delta {max_delta}, {over_8} pixels differ by more than 8"
        );
    }

    /// Hostile coordinates reach the backends through the graph code (huge or NaN values in
    /// series, enormous line widths): none of them may panic.
    #[test]
    fn degenerate_input_never_panics() {
        let mut rec = Recorder::new(50.0, 50.0);
        rec.set_line_width(1e30);
        rec.move_to(0.0, 0.0);
        rec.line_to(1e300, -1e300);
        rec.stroke();
        rec.set_line_width(1.0);
        rec.move_to(f64::NAN, 1.0);
        rec.line_to(2.0, f64::INFINITY);
        rec.line_to(3.0, 3.0);
        rec.stroke();
        rec.rectangle(f64::NAN, 0.0, 1e308, 1e308);
        rec.fill();
        rec.rectangle(1e20, 1e20, 5.0, 5.0);
        rec.clip();
        rec.arc(25.0, 25.0, 1e9, 0.0, 6.0);
        rec.fill();
        rec.reset_clip();
        rec.set_dash(&[1e-300, 1e300], -1e300);
        rec.move_to(0.0, 10.0);
        rec.line_to(50.0, 10.0);
        rec.stroke();
        rec.set_font_size(1e6);
        rec.move_to(0.0, 40.0);
        rec.text_path("Wg");
        rec.fill();
        rec.set_font_size(1e-6);
        rec.move_to(0.0, 40.0);
        rec.text_path("Wg");
        rec.fill();
        assert!(render_png(&rec).is_ok());
        let _ = crate::graph::svg::render_svg(&rec, None);
        let _ = crate::graph::pdf::render_pdf(&rec);
    }

    #[test]
    fn rejects_bad_sizes() {
        assert!(render_png(&Recorder::new(0.0, 10.0)).is_err());
        assert!(render_png(&Recorder::new(1e6, 1e6)).is_err());
        assert!(render_png(&Recorder::new(f64::NAN, 10.0)).is_err());
    }
}
