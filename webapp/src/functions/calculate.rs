//! Calculate functions: moving windows, forecasts and statistics over each series.
//!
//! The moving-window and Holt-Winters functions evaluate their first argument again over an
//! earlier start (the bootstrap window), as the reference's `evaluateTarget(newContext,
//! requestContext['args'][0])` does, then trim the result back to the requested range.

use chrono::TimeZone;

use super::{input_error, percent_g, AggFunc, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::{py_max, py_min, py_sum, OptionValue, SeriesOptions, TimeSeries};
use whisper::pyfmt::float_repr;

mod holt_winters;
mod window;

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("aggregateLine", aggregate_line),
    ("exponentialMovingAverage", exponential_moving_average),
    ("holtWintersAberration", holt_winters::aberration),
    ("holtWintersConfidenceArea", holt_winters::confidence_area),
    ("holtWintersConfidenceBands", holt_winters::confidence_bands),
    ("holtWintersForecast", holt_winters::forecast),
    ("identity", identity),
    ("linearRegression", linear_regression),
    ("movingAverage", moving_average),
    ("movingMax", moving_max),
    ("movingMedian", moving_median),
    ("movingMin", moving_min),
    ("movingSum", moving_sum),
    ("movingWindow", moving_window),
    ("nPercentile", n_percentile),
    ("stdev", stdev),
];

/// Most points a function here creates for one series from user-given sizes.
const MAX_POINTS: i64 = 20_000_000;

/// Evaluates the first positional argument again with `ctx2` (the bootstrap range).
fn evaluate_first_again(
    ev: &mut Evaluator<'_>,
    ctx2: &RequestContext,
    args: &Args,
) -> Result<Vec<TimeSeries>, EvalError> {
    let Some(expr) = args.raw(0).cloned() else {
        return Err(input_error(
            "the series list must be given as the first positional argument",
        ));
    };
    Ok(match ev.evaluate_in(ctx2, &expr)? {
        Value::SeriesList(list) => list,
        Value::SeriesLists(lists) => lists.into_iter().flatten().collect(),
        _ => Vec::new(),
    })
}

/// A context whose start is `seconds` earlier (`startTime - timedelta(seconds=...)`).
fn moved_back(ctx: &RequestContext, seconds: i64) -> Result<RequestContext, EvalError> {
    let start = ctx
        .start
        .checked_sub(seconds)
        .filter(|s| (-62_135_596_800..=253_402_300_799).contains(s))
        .ok_or_else(|| input_error("date value out of range"))?;
    let mut ctx2 = ctx.clone();
    ctx2.start = start;
    Ok(ctx2)
}

/// `series.copy(name=..., values=...)`: a new series sharing start/end/step/tags, whose path
/// expression is the new name, with no drawing options and no display consolidation.
fn copy_with(series: &TimeSeries, name: String, values: Vec<Option<f64>>) -> TimeSeries {
    TimeSeries {
        path_expression: name.clone(),
        name,
        start: series.start,
        end: series.end,
        step: series.step,
        values,
        consolidation_func: series.consolidation_func,
        values_per_point: 1,
        x_files_factor: series.x_files_factor,
        tags: series.tags.clone(),
        options: SeriesOptions::default(),
        int_values: false,
    }
}

/// Whether iterating `series` yields Python ints.
fn yields_ints(series: &TimeSeries) -> bool {
    series.int_values && series.values_per_point <= 1
}

/// A window size (`intOrInterval`): a quoted interval or a number of points.
enum Window {
    /// An interval: its text and its length in seconds (`abs()` of the offset).
    Interval(String, i64),
    /// A number of points (`int(windowSize)`) and Python's `str(windowSize)`.
    Points(i64, String),
}

impl Window {
    fn parse(value: Option<&Value>) -> Result<Self, EvalError> {
        match value {
            Some(Value::Str(s)) => {
                let secs = crate::attime::parse_time_offset(s)
                    .map_err(|e| input_error(format!("Invalid interval value: '{s}': {e}")))?;
                Ok(Self::Interval(s.clone(), secs.saturating_abs()))
            }
            Some(Value::Int(i)) => Ok(Self::Points(*i, i.to_string())),
            Some(Value::Float(f)) if f.is_finite() && f.abs() < 1e15 => {
                Ok(Self::Points(f.trunc() as i64, float_repr(*f)))
            }
            Some(Value::Bool(b)) => Ok(Self::Points(
                i64::from(*b),
                if *b { "True" } else { "False" }.to_owned(),
            )),
            Some(other) => Err(input_error(format!(
                "Invalid windowSize: {}",
                other.py_repr()
            ))),
            None => Err(input_error("windowSize is required")),
        }
    }

    /// `str(windowSize)` (the tag value).
    fn text(&self) -> &str {
        match self {
            Self::Interval(s, _) | Self::Points(_, s) => s,
        }
    }

    /// `previewSeconds`: the interval, or the largest step times the points.
    fn preview_seconds(&self, list: &[TimeSeries]) -> Result<i64, EvalError> {
        match self {
            Self::Interval(_, secs) => Ok(*secs),
            Self::Points(n, _) => {
                if *n < 0 {
                    return Err(input_error("windowSize must not be negative"));
                }
                let step = list.iter().map(|s| s.step).max().unwrap_or(0);
                step.checked_mul(*n)
                    .ok_or_else(|| input_error("windowSize is too large"))
            }
        }
    }

    /// The name `func(name,windowSize)` and the window in points for one series.
    fn name_and_points(&self, func: &str, name: &str, preview: i64, step: i64) -> (String, i64) {
        match self {
            Self::Interval(s, _) => (
                format!("{func}({name},\"{s}\")"),
                if step > 0 {
                    preview.div_euclid(step)
                } else {
                    0
                },
            ),
            Self::Points(n, s) => (format!("{func}({name},{s})"), *n),
        }
    }
}

/// Python's `str.capitalize()` for ASCII names.
fn capitalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Sorts as Python's `sorted()` does for numbers (stable, `-0.0` equal to `0.0`); NaN, whose
/// place depends on Python's algorithm, goes last (a total order: sorting never panics).
pub(super) fn sort_floats(values: &mut [f64]) {
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (false, false) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
    });
}

/// An aggregation function over a whole row with nulls (`aggFuncs[func](row)`).
fn fold_row(func: AggFunc, row: &[Option<f64>]) -> Option<f64> {
    match func {
        AggFunc::AvgZero => (!row.is_empty())
            .then(|| row.iter().fold(0.0, |acc, v| acc + v.unwrap_or(0.0)) / row.len() as f64),
        AggFunc::Multiply => {
            if row.is_empty() || row.iter().any(Option::is_none) {
                return None;
            }
            let mut values: Vec<f64> = row.iter().flatten().copied().collect();
            Some(fold(func, &mut values))
        }
        AggFunc::Last => row.iter().rev().flatten().next().copied(),
        _ => {
            let mut values: Vec<f64> = row.iter().flatten().copied().collect();
            if values.is_empty() {
                return (func == AggFunc::Count).then_some(0.0);
            }
            Some(fold(func, &mut values))
        }
    }
}

/// Folds the non-null values of one window (`values` is scratch space: median sorts it) as
/// the reference's aggregation functions do.
fn fold(func: AggFunc, values: &mut [f64]) -> f64 {
    match func {
        AggFunc::Average | AggFunc::AvgZero => py_sum(values) / values.len() as f64,
        AggFunc::Median => {
            sort_floats(values);
            let mid = values.len() / 2;
            if values.len().is_multiple_of(2) {
                (values[mid - 1] + values[mid]) / 2.0
            } else {
                values[mid]
            }
        }
        AggFunc::Sum => py_sum(values),
        AggFunc::Min => py_min(values),
        AggFunc::Max => py_max(values),
        AggFunc::Diff => values[1..].iter().fold(values[0], |acc, v| acc + -v),
        AggFunc::StdDev => {
            let n = values.len() as f64;
            let avg = py_sum(values) / n;
            let squares = values
                .iter()
                .fold(0.0, |acc, v| acc + (v - avg) * (v - avg));
            (squares / n).sqrt()
        }
        AggFunc::Count => values.len() as f64,
        AggFunc::Range => py_max(values) - py_min(values),
        AggFunc::Multiply => values[1..].iter().fold(values[0], |acc, v| acc * v),
        AggFunc::Last => values[values.len() - 1],
    }
}

/// Whether folding Python ints with `func` gives an int.
fn keeps_ints(func: AggFunc) -> bool {
    matches!(
        func,
        AggFunc::Sum | AggFunc::Min | AggFunc::Max | AggFunc::Diff | AggFunc::Last
    )
}

/// The reference's `movingWindow`.
fn moving(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: &mut Args,
    func_name: &str,
    xff_index: usize,
) -> Result<Value, EvalError> {
    let list = args.series_list(0);
    if list.is_empty() {
        return Ok(Value::SeriesList(Vec::new()));
    }
    let window = Window::parse(args.values(1).first())?;
    let x_files_factor = args.float(xff_index);
    let func = AggFunc::from_name(func_name)
        .ok_or_else(|| input_error(format!("Unsupported aggregation function: {func_name}")))?;
    let preview = window.preview_seconds(&list)?;
    let ctx2 = moved_back(ctx, preview)?;
    let preview_list = evaluate_first_again(ev, &ctx2, args)?;
    let tag_name = format!("moving{}", capitalize(func_name));
    let mut result = Vec::with_capacity(preview_list.len());
    let mut buf: Vec<f64> = Vec::new();
    for series in preview_list {
        let (name, points) = window.name_and_points(&tag_name, &series.name, preview, series.step);
        if points < 0 {
            return Err(input_error("windowSize must not be negative"));
        }
        let mut out = copy_with(&series, name, Vec::new());
        out.tags.insert(tag_name.clone(), window.text().to_owned());
        out.start = series.start.saturating_add(preview);
        out.int_values = func == AggFunc::Count || (keeps_ints(func) && yields_ints(&series));
        let xff = x_files_factor.unwrap_or(series.x_files_factor);
        let w = usize::try_from(points).unwrap_or(usize::MAX);
        out.values = window::moving(&series.values, w, func, xff, &mut buf);
        result.push(out);
    }
    Ok(Value::SeriesList(result))
}

/// `movingWindow(seriesList, windowSize, func='average', xFilesFactor=None)`.
fn moving_window(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let func = args.string(2).unwrap_or_else(|| "average".to_owned());
    moving(ev, ctx, &mut args, &func, 3)
}

macro_rules! moving_shorthand {
    ($($(#[$doc:meta])* $name:ident => $func:literal),* $(,)?) => {
        $(
            $(#[$doc])*
            fn $name(
                ev: &mut Evaluator<'_>,
                ctx: &RequestContext,
                mut args: Args,
            ) -> Result<Value, EvalError> {
                moving(ev, ctx, &mut args, $func, 2)
            }
        )*
    };
}

moving_shorthand! {
    /// `movingAverage(seriesList, windowSize, xFilesFactor=None)`.
    moving_average => "average",
    /// `movingSum(seriesList, windowSize, xFilesFactor=None)`.
    moving_sum => "sum",
    /// `movingMin(seriesList, windowSize, xFilesFactor=None)`.
    moving_min => "min",
    /// `movingMax(seriesList, windowSize, xFilesFactor=None)`.
    moving_max => "max",
    /// `movingMedian(seriesList, windowSize, xFilesFactor=None)`.
    moving_median => "median",
}

/// Python's `round(x, 6)` for a float (correctly rounded, ties to even).
fn round6(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.6}").parse().unwrap_or(x)
}

/// `exponentialMovingAverage(seriesList, windowSize)`.
fn exponential_moving_average(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let list = args.series_list(0);
    if list.is_empty() {
        return Ok(Value::SeriesList(Vec::new()));
    }
    let window = Window::parse(args.values(1).first())?;
    let preview = window.preview_seconds(&list)?;
    let constant = match &window {
        Window::Interval(_, secs) => 2.0 / (*secs as f64 + 1.0),
        Window::Points(n, _) => 2.0 / (*n as f64 + 1.0),
    };
    let ctx2 = moved_back(ctx, preview)?;
    let preview_list = evaluate_first_again(ev, &ctx2, &args)?;
    let mut result = Vec::with_capacity(preview_list.len());
    for series in preview_list {
        let (name, points) = window.name_and_points(
            "exponentialMovingAverage",
            &series.name,
            preview,
            series.step,
        );
        let mut out = copy_with(&series, name, Vec::new());
        out.tags.insert(
            "exponentialMovingAverage".to_owned(),
            window.text().to_owned(),
        );
        out.start = series.start.saturating_add(preview);
        let values = &series.values;
        let w = usize::try_from(points)
            .unwrap_or(usize::MAX)
            .min(values.len());
        // safeAvg(series[:windowPoints]) or 0
        let head: Vec<f64> = values[..w].iter().flatten().copied().collect();
        let mut ema = if head.is_empty() {
            0.0
        } else {
            py_sum(&head) / head.len() as f64
        };
        out.values.reserve(values.len() - w + 1);
        out.values.push(Some(round6(ema)));
        for v in &values[w..] {
            match v {
                Some(v) => {
                    ema = constant * v + (1.0 - constant) * ema;
                    out.values.push(Some(round6(ema)));
                }
                None => out.values.push(None),
            }
        }
        result.push(out);
    }
    Ok(Value::SeriesList(result))
}

/// Python's `str()` of a number that is an int when `int` is set.
fn py_num_str(x: f64, int: bool) -> String {
    if int && x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e18 {
        format!("{}", x as i64)
    } else {
        float_repr(x)
    }
}

/// `aggregateLine(seriesList, func='average', keepStep=False)`.
fn aggregate_line(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let func_name = args.string(1).unwrap_or_else(|| "average".to_owned());
    let func = AggFunc::from_name(&func_name)
        .ok_or_else(|| input_error(format!("Unsupported aggregation function: {func_name}")))?;
    let keep_step = matches!(args.values(2).first(), Some(Value::Bool(true)));
    let list = args.series_list(0);
    let mut result = Vec::with_capacity(list.len());
    for series in list {
        let values = series.consolidated();
        let value = fold_row(func, &values);
        let int = func == AggFunc::Count || (keeps_ints(func) && yields_ints(&series));
        let name = match value {
            Some(v) => format!("aggregateLine({}, {})", series.name, percent_g(v)),
            None => format!("aggregateLine({}, None)", series.name),
        };
        let mut out = if keep_step {
            copy_with(&series, name, vec![value; series.values.len()])
        } else {
            let start = ctx.start;
            let end = ctx.end;
            let step = ((end as f64 - start as f64) / 2.0).trunc() as i64;
            let text = value.map_or_else(|| "None".to_owned(), |v| py_num_str(v, int));
            let mut line = TimeSeries::new(
                text,
                start,
                end,
                step,
                vec![value; 3],
                ctx.x_files_factor.get(),
            );
            line.path_expression = name.clone();
            line.name = name;
            line
        };
        out.int_values = int;
        result.push(out);
    }
    Ok(Value::SeriesList(result))
}

/// `identity(name)`: one point a minute whose value is its timestamp.
fn identity(_: &mut Evaluator<'_>, ctx: &RequestContext, args: Args) -> Result<Value, EvalError> {
    let name = args.string(0).unwrap_or_default();
    drop(args);
    let step = 60;
    let (start, end) = (ctx.start, ctx.end);
    let count = if end > start {
        (end - start + step - 1) / step
    } else {
        0
    };
    if count > MAX_POINTS {
        return Err(input_error("identity: the time range has too many points"));
    }
    let values = (0..count)
        .map(|i| Some((start + i * step) as f64))
        .collect();
    let mut series = TimeSeries::new(
        name.clone(),
        start,
        end,
        step,
        values,
        ctx.x_files_factor.get(),
    );
    series.path_expression = format!("identity(\"{name}\")");
    series.int_values = true;
    Ok(Value::SeriesList(vec![series]))
}

/// `_getPercentile(points, n)` without interpolation over sorted points; Python's negative
/// indexing, and an error where Python's indexing fails.
pub(super) fn percentile_sorted(sorted: &[f64], n: f64) -> Result<f64, EvalError> {
    let len = sorted.len();
    let fractional_rank = (n / 100.0) * (len as f64 + 1.0);
    if !fractional_rank.is_finite() || fractional_rank.abs() > 1e15 {
        return Err(input_error("cannot convert float to integer"));
    }
    let mut rank = fractional_rank.trunc() as i64;
    let rank_fraction = fractional_rank - rank as f64;
    rank += rank_fraction.ceil() as i64;
    let len_i = len as i64;
    if rank == 0 {
        return Ok(sorted[0]);
    }
    if rank - 1 == len_i {
        return Ok(sorted[len - 1]);
    }
    let mut index = rank - 1;
    if index < 0 {
        index += len_i;
    }
    usize::try_from(index)
        .ok()
        .and_then(|i| sorted.get(i).copied())
        .ok_or_else(|| input_error("list index out of range"))
}

/// `nPercentile(seriesList, n)`: a line at the n-th percentile of each series.
fn n_percentile(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let n = args.float(1).unwrap_or(0.0);
    if n == 0.0 {
        return Err(input_error(
            "The requested percent is required to be greater than 0",
        ));
    }
    let list = args.series_list(0);
    let mut result = Vec::with_capacity(list.len());
    for series in list {
        let mut sorted: Vec<f64> = series.consolidated().iter().flatten().copied().collect();
        if sorted.is_empty() {
            continue;
        }
        sort_floats(&mut sorted);
        let value = percentile_sorted(&sorted, n)?;
        if series.step == 0 {
            return Err(input_error("division by zero"));
        }
        let count = ((series.end - series.start) as f64 / series.step as f64).trunc();
        if count > MAX_POINTS as f64 {
            return Err(input_error("nPercentile: the series has too many points"));
        }
        let count = count.max(0.0) as usize;
        let name = format!("nPercentile({}, {})", series.name, percent_g(n));
        let mut out = copy_with(&series, name, vec![Some(value); count]);
        out.tags.insert("nPercentile".to_owned(), float_repr(n));
        out.int_values = yields_ints(&series);
        result.push(out);
    }
    Ok(Value::SeriesList(result))
}

/// `stdev(seriesList, points, windowTolerance=0.1)`: the moving standard deviation from a
/// running sum and sum of squares, as the reference computes it.
fn stdev(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let points = match args.values(1).first() {
        Some(Value::Int(i)) => *i,
        Some(Value::Float(f)) if f.is_finite() => f.trunc() as i64,
        Some(Value::Bool(b)) => i64::from(*b),
        _ => return Err(input_error("points must be an integer")),
    };
    let tolerance = args.float(2).unwrap_or(0.1);
    let list = args.series_list(0);
    let mut result = Vec::with_capacity(list.len());
    for series in list {
        let name = format!("stdev({},{points})", series.name);
        let iterated = series.consolidated();
        if points < 0 && !iterated.is_empty() {
            return Err(input_error("list index out of range"));
        }
        let mut out = copy_with(&series, name, Vec::with_capacity(iterated.len()));
        out.tags.insert("stdev".to_owned(), points.to_string());
        let mut valid: i64 = 0;
        let mut sum = 0.0f64;
        let mut sum_sq = 0.0f64;
        for (index, new) in iterated.iter().enumerate() {
            let index = index as i64;
            let dropped = if index < points {
                None
            } else {
                let at = usize::try_from(index - points).unwrap_or(usize::MAX);
                match series.values.get(at) {
                    Some(v) => *v,
                    None => return Err(input_error("list index out of range")),
                }
            };
            if let Some(d) = dropped {
                valid -= 1;
                sum -= d;
                sum_sq -= d * d;
            }
            if let Some(v) = new {
                valid += 1;
                sum += v;
                sum_sq += v * v;
            }
            if valid > 0 && (valid as f64 / points as f64) >= tolerance {
                let radicand = valid as f64 * sum_sq - sum * sum;
                out.values.push(if radicand < 0.0 {
                    None
                } else {
                    Some(radicand.sqrt() / valid as f64)
                });
            } else {
                out.values.push(None);
            }
        }
        result.push(out);
    }
    Ok(Value::SeriesList(result))
}

/// A `date` parameter as epoch seconds (`parseATTime`, relative to the request's `now`).
fn date_param(ctx: &RequestContext, value: Option<&Value>) -> Result<Option<i64>, EvalError> {
    let text = match value {
        None | Some(Value::None) => return Ok(None),
        Some(Value::Str(s)) => s.clone(),
        Some(Value::Int(i)) => i.to_string(),
        Some(other) => return Err(input_error(format!("Invalid date: {}", other.py_repr()))),
    };
    let now = ctx
        .tz
        .timestamp_opt(ctx.now, 0)
        .single()
        .ok_or_else(|| input_error("now out of range"))?;
    let at =
        crate::attime::parse_at_time(&text, ctx.tz, now).map_err(|e| input_error(e.to_string()))?;
    Ok(Some(at.timestamp()))
}

/// `_linearRegressionAnalysis(series)`: the factor and offset of the least-squares line, or
/// `None` when the points do not determine one.
fn linear_regression_analysis(series: &TimeSeries) -> Option<(f64, f64)> {
    let mut n: i128 = 0;
    let mut sum_i: i128 = 0;
    let mut sum_ii: i128 = 0;
    let mut sum_v = 0.0f64;
    let mut sum_iv = 0.0f64;
    for (i, v) in series.consolidated().iter().enumerate() {
        if let Some(v) = v {
            let i = i as i128;
            n += 1;
            sum_i += i;
            sum_ii += i * i;
            sum_v += v;
            sum_iv += i as f64 * v;
        }
    }
    let denominator = (n * sum_ii - sum_i * sum_i) as f64;
    if denominator == 0.0 {
        return None;
    }
    let factor = (n as f64 * sum_iv - sum_i as f64 * sum_v) / denominator / series.step as f64;
    let offset = (sum_ii as f64 * sum_v - sum_iv * sum_i as f64) / denominator
        - factor * series.start as f64;
    Some((factor, offset))
}

/// `linearRegression(seriesList, startSourceAt=None, endSourceAt=None)`.
fn linear_regression(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let start_at = date_param(ctx, args.values(1).first())?;
    let end_at = date_param(ctx, args.values(2).first())?;
    let list = args.series_list(0);
    let mut source_ctx = ctx.clone();
    if let Some(s) = start_at {
        source_ctx.start = s;
    }
    if let Some(e) = end_at {
        source_ctx.end = e;
    }
    let sources = evaluate_first_again(ev, &source_ctx, &args)?;
    let range = format!("{}, {}", source_ctx.start, source_ctx.end);
    let mut result = Vec::new();
    for (source, series) in sources.iter().zip(list) {
        let Some((factor, offset)) = linear_regression_analysis(source) else {
            continue;
        };
        let name = format!("linearRegression({}, {range})", series.name);
        let len = series.values.len() as i64;
        let values = (0..len)
            .map(|i| Some(offset + (series.start + i * series.step) as f64 * factor))
            .collect();
        let mut tags = series.tags.clone();
        tags.insert("linearRegressions".to_owned(), range.clone());
        let mut out = TimeSeries::new(
            name.clone(),
            series.start,
            series.end,
            series.step,
            values,
            series.x_files_factor,
        );
        out.tags = tags;
        result.push(out);
    }
    Ok(Value::SeriesList(result))
}

/// Sets a boolean drawing option.
fn set_option(series: &mut TimeSeries, key: &str) {
    series
        .options
        .values
        .insert(key.to_owned(), OptionValue::Bool(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round6_matches_python() {
        assert_eq!(round6(0.0078125), 0.007812);
        assert_eq!(round6(1.23456789), 1.234568);
        assert_eq!(round6(-2.5e-7), -0.0);
        assert!(round6(f64::NAN).is_nan());
        assert_eq!(round6(f64::INFINITY), f64::INFINITY);
        assert_eq!(round6(1e300), 1e300);
    }

    #[test]
    fn percentile_indexing() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_sorted(&v, 50.0).ok(), Some(3.0));
        assert_eq!(percentile_sorted(&v, 100.0).ok(), Some(4.0));
        assert_eq!(percentile_sorted(&v, 1.0).ok(), Some(1.0));
        assert!(percentile_sorted(&v, 150.0).is_err());
        // Python's negative indexing: rank -2 -> sorted[-3]
        assert_eq!(percentile_sorted(&v, -50.0).ok(), Some(2.0));
        assert!(percentile_sorted(&v, -500.0).is_err());
        assert!(percentile_sorted(&v, f64::INFINITY).is_err());
    }

    #[test]
    fn capitalize_like_python() {
        assert_eq!(capitalize("avg_zero"), "Avg_zero");
        assert_eq!(capitalize("rangeOf"), "Rangeof");
    }

    #[test]
    fn folds() {
        let mut v = [3.0, 1.0, 2.0, 10.0];
        assert_eq!(fold(AggFunc::Median, &mut v.clone()), 2.5);
        assert_eq!(fold(AggFunc::Diff, &mut v), -10.0);
        assert_eq!(fold(AggFunc::Range, &mut [5.0]), 0.0);
    }

    /// Series over the requested range, step 10 (a second one step 60), with gaps and a NaN.
    struct Ranged;

    impl crate::evaluator::Storage for Ranged {
        fn fetch(
            &self,
            paths: &[String],
            start: i64,
            end: i64,
            _: i64,
            _: f64,
        ) -> Result<std::collections::HashMap<String, Vec<TimeSeries>>, EvalError> {
            let start = start.max(end - 100_000);
            let mk = |name: &str, step: i64| {
                let first = start - start.rem_euclid(step) + step;
                let n = ((end - first).max(0) / step) as usize;
                let values = (0..n)
                    .map(|i| match i % 7 {
                        0 => None,
                        5 if step == 60 => Some(f64::NAN),
                        _ => Some((i % 13) as f64 * 1.5 - 4.0),
                    })
                    .collect();
                let mut s = TimeSeries::new(name, first, end, step, values, 0.5);
                s.path_expression = name.to_owned();
                s
            };
            Ok(paths
                .iter()
                .map(|p| {
                    let list = match p.as_str() {
                        "a.*" => vec![mk("a.b", 10), mk("a.c", 60)],
                        "a.b" => vec![mk("a.b", 10)],
                        _ => Vec::new(),
                    };
                    (p.clone(), list)
                })
                .collect())
        }
    }

    #[test]
    fn odd_arguments_do_not_panic() {
        let ctx = RequestContext {
            start: 1_000_000,
            end: 1_003_600,
            now: 1_003_600,
            tz: chrono_tz::Tz::UTC,
            x_files_factor: std::cell::Cell::new(0.0),
            template: Default::default(),
            local_only: true,
            max_data_points: None,
            targets: Vec::new(),
        };
        let windows = [
            "0",
            "1",
            "-1",
            "-5",
            "3",
            "2.5",
            "1e300",
            "-1e300",
            "9999999999999",
            "true",
            "'1min'",
            "'-1min'",
            "'1s'",
            "'0s'",
            "'100y'",
            "'99999999y'",
            "'x'",
            "none",
            "inf",
        ];
        let mut targets = Vec::new();
        for w in windows {
            for f in [
                "movingAverage",
                "movingSum",
                "movingMin",
                "movingMax",
                "movingMedian",
                "exponentialMovingAverage",
                "stdev",
            ] {
                targets.push(format!("{f}(a.*,{w})"));
            }
            for agg in [
                "median", "multiply", "stddev", "diff", "count", "range", "last",
            ] {
                targets.push(format!("movingWindow(a.*,{w},'{agg}',-1)"));
            }
            targets.push(format!("nPercentile(a.*,{w})"));
            targets.push(format!("stdev(a.*,5,{w})"));
        }
        for i in [
            "'1d'", "'-1d'", "'0s'", "'10s'", "'1min'", "'9999y'", "'-9999y'",
        ] {
            for f in [
                "holtWintersForecast(a.*,",
                "holtWintersConfidenceBands(a.*,3,",
                "holtWintersAberration(a.*,-2,",
                "holtWintersConfidenceArea(a.b,3,",
            ] {
                targets.push(format!("{f}{i})"));
                targets.push(format!("{f}'1h',{i})"));
            }
        }
        for d in [
            "'-1h'",
            "'20300101'",
            "'00:00_19700101'",
            "'x'",
            "12",
            "'-99999y'",
        ] {
            targets.push(format!("linearRegression(a.*,{d})"));
            targets.push(format!("linearRegression(a.*,{d},{d})"));
        }
        for agg in [
            "median", "multiply", "stddev", "diff", "count", "range", "last", "avg",
        ] {
            targets.push(format!("aggregateLine(a.*,'{agg}')"));
            targets.push(format!("aggregateLine(a.*,'{agg}',true)"));
        }
        targets.push("identity('x')".to_owned());
        targets.push("movingAverage(windowSize=3,seriesList=a.*)".to_owned());
        for target in targets {
            let Ok(expr) = crate::grammar::parse_target(&target) else {
                continue;
            };
            let mut ev = Evaluator::new(&Ranged, false, 1000);
            let _ = ev.evaluate_targets(&ctx, std::slice::from_ref(&expr));
        }
        let mut far = ctx.clone();
        far.start = -62_135_596_800;
        far.end = 253_402_300_799;
        let expr = crate::grammar::parse_target("identity('x')").ok();
        let mut ev = Evaluator::new(&Ranged, false, 1000);
        assert!(ev
            .evaluate_targets(&far, &expr.into_iter().collect::<Vec<_>>())
            .is_err());
    }
}
