//! Filter Series functions: choosing which series of a list to keep.
//!
//! None of them changes a series; they drop some and (`highest`, `lowest`, `mostDeviant`)
//! reorder the rest. The choice follows graphite-web 1.1.10 exactly: the aggregation over
//! the series' values as the reference iterates them, its comparison rules for null
//! aggregates, and Python's sort and slice semantics ([`pyorder`]) for ties, NaN keys and a
//! negative or oversized `n`. Where the reference crashes (comparing `None` with a number,
//! an invalid regular expression, an impossible percentile) the request is a 400.

pub(super) mod pyorder;
mod timsort;

use super::alias::{python_regex, python_replacement};
use super::{input_error, AggFunc, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::grammar::parse_target;
use crate::series::{py_max, py_sum, TimeSeries};

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("averageAbove", average_above),
    ("averageBelow", average_below),
    ("averageOutsidePercentile", average_outside_percentile),
    ("currentAbove", current_above),
    ("currentBelow", current_below),
    ("exclude", exclude),
    ("filterSeries", filter_series),
    ("grep", grep),
    ("highest", highest),
    ("highestAverage", highest_average),
    ("highestCurrent", highest_current),
    ("highestMax", highest_max),
    ("limit", limit),
    ("lowest", lowest),
    ("lowestAverage", lowest_average),
    ("lowestCurrent", lowest_current),
    ("maximumAbove", maximum_above),
    ("maximumBelow", maximum_below),
    ("minimumAbove", minimum_above),
    ("minimumBelow", minimum_below),
    ("mostDeviant", most_deviant),
    ("removeBetweenPercentile", remove_between_percentile),
    ("removeEmptySeries", remove_empty_series),
    ("unique", unique),
    ("useSeriesAbove", use_series_above),
];

/// A comparison of `filterSeries` (the reference's `operatorFuncs`). A null aggregate passes
/// `!=`, `<` and `<=` and fails the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl Operator {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "=" => Self::Eq,
            "!=" => Self::Ne,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            "<" => Self::Lt,
            "<=" => Self::Le,
            _ => return None,
        })
    }

    /// Whether an aggregate passes against `threshold`.
    fn holds(self, value: Option<f64>, threshold: f64) -> bool {
        match (self, value) {
            (Self::Ne | Self::Lt | Self::Le, None) => true,
            (_, None) => false,
            (Self::Eq, Some(v)) => v == threshold,
            (Self::Ne, Some(v)) => v != threshold,
            (Self::Gt, Some(v)) => v > threshold,
            (Self::Ge, Some(v)) => v >= threshold,
            (Self::Lt, Some(v)) => v < threshold,
            (Self::Le, Some(v)) => v <= threshold,
        }
    }
}

/// The aggregation function named by a parameter (`getAggFunc`).
fn agg_func(name: &str) -> Result<AggFunc, EvalError> {
    AggFunc::from_name(name)
        .ok_or_else(|| input_error(format!("Unsupported aggregation function: {name}")))
}

/// An integer parameter (`n`): Python's `int(n)` of what was given.
fn int_arg(args: &Args, index: usize, function: &str) -> Result<i64, EvalError> {
    match args.values(index).first() {
        Some(Value::Int(i)) => Ok(*i),
        Some(Value::Bool(b)) => Ok(i64::from(*b)),
        Some(Value::Float(f)) if f.is_finite() => Ok(f.trunc() as i64),
        Some(other) => Err(input_error(format!(
            "{function}: parameter \"n\" must be an integer, not {}",
            other.py_repr()
        ))),
        None => Err(input_error(format!(
            "{function}: parameter \"n\" is required"
        ))),
    }
}

/// A float parameter that the catalog declares required.
fn float_arg(args: &Args, index: usize, function: &str, name: &str) -> Result<f64, EvalError> {
    args.float(index)
        .ok_or_else(|| input_error(format!("{function}: parameter \"{name}\" is required")))
}

/// `series[:n]` on a list.
fn take_head(mut list: Vec<TimeSeries>, n: i64) -> Vec<TimeSeries> {
    let keep = pyorder::head_len(list.len(), n);
    list.truncate(keep);
    list
}

/// Reorders `list` as `list.sort(key=..., reverse=...)` with one key per series (also the
/// Sorting functions' order).
pub(super) fn sorted_by_keys<K: PartialOrd>(
    list: Vec<TimeSeries>,
    keys: &[K],
    reverse: bool,
) -> Vec<TimeSeries> {
    let order = pyorder::sort_order(keys, reverse);
    let mut slots: Vec<Option<TimeSeries>> = list.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// `aggFuncs[func](values)`. The median sorts as Python's `sorted()` does, so a NaN among
/// the values lands where the reference puts it.
fn aggregate(func: AggFunc, values: &[Option<f64>]) -> Option<f64> {
    if func != AggFunc::Median {
        return func.apply(values);
    }
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let sorted = pyorder::sorted(&present);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        len if len.is_multiple_of(2) => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
        _ => Some(sorted[mid]),
    }
}

/// `safeAvg(series)`: the mean of the non-null values as the series iterates.
fn safe_avg(series: &TimeSeries) -> Option<f64> {
    AggFunc::Average.apply(&series.consolidated())
}

// ---------------------------------------------------------------------------------------------
// filterSeries and its shorthands

/// The series whose aggregate passes `operator` against `threshold`.
fn filter_by(
    list: Vec<TimeSeries>,
    func: AggFunc,
    operator: Operator,
    threshold: f64,
) -> Vec<TimeSeries> {
    list.into_iter()
        .filter(|s| operator.holds(aggregate(func, &s.consolidated()), threshold))
        .collect()
}

/// `filterSeries(seriesList, func, operator, threshold)`.
fn filter_series(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let func = agg_func(&args.string(1).unwrap_or_default())?;
    let operator_text = args.string(2).unwrap_or_default();
    let operator = Operator::parse(&operator_text)
        .ok_or_else(|| input_error(format!("Unsupported operator: {operator_text}")))?;
    let threshold = float_arg(&args, 3, "filterSeries", "threshold")?;
    let list = args.series_list(0);
    Ok(Value::SeriesList(filter_by(
        list, func, operator, threshold,
    )))
}

macro_rules! threshold_filters {
    ($($(#[$doc:meta])* $fn_name:ident => $name:literal, $func:ident, $op:ident;)*) => {
        $(
            $(#[$doc])*
            fn $fn_name(
                _: &mut Evaluator<'_>,
                _: &RequestContext,
                mut args: Args,
            ) -> Result<Value, EvalError> {
                let n = float_arg(&args, 1, $name, "n")?;
                let list = args.series_list(0);
                Ok(Value::SeriesList(filter_by(list, AggFunc::$func, Operator::$op, n)))
            }
        )*
    };
}

threshold_filters! {
    /// `averageAbove(seriesList, n)`: average `>` n.
    average_above => "averageAbove", Average, Gt;
    /// `averageBelow(seriesList, n)`: average `<=` n (or no values).
    average_below => "averageBelow", Average, Le;
    /// `currentAbove(seriesList, n)`: last non-null value `>` n.
    current_above => "currentAbove", Last, Gt;
    /// `currentBelow(seriesList, n)`: last non-null value `<=` n (or no values).
    current_below => "currentBelow", Last, Le;
    /// `maximumAbove(seriesList, n)`: maximum `>` n.
    maximum_above => "maximumAbove", Max, Gt;
    /// `maximumBelow(seriesList, n)`: maximum `<=` n (or no values).
    maximum_below => "maximumBelow", Max, Le;
    /// `minimumAbove(seriesList, n)`: minimum `>` n.
    minimum_above => "minimumAbove", Min, Gt;
    /// `minimumBelow(seriesList, n)`: minimum `<=` n (or no values).
    minimum_below => "minimumBelow", Min, Le;
}

// ---------------------------------------------------------------------------------------------
// highest, lowest and their shorthands

/// The first `n` series by aggregate, largest first when `reverse`; a null aggregate ranks
/// as `-inf` (`keyFunc`).
fn ranked(list: Vec<TimeSeries>, func: AggFunc, n: i64, reverse: bool) -> Vec<TimeSeries> {
    let keys: Vec<f64> = list
        .iter()
        .map(|s| aggregate(func, &s.consolidated()).unwrap_or(f64::NEG_INFINITY))
        .collect();
    take_head(sorted_by_keys(list, &keys, reverse), n)
}

/// `highest(seriesList, n=1, func='average')`.
fn highest(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let n = int_arg(&args, 1, "highest")?;
    let func = agg_func(&args.string(2).unwrap_or_else(|| "average".to_owned()))?;
    let list = args.series_list(0);
    Ok(Value::SeriesList(ranked(list, func, n, true)))
}

/// `lowest(seriesList, n=1, func='average')`.
fn lowest(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let n = int_arg(&args, 1, "lowest")?;
    let func = agg_func(&args.string(2).unwrap_or_else(|| "average".to_owned()))?;
    let list = args.series_list(0);
    Ok(Value::SeriesList(ranked(list, func, n, false)))
}

macro_rules! ranked_shorthands {
    ($($(#[$doc:meta])* $fn_name:ident => $name:literal, $func:ident, $reverse:literal;)*) => {
        $(
            $(#[$doc])*
            fn $fn_name(
                _: &mut Evaluator<'_>,
                _: &RequestContext,
                mut args: Args,
            ) -> Result<Value, EvalError> {
                let n = int_arg(&args, 1, $name)?;
                let list = args.series_list(0);
                Ok(Value::SeriesList(ranked(list, AggFunc::$func, n, $reverse)))
            }
        )*
    };
}

ranked_shorthands! {
    /// `highestAverage(seriesList, n)`: `highest` by `average`.
    highest_average => "highestAverage", Average, true;
    /// `highestCurrent(seriesList, n)`: `highest` by `current`.
    highest_current => "highestCurrent", Last, true;
    /// `highestMax(seriesList, n)`: `highest` by `max`.
    highest_max => "highestMax", Max, true;
    /// `lowestAverage(seriesList, n)`: `lowest` by `average`.
    lowest_average => "lowestAverage", Average, false;
    /// `lowestCurrent(seriesList, n)`: `lowest` by `current`.
    lowest_current => "lowestCurrent", Last, false;
}

/// `limit(seriesList, n)`: `seriesList[0:n]`.
fn limit(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let n = int_arg(&args, 1, "limit")?;
    Ok(Value::SeriesList(take_head(args.series_list(0), n)))
}

/// `mostDeviant(seriesList, n)`: the `n` series with the largest population variance (the
/// reference calls it sigma but takes no square root); series without values are dropped.
fn most_deviant(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let n = int_arg(&args, 1, "mostDeviant")?;
    let mut kept = Vec::new();
    let mut keys = Vec::new();
    for series in args.series_list(0) {
        let values = series.consolidated();
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        if present.is_empty() {
            continue;
        }
        let mean = py_sum(&present) / present.len() as f64;
        let mut squares = Vec::with_capacity(present.len());
        for v in &present {
            let d = v - mean;
            let square = d * d;
            // Python's float `**` raises OverflowError where finite operands overflow.
            if d.is_finite() && square.is_infinite() {
                return Err(input_error(format!(
                    "mostDeviant: the variance of {} overflows",
                    series.name
                )));
            }
            squares.push(square);
        }
        let sigma = py_sum(&squares) / present.len() as f64;
        keys.push(sigma);
        kept.push(series);
    }
    Ok(Value::SeriesList(take_head(
        sorted_by_keys(kept, &keys, true),
        n,
    )))
}

// ---------------------------------------------------------------------------------------------
// Percentiles

/// `n` folded into the upper half (`if n < 50: n = 100 - n`).
fn upper_percent(n: f64) -> f64 {
    if n < 50.0 {
        100.0 - n
    } else {
        n
    }
}

/// `averageOutsidePercentile(seriesList, n)`: drops the series whose average lies strictly
/// between the `100-n`th and `n`th percentiles of all averages.
fn average_outside_percentile(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let n = upper_percent(float_arg(&args, 1, "averageOutsidePercentile", "n")?);
    let list = args.series_list(0);
    if list.is_empty() {
        return Ok(Value::SeriesList(list));
    }
    let averages: Vec<Option<f64>> = list.iter().map(safe_avg).collect();
    // The reference compares each average with the percentiles and fails on a series
    // without values (`None < float`).
    if let Some(i) = averages.iter().position(Option::is_none) {
        return Err(input_error(format!(
            "averageOutsidePercentile: series {} has no values to average",
            list[i].name
        )));
    }
    let (Some(low), Some(high)) = (
        pyorder::percentile(&averages, 100.0 - n)?,
        pyorder::percentile(&averages, n)?,
    ) else {
        return Ok(Value::SeriesList(Vec::new()));
    };
    Ok(Value::SeriesList(
        list.into_iter()
            .zip(averages)
            .filter(|(_, avg)| avg.is_some_and(|a| !(low < a && a < high)))
            .map(|(s, _)| s)
            .collect(),
    ))
}

/// `removeBetweenPercentile(seriesList, n)`: keeps the series with at least one value
/// outside the open interval between the `100-n`th and `n`th percentiles of the values at
/// that position in all series.
fn remove_between_percentile(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let n = upper_percent(float_arg(&args, 1, "removeBetweenPercentile", "n")?);
    let list = args.series_list(0);
    let rows: Vec<Vec<Option<f64>>> = list.iter().map(TimeSeries::consolidated_values).collect();
    let columns = rows.iter().map(Vec::len).min().unwrap_or(0);
    let mut bounds = Vec::with_capacity(columns);
    let mut column = Vec::with_capacity(rows.len());
    for i in 0..columns {
        column.clear();
        column.extend(rows.iter().map(|r| r[i]));
        bounds.push((
            pyorder::percentile(&column, 100.0 - n)?,
            pyorder::percentile(&column, n)?,
        ));
    }
    // The reference compares every value of every series with its column's percentiles:
    // a null value, or a series longer than the shortest, makes it fail.
    for (series, row) in list.iter().zip(&rows) {
        if row.len() > columns {
            return Err(input_error(format!(
                "removeBetweenPercentile: series {} has more values than the shortest series",
                series.name
            )));
        }
        if row.iter().any(Option::is_none) {
            return Err(input_error(format!(
                "removeBetweenPercentile: series {} has null values",
                series.name
            )));
        }
    }
    Ok(Value::SeriesList(
        list.into_iter()
            .zip(rows)
            .filter(|(_, row)| {
                row.iter().zip(&bounds).any(|(v, bound)| match (v, bound) {
                    (Some(v), (Some(low), Some(high))) => !(*low < *v && *v < *high),
                    _ => true,
                })
            })
            .map(|(s, _)| s)
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Names and emptiness

/// `grep(seriesList, pattern)`: the series whose name matches the regular expression
/// anywhere (`re.search`).
fn grep(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let regex = python_regex(&args.string(1).unwrap_or_default())?;
    let mut list = args.series_list(0);
    list.retain(|s| regex.is_match(&s.name));
    Ok(Value::SeriesList(list))
}

/// `exclude(seriesList, pattern)`: the series whose name does not match the regular
/// expression anywhere.
fn exclude(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let regex = python_regex(&args.string(1).unwrap_or_default())?;
    let mut list = args.series_list(0);
    list.retain(|s| !regex.is_match(&s.name));
    Ok(Value::SeriesList(list))
}

/// `removeEmptySeries(seriesList, xFilesFactor=None)`: the series with at least one value
/// and a non-null ratio of at least `xFilesFactor` (0 when omitted, not the series' own).
fn remove_empty_series(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let x_files_factor = args.float(1).unwrap_or(0.0);
    let mut list = args.series_list(0);
    list.retain(|s| {
        let total = s.values.len();
        let non_null = s.consolidated().iter().filter(|v| v.is_some()).count();
        non_null > 0 && total > 0 && non_null as f64 / total as f64 >= x_files_factor
    });
    Ok(Value::SeriesList(list))
}

/// `unique(*seriesLists)`: every series whose name was not seen before, in order.
fn unique(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for series in args.series_lists(0).into_iter().flatten() {
        if seen.insert(series.name.clone()) {
            out.push(series);
        }
    }
    Ok(Value::SeriesList(out))
}

/// `useSeriesAbove(seriesList, value, search, replace)`: for each series whose maximum is
/// above `value`, the series named by `re.sub(search, replace, name)`, all fetched as
/// `group(name1,name2,...)` over the same range; empty results are dropped.
fn use_series_above(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let value = float_arg(&args, 1, "useSeriesAbove", "value")?;
    let search = args.string(2).unwrap_or_default();
    let replace = args.string(3).unwrap_or_default();
    let list = args.series_list(0);
    if list.is_empty() {
        return Ok(Value::SeriesList(list));
    }
    let regex = python_regex(&search)?;
    let template = python_replacement(&replace, &regex)?;
    let mut names = Vec::new();
    for series in &list {
        let new_name = regex.replace_all(&series.name, template.as_str());
        let values = series.consolidated();
        // The reference takes Python's max() of the values, which fails on a null (`None`
        // does not compare with numbers) and on a series without values.
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        if present.is_empty() || present.len() != values.len() {
            return Err(input_error(format!(
                "useSeriesAbove: series {} has null values; its maximum is undefined",
                series.name
            )));
        }
        if py_max(&present) > value {
            names.push(new_name.into_owned());
        }
    }
    if names.is_empty() {
        return Ok(Value::SeriesList(Vec::new()));
    }
    let target = format!("group({})", names.join(","));
    let expr = parse_target(&target).map_err(|e| {
        input_error(format!(
            "useSeriesAbove: the replaced names do not form a target ({target}): {e}"
        ))
    })?;
    let found = match ev.evaluate_in(ctx, &expr)? {
        Value::SeriesList(list) => list,
        Value::SeriesLists(lists) => lists.into_iter().flatten().collect(),
        _ => Vec::new(),
    };
    Ok(Value::SeriesList(
        found.into_iter().filter(|s| !s.values.is_empty()).collect(),
    ))
}

#[cfg(test)]
mod tests;
