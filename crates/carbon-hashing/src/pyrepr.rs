//! Python's `repr()` of a `str` and of a `(server, instance)` tuple, as CPython 3.11 writes
//! them: the carbon_ch ring hashes `"%s:%d" % ((server, instance), i)`, so the replica keys
//! depend on the exact quoting and escaping rules.

use crate::nonprintable::NON_PRINTABLE;

/// Python's `repr(s)` of a `str`: single quotes unless the text has a single quote and no
/// double quote; backslash, the quote, `\t`, `\n` and `\r` escaped; other non-printable
/// characters as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
pub fn py_str_repr(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_str_repr(&mut out, s);
    out
}

/// Python's `str((server, instance))`: `('host', 'a')`, or `('host', None)` without an
/// instance.
pub fn py_node_repr(server: &str, instance: Option<&str>) -> String {
    let mut out = String::with_capacity(server.len() + instance.map_or(4, str::len) + 8);
    out.push('(');
    write_str_repr(&mut out, server);
    out.push_str(", ");
    match instance {
        Some(i) => write_str_repr(&mut out, i),
        None => out.push_str("None"),
    }
    out.push(')');
    out
}

fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x7f => out.push(c),
            c if is_printable(c) => out.push(c),
            c => {
                let code = c as u32;
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02x}"));
                } else if code <= 0xffff {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
        }
    }
    out.push(quote);
}

/// `str.isprintable()` of one non-ASCII character.
fn is_printable(c: char) -> bool {
    let code = c as u32;
    // The last range that starts at or before `code`.
    let after = NON_PRINTABLE.partition_point(|&(start, _)| start <= code);
    after == 0 || NON_PRINTABLE[after - 1].1 < code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_escapes() {
        assert_eq!(py_str_repr("127.0.0.1"), "'127.0.0.1'");
        assert_eq!(py_str_repr("it's"), "\"it's\"");
        assert_eq!(py_str_repr("it's \"x\""), "'it\\'s \"x\"'");
        assert_eq!(
            py_str_repr("a\\b\t\n\r\x01\x7f"),
            "'a\\\\b\\t\\n\\r\\x01\\x7f'"
        );
        assert_eq!(
            py_str_repr("é\u{a0}\u{2028}\u{e000}\u{10ffff}"),
            "'é\\xa0\\u2028\\ue000\\U0010ffff'"
        );
        assert_eq!(py_node_repr("::1", None), "('::1', None)");
        assert_eq!(py_node_repr("h", Some("a")), "('h', 'a')");
    }
}
