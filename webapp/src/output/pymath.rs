//! Python's integer arithmetic where the reference's output code relies on it: true division
//! of two ints (correctly rounded), floor modulo and exact int-to-float comparison.

/// `a / b` for Python ints: the quotient correctly rounded to the nearest float (ties to
/// even), as CPython computes it. `None` when `b` is zero (`ZeroDivisionError`).
pub(crate) fn truediv(a: i128, b: i128) -> Option<f64> {
    if b == 0 {
        return None;
    }
    const EXACT: u128 = 1 << 53;
    let negative = (a < 0) != (b < 0);
    let (ua, ub) = (a.unsigned_abs(), b.unsigned_abs());
    let magnitude = if ua <= EXACT && ub <= EXACT {
        // Both convert exactly, so one IEEE division rounds once, like Python.
        ua as f64 / ub as f64
    } else {
        rounded_quotient(ua, ub)
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// `ua / ub` correctly rounded, for operands too wide to convert exactly: scale the dividend
/// so the integer quotient has at least 55 significant bits, fold the remainder into a
/// sticky bit, and let the (correctly rounding) integer-to-float conversion do the rest.
fn rounded_quotient(ua: u128, ub: u128) -> f64 {
    let bits = |x: u128| (128 - x.leading_zeros()) as i32;
    let shift = (56 + bits(ub) - bits(ua)).max(0);
    if bits(ua) + shift > 127 {
        // Divisors over 71 bits: far beyond anything the outputs divide (timestamps and
        // steps are 64-bit); plain float division.
        return ua as f64 / ub as f64;
    }
    let num = ua << shift;
    let quotient = num / ub;
    let sticky = u128::from(!num.is_multiple_of(ub));
    (quotient | sticky) as f64 * 2f64.powi(-shift)
}

/// `a % b` for Python ints: the result has the sign of `b`. `None` when `b` is zero.
pub(crate) fn floor_mod(a: i128, b: i128) -> Option<i128> {
    if b == 0 {
        return None;
    }
    let r = a.checked_rem(b).unwrap_or(0);
    Some(if r != 0 && ((r < 0) != (b < 0)) {
        r + b
    } else {
        r
    })
}

/// Python's `m < x` for an int `m` and a float `x`: exact, with no rounding of `m`.
pub(crate) fn int_lt_float(m: u64, x: f64) -> bool {
    if x.is_nan() || x < 0.0 {
        return false;
    }
    // 2**64 and above: bigger than every u64.
    if x >= 18_446_744_073_709_551_616.0 {
        return true;
    }
    u128::from(m) < x.ceil() as u128
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truediv_matches_python() {
        assert_eq!(truediv(7, 2), Some(3.5));
        assert_eq!(truediv(-7, 2), Some(-3.5));
        assert_eq!(truediv(1, 0), None);
        assert_eq!(truediv(0, -5), Some(-0.0));
        // 2**63 + 1 over 3: Python prints 3.0744573456182584e+18.
        let q = truediv((1i128 << 63) + 1, 3).unwrap();
        assert_eq!(q, 3.074_457_345_618_258_4e18);
        // (2**64 - 1) / 1 rounds to 2**64.
        assert_eq!(
            truediv(u64::MAX as i128, 1),
            Some(18_446_744_073_709_551_616.0)
        );
        // Python: (2**60 + 3) / (2**60 + 1) == 1.0000000000000002
        let q = truediv((1 << 60) + 3, (1 << 60) + 1).unwrap();
        assert_eq!(q, 1.0);
        // A tiny quotient with a huge divisor.
        let q = truediv(3, (1i128 << 100) + 7).unwrap();
        assert_eq!(q, 3.0 / 2f64.powi(100));
    }

    #[test]
    fn floor_mod_sign_of_divisor() {
        assert_eq!(floor_mod(7, 3), Some(1));
        assert_eq!(floor_mod(-7, 3), Some(2));
        assert_eq!(floor_mod(7, -3), Some(-2));
        assert_eq!(floor_mod(-7, -3), Some(-1));
        assert_eq!(floor_mod(5, 0), None);
    }

    #[test]
    fn int_float_comparison_is_exact() {
        assert!(int_lt_float(2, 2.5));
        assert!(!int_lt_float(3, 3.0));
        assert!(int_lt_float(2, 3.0));
        assert!(!int_lt_float(0, -1.0));
        assert!(!int_lt_float(
            u64::MAX,
            18_446_744_073_709_551_615.0_f64.next_down()
        ));
        assert!(int_lt_float(u64::MAX, f64::INFINITY));
        assert!(!int_lt_float(0, f64::NAN));
    }
}
