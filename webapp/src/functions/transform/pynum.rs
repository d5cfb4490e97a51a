//! Python number semantics the transforms reproduce: `round(x, n)`, `'%d' % x`,
//! `math.pow`'s errors and `int`/`float` limits.

/// Python's `round(x, ndigits)` for a float: the exact binary value rounded to `ndigits`
/// decimal places (ties to even), read back as the nearest float. `ndigits` may be negative
/// (`round(1250.0, -2) == 1200.0`). NaN and the infinities round to themselves; like CPython,
/// very large `ndigits` return `x` and very small ones a signed zero. A result beyond the
/// float range (CPython's `OverflowError`) is an infinity.
pub(crate) fn py_round(x: f64, ndigits: i64) -> f64 {
    // CPython's NDIGITS_MAX and NDIGITS_MIN for IEEE doubles.
    const NDIGITS_MAX: i64 = 323;
    const NDIGITS_MIN: i64 = -308;
    if !x.is_finite() || ndigits > NDIGITS_MAX {
        return x;
    }
    if ndigits < NDIGITS_MIN {
        return 0.0 * x;
    }
    if let Ok(places) = usize::try_from(ndigits) {
        // Rust's fixed-precision formatting is exact and rounds ties to even, as dtoa mode 3.
        return format!("{x:.places$}").parse().unwrap_or(x);
    }
    let m = usize::try_from(ndigits.unsigned_abs()).unwrap_or(usize::MAX);
    let magnitude = x.abs();
    let int_part = magnitude.trunc();
    let has_fraction = magnitude != int_part;
    // The integer part of a float prints exactly.
    let mut digits: Vec<u8> = format!("{int_part:.0}").into_bytes();
    if digits.len() < m + 1 {
        let mut padded = vec![b'0'; m + 1 - digits.len()];
        padded.extend_from_slice(&digits);
        digits = padded;
    }
    let split = digits.len() - m;
    let (kept, rest) = digits.split_at(split);
    let round_up = match rest[0].cmp(&b'5') {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => {
            if has_fraction || rest[1..].iter().any(|&d| d != b'0') {
                true
            } else {
                // An exact tie: to even.
                kept.last().is_some_and(|d| (d - b'0') % 2 == 1)
            }
        }
    };
    let mut kept = kept.to_vec();
    if round_up {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let text = format!("{sign}{}e{m}", String::from_utf8_lossy(&kept));
    text.parse().unwrap_or(0.0 * x)
}

/// Python's `'%d' % x` for a float: the integer part, exactly. Python fails on NaN and the
/// infinities; they are spelled `nan`, `inf` and `-inf` here.
pub(crate) fn percent_d(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let t = x.trunc();
    if t == 0.0 {
        "0".to_owned()
    } else {
        format!("{t:.0}")
    }
}

/// `safe.safePow(a, b)` for two numbers: `math.pow(a, b)`, or `None` where Python raises
/// (a negative base with a fractional exponent, zero to a negative power, overflow).
pub(crate) fn safe_pow(a: f64, b: f64) -> Option<f64> {
    let r = a.powf(b);
    if r.is_nan() && !a.is_nan() && !b.is_nan() {
        return None;
    }
    if r.is_infinite() && a.is_finite() && b.is_finite() {
        return None;
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_matches_python() {
        // Values checked against CPython 3.11.
        let cases: &[(f64, i64, f64)] = &[
            (0.5, 0, 0.0),
            (1.5, 0, 2.0),
            (2.5, 0, 2.0),
            (-2.5, 0, -2.0),
            (2.675, 2, 2.67),
            (0.125, 2, 0.12),
            (0.375, 2, 0.38),
            (1.0000005, 6, 1.000001),
            (1250.0, -2, 1200.0),
            (1350.0, -2, 1400.0),
            (1250.5, -2, 1300.0),
            (-1251.0, -2, -1300.0),
            (49.0, -2, 0.0),
            (50.0, -2, 0.0),
            (50.5, -2, 100.0),
            (150.0, -2, 200.0),
            (999.0, -1, 1000.0),
            (9.5, -1, 10.0),
            (123456.789, -3, 123000.0),
            (1e300, -299, 1e300),
            (5e-324, 400, 5e-324),
            (12345.0, -400, 0.0),
            (1.7976931348623157e308, -308, f64::INFINITY),
        ];
        for &(x, n, want) in cases {
            let got = py_round(x, n);
            assert!(
                got == want && got.is_sign_negative() == want.is_sign_negative(),
                "round({x}, {n}) = {got}, want {want}"
            );
        }
        assert!(py_round(-40.0, -2).is_sign_negative());
        assert!(py_round(-0.001, 2).is_sign_negative());
        assert!(py_round(f64::NAN, 3).is_nan());
        assert_eq!(py_round(f64::NEG_INFINITY, -3), f64::NEG_INFINITY);
        assert_eq!(py_round(3.0, i64::MIN), 0.0);
        assert_eq!(py_round(3.0, i64::MAX), 3.0);
    }

    #[test]
    fn percent_d_truncates() {
        assert_eq!(percent_d(10.9), "10");
        assert_eq!(percent_d(-0.5), "0");
        assert_eq!(percent_d(-3.7), "-3");
        assert_eq!(percent_d(1e20), "100000000000000000000");
        assert_eq!(percent_d(f64::INFINITY), "inf");
    }

    #[test]
    fn pow_errors_are_none() {
        assert_eq!(safe_pow(-8.0, 0.5), None);
        assert_eq!(safe_pow(0.0, -1.0), None);
        assert_eq!(safe_pow(10.0, 400.0), None);
        assert_eq!(safe_pow(4.0, 0.5), Some(2.0));
        assert_eq!(safe_pow(f64::INFINITY, -1.0), Some(0.0));
        assert_eq!(safe_pow(f64::NAN, 0.0), Some(1.0));
        assert!(safe_pow(f64::NAN, 2.0).is_some_and(f64::is_nan));
        assert_eq!(safe_pow(f64::NEG_INFINITY, 0.5), Some(f64::INFINITY));
    }
}
