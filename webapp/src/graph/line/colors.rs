//! Colours as glyph.py's `setColor` reads them: the `colorAliases` names, `RRGGBB` or
//! `RRGGBBAA` hex with an optional `#` or `%23` prefix, and a six-digit int read as hex.

use super::params::{py_int_str, py_repr, ParamValue};
use super::GraphError;

/// glyph.py's `colorAliases` (case-sensitive).
pub const COLOR_ALIASES: &[(&str, (u8, u8, u8))] = &[
    ("black", (0, 0, 0)),
    ("white", (255, 255, 255)),
    ("blue", (100, 100, 255)),
    ("green", (0, 200, 0)),
    ("red", (200, 0, 50)),
    ("yellow", (255, 255, 0)),
    ("orange", (255, 165, 0)),
    ("purple", (200, 100, 255)),
    ("brown", (150, 100, 50)),
    ("cyan", (0, 255, 255)),
    ("aqua", (0, 150, 150)),
    ("gray", (175, 175, 175)),
    ("grey", (175, 175, 175)),
    ("magenta", (255, 0, 255)),
    ("pink", (255, 100, 100)),
    ("gold", (200, 200, 0)),
    ("rose", (200, 150, 200)),
    ("darkblue", (0, 0, 255)),
    ("darkgreen", (0, 255, 0)),
    ("darkred", (255, 0, 0)),
    ("darkgray", (111, 111, 111)),
    ("darkgrey", (111, 111, 111)),
];

/// An RGBA colour with components in 0..=1, as passed to `set_source_rgba`.
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

/// The error `setColor` raises for a value it cannot read.
fn bad_color() -> GraphError {
    GraphError::new(
        "ValueError",
        "Must specify an RGB 3-tuple, an html color string, or a known color alias!",
    )
}

/// `int(text, 16)` of one two-character slice, with Python's error.
fn hex_pair(text: &str) -> Result<i64, GraphError> {
    py_int_str(text, 16).ok_or_else(|| {
        GraphError::new(
            "ValueError",
            format!("invalid literal for int() with base 16: {}", py_repr(text)),
        )
    })
}

/// Characters `from..to` of `s`, counted in code points as Python slices strings.
fn slice(s: &str, from: usize, to: usize) -> String {
    s.chars().skip(from).take(to.saturating_sub(from)).collect()
}

/// `setColor(value, alpha, forceAlpha)`: the colour cairo's source is set to.
pub fn parse_color(value: &ParamValue, alpha: f64, force_alpha: bool) -> Result<Rgba, GraphError> {
    let mut alpha = alpha;
    let (r, g, b) = match value {
        ParamValue::Str(text) => {
            if let Some((_, rgb)) = COLOR_ALIASES.iter().find(|(n, _)| n == text) {
                (i64::from(rgb.0), i64::from(rgb.1), i64::from(rgb.2))
            } else if text.chars().count() >= 6 {
                let mut s = text.as_str();
                if let Some(rest) = s.strip_prefix('#') {
                    s = rest;
                }
                if let Some(rest) = s.strip_prefix("%23") {
                    s = rest;
                }
                let rgb = (
                    hex_pair(&slice(s, 0, 2))?,
                    hex_pair(&slice(s, 2, 4))?,
                    hex_pair(&slice(s, 4, 6))?,
                );
                if s.chars().count() == 8 && !force_alpha {
                    alpha = hex_pair(&slice(s, 6, 8))? as f64 / 255.0;
                }
                rgb
            } else {
                return Err(bad_color());
            }
        }
        ParamValue::Int(i) if i.to_string().len() == 6 => {
            let s = i.to_string();
            (
                hex_pair(&s[0..2])?,
                hex_pair(&s[2..4])?,
                hex_pair(&s[4..6])?,
            )
        }
        _ => return Err(bad_color()),
    };
    Ok(Rgba {
        r: r as f64 / 255.0,
        g: g as f64 / 255.0,
        b: b as f64 / 255.0,
        a: alpha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> ParamValue {
        ParamValue::Str(v.to_owned())
    }

    #[test]
    fn names_hex_and_alpha() {
        let red = parse_color(&s("red"), 1.0, false).ok();
        assert_eq!(
            red.map(|c| (c.r, c.g, c.b)),
            Some((200.0 / 255.0, 0.0, 50.0 / 255.0))
        );
        let c = parse_color(&s("%23ff000080"), 1.0, false).ok();
        assert_eq!(c.map(|c| (c.r, c.a)), Some((1.0, 128.0 / 255.0)));
        let forced = parse_color(&s("#ff000080"), 0.0, true).ok();
        assert_eq!(forced.map(|c| c.a), Some(0.0));
        assert!(parse_color(&s("Red"), 1.0, false).is_err());
        assert!(parse_color(&s("zzzzzz"), 1.0, false).is_err());
        assert!(parse_color(&ParamValue::Float(1.5), 1.0, false).is_err());
    }
}
