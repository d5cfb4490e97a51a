//! The graph options of a render request, typed as graphite-web's `parseOptions` types them,
//! and the Python conversions (`int()`, `float()`, `str()`, truthiness) glyph.py applies to
//! them later.
//!
//! `parseOptions` copies only the parameters named in the graph class's `customizable` tuple
//! and guesses each value's type from its text: digits become an `int` (unless the name
//! contains `color`), `x.y` a `float`, `true`/`false` a `bool`, `default` or an empty value is
//! dropped, anything else stays a string. glyph.py then reads them with Python's dynamic
//! typing, so a value of the wrong type fails only where it is used (a 500); [`ParamValue`]
//! keeps the type so the graph code can fail at the same places.

use indexmap::IndexMap;

use super::GraphError;
use crate::params::Params;

/// `Graph.customizable`: the options both graph types read.
pub const GRAPH_CUSTOMIZABLE: &[&str] = &[
    "width",
    "height",
    "margin",
    "bgcolor",
    "fgcolor",
    "fontName",
    "fontSize",
    "fontBold",
    "fontItalic",
    "colorList",
    "template",
    "yAxisSide",
    "outputFormat",
];

/// `LineGraph.customizable` beyond [`GRAPH_CUSTOMIZABLE`].
pub const LINE_CUSTOMIZABLE: &[&str] = &[
    "title",
    "vtitle",
    "lineMode",
    "lineWidth",
    "hideLegend",
    "hideAxes",
    "minXStep",
    "hideGrid",
    "majorGridLineColor",
    "minorGridLineColor",
    "thickness",
    "min",
    "max",
    "graphOnly",
    "yMin",
    "yMax",
    "yLimit",
    "yStep",
    "areaMode",
    "areaAlpha",
    "drawNullAsZero",
    "tz",
    "yAxisSide",
    "pieMode",
    "yUnitSystem",
    "logBase",
    "yMinLeft",
    "yMinRight",
    "yMaxLeft",
    "yMaxRight",
    "yLimitLeft",
    "yLimitRight",
    "yStepLeft",
    "yStepRight",
    "rightWidth",
    "rightColor",
    "rightDashed",
    "leftWidth",
    "leftColor",
    "leftDashed",
    "xFormat",
    "minorY",
    "hideYAxis",
    "uniqueLegend",
    "vtitleRight",
    "yDivisors",
    "connectedLimit",
    "hideXAxis",
    "hideNullFromLegend",
];

/// `PieGraph.customizable` beyond [`GRAPH_CUSTOMIZABLE`].
pub const PIE_CUSTOMIZABLE: &[&str] = &[
    "title",
    "valueLabels",
    "valueLabelsMin",
    "hideLegend",
    "pieLabels",
    "areaAlpha",
    "valueLabelsColor",
];

/// One option value with the Python type `parseOptions` gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// An `int` (all digits, optionally after `-`).
    Int(i64),
    /// A `float` (`x.y`, `.5`, `5.`, optionally after `-`), or an `int` too large for `i64`.
    Float(f64),
    /// `true`/`false` in any case.
    Bool(bool),
    /// Anything else, as sent.
    Str(String),
}

impl ParamValue {
    /// Python's truthiness (`if value:`).
    pub fn truthy(&self) -> bool {
        match self {
            ParamValue::Int(i) => *i != 0,
            ParamValue::Float(f) => *f != 0.0,
            ParamValue::Bool(b) => *b,
            ParamValue::Str(s) => !s.is_empty(),
        }
    }

    /// `int(value)`: floats truncate, strings parse (surrounding whitespace allowed).
    pub fn to_int(&self) -> Result<i64, GraphError> {
        match self {
            ParamValue::Int(i) => Ok(*i),
            ParamValue::Bool(b) => Ok(i64::from(*b)),
            ParamValue::Float(f) => {
                if f.is_nan() {
                    Err(GraphError::new(
                        "ValueError",
                        "cannot convert float NaN to integer",
                    ))
                } else if f.is_infinite() {
                    Err(GraphError::new(
                        "OverflowError",
                        "cannot convert float infinity to integer",
                    ))
                } else {
                    // Saturating: values this large fail later (surface size) anyway.
                    Ok(f.trunc() as i64)
                }
            }
            ParamValue::Str(s) => py_int_str(s, 10).ok_or_else(|| {
                GraphError::new(
                    "ValueError",
                    format!("invalid literal for int() with base 10: {}", py_repr(s)),
                )
            }),
        }
    }

    /// `float(value)`.
    pub fn to_float(&self) -> Result<f64, GraphError> {
        match self {
            ParamValue::Int(i) => Ok(*i as f64),
            ParamValue::Bool(b) => Ok(f64::from(u8::from(*b))),
            ParamValue::Float(f) => Ok(*f),
            ParamValue::Str(s) => py_float_str(s).ok_or_else(|| {
                GraphError::new(
                    "ValueError",
                    format!("could not convert string to float: {}", py_repr(s)),
                )
            }),
        }
    }

    /// The value as a number where Python would compare or do arithmetic with it; a string
    /// there is a `TypeError`.
    pub fn to_number(&self) -> Result<f64, GraphError> {
        match self {
            ParamValue::Str(_) => Err(GraphError::new(
                "TypeError",
                "'<' not supported between instances of 'str' and 'float'",
            )),
            other => other.to_float(),
        }
    }

    /// `str(value)`.
    pub fn to_py_str(&self) -> String {
        match self {
            ParamValue::Int(i) => i.to_string(),
            ParamValue::Float(f) => whisper::pyfmt::float_repr(*f),
            ParamValue::Bool(true) => "True".to_owned(),
            ParamValue::Bool(false) => "False".to_owned(),
            ParamValue::Str(s) => s.clone(),
        }
    }

    /// The text of a value glyph.py calls string methods on (`.lower()`): anything else is
    /// an `AttributeError` there.
    pub fn as_str(&self) -> Result<&str, GraphError> {
        self.as_str_for("lower")
    }

    /// [`ParamValue::as_str`] where the reference calls string method `method` (the error
    /// names it: `unquote_plus` calls `replace`).
    pub fn as_str_for(&self, method: &str) -> Result<&str, GraphError> {
        match self {
            ParamValue::Str(s) => Ok(s),
            other => Err(GraphError::new(
                "AttributeError",
                format!("'{}' object has no attribute '{method}'", other.type_name()),
            )),
        }
    }

    /// Python's type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            ParamValue::Int(_) => "int",
            ParamValue::Float(_) => "float",
            ParamValue::Bool(_) => "bool",
            ParamValue::Str(_) => "str",
        }
    }

    /// Appends `json.dumps(value)`.
    pub fn write_json(&self, out: &mut String) {
        match self {
            ParamValue::Int(i) => out.push_str(&i.to_string()),
            ParamValue::Float(f) => crate::pyjson::write_float(out, *f),
            ParamValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ParamValue::Str(s) => crate::pyjson::write_str(out, s),
        }
    }

    /// `parseOptions`' guess at a value's type; `None` for values it skips.
    pub fn coerce(name: &str, val: &str) -> Option<ParamValue> {
        let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let float_like = |s: &str| is_digits(&s.replacen('.', "", 1));
        let negative = val.strip_prefix('-');
        if (is_digits(val) || negative.is_some_and(is_digits))
            && !name.to_lowercase().contains("color")
        {
            return Some(match val.parse::<i64>() {
                Ok(i) => ParamValue::Int(i),
                // Python's ints are unbounded; a float keeps the magnitude.
                Err(_) => ParamValue::Float(val.parse::<f64>().unwrap_or(f64::INFINITY)),
            });
        }
        if val.contains('.') && (float_like(val) || negative.is_some_and(float_like)) {
            if let Ok(f) = val.parse::<f64>() {
                return Some(ParamValue::Float(f));
            }
        }
        let lower = val.to_lowercase();
        if lower == "true" || lower == "false" {
            return Some(ParamValue::Bool(lower == "true"));
        }
        if lower == "default" || val.is_empty() {
            return None;
        }
        Some(ParamValue::Str(val.to_owned()))
    }
}

/// `graphOptions` as `parseOptions` builds it for the graph class.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GraphOptions {
    values: IndexMap<String, ParamValue>,
}

impl GraphOptions {
    /// `parseOptions`: width 330 and height 250, `outputFormat` from the request's `format`
    /// (`svg`, `pdf`, otherwise `png`), then every parameter of `customizable` present in
    /// the request (its last value), typed by [`ParamValue::coerce`]. Never fails: wrong
    /// values fail where the graph uses them, as in the reference.
    pub fn parse(params: &Params, customizable: &[&str], format: Option<&str>) -> Self {
        let mut values = IndexMap::new();
        values.insert("width".to_owned(), ParamValue::Int(330));
        values.insert("height".to_owned(), ParamValue::Int(250));
        let output = match format {
            Some("svg") => "svg",
            Some("pdf") => "pdf",
            _ => "png",
        };
        values.insert(
            "outputFormat".to_owned(),
            ParamValue::Str(output.to_owned()),
        );
        for &opt in customizable {
            if let Some(raw) = params.get(opt) {
                if let Some(v) = ParamValue::coerce(opt, raw) {
                    values.insert(opt.to_owned(), v);
                }
            }
        }
        Self { values }
    }

    /// The line graph's options (`Graph.customizable` and `LineGraph.customizable`).
    pub fn parse_line(params: &Params, format: Option<&str>) -> Self {
        let all: Vec<&str> = GRAPH_CUSTOMIZABLE
            .iter()
            .chain(LINE_CUSTOMIZABLE)
            .copied()
            .collect();
        Self::parse(params, &all, format)
    }

    /// Options from explicit typed values (tests, internal callers).
    pub fn from_values<K: Into<String>>(pairs: impl IntoIterator<Item = (K, ParamValue)>) -> Self {
        Self {
            values: pairs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.get(name)
    }

    /// Whether `name` is set (`name in params`).
    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Sets `name` (glyph.py rewrites a few options while drawing).
    pub fn set(&mut self, name: &str, value: ParamValue) {
        self.values.insert(name.to_owned(), value);
    }

    /// Whether `name` is set to a truthy value, `default` when absent
    /// (`params.get(name, default)` in a condition).
    pub fn flag(&self, name: &str, default: bool) -> bool {
        self.get(name).map_or(default, ParamValue::truthy)
    }

    /// The output format (`params.get('outputFormat', 'png').lower()`): `png`, `svg` or
    /// `pdf`; another value makes the reference fail (it has no surface to draw on).
    pub fn output_format(&self) -> Result<String, GraphError> {
        let format = match self.get("outputFormat") {
            Some(v) => v.as_str()?.to_lowercase(),
            None => "png".to_owned(),
        };
        match format.as_str() {
            "png" | "svg" | "pdf" => Ok(format),
            _ => Err(GraphError::new(
                "AttributeError",
                "'LineGraph' object has no attribute 'ctx'",
            )),
        }
    }

    /// The surface size: `int(width)` and `int(height)` (default 200), and for PDF the same
    /// converted from 300 dpi to points, as `setupCairo` does. Sizes cairo rejects (negative
    /// or above 32767) are errors, which also bounds what a backend allocates.
    pub fn image_size(&self) -> Result<(f64, f64), GraphError> {
        let w = self.get("width").map_or(Ok(200), ParamValue::to_int)?;
        let h = self.get("height").map_or(Ok(200), ParamValue::to_int)?;
        if !(0..=32767).contains(&w) || !(0..=32767).contains(&h) {
            return Err(GraphError::new("CairoError", "invalid value for size"));
        }
        if self.output_format()? == "pdf" {
            Ok((w as f64 / 300.0 * 72.0, h as f64 / 300.0 * 72.0))
        } else {
            Ok((w as f64, h as f64))
        }
    }
}

/// `int(text, base)` for Python's accepted spellings: surrounding whitespace, a sign, digits
/// (underscores between digits allowed).
pub(crate) fn py_int_str(text: &str, base: u32) -> Option<i64> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let cleaned: String = digits.chars().filter(|&c| c != '_').collect();
    if !cleaned.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    let v = i64::from_str_radix(&cleaned, base).ok()?;
    Some(if neg { -v } else { v })
}

/// `float(text)`: whitespace, `inf`/`nan`/`infinity` in any case, exponents.
pub(crate) fn py_float_str(text: &str) -> Option<f64> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "inf" | "infinity" | "nan") {
        let neg = lower.starts_with('-');
        let v = if body == "nan" {
            f64::NAN
        } else {
            f64::INFINITY
        };
        return Some(if neg { -v } else { v });
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    t.parse::<f64>().ok()
}

/// Python's `repr()` of a string, as error messages quote it.
pub(crate) fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\'', "\\'"))
    }
}

/// `urllib.parse.unquote_plus`: `+` is a space, `%XX` escapes decode as UTF-8 (invalid
/// sequences become U+FFFD).
pub fn unquote_plus(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => decode_percent(bytes, &mut i, &mut out),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes one `%` at `bytes[*i]`: `%XX` with two hex digits becomes that byte, anything
/// else stays as is.
fn decode_percent(bytes: &[u8], i: &mut usize, out: &mut Vec<u8>) {
    let hex = |b: u8| (b as char).to_digit(16);
    if let (Some(&h), Some(&l)) = (bytes.get(*i + 1), bytes.get(*i + 2)) {
        if let (Some(h), Some(l)) = (hex(h), hex(l)) {
            out.push((h * 16 + l) as u8);
            *i += 3;
            return;
        }
    }
    out.push(b'%');
    *i += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coercion_follows_parse_options() {
        assert_eq!(ParamValue::coerce("width", "12"), Some(ParamValue::Int(12)));
        assert_eq!(
            ParamValue::coerce("width", "-12"),
            Some(ParamValue::Int(-12))
        );
        assert_eq!(
            ParamValue::coerce("bgcolor", "123456"),
            Some(ParamValue::Str("123456".into()))
        );
        assert_eq!(
            ParamValue::coerce("yMin", ".5"),
            Some(ParamValue::Float(0.5))
        );
        assert_eq!(
            ParamValue::coerce("yMin", "-1.5"),
            Some(ParamValue::Float(-1.5))
        );
        assert_eq!(
            ParamValue::coerce("hideLegend", "TRUE"),
            Some(ParamValue::Bool(true))
        );
        assert_eq!(ParamValue::coerce("title", "default"), None);
        assert_eq!(ParamValue::coerce("title", ""), None);
        assert_eq!(
            ParamValue::coerce("yMin", "1e3"),
            Some(ParamValue::Str("1e3".into()))
        );
    }

    #[test]
    fn python_conversions() {
        assert_eq!(ParamValue::Str(" 7 ".into()).to_int().ok(), Some(7));
        assert!(ParamValue::Str("7.5".into()).to_int().is_err());
        assert_eq!(ParamValue::Float(7.9).to_int().ok(), Some(7));
        assert_eq!(
            ParamValue::Str("inf".into()).to_float().ok(),
            Some(f64::INFINITY)
        );
        assert_eq!(unquote_plus("a+b%20c%zz%"), "a b c%zz%");
    }
}
