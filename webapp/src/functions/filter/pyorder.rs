//! Python's orderings as the Filter Series functions depend on them: `list.sort` (with a key
//! and `reverse`), slicing with `[:n]`, and `_getPercentile` without interpolation.
//!
//! Which series survive `highest(x, 2)` depends on how ties and NaN keys are ordered, so the
//! sort reproduces CPython 3.11's algorithm where it matters: a stable sort, with `reverse`
//! done by reversing before and after (equal keys keep their input order). With NaN keys the
//! order is whatever the algorithm's `<` comparisons make of them, so such keys go through a
//! replay of CPython's timsort ([`super::timsort`]).

use std::cmp::Ordering;

use super::super::input_error;
use crate::evaluator::EvalError;

/// The permutation `list.sort(key=..., reverse=reverse)` applies: `order[i]` is the index of
/// the item that ends up at position `i`.
pub(crate) fn sort_order<K: PartialOrd>(keys: &[K], reverse: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if reverse {
        order.reverse();
    }
    // Only NaN-like keys are not comparable with themselves.
    if keys.iter().any(|k| k.partial_cmp(k).is_none()) {
        super::timsort::sort(&mut order, keys);
    } else {
        // A consistent order: every stable sort agrees with CPython's.
        order.sort_by(|&a, &b| keys[a].partial_cmp(&keys[b]).unwrap_or(Ordering::Equal));
    }
    if reverse {
        order.reverse();
    }
    order
}

/// Python's `sorted(values)` of floats.
pub(crate) fn sorted(values: &[f64]) -> Vec<f64> {
    sort_order(values, false)
        .into_iter()
        .map(|i| values[i])
        .collect()
}

/// How many items Python's `list[:n]` keeps of `len`.
pub(crate) fn head_len(len: usize, n: i64) -> usize {
    if n >= 0 {
        usize::try_from(n).unwrap_or(usize::MAX).min(len)
    } else {
        let drop = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
        len.saturating_sub(drop)
    }
}

/// The reference's `_getPercentile(points, n)` (no interpolation): the NIST rank over the
/// sorted non-null points, `None` when there are none. Python's negative indexing applies;
/// where the reference fails (a NaN or infinite rank, an index out of range) this is an
/// input error.
pub(crate) fn percentile(points: &[Option<f64>], n: f64) -> Result<Option<f64>, EvalError> {
    let present: Vec<f64> = points.iter().flatten().copied().collect();
    if present.is_empty() {
        return Ok(None);
    }
    let sorted_points = sorted(&present);
    let len = sorted_points.len();
    let fractional_rank = (n / 100.0) * (len as f64 + 1.0);
    if !fractional_rank.is_finite() || fractional_rank.abs() > 1e15 {
        return Err(input_error(format!(
            "cannot take the {} percentile",
            whisper::pyfmt::float_repr(n)
        )));
    }
    let truncated = fractional_rank.trunc();
    let rank = truncated as i64 + (fractional_rank - truncated).ceil() as i64;
    let len_i = len as i64;
    if rank == 0 {
        return Ok(Some(sorted_points[0]));
    }
    if rank - 1 == len_i {
        return Ok(Some(sorted_points[len - 1]));
    }
    let index = if rank - 1 < 0 {
        rank - 1 + len_i
    } else {
        rank - 1
    };
    usize::try_from(index)
        .ok()
        .and_then(|i| sorted_points.get(i).copied())
        .map(Some)
        .ok_or_else(|| {
            input_error(format!(
                "the {} percentile of {len} values is out of range",
                whisper::pyfmt::float_repr(n)
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_keep_input_order_both_ways() {
        let keys = [1.0, 3.0, 1.0, 3.0, 2.0];
        assert_eq!(sort_order(&keys, false), [0, 2, 4, 1, 3]);
        assert_eq!(sort_order(&keys, true), [1, 3, 4, 0, 2]);
        assert_eq!(sort_order::<f64>(&[], true), Vec::<usize>::new());
        assert_eq!(sort_order(&[0.0, -0.0], false), [0, 1]);
    }

    #[test]
    fn nan_keys_follow_cpython() {
        // sorted([3.0, nan, 1.0, 2.0]) == [3.0, nan, 1.0, 2.0] in CPython 3.11.
        let nan = f64::NAN;
        let order = sort_order(&[3.0, nan, 1.0, 2.0], false);
        assert_eq!(order, [0, 1, 2, 3]);
        // sorted([2.0, 1.0, nan, 0.5]) == [0.5, 1.0, 2.0, nan]
        let order = sort_order(&[2.0, 1.0, nan, 0.5], false);
        assert_eq!(order, [3, 1, 0, 2]);
    }

    /// NaN keys in lists long enough for timsort's merges and galloping: checksums
    /// (`sum((pos + 1) * (index + 1))`) and heads of the orders CPython 3.11 produced.
    #[test]
    fn nan_keys_in_long_lists_follow_cpython() {
        let nan = f64::NAN;
        let gallop = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| match (i % 37 == 11, i < n / 2) {
                    (true, _) => nan,
                    (false, true) => i as f64,
                    (false, false) => (i - n / 2) as f64 * 0.5 + 0.25,
                })
                .collect()
        };
        let scattered = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| {
                    if i % 23 == 5 {
                        nan
                    } else {
                        ((i * 7919) % 211) as f64
                    }
                })
                .collect()
        };
        let cases: [(Vec<f64>, bool, u64, [usize; 8]); 8] = [
            (gallop(150), false, 1106785, [0, 75, 76, 1, 77, 78, 2, 79]),
            (gallop(150), true, 1100433, [11, 74, 35, 34, 33, 32, 31, 30]),
            (
                gallop(2000),
                false,
                2663647135,
                [0, 1000, 1001, 1, 1002, 1003, 2, 1004],
            ),
            (
                gallop(2000),
                true,
                2663453234,
                [11, 999, 998, 997, 996, 995, 994, 993],
            ),
            (
                scattered(150),
                false,
                1097820,
                [0, 49, 17, 66, 34, 2, 19, 68],
            ),
            (
                scattered(600),
                true,
                72068214,
                [5, 15, 13, 11, 26, 9, 24, 7],
            ),
            (
                scattered(2000),
                false,
                2660856992,
                [0, 552, 49, 260, 309, 520, 17, 277],
            ),
            (
                scattered(2000),
                true,
                2667955738,
                [5, 28, 32, 15, 30, 13, 45, 11],
            ),
        ];
        for (keys, reverse, checksum, head) in cases {
            let order = sort_order(&keys, reverse);
            let sum: u64 = order
                .iter()
                .enumerate()
                .map(|(pos, &i)| (pos as u64 + 1) * (i as u64 + 1))
                .sum();
            assert_eq!(
                (sum, &order[..8]),
                (checksum, &head[..]),
                "{} {reverse}",
                keys.len()
            );
        }
    }

    #[test]
    fn slicing_heads() {
        assert_eq!(head_len(5, 2), 2);
        assert_eq!(head_len(5, 9), 5);
        assert_eq!(head_len(5, 0), 0);
        assert_eq!(head_len(5, -2), 3);
        assert_eq!(head_len(5, -9), 0);
        assert_eq!(head_len(5, i64::MIN), 0);
        assert_eq!(head_len(5, i64::MAX), 5);
    }

    #[test]
    fn percentile_ranks() {
        let v: Vec<Option<f64>> = [4.0, 1.0, 3.0, 2.0].iter().map(|x| Some(*x)).collect();
        assert_eq!(percentile(&v, 50.0).ok(), Some(Some(3.0)));
        assert_eq!(percentile(&v, 100.0).ok(), Some(Some(4.0)));
        assert_eq!(percentile(&v, 0.0).ok(), Some(Some(1.0)));
        // rank -2: Python's sortedPoints[-3]
        assert_eq!(percentile(&v, -50.0).ok(), Some(Some(2.0)));
        assert!(percentile(&v, 150.0).is_err());
        assert!(percentile(&v, -500.0).is_err());
        assert!(percentile(&v, f64::NAN).is_err());
        assert!(percentile(&v, f64::INFINITY).is_err());
        assert_eq!(percentile(&[None, None], 50.0).ok(), Some(None));
        assert_eq!(percentile(&[], f64::NAN).ok(), Some(None));
    }
}
