//! Transform functions: point-by-point arithmetic on each series, and the generated `sin` and
//! `time` series.
//!
//! Most of the reference's transforms change the series in place (the name, the path
//! expression and the values); the derivative-like ones (`derivative`, `delay`, `integral`,
//! `log`, `nonNegativeDerivative`, `perSecond`) return `series.copy(...)`, which keeps the
//! tags, consolidation function and xFilesFactor but not the drawing options. Tag values are
//! Python's `str()` of what the reference stores.

mod pynum;

use super::{percent_g, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::{py_max, py_min, SeriesOptions, TimeSeries};
use pynum::{percent_d, py_round, safe_pow};
use whisper::pyfmt::float_repr;

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("absolute", absolute),
    ("add", add),
    ("delay", delay),
    ("derivative", derivative),
    ("exp", exp),
    ("integral", integral),
    ("interpolate", interpolate),
    ("invert", invert),
    ("isNonNull", is_non_null),
    ("keepLastValue", keep_last_value),
    ("log", logarithm),
    ("logit", logit),
    ("minMax", min_max),
    ("nonNegativeDerivative", non_negative_derivative),
    ("offset", offset),
    ("offsetToZero", offset_to_zero),
    ("perSecond", per_second),
    ("pow", pow),
    ("round", round_function),
    ("scale", scale),
    ("scaleToSeconds", scale_to_seconds),
    ("sigmoid", sigmoid),
    ("sin", sin_function),
    ("sinFunction", sin_function),
    ("squareRoot", square_root),
    ("time", time_function),
    ("timeFunction", time_function),
    ("transformNull", transform_null),
];

/// Most points `sin()` and `time()` generate (the reference would loop, or fill memory, for
/// as many as the range and step ask).
const MAX_GENERATED_POINTS: i64 = 5_000_000;

/// Renames a series in place (`series.name = ...; series.pathExpression = series.name`).
fn rename(series: &mut TimeSeries, name: String) {
    series.path_expression.clone_from(&name);
    series.name = name;
}

/// `series.copy(name=name, values=values)`: the path expression becomes the name, the
/// drawing options and display consolidation are not copied.
fn copy_with(series: &mut TimeSeries, name: String, values: Vec<Option<f64>>, ints: bool) {
    rename(series, name);
    series.values = values;
    series.options = SeriesOptions::default();
    series.values_per_point = 1;
    series.int_values = ints;
}

/// Applies `f` to every non-null value.
fn map_values(series: &mut TimeSeries, f: impl Fn(f64) -> Option<f64>) {
    for v in &mut series.values {
        if let Some(x) = *v {
            *v = f(x);
        }
    }
}

/// An integer argument (`integer` parameters), or `default` when omitted.
fn int_arg(args: &Args, index: usize, default: i64) -> i64 {
    match args.values(index).first() {
        Some(Value::Int(i)) => *i,
        Some(Value::Bool(b)) => i64::from(*b),
        // Only reachable without input validation; integral floats are already ints.
        Some(Value::Float(f)) if f.is_finite() => *f as i64,
        _ => default,
    }
}

/// An `intOrInf` limit: `None` is infinity (the default).
fn limit_arg(args: &Args, index: usize) -> Option<i64> {
    match args.values(index).first() {
        Some(Value::Int(i)) => Some(*i),
        Some(Value::Bool(b)) => Some(i64::from(*b)),
        Some(Value::Float(f)) if *f == f64::INFINITY || f.is_nan() => None,
        Some(Value::Float(f)) => Some(f.floor() as i64),
        _ => None,
    }
}

/// `0 < count <= limit`.
fn within_limit(count: usize, limit: Option<i64>) -> bool {
    count > 0 && limit.is_none_or(|l| i128::try_from(count).unwrap_or(i128::MAX) <= i128::from(l))
}

/// `safe.safeMin` / `safe.safeMax` of the non-null values.
fn safe_min(values: &[Option<f64>]) -> Option<f64> {
    let v: Vec<f64> = values.iter().flatten().copied().collect();
    (!v.is_empty()).then(|| py_min(&v))
}

fn safe_max(values: &[Option<f64>]) -> Option<f64> {
    let v: Vec<f64> = values.iter().flatten().copied().collect();
    (!v.is_empty()).then(|| py_max(&v))
}

/// `absolute(seriesList)`: `abs()` of every value.
pub(super) fn absolute(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("absolute".to_owned(), "1".to_owned());
        let name = format!("absolute({})", series.name);
        rename(series, name);
        map_values(series, |x| Some(x.abs()));
    }
    Ok(Value::SeriesList(list))
}

/// `add(seriesList, constant)`: every value plus `constant`, named `add(x,%d)`.
pub(super) fn add(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let constant = args.float(1).unwrap_or(0.0);
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("add".to_owned(), float_repr(constant));
        let name = format!("add({},{})", series.name, percent_d(constant));
        rename(series, name);
        series.int_values = false;
        map_values(series, |x| Some(x + constant));
    }
    Ok(Value::SeriesList(list))
}

/// `delay(seriesList, steps)`: the values shifted later (earlier when negative) by `steps`
/// points, padded with nulls.
pub(super) fn delay(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let steps = int_arg(&args, 1, 0);
    let mut list = args.series_list(0);
    for series in &mut list {
        let len = series.values.len();
        let shift = usize::try_from(steps.unsigned_abs())
            .unwrap_or(usize::MAX)
            .min(len);
        let values = if steps < 0 {
            let mut v = series.values[shift..].to_vec();
            v.resize(len, None);
            v
        } else {
            // The reference's `series[:-0]` would make `delay(x,0)` empty; zero steps keep
            // the values here.
            let mut v = vec![None; shift];
            v.extend_from_slice(&series.values[..len - shift]);
            v
        };
        series.tags.insert("delay".to_owned(), steps.to_string());
        let name = format!("delay({},{steps})", series.name);
        let ints = series.int_values;
        copy_with(series, name, values, ints);
    }
    Ok(Value::SeriesList(list))
}

/// `derivative(seriesList)`: the difference with the previous value (null after a null).
pub(super) fn derivative(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        let mut prev = None;
        let values = series
            .values
            .iter()
            .map(|&val| {
                let out = match (prev, val) {
                    (Some(p), Some(v)) => Some(v - p),
                    _ => None,
                };
                prev = val;
                out
            })
            .collect();
        series.tags.insert("derivative".to_owned(), "1".to_owned());
        let name = format!("derivative({})", series.name);
        let ints = series.int_values;
        copy_with(series, name, values, ints);
    }
    Ok(Value::SeriesList(list))
}

/// `exp(seriesList)`: e to the power of every value. Python raises on overflow; the
/// result is an infinity here.
pub(super) fn exp(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("exp".to_owned(), "e".to_owned());
        let name = format!("exp({})", series.name);
        rename(series, name);
        series.int_values = false;
        map_values(series, |x| Some(x.exp()));
    }
    Ok(Value::SeriesList(list))
}

/// `integral(seriesList)`: the running sum of the values (nulls stay null).
pub(super) fn integral(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        let mut current = 0.0;
        let values = series
            .values
            .iter()
            .map(|&val| {
                val.map(|v| {
                    current += v;
                    current
                })
            })
            .collect();
        series.tags.insert("integral".to_owned(), "1".to_owned());
        let name = format!("integral({})", series.name);
        copy_with(series, name, values, false);
    }
    Ok(Value::SeriesList(list))
}

/// `interpolate(seriesList, limit=inf)`: gaps of at most `limit` nulls between two values
/// filled linearly. Leading and trailing gaps stay.
pub(super) fn interpolate(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let limit = limit_arg(&args, 1);
    let mut list = args.series_list(0);
    for series in &mut list {
        let name = format!("interpolate({})", series.name);
        rename(series, name);
        let mut filled = false;
        let values = &mut series.values;
        let mut nones = 0usize;
        for i in 1..values.len() {
            let Some(value) = values[i] else {
                nones += 1;
                continue;
            };
            if nones == 0 {
                continue;
            }
            let anchor_index = i - nones - 1;
            let Some(anchor) = values[anchor_index] else {
                nones = 0;
                continue;
            };
            if within_limit(nones, limit) {
                let divisor = (nones + 1) as f64;
                for (k, slot) in values[i - nones..i].iter_mut().enumerate() {
                    // The distance from the anchor is k + 1.
                    let k = (k + 1) as f64;
                    *slot = Some(anchor + k * (value - anchor) / divisor);
                }
                filled = true;
            }
            nones = 0;
        }
        if filled {
            series.int_values = false;
        }
    }
    Ok(Value::SeriesList(list))
}

/// `invert(seriesList)`: `1/x` of every value (null for 0).
pub(super) fn invert(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("invert".to_owned(), "1".to_owned());
        let name = format!("invert({})", series.name);
        rename(series, name);
        series.int_values = false;
        map_values(series, |x| safe_pow(x, -1.0));
    }
    Ok(Value::SeriesList(list))
}

/// `isNonNull(seriesList)`: 1 where there is a value, 0 where there is none (Python ints).
pub(super) fn is_non_null(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("isNonNull".to_owned(), "1".to_owned());
        let name = format!("isNonNull({})", series.name);
        rename(series, name);
        for v in &mut series.values {
            *v = Some(if v.is_some() { 1.0 } else { 0.0 });
        }
        series.int_values = true;
    }
    Ok(Value::SeriesList(list))
}

/// `keepLastValue(seriesList, limit=inf)`: gaps of at most `limit` nulls after a value
/// filled with that value (a trailing gap too).
pub(super) fn keep_last_value(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let limit = limit_arg(&args, 1);
    let mut list = args.series_list(0);
    for series in &mut list {
        let name = format!("keepLastValue({})", series.name);
        rename(series, name);
        let values = &mut series.values;
        let mut nones = 0usize;
        let mut last = None;
        for i in 0..values.len() {
            match values[i] {
                None => nones += 1,
                Some(value) => {
                    if let (true, Some(l)) = (within_limit(nones, limit), last) {
                        values[i - nones..i].fill(Some(l));
                    }
                    nones = 0;
                    last = Some(value);
                }
            }
        }
        if let (true, Some(l)) = (within_limit(nones, limit), last) {
            let len = values.len();
            values[len - nones..].fill(Some(l));
        }
    }
    Ok(Value::SeriesList(list))
}

/// `log(seriesList, base=10)`: `math.log(x, base)` of every positive value, null for the
/// others; named `log(x, base)`.
pub(super) fn logarithm(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let base = int_arg(&args, 1, 10);
    let mut list = args.series_list(0);
    // math.log(x, base) is log(x) / log(base).
    let denominator = (base as f64).ln();
    for series in &mut list {
        let mut values = Vec::with_capacity(series.values.len());
        for &val in &series.values {
            values.push(match val {
                None => None,
                Some(v) if v <= 0.0 => None,
                Some(v) => {
                    if base <= 0 {
                        return Err(EvalError::input(format!(
                            "log(): math domain error (base {base})"
                        )));
                    }
                    if denominator == 0.0 {
                        return Err(EvalError::input(format!(
                            "log(): float division by zero (base {base})"
                        )));
                    }
                    Some(v.ln() / denominator)
                }
            });
        }
        series.tags.insert("log".to_owned(), base.to_string());
        let name = format!("log({}, {base})", series.name);
        copy_with(series, name, values, false);
    }
    Ok(Value::SeriesList(list))
}

/// `logit(seriesList)`: `log(x / (1 - x))`, null outside (0, 1).
pub(super) fn logit(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("logit".to_owned(), "logit".to_owned());
        let name = format!("logit({})", series.name);
        rename(series, name);
        series.int_values = false;
        map_values(series, |x| {
            let divisor = 1.0 - x;
            if divisor == 0.0 {
                return None;
            }
            let ratio = x / divisor;
            // math.log refuses zero and negative numbers (not NaN).
            if ratio <= 0.0 {
                None
            } else {
                Some(ratio.ln())
            }
        });
    }
    Ok(Value::SeriesList(list))
}

/// `minMax(seriesList)`: `(x - min) / (max - min)`, 0 when the series is constant.
pub(super) fn min_max(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        let name = format!("minMax({})", series.name);
        rename(series, name);
        let min = safe_min(&series.values).unwrap_or(0.0);
        let max = safe_max(&series.values).unwrap_or(0.0);
        let range = max - min;
        series.int_values = false;
        map_values(series, |x| {
            Some(if range == 0.0 { 0.0 } else { (x - min) / range })
        });
    }
    Ok(Value::SeriesList(list))
}

/// `_nonNegativeDelta(val, prev, maxValue, minValue)`: the delta (if any) and the new
/// previous value, and whether the delta is a float computed from the bounds.
fn non_negative_delta(
    val: Option<f64>,
    prev: Option<f64>,
    max_value: Option<f64>,
    min_value: Option<f64>,
) -> (Option<f64>, Option<f64>, bool) {
    // Python compares None with the bounds and fails; a null is just a null here.
    if let (Some(v), Some(max)) = (val, max_value) {
        if v > max {
            return (None, None, false);
        }
    }
    if let (Some(v), Some(min)) = (val, min_value) {
        if v < min {
            return (None, None, false);
        }
    }
    let (Some(v), Some(p)) = (val, prev) else {
        return (None, val, false);
    };
    if v >= p {
        return (Some(v - p), val, false);
    }
    if let Some(max) = max_value {
        return (
            Some(max + 1.0 + v - p - min_value.unwrap_or(0.0)),
            val,
            true,
        );
    }
    if let Some(min) = min_value {
        return (Some(v - min), val, true);
    }
    (None, val, false)
}

/// The optional `maxValue` and `minValue` of `nonNegativeDerivative` and `perSecond`.
fn bounds(args: &Args) -> (Option<f64>, Option<f64>) {
    (args.float(1), args.float(2))
}

/// `nonNegativeDerivative(seriesList, maxValue=None, minValue=None)`: the increase since
/// the previous value; a decrease is null, or a counter wrap when bounds are given.
pub(super) fn non_negative_derivative(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let (max_value, min_value) = bounds(&args);
    let mut list = args.series_list(0);
    for series in &mut list {
        let mut prev = None;
        let mut floats = false;
        let values = series
            .values
            .iter()
            .map(|&val| {
                let (delta, next, float) = non_negative_delta(val, prev, max_value, min_value);
                prev = next;
                floats |= float;
                delta
            })
            .collect();
        series
            .tags
            .insert("nonNegativeDerivative".to_owned(), "1".to_owned());
        let name = format!("nonNegativeDerivative({})", series.name);
        let ints = series.int_values && !floats;
        copy_with(series, name, values, ints);
    }
    Ok(Value::SeriesList(list))
}

/// `perSecond(seriesList, maxValue=None, minValue=None)`: the non-negative delta divided by
/// the step, rounded to 6 decimals.
pub(super) fn per_second(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let (max_value, min_value) = bounds(&args);
    let mut list = args.series_list(0);
    for series in &mut list {
        let step = series.step as f64;
        let mut prev = None;
        let values = series
            .values
            .iter()
            .map(|&val| {
                let (delta, next, _) = non_negative_delta(val, prev, max_value, min_value);
                prev = next;
                delta.map(|d| py_round(d / step, 6))
            })
            .collect();
        series.tags.insert("perSecond".to_owned(), "1".to_owned());
        let name = format!("perSecond({})", series.name);
        copy_with(series, name, values, false);
    }
    Ok(Value::SeriesList(list))
}

/// `offset(seriesList, factor)`: every value plus `factor`, named `offset(x,%g)`.
pub(super) fn offset(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let factor = args.float(1).unwrap_or(0.0);
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("offset".to_owned(), float_repr(factor));
        let name = format!("offset({},{})", series.name, percent_g(factor));
        rename(series, name);
        series.int_values = false;
        map_values(series, |x| Some(x + factor));
    }
    Ok(Value::SeriesList(list))
}

/// `offsetToZero(seriesList)`: every value minus the series' minimum.
pub(super) fn offset_to_zero(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        let minimum = safe_min(&series.values);
        let tag = match minimum {
            None => "None".to_owned(),
            Some(m) if series.int_values && m.is_finite() => percent_d(m),
            Some(m) => float_repr(m),
        };
        series.tags.insert("offsetToZero".to_owned(), tag);
        let name = format!("offsetToZero({})", series.name);
        rename(series, name);
        if let Some(m) = minimum {
            map_values(series, |x| Some(x - m));
        }
    }
    Ok(Value::SeriesList(list))
}

/// `pow(seriesList, factor)`: `math.pow(x, factor)`, null where Python raises.
pub(super) fn pow(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let factor = args.float(1).unwrap_or(1.0);
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("pow".to_owned(), float_repr(factor));
        let name = format!("pow({},{})", series.name, percent_g(factor));
        rename(series, name);
        series.int_values = false;
        map_values(series, |x| safe_pow(x, factor));
    }
    Ok(Value::SeriesList(list))
}

/// `round(seriesList, precision=None)`: Python's `round(x, precision or 0)`.
pub(super) fn round_function(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let given = !args.values(1).is_empty();
    let precision = int_arg(&args, 1, 0);
    let mut list = args.series_list(0);
    for series in &mut list {
        series
            .tags
            .insert("round".to_owned(), precision.to_string());
        let name = if given {
            format!("round({},{})", series.name, percent_g(precision as f64))
        } else {
            format!("round({})", series.name)
        };
        rename(series, name);
        // round() of a Python int stays that int (and exact for the precisions that matter).
        if !series.int_values || precision < 0 {
            map_values(series, |x| Some(py_round(x, precision)));
        }
    }
    Ok(Value::SeriesList(list))
}

/// `scale(seriesList, factor)`: every value times `factor`, named `scale(x,%g)`.
pub(super) fn scale(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let factor = args.float(1).unwrap_or(1.0);
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("scale".to_owned(), float_repr(factor));
        series.name = format!("scale({},{})", series.name, percent_g(factor));
        series.path_expression = series.name.clone();
        series.int_values = false;
        for v in series.values.iter_mut().flatten() {
            *v *= factor;
        }
    }
    Ok(Value::SeriesList(list))
}

/// `scaleToSeconds(seriesList, seconds)`: values per step turned into values per
/// `seconds`, rounded to 6 decimals; named `scaleToSeconds(x,%d)`.
pub(super) fn scale_to_seconds(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let seconds = args.float(1).unwrap_or(1.0);
    let mut list = args.series_list(0);
    for series in &mut list {
        series
            .tags
            .insert("scaleToSeconds".to_owned(), float_repr(seconds));
        let name = format!("scaleToSeconds({},{})", series.name, percent_d(seconds));
        rename(series, name);
        let factor = seconds / series.step as f64;
        series.int_values = false;
        map_values(series, |x| Some(py_round(x * factor, 6)));
    }
    Ok(Value::SeriesList(list))
}

/// `sigmoid(seriesList)`: `1 / (1 + exp(-x))`. Python raises when `exp(-x)` overflows;
/// the result is 0 here.
pub(super) fn sigmoid(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series
            .tags
            .insert("sigmoid".to_owned(), "sigmoid".to_owned());
        let name = format!("sigmoid({})", series.name);
        rename(series, name);
        series.int_values = false;
        map_values(series, |x| Some(1.0 / (1.0 + (-x).exp())));
    }
    Ok(Value::SeriesList(list))
}

/// `squareRoot(seriesList)`: `math.pow(x, 0.5)`, null for negative values.
pub(super) fn square_root(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("squareRoot".to_owned(), "1".to_owned());
        let name = format!("squareRoot({})", series.name);
        rename(series, name);
        series.int_values = false;
        map_values(series, |x| safe_pow(x, 0.5));
    }
    Ok(Value::SeriesList(list))
}

/// `transformNull(seriesList, default=0, referenceSeries=None)`: nulls replaced by
/// `default`; with `referenceSeries`, only where one of those series has a value (by index).
pub(super) fn transform_null(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    // An omitted default is the Python int 0 (tag `0`, printed `0`); a given one a float.
    let default_given = args.float(1);
    let default = default_given.unwrap_or(0.0);
    let default_tag = default_given.map_or_else(|| "0".to_owned(), float_repr);
    let reference = args.series_list(2);
    let mut list = args.series_list(0);
    // `defaults`: per index, the default where any reference series has a value there.
    let defaults: Option<Vec<bool>> = (!reference.is_empty())
        .then(|| {
            let len = reference.iter().map(|s| s.values.len()).max().unwrap_or(0);
            (0..len)
                .map(|i| {
                    reference
                        .iter()
                        .any(|s| s.values.get(i).is_some_and(Option::is_some))
                })
                .collect()
        })
        .filter(|d: &Vec<bool>| !d.is_empty());
    for series in &mut list {
        series
            .tags
            .insert("transformNull".to_owned(), default_tag.clone());
        let name = if reference.is_empty() {
            format!("transformNull({},{})", series.name, percent_g(default))
        } else {
            series
                .tags
                .insert("referenceSeries".to_owned(), "1".to_owned());
            format!(
                "transformNull({},{},referenceSeries)",
                series.name,
                percent_g(default)
            )
        };
        rename(series, name);
        let mut filled = 0usize;
        let had_values = series.values.iter().any(Option::is_some);
        match &defaults {
            None => {
                for v in &mut series.values {
                    if v.is_none() {
                        *v = Some(default);
                        filled += 1;
                    }
                }
            }
            Some(defaults) => {
                // By index; past the end of the reference series nothing is replaced. (The
                // reference's zip_longest makes a longer list and keeps only its tail, which
                // drops the series' values when the reference series are longer.)
                for (v, &use_default) in series.values.iter_mut().zip(defaults) {
                    if v.is_none() && use_default {
                        *v = Some(default);
                        filled += 1;
                    }
                }
            }
        }
        // Python ints stay ints; so does a series made only of the int default.
        series.int_values = if filled == 0 {
            series.int_values
        } else if default_given.is_none() {
            series.int_values || !had_values
        } else {
            false
        };
    }
    Ok(Value::SeriesList(list))
}

/// The timestamps `sin()` and `time()` produce: from the start, every `step` seconds, while
/// before the end. A step that is not positive or too many points are refused (the
/// reference never returns).
fn generated_times(ctx: &RequestContext, step: i64) -> Result<Vec<i64>, EvalError> {
    if step <= 0 {
        return Err(EvalError::input(format!(
            "step must be a positive number of seconds, not {step}"
        )));
    }
    let span = i128::from(ctx.end) - i128::from(ctx.start);
    let count = if span <= 0 {
        0
    } else {
        (span + i128::from(step) - 1) / i128::from(step)
    };
    if count > i128::from(MAX_GENERATED_POINTS) {
        return Err(EvalError::input(format!(
            "{count} points requested, more than {MAX_GENERATED_POINTS}: use a larger step"
        )));
    }
    let count = usize::try_from(count).unwrap_or(0);
    Ok((0..count)
        .map(|k| ctx.start + step * i64::try_from(k).unwrap_or(0))
        .collect())
}

/// A generated series over the request's range.
fn generated(ctx: &RequestContext, name: String, step: i64, values: Vec<Option<f64>>) -> Value {
    let series = TimeSeries::new(
        name,
        ctx.start,
        ctx.end,
        step,
        values,
        ctx.x_files_factor.get(),
    );
    Value::SeriesList(vec![series])
}

/// `sin(name, amplitude=1, step=60)`: `sin(t) * amplitude` for every `step` seconds of the
/// range.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the signature every implementation has"
)]
pub(super) fn sin_function(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let name = args.string(0).unwrap_or_default();
    let amplitude = int_arg(&args, 1, 1) as f64;
    let step = int_arg(&args, 2, 60);
    let values = generated_times(ctx, step)?
        .into_iter()
        .map(|t| Some((t as f64).sin() * amplitude))
        .collect();
    Ok(generated(ctx, name, step, values))
}

/// `time(name, step=60)`: the timestamp of every `step` seconds of the range.
#[expect(
    clippy::needless_pass_by_value,
    reason = "the signature every implementation has"
)]
pub(super) fn time_function(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let name = args.string(0).unwrap_or_default();
    let step = int_arg(&args, 1, 60);
    let values = generated_times(ctx, step)?
        .into_iter()
        .map(|t| Some(t as f64))
        .collect();
    Ok(generated(ctx, name, step, values))
}

#[cfg(test)]
mod tests;
