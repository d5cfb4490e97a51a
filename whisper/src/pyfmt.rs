//! Python's float formatting, for tool output that scripts parse: `repr(x)` (what `str()`,
//! `print` of a list and `json.dumps` show), `'%f' % x` and `'%.Ng' % x`.
//!
//! Rust's `{:e}` gives the shortest round-trip digits and `{:.Ne}` correctly rounded ones, the
//! same digits Python computes; only the layout rules differ, and they are reproduced here.

/// Sign, decimal digits (no leading zeros) and decimal exponent of the first digit, from Rust's
/// `{:e}`-style output such as `-1.25e-7`.
fn split_sci(s: &str) -> (bool, String, i32) {
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mantissa, exp) = s.split_once('e').expect("scientific notation");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    (negative, digits, exp.parse().expect("exponent"))
}

fn special(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("nan")
    } else if x == f64::INFINITY {
        Some("inf")
    } else if x == f64::NEG_INFINITY {
        Some("-inf")
    } else {
        None
    }
}

/// Places a decimal point in `digits` whose first digit has exponent `exp`.
fn fixed_from_digits(digits: &str, exp: i32) -> String {
    if exp < 0 {
        format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else if (exp as usize) + 1 >= digits.len() {
        format!("{digits}{}", "0".repeat(exp as usize + 1 - digits.len()))
    } else {
        let (int, frac) = digits.split_at(exp as usize + 1);
        format!("{int}.{frac}")
    }
}

fn exponent_suffix(exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("e{sign}{:02}", exp.abs())
}

/// `repr(x)`: `1.0`, `0.1`, `1e-05`, `1e+16`, `inf`, `nan`.
pub fn float_repr(x: f64) -> String {
    let mut out = String::with_capacity(24);
    write_float_repr(&mut out, x);
    out
}

/// Appends `repr(x)` to `out` without allocating (the hot path of the webapp's outputs).
pub fn write_float_repr(out: &mut String, x: f64) {
    use std::fmt::Write as _;
    if let Some(s) = special(x) {
        out.push_str(s);
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let x = x.abs();
    // Integral values below 2^53 are common (counters, whole-number samples): their repr is
    // the integer followed by `.0` while the decimal point is before the 17th digit.
    if x.fract() == 0.0 && x < 1e16 {
        let mut n = x as u64;
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or_default());
        out.push_str(".0");
        return;
    }
    // Shortest round-trip digits (the digits Python's repr uses) and the decimal exponent of
    // the first one, read off ryu's rendering (`1.5e-7`, `1e16`, `123.45`, `0.0001`).
    let mut ryu_buf = ryu::Buffer::new();
    let rendered = ryu_buf.format_finite(x);
    // ryu writes fixed notation exactly as repr does while the decimal point is within 16
    // digits, except that it keeps `0.0000ddd` one place further down than repr (which writes
    // `d.dde-05` below 1e-4).
    if x >= 1e-4 && !rendered.contains('e') {
        out.push_str(rendered);
        return;
    }
    let text = rendered.as_bytes();
    let e_at = text.iter().position(|&b| b == b'e').unwrap_or(text.len());
    let mantissa = &text[..e_at];
    let explicit_exp: i32 = if e_at < text.len() {
        std::str::from_utf8(&text[e_at + 1..])
            .ok()
            .and_then(|e| e.parse().ok())
            .unwrap_or(0)
    } else {
        0
    };
    let point = mantissa
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = [0u8; 24];
    let mut n = 0;
    let mut first_at: Option<usize> = None; // index in mantissa of the first nonzero digit
    for (i, &b) in mantissa.iter().enumerate() {
        if b == b'.' || (first_at.is_none() && b == b'0') {
            continue;
        }
        first_at.get_or_insert(i);
        if n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    // Trailing zeros are not significant digits (`100.0` is the digit 1).
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let Some(first_at) = first_at else {
        out.push_str("0.0");
        return;
    };
    let first_exp = if first_at < point {
        (point - first_at - 1) as i32
    } else {
        -((first_at - point) as i32)
    };
    let exp = first_exp + explicit_exp;
    let digits = &digits[..n];
    // The digits are ASCII, so this never fails (and checking is cheaper than a char loop).
    let push = |out: &mut String, bytes: &[u8]| {
        out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
    };
    // Python switches to exponent notation when decpt = exp + 1 is <= -4 or > 16.
    if !(-4..16).contains(&exp) {
        push(out, &digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            push(out, &digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        push(out, digits);
    } else if (exp as usize) + 1 >= digits.len() {
        push(out, digits);
        for _ in 0..(exp as usize + 1 - digits.len()) {
            out.push('0');
        }
        out.push_str(".0");
    } else {
        let (int, frac) = digits.split_at(exp as usize + 1);
        push(out, int);
        out.push('.');
        push(out, frac);
    }
}

/// The layout of [`float_repr`] built from Rust's `{:e}` with allocations: the oracle the
/// fast writer is tested against.
#[cfg(test)]
fn float_repr_reference(x: f64) -> String {
    if let Some(s) = special(x) {
        return s.to_string();
    }
    let (negative, digits, exp) = split_sci(&format!("{x:e}"));
    let sign = if negative { "-" } else { "" };
    if !(-4..16).contains(&exp) {
        let mantissa = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        format!("{sign}{mantissa}{}", exponent_suffix(exp))
    } else {
        let body = fixed_from_digits(&digits, exp);
        let body = if body.contains('.') {
            body
        } else {
            format!("{body}.0")
        };
        format!("{sign}{body}")
    }
}

/// `'%.{decimals}f' % x`.
pub fn percent_f(x: f64, decimals: usize) -> String {
    match special(x) {
        Some(s) => s.to_string(),
        None => format!("{x:.decimals$}"),
    }
}

/// `'%.{precision}g' % x`: `precision` significant digits, trailing zeros removed, exponent
/// notation below 1e-4 or from 10^precision.
pub fn percent_g(x: f64, precision: usize) -> String {
    if let Some(s) = special(x) {
        return s.to_string();
    }
    let precision = precision.max(1);
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sig = precision - 1;
    let (negative, digits, exp) = split_sci(&format!("{x:.sig$e}"));
    let sign = if negative { "-" } else { "" };
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if exp < -4 || exp >= precision as i32 {
        let mantissa = trim(format!("{}.{}", &digits[..1], &digits[1..]));
        format!("{sign}{mantissa}{}", exponent_suffix(exp))
    } else {
        format!("{sign}{}", trim(fixed_from_digits(&digits, exp)))
    }
}

/// Python's `str(list)` of optional floats with `None` for missing values: `[1.0, None]`.
pub fn list_repr(values: &[Option<f64>]) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|v| v.map_or_else(|| "None".to_string(), float_repr))
        .collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_matches_python() {
        for (x, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123_456_789.123_456_79, "123456789.12345679"),
            (1.5e300, "1.5e+300"),
            (f64::from(0.1f32), "0.10000000149011612"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(float_repr(x), want, "{x}");
        }
    }

    #[test]
    fn percent_formats_match_python() {
        assert_eq!(percent_f(0.0078125, 6), "0.007812");
        assert_eq!(percent_f(2.5, 6), "2.500000");
        assert_eq!(percent_f(1e-7, 6), "0.000000");
        assert_eq!(percent_f(123_456_789.123_456_79, 6), "123456789.123457");
        assert_eq!(percent_g(0.0078125, 35), "0.0078125");
        assert_eq!(percent_g(2.5, 35), "2.5");
        assert_eq!(
            percent_g(1e-7, 35),
            "9.9999999999999995474811182588625869e-08"
        );
        assert_eq!(
            percent_g(123_456_789.123_456_79, 35),
            "123456789.12345679104328155517578125"
        );
        assert_eq!(
            percent_g(1e300, 35),
            "1.0000000000000000525047602552044202e+300"
        );
        assert_eq!(percent_g(0.0, 35), "0");
        assert_eq!(percent_g(100.0, 2), "1e+02");
        assert_eq!(list_repr(&[Some(1.0), None]), "[1.0, None]");
    }
}

#[cfg(test)]
mod fast_repr_tests {
    use super::*;

    #[test]
    fn fast_writer_matches_the_layout_rules() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1e-5,
            1e-4,
            1e15,
            1e16,
            9999999999999998.0,
            1e22,
            123.456,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            2.5,
            0.0001234,
            12345678901234567.0,
        ];
        for _ in 0..200_000 {
            values.push(f64::from_bits(next()));
            values.push((next() % 2_000_000) as f64 / 64.0 - 10_000.0);
        }
        // core::fmt and Python disagree on ties between two shortest candidates (Python, and
        // ryu, round half to even); those values are checked against Python itself.
        let mut disputed = Vec::new();
        for x in values {
            if float_repr(x) != float_repr_reference(x) {
                disputed.push(x);
            }
        }
        assert!(
            disputed.len() < 1000,
            "{} values differ from core::fmt",
            disputed.len()
        );
        if disputed.is_empty() {
            return;
        }
        let script =
            "import sys\nfor line in sys.stdin:\n    print(repr(float.fromhex(line.strip())))\n";
        let mut child = std::process::Command::new(reference_python::python())
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("reference python");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("stdin");
            for x in &disputed {
                writeln!(stdin, "{}", hex_float(*x)).expect("write");
            }
        }
        let out = child.wait_with_output().expect("python");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        for (x, python) in disputed.iter().zip(text.lines()) {
            assert_eq!(float_repr(*x), python, "{x:e}");
        }
    }

    /// `float.hex()`-style text Python's `float.fromhex` reads back exactly.
    fn hex_float(x: f64) -> String {
        let bits = x.to_bits();
        let sign = if bits >> 63 == 1 { "-" } else { "" };
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let mantissa = bits & ((1 << 52) - 1);
        if exp == 0 {
            format!("{sign}0x0.{mantissa:013x}p-1022")
        } else {
            format!("{sign}0x1.{mantissa:013x}p{}", exp - 1023)
        }
    }
}
