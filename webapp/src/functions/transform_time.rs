//! Transform functions that work on time: re-bucketing (`summarize`, `smartSummarize`,
//! `hitcount`, `compressPeriodicGaps`), shifting (`timeShift`, `timeStack`), slicing
//! (`timeSlice`) and `integralByInterval`.
//!
//! Several of them evaluate their first argument again over another time range (the
//! reference's `evaluateTarget(newContext, requestContext['args'][0])`), with
//! [`Evaluator::evaluate_in`] and a copy of the request context.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::OffsetComponents;

use super::{input_error, AggFunc, Args};
use crate::attime::{parse_at_time, parse_time_offset};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::{SeriesOptions, TimeSeries};

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("summarize", summarize),
    ("smartSummarize", smart_summarize),
    ("hitcount", hitcount),
    ("timeShift", time_shift),
    ("timeStack", time_stack),
    ("timeSlice", time_slice),
    ("integralByInterval", integral_by_interval),
    ("compressPeriodicGaps", compress_periodic_gaps),
];

/// The most buckets one series may be re-bucketed into (the reference has no bound; a tiny
/// interval over a long range would exhaust memory).
const MAX_BUCKETS: i64 = 5_000_000;

/// The most shifted copies `timeStack` evaluates.
const MAX_STACK: i64 = 1000;

/// A boolean parameter, `default` when omitted.
fn bool_arg(args: &Args, index: usize, default: bool) -> bool {
    match args.values(index).first() {
        Some(Value::Bool(b)) => *b,
        Some(Value::Int(i)) => *i != 0,
        Some(Value::Float(f)) => *f != 0.0,
        Some(Value::Str(s)) => !s.is_empty(),
        Some(Value::None) | None => default,
        Some(_) => true,
    }
}

/// An integer parameter, `default` when omitted.
fn int_arg(args: &Args, index: usize, default: i64) -> Result<i64, EvalError> {
    match args.values(index).first() {
        Some(Value::Int(i)) => Ok(*i),
        Some(Value::Bool(b)) => Ok(i64::from(*b)),
        Some(Value::Float(f)) if f.is_finite() && f.abs() < 9.0e15 => Ok(f.trunc() as i64),
        Some(Value::None) | None => Ok(default),
        Some(other) => Err(input_error(format!(
            "invalid integer value: {}",
            other.py_repr()
        ))),
    }
}

/// `parseTimeOffset(s)` in seconds, as an input error when it does not parse.
fn offset_seconds(s: &str) -> Result<i64, EvalError> {
    parse_time_offset(s).map_err(|e| input_error(format!("Invalid interval {s:?}: {e}")))
}

/// A bucket interval in seconds: must be positive (the reference divides by it, or loops
/// forever on a negative one).
fn bucket_interval(s: &str) -> Result<i64, EvalError> {
    let interval = offset_seconds(s)?;
    if interval <= 0 {
        return Err(input_error(format!(
            "Invalid interval {s:?}: it must be a positive duration"
        )));
    }
    Ok(interval)
}

/// Fails when re-bucketing `start..end` by `interval` would make too many buckets.
fn check_buckets(start: i64, end: i64, interval: i64) -> Result<(), EvalError> {
    let span = i128::from(end) - i128::from(start);
    if span / i128::from(interval.max(1)) > i128::from(MAX_BUCKETS) {
        return Err(input_error(format!(
            "too many points: the interval is too small for the time range (at most {MAX_BUCKETS})"
        )));
    }
    Ok(())
}

/// Evaluates the function's first positional argument again in `ctx`.
fn reevaluate(
    evaluator: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: &Args,
) -> Result<Vec<TimeSeries>, EvalError> {
    let Some(expr) = args.raw(0) else {
        return Err(input_error(
            "the series list must be given as the first positional argument",
        ));
    };
    Ok(match evaluator.evaluate_in(ctx, expr)? {
        Value::SeriesList(list) => list,
        Value::SeriesLists(lists) => lists.into_iter().flatten().collect(),
        _ => Vec::new(),
    })
}

/// `ctx` with its range moved by `delta` seconds.
fn shifted_context(ctx: &RequestContext, delta: i64) -> Result<RequestContext, EvalError> {
    // Python's datetime covers years 1 to 9999; the reference fails outside them.
    const MIN_EPOCH: i64 = -62_135_596_800;
    const MAX_EPOCH: i64 = 253_402_300_799;
    let overflow = || input_error("time shift out of range");
    let shift = |t: i64| {
        t.checked_add(delta)
            .filter(|t| (MIN_EPOCH..=MAX_EPOCH).contains(t))
            .ok_or_else(overflow)
    };
    let mut shifted = ctx.clone();
    shifted.start = shift(ctx.start)?;
    shifted.end = shift(ctx.end)?;
    Ok(shifted)
}

/// The request start as the reference's aware `datetime`: its wall-clock time in the
/// request's zone and its UTC offset in seconds.
fn local_start(ctx: &RequestContext) -> Result<(NaiveDateTime, i64), EvalError> {
    let dt = ctx
        .tz
        .timestamp_opt(ctx.start, 0)
        .single()
        .ok_or_else(|| input_error("start time out of range"))?;
    let offset = i64::from(dt.offset().fix().local_minus_utc());
    Ok((dt.naive_local(), offset))
}

/// The epoch of `datetime(..., tzinfo=s.tzinfo)`: a wall-clock time read with the UTC offset
/// of the request start (pytz's fixed offset), as the reference's alignments do.
fn aligned_epoch(wall: NaiveDateTime, offset: i64) -> i64 {
    wall.and_utc().timestamp() - offset
}

/// Truncations of the start time: the units of `smartSummarize`'s `alignTo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AlignUnit {
    Years,
    Months,
    Weeks,
    Days,
    Hours,
    Minutes,
    Seconds,
}

/// The request start truncated to `unit` in the request's zone (with the start's UTC offset).
fn align_start(ctx: &RequestContext, unit: AlignUnit) -> Result<i64, EvalError> {
    let (wall, offset) = local_start(ctx)?;
    let date = wall.date();
    let range = || input_error("aligned start time out of range");
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0);
    let aligned = match unit {
        AlignUnit::Years => NaiveDate::from_ymd_opt(date.year(), 1, 1).and_then(midnight),
        AlignUnit::Months => {
            NaiveDate::from_ymd_opt(date.year(), date.month(), 1).and_then(midnight)
        }
        AlignUnit::Weeks => {
            let days = i64::from(date.weekday().number_from_monday()) - 1;
            date.checked_sub_days(chrono::Days::new(days.unsigned_abs()))
                .and_then(midnight)
        }
        AlignUnit::Days => midnight(date),
        AlignUnit::Hours => date.and_hms_opt(wall.hour(), 0, 0),
        AlignUnit::Minutes => date.and_hms_opt(wall.hour(), wall.minute(), 0),
        AlignUnit::Seconds => date.and_hms_opt(wall.hour(), wall.minute(), wall.second()),
    }
    .ok_or_else(range)?;
    Ok(aligned_epoch(aligned, offset))
}

/// `getUnitString`.
fn unit_string(s: &str) -> Option<AlignUnit> {
    Some(if s.starts_with('s') {
        AlignUnit::Seconds
    } else if s.starts_with("min") {
        AlignUnit::Minutes
    } else if s.starts_with('h') {
        AlignUnit::Hours
    } else if s.starts_with('d') {
        AlignUnit::Days
    } else if s.starts_with('w') {
        AlignUnit::Weeks
    } else if s.starts_with("mon") {
        AlignUnit::Months
    } else if s.starts_with('y') {
        AlignUnit::Years
    } else {
        return None;
    })
}

/// Turns `series` into the reference's `series.copy(name=..., start=..., ...)`: tags,
/// consolidation function and xFilesFactor kept, path expression set to the name, options
/// and display consolidation reset.
fn into_copy(
    series: &mut TimeSeries,
    name: String,
    start: i64,
    end: i64,
    step: i64,
    values: Vec<Option<f64>>,
) {
    series.path_expression.clone_from(&name);
    series.name = name;
    series.start = start;
    series.end = end;
    series.step = step;
    series.values = values;
    series.values_per_point = 1;
    series.options = SeriesOptions::default();
    series.int_values = false;
}

/// `_summarizeValues`: the values bucketed by `interval` from `new_start` up to `new_end`,
/// and the end of the last bucket.
fn summarize_values(
    series: &TimeSeries,
    func: AggFunc,
    interval: i64,
    new_start: i64,
    new_end: i64,
) -> (Vec<Option<f64>>, i64) {
    let datapoints = series.consolidated();
    let step = series.step;
    let mut new_values = Vec::new();
    if step <= 0 || interval <= 0 {
        return (new_values, new_start);
    }
    let count = if series.end > series.start {
        usize::try_from((series.end - series.start + step - 1) / step).unwrap_or(usize::MAX)
    } else {
        0
    };
    let num_points = count.min(datapoints.len());
    let timestamp = |i: usize| series.start + i as i64 * step;
    let interval_points = interval as f64 / step as f64;
    let mut i = 0usize;
    let mut ts = new_start;
    while ts < new_end {
        let mut s = i;
        let mut non_null = 0usize;
        while i < num_points && timestamp(i) < ts + interval {
            if timestamp(i) <= ts {
                s = i;
            }
            if timestamp(i) >= ts && datapoints[i].is_some() {
                non_null += 1;
            }
            i += 1;
        }
        let keep = non_null > 0
            && interval_points != 0.0
            && non_null as f64 / interval_points >= series.x_files_factor;
        new_values.push(if keep {
            func.apply(&datapoints[s..i])
        } else {
            None
        });
        ts += interval;
    }
    (new_values, ts)
}

/// The aggregation function named `name`, or the reference's error.
fn agg_func(name: &str) -> Result<AggFunc, EvalError> {
    AggFunc::from_name(name)
        .ok_or_else(|| input_error(format!("Unsupported aggregation function: {name}")))
}

/// `summarize(seriesList, intervalString, func='sum', alignToFrom=False)`.
fn summarize(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let interval_string = args.string(1).unwrap_or_default();
    let func_name = args.string(2).unwrap_or_else(|| "sum".to_owned());
    let align_to_from = bool_arg(&args, 3, false);
    let interval = bucket_interval(&interval_string)?;
    let func = agg_func(&func_name)?;
    let mut list = args.series_list(0);
    for series in &mut list {
        let (new_start, new_end) = if align_to_from {
            (series.start, series.end)
        } else {
            (
                series.start - series.start.rem_euclid(interval),
                series.end - series.end.rem_euclid(interval) + interval,
            )
        };
        check_buckets(new_start, new_end, interval)?;
        let (values, aligned_end) = summarize_values(series, func, interval, new_start, new_end);
        let new_end = if align_to_from { aligned_end } else { new_end };
        series
            .tags
            .insert("summarize".to_owned(), interval_string.clone());
        series
            .tags
            .insert("summarizeFunction".to_owned(), func_name.clone());
        let name = format!(
            "summarize({}, \"{interval_string}\", \"{func_name}\"{})",
            series.name,
            if align_to_from { ", true" } else { "" }
        );
        into_copy(series, name, new_start, new_end, interval, values);
        series.int_values = func == AggFunc::Count;
    }
    Ok(Value::SeriesList(list))
}

/// `smartSummarize(seriesList, intervalString, func='sum', alignTo=None)`.
fn smart_summarize(
    evaluator: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let interval_string = args.string(1).unwrap_or_default();
    let func_name = args.string(2).unwrap_or_else(|| "sum".to_owned());
    let interval = bucket_interval(&interval_string)?;
    let func = agg_func(&func_name)?;
    let align_to = match args.values(3).first() {
        Some(Value::Str(s)) => {
            Some(unit_string(s).ok_or_else(|| input_error(format!("Invalid offset unit '{s}'")))?)
        }
        // True/False: the deprecated alignToFrom, ignored.
        _ => None,
    };
    let mut list = match align_to {
        Some(unit) => {
            let mut aligned = ctx.clone();
            aligned.start = align_start(ctx, unit)?;
            reevaluate(evaluator, &aligned, &args)?
        }
        None => args.series_list(0),
    };
    for series in &mut list {
        check_buckets(series.start, series.end, interval)?;
        let (values, aligned_end) =
            summarize_values(series, func, interval, series.start, series.end);
        series
            .tags
            .insert("smartSummarize".to_owned(), interval_string.clone());
        series
            .tags
            .insert("smartSummarizeFunction".to_owned(), func_name.clone());
        let name = format!(
            "smartSummarize({}, \"{interval_string}\", \"{func_name}\")",
            series.name
        );
        let start = series.start;
        into_copy(series, name, start, aligned_end, interval, values);
        series.int_values = func == AggFunc::Count;
    }
    Ok(Value::SeriesList(list))
}

/// `hitcount(seriesList, intervalString, alignToInterval=False)`: values taken as hits per
/// second, summed per interval (points spanning a bucket boundary are split).
fn hitcount(
    evaluator: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let interval_string = args.string(1).unwrap_or_default();
    let align = bool_arg(&args, 2, false);
    let interval = bucket_interval(&interval_string)?;
    let mut list = if align {
        let mut aligned = ctx.clone();
        let unit = if interval >= 86400 {
            Some(AlignUnit::Days)
        } else if interval >= 3600 {
            Some(AlignUnit::Hours)
        } else if interval >= 60 {
            Some(AlignUnit::Minutes)
        } else {
            None
        };
        if let Some(unit) = unit {
            aligned.start = align_start(ctx, unit)?;
        }
        let mut list = reevaluate(evaluator, &aligned, &args)?;
        for series in &mut list {
            let count = (series.end - series.start).div_euclid(interval);
            series.end = count
                .checked_mul(interval)
                .and_then(|v| v.checked_add(series.start))
                .and_then(|v| v.checked_add(interval))
                .ok_or_else(|| input_error("hitcount: time range out of range"))?;
        }
        list
    } else {
        args.series_list(0)
    };
    for series in &mut list {
        check_buckets(series.start, series.end, interval)?;
        let step = series.step;
        let span = series.end - series.start;
        // ceil(float(span) / interval)
        let bucket_count = (span as f64 / interval as f64).ceil() as i64;
        let new_start = series.end - bucket_count * interval;
        let mut buckets: Vec<Option<f64>> =
            vec![None; usize::try_from(bucket_count.max(0)).unwrap_or(0)];
        let mut add = |bucket: i64, x: f64| {
            if let Some(slot) = usize::try_from(bucket)
                .ok()
                .and_then(|b| buckets.get_mut(b))
            {
                *slot = Some(slot.unwrap_or(0.0) + x);
            }
        };
        for (i, value) in series.consolidated().iter().enumerate() {
            let Some(value) = *value else { continue };
            let start_time = series.start + i as i64 * step;
            let start_bucket = (start_time - new_start).div_euclid(interval);
            let start_mod = (start_time - new_start).rem_euclid(interval);
            let end_time = start_time + step;
            let mut end_bucket = (end_time - new_start).div_euclid(interval);
            let mut end_mod = (end_time - new_start).rem_euclid(interval);
            if end_bucket >= bucket_count {
                end_bucket = bucket_count - 1;
                end_mod = interval;
            }
            if start_bucket == end_bucket {
                if start_bucket >= 0 {
                    add(start_bucket, value * (end_mod - start_mod) as f64);
                }
            } else {
                if start_bucket >= 0 {
                    add(start_bucket, value * (interval - start_mod) as f64);
                }
                let hits_per_bucket = value * interval as f64;
                for j in (start_bucket + 1).max(0)..end_bucket {
                    add(j, hits_per_bucket);
                }
                if end_mod > 0 {
                    add(end_bucket, value * end_mod as f64);
                }
            }
        }
        series
            .tags
            .insert("hitcount".to_owned(), interval_string.clone());
        let name = format!(
            "hitcount({}, \"{interval_string}\"{})",
            series.name,
            if align { ", true" } else { "" }
        );
        let end = series.end;
        into_copy(series, name, new_start, end, interval, buckets);
    }
    Ok(Value::SeriesList(list))
}

/// `time.localtime(...).tm_isdst` of an instant, in the request's zone.
fn is_dst(tz: chrono_tz::Tz, epoch: i64) -> bool {
    tz.timestamp_opt(epoch, 0)
        .single()
        .is_some_and(|dt| dt.offset().dst_offset().num_seconds() != 0)
}

/// `timeShift`'s sign rule: a shift that starts with a digit goes back in time.
fn default_negative(shift: &str) -> String {
    if shift
        .chars()
        .next()
        .is_some_and(crate::attime::pyunicode::is_digit)
    {
        format!("-{shift}")
    } else {
        shift.to_owned()
    }
}

/// `timeShift(seriesList, timeShift, resetEnd=True, alignDST=False)`.
fn time_shift(
    evaluator: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let shift = args.string(1).unwrap_or_default();
    if shift.is_empty() {
        return Err(input_error("timeShift: the shift must not be empty"));
    }
    let reset_end = bool_arg(&args, 2, true);
    let align_dst = bool_arg(&args, 3, false);
    let shift = default_negative(&shift);
    let delta = offset_seconds(&shift)?;
    let mut shifted = shifted_context(ctx, delta)?;
    if align_dst {
        let req_start = is_dst(ctx.tz, ctx.start);
        let req_end = is_dst(ctx.tz, ctx.end);
        let my_start = is_dst(ctx.tz, shifted.start);
        let my_end = is_dst(ctx.tz, shifted.end);
        let dst_offset = if req_start && req_end && !my_start && !my_end {
            3600
        } else if !req_start && !req_end && my_start && my_end {
            -3600
        } else {
            0
        };
        shifted = shifted_context(&shifted, dst_offset)?;
    }
    let list = args.series_list(0);
    let Some(first) = list.first() else {
        return Ok(Value::SeriesList(Vec::new()));
    };
    let (first_start, first_end) = (first.start, first.end);
    let mut results = reevaluate(evaluator, &shifted, &args)?;
    for series in &mut results {
        series.tags.insert("timeShift".to_owned(), shift.clone());
        series.name = format!("timeShift({}, \"{shift}\")", series.name);
        if reset_end {
            series.end = first_end;
        } else {
            series.end = series.end - series.start + first_start;
        }
        series.start = first_start;
    }
    Ok(Value::SeriesList(results))
}

/// `timeStack(seriesList, timeShiftUnit='1d', timeShiftStart=0, timeShiftEnd=7)`.
fn time_stack(
    evaluator: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let unit = args.string(1).unwrap_or_else(|| "1d".to_owned());
    if unit.is_empty() {
        return Err(input_error(
            "timeStack: the time shift unit must not be empty",
        ));
    }
    let unit = default_negative(&unit);
    let delta = offset_seconds(&unit)?;
    let shift_start = int_arg(&args, 2, 0)?;
    let shift_end = int_arg(&args, 3, 7)?;
    let list = args.series_list(0);
    let Some(first) = list.first() else {
        return Ok(Value::SeriesList(Vec::new()));
    };
    let (first_start, first_end) = (first.start, first.end);
    if i128::from(shift_end) - i128::from(shift_start) > i128::from(MAX_STACK) {
        return Err(input_error(format!(
            "timeStack: at most {MAX_STACK} shifts can be stacked"
        )));
    }
    let mut results = Vec::new();
    for shift in shift_start..shift_end {
        let inner = delta
            .checked_mul(shift)
            .ok_or_else(|| input_error("time shift out of range"))?;
        let shifted = shifted_context(ctx, inner)?;
        for mut series in reevaluate(evaluator, &shifted, &args)? {
            series.tags.insert("timeShiftUnit".to_owned(), unit.clone());
            series
                .tags
                .insert("timeShift".to_owned(), shift.to_string());
            series.name = format!("timeShift({}, {unit}, {shift})", series.name);
            series.path_expression.clone_from(&series.name);
            series.start = first_start;
            series.end = first_end;
            results.push(series);
        }
    }
    Ok(Value::SeriesList(results))
}

/// A `date` parameter as epoch seconds, read in the request's zone relative to its `now`.
fn date_arg(ctx: &RequestContext, text: &str) -> Result<i64, EvalError> {
    let now = ctx
        .tz
        .timestamp_opt(ctx.now, 0)
        .single()
        .ok_or_else(|| input_error("now out of range"))?;
    parse_at_time(text, ctx.tz, now)
        .map(|dt| dt.timestamp())
        .map_err(|e| input_error(e.to_string()))
}

/// `timeSlice(seriesList, startSliceAt, endSliceAt='now')`: values outside the slice (both
/// ends inclusive) become None. Points are timed from the request start, as the reference.
fn time_slice(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let start_text = args.string(1).unwrap_or_default();
    let end_text = args.string(2).unwrap_or_else(|| "now".to_owned());
    let start = date_arg(ctx, &start_text)?;
    let end = date_arg(ctx, &end_text)?;
    let mut list = args.series_list(0);
    for series in &mut list {
        series
            .tags
            .insert("timeSliceStart".to_owned(), start.to_string());
        series
            .tags
            .insert("timeSliceEnd".to_owned(), end.to_string());
        series.name = format!("timeSlice({}, {start}, {end})", series.name);
        let mut curr = ctx.start;
        for value in &mut series.values {
            if curr < start || curr > end {
                *value = None;
            }
            curr = curr.saturating_add(series.step);
        }
    }
    Ok(Value::SeriesList(list))
}

/// `integralByInterval(seriesList, intervalUnit)`: the running sum, reset to 0 at every
/// interval boundary counted from the request start.
fn integral_by_interval(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let unit = args.string(1).unwrap_or_default();
    let duration = offset_seconds(&unit)?.saturating_abs();
    if duration == 0 {
        return Err(input_error(format!(
            "Invalid interval {unit:?}: it must not be zero"
        )));
    }
    let start_time = ctx.start;
    let mut list = args.series_list(0);
    for series in &mut list {
        let step = series.step;
        let mut values = Vec::with_capacity(series.values.len());
        let mut current_time = series.start;
        let mut current = 0.0;
        for value in series.consolidated().iter() {
            let offset = current_time - start_time;
            if offset.div_euclid(duration) != (offset - step).div_euclid(duration) {
                current = 0.0;
            }
            if let Some(v) = value {
                current += v;
            }
            values.push(Some(current));
            current_time = current_time.saturating_add(step);
        }
        series
            .tags
            .insert("integralByInterval".to_owned(), unit.clone());
        let name = format!("integralByInterval({},'{unit}')", series.name);
        let (start, end) = (series.start, series.end);
        into_copy(series, name, start, end, step, values);
    }
    Ok(Value::SeriesList(list))
}

/// `compressPeriodicGaps(seriesList)`: a series whose values come every n steps with Nones
/// in between is re-bucketed to n steps (`summarize(..., 'last')`), guessing n from the first
/// values.
fn compress_periodic_gaps(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name = format!("compressPeriodicGaps({})", series.name);
        series.path_expression.clone_from(&series.name);
        compress(series);
    }
    Ok(Value::SeriesList(list))
}

/// Python truthiness of a value: None and 0.0 are false (NaN is true).
fn truthy(v: Option<f64>) -> bool {
    v.is_some_and(|x| x != 0.0)
}

/// `_compressPeriodicGaps` on one series, in place.
fn compress(series: &mut TimeSeries) {
    let mut first_seen = 0usize;
    let mut second_seen = 0usize;
    for (i, value) in series.values.iter().enumerate() {
        if truthy(*value) {
            if first_seen > 0 {
                second_seen = i;
                break;
            }
            first_seen = i;
        }
    }
    let len = series.values.len() as i64;
    let step_guess = second_seen as i64 - first_seen as i64;
    let third_seen = second_seen as i64 + step_guess;
    let mut interval = None;
    if step_guess > 1 && third_seen <= len - 2 {
        let at = |i: i64| {
            usize::try_from(i)
                .ok()
                .and_then(|i| series.values.get(i))
                .copied()
                .flatten()
        };
        if truthy(at(third_seen)) && at(third_seen - 1).is_none() && at(third_seen + 1).is_none() {
            interval = step_guess.checked_mul(series.step);
        }
    }
    let Some(interval) = interval.filter(|&i| i > 0) else {
        return;
    };
    let new_start = series.start + first_seen as i64 * series.step;
    let end = series.end;
    let (values, _) = summarize_values(series, AggFunc::Last, interval, new_start, end);
    let new_end = new_start + interval * (values.len() as i64 - 1);
    let name = series.name.clone();
    into_copy(series, name, new_start, new_end, interval, values);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(start: i64, step: i64, values: Vec<Option<f64>>) -> TimeSeries {
        let end = start + step * values.len() as i64;
        TimeSeries::new("a.b", start, end, step, values, 0.0)
    }

    #[test]
    fn summarize_buckets_and_end() {
        let s = series(
            10,
            10,
            vec![Some(1.0), None, Some(3.0), Some(4.0), Some(5.0)],
        );
        // buckets of 20s from 0: [0,20): t=10 -> 1; [20,40): 20,30 -> None,3; [40,60): 40,50
        let (values, end) = summarize_values(&s, AggFunc::Sum, 20, 0, 60);
        assert_eq!(values, vec![Some(1.0), Some(3.0), Some(9.0)]);
        assert_eq!(end, 60);
    }

    #[test]
    fn summarize_degenerate_series_do_not_panic() {
        let mut s = series(0, 10, vec![Some(1.0)]);
        s.step = 0;
        assert!(summarize_values(&s, AggFunc::Sum, 60, 0, 60).0.is_empty());
        let s = series(0, 10, vec![]);
        assert_eq!(summarize_values(&s, AggFunc::Sum, 60, 0, 60).0, vec![None]);
    }

    #[test]
    fn compress_guesses_the_interval() {
        let mut s = series(
            0,
            10,
            vec![
                None,
                Some(1.0),
                None,
                None,
                Some(2.0),
                None,
                None,
                Some(3.0),
                None,
                None,
            ],
        );
        compress(&mut s);
        assert_eq!(s.step, 30);
        assert_eq!(s.start, 10);
        assert_eq!(s.values, vec![Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(s.end, 70);
        // Nothing to guess: untouched.
        let mut s = series(0, 10, vec![Some(0.0), None, Some(1.0)]);
        compress(&mut s);
        assert_eq!(s.step, 10);
    }

    /// Every path is one series over the requested range, step 10, with a None every 3rd
    /// point (so shifted re-evaluations return data).
    struct Generated;

    impl crate::evaluator::Storage for Generated {
        fn fetch(
            &self,
            paths: &[String],
            start: i64,
            end: i64,
            _: i64,
            _: f64,
        ) -> Result<std::collections::HashMap<String, Vec<TimeSeries>>, EvalError> {
            Ok(paths
                .iter()
                .map(|p| {
                    let first = start - start.rem_euclid(10) + 10;
                    let n = usize::try_from((end - first).max(0) / 10)
                        .unwrap_or(0)
                        .min(10_000);
                    let values = (0..n)
                        .map(|i| (i % 3 != 2).then_some(i as f64 - 3.0))
                        .collect();
                    let mut s = TimeSeries::new(p.clone(), first, end, 10, values, 0.0);
                    s.path_expression.clone_from(p);
                    (p.clone(), vec![s])
                })
                .collect())
        }
    }

    fn run(target: &str, ctx: &RequestContext) -> Result<Vec<TimeSeries>, EvalError> {
        let storage = Generated;
        let mut evaluator = Evaluator::new(&storage, false, 100_000);
        let expr = crate::grammar::parse_target(target).map_err(|e| input_error(e.to_string()))?;
        evaluator.evaluate_targets(ctx, &[expr])
    }

    fn context(tz: chrono_tz::Tz) -> RequestContext {
        RequestContext {
            start: 1_699_200_000,
            end: 1_699_203_600,
            now: 1_699_203_600,
            tz,
            x_files_factor: std::cell::Cell::new(0.0),
            template: Default::default(),
            local_only: true,
            max_data_points: None,
            targets: Vec::new(),
        }
    }

    #[test]
    fn odd_arguments_do_not_panic() {
        let intervals = [
            "'1min'",
            "'0s'",
            "'-5min'",
            "'1s'",
            "'999999999d'",
            "'-999999999d'",
            "'1y'",
            "'x'",
            "''",
            "'+1h'",
            "'3'",
            "1",
            "-1",
            "0",
            "true",
            "none",
        ];
        let extras = [
            "",
            ",true",
            ",false",
            ",'count'",
            ",'bogus'",
            ",1",
            ",-5",
            ",99999999",
        ];
        let functions = [
            "summarize",
            "smartSummarize",
            "hitcount",
            "timeShift",
            "timeStack",
            "timeSlice",
            "integralByInterval",
        ];
        for tz in [chrono_tz::Tz::UTC, chrono_tz::America::New_York] {
            let ctx = context(tz);
            for f in functions {
                for i in intervals {
                    for e in extras {
                        let _ = run(&format!("{f}(a.b,{i}{e})"), &ctx);
                    }
                }
            }
            for align in [
                "years", "months", "weeks", "days", "hours", "minutes", "seconds",
            ] {
                let out = run(&format!("smartSummarize(a.b,'1h','sum','{align}')"), &ctx);
                assert!(out.is_ok(), "{align}: {out:?}");
            }
            let _ = run("timeStack(a.b,'1h',-2147483648,2147483647)", &ctx);
            let _ = run("timeStack(a.b,'999999999d',0,1000)", &ctx);
            let _ = run("timeSlice(a.b,'20231105','-1d')", &ctx);
            let _ = run("compressPeriodicGaps(a.b)", &ctx);
        }
    }

    #[test]
    fn time_shift_moves_the_range_and_keeps_the_start() {
        let ctx = context(chrono_tz::Tz::UTC);
        let out = run("timeShift(a.b,'1h')", &ctx).unwrap();
        assert_eq!(out[0].name, "timeShift(a.b, \"-1h\")");
        assert_eq!(out[0].start, 1_699_200_010);
        assert_eq!(out[0].end, 1_699_203_600);
        assert_eq!(out[0].tags["timeShift"], "-1h");
        let out = run("timeStack(a.b,'1h',0,3)", &ctx).unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[2].name, "timeShift(a.b, -1h, 2)");
        assert!(run("summarize(a.b,'0s')", &ctx).is_err());
        assert!(run("summarize(a.b,'1s')", &ctx).is_ok());
    }

    #[test]
    fn alignment_uses_the_start_offset() {
        // 2023-11-05 12:00 EST (after the change); midnight that day was still EDT, but the
        // reference builds it with the start's offset (-5h): 05:00 UTC.
        let mut ctx = context(chrono_tz::America::New_York);
        ctx.start = 1_699_203_600;
        assert_eq!(align_start(&ctx, AlignUnit::Days).unwrap(), 1_699_160_400);
        assert_eq!(align_start(&ctx, AlignUnit::Hours).unwrap(), 1_699_203_600);
        // Monday 2023-10-30 00:00 at -5h.
        assert_eq!(align_start(&ctx, AlignUnit::Weeks).unwrap(), 1_698_642_000);
    }

    #[test]
    fn unit_strings() {
        assert_eq!(unit_string("weeks"), Some(AlignUnit::Weeks));
        assert_eq!(unit_string("minutes"), Some(AlignUnit::Minutes));
        assert_eq!(unit_string("months"), Some(AlignUnit::Months));
        assert_eq!(unit_string("x"), None);
        assert_eq!(default_negative("1d"), "-1d");
        assert_eq!(default_negative("+1d"), "+1d");
    }
}
