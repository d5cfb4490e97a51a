//! Python's `json.dumps` output, byte for byte: `ensure_ascii` escaping, `", "` and `": "`
//! separators (or `indent=2` with `","` line ends), `sort_keys`, `repr()` floats, and
//! `NaN`/`Infinity`/`-Infinity` for non-finite floats (the views post-process those).
//!
//! Values are `serde_json::Value`s built with `preserve_order`, so objects keep insertion
//! order like Python dicts. Non-finite floats cannot live in a `serde_json::Value`; callers
//! that need them write them with [`write_float`].

use serde_json::Value;

/// `json.dumps(value, indent=indent, sort_keys=sort_keys)`.
pub fn dumps(value: &Value, indent: Option<usize>, sort_keys: bool) -> String {
    let mut out = String::new();
    write_value(&mut out, value, indent, sort_keys, 0);
    out
}

/// Appends one value.
pub fn write_value(
    out: &mut String,
    value: &Value,
    indent: Option<usize>,
    sort_keys: bool,
    level: usize,
) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                write_float(out, n.as_f64().unwrap_or(f64::NAN));
            }
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i, indent, level + 1);
                write_value(out, item, indent, sort_keys, level + 1);
            }
            close(out, ']', indent, level);
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if sort_keys {
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            for (i, (k, v)) in entries.into_iter().enumerate() {
                separator(out, i, indent, level + 1);
                write_str(out, k);
                out.push_str(": ");
                write_value(out, v, indent, sort_keys, level + 1);
            }
            close(out, '}', indent, level);
        }
    }
}

fn separator(out: &mut String, index: usize, indent: Option<usize>, level: usize) {
    match indent {
        Some(width) => {
            if index > 0 {
                out.push(',');
            }
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', width * level));
        }
        None => {
            if index > 0 {
                out.push_str(", ");
            }
        }
    }
}

fn close(out: &mut String, bracket: char, indent: Option<usize>, level: usize) {
    if let Some(width) = indent {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', width * level));
    }
    out.push(bracket);
}

/// A float as `json.dumps` writes it: `repr()`, or `NaN` / `Infinity` / `-Infinity`.
pub fn write_float(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("NaN");
    } else if x == f64::INFINITY {
        out.push_str("Infinity");
    } else if x == f64::NEG_INFINITY {
        out.push_str("-Infinity");
    } else {
        whisper::pyfmt::write_float_repr(out, x);
    }
}

/// A string with `ensure_ascii=True` escaping.
pub fn write_str(out: &mut String, s: &str) {
    escape_str(out, s, true);
}

/// [`write_str`] appended to a byte buffer (a large body kept as bytes, so that its text is
/// not validated as UTF-8 again: it is by construction).
pub fn write_str_bytes(out: &mut Vec<u8>, s: &str) {
    escape_str(out, s, true);
}

/// A JSON string as Python's encoder writes it, with (`ascii`) or without `ensure_ascii`.
pub fn write_str_ascii(out: &mut String, s: &str, ascii: bool) {
    escape_str(out, s, ascii);
}

/// What the escaping appends to: a `String`, or the bytes of a body.
trait TextOut {
    fn push_text(&mut self, s: &str);
}

impl TextOut for String {
    fn push_text(&mut self, s: &str) {
        self.push_str(s);
    }
}

impl TextOut for Vec<u8> {
    fn push_text(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

fn escape_str(out: &mut impl TextOut, s: &str, ascii: bool) {
    out.push_text("\"");
    let mut rest = s;
    while !rest.is_empty() {
        // Copy the run of bytes that need no escaping in one go. It always ends on a
        // character boundary: at an ASCII byte, or (with `ascii`) at a character's first byte
        // after ASCII ones.
        let plain = rest
            .bytes()
            .take_while(|&b| b >= 0x20 && b != b'"' && b != b'\\' && (!ascii || b < 0x7f))
            .count();
        out.push_text(&rest[..plain]);
        rest = &rest[plain..];
        let Some(c) = rest.chars().next() else { break };
        match c {
            '"' => out.push_text("\\\""),
            '\\' => out.push_text("\\\\"),
            '\n' => out.push_text("\\n"),
            '\r' => out.push_text("\\r"),
            '\t' => out.push_text("\\t"),
            '\u{8}' => out.push_text("\\b"),
            '\u{c}' => out.push_text("\\f"),
            c if (c as u32) < 0x20 || (ascii && (c as u32) > 0x7e) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let hex = |shift: u16| b"0123456789abcdef"[usize::from((*unit >> shift) & 15)];
                    let escape = [b'\\', b'u', hex(12), hex(8), hex(4), hex(0)];
                    out.push_text(std::str::from_utf8(&escape).unwrap_or_default());
                }
            }
            c => out.push_text(c.encode_utf8(&mut [0; 4])),
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push_text("\"");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_layout() {
        let v = json!({"b": [1, 2.5, null, true], "a": "é\u{1F600}\"", "c": {}});
        assert_eq!(
            dumps(&v, None, false),
            r#"{"b": [1, 2.5, null, true], "a": "\u00e9\ud83d\ude00\"", "c": {}}"#
        );
        assert_eq!(
            dumps(&v, Some(2), true),
            "{\n  \"a\": \"\\u00e9\\ud83d\\ude00\\\"\",\n  \"b\": [\n    1,\n    2.5,\n    null,\n    true\n  ],\n  \"c\": {}\n}"
        );
        assert_eq!(dumps(&json!(1e16), None, false), "1e+16");
        assert_eq!(dumps(&json!(0.00001), None, false), "1e-05");
        assert_eq!(dumps(&json!("\u{7f}"), None, false), "\"\\u007f\"");
    }
}
