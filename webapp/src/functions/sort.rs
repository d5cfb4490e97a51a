//! Sorting functions: ordering a series list by an aggregate of each series (`sortBy`,
//! `sortByTotal`, `sortByMaxima`, `sortByMinima`) or by name (`sortByName`).
//!
//! The order is Python's `list.sort(key=..., reverse=...)`: stable, and a reverse sort keeps
//! equal items in their original order. A series whose aggregate is `None` sorts as `-inf`
//! (the reference's `keyFunc`). Keys that are NaN compare false both ways in Python, so
//! where they occur the result depends on the sorting algorithm itself: [`python_order`]
//! then follows CPython's, which is exact for lists shorter than 64 series.

use std::sync::LazyLock;

use regex::Regex;

use super::{input_error, AggFunc, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::{py_max, py_min, TimeSeries};

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("sortBy", sort_by),
    ("sortByMaxima", sort_by_maxima),
    ("sortByMinima", sort_by_minima),
    ("sortByName", sort_by_name),
    ("sortByTotal", sort_by_total),
];

/// Below this length CPython sorts with one binary insertion sort (its `MIN_MERGE`).
const CPYTHON_MIN_MERGE: usize = 64;

/// The permutation `list.sort(key=..., reverse=reverse)` applies: position `i` of the result
/// holds the item at `order[i]`.
///
/// Like CPython, a reverse sort reverses the items, sorts them ascending (stably) and
/// reverses the result. When every key is comparable (no NaN) any stable sort gives
/// Python's result. Otherwise the outcome depends on which comparisons are made, so short
/// lists go through CPython's own procedure (an initial run, then binary insertion). For 64
/// keys or more CPython would merge runs with galloping; that is not replayed: NaN sorts as
/// the largest key there, a total order, so the sort cannot panic.
fn python_order<K: PartialOrd>(keys: &[K], reverse: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if reverse {
        order.reverse();
    }
    // Only NaN-like keys are not comparable with themselves.
    let incomparable = |k: &K| k.partial_cmp(k).is_none();
    if keys.iter().any(incomparable) && keys.len() < CPYTHON_MIN_MERGE {
        insertion_sort(&mut order, |a, b| keys[a] < keys[b]);
    } else {
        order.sort_by(|&a, &b| {
            let (x, y) = (&keys[a], &keys[b]);
            x.partial_cmp(y)
                .unwrap_or_else(|| incomparable(x).cmp(&incomparable(y)))
        });
    }
    if reverse {
        order.reverse();
    }
    order
}

/// CPython's sort of a short list, comparing only with `lt`: the longest run at the start
/// (non-descending, or strictly descending and then reversed) is kept, and every later item
/// is placed by binary search after the items it is not less than.
fn insertion_sort(items: &mut [usize], lt: impl Fn(usize, usize) -> bool) {
    let n = items.len();
    if n < 2 {
        return;
    }
    let mut run = 2;
    if lt(items[1], items[0]) {
        while run < n && lt(items[run], items[run - 1]) {
            run += 1;
        }
        items[..run].reverse();
    } else {
        while run < n && !lt(items[run], items[run - 1]) {
            run += 1;
        }
    }
    for start in run..n {
        let pivot = items[start];
        let (mut lo, mut hi) = (0, start);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if lt(pivot, items[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        items[lo..=start].rotate_right(1);
    }
}

/// Reorders `list` by `keys` as Python's `list.sort` does.
fn sorted_by_keys<K: PartialOrd>(
    list: Vec<TimeSeries>,
    keys: &[K],
    reverse: bool,
) -> Vec<TimeSeries> {
    let order = python_order(keys, reverse);
    let mut slots: Vec<Option<TimeSeries>> = list.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// The reference's `keyFunc(func)`: the aggregate, `-inf` when it is `None`.
fn key_or_minus_inf(value: Option<f64>) -> f64 {
    value.unwrap_or(f64::NEG_INFINITY)
}

/// `safe.safeMax` of a series as it iterates.
fn safe_max(series: &TimeSeries) -> Option<f64> {
    let values: Vec<f64> = series.consolidated().iter().flatten().copied().collect();
    (!values.is_empty()).then(|| py_max(&values))
}

/// `safe.safeMin` of a series as it iterates.
fn safe_min(series: &TimeSeries) -> Option<f64> {
    let values: Vec<f64> = series.consolidated().iter().flatten().copied().collect();
    (!values.is_empty()).then(|| py_min(&values))
}

/// Sorts `list` by `func` over each series' values, as `sortBy` does.
fn by_aggregate(list: Vec<TimeSeries>, func: AggFunc, reverse: bool) -> Vec<TimeSeries> {
    let keys: Vec<f64> = list
        .iter()
        .map(|s| key_or_minus_inf(func.apply(&s.consolidated())))
        .collect();
    sorted_by_keys(list, &keys, reverse)
}

/// A boolean parameter, `false` when omitted (binding made any given one a bool).
fn flag(args: &Args, index: usize) -> bool {
    matches!(args.values(index).first(), Some(Value::Bool(true)))
}

/// `sortBy(seriesList, func='average', reverse=False)`.
fn sort_by(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let name = args.string(1).unwrap_or_else(|| "average".to_owned());
    let func = AggFunc::from_name(&name)
        .ok_or_else(|| input_error(format!("Unsupported aggregation function: {name}")))?;
    let reverse = flag(&args, 2);
    let list = args.series_list(0);
    Ok(Value::SeriesList(by_aggregate(list, func, reverse)))
}

/// `sortByTotal(seriesList)`: by the sum of the values, largest first.
fn sort_by_total(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let list = args.series_list(0);
    Ok(Value::SeriesList(by_aggregate(list, AggFunc::Sum, true)))
}

/// `sortByMaxima(seriesList)`: by the largest value, largest first.
fn sort_by_maxima(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let list = args.series_list(0);
    let keys: Vec<f64> = list.iter().map(|s| key_or_minus_inf(safe_max(s))).collect();
    Ok(Value::SeriesList(sorted_by_keys(list, &keys, true)))
}

/// `sortByMinima(seriesList)`: the series whose largest value is above 0, by their smallest
/// value, smallest first.
fn sort_by_minima(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let list: Vec<TimeSeries> = args
        .series_list(0)
        .into_iter()
        .filter(|s| safe_max(s).unwrap_or(0.0) > 0.0)
        .collect();
    let keys: Vec<f64> = list.iter().map(|s| key_or_minus_inf(safe_min(s))).collect();
    Ok(Value::SeriesList(sorted_by_keys(list, &keys, false)))
}

/// `sortByName(seriesList, natural=False, reverse=False)`.
fn sort_by_name(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let natural = flag(&args, 1);
    let reverse = flag(&args, 2);
    let list = args.series_list(0);
    let keys: Vec<String> = if natural {
        list.iter().map(|s| natural_key(&s.name)).collect()
    } else {
        list.iter().map(|s| s.name.clone()).collect()
    };
    // Rust compares strings by UTF-8 bytes, which orders them by code point as Python does.
    Ok(Value::SeriesList(sorted_by_keys(list, &keys, reverse)))
}

/// Runs of decimal digits: Python's `\d` on `str`, any Unicode `Nd` character.
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d+").expect("a valid regular expression"));

/// One Unicode decimal digit.
static DIGIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d$").expect("a valid regular expression"));

/// The natural sort key of the reference's `sortByName`: every run of digits replaced by
/// its integer value, zero-padded to at least 10 digits (`"{0:010}".format(int(run))`).
fn natural_key(name: &str) -> String {
    DIGIT_RUN
        .replace_all(name, |caps: &regex::Captures<'_>| {
            let digits: String = caps[0].chars().map(ascii_digit).collect();
            let value = digits.trim_start_matches('0');
            let value = if value.is_empty() { "0" } else { value };
            format!("{value:0>10}")
        })
        .into_owned()
}

/// The ASCII digit with the value of the decimal digit `c` (Python's `int()` accepts every
/// `Nd` digit). Unicode encodes each script's digits 0 to 9 as consecutive code points, and
/// runs of decimal digits always begin with a 0, so the value is the distance from the
/// start of `c`'s run of digit code points, modulo 10.
fn ascii_digit(c: char) -> char {
    if c.is_ascii_digit() {
        return c;
    }
    let is_digit = |cp: u32| {
        char::from_u32(cp).is_some_and(|d| {
            let mut buf = [0u8; 4];
            DIGIT.is_match(d.encode_utf8(&mut buf))
        })
    };
    let mut first = u32::from(c);
    while first > 0 && is_digit(first - 1) {
        first -= 1;
    }
    let value = (u32::from(c) - first) % 10;
    char::from_digit(value, 10).unwrap_or('0')
}

#[cfg(test)]
mod tests;
