//! Combine functions: row-wise aggregation across series (`aggregate` and the
//! `sumSeries`-style shorthands), with the LCM-step normalisation of the reference, and the
//! grouping functions built on them (`groupByNode`, `mapSeries`/`reduceSeries`, ...).
//!
//! As in the reference, normalising a list consolidates its series in place (sets their
//! `values_per_point` to reach the common step) and the rows are then read from the
//! consolidated values, padded with `None` to the longest series (`izip_longest`).

mod group;
mod percent;

use super::{format_path_expressions, input_error, percent_g, AggFunc, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::{Tags, TimeSeries};

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("aggregate", aggregate_fn),
    ("aggregateSeriesLists", aggregate_series_lists),
    ("aggregateWithWildcards", group::aggregate_with_wildcards),
    ("applyByNode", group::apply_by_node),
    ("asPercent", percent::as_percent),
    ("pct", percent::as_percent),
    ("averageSeries", average_series),
    ("avg", average_series),
    (
        "averageSeriesWithWildcards",
        group::average_series_with_wildcards,
    ),
    ("countSeries", count_series),
    ("diffSeries", diff_series),
    ("diffSeriesLists", diff_series_lists),
    ("divideSeries", percent::divide_series),
    ("divideSeriesLists", percent::divide_series_lists),
    ("group", group_fn),
    ("groupByNode", group::group_by_node),
    ("groupByNodes", group::group_by_nodes),
    ("groupByTags", group::group_by_tags),
    ("mapSeries", group::map_series),
    ("map", group::map_series),
    ("maxSeries", max_series),
    ("minSeries", min_series),
    ("multiplySeries", multiply_series),
    ("multiplySeriesLists", multiply_series_lists),
    (
        "multiplySeriesWithWildcards",
        group::multiply_series_with_wildcards,
    ),
    ("percentileOfSeries", percentile_of_series),
    ("powSeries", pow_series),
    ("rangeOfSeries", range_of_series),
    ("reduceSeries", group::reduce_series),
    ("reduce", group::reduce_series),
    ("stddevSeries", stddev_series),
    ("sumSeries", sum_series),
    ("sum", sum_series),
    ("sumSeriesLists", sum_series_lists),
    ("sumSeriesWithWildcards", group::sum_series_with_wildcards),
    ("weightedAverage", percent::weighted_average),
];

/// `aggregate(seriesList, func, xFilesFactor=None)`.
fn aggregate_fn(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let func = args.string(1).unwrap_or_default();
    let xff = args.float(2);
    aggregate(ctx, vec![args.series_list(0)], &func, xff).map(Value::SeriesList)
}

macro_rules! shorthand {
    ($(#[$doc:meta] $name:ident => $func:literal),* $(,)?) => {
        $(
            #[$doc]
            fn $name(
                _: &mut Evaluator<'_>,
                ctx: &RequestContext,
                mut args: Args,
            ) -> Result<Value, EvalError> {
                aggregate(ctx, args.series_lists(0), $func, None).map(Value::SeriesList)
            }
        )*
    };
}

shorthand! {
    /// `sumSeries(*seriesLists)` / `sum`.
    sum_series => "sum",
    /// `averageSeries(*seriesLists)` / `avg`.
    average_series => "average",
    /// `diffSeries(*seriesLists)`.
    diff_series => "diff",
    /// `stddevSeries(*seriesLists)`.
    stddev_series => "stddev",
    /// `minSeries(*seriesLists)`.
    min_series => "min",
    /// `maxSeries(*seriesLists)`.
    max_series => "max",
    /// `rangeOfSeries(*seriesLists)`.
    range_of_series => "rangeOf",
}

/// `multiplySeries(*seriesLists)`: a single list of a single series comes back unchanged.
fn multiply_series(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut lists = args.series_lists(0);
    if lists.len() == 1 && lists[0].len() == 1 {
        return Ok(Value::SeriesList(lists.remove(0)));
    }
    aggregate(ctx, lists, "multiply", None).map(Value::SeriesList)
}

/// `aggregateSeriesLists(first, second, func, xFilesFactor=None)`.
fn aggregate_series_lists(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let func = args.string(2).unwrap_or_default();
    let xff = args.float(3);
    let first = args.series_list(0);
    let second = args.series_list(1);
    series_lists_pairwise(ctx, first, second, &func, xff).map(Value::SeriesList)
}

macro_rules! pairwise {
    ($(#[$doc:meta] $name:ident => $func:literal),* $(,)?) => {
        $(
            #[$doc]
            fn $name(
                _: &mut Evaluator<'_>,
                ctx: &RequestContext,
                mut args: Args,
            ) -> Result<Value, EvalError> {
                let first = args.series_list(0);
                let second = args.series_list(1);
                series_lists_pairwise(ctx, first, second, $func, None).map(Value::SeriesList)
            }
        )*
    };
}

pairwise! {
    /// `sumSeriesLists(first, second)`.
    sum_series_lists => "sum",
    /// `diffSeriesLists(first, second)`.
    diff_series_lists => "diff",
    /// `multiplySeriesLists(first, second)`.
    multiply_series_lists => "multiply",
}

/// The reference's `aggregateSeriesLists`: `aggregate` of each pair, named
/// `<func>Series(<first name>,<second name>)`.
fn series_lists_pairwise(
    ctx: &RequestContext,
    first: Vec<TimeSeries>,
    second: Vec<TimeSeries>,
    func: &str,
    xff: Option<f64>,
) -> Result<Vec<TimeSeries>, EvalError> {
    if first.len() != second.len() {
        return Err(input_error(
            "seriesListFirstPos and seriesListSecondPos argument must have equal length",
        ));
    }
    // Validate the function even when the lists are empty, as the reference does per pair
    // only: with no pairs it raises nothing.
    let mut out = Vec::with_capacity(first.len());
    for (a, b) in first.into_iter().zip(second) {
        let name = format!("Series({},{})", a.name, b.name);
        let Some(mut result) = aggregate(ctx, vec![vec![a, b]], func, xff)?.pop() else {
            continue;
        };
        // aggregate() names it `<func>Series(...)`.
        let prefix = result.name[..result.name.find("Series(").unwrap_or(0)].to_owned();
        result.name = format!("{prefix}{name}");
        out.push(result);
    }
    Ok(out)
}

/// `countSeries(*seriesLists)`: the number of series at every point (Python ints); with no
/// argument at all, `constantLine(0)`.
fn count_series(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let lists = args.series_lists(0);
    if lists.is_empty() {
        let start = ctx.start;
        let end = ctx.end;
        // int((end - start) / 2.0)
        let step = ((end as f64 - start as f64) / 2.0).trunc() as i64;
        let mut series = TimeSeries::new(
            "0",
            start,
            end,
            step,
            vec![Some(0.0); 3],
            ctx.x_files_factor.get(),
        );
        series.path_expression = "countSeries()".to_owned();
        series.int_values = true;
        return Ok(Value::SeriesList(vec![series]));
    }
    let Some((series, start, end, step)) = normalize(lists) else {
        return Ok(Value::SeriesList(Vec::new()));
    };
    let name = format!("countSeries({})", format_path_expressions(&series));
    let len = series.iter().map(consolidated_len).max().unwrap_or(0);
    let count = series.len() as f64;
    let mut out = TimeSeries::new(
        name,
        start,
        end,
        step,
        vec![Some(count); len],
        ctx.x_files_factor.get(),
    );
    out.int_values = true;
    Ok(Value::SeriesList(vec![out]))
}

/// `group(*seriesLists)`: the lists concatenated.
fn group_fn(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    Ok(Value::SeriesList(
        args.series_lists(0).into_iter().flatten().collect(),
    ))
}

/// `powSeries(*seriesLists)`: the first value raised to the second, the result to the
/// third, ... (`safePow`: `None` where Python's `math.pow` fails).
fn pow_series(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let Some((series, start, end, step)) = normalize(args.series_lists(0)) else {
        return Ok(Value::SeriesList(Vec::new()));
    };
    let name = format!(
        "powSeries({})",
        series
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(",")
    );
    let columns: Vec<Vec<Option<f64>>> =
        series.iter().map(TimeSeries::consolidated_values).collect();
    let len = columns.iter().map(Vec::len).max().unwrap_or(0);
    let mut values = Vec::with_capacity(len);
    for i in 0..len {
        let mut acc: Option<f64> = None;
        for (j, column) in columns.iter().enumerate() {
            let element = column.get(i).copied().flatten();
            acc = if j == 0 {
                element
            } else {
                safe_pow(acc, element)
            };
        }
        values.push(acc);
    }
    let mut out = TimeSeries::new(name, start, end, step, values, ctx.x_files_factor.get());
    out.int_values = columns.len() == 1 && series[0].iterates_ints();
    Ok(Value::SeriesList(vec![out]))
}

/// `safePow(a, b)`: `math.pow`, `None` for a `None` operand or where Python raises
/// (`ValueError` for a NaN from non-NaN operands, `OverflowError` for an infinity from
/// finite ones).
pub(crate) fn safe_pow(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    let (a, b) = (a?, b?);
    let r = a.powf(b);
    if r.is_nan() && !a.is_nan() && !b.is_nan() {
        return None;
    }
    if r.is_infinite() && a.is_finite() && b.is_finite() {
        return None;
    }
    Some(r)
}

/// `percentileOfSeries(seriesList, n, interpolate=False)`.
fn percentile_of_series(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let n = args.float(1).unwrap_or(0.0);
    let interpolate = matches!(args.values(2).first(), Some(Value::Bool(true)));
    if n.is_nan() || n <= 0.0 {
        return Err(input_error(
            "The requested percent is required to be greater than 0",
        ));
    }
    let list = args.series_list(0);
    if list.is_empty() {
        return Ok(Value::SeriesList(Vec::new()));
    }
    let name = format!(
        "percentileOfSeries({},{})",
        list[0].path_expression,
        percent_g(n)
    );
    let Some((series, start, end, step)) = normalize(vec![list]) else {
        return Ok(Value::SeriesList(Vec::new()));
    };
    let columns: Vec<Vec<Option<f64>>> =
        series.iter().map(TimeSeries::consolidated_values).collect();
    let len = columns.iter().map(Vec::len).max().unwrap_or(0);
    let mut values = Vec::with_capacity(len);
    let mut row = Vec::with_capacity(columns.len());
    for i in 0..len {
        row.clear();
        row.extend(columns.iter().filter_map(|c| c.get(i).copied().flatten()));
        values.push(get_percentile(&mut row, n, interpolate)?);
    }
    let mut out = TimeSeries::new(name, start, end, step, values, ctx.x_files_factor.get());
    // Without interpolation the percentile is one of the values: ints stay ints.
    out.int_values = !interpolate && series.iter().all(TimeSeries::iterates_ints);
    Ok(Value::SeriesList(vec![out]))
}

/// `_getPercentile(points, n, interpolate)` over the non-null points (sorted here). Where
/// the reference indexes past the end (`n` above 100, or `interpolate` at 100) it fails.
pub(crate) fn get_percentile(
    points: &mut [f64],
    n: f64,
    interpolate: bool,
) -> Result<Option<f64>, EvalError> {
    if points.is_empty() {
        return Ok(None);
    }
    // A total order (NaN last): an inconsistent comparator may make the sort panic.
    points.sort_by(|a, b| {
        a.partial_cmp(b)
            .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
    });
    let len = points.len();
    let fractional_rank = (n / 100.0) * (len as f64 + 1.0);
    if !fractional_rank.is_finite() || fractional_rank > (len as f64 + 2.0) {
        return Err(input_error("list index out of range"));
    }
    let mut rank = fractional_rank.trunc() as usize;
    let rank_fraction = fractional_rank - rank as f64;
    if !interpolate {
        rank += rank_fraction.ceil() as usize;
    }
    let mut percentile = if rank == 0 {
        points[0]
    } else if rank - 1 == len {
        points[len - 1]
    } else {
        *points
            .get(rank - 1)
            .ok_or_else(|| input_error("list index out of range"))?
    };
    if interpolate && rank != len {
        let next = *points
            .get(rank)
            .ok_or_else(|| input_error("list index out of range"))?;
        percentile += rank_fraction * (next - percentile);
    }
    Ok(Some(percentile))
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

/// The number of values a series iterates (after its display consolidation).
pub(crate) fn consolidated_len(s: &TimeSeries) -> usize {
    s.values.len().div_ceil(s.values_per_point.max(1))
}

/// `normalize` over series borrowed from several places: consolidates each to the LCM of
/// the steps and returns the common `(start, end, step)`; `None` when there are no series.
pub(crate) fn normalize_refs(series: &mut [&mut TimeSeries]) -> Option<(i64, i64, i64)> {
    if series.is_empty() {
        return None;
    }
    let step = series
        .iter()
        .map(|s| s.step)
        .reduce(lcm)
        .unwrap_or(1)
        .max(1);
    for s in series.iter_mut() {
        if s.step > 0 {
            s.consolidate((step / s.step).max(1) as usize);
        }
    }
    let start = series.iter().map(|s| s.start).min().unwrap_or(0);
    let mut end = series.iter().map(|s| s.end).max().unwrap_or(0);
    end -= (end - start).rem_euclid(step);
    Some((start, end, step))
}

/// `normalize(seriesLists)`: one list, every series consolidated to the LCM of the steps,
/// and the common `(start, end, step)`; `None` when there are no series.
pub(crate) fn normalize(lists: Vec<Vec<TimeSeries>>) -> Option<(Vec<TimeSeries>, i64, i64, i64)> {
    let mut all: Vec<TimeSeries> = lists.into_iter().flatten().collect();
    let mut refs: Vec<&mut TimeSeries> = all.iter_mut().collect();
    let (start, end, step) = normalize_refs(&mut refs)?;
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
    let xff = x_files_factor.unwrap_or(ctx.x_files_factor.get());
    let name = format!("{func_name}Series({})", format_path_expressions(&series));
    let columns: Vec<std::borrow::Cow<'_, [Option<f64>]>> =
        series.iter().map(TimeSeries::consolidated).collect();
    let values = match streaming_rows(func, &columns, xff) {
        Some(values) => values,
        None => {
            let len = columns.iter().map(|c| c.len()).max().unwrap_or(0);
            let mut row = Vec::with_capacity(columns.len());
            let mut values = Vec::with_capacity(len);
            for i in 0..len {
                row.clear();
                row.extend(columns.iter().map(|c| c.get(i).copied().flatten()));
                let non_null = row.iter().filter(|v| v.is_some()).count();
                let keep = non_null > 0 && (non_null as f64 / row.len() as f64) >= xff;
                values.push(if keep { func.apply(&row) } else { None });
            }
            values
        }
    };
    let mut tags: Tags = series[0].tags.clone();
    for s in &series[1..] {
        tags.retain(|k, v| s.tags.get(k) == Some(v));
    }
    if !tags.contains_key("name") {
        tags.insert("name".to_owned(), name.clone());
    }
    tags.insert("aggregatedBy".to_owned(), func_name.to_owned());
    let ints = func.keeps_ints() && series.iter().all(TimeSeries::iterates_ints);
    let mut out = TimeSeries::new(name, start, end, step, values, xff);
    out.tags = tags;
    out.int_values = func == AggFunc::Count || ints;
    Ok(vec![out])
}

/// Row-wise `sum`, `average`, `min`, `max`, `count` and `last` computed column by column into
/// per-row accumulators: the same additions and comparisons in the same order as the
/// reference's per-row `sum(safeValues)` / `max(...)` (so the same floats), without building a
/// row per timestamp. Other functions return `None` and use the row-by-row path.
fn streaming_rows(
    func: AggFunc,
    columns: &[std::borrow::Cow<'_, [Option<f64>]>],
    xff: f64,
) -> Option<Vec<Option<f64>>> {
    if !matches!(
        func,
        AggFunc::Sum
            | AggFunc::Average
            | AggFunc::Min
            | AggFunc::Max
            | AggFunc::Count
            | AggFunc::Last
    ) {
        return None;
    }
    let len = columns.iter().map(|c| c.len()).max().unwrap_or(0);
    let mut acc = vec![0.0f64; len];
    let mut non_null = vec![0u32; len];
    for column in columns {
        for (i, v) in column.iter().enumerate() {
            let Some(x) = *v else { continue };
            let slot = &mut acc[i];
            let first = non_null[i] == 0;
            match func {
                // Python's sum starts from int 0: 0 + x is x (and -0.0 becomes 0.0).
                AggFunc::Sum | AggFunc::Average => *slot += x,
                AggFunc::Min | AggFunc::Max
                    if first
                        || (func == AggFunc::Min && x < *slot)
                        || (func == AggFunc::Max && x > *slot) =>
                {
                    *slot = x;
                }
                AggFunc::Last => *slot = x,
                _ => {}
            }
            non_null[i] += 1;
        }
    }
    let width = columns.len() as f64;
    Some(
        acc.into_iter()
            .zip(non_null)
            .map(|(total, n)| {
                let keep = n > 0 && (f64::from(n) / width) >= xff;
                if !keep {
                    return None;
                }
                Some(match func {
                    AggFunc::Average => total / f64::from(n),
                    AggFunc::Count => f64::from(n),
                    _ => total,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::functions::test_support::{ctx_until, eval_value, Fixed};

    fn ctx() -> RequestContext {
        ctx_until(600)
    }

    fn storage() -> Fixed {
        let mk = |name: &str, step: i64, values: Vec<Option<f64>>| {
            TimeSeries::new(name, 0, 600, step, values, 0.0)
        };
        Fixed(vec![
            mk(
                "a.x.one",
                10,
                (0..60).map(|i| (i % 7 != 0).then_some(i as f64)).collect(),
            ),
            mk(
                "a.y.one",
                15,
                (0..40).map(|i| Some(f64::from(i) - 20.0)).collect(),
            ),
            mk("a.z.two", 60, vec![None; 10]),
            mk("b.x.one", 60, vec![Some(0.0); 10]),
            mk("b.y.two", 600, Vec::new()),
        ])
    }

    fn eval(target: &str) -> Result<Value, EvalError> {
        eval_value(&storage(), &ctx(), target)
    }

    #[test]
    fn odd_arguments_do_not_panic() {
        let targets = [
            "countSeries()",
            "countSeries(a.*.*,nothere)",
            "percentileOfSeries(a.*.*,1e308)",
            "percentileOfSeries(a.*.*,0.000001,true)",
            "percentileOfSeries(a.*.*,100,true)",
            "percentileOfSeries(a.*.*,-5)",
            "asPercent(a.*.*,0)",
            "asPercent(a.*.*,'x')",
            "asPercent(a.*.*,b.*.*)",
            "asPercent(a.*.*,b.*.*,1)",
            "asPercent(a.*.*,b.x.one,1,2,-7,'tag')",
            "asPercent(a.*.*,5,1)",
            "asPercent(nothere.*,None,1)",
            "divideSeries(a.*.*,b.*.*)",
            "divideSeries(a.*.*,nothere)",
            "divideSeriesLists(a.*.*,b.*.*)",
            "weightedAverage(a.*.*,a.*.*,99,-99,'x')",
            "weightedAverage(b.*.*,a.*.one)",
            "aggregateWithWildcards(a.*.*,'sum',-1,99,0)",
            "groupByNode(a.*.*,99,'countSeries')",
            "groupByNodes(a.*.*,'asPercent',1)",
            "groupByNodes(a.*.*,'sumSeriesLists',1)",
            "groupByTags(a.*.*,'sum','name','dc')",
            "groupByTags(a.*.*,'sum','name')",
            "reduceSeries(mapSeries(a.*.*,1),'asPercent',-1,'one','two')",
            "reduceSeries(mapSeries(a.*.*,1),'nosuch',2,'one')",
            "reduceSeries(mapSeries(a.*.*,0),'sumSeries',99,'one')",
            "reduceSeries(mapSeries(a.*.*,0),'sumSeries',-99,'one')",
            "applyByNode(a.*.*,-99,'sumSeries(%.*)')",
            "applyByNode(a.*.*,99,'sumSeries(%)','%.%')",
            "applyByNode(a.*.*,0,'sumSeries(%.*.*', 'x')",
            "applyByNode(a.*.*,0,'  ')",
            "powSeries(a.*.*,b.*.*)",
            "aggregateSeriesLists(a.*.*,a.*.*,'multiply',-1)",
            "aggregateSeriesLists(a.*.*,b.*.*,'sum')",
            "aggregate(a.*.*,'median',2)",
            "multiplySeries(b.y.two)",
        ];
        for target in targets {
            let _ = eval(target);
        }
    }

    #[test]
    fn count_and_aggregate_results() {
        let Ok(Value::SeriesList(list)) = eval("countSeries(a.*.*)") else {
            panic!("countSeries failed")
        };
        assert_eq!(list[0].name, "countSeries(a.*.*)");
        assert_eq!(list[0].step, 60);
        assert!(list[0].int_values);
        assert_eq!(list[0].values, vec![Some(3.0); 10]);
        let Ok(Value::SeriesList(list)) = eval("aggregate(a.*.*,'count')") else {
            panic!("aggregate failed")
        };
        assert!(list[0].int_values);
        let Ok(Value::SeriesList(list)) = eval("sumSeries(countSeries(a.*.*),countSeries(a.z.*))")
        else {
            panic!("sumSeries failed")
        };
        assert!(list[0].int_values);
        // Normalising to a coarser step averages the ints: floats.
        let Ok(Value::SeriesList(list)) = eval("sumSeries(countSeries(a.*.*),countSeries(b.*.*))")
        else {
            panic!("sumSeries failed")
        };
        assert!(!list[0].int_values);
        let Ok(Value::SeriesList(list)) = eval("averageSeries(countSeries(a.*.*))") else {
            panic!("averageSeries failed")
        };
        assert!(!list[0].int_values);
    }

    #[test]
    fn percentiles_follow_nist() {
        let mut p = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(get_percentile(&mut p, 50.0, false).unwrap(), Some(3.0));
        assert_eq!(get_percentile(&mut p, 1.0, false).unwrap(), Some(1.0));
        assert_eq!(get_percentile(&mut p, 100.0, false).unwrap(), Some(5.0));
        // fractional rank 1.5 -> 1 + .5 * (2 - 1)
        assert_eq!(get_percentile(&mut p, 25.0, true).unwrap(), Some(1.5));
        assert!(get_percentile(&mut p, 100.0, true).is_err());
        assert!(get_percentile(&mut p, 1e300, false).is_err());
        assert!(get_percentile(&mut p, 200.0, false).is_err());
        assert_eq!(get_percentile(&mut [], 50.0, false).unwrap(), None);
    }

    #[test]
    fn pow_fails_like_math_pow() {
        assert_eq!(safe_pow(Some(2.0), Some(3.0)), Some(8.0));
        assert_eq!(safe_pow(Some(-8.0), Some(0.5)), None);
        assert_eq!(safe_pow(Some(0.0), Some(-1.0)), None);
        assert_eq!(safe_pow(Some(10.0), Some(400.0)), None);
        assert_eq!(safe_pow(None, Some(1.0)), None);
        assert!(safe_pow(Some(f64::NAN), Some(1.0)).unwrap().is_nan());
        assert_eq!(safe_pow(Some(f64::NAN), Some(0.0)), Some(1.0));
    }

    #[test]
    fn lcm_of_steps() {
        assert_eq!(lcm(10, 15), 30);
        assert_eq!(lcm(60, 60), 60);
        assert_eq!(lcm(0, 5), 0);
        assert_eq!([10, 15, 60].into_iter().reduce(lcm), Some(60));
    }
}
