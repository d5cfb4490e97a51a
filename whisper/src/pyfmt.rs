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
    if let Some(s) = special(x) {
        return s.to_string();
    }
    let (negative, digits, exp) = split_sci(&format!("{x:e}"));
    let sign = if negative { "-" } else { "" };
    // Python switches to exponent notation when decpt = exp + 1 is <= -4 or > 16.
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
