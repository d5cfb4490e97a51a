//! Filter Data functions: removing the points of each series that lie above or below a
//! threshold (`removeAboveValue`, `removeBelowValue`) or a percentile of the series itself
//! (`removeAbovePercentile`, `removeBelowPercentile`).
//!
//! All four change the series in place, as the reference does: the name becomes
//! `fn(name, %g of n)`, the path expression follows the name, and removed points become
//! `None`. The "below" functions also count an existing `None` as removed, which changes
//! nothing. The percentile functions compute the percentile by calling the reference's
//! `nPercentile` on each series; that call shares the series' tag dict, so a series whose
//! percentile could be computed is left with an `nPercentile` tag.

use super::calculate::{percentile_sorted, sort_floats};
use super::{input_error, percent_g, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::TimeSeries;
use whisper::pyfmt::float_repr;

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("removeAbovePercentile", remove_above_percentile),
    ("removeAboveValue", remove_above_value),
    ("removeBelowPercentile", remove_below_percentile),
    ("removeBelowValue", remove_below_value),
];

/// Which side of the threshold is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Values strictly greater than the threshold.
    Above,
    /// Values strictly less than the threshold (and nulls).
    Below,
}

impl Side {
    /// Whether the point `value` is removed at `threshold`. A NaN threshold removes nothing,
    /// as Python's comparisons with NaN are false.
    fn removes(self, value: Option<f64>, threshold: f64) -> bool {
        match (self, value) {
            (_, None) => true,
            (Self::Above, Some(v)) => v > threshold,
            (Self::Below, Some(v)) => v < threshold,
        }
    }
}

/// The required float `n` (parameter 1); binding already refused a missing or non-numeric
/// one, so the error here only guards direct calls.
fn threshold_arg(args: &Args, function: &str) -> Result<f64, EvalError> {
    args.float(1)
        .ok_or_else(|| input_error(format!("{function}: parameter \"n\" must be a number")))
}

/// Renames `series` to `function(name, %g of n)`, the path expression following.
fn rename(series: &mut TimeSeries, function: &str, n: f64) {
    series.name = format!("{function}({}, {})", series.name, percent_g(n));
    series.path_expression.clone_from(&series.name);
}

/// Sets the points `side` of `threshold` to `None`. The reference enumerates the series as
/// it iterates (consolidated when a display consolidation is set) and assigns by that
/// index into the raw values; this does the same.
fn remove_points(series: &mut TimeSeries, side: Side, threshold: f64) {
    let removed: Vec<usize> = series
        .consolidated()
        .iter()
        .enumerate()
        .filter(|&(_, &v)| side.removes(v, threshold))
        .map(|(i, _)| i)
        .collect();
    for i in removed {
        if let Some(v) = series.values.get_mut(i) {
            *v = None;
        }
    }
}

/// `removeAboveValue` and `removeBelowValue`.
fn by_value(mut args: Args, function: &str, side: Side) -> Result<Value, EvalError> {
    let n = threshold_arg(&args, function)?;
    let mut list = args.series_list(0);
    for series in &mut list {
        rename(series, function, n);
        remove_points(series, side, n);
    }
    Ok(Value::SeriesList(list))
}

/// The percentile `nPercentile(requestContext, [series], n)[0][0]` gives inside the
/// percentile functions: `Ok(None)` where that raises `IndexError` (which the reference
/// catches and then leaves the series as it is), an error where it raises anything else.
/// Sets the `nPercentile` tag as the reference's shared tag dict ends up with it.
fn series_percentile(
    series: &mut TimeSeries,
    n: f64,
    function: &str,
) -> Result<Option<f64>, EvalError> {
    if n == 0.0 {
        // The reference's `assert n`, checked before anything else (an AssertionError, a
        // 500 there).
        return Err(input_error(format!(
            "{function}: parameter \"n\": the requested percent is required to be greater than 0"
        )));
    }
    let mut sorted: Vec<f64> = series.consolidated().iter().flatten().copied().collect();
    if sorted.is_empty() {
        // nPercentile skips an all-null series: its empty result has no [0].
        return Ok(None);
    }
    let fractional_rank = (n / 100.0) * (sorted.len() as f64 + 1.0);
    if !fractional_rank.is_finite() {
        // Python's `int()` of an infinite or NaN rank raises (a 500 in the reference).
        return Err(input_error(format!(
            "{function}: parameter \"n\": cannot convert the rank of percentile {} to an integer",
            percent_g(n)
        )));
    }
    sort_floats(&mut sorted);
    // A finite rank outside the list is Python's IndexError.
    let Ok(percentile) = percentile_sorted(&sorted, n) else {
        return Ok(None);
    };
    series.tags.insert("nPercentile".to_owned(), float_repr(n));
    if series.step == 0 {
        return Err(input_error(format!(
            "{function}: the series {} has a step of 0",
            series.name
        )));
    }
    // nPercentile repeats the value `int((end - start) / step)` times; with no points its
    // result has no [0] either.
    let point_count = (series.end - series.start) as f64 / series.step as f64;
    Ok((point_count >= 1.0).then_some(percentile))
}

/// `removeAbovePercentile` and `removeBelowPercentile`.
fn by_percentile(mut args: Args, function: &str, side: Side) -> Result<Value, EvalError> {
    let n = threshold_arg(&args, function)?;
    let mut list = args.series_list(0);
    for series in &mut list {
        rename(series, function, n);
        if let Some(percentile) = series_percentile(series, n, function)? {
            remove_points(series, side, percentile);
        }
    }
    Ok(Value::SeriesList(list))
}

/// `removeAboveValue(seriesList, n)`: points above `n` become `None`.
fn remove_above_value(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    by_value(args, "removeAboveValue", Side::Above)
}

/// `removeBelowValue(seriesList, n)`: points below `n` become `None`.
fn remove_below_value(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    by_value(args, "removeBelowValue", Side::Below)
}

/// `removeAbovePercentile(seriesList, n)`: points above the series' n-th percentile become
/// `None`.
fn remove_above_percentile(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    by_percentile(args, "removeAbovePercentile", Side::Above)
}

/// `removeBelowPercentile(seriesList, n)`: points below the series' n-th percentile become
/// `None`.
fn remove_below_percentile(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    by_percentile(args, "removeBelowPercentile", Side::Below)
}

#[cfg(test)]
mod tests;
