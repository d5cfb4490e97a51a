//! Python 3.11 text rules the receivers depend on: `str.isspace`, `str.splitlines` line breaks,
//! `float()` of a `str` or `bytes`, and `repr()` of a float.
//!
//! The Unicode tables are those of CPython 3.11 (Unicode 14.0), generated from the reference
//! interpreter with `unicodedata`.

/// `str.isspace()` for one character (what `str.split()` and `str.strip()` split on).
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\x1c'..='\x1f'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// The first code point of each run of ten Unicode decimal digits (category Nd), 0 to 9.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
    0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
    0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The value of a Unicode decimal digit (`unicodedata.decimal`), which `float()` accepts.
fn decimal_value(c: char) -> Option<u8> {
    let cp = c as u32;
    let i = DIGIT_ZEROS.partition_point(|&z| z <= cp);
    let zero = *DIGIT_ZEROS.get(i.checked_sub(1)?)?;
    // Runs never overlap, so the run starting at or below `cp` is the only candidate.
    u8::try_from(cp - zero).ok().filter(|&d| d < 10)
}

/// `float(s)` for a Python `str`: surrounding whitespace, `_` between digits, Unicode decimal
/// digits, `inf`/`infinity`/`nan` in any case, and a decimal that overflows becomes ±inf.
pub(crate) fn float_from_str(s: &str) -> Option<f64> {
    // \x1c-\x1f are Python whitespace but not ASCII whitespace, so they take the slow path.
    if s.bytes()
        .all(|b| b.is_ascii() && !(0x1c..=0x1f).contains(&b))
    {
        return float_from_ascii(s.as_bytes());
    }
    // CPython maps Unicode spaces to ' ' and decimal digits to ASCII first; any other
    // non-ASCII character makes the string invalid.
    let mut ascii = Vec::with_capacity(s.len());
    for c in s.chars() {
        if is_space(c) {
            ascii.push(b' ');
        } else if c.is_ascii() {
            ascii.push(c as u8);
        } else {
            ascii.push(b'0' + decimal_value(c)?);
        }
    }
    float_from_ascii(&ascii)
}

/// `float(b)` for Python `bytes`: as for `str` but ASCII only.
pub(crate) fn float_from_bytes(b: &[u8]) -> Option<f64> {
    float_from_ascii(b)
}

fn float_from_ascii(b: &[u8]) -> Option<f64> {
    let b = b.trim_ascii();
    if b.is_empty() {
        return None;
    }
    if !b.contains(&b'_') {
        return parse_plain(b);
    }
    // An underscore is allowed only between two digits.
    let mut clean = Vec::with_capacity(b.len());
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let prev = i.checked_sub(1).map(|j| b[j]);
            let next = b.get(i + 1);
            if !prev.is_some_and(|p| p.is_ascii_digit()) || !next.is_some_and(u8::is_ascii_digit) {
                return None;
            }
        } else {
            clean.push(c);
        }
    }
    parse_plain(&clean)
}

/// A float literal with no whitespace and no underscores (Python's and Rust's grammars agree
/// on these: sign, digits with an optional point, exponent, `inf`, `infinity`, `nan`).
fn parse_plain(b: &[u8]) -> Option<f64> {
    // Rust's parser also takes these; Python's does not.
    if b.iter()
        .any(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
    {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// The `FLOAT` opcode's argument (`PyOS_string_to_double`): no whitespace, no underscores, and
/// a decimal that overflows is an error (`Err(())`) rather than inf.
pub(crate) fn float_strict(b: &[u8]) -> Result<Option<f64>, ()> {
    if b.contains(&b'_') || b.iter().any(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let Some(x) = parse_plain(b) else {
        return Ok(None);
    };
    let named = b.iter().any(|c| matches!(c, b'i' | b'I' | b'n' | b'N'));
    if x.is_infinite() && !named {
        return Err(());
    }
    Ok(Some(x))
}

/// The line breaks of `str.splitlines()`, as UTF-8 byte sequences, longest first where one is
/// a prefix of another (`\r\n` before `\r`).
pub(crate) fn line_break_len(b: &[u8]) -> Option<usize> {
    match b {
        [b'\r', b'\n', ..] => Some(2),
        [b'\n' | b'\r' | b'\x0b' | b'\x0c' | b'\x1c' | b'\x1d' | b'\x1e', ..] => Some(1),
        [0xc2, 0x85, ..] => Some(2),
        [0xe2, 0x80, 0xa8 | 0xa9, ..] => Some(3),
        _ => None,
    }
}

/// `repr(x)` of a Python float: the shortest round-trip digits, positional notation for
/// exponents -4..16, otherwise `1e+16` style.
pub(crate) fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point as usize;
            if digits.len() <= point {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_grammar() {
        let good: &[(&str, f64)] = &[
            ("1", 1.0),
            (" 1.5\n", 1.5),
            ("-.5", -0.5),
            ("+5.", 5.0),
            ("1e3", 1000.0),
            ("1E-2", 0.01),
            ("1_000.000_5", 1000.0005),
            ("1e1_0", 1e10),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("1e400", f64::INFINITY),
            ("\u{661}\u{662}", 12.0),
            ("\u{ff11}.5", 1.5),
            ("\u{2003}7\u{3000}", 7.0),
            ("\x1c7", 7.0),
        ];
        for &(s, want) in good {
            assert_eq!(float_from_str(s), Some(want), "{s:?}");
        }
        assert!(float_from_str("nan").unwrap().is_nan());
        assert!(float_from_str("-NaN").unwrap().is_nan());
        let bad = [
            "", " ", "_1", "1_", "1__0", "1_.5", "1._5", "1e_5", "e5", ".", "1e", "0x10", "1,5",
            "in f", "nan1", "infinit", "1 2", "\u{b2}", "1\u{0}", "++1", "1.5.", "--1",
        ];
        for s in bad {
            assert_eq!(float_from_str(s), None, "{s:?}");
        }
        assert_eq!(float_from_bytes(b" 2.5 "), Some(2.5));
        assert_eq!(float_from_bytes(b"\x1c2"), None);
        assert_eq!(float_strict(b"1e400"), Err(()));
        assert_eq!(float_strict(b" 1"), Ok(None));
        assert_eq!(float_strict(b"-inf"), Ok(Some(f64::NEG_INFINITY)));
    }

    #[test]
    fn reprs() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1.7e308, "1.7e+308"),
            (123.456, "123.456"),
            (f64::NAN, "nan"),
        ];
        for &(x, want) in cases {
            assert_eq!(float_repr(x), want);
        }
    }

    #[test]
    fn digits_and_spaces() {
        assert_eq!(decimal_value('7'), Some(7));
        assert_eq!(decimal_value('\u{1fbf9}'), Some(9));
        assert_eq!(decimal_value('\u{1fbfa}'), None);
        assert_eq!(decimal_value('a'), None);
        assert!(is_space('\u{1f}') && is_space('\u{3000}') && !is_space('\u{200b}'));
    }
}
