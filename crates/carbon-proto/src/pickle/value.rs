//! The plain Python values a safe pickle can hold.

use crate::python;

/// A plain Python value. Containers keep Python's order; dicts keep every pair in insertion
/// order (see [`Value::get`] for how duplicate keys resolve).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An `int` that fits in 64 bits.
    Int(i64),
    /// An `int` outside the 64-bit range, as its decimal digits with an optional leading `-`
    /// (no leading zeros). At most a few thousand digits are ever produced (see
    /// [`PickleError::IntTooLarge`](super::PickleError::IntTooLarge)).
    BigInt(String),
    /// A `float`.
    Float(f64),
    /// A `str` (also a Python 2 `str`, decoded as UTF-8 as carbon's unpickler does).
    Str(String),
    /// `bytes` (protocol 3 and later).
    Bytes(Vec<u8>),
    /// A `list`.
    List(Vec<Value>),
    /// A `tuple`.
    Tuple(Vec<Value>),
    /// A `dict`, as its (key, value) pairs in insertion order.
    Dict(Vec<(Value, Value)>),
    /// A `set` (protocol 4 `EMPTY_SET`/`ADDITEMS`), in pickled order.
    Set(Vec<Value>),
    /// A `frozenset` (protocol 4 `FROZENSET`), in pickled order.
    FrozenSet(Vec<Value>),
}

impl Value {
    /// The string if this is a `str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `d[key]` for a dict with `str` keys: the value of the last pair whose key is the `str`
    /// `key` (the pair Python's dict would have kept). `None` if this is not a dict or the key
    /// is absent.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(pairs) => pairs
                .iter()
                .rev()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Python's type name (`'int'`, `'str'`, ...), for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
        }
    }

    /// Python's `str(value)`: the string itself for a `str`, else [`Value::py_repr`].
    pub fn py_str(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr(value)`. Exact for numbers, `None`, booleans, bytes and ASCII-printable
    /// strings; other characters in strings are shown as they are (Python escapes the
    /// non-printable ones).
    pub fn py_repr(&self) -> String {
        let mut out = String::new();
        self.write_repr(&mut out);
        out
    }

    fn write_repr(&self, out: &mut String) {
        fn seq(out: &mut String, items: &[Value], open: &str, close: &str, one_comma: bool) {
            out.push_str(open);
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                v.write_repr(out);
            }
            if one_comma && items.len() == 1 {
                out.push(',');
            }
            out.push_str(close);
        }
        match self {
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::BigInt(s) => out.push_str(s),
            Value::Float(f) => out.push_str(&python::float_repr(*f)),
            Value::Str(s) => {
                let quote = if s.contains('\'') && !s.contains('"') {
                    '"'
                } else {
                    '\''
                };
                out.push(quote);
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if c == quote => {
                            out.push('\\');
                            out.push(c);
                        }
                        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                            out.push_str(&format!("\\x{:02x}", c as u32));
                        }
                        c => out.push(c),
                    }
                }
                out.push(quote);
            }
            Value::Bytes(b) => {
                let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
                    '"'
                } else {
                    '\''
                };
                out.push('b');
                out.push(quote);
                for &c in b {
                    match c {
                        b'\\' => out.push_str("\\\\"),
                        b'\n' => out.push_str("\\n"),
                        b'\r' => out.push_str("\\r"),
                        b'\t' => out.push_str("\\t"),
                        c if c as char == quote => {
                            out.push('\\');
                            out.push(c as char);
                        }
                        0x20..=0x7e => out.push(c as char),
                        c => out.push_str(&format!("\\x{c:02x}")),
                    }
                }
                out.push(quote);
            }
            Value::List(items) => seq(out, items, "[", "]", false),
            Value::Tuple(items) => seq(out, items, "(", ")", true),
            Value::Set(items) if items.is_empty() => out.push_str("set()"),
            Value::Set(items) => seq(out, items, "{", "}", false),
            Value::FrozenSet(items) if items.is_empty() => out.push_str("frozenset()"),
            Value::FrozenSet(items) => seq(out, items, "frozenset({", "})", false),
            Value::Dict(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_repr(out);
                    out.push_str(": ");
                    v.write_repr(out);
                }
                out.push('}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reprs_and_lookup() {
        let v = Value::Dict(vec![
            (Value::Str("a".into()), Value::Int(1)),
            (Value::Bytes(b"a".to_vec()), Value::Int(2)),
            (
                Value::Str("a".into()),
                Value::Tuple(vec![Value::Float(1.5)]),
            ),
        ]);
        assert_eq!(v.get("a"), Some(&Value::Tuple(vec![Value::Float(1.5)])));
        assert_eq!(v.get("b"), None);
        assert_eq!(v.py_repr(), "{'a': 1, b'a': 2, 'a': (1.5,)}");
        assert_eq!(Value::Str("it's".into()).py_repr(), "\"it's\"");
        assert_eq!(Value::Set(vec![]).py_repr(), "set()");
        assert_eq!(Value::Str("x".into()).py_str(), "x");
        assert_eq!(Value::None.py_str(), "None");
        assert_eq!(Value::Bytes(b"\x00'".to_vec()).py_repr(), "b\"\\x00'\"");
    }
}
