//! Combine functions: row-wise aggregation across series (`aggregate` and the
//! `sumSeries`-style shorthands), with the LCM-step normalisation of the reference.

use super::{format_path_expressions, input_error, AggFunc, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::{Tags, TimeSeries};

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("sumSeries", sum_series),
    ("sum", sum_series),
    ("averageSeries", average_series),
    ("avg", average_series),
];

/// `sumSeries(*seriesLists)` / `sum`.
pub(super) fn sum_series(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    aggregate(ctx, args.series_lists(0), "sum", None).map(Value::SeriesList)
}

/// `averageSeries(*seriesLists)` / `avg`.
pub(super) fn average_series(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    aggregate(ctx, args.series_lists(0), "average", None).map(Value::SeriesList)
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// The reference's `lcm`.
pub(crate) fn lcm(a: i64, b: i64) -> i64 {
    if a == b {
        return a;
    }
    let (a, b) = if a < b { (b, a) } else { (a, b) };
    let g = gcd(a, b);
    if g == 0 {
        return a;
    }
    (a / g).saturating_mul(b)
}

/// `normalize(seriesLists)`: one list, every series consolidated to the LCM of the steps,
/// and the common `(start, end, step)`; `None` when there are no series.
pub(crate) fn normalize(lists: Vec<Vec<TimeSeries>>) -> Option<(Vec<TimeSeries>, i64, i64, i64)> {
    let mut all: Vec<TimeSeries> = lists.into_iter().flatten().collect();
    if all.is_empty() {
        return None;
    }
    let step = all.iter().map(|s| s.step).reduce(lcm).unwrap_or(1).max(1);
    for s in &mut all {
        if s.step > 0 {
            s.consolidate((step / s.step).max(1) as usize);
        }
    }
    let start = all.iter().map(|s| s.start).min().unwrap_or(0);
    let mut end = all.iter().map(|s| s.end).max().unwrap_or(0);
    end -= (end - start).rem_euclid(step);
    Some((all, start, end, step))
}

/// `aggregate(seriesLists, func, xFilesFactor)`.
pub(crate) fn aggregate(
    ctx: &RequestContext,
    lists: Vec<Vec<TimeSeries>>,
    raw_func: &str,
    x_files_factor: Option<f64>,
) -> Result<Vec<TimeSeries>, EvalError> {
    let func_name = raw_func.strip_suffix("Series").unwrap_or(raw_func);
    let func = AggFunc::from_name(func_name)
        .ok_or_else(|| input_error(format!("Unsupported aggregation function: {raw_func}")))?;
    let Some((series, start, end, step)) = normalize(lists) else {
        return Ok(Vec::new());
    };
    let xff = x_files_factor.unwrap_or(ctx.x_files_factor);
    let name = format!("{func_name}Series({})", format_path_expressions(&series));
    let columns: Vec<Vec<Option<f64>>> =
        series.iter().map(TimeSeries::consolidated_values).collect();
    let len = columns.iter().map(Vec::len).max().unwrap_or(0);
    let mut row = Vec::with_capacity(columns.len());
    let mut values = Vec::with_capacity(len);
    for i in 0..len {
        row.clear();
        row.extend(columns.iter().map(|c| c.get(i).copied().flatten()));
        let non_null = row.iter().filter(|v| v.is_some()).count();
        let keep = non_null > 0 && (non_null as f64 / row.len() as f64) >= xff;
        values.push(if keep { func.apply(&row) } else { None });
    }
    let mut tags: Tags = series[0].tags.clone();
    for s in &series[1..] {
        tags.retain(|k, v| s.tags.get(k) == Some(v));
    }
    if !tags.contains_key("name") {
        tags.insert("name".to_owned(), name.clone());
    }
    tags.insert("aggregatedBy".to_owned(), func_name.to_owned());
    let mut out = TimeSeries::new(name, start, end, step, values, xff);
    out.tags = tags;
    Ok(vec![out])
}
