//! `whisper.aggregate`: how a window of higher-precision values becomes one lower-precision value.

use crate::format::AggregationMethod;

/// Aggregates a window of values (`None` for a missing point) as whisper 1.1.10 does on Python
/// 3.11, or `None` when the window has no known value.
///
/// Python semantics are kept where they show: sums are plain left-to-right additions; `max`,
/// `min`, `absmax` and `absmin` keep the first of equal candidates and only replace it on a strict
/// comparison (so a NaN seen first sticks and one seen later is skipped); `avg_zero` counts
/// missing values and zeros as 0 over the whole window.
pub fn aggregate(method: AggregationMethod, window: &[Option<f64>]) -> Option<f64> {
    let mut known = window.iter().flatten().copied();
    let first = known.next()?;
    let value = match method {
        AggregationMethod::Average => {
            // Python's sum starts from the integer 0, so -0.0 alone sums to 0.0.
            let (sum, count) = known.fold((0.0 + first, 1usize), |(s, n), v| (s + v, n + 1));
            sum / count as f64
        }
        AggregationMethod::Sum => known.fold(0.0 + first, |s, v| s + v),
        AggregationMethod::Last => known.last().unwrap_or(first),
        AggregationMethod::Max => known.fold(first, |best, v| if v > best { v } else { best }),
        AggregationMethod::Min => known.fold(first, |best, v| if v < best { v } else { best }),
        AggregationMethod::AvgZero => {
            let sum = window.iter().fold(0.0, |s, v| s + v.unwrap_or(0.0));
            sum / window.len() as f64
        }
        AggregationMethod::AbsMax => known.fold(first, |best, v| {
            if v.abs() > best.abs() {
                v
            } else {
                best
            }
        }),
        AggregationMethod::AbsMin => known.fold(first, |best, v| {
            if v.abs() < best.abs() {
                v
            } else {
                best
            }
        }),
    };
    Some(value)
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
}
