//! `whisper.aggregate`: how a window of higher-precision values becomes one lower-precision value.

use crate::format::AggregationMethod;

/// Aggregates a window of values (`None` for a missing point) as whisper 1.1.10 does on Python
/// 3.11, or `None` when the window has no known value.
///
/// Python semantics are kept where they show: sums are plain left-to-right additions; `max`,
/// `min`, `absmax` and `absmin` keep the first of equal candidates and only replace it on a strict
/// comparison (so a NaN seen first sticks and one seen later is skipped); `avg_zero` counts
/// missing values and zeros as 0 over the whole window. Additions keep the NaN CPython keeps (see
/// `py_add`), so windows with several NaNs store the same bits.
pub fn aggregate(method: AggregationMethod, window: &[Option<f64>]) -> Option<f64> {
    let mut known = window.iter().flatten().copied();
    let first = known.next()?;
    let value = match method {
        AggregationMethod::Average => {
            // Python's sum starts from the integer 0, so -0.0 alone sums to 0.0.
            let (sum, count) = known.fold((py_add(0.0, first), 1usize), |(s, n), v| {
                (py_add(s, v), n + 1)
            });
            sum / count as f64
        }
        AggregationMethod::Sum => known.fold(py_add(0.0, first), py_add),
        AggregationMethod::Last => known.last().unwrap_or(first),
        AggregationMethod::Max => known.fold(first, |best, v| if v > best { v } else { best }),
        AggregationMethod::Min => known.fold(first, |best, v| if v < best { v } else { best }),
        AggregationMethod::AvgZero => {
            let sum = window.iter().fold(0.0, |s, v| py_add(s, v.unwrap_or(0.0)));
            sum / window.len() as f64
        }
        AggregationMethod::AbsMax => {
            known.fold(first, |best, v| if v.abs() > best.abs() { v } else { best })
        }
        AggregationMethod::AbsMin => {
            known.fold(first, |best, v| if v.abs() < best.abs() { v } else { best })
        }
    };
    Some(value)
}

/// `a + b` as the reference's CPython (x86-64) computes it, down to the NaN it returns.
///
/// IEEE 754 leaves open which NaN an addition of two NaNs returns. The x86 instruction returns
/// its destination operand, and CPython's compiled `float_add` and `sum()` put the right-hand
/// operand there, so `nan1 + nan2` is `nan2` (the reference's `sum([nan1, nan2])` too), while
/// Rust's codegen happens to keep the left one and promises neither. With one NaN, the result is
/// that NaN (quieted) on every platform, as is `inf - inf`'s default NaN.
fn py_add(a: f64, b: f64) -> f64 {
    const QUIET: u64 = 0x0008_0000_0000_0000;
    if a.is_nan() && b.is_nan() {
        f64::from_bits(b.to_bits() | QUIET)
    } else {
        a + b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AggregationMethod::*;

    #[test]
    fn each_method() {
        let w = [Some(1.0), None, Some(-5.0), Some(5.0), None];
        assert_eq!(aggregate(Average, &w), Some(1.0 / 3.0));
        assert_eq!(aggregate(Sum, &w), Some(1.0));
        assert_eq!(aggregate(Last, &w), Some(5.0));
        assert_eq!(aggregate(Max, &w), Some(5.0));
        assert_eq!(aggregate(Min, &w), Some(-5.0));
        assert_eq!(aggregate(AvgZero, &w), Some(1.0 / 5.0));
        // Ties keep the first in window order.
        assert_eq!(aggregate(AbsMax, &w), Some(-5.0));
        assert_eq!(aggregate(AbsMin, &w), Some(1.0));
        assert_eq!(aggregate(Average, &[None, None]), None);
        assert!(aggregate(Sum, &[Some(-0.0)]).unwrap().is_sign_positive());
    }

    #[test]
    fn nan_order_follows_python() {
        let first = [Some(f64::NAN), Some(1.0)];
        let later = [Some(1.0), Some(f64::NAN)];
        assert!(aggregate(Max, &first).unwrap().is_nan());
        assert_eq!(aggregate(Max, &later), Some(1.0));
        assert_eq!(aggregate(Min, &later), Some(1.0));
    }

    #[test]
    fn nan_sums_keep_the_last_nan_as_cpython() {
        // The reference's sum([a, b]) and a + b with two NaNs give b's bits.
        let a = f64::from_bits(0x7ff8_0000_0000_0001);
        let b = f64::from_bits(0xfff8_0000_0000_0002);
        let w = [Some(a), Some(1.0), Some(b)];
        for method in [Sum, Average, AvgZero] {
            assert_eq!(
                aggregate(method, &w).unwrap().to_bits(),
                b.to_bits(),
                "{method}"
            );
        }
        let w = [Some(b), Some(a), None];
        assert_eq!(aggregate(Sum, &w).unwrap().to_bits(), a.to_bits());
        // inf - inf makes the default NaN, which a later NaN then replaces.
        let w = [Some(f64::INFINITY), Some(f64::NEG_INFINITY), Some(a)];
        assert_eq!(aggregate(Sum, &w).unwrap().to_bits(), a.to_bits());
        // A signalling NaN comes out quieted.
        let s = f64::from_bits(0x7ff0_0000_0000_0005);
        let w = [Some(a), Some(s)];
        assert_eq!(aggregate(Sum, &w).unwrap().to_bits(), 0x7ff8_0000_0000_0005);
    }
}
