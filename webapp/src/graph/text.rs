//! Text for the graph canvas: fonts chosen the way cairo's toy API chooses them, and the
//! metrics and outlines cairo gets from FreeType, so that the reference's layout (which is
//! driven by `font_extents`/`text_extents`) comes out the same.
//!
//! # What cairo does, and what we copy
//! - **Font choice** ([`select_font`]): `select_font_face(family, slant, weight)` asks
//!   fontconfig for the best match (`Sans` -> DejaVu Sans, bold -> DejaVu Sans Bold, italic ->
//!   Oblique, an unknown family -> the default sans). We ask `fc-match` once per
//!   family/style and fall back to an embedded copy of DejaVu Sans when the system has no
//!   fontconfig or the match is not a TrueType/OpenType file.
//! - **Metrics on the image surface** ([`Hinting::Full`], the PNG): glyph.py turns
//!   antialiasing off in the font options, so cairo loads glyphs with FreeType's monochrome
//!   TrueType hinting (the bytecode interpreter, v35 behaviour) and, with metric hinting on
//!   (the image surface's default), uses the hinted, whole-pixel advances. The font extents
//!   are FreeType's scaled size metrics (ascender and descender rounded outwards, height and
//!   max advance rounded). skrifa's interpreter reproduces FreeType's hinting; measured
//!   advances equal cairo's (see the table test).
//! - **Metrics on vector surfaces** ([`Hinting::None`], SVG and PDF): cairo turns hinting
//!   and metric hinting off, so advances are the linear ones and the extents come straight
//!   from the font's design units.
//! - **No kerning**: the toy API maps characters to glyphs one by one (`AV` measures
//!   `A` + `V`), so neither the extents nor the drawn text use the font's kern/GPOS pairs.
//! - Numbers are reproduced with cairo's arithmetic (`px * (1/size) * size`), so e.g. an
//!   advance of 7 at size 10 is `7.000000000000001`, as in cairo.
//! - **Outlines** ([`Glyph::outline`], [`transformed_outline`]) are FreeType's as cairo
//!   receives them: hinted (image) or unhinted and scaled to 26.6 (vector), at the char size
//!   cairo sets (`size * 64 + .5`); under a rotated matrix, transformed point by point in
//!   FreeType's fixed point before the decomposition, as `FT_Set_Transform` does; quadratic
//!   curves raised to cubic ones in cairo's 24.8 fixed point. Tests compare them with
//!   cairo's `copy_path()` exactly.
//!
//! Loaded fonts, hinting instances and glyphs are cached process-wide; the caches are
//! bounded (families and sizes come from request parameters).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use skrifa::instance::{LocationRef, Size};
use skrifa::outline::{DrawSettings, Engine, HintingInstance, HintingOptions, OutlinePen, Target};
use skrifa::{FontRef, GlyphId, MetadataProvider};

use super::canvas::{FontExtents, PathSegment, TextExtents};

/// How text is measured and outlined: as cairo does on its image surface (PNG) or on its
/// vector surfaces (SVG, PDF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Hinting {
    /// The image surface with glyph.py's `ANTIALIAS_NONE`: FreeType's monochrome TrueType
    /// hinting, metrics rounded to whole pixels.
    #[default]
    Full,
    /// Vector surfaces: unhinted outlines and linear metrics.
    None,
}

/// A font file selected for drawing (one face of it).
pub struct Font {
    /// The file's bytes, shared by every cache entry that uses this face.
    data: Arc<[u8]>,
    /// The face's index in a collection file.
    index: u32,
    /// A process-unique number, the glyph caches' key.
    id: usize,
    /// Where it came from (a path, or `embedded:...`), for diagnostics.
    origin: String,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the bytes: a Recorder's debug output would carry the whole file.
        f.debug_struct("Font")
            .field("origin", &self.origin)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Font {
    /// Where the font came from: a file path, or `embedded:<name>` for the built-in copy.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn font_ref(&self) -> Option<FontRef<'_>> {
        FontRef::from_index(&self.data, self.index).ok()
    }
}

/// The embedded DejaVu Sans faces (regular, bold, oblique, bold-oblique), the fallback when
/// the system has no usable font.
static EMBEDDED: [(&str, &[u8]); 4] = [
    (
        "DejaVuSans.ttf",
        include_bytes!("../../fonts/DejaVuSans.ttf"),
    ),
    (
        "DejaVuSans-Bold.ttf",
        include_bytes!("../../fonts/DejaVuSans-Bold.ttf"),
    ),
    (
        "DejaVuSans-Oblique.ttf",
        include_bytes!("../../fonts/DejaVuSans-Oblique.ttf"),
    ),
    (
        "DejaVuSans-BoldOblique.ttf",
        include_bytes!("../../fonts/DejaVuSans-BoldOblique.ttf"),
    ),
];

/// At most this many distinct `(family, italic, bold)` selections are remembered; the family
/// comes from the `fontName` parameter, so the map must not grow without bound.
const MAX_SELECTIONS: usize = 64;
/// At most this many `(font, size, hinting)` glyph caches are kept (sizes come from
/// `fontSize`); past it the cache is emptied and refilled.
const MAX_SIZES: usize = 64;
/// At most this many glyphs are kept per size (text comes from requests; graphs use a few
/// dozen distinct characters).
const MAX_GLYPHS_PER_SIZE: usize = 2048;

#[derive(Default)]
struct FontCache {
    selections: HashMap<(String, bool, bool), Arc<Font>>,
    /// Loaded files by path and face index (bounded by the fonts installed).
    files: HashMap<(PathBuf, u32), Arc<Font>>,
    embedded: [Option<Arc<Font>>; 4],
    next_id: usize,
}

static FONTS: LazyLock<Mutex<FontCache>> = LazyLock::new(Mutex::default);

/// The font cairo's `select_font_face(family, italic, bold)` would use: fontconfig's match,
/// or the embedded DejaVu Sans face of that style.
pub fn select_font(family: &str, italic: bool, bold: bool) -> Arc<Font> {
    let key = (family.to_owned(), italic, bold);
    if let Some(font) = lock(&FONTS).selections.get(&key) {
        return font.clone();
    }
    // fc-match runs outside the lock: it takes milliseconds.
    let matched = fc_match(family, italic, bold);
    let mut cache = lock(&FONTS);
    let font = matched
        .and_then(|(path, index)| cache.load_file(path, index))
        .unwrap_or_else(|| cache.embedded(italic, bold));
    if cache.selections.len() >= MAX_SELECTIONS {
        cache.selections.clear();
    }
    cache.selections.insert(key, font.clone());
    font
}

/// The embedded face for the style, whatever the system has.
pub fn embedded_font(italic: bool, bold: bool) -> Arc<Font> {
    lock(&FONTS).embedded(italic, bold)
}

impl FontCache {
    fn new_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn embedded(&mut self, italic: bool, bold: bool) -> Arc<Font> {
        let slot = usize::from(bold) + 2 * usize::from(italic);
        if let Some(font) = &self.embedded[slot] {
            return font.clone();
        }
        let (name, data) = EMBEDDED[slot];
        let font = Arc::new(Font {
            data: Arc::from(data),
            index: 0,
            id: self.new_id(),
            origin: format!("embedded:{name}"),
        });
        self.embedded[slot] = Some(font.clone());
        font
    }

    fn load_file(&mut self, path: PathBuf, index: u32) -> Option<Arc<Font>> {
        let key = (path, index);
        if let Some(font) = self.files.get(&key) {
            return Some(font.clone());
        }
        let data: Arc<[u8]> = std::fs::read(&key.0).ok()?.into();
        // Only fonts skrifa can outline (TrueType/OpenType/collections); anything else
        // (Type 1, bitmap fonts) falls back to the embedded face.
        let font_ref = FontRef::from_index(&data, index).ok()?;
        font_ref.outline_glyphs().format()?;
        let font = Arc::new(Font {
            data,
            index,
            id: self.new_id(),
            origin: key.0.display().to_string(),
        });
        self.files.insert(key, font.clone());
        Some(font)
    }
}

/// Asks fontconfig for the file cairo would use; `None` when fc-match is missing or fails.
fn fc_match(family: &str, italic: bool, bold: bool) -> Option<(PathBuf, u32)> {
    let mut pattern = escape_fc(family);
    // cairo's toy face sets exactly these two properties besides the family.
    pattern.push_str(if italic {
        ":slant=italic"
    } else {
        ":slant=roman"
    });
    pattern.push_str(if bold {
        ":weight=bold"
    } else {
        ":weight=medium"
    });
    let output = Command::new("fc-match")
        .arg("--format=%{file}\n%{index}")
        .arg(pattern)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let mut lines = text.lines();
    let file = lines.next().filter(|f| !f.is_empty())?;
    let index = lines
        .next()
        .and_then(|i| i.trim().parse().ok())
        .unwrap_or(0);
    Some((PathBuf::from(file), index))
}

/// Escapes the characters fontconfig's pattern syntax gives a meaning to.
fn escape_fc(family: &str) -> String {
    let mut out = String::with_capacity(family.len());
    for c in family.chars() {
        if matches!(c, '\\' | '-' | ':' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The caches hold no invariant a panic could break half-way: keep using them.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One glyph at one size, in pixels with y down, relative to its origin.
#[derive(Debug, Clone)]
pub struct Glyph {
    /// The advance in user units (cairo's arithmetic applied).
    pub x_advance: f64,
    /// The ink box in user units `(x_bearing, y_bearing, width, height)`; zero-sized for
    /// blank glyphs.
    pub ink: (f64, f64, f64, f64),
    /// The outline, quadratic curves raised to cubic ones as cairo does.
    pub outline: Vec<PathSegment>,
    /// The outline as FreeType hands it over (26.6 units, y up, quadratic curves kept), for
    /// drawing under a rotation ([`transformed_outline`]).
    raw: Vec<RawSegment>,
    /// The on-curve flag of every stored point, per contour (TrueType outlines; empty when
    /// unknown): which on-curve points of `raw` are real and which implied.
    flags: Vec<Vec<bool>>,
}

/// One segment of a FreeType outline in 26.6 units, y up.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RawSegment {
    Move(i64, i64),
    Line(i64, i64),
    Quad(i64, i64, i64, i64),
    Cubic(i64, i64, i64, i64, i64, i64),
    Close,
}

struct SizeCache {
    hinter: Option<HintingInstance>,
    font_extents: FontExtents,
    glyphs: HashMap<u32, Arc<Glyph>>,
}

type SizeKey = (usize, u64, Hinting);

static SIZES: LazyLock<Mutex<HashMap<SizeKey, SizeCache>>> = LazyLock::new(Mutex::default);

/// cairo's `font_extents` for the font at `size` (user units, identity matrix).
pub fn font_extents(font: &Font, size: f64, hinting: Hinting) -> FontExtents {
    with_size(font, size, hinting, |cache, _| cache.font_extents).unwrap_or_default()
}

/// The glyphs of `text`, one per character (no kerning, no shaping: cairo's toy API).
pub fn glyphs(font: &Font, size: f64, hinting: Hinting, text: &str) -> Vec<Arc<Glyph>> {
    with_size(font, size, hinting, |cache, font_ref| {
        let charmap = font_ref.charmap();
        text.chars()
            .map(|c| {
                let gid = charmap.map(c).unwrap_or(GlyphId::NOTDEF);
                cache.glyph(font_ref, gid, size, hinting)
            })
            .collect()
    })
    .unwrap_or_default()
}

/// cairo's `text_extents` of `text` (glyph origins from x = 0, as `cairo_text_extents` with
/// no current point).
pub fn text_extents(font: &Font, size: f64, hinting: Hinting, text: &str) -> TextExtents {
    extents_of(&glyphs(font, size, hinting, text))
}

/// cairo's `cairo_scaled_font_glyph_extents` over glyphs placed one after another.
pub fn extents_of(glyphs: &[Arc<Glyph>]) -> TextExtents {
    let mut x = 0.0;
    let mut ink: Option<(f64, f64, f64, f64)> = None;
    let mut last_advance = 0.0;
    let mut last_x = 0.0;
    for glyph in glyphs {
        let (xb, yb, w, h) = glyph.ink;
        // "Ink" extents skip invisible glyphs, as cairo's do.
        if w != 0.0 && h != 0.0 {
            let (left, top) = (xb + x, yb);
            let (right, bottom) = (left + w, top + h);
            ink = Some(match ink {
                None => (left, top, right, bottom),
                Some((l, t, r, b)) => (l.min(left), t.min(top), r.max(right), b.max(bottom)),
            });
        }
        last_x = x;
        last_advance = glyph.x_advance;
        x += glyph.x_advance;
    }
    let mut extents = TextExtents::default();
    if let Some((l, t, r, b)) = ink {
        extents.x_bearing = l;
        extents.y_bearing = t;
        extents.width = r - l;
        extents.height = b - t;
    }
    if !glyphs.is_empty() {
        extents.x_advance = last_x + last_advance;
    }
    extents
}

fn with_size<R>(
    font: &Font,
    size: f64,
    hinting: Hinting,
    f: impl FnOnce(&mut SizeCache, &FontRef<'_>) -> R,
) -> Option<R> {
    let font_ref = font.font_ref()?;
    if !(size.is_finite() && size > 0.0) {
        return None;
    }
    let key = (font.id, size.to_bits(), hinting);
    let mut sizes = lock(&SIZES);
    if !sizes.contains_key(&key) {
        if sizes.len() >= MAX_SIZES {
            sizes.clear();
        }
        sizes.insert(key, SizeCache::new(&font_ref, size, hinting));
    }
    let cache = sizes.get_mut(&key)?;
    Some(f(cache, &font_ref))
}

/// The size FreeType is given: cairo calls `FT_Set_Char_Size(size * 64 + .5)` (rounded to
/// 26.6), while skrifa truncates `ppem * 64`; rounding first makes them agree.
fn ft_size(size: f64) -> f32 {
    ((size * 64.0 + 0.5).floor() / 64.0) as f32
}

/// FreeType's 16.16 `FT_MulFix`, rounding as it does.
fn mul_fix(a: i64, b: i64) -> i64 {
    let p = a * b;
    let r = (p.abs() + 0x8000) >> 16;
    if p < 0 {
        -r
    } else {
        r
    }
}

/// FreeType's `FT_DivFix`.
fn div_fix(a: i64, b: i64) -> i64 {
    if b == 0 {
        return 0x7FFF_FFFF;
    }
    let q = ((a.abs() << 16) + b.abs() / 2) / b.abs();
    if (a < 0) != (b < 0) {
        -q
    } else {
        q
    }
}

impl SizeCache {
    fn new(font_ref: &FontRef<'_>, size: f64, hinting: Hinting) -> SizeCache {
        let metrics = font_ref.metrics(Size::unscaled(), LocationRef::default());
        let upem = f64::from(metrics.units_per_em.max(1));
        let ascender = f64::from(metrics.ascent);
        let descender = f64::from(metrics.descent);
        // FreeType's face->height: ascender - descender + line gap.
        let height_units = ascender - descender + f64::from(metrics.leading);
        let max_advance = f64::from(metrics.max_width.unwrap_or(0.0));
        let font_extents = match hinting {
            Hinting::None => FontExtents {
                ascent: ascender / upem * size,
                descent: -descender / upem * size,
                height: height_units / upem * size,
                max_x_advance: max_advance / upem * size,
                max_y_advance: 0.0,
            },
            Hinting::Full => {
                // FT_Set_Char_Size(size * 64 + .5) then ft_recompute_scaled_metrics: the
                // ascender rounded up, the descender down, height and advance rounded.
                let char_size = (size * 64.0 + 0.5).floor() as i64;
                let scale = div_fix(char_size, upem as i64);
                let scaled = |units: f64| mul_fix(units as i64, scale);
                let ceil = |v: i64| (v + 63) & !63;
                let floor = |v: i64| v & !63;
                let round = |v: i64| (v + 32) & !63;
                let px = |v: i64| v as f64 / 64.0 * (1.0 / size) * size;
                FontExtents {
                    ascent: px(ceil(scaled(ascender))),
                    descent: px(-floor(scaled(descender))),
                    height: px(round(scaled(height_units))),
                    max_x_advance: px(round(scaled(max_advance))),
                    max_y_advance: 0.0,
                }
            }
        };
        let hinter = match hinting {
            Hinting::None => None,
            Hinting::Full => HintingInstance::new(
                &font_ref.outline_glyphs(),
                Size::new(ft_size(size)),
                LocationRef::default(),
                HintingOptions {
                    engine: Engine::Interpreter,
                    target: Target::Mono,
                },
            )
            .ok(),
        };
        SizeCache {
            hinter,
            font_extents,
            glyphs: HashMap::new(),
        }
    }

    fn glyph(
        &mut self,
        font_ref: &FontRef<'_>,
        gid: GlyphId,
        size: f64,
        hinting: Hinting,
    ) -> Arc<Glyph> {
        if let Some(glyph) = self.glyphs.get(&gid.to_u32()) {
            return glyph.clone();
        }
        let glyph = Arc::new(self.load(font_ref, gid, size, hinting));
        if self.glyphs.len() >= MAX_GLYPHS_PER_SIZE {
            self.glyphs.clear();
        }
        self.glyphs.insert(gid.to_u32(), glyph.clone());
        glyph
    }

    fn load(&self, font_ref: &FontRef<'_>, gid: GlyphId, size: f64, hinting: Hinting) -> Glyph {
        let outlines = font_ref.outline_glyphs();
        let mut pen = Pen {
            scale: 1.0,
            ..Pen::default()
        };
        let upem = f64::from(
            font_ref
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em
                .max(1),
        );
        let user = |px: f64| px * (1.0 / size) * size;
        let linear_advance = || {
            let units = font_ref
                .glyph_metrics(Size::unscaled(), LocationRef::default())
                .advance_width(gid)
                .unwrap_or(0.0);
            let upem = f64::from(
                font_ref
                    .metrics(Size::unscaled(), LocationRef::default())
                    .units_per_em
                    .max(1),
            );
            // Exact design units scaled by the requested size (measured: not FreeType's
            // 16.16 linearHoriAdvance, which would round at fractional sizes).
            f64::from(units) * size / upem
        };
        let Some(outline) = outlines.get(gid) else {
            return Glyph {
                x_advance: user(linear_advance()),
                ink: (0.0, 0.0, 0.0, 0.0),
                outline: Vec::new(),
                raw: Vec::new(),
                flags: Vec::new(),
            };
        };
        let (advance, grid_fit) = match (&self.hinter, hinting) {
            (Some(hinter), Hinting::Full) => {
                let adjusted = outline.draw(DrawSettings::hinted(hinter, false), &mut pen);
                match adjusted.ok().and_then(|m| m.advance_width) {
                    Some(a) => (f64::from(a), true),
                    None => (linear_advance(), true),
                }
            }
            _ => {
                // The outline is FreeType's unhinted one (points scaled to 26.6, then implied
                // on-curve points halfway), which skrifa reproduces at the pixel size...
                let _ = outline.draw(
                    DrawSettings::unhinted(Size::new(ft_size(size)), LocationRef::default()),
                    &mut pen,
                );
                // ...but cairo's vector metrics are exact: the control box comes from the
                // unscaled outline.
                let mut exact = Pen {
                    scale: size / upem,
                    ..Pen::default()
                };
                let _ = outline.draw(
                    DrawSettings::unhinted(Size::unscaled(), LocationRef::default()),
                    &mut exact,
                );
                pen.cbox = exact.cbox;
                (linear_advance(), false)
            }
        };
        let ink = match pen.cbox {
            Some((x0, y0, x1, y1)) => {
                let (x0, y0, x1, y1) = if grid_fit {
                    (x0.floor(), y0.floor(), x1.ceil(), y1.ceil())
                } else {
                    (x0, y0, x1, y1)
                };
                (user(x0), user(-y1), user(x1 - x0), user(y1 - y0))
            }
            None => (0.0, 0.0, 0.0, 0.0),
        };
        Glyph {
            x_advance: user(advance),
            ink,
            outline: pen.segments,
            raw: pen.raw,
            flags: contour_flags(font_ref, gid),
        }
    }
}

/// Collects an outline as cairo's FreeType decomposition does: y flipped to point down,
/// quadratic curves raised to cubic ones, every control point in the control box.
#[derive(Default)]
struct Pen {
    segments: Vec<PathSegment>,
    current: (f64, f64),
    start: (f64, f64),
    cbox: Option<(f64, f64, f64, f64)>,
    /// Font units to pixels when measuring the unscaled outline; 1 when skrifa has scaled
    /// it already.
    scale: f64,
    raw: Vec<RawSegment>,
}

/// A pixel coordinate (a multiple of 1/64 from skrifa) in 26.6 units.
fn units_26_6(v: f32) -> i64 {
    (f64::from(v) * 64.0).round() as i64
}

impl Pen {
    fn point(&mut self, x: f32, y: f32) -> (f64, f64) {
        let (x, y) = (f64::from(x) * self.scale, f64::from(y) * self.scale);
        self.cbox = Some(match self.cbox {
            None => (x, y, x, y),
            Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
        });
        (x, -y)
    }
}

impl OutlinePen for Pen {
    fn move_to(&mut self, x: f32, y: f32) {
        self.raw
            .push(RawSegment::Move(units_26_6(x), units_26_6(y)));
        let p = self.point(x, y);
        self.segments.push(PathSegment::MoveTo(p.0, p.1));
        self.current = p;
        self.start = p;
    }

    fn line_to(&mut self, x: f32, y: f32) {
        self.raw
            .push(RawSegment::Line(units_26_6(x), units_26_6(y)));
        let p = self.point(x, y);
        self.segments.push(PathSegment::LineTo(p.0, p.1));
        self.current = p;
    }

    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        self.raw.push(RawSegment::Quad(
            units_26_6(cx0),
            units_26_6(cy0),
            units_26_6(x),
            units_26_6(y),
        ));
        let (qx, qy) = self.point(cx0, cy0);
        let (x, y) = self.point(x, y);
        let (x0, y0) = self.current;
        // cairo's _conic_to: the cubic control points two thirds of the way to the conic's,
        // computed in 24.8 fixed point and truncated back to it.
        let third = |from: f64, to: f64| {
            let (from, to) = (from * 256.0, to * 256.0);
            (from + 2.0 / 3.0 * (to - from)).trunc() / 256.0
        };
        self.segments.push(PathSegment::CurveTo(
            third(x0, qx),
            third(y0, qy),
            third(x, qx),
            third(y, qy),
            x,
            y,
        ));
        self.current = (x, y);
    }

    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        self.raw.push(RawSegment::Cubic(
            units_26_6(cx0),
            units_26_6(cy0),
            units_26_6(cx1),
            units_26_6(cy1),
            units_26_6(x),
            units_26_6(y),
        ));
        let a = self.point(cx0, cy0);
        let b = self.point(cx1, cy1);
        let p = self.point(x, y);
        self.segments
            .push(PathSegment::CurveTo(a.0, a.1, b.0, b.1, p.0, p.1));
        self.current = p;
    }

    fn close(&mut self) {
        self.raw.push(RawSegment::Close);
        self.segments.push(PathSegment::Close);
        self.current = self.start;
    }
}

/// FreeType's `FT_Set_Transform` matrix for cairo's shape matrix (the CTM's rotation and
/// shear with the scale taken out): 16.16, truncated, y flipped.
fn ft_matrix(shape: [f64; 4]) -> [i64; 4] {
    let fixed = |v: f64| (v * 65536.0) as i64; // C's (FT_Fixed) cast truncates
    let [xx, yx, xy, yy] = shape;
    [fixed(xx), -fixed(yx), -fixed(xy), fixed(yy)]
}

/// Whether cairo would set a transform on the face (`have_shape`).
pub fn has_shape(shape: [f64; 4]) -> bool {
    ft_matrix(shape) != [0x10000, 0, 0, 0x10000]
}

/// The on-curve flags of a TrueType glyph's points, per contour, components flattened in
/// order as FreeType loads them; empty for other outlines or on any inconsistency.
fn contour_flags(font_ref: &FontRef<'_>, gid: GlyphId) -> Vec<Vec<bool>> {
    use skrifa::raw::TableProvider;
    let (Ok(glyf), Ok(loca)) = (font_ref.glyf(), font_ref.loca(None)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if collect_flags(&glyf, &loca, gid, 0, &mut out) {
        out
    } else {
        Vec::new()
    }
}

fn collect_flags(
    glyf: &skrifa::raw::tables::glyf::Glyf<'_>,
    loca: &skrifa::raw::tables::loca::Loca<'_>,
    gid: GlyphId,
    depth: usize,
    out: &mut Vec<Vec<bool>>,
) -> bool {
    use skrifa::raw::tables::glyf::Glyph as RawGlyph;
    // FreeType's composite nesting limit is of this order; deeper fonts are malformed.
    if depth > 32 {
        return false;
    }
    match loca.get_glyf(gid, glyf) {
        Ok(None) => true,
        Ok(Some(RawGlyph::Simple(simple))) => {
            let flags: Vec<bool> = simple.points().map(|p| p.on_curve).collect();
            let mut start = 0;
            for end in simple.end_pts_of_contours() {
                let end = usize::from(end.get()) + 1;
                match flags.get(start..end) {
                    Some(contour) => out.push(contour.to_vec()),
                    None => return false,
                }
                start = end;
            }
            true
        }
        Ok(Some(RawGlyph::Composite(composite))) => composite
            .components()
            .all(|c| collect_flags(glyf, loca, c.glyph.into(), depth + 1, out)),
        Err(_) => false,
    }
}

/// The glyph's outline (pixels, y down, relative to its origin) under `shape` = `[xx, yx,
/// xy, yy]`, as cairo gets it from FreeType with `FT_Set_Transform`: every stored point
/// transformed in 26.6 with FT_MulFix, then decomposed as `FT_Outline_Decompose` does
/// (implied on-curve points halfway between transformed controls) and quadratic curves
/// raised to cubic ones in 24.8 as cairo's `_conic_to` does. Falls back to rotating the
/// decomposed outline when the point flags are unknown.
pub fn transformed_outline(glyph: &Glyph, shape: [f64; 4]) -> Vec<PathSegment> {
    let [mxx, myx, mxy, myy] = ft_matrix(shape);
    let t = |(x, y): (i64, i64)| {
        (
            mul_fix(x, mxx) + mul_fix(y, mxy),
            mul_fix(x, myx) + mul_fix(y, myy),
        )
    };
    let mut out = Vec::with_capacity(glyph.outline.len() + 8);
    let contours = split_contours(&glyph.raw);
    let points = (contours.len() == glyph.flags.len())
        .then(|| {
            contours
                .iter()
                .zip(&glyph.flags)
                .map(|(segs, flags)| contour_points(segs, flags))
                .collect::<Option<Vec<_>>>()
        })
        .flatten();
    match points {
        Some(points) => {
            for (pts, flags) in points.iter().zip(&glyph.flags) {
                let transformed: Vec<(i64, i64)> = pts.iter().map(|&p| t(p)).collect();
                decompose(&transformed, flags, &mut out);
            }
        }
        None => {
            // Not a TrueType outline (or not understood): transform the decomposed one.
            let px = |v: i64| v as f64 / 64.0;
            for seg in &glyph.raw {
                let p = |x: i64, y: i64| {
                    let (x, y) = t((x, y));
                    (px(x), -px(y))
                };
                out.push(match *seg {
                    RawSegment::Move(x, y) => {
                        let (x, y) = p(x, y);
                        PathSegment::MoveTo(x, y)
                    }
                    RawSegment::Line(x, y) => {
                        let (x, y) = p(x, y);
                        PathSegment::LineTo(x, y)
                    }
                    RawSegment::Quad(cx, cy, x, y) => {
                        // Exact elevation; only reached for outlines without flags.
                        let (qx, qy) = p(cx, cy);
                        let (ex, ey) = p(x, y);
                        let (sx, sy) =
                            match out.last().and_then(crate::graph::canvas::path::end_point) {
                                Some(point) => point,
                                None => (ex, ey),
                            };
                        PathSegment::CurveTo(
                            sx + 2.0 / 3.0 * (qx - sx),
                            sy + 2.0 / 3.0 * (qy - sy),
                            ex + 2.0 / 3.0 * (qx - ex),
                            ey + 2.0 / 3.0 * (qy - ey),
                            ex,
                            ey,
                        )
                    }
                    RawSegment::Cubic(ax, ay, bx, by, x, y) => {
                        let a = p(ax, ay);
                        let b = p(bx, by);
                        let (x, y) = p(x, y);
                        PathSegment::CurveTo(a.0, a.1, b.0, b.1, x, y)
                    }
                    RawSegment::Close => PathSegment::Close,
                });
            }
        }
    }
    out
}

/// The raw outline split at each move.
fn split_contours(raw: &[RawSegment]) -> Vec<&[RawSegment]> {
    let mut contours = Vec::new();
    let mut start = 0;
    for (i, seg) in raw.iter().enumerate() {
        if matches!(seg, RawSegment::Move(..)) && i > start {
            contours.push(&raw[start..i]);
            start = i;
        }
    }
    if start < raw.len() {
        contours.push(&raw[start..]);
    }
    contours
}

/// Recovers a contour's stored points from its decomposition (every stored point appears
/// in it once, in order: `FT_Outline_Decompose`'s walk); `None` if they do not line up.
fn contour_points(segs: &[RawSegment], flags: &[bool]) -> Option<Vec<(i64, i64)>> {
    let n = flags.len();
    let (&RawSegment::Move(sx, sy), rest) = segs.split_first()? else {
        return None;
    };
    let mut pts: Vec<Option<(i64, i64)>> = vec![None; n];
    // Where the walk starts and ends, as FreeType chooses the start point.
    let (mut i, end) = if flags[0] {
        pts[0] = Some((sx, sy));
        (1, n)
    } else if flags[n - 1] {
        pts[n - 1] = Some((sx, sy));
        (0, n - 1)
    } else {
        (0, n) // an implied start between the last and first points
    };
    for seg in rest {
        match *seg {
            RawSegment::Line(x, y) => {
                if i >= end || !flags[i] {
                    return None;
                }
                pts[i] = Some((x, y));
                i += 1;
            }
            RawSegment::Quad(cx, cy, x, y) => {
                if i >= end || flags[i] {
                    return None;
                }
                pts[i] = Some((cx, cy));
                i += 1;
                if i < end && flags[i] {
                    pts[i] = Some((x, y));
                    i += 1;
                }
            }
            RawSegment::Close => {}
            RawSegment::Move(..) | RawSegment::Cubic(..) => return None,
        }
    }
    pts.into_iter().collect()
}

/// `FT_Outline_Decompose` of one contour (26.6, y up) into cairo's path (pixels, y down),
/// with cairo's callbacks: lines as they are, conics raised to cubics in 24.8, truncating.
fn decompose(pts: &[(i64, i64)], flags: &[bool], out: &mut Vec<PathSegment>) {
    let n = pts.len().min(flags.len());
    if n == 0 {
        return;
    }
    // C's division truncates towards zero, as Rust's does.
    let mid = |a: (i64, i64), b: (i64, i64)| ((a.0 + b.0) / 2, (a.1 + b.1) / 2);
    let px = |p: (i64, i64)| (p.0 as f64 / 64.0, -(p.1 as f64) / 64.0);
    let (start, first, end) = if flags[0] {
        (pts[0], 1, n)
    } else if flags[n - 1] {
        (pts[n - 1], 0, n - 1)
    } else {
        (mid(pts[0], pts[n - 1]), 0, n)
    };
    let (x, y) = px(start);
    out.push(PathSegment::MoveTo(x, y));
    let mut current = start;
    let conic =
        |out: &mut Vec<PathSegment>, current: &mut (i64, i64), c: (i64, i64), to: (i64, i64)| {
            // cairo's _conic_to: 24.8 = 26.6 << 2; y flipped first.
            let third = |from: i64, to: i64| {
                let (from, to) = ((from * 4) as f64, (to * 4) as f64);
                (from + 2.0 / 3.0 * (to - from)).trunc() / 256.0
            };
            let (c0, t0) = ((current.0, -current.1), (to.0, -to.1));
            let cf = (c.0, -c.1);
            out.push(PathSegment::CurveTo(
                third(c0.0, cf.0),
                third(c0.1, cf.1),
                third(t0.0, cf.0),
                third(t0.1, cf.1),
                t0.0 as f64 / 64.0,
                t0.1 as f64 / 64.0,
            ));
            *current = to;
        };
    let mut i = first;
    let mut closed_by_conic = false;
    while i < end {
        if flags[i] {
            current = pts[i];
            let (x, y) = px(current);
            out.push(PathSegment::LineTo(x, y));
            i += 1;
            continue;
        }
        let mut control = pts[i];
        i += 1;
        loop {
            if i < end {
                let next = pts[i];
                if flags[i] {
                    conic(out, &mut current, control, next);
                    i += 1;
                    break;
                }
                let middle = mid(control, next);
                conic(out, &mut current, control, middle);
                control = next;
                i += 1;
            } else {
                conic(out, &mut current, control, start);
                closed_by_conic = true;
                break;
            }
        }
        if closed_by_conic {
            break;
        }
    }
    if !closed_by_conic {
        let (x, y) = px(start);
        out.push(PathSegment::LineTo(x, y));
    }
    out.push(PathSegment::Close);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9
    }

    #[test]
    fn embedded_fonts_measure_like_the_system_dejavu() {
        for (italic, bold) in [(false, false), (false, true), (true, false), (true, true)] {
            let system = select_font("Sans", italic, bold);
            let embedded = embedded_font(italic, bold);
            assert!(embedded.origin().starts_with("embedded:"));
            for hinting in [Hinting::Full, Hinting::None] {
                assert_eq!(
                    text_extents(&system, 10.0, hinting, "Hello 0.5"),
                    text_extents(&embedded, 10.0, hinting, "Hello 0.5"),
                    "{} italic={italic} bold={bold}",
                    system.origin()
                );
            }
        }
    }

    #[test]
    fn degenerate_input() {
        let font = embedded_font(false, false);
        assert_eq!(
            text_extents(&font, 0.0, Hinting::Full, "x"),
            TextExtents::default()
        );
        assert_eq!(
            text_extents(&font, f64::NAN, Hinting::None, "x"),
            TextExtents::default()
        );
        assert_eq!(
            text_extents(&font, 10.0, Hinting::Full, ""),
            TextExtents::default()
        );
        // A character the font lacks draws (and measures) as .notdef.
        assert!(text_extents(&font, 10.0, Hinting::Full, "\u{10FFFD}").x_advance > 0.0);
        assert_eq!(escape_fc("a-b:c"), "a\\-b\\:c");
    }

    /// Our metrics against cairo's, recorded by `tests/graph/cairo_text_metrics.py`.
    #[test]
    fn metrics_equal_cairo() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/graph/cairo_text_metrics.json"
        );
        let table: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("table")).expect("json");
        let mut failures = Vec::new();
        let mut checked = 0;
        for entry in table.as_array().expect("array") {
            let hinting = match entry["surface"].as_str() {
                Some("image") => Hinting::Full,
                _ => Hinting::None,
            };
            let family = entry["family"].as_str().unwrap_or_default();
            let italic = entry["italic"].as_bool().unwrap_or_default();
            let bold = entry["bold"].as_bool().unwrap_or_default();
            let size = entry["size"].as_f64().unwrap_or_default();
            let font = select_font(family, italic, bold);
            // Without fontconfig every family is the embedded DejaVu Sans: only the Sans rows
            // (and the unknown family, which falls back to it) can match then.
            if font.origin().starts_with("embedded:") && matches!(family, "Serif" | "Monospace") {
                continue;
            }
            let label = format!("{hinting:?} {family} i={italic} b={bold} {size}");
            let fe = font_extents(&font, size, hinting);
            let want: Vec<f64> = serde_json::from_value(entry["font_extents"].clone()).expect("fe");
            let got = [
                fe.ascent,
                fe.descent,
                fe.height,
                fe.max_x_advance,
                fe.max_y_advance,
            ];
            checked += 1;
            if !got.iter().zip(&want).all(|(a, b)| close(*a, *b)) {
                failures.push(format!("{label}: font_extents {got:?} != {want:?}"));
            }
            for (text, want) in entry["text_extents"].as_object().expect("te") {
                let want: Vec<f64> = serde_json::from_value(want.clone()).expect("te");
                let te = text_extents(&font, size, hinting, text);
                let got = [
                    te.x_bearing,
                    te.y_bearing,
                    te.width,
                    te.height,
                    te.x_advance,
                    te.y_advance,
                ];
                checked += 1;
                if !got.iter().zip(&want).all(|(a, b)| close(*a, *b)) {
                    failures.push(format!("{label} {text:?}: {got:?} != {want:?}"));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {checked} differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
