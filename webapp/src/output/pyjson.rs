//! The text of CPython's `json.dumps(obj)` and `json.dumps(obj, indent=2)` with the default
//! `ensure_ascii=True` and `allow_nan=True`, written incrementally.
//!
//! Without an indent the separators are `", "` and `": "`; with one they are `","` and
//! `": "`, every element starts on a new line indented by `indent * depth` spaces, and an
//! empty container stays `[]` / `{}`. Floats use `repr` (`1.0`, `1e+16`) and NaN/infinities
//! are written `NaN`, `Infinity` and `-Infinity`.

use std::fmt::Write as _;

/// An incremental `json.dumps`.
#[derive(Debug)]
pub(crate) struct JsonWriter {
    out: String,
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
            out: String::new(),
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

    /// Opens a list (`[`) or a dict (`{`).
    pub(crate) fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        self.empty.push(true);
    }

    /// Closes the innermost container with `bracket` (`]` or `}`).
    pub(crate) fn close(&mut self, bracket: char) {
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
                .push_str(if self.indent.is_some() { "," } else { ", " });
        }
        self.newline();
    }

    /// Starts the next entry of the innermost dict: the separator and `"key": `.
    pub(crate) fn key(&mut self, key: &str) {
        self.element();
        self.string(key);
        self.out.push_str(": ");
    }

    /// A string, escaped as `ensure_ascii=True` does.
    pub(crate) fn string(&mut self, s: &str) {
        if s.contains("NaN") || s.contains("Infinity") {
            self.may_have_specials = true;
        }
        write_string(&mut self.out, s);
    }

    /// A float (`repr`, or `NaN` / `Infinity` / `-Infinity`).
    pub(crate) fn float(&mut self, x: f64) {
        if !x.is_finite() {
            self.may_have_specials = true;
        }
        write_float(&mut self.out, x);
    }

    /// A float or `null`.
    pub(crate) fn opt_float(&mut self, x: Option<f64>) {
        match x {
            Some(x) => self.float(x),
            None => self.out.push_str("null"),
        }
    }

    /// An int.
    pub(crate) fn int(&mut self, i: i128) {
        match i64::try_from(i) {
            Ok(small) => write_i64(&mut self.out, small),
            Err(_) => {
                let _ = write!(self.out, "{i}");
            }
        }
    }

    /// The text written so far.
    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn newline(&mut self) {
        if let Some(indent) = self.indent {
            self.out.push('\n');
            let width = indent * self.empty.len();
            self.out.extend(std::iter::repeat_n(' ', width));
        }
    }
}

/// Appends `s` as a JSON string literal with `ensure_ascii=True` escaping: `"` and `\`,
/// `\b \f \n \r \t`, every other character outside `' '..='~'` as `\uxxxx` (lowercase hex,
/// surrogate pairs above U+FFFF).
pub(crate) fn write_string(out: &mut String, s: &str) {
    crate::pyjson::write_str(out, s);
}

/// Appends an integer in decimal without going through `core::fmt` (timestamps are most of a
/// large render's integers).
pub(crate) fn write_i64(out: &mut String, i: i64) {
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
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
}

/// Appends a float as `json.dumps` writes it.
pub(crate) fn write_float(out: &mut String, x: f64) {
    crate::pyjson::write_float(out, x);
}

/// `json.dumps(list_of_strings)` (default separators).
pub(crate) fn string_list(items: &[&str]) -> String {
    let mut w = JsonWriter::new(None);
    w.open('[');
    for item in items {
        w.element();
        w.string(item);
    }
    w.close(']');
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(indent: Option<usize>) -> String {
        let mut w = JsonWriter::new(indent);
        w.open('[');
        w.element();
        w.open('{');
        w.key("a");
        w.open('[');
        w.element();
        w.float(1.0);
        w.element();
        w.int(-3);
        w.close(']');
        w.key("e");
        w.open('{');
        w.close('}');
        w.key("l");
        w.open('[');
        w.close(']');
        w.close('}');
        w.element();
        w.opt_float(None);
        w.close(']');
        w.finish()
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
        let mut s = String::new();
        write_string(&mut s, "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{7f}é日😀~");
        assert_eq!(
            s,
            r#""a\"b\\c\n\r\t\b\f\u0001\u007f\u00e9\u65e5\ud83d\ude00~""#
        );
    }

    #[test]
    fn floats() {
        let mut s = String::new();
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e16, 0.1, -0.0] {
            write_float(&mut s, x);
            s.push(' ');
        }
        assert_eq!(s, "NaN Infinity -Infinity 1e+16 0.1 -0.0 ");
    }
}
