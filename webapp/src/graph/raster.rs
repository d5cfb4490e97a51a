//! The PNG backend: replays a [`Recorder`]'s display list with tiny-skia (anti-aliased fills
//! and strokes, clip masks, dashes, caps and joins) and encodes the pixmap as PNG.
//!
//! The pixmap starts transparent, as cairo's ARGB32 image surface does; the graph code
//! paints the background itself.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use tiny_skia::{
    Color, FillRule, LineCap as SkCap, LineJoin as SkJoin, Mask, Paint, Path, PathBuilder, Pixmap,
    Stroke, StrokeDash, Transform,
};

use crate::graph::canvas::recorder::{ClipEntry, Op, Recorder, Rgba, StrokeStyle};
use crate::graph::canvas::{LineCap, LineJoin, PathSegment};

/// The largest image drawn, in pixels (`width * height`): 64 Mpx, 256 MiB of pixmap. The
/// reference has no limit; a request over it gets an error instead of exhausting memory.
pub const MAX_PIXELS: u64 = 1 << 26;

/// Why an image could not be produced.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
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
pub fn rasterize(recorder: &Recorder) -> Result<Pixmap, RasterError> {
    let (w, h) = tiny_skia_size(recorder)?;
    let mut pixmap = Pixmap::new(w, h).ok_or(RasterError::BadSize {
        width: u64::from(w),
        height: u64::from(h),
    })?;
    let mut masks: HashMap<usize, Mask> = HashMap::new();
    for op in recorder.ops() {
        match op {
            Op::Fill { path, color, clip } => {
                let Some(sk_path) = to_path(path) else {
                    continue;
                };
                let mask = clip.and_then(|c| mask_for(c, recorder.clips(), &mut masks, w, h));
                if clip.is_some() && mask.is_none() {
                    continue;
                }
                pixmap.fill_path(
                    &sk_path,
                    &paint(color),
                    FillRule::Winding,
                    Transform::identity(),
                    mask,
                );
            }
            Op::Stroke {
                path,
                color,
                style,
                clip,
            } => {
                let Some(stroke) = to_stroke(style) else {
                    continue;
                };
                let Some(sk_path) = to_path(path) else {
                    continue;
                };
                // A path that is one point (a one-point series) strokes to nothing; tiny-skia
                // would log a warning for every such request.
                let bounds = sk_path.bounds();
                if bounds.width() == 0.0 && bounds.height() == 0.0 {
                    continue;
                }
                let mask = clip.and_then(|c| mask_for(c, recorder.clips(), &mut masks, w, h));
                if clip.is_some() && mask.is_none() {
                    continue;
                }
                pixmap.stroke_path(
                    &sk_path,
                    &paint(color),
                    &stroke,
                    Transform::identity(),
                    mask,
                );
            }
            Op::Group(_) => {}
        }
    }
    Ok(pixmap)
}

/// The recording as a PNG file, as cairo's `write_to_png` writes it.
pub fn render_png(recorder: &Recorder) -> Result<Vec<u8>, RasterError> {
    encode_png(&rasterize(recorder)?)
}

/// Encodes a pixmap as cairo 1.16's `write_to_png` does through libpng in what matters to
/// readers: 8-bit RGB when every pixel is opaque (cairo checks), RGBA otherwise, adaptive
/// row filters. The deflate level is the fast one, not zlib's default: an 800x600 graph
/// encodes in ~2 ms instead of ~15 ms, for files about 1.5x the reference's size
/// (tiny-skia's own encoder writes RGBA without adaptive filtering: 3-4x the size).
pub fn encode_png(pixmap: &Pixmap) -> Result<Vec<u8>, RasterError> {
    let opaque = pixmap.pixels().iter().all(|p| p.alpha() == u8::MAX);
    let channels = if opaque { 3 } else { 4 };
    let mut data = Vec::with_capacity(pixmap.pixels().len() * channels);
    for pixel in pixmap.pixels() {
        let c = pixel.demultiply();
        data.extend_from_slice(&[c.red(), c.green(), c.blue()]);
        if !opaque {
            data.push(c.alpha());
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(if opaque {
        png::ColorType::Rgb
    } else {
        png::ColorType::Rgba
    });
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let encode = |encoder: png::Encoder<'_, &mut Vec<u8>>| -> Result<(), png::EncodingError> {
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&data)?;
        writer.finish()
    };
    encode(encoder).map_err(|e| RasterError::Encode(e.to_string()))?;
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

/// The mask of clip entry `index` (its path intersected with its parents'), built once;
/// `None` when it cannot be built.
fn mask_for<'a>(
    index: usize,
    clips: &[ClipEntry],
    masks: &'a mut HashMap<usize, Mask>,
    w: u32,
    h: u32,
) -> Option<&'a Mask> {
    match masks.entry(index) {
        Entry::Occupied(entry) => Some(entry.into_mut()),
        Entry::Vacant(entry) => Some(entry.insert(build_mask(index, clips, w, h)?)),
    }
}

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

fn paint(color: &Rgba) -> Paint<'static> {
    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };
    let c = Color::from_rgba(
        color.r as f32,
        color.g as f32,
        color.b as f32,
        color.a as f32,
    )
    .unwrap_or(Color::BLACK);
    paint.set_color(c);
    paint
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
        const MAX_CHANNEL_DELTA: u8 = 64;
        const MAX_PIXELS_OVER_8: usize = 1000; // of 60,000; measured: 497, max delta 40
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

    /// The benchmark-minded check: ten 600-point series on 800x600 with text. Printed, not
    /// asserted (`cargo test -p webapp --lib graph::raster -- --nocapture`; meaningful in
    /// release only). Measured in release on the shared 2-core machine: a real 10-series
    /// 800x600 graph (replayed from its SVG) rasterizes in ~10 ms CPU, of which ~7 ms are
    /// the series strokes (tiny-skia runs its pipeline once per anti-aliased span; the clip
    /// mask adds ~2.5 ms), ~2 ms the grid hairlines, ~1 ms the text; PNG encoding ~3 ms.
    #[test]
    fn timing_ten_series() {
        let mut rec = Recorder::new(800.0, 600.0);
        rec.set_source_rgba(0.0, 0.0, 0.0, 1.0);
        rec.rectangle(0.0, 0.0, 800.0, 600.0);
        rec.fill();
        rec.select_font_face("Sans", false, false);
        rec.set_font_size(10.0);
        for i in 0..40 {
            rec.move_to(5.0, 15.0 * f64::from(i) + 10.0);
            rec.text_path("servers.web01.cpu.load 12.5");
            rec.fill();
        }
        rec.rectangle(50.0, 20.0, 740.0, 540.0);
        rec.clip();
        rec.set_line_width(1.2);
        for s in 0..10 {
            rec.set_source_rgba(0.1 * f64::from(s), 0.5, 1.0, 1.0);
            for i in 0..600 {
                let x = 50.0 + f64::from(i) * 740.0 / 600.0;
                let y = 300.0 + 200.0 * ((f64::from(i) / 17.0) + f64::from(s)).sin();
                rec.line_to(x, y);
            }
            rec.stroke();
        }
        let start = std::time::Instant::now();
        let pixmap = rasterize(&rec).expect("raster");
        let raster = start.elapsed();
        let png = encode_png(&pixmap).expect("png");
        println!(
            "raster {raster:?}, png encode {:?} ({} bytes)",
            start.elapsed() - raster,
            png.len()
        );
    }
}
