//! Source-over compositing of a solid colour onto premultiplied RGBA8 pixels, a row at a
//! time with 8-bit coverage, in integer arithmetic the compiler can vectorize.

use crate::graph::canvas::recorder::Rgba;

/// Pixels per chunk: a chunk with no coverage is skipped, one fully covered by an opaque
/// colour is overwritten, and any other is blended without branches.
const CHUNK_PX: usize = 8;
// A chunk's coverage is read as one u64.
const _: () = assert!(CHUNK_PX == 8);

/// A paint colour, premultiplied, in 8-bit units.
pub(crate) struct Source {
    /// Premultiplied RGBA.
    channels: [u16; 4],
    /// The same bytes as they sit in the pixmap, for a whole chunk of pixels.
    chunk: [u8; 4 * CHUNK_PX],
    opaque: bool,
}

impl Source {
    /// The colour to composite; components outside `0..=1` (or NaN) make it opaque black, as
    /// tiny-skia's `Color::from_rgba` rejects them.
    pub(crate) fn new(color: &Rgba) -> Self {
        let channels = [color.r, color.g, color.b, color.a];
        let [r, g, b, a] = if channels.iter().all(|c| (0.0..=1.0).contains(c)) {
            channels
        } else {
            [0.0, 0.0, 0.0, 1.0]
        };
        let bytes = [r * a, g * a, b * a, a].map(|c| (c * 255.0 + 0.5) as u8);
        Source {
            channels: bytes.map(u16::from),
            chunk: std::array::from_fn(|i| bytes[i % 4]),
            opaque: bytes[3] == u8::MAX,
        }
    }

    /// Composites this colour over a row of premultiplied RGBA pixels (`4 * coverage.len()`
    /// bytes), pixel `i` at `coverage[i] / 255`.
    pub(crate) fn over_row(&self, pixels: &mut [u8], coverage: &[u8]) {
        let mut chunks = pixels.chunks_exact_mut(4 * CHUNK_PX);
        let mut covers = coverage.chunks_exact(CHUNK_PX);
        for (px, cov) in (&mut chunks).zip(&mut covers) {
            let word = u64::from_le_bytes(cov.try_into().unwrap_or_default());
            if word == 0 {
                continue;
            }
            if self.opaque && word == u64::MAX {
                px.copy_from_slice(&self.chunk);
                continue;
            }
            for (p, c) in px.chunks_exact_mut(4).zip(cov) {
                self.over(p, *c);
            }
        }
        for (p, c) in chunks
            .into_remainder()
            .chunks_exact_mut(4)
            .zip(covers.remainder())
        {
            self.over(p, *c);
        }
    }

    /// Fills whole pixels with this colour, when it is opaque (returns whether it was).
    pub(crate) fn fill_opaque(&self, pixels: &mut [u8]) -> bool {
        if !self.opaque {
            return false;
        }
        let mut chunks = pixels.chunks_exact_mut(4 * CHUNK_PX);
        for px in &mut chunks {
            px.copy_from_slice(&self.chunk);
        }
        for p in chunks.into_remainder().chunks_exact_mut(4) {
            p.copy_from_slice(&self.chunk[..4]);
        }
        true
    }

    /// One pixel: `src * c + dst * (1 - src_alpha * c)`, all in units of 1/255.
    #[inline(always)]
    fn over(&self, pixel: &mut [u8], coverage: u8) {
        let c = u16::from(coverage);
        let src = self.channels.map(|s| div255(s * c));
        let keep = 255 - src[3];
        for (d, s) in pixel.iter_mut().zip(src) {
            *d = (s + div255(u16::from(*d) * keep)) as u8;
        }
    }
}

/// `a * b / 255`, rounded.
#[inline(always)]
pub(crate) fn mul255(a: u8, b: u8) -> u8 {
    div255(u16::from(a) * u16::from(b)) as u8
}

/// `x / 255` rounded to nearest, exact for `x <= 255 * 255`.
#[inline(always)]
fn div255(x: u16) -> u16 {
    let t = x + 128;
    (t + (t >> 8)) >> 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div255_rounds_exactly() {
        for x in 0..=255u32 * 255 {
            let want = (f64::from(x) / 255.0).round() as u16;
            assert_eq!(div255(x as u16), want, "{x}");
        }
    }

    fn rgba(r: f64, g: f64, b: f64, a: f64) -> Rgba {
        Rgba { r, g, b, a }
    }

    #[test]
    fn over_matches_float_source_over_within_rounding() {
        let colors = [
            rgba(1.0, 0.0, 0.0, 1.0),
            rgba(0.2, 0.6, 1.0, 0.5),
            rgba(0.0, 0.0, 0.0, 0.0),
            rgba(0.4, 0.4, 0.4, 0.1),
        ];
        let dsts: [[u8; 4]; 4] = [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 60, 90, 128],
            [0, 0, 200, 200],
        ];
        for color in &colors {
            let src = Source::new(color);
            for dst in dsts {
                for c in [0u8, 1, 77, 128, 254, 255] {
                    let mut px = dst;
                    src.over(&mut px, c);
                    let cf = f64::from(c) / 255.0;
                    let a = color.a;
                    let s = [color.r * a, color.g * a, color.b * a, a];
                    for ch in 0..4 {
                        let want = s[ch] * 255.0 * cf + f64::from(dst[ch]) * (1.0 - a * cf);
                        assert!((f64::from(px[ch]) - want).abs() <= 1.5, "{px:?} {want}");
                    }
                    assert!(px[..3].iter().all(|v| *v <= px[3]), "premultiplied {px:?}");
                }
            }
        }
    }

    #[test]
    fn rows_skip_empty_and_overwrite_full_chunks() {
        let src = Source::new(&rgba(0.0, 0.5, 1.0, 1.0));
        let mut px = vec![7u8; 4 * 19];
        let mut cov = vec![0u8; 19];
        cov[8..16].fill(255);
        cov[18] = 128;
        src.over_row(&mut px, &cov);
        assert!(px[..32].iter().all(|v| *v == 7));
        assert_eq!(&px[32..36], &[0, 128, 255, 255]);
        assert_eq!(&px[72..76], &[3, 67, 131, 131]);
    }
}
