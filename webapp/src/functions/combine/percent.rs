//! Ratios between series: `asPercent`, `divideSeries`, `divideSeriesLists`,
//! `weightedAverage`.

use indexmap::IndexMap;

use super::{aggregate, normalize_refs};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::functions::alias::agg_key;
use crate::functions::{format_path_expressions, input_error, Args};
use crate::series::{py_sum, TimeSeries};

/// `safeDiv(a, b)`: `None` for a missing operand or a zero divisor.
fn safe_div(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    let a = a?;
    let b = b?;
    if b == 0.0 {
        return None;
    }
    Some(a / b)
}

/// `safeMul(*factors)`: `None` if any factor is.
fn safe_mul(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? * b?)
}

/// `safeSum(row)`.
fn safe_sum(row: &[Option<f64>]) -> Option<f64> {
    let usable: Vec<f64> = row.iter().flatten().copied().collect();
    (!usable.is_empty()).then(|| py_sum(&usable))
}

/// `izip_longest(a, b)` mapped through `f`.
fn zip_longest(
    a: &[Option<f64>],
    b: &[Option<f64>],
    f: impl Fn(Option<f64>, Option<f64>) -> Option<f64>,
) -> Vec<Option<f64>> {
    (0..a.len().max(b.len()))
        .map(|i| f(a.get(i).copied().flatten(), b.get(i).copied().flatten()))
        .collect()
}

/// `[safeSum(row) for row in izip_longest(*series)]`.
fn row_sums(series: &[TimeSeries]) -> Vec<Option<f64>> {
    let columns: Vec<Vec<Option<f64>>> =
        series.iter().map(TimeSeries::consolidated_values).collect();
    let len = columns.iter().map(Vec::len).max().unwrap_or(0);
    let mut row = Vec::with_capacity(columns.len());
    (0..len)
        .map(|i| {
            row.clear();
            row.extend(columns.iter().map(|c| c.get(i).copied().flatten()));
            safe_sum(&row)
        })
        .collect()
}

fn percent(v: Option<f64>, total: Option<f64>) -> Option<f64> {
    safe_mul(safe_div(v, total), Some(100.0))
}

/// A summed group of series (`sumSeries(...)` built inline by `asPercent`), or the series
/// itself when the group has one; records the range of the normalisation.
fn group_total(
    ctx: &RequestContext,
    mut group: Vec<TimeSeries>,
    last: &mut Option<(i64, i64, i64)>,
) -> TimeSeries {
    if group.len() == 1 {
        return group.remove(0);
    }
    let name = format!("sumSeries({})", format_path_expressions(&group));
    let mut refs: Vec<&mut TimeSeries> = group.iter_mut().collect();
    let (start, end, step) = normalize_refs(&mut refs).unwrap_or((0, 0, 1));
    *last = Some((start, end, step));
    let values = row_sums(&group);
    TimeSeries::new(name, start, end, step, values, ctx.x_files_factor.get())
}

/// `asPercent(seriesList, total=None, *nodes)` / `pct`.
pub(super) fn as_percent(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let nodes = args.values(2).to_vec();
    let total_value = args.values(1).first().cloned();
    let mut list = args.series_list(0);
    {
        let mut refs: Vec<&mut TimeSeries> = list.iter_mut().collect();
        if normalize_refs(&mut refs).is_none() {
            return Ok(Value::SeriesList(Vec::new()));
        }
    }
    let xff = ctx.x_files_factor.get();
    if !nodes.is_empty() {
        return as_percent_by_nodes(ctx, list, total_value, &nodes).map(Value::SeriesList);
    }
    enum Total {
        Values(Vec<Option<f64>>, String),
        Lists(Vec<TimeSeries>),
    }
    let total = match total_value {
        None | Some(Value::None) => Total::Values(
            row_sums(&list),
            format!("sumSeries({})", format_path_expressions(&list)),
        ),
        Some(Value::SeriesList(mut total)) => {
            if total.len() != 1 && total.len() != list.len() {
                return Err(input_error(
                    "asPercent second argument must be missing, a single digit, reference \
                     exactly 1 series or reference the same number of series as the first \
                     argument",
                ));
            }
            if total.len() == 1 {
                let mut refs: Vec<&mut TimeSeries> =
                    list.iter_mut().chain(total.iter_mut()).collect();
                normalize_refs(&mut refs);
            }
            if total.len() == list.len() {
                Total::Lists(total)
            } else {
                let name = total[0].name.clone();
                Total::Values(total[0].consolidated_values(), name)
            }
        }
        Some(number) => {
            let (x, text) = match number {
                Value::Int(i) => (i as f64, i.to_string()),
                Value::Float(f) => (f, whisper::pyfmt::float_repr(f)),
                Value::Bool(b) => (
                    f64::from(u8::from(b)),
                    if b { "True" } else { "False" }.to_owned(),
                ),
                other => {
                    return Err(input_error(format!(
                        "asPercent total must be a number or a seriesList, not {}",
                        other.py_repr()
                    )))
                }
            };
            Total::Values(vec![Some(x); list[0].values.len()], text)
        }
    };
    let mut out = Vec::with_capacity(list.len());
    match total {
        Total::Lists(mut total) => {
            list.sort_by(|a, b| a.name.cmp(&b.name));
            total.sort_by(|a, b| a.name.cmp(&b.name));
            for (mut s1, mut s2) in list.into_iter().zip(total) {
                let name = format!("asPercent({},{})", s1.name, s2.name);
                let (start, end, step) =
                    normalize_refs(&mut [&mut s1, &mut s2]).unwrap_or((0, 0, 1));
                let values = zip_longest(
                    &s1.consolidated_values(),
                    &s2.consolidated_values(),
                    percent,
                );
                out.push(TimeSeries::new(name, start, end, step, values, xff));
            }
        }
        Total::Values(total, text) => {
            for s in list {
                let values = zip_longest(&s.consolidated_values(), &total, percent);
                let total_text = if text.is_empty() {
                    &s.path_expression
                } else {
                    &text
                };
                let name = format!("asPercent({},{total_text})", s.name);
                out.push(TimeSeries::new(name, s.start, s.end, s.step, values, xff));
            }
        }
    }
    Ok(Value::SeriesList(out))
}

/// `asPercent` with `nodes`: series and totals matched by their node keys.
fn as_percent_by_nodes(
    ctx: &RequestContext,
    list: Vec<TimeSeries>,
    total: Option<Value>,
    nodes: &[Value],
) -> Result<Vec<TimeSeries>, EvalError> {
    let xff = ctx.x_files_factor.get();
    let mut keys: Vec<String> = Vec::new();
    let mut meta: IndexMap<String, Vec<TimeSeries>> = IndexMap::new();
    for s in list {
        let key = agg_key(&s, nodes);
        if !meta.contains_key(&key) {
            keys.push(key.clone());
        }
        meta.entry(key).or_default().push(s);
    }
    // The reference's `start, end, step` are whatever its last `normalize` call set.
    let mut last: Option<(i64, i64, i64)> = None;
    let mut totals: IndexMap<String, TimeSeries> = IndexMap::new();
    match total {
        None | Some(Value::None) => {
            for key in &keys {
                let group = meta[key].clone();
                let t = group_total(ctx, group, &mut last);
                totals.insert(key.clone(), t);
            }
        }
        Some(Value::SeriesList(total)) => {
            let mut groups: IndexMap<String, Vec<TimeSeries>> = IndexMap::new();
            for s in total {
                let key = agg_key(&s, nodes);
                if !groups.contains_key(&key) && !keys.contains(&key) {
                    keys.push(key.clone());
                }
                groups.entry(key).or_default().push(s);
            }
            for (key, group) in groups {
                let t = group_total(ctx, group, &mut last);
                totals.insert(key, t);
            }
        }
        Some(_) => return Err(input_error("total must be None or a seriesList")),
    }
    let leaked = |last: Option<(i64, i64, i64)>| {
        last.ok_or_else(|| {
            input_error(
                "cannot access local variable 'start' where it is not associated with a value",
            )
        })
    };
    let mut out = Vec::new();
    for key in &keys {
        let Some(group) = meta.get(key) else {
            let Some(s2) = totals.get(key) else { continue };
            let name = format!("asPercent(MISSING,{})", s2.name);
            let (start, end, step) = leaked(last)?;
            let values = vec![None; super::consolidated_len(s2)];
            out.push(TimeSeries::new(name, start, end, step, values, xff));
            continue;
        };
        for s1 in group {
            let mut s1 = s1.clone();
            match totals.get(key) {
                None => {
                    let name = format!("asPercent({},MISSING)", s1.name);
                    let (start, end, step) = leaked(last)?;
                    let values = vec![None; super::consolidated_len(&s1)];
                    out.push(TimeSeries::new(name, start, end, step, values, xff));
                }
                Some(s2) => {
                    let mut s2 = s2.clone();
                    let name = format!("asPercent({},{})", s1.name, s2.name);
                    let range = normalize_refs(&mut [&mut s1, &mut s2]).unwrap_or((0, 0, 1));
                    last = Some(range);
                    let values = zip_longest(
                        &s1.consolidated_values(),
                        &s2.consolidated_values(),
                        percent,
                    );
                    out.push(TimeSeries::new(
                        name, range.0, range.1, range.2, values, xff,
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// One quotient series of `divideSeries`/`divideSeriesLists`.
fn divide(ctx: &RequestContext, mut dividend: TimeSeries, mut divisor: TimeSeries) -> TimeSeries {
    let name = format!("divideSeries({},{})", dividend.name, divisor.name);
    let (start, end, step) =
        normalize_refs(&mut [&mut dividend, &mut divisor]).unwrap_or((0, 0, 1));
    let values = zip_longest(
        &dividend.consolidated_values(),
        &divisor.consolidated_values(),
        safe_div,
    );
    TimeSeries::new(name, start, end, step, values, ctx.x_files_factor.get())
}

/// `divideSeries(dividendSeriesList, divisorSeries)`.
pub(super) fn divide_series(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut dividends = args.series_list(0);
    let divisor = args.series_list(1);
    if divisor.is_empty() {
        for s in &mut dividends {
            s.name = format!("divideSeries({},MISSING)", s.name);
            s.path_expression = s.name.clone();
            s.values.iter_mut().for_each(|v| *v = None);
        }
        return Ok(Value::SeriesList(dividends));
    }
    if divisor.len() > 1 {
        return Err(input_error(format!(
            "divideSeries second argument must reference exactly 1 series (got {})",
            divisor.len()
        )));
    }
    let out = dividends
        .into_iter()
        .map(|d| divide(ctx, d, divisor[0].clone()))
        .collect();
    Ok(Value::SeriesList(out))
}

/// `divideSeriesLists(dividendSeriesList, divisorSeriesList)`.
pub(super) fn divide_series_lists(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let dividends = args.series_list(0);
    let divisors = args.series_list(1);
    if dividends.len() != divisors.len() {
        return Err(input_error(
            "dividendSeriesList and divisorSeriesList argument must have equal length",
        ));
    }
    let out = dividends
        .into_iter()
        .zip(divisors)
        .map(|(a, b)| divide(ctx, a, b))
        .collect();
    Ok(Value::SeriesList(out))
}

/// `weightedAverage(seriesListAvg, seriesListWeight, *nodes)`.
pub(super) fn weighted_average(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let nodes = args.values(2).to_vec();
    let avgs = args.series_list(0);
    let weights = args.series_list(1);
    if avgs.len() != weights.len() {
        return Err(input_error(format!(
            "weightedAverage must receive the same number of series for seriesListAvg and \
             seriesListWeight but received respectively {} and {}",
            avgs.len(),
            weights.len()
        )));
    }
    let mut sorted: IndexMap<String, (Option<usize>, Option<usize>)> = IndexMap::new();
    for (i, (a, w)) in avgs.iter().zip(&weights).enumerate() {
        sorted.entry(agg_key(a, &nodes)).or_default().0 = Some(i);
        sorted.entry(agg_key(w, &nodes)).or_default().1 = Some(i);
    }
    let mut products = Vec::new();
    for (a, w) in sorted.values() {
        let (Some(a), Some(w)) = (a, w) else { continue };
        let (avg, weight) = (&avgs[*a], &weights[*w]);
        let values = zip_longest(
            &avg.consolidated_values(),
            &weight.consolidated_values(),
            safe_mul,
        );
        let name = format!("product({},{})", weight.name, avg.name);
        products.push(TimeSeries::new(
            name,
            avg.start,
            avg.end,
            avg.step,
            values,
            ctx.x_files_factor.get(),
        ));
    }
    if products.is_empty() {
        return Ok(Value::SeriesList(Vec::new()));
    }
    let names = |list: &[TimeSeries]| {
        let mut paths: Vec<&str> = list.iter().map(|s| s.path_expression.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        paths.join(",")
    };
    let name = format!(
        "weightedAverage({}, {}, {})",
        names(&avgs),
        names(&weights),
        nodes
            .iter()
            .map(|n| match n {
                Value::Str(s) => s.clone(),
                other => other.py_repr(),
            })
            .collect::<Vec<_>>()
            .join(",")
    );
    let (Some(sum_products), Some(sum_weights)) = (
        aggregate(ctx, vec![products], "sum", None)?.pop(),
        aggregate(ctx, vec![weights], "sum", None)?.pop(),
    ) else {
        return Ok(Value::SeriesList(Vec::new()));
    };
    let values = zip_longest(
        &sum_products.consolidated_values(),
        &sum_weights.consolidated_values(),
        safe_div,
    );
    Ok(Value::SeriesList(vec![TimeSeries::new(
        name,
        sum_products.start,
        sum_products.end,
        sum_products.step,
        values,
        ctx.x_files_factor.get(),
    )]))
}
