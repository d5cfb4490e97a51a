//! The text of CPython's `json.dumps(obj)` and `json.dumps(obj, indent=2)` with the default
//! `ensure_ascii=True` and `allow_nan=True`, written incrementally.
//!
//! Without an indent the separators are `", "` and `": "`; with one they are `","` and
//! `": "`, every element starts on a new line indented by `indent * depth` spaces, and an
//! empty container stays `[]` / `{}`. Floats use `repr` (`1.0`, `1e+16`) and NaN/infinities
//! are written `NaN`, `Infinity` and `-Infinity`.

use whisper::pyfmt::{ReprBuffer, PAD3, REPR_MAX};

/// An incremental `json.dumps`, into bytes (the text is ASCII but for what strings add without
/// `ensure_ascii`: valid UTF-8 by construction, so a large body is never validated again).
#[derive(Debug)]
pub(crate) struct JsonWriter {
    out: Vec<u8>,
    indent: Option<usize>,
    /// One entry per open container: whether it has no element yet.
    empty: Vec<bool>,
    /// Whether the text may hold `NaN` or `Infinity` (a non-finite float, or a string with
    /// those letters), so the reference's text substitutions have anything to do.
    may_have_specials: bool,
}

impl JsonWriter {
    /// A writer; `indent` is `json.dumps`'s `indent` argument.
    pub(crate) fn new(indent: Option<usize>) -> Self {
        Self {
            out: Vec::new(),
            indent,
            empty: Vec::new(),
            may_have_specials: false,
        }
    }

    /// A writer whose buffer starts with room for `bytes` bytes.
    pub(crate) fn with_capacity(indent: Option<usize>, bytes: usize) -> Self {
        let mut w = Self::new(indent);
        w.out.reserve(bytes);
        w
    }

    /// Whether [`JsonWriter::finish`]'s text may contain `NaN` or `Infinity`.
    pub(crate) fn may_have_specials(&self) -> bool {
        self.may_have_specials
    }

    /// Whether the layout is `json.dumps`'s default one (no indent).
    pub(crate) fn is_compact(&self) -> bool {
        self.indent.is_none()
    }

    /// Opens a list (`b'['`) or a dict (`b'{'`).
    pub(crate) fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.empty.push(true);
    }

    /// Closes the innermost container with `bracket` (`b']'` or `b'}'`).
    pub(crate) fn close(&mut self, bracket: u8) {
        let was_empty = self.empty.pop().unwrap_or(true);
        if !was_empty {
            self.newline();
        }
        self.out.push(bracket);
    }

    /// Starts the next element of the innermost container (the separator and indentation).
    pub(crate) fn element(&mut self) {
        let first = match self.empty.last_mut() {
            Some(empty) => std::mem::replace(empty, false),
            None => true,
        };
        if !first {
            self.out
                .extend_from_slice(if self.indent.is_some() { b"," } else { b", " });
        }
        self.newline();
    }

    /// Starts the next entry of the innermost dict: the separator and `"key": `.
    pub(crate) fn key(&mut self, key: &str) {
        self.element();
        self.string(key);
        self.out.extend_from_slice(b": ");
    }

    /// A string, escaped as `ensure_ascii=True` does.
    pub(crate) fn string(&mut self, s: &str) {
        if s.contains("NaN") || s.contains("Infinity") {
            self.may_have_specials = true;
        }
        crate::pyjson::write_str_bytes(&mut self.out, s);
    }

    /// A float (`repr`, or `NaN` / `Infinity` / `-Infinity`).
    pub(crate) fn float(&mut self, x: f64) {
        self.float_with(&mut ReprBuffer::new(), x);
    }

    /// [`JsonWriter::float`] with a caller's buffer.
    fn float_with(&mut self, repr: &mut ReprBuffer, x: f64) {
        // Room for the longest text, cut back to what was written.
        let at = self.out.len();
        self.out.extend_from_slice(&[0; REPR_MAX]);
        let len = match self.out[at..].first_chunk_mut::<REPR_MAX>() {
            Some(text) => write_json_float(text, x, repr, &mut self.may_have_specials),
            None => 0,
        };
        self.out.truncate(at + len);
    }

    /// A float or `null`.
    pub(crate) fn opt_float(&mut self, x: Option<f64>) {
        match x {
            Some(x) => self.float(x),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    /// An int.
    pub(crate) fn int(&mut self, i: i128) {
        match i64::try_from(i) {
            Ok(small) => write_i64(&mut self.out, small),
            Err(_) => self.out.extend_from_slice(i.to_string().as_bytes()),
        }
    }

    /// The elements `[value, t]` of a `datapoints` list (the innermost container), without an
    /// indent: what [`JsonWriter::element`], [`JsonWriter::open`], [`JsonWriter::opt_float`]
    /// (or [`JsonWriter::int`] for a value [`super::int_point`] takes as an int when `ints`)
    /// and [`JsonWriter::int`] write, point by point, with `t` from `stamps`, advanced once per
    /// value. With `skip_missing`, `None` and NaN values are left out (their `t` too).
    ///
    /// This is most of a large render, so each point is written in place in one append
    /// (with no memcpy of a text of unknown length).
    pub(crate) fn compact_points(
        &mut self,
        values: impl Iterator<Item = Option<f64>>,
        mut stamps: StampText,
        ints: bool,
        skip_missing: bool,
    ) {
        debug_assert!(self.indent.is_none(), "compact layout only");
        let mut first = self.empty.last().copied().unwrap_or(true);
        let mut repr = ReprBuffer::new();
        for value in values {
            let kept = !skip_missing || matches!(value, Some(x) if !x.is_nan());
            if kept {
                let value = match value {
                    Some(x) if ints => super::int_point(x).map_or(Point::Float(x), Point::Int),
                    Some(x) => Point::Float(x),
                    None => Point::Null,
                };
                // Room for the longest point, cut back to what was written: one capacity
                // check and no memcpy per point.
                let at = self.out.len();
                self.out.extend_from_slice(&[0; POINT_MAX]);
                let len = match self.out[at..].first_chunk_mut::<POINT_MAX>() {
                    Some(point) => write_point(
                        point,
                        first,
                        value,
                        &stamps,
                        &mut repr,
                        &mut self.may_have_specials,
                    ),
                    None => 0,
                };
                self.out.truncate(at + len);
                first = false;
            }
            stamps.advance();
        }
        if let Some(empty) = self.empty.last_mut() {
            *empty = first;
        }
    }

    /// The text written so far.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.out
    }

    fn newline(&mut self) {
        if let Some(indent) = self.indent {
            self.out.push(b'\n');
            let width = indent * self.empty.len();
            self.out.extend(std::iter::repeat_n(b' ', width));
        }
    }
}

/// Room for the longest point: `, [`, an int of 20 characters (or a float of up to
/// [`REPR_MAX`] written as a whole buffer), and the 16 bytes of a [`StampText`] word.
const POINT_MAX: usize = 64;

/// A point's value as the json output writes it.
#[derive(Debug, Clone, Copy)]
enum Point {
    Null,
    Int(i64),
    Float(f64),
}

/// Writes `[value, t]` (after `, ` unless `first`) at the start of `point`; returns the length.
fn write_point(
    point: &mut [u8; POINT_MAX],
    first: bool,
    value: Point,
    stamp: &StampText,
    repr: &mut ReprBuffer,
    may_have_specials: &mut bool,
) -> usize {
    let mut len = if first {
        point[0] = b'[';
        1
    } else {
        point[..3].copy_from_slice(b", [");
        3
    };
    let rest = &mut point[len..];
    len += match value {
        Point::Null => put(rest, b"null"),
        Point::Int(i) => put_int(rest, i),
        Point::Float(x) => match rest.first_chunk_mut::<REPR_MAX>() {
            Some(text) => write_json_float(text, x, repr, may_have_specials),
            None => 0,
        },
    };
    let (word, word_len) = stamp.word();
    put(&mut point[len..], &word);
    len + word_len
}

/// A float as `json.dumps` writes it (`repr`, or `NaN` / `Infinity` / `-Infinity`, noted in
/// `may_have_specials`) at the start of `text`; returns the length.
fn write_json_float(
    text: &mut [u8; REPR_MAX],
    x: f64,
    repr: &mut ReprBuffer,
    may_have_specials: &mut bool,
) -> usize {
    if x.is_finite() {
        return repr.write_to(x, text);
    }
    *may_have_specials = true;
    let special: &[u8] = if x.is_nan() {
        b"NaN"
    } else if x > 0.0 {
        b"Infinity"
    } else {
        b"-Infinity"
    };
    put(text, special)
}

/// Copies `bytes` to the start of `text` (whole, or not at all when it does not fit); returns
/// `bytes.len()`.
fn put(text: &mut [u8], bytes: &[u8]) -> usize {
    if let Some(slot) = text.get_mut(..bytes.len()) {
        slot.copy_from_slice(bytes);
    }
    bytes.len()
}

/// Writes `i` in decimal at the start of `text`; returns the length.
fn put_int(text: &mut [u8], i: i64) -> usize {
    let mut n = i.unsigned_abs();
    let digits = n.checked_ilog10().map_or(1, |d| d as usize + 1);
    let sign = usize::from(i < 0);
    let len = sign + digits;
    if let Some(text) = text.get_mut(..len) {
        text[0] = b'-';
        for slot in text[sign..].iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
    len
}

/// The text `, t]` that ends a `[value, t]` point, for the timestamps `t = start, start + step,
/// ...` between 10^6 and 10^12 (epoch seconds from 1970-01-12 to year 33658): `, ` and the
/// digits above the last six are kept as text and change only when those six carry over; the
/// last six come from a table of three-digit groups.
#[derive(Debug, Clone)]
pub(crate) struct StampText {
    value: i64,
    step: i64,
    /// `value`'s last six digits.
    low: u64,
    /// `, ` and the digits before the last six, first byte lowest (`, 1699` for 1699920060).
    prefix: u64,
    prefix_len: usize,
}

/// Below this the timestamp has no digit before the last six (which would need no padding).
const STAMP_MIN: i64 = 1_000_000;
/// From this on the digits before the last six do not fit the prefix with `, `.
const STAMP_LIMIT: i64 = 1_000_000_000_000;

impl StampText {
    /// The text for `start`, for timestamps up to `last`; `None` unless `step > 0` and
    /// `10^6 <= start <= last < 10^12`.
    pub(crate) fn new(start: i64, step: i64, last: i64) -> Option<Self> {
        if step <= 0 || start < STAMP_MIN || last < start || last >= STAMP_LIMIT {
            return None;
        }
        let mut stamp = Self {
            value: start,
            step,
            low: 0,
            prefix: 0,
            prefix_len: 0,
        };
        stamp.split();
        Some(stamp)
    }

    /// `, t]` for the current timestamp: the first `len` bytes of the word, zeros after (one
    /// store of the whole word is cheaper than a copy of `len` bytes, a call to memcpy).
    pub(crate) fn word(&self) -> ([u8; 16], usize) {
        let high_group = u128::from(PAD3[(self.low / 1000) as usize]);
        let low_group = u128::from(PAD3[(self.low % 1000) as usize] | (u32::from(b']') << 24));
        let shift = 8 * self.prefix_len;
        let text = u128::from(self.prefix) | (high_group << shift) | (low_group << (shift + 24));
        (text.to_le_bytes(), self.prefix_len + 7)
    }

    /// Moves to the next timestamp (which may be past the `last` given to
    /// [`StampText::new`], when nothing more is written).
    pub(crate) fn advance(&mut self) {
        self.value = self.value.saturating_add(self.step);
        self.low += self.step as u64;
        if self.low >= 1_000_000 {
            self.split();
        }
    }

    /// Sets `low` and `prefix` from `value`.
    fn split(&mut self) {
        // Past the limit (after the last timestamp) the prefix is cut; never written.
        let value = self.value.clamp(0, STAMP_LIMIT - 1) as u64;
        self.low = value % 1_000_000;
        let mut high = value / 1_000_000;
        let mut digits = [0u8; 6];
        let mut len = 0;
        while high > 0 && len < digits.len() {
            digits[len] = b'0' + (high % 10) as u8;
            high /= 10;
            len += 1;
        }
        let mut prefix = [0u8; 8];
        prefix[..2].copy_from_slice(b", ");
        for (slot, digit) in prefix[2..].iter_mut().zip(digits[..len].iter().rev()) {
            *slot = *digit;
        }
        self.prefix = u64::from_le_bytes(prefix);
        self.prefix_len = 2 + len;
    }
}

/// Appends an integer in decimal without going through `core::fmt` (timestamps are most of a
/// large render's integers).
pub(crate) fn write_i64(out: &mut Vec<u8>, i: i64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut n = i.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

/// `json.dumps(list_of_strings)` (default separators).
pub(crate) fn string_list(items: &[&str]) -> String {
    let mut w = JsonWriter::new(None);
    w.open(b'[');
    for item in items {
        w.element();
        w.string(item);
    }
    w.close(b']');
    into_string(w.finish())
}

/// The writer's bytes as a `String` (they are UTF-8 by construction; checked here, where the
/// text is small).
pub(crate) fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(indent: Option<usize>) -> String {
        let mut w = JsonWriter::new(indent);
        w.open(b'[');
        w.element();
        w.open(b'{');
        w.key("a");
        w.open(b'[');
        w.element();
        w.float(1.0);
        w.element();
        w.int(-3);
        w.close(b']');
        w.key("e");
        w.open(b'{');
        w.close(b'}');
        w.key("l");
        w.open(b'[');
        w.close(b']');
        w.close(b'}');
        w.element();
        w.opt_float(None);
        w.close(b']');
        into_string(w.finish())
    }

    #[test]
    fn stamp_text_counts_in_decimal() {
        for (start, step) in [
            (1_000_000, 1),
            (1_999_990, 3),
            (1_699_920_060, 60),
            (999_999_999, 1),
            (9_999_940, 7),
            (1_000_000, 999_999),
            (5_000_000, 1_000_000),
            (1_000_000, 86_400 * 365),
            (999_990_000_000, 10_000_000),
        ] {
            let mut stamp = StampText::new(start, step, 999_999_999_999).expect("in range");
            let mut t = start;
            while t < 1_000_000_000_000 && t < start + 5000 * step {
                let (word, len) = stamp.word();
                assert_eq!(
                    String::from_utf8_lossy(&word[..len]),
                    format!(", {t}]"),
                    "start {start} step {step}"
                );
                assert!(word[len..].iter().all(|&b| b == 0));
                stamp.advance();
                t += step;
            }
        }
        assert!(StampText::new(999_999, 1, 2_000_000).is_none());
        assert!(StampText::new(1_000_000, 0, 2_000_000).is_none());
        assert!(StampText::new(1_000_000, 1, 1_000_000_000_000).is_none());
    }

    #[test]
    fn compact_and_indented_layouts() {
        assert_eq!(
            sample(None),
            r#"[{"a": [1.0, -3], "e": {}, "l": []}, null]"#
        );
        assert_eq!(
            sample(Some(2)),
            "[\n  {\n    \"a\": [\n      1.0,\n      -3\n    ],\n    \"e\": {},\n    \"l\": []\n  },\n  null\n]"
        );
    }

    #[test]
    fn ascii_escaping() {
        let mut s = Vec::new();
        crate::pyjson::write_str_bytes(&mut s, "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{7f}é日😀~");
        assert_eq!(
            into_string(s),
            r#""a\"b\\c\n\r\t\b\f\u0001\u007f\u00e9\u65e5\ud83d\ude00~""#
        );
    }

    #[test]
    fn floats() {
        let mut w = JsonWriter::new(None);
        w.open(b'[');
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e16, 0.1, -0.0] {
            w.element();
            w.float(x);
        }
        w.close(b']');
        assert!(w.may_have_specials());
        assert_eq!(
            into_string(w.finish()),
            "[NaN, Infinity, -Infinity, 1e+16, 0.1, -0.0]"
        );
    }
}
