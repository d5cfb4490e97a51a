//! The moving-window loop of `movingWindow`: for every `i` in `w+1..=len`, the aggregate of
//! the non-null values of `values[i-w..i]` when enough of them are non-null.
//!
//! The generic path folds each window as the reference does (O(len·w)). Where a running
//! algorithm gives the very same floats it is used instead: min/max with a monotonic deque
//! (no NaN), sum/average with a running sum when every partial sum is exact (all values are
//! multiples of a common power of two small enough that no sum rounds, as counters and most
//! gauges are), median over a sorted window kept up to date (no NaN), count and last from
//! running state.

use std::collections::VecDeque;

use super::fold;
use crate::functions::AggFunc;

/// The moving aggregate of `values` over windows of `w` points (`buf` is scratch space).
pub(super) fn moving(
    values: &[Option<f64>],
    w: usize,
    func: AggFunc,
    xff: f64,
    buf: &mut Vec<f64>,
) -> Vec<Option<f64>> {
    let len = values.len();
    if w >= len {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(len - w);
    // Non-null count of each window from a running count.
    let mut counts = Vec::with_capacity(len - w);
    let mut count = values[1..=w].iter().filter(|v| v.is_some()).count();
    for i in (w + 1)..=len {
        if i > w + 1 {
            count += usize::from(values[i - 1].is_some());
            count -= usize::from(values[i - w - 1].is_some());
        }
        counts.push(count);
    }
    let ok = |n: usize| n > 0 && (n as f64 / w as f64) >= xff;
    let no_nan = values.iter().flatten().all(|v| !v.is_nan());
    match func {
        AggFunc::Min | AggFunc::Max if no_nan => {
            let max = func == AggFunc::Max;
            // Indices of candidates, values non-increasing (max) / non-decreasing (min); the
            // front is the earliest extreme, as Python's max()/min() keep the first.
            let mut deque: VecDeque<usize> = VecDeque::new();
            let beats = |a: f64, b: f64| if max { a > b } else { a < b };
            for j in 1..=w {
                push_candidate(&mut deque, values, j, beats);
            }
            for (k, i) in ((w + 1)..=len).enumerate() {
                if i > w + 1 {
                    push_candidate(&mut deque, values, i - 1, beats);
                    while deque.front().is_some_and(|&f| f < i - w) {
                        deque.pop_front();
                    }
                }
                let extreme = deque.front().and_then(|&f| values[f]);
                out.push(if ok(counts[k]) { extreme } else { None });
            }
        }
        AggFunc::Sum | AggFunc::Average | AggFunc::AvgZero if sums_are_exact(values, w) => {
            let mut sum: f64 = values[1..=w].iter().flatten().sum::<f64>() + 0.0;
            for (k, i) in ((w + 1)..=len).enumerate() {
                if i > w + 1 {
                    if let Some(v) = values[i - 1] {
                        sum += v;
                    }
                    if let Some(v) = values[i - w - 1] {
                        sum -= v;
                    }
                }
                let n = counts[k];
                out.push(ok(n).then(|| {
                    // An exact zero is +0.0, as Python's sum() starting from int 0 gives.
                    let s = sum + 0.0;
                    if func == AggFunc::Sum {
                        s
                    } else {
                        s / n as f64
                    }
                }));
            }
        }
        AggFunc::Sum | AggFunc::Average | AggFunc::AvgZero => {
            // Each window summed left to right from +0.0, as Python's sum() of the non-null
            // values: a null reads as +0.0, which leaves every partial sum unchanged (partial
            // sums starting from +0.0 are never -0.0). Four windows are summed side by side:
            // four independent chains of additions, each in the reference's order, so the
            // floats are identical and the additions overlap in the pipeline.
            let dense: Vec<f64> = values.iter().map(|v| v.unwrap_or(0.0)).collect();
            let windows = len - w;
            let mut sums = vec![0.0f64; windows];
            let mut k = 0;
            while k + 4 <= windows {
                let base = k + 1;
                let (mut a0, mut a1, mut a2, mut a3) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
                for j in 0..w {
                    a0 += dense[base + j];
                    a1 += dense[base + 1 + j];
                    a2 += dense[base + 2 + j];
                    a3 += dense[base + 3 + j];
                }
                sums[k] = a0;
                sums[k + 1] = a1;
                sums[k + 2] = a2;
                sums[k + 3] = a3;
                k += 4;
            }
            while k < windows {
                sums[k] = dense[k + 1..k + 1 + w].iter().fold(0.0, |acc, v| acc + v);
                k += 1;
            }
            for (k, sum) in sums.into_iter().enumerate() {
                let n = counts[k];
                out.push(ok(n).then(|| {
                    if func == AggFunc::Sum {
                        sum
                    } else {
                        sum / n as f64
                    }
                }));
            }
        }
        AggFunc::Median if no_nan => {
            let mut sorted: Vec<f64> = Vec::with_capacity(w.min(len));
            for v in values[1..=w].iter().flatten() {
                insert_sorted(&mut sorted, *v);
            }
            for (k, i) in ((w + 1)..=len).enumerate() {
                if i > w + 1 {
                    if let Some(v) = values[i - w - 1] {
                        remove_sorted(&mut sorted, v);
                    }
                    if let Some(v) = values[i - 1] {
                        insert_sorted(&mut sorted, v);
                    }
                }
                out.push(ok(counts[k]).then(|| {
                    let mid = sorted.len() / 2;
                    if sorted.len().is_multiple_of(2) {
                        (sorted[mid - 1] + sorted[mid]) / 2.0
                    } else {
                        sorted[mid]
                    }
                }));
            }
        }
        AggFunc::Count => {
            out.extend(counts.iter().map(|&n| ok(n).then_some(n as f64)));
        }
        AggFunc::Last => {
            // The newest non-null value so far is the window's last one whenever the window
            // has any non-null value.
            let mut newest = None;
            for (k, i) in ((w + 1)..=len).enumerate() {
                if let Some(v) = values[i - 1] {
                    newest = Some(v);
                } else if i == w + 1 {
                    newest = values[1..i].iter().rev().flatten().next().copied();
                }
                out.push(if ok(counts[k]) { newest } else { None });
            }
        }
        _ => {
            for (k, i) in ((w + 1)..=len).enumerate() {
                if !ok(counts[k]) {
                    out.push(None);
                    continue;
                }
                buf.clear();
                buf.extend(values[i - w..i].iter().flatten());
                out.push(Some(fold(func, buf)));
            }
        }
    }
    out
}

/// Adds index `j` to a monotonic deque (skipping nulls).
fn push_candidate(
    deque: &mut VecDeque<usize>,
    values: &[Option<f64>],
    j: usize,
    beats: impl Fn(f64, f64) -> bool,
) {
    let Some(v) = values[j] else { return };
    while deque
        .back()
        .and_then(|&b| values[b])
        .is_some_and(|b| beats(v, b))
    {
        deque.pop_back();
    }
    deque.push_back(j);
}

/// Inserts after the equal values (a stable sort keeps equal values in arrival order).
fn insert_sorted(sorted: &mut Vec<f64>, v: f64) {
    let at = sorted.partition_point(|&x| x <= v);
    sorted.insert(at, v);
}

/// Removes the earliest-inserted value equal to `v` (the first of the equal ones).
fn remove_sorted(sorted: &mut Vec<f64>, v: f64) {
    let at = sorted.partition_point(|&x| x < v);
    if at < sorted.len() {
        sorted.remove(at);
    }
}

/// Whether every sum of up to `w + 1` of the values is exact in f64, so a running sum equals
/// the reference's left-to-right sum of each window.
fn sums_are_exact(values: &[Option<f64>], w: usize) -> bool {
    let mut lowest_bit = i32::MAX;
    let mut largest = 0.0f64;
    for v in values.iter().flatten() {
        if !v.is_finite() {
            return false;
        }
        if *v == 0.0 {
            continue;
        }
        let bits = v.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        let mantissa = bits & ((1u64 << 52) - 1);
        // v = m * 2^e with m an integer: the lowest set bit of m gives v's granularity.
        let (m, e) = if exponent == 0 {
            (mantissa, -1074)
        } else {
            (mantissa | (1u64 << 52), exponent - 1075)
        };
        lowest_bit = lowest_bit.min(e + m.trailing_zeros() as i32);
        largest = largest.max(v.abs());
    }
    if lowest_bit == i32::MAX {
        return true;
    }
    let exponent = 53 + lowest_bit;
    if !(-1000..=1000).contains(&exponent) {
        return false;
    }
    largest * (w as f64 + 1.0) <= 2f64.powi(exponent)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's computation, window by window.
    fn naive(values: &[Option<f64>], w: usize, func: AggFunc, xff: f64) -> Vec<Option<f64>> {
        let mut out = Vec::new();
        for i in (w + 1)..=values.len() {
            let mut non_null: Vec<f64> = values[i - w..i].iter().flatten().copied().collect();
            let ok = !non_null.is_empty() && (non_null.len() as f64 / w as f64) >= xff;
            out.push(ok.then(|| fold(func, &mut non_null)));
        }
        out
    }

    /// A small deterministic generator (no dependency).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
    }

    #[test]
    fn fast_paths_equal_the_reference_computation() {
        let mut rng = Lcg(7);
        for round in 0..300u32 {
            let len = (rng.next() % 60) as usize;
            let values: Vec<Option<f64>> = (0..len)
                .map(|_| {
                    let r = rng.next();
                    if r.is_multiple_of(5) {
                        None
                    } else if round.is_multiple_of(3) {
                        // arbitrary floats: the running sum is not exact, the generic path runs
                        Some((r % 10_000) as f64 / 7.0 - 500.0)
                    } else if r.is_multiple_of(11) {
                        Some(if r.is_multiple_of(2) { 0.0 } else { -0.0 })
                    } else {
                        Some(((r % 2000) as f64 - 1000.0) / 64.0)
                    }
                })
                .collect();
            let w = (rng.next() % 8) as usize;
            let xff = [0.0, 0.3, 0.5, 1.0][(rng.next() % 4) as usize];
            for func in [
                AggFunc::Min,
                AggFunc::Max,
                AggFunc::Sum,
                AggFunc::Average,
                AggFunc::AvgZero,
                AggFunc::Median,
                AggFunc::Count,
                AggFunc::Last,
                AggFunc::Range,
            ] {
                let fast = moving(&values, w, func, xff, &mut Vec::new());
                let slow = naive(&values, w, func, xff);
                let bits = |v: &[Option<f64>]| -> Vec<Option<u64>> {
                    v.iter().map(|x| x.map(f64::to_bits)).collect()
                };
                assert_eq!(bits(&fast), bits(&slow), "{func:?} w={w} {values:?}");
            }
        }
    }

    #[test]
    fn exactness_check() {
        assert!(sums_are_exact(&[Some(1.5), Some(2.25), None], 10));
        assert!(!sums_are_exact(&[Some(0.1), Some(0.2)], 10));
        assert!(!sums_are_exact(&[Some(f64::NAN)], 1));
        assert!(!sums_are_exact(&[Some(1e300), Some(1e-300)], 1));
        assert!(sums_are_exact(&[Some(0.0), Some(-0.0)], 3));
    }
}
