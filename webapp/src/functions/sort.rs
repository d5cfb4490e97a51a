//! Sorting functions: ordering a series list by an aggregate of each series (`sortBy`,
//! `sortByTotal`, `sortByMaxima`, `sortByMinima`) or by name (`sortByName`).
//!
//! The order is Python's `list.sort(key=..., reverse=...)`: stable, and a reverse sort keeps
//! equal items in their original order. A series whose aggregate is `None` sorts as `-inf`
//! (the reference's `keyFunc`). Keys that are NaN compare false both ways in Python, so
//! where they occur the result depends on the sorting algorithm itself: the order then
//! comes from the replay of CPython's timsort shared with the Filter Series functions
//! (`filter::pyorder::sort_order`).

use std::sync::LazyLock;

use regex::Regex;

use super::filter::sorted_by_keys;
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
