//! The Holt-Winters functions: forecast, confidence bands, aberration and confidence area.

use super::{evaluate_first_again, input_error, moved_back, set_option};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::functions::Args;
use crate::series::{SeriesOptions, Tags, TimeSeries};

/// Smoothing parameters of the reference.
const ALPHA: f64 = 0.1;
const GAMMA: f64 = 0.1;
const BETA: f64 = 0.0035;

/// `holtWintersAnalysis(series, seasonality)`: the predictions and deviations.
fn analysis(
    values: &[Option<f64>],
    step: i64,
    seasonality: i64,
) -> Result<(Vec<Option<f64>>, Vec<f64>), EvalError> {
    if step <= 0 {
        return Err(input_error("integer division or modulo by zero"));
    }
    let season_length = seasonality.div_euclid(step);
    let n = values.len();
    let mut intercepts: Vec<Option<f64>> = Vec::with_capacity(n);
    let mut slopes: Vec<f64> = Vec::with_capacity(n);
    let mut seasonals: Vec<f64> = Vec::with_capacity(n);
    let mut predictions: Vec<Option<f64>> = Vec::with_capacity(n);
    let mut deviations: Vec<f64> = Vec::with_capacity(n);
    let out_of_range = || input_error("list index out of range");
    // getLastSeasonal / getLastDeviation: the value one season back, 0 before the first.
    let last = |list: &[f64], i: usize| -> Result<f64, EvalError> {
        let j = i as i64 - season_length;
        if j >= 0 {
            usize::try_from(j)
                .ok()
                .and_then(|j| list.get(j).copied())
                .ok_or_else(out_of_range)
        } else {
            Ok(0.0)
        }
    };
    let mut next_pred: Option<f64> = None;
    for (i, actual) in values.iter().enumerate() {
        let Some(actual) = *actual else {
            intercepts.push(None);
            slopes.push(0.0);
            seasonals.push(0.0);
            predictions.push(next_pred);
            deviations.push(0.0);
            next_pred = None;
            continue;
        };
        let (last_intercept, last_slope, prediction) = if i == 0 {
            (actual, 0.0, Some(actual))
        } else {
            let li = intercepts.last().copied().flatten().unwrap_or(actual);
            (li, slopes.last().copied().unwrap_or(0.0), next_pred)
        };
        let last_seasonal = last(&seasonals, i)?;
        let next_last_seasonal = last(&seasonals, i + 1)?;
        let last_seasonal_dev = last(&deviations, i)?;
        let intercept =
            ALPHA * (actual - last_seasonal) + (1.0 - ALPHA) * (last_intercept + last_slope);
        let slope = BETA * (intercept - last_intercept) + (1.0 - BETA) * last_slope;
        let seasonal = GAMMA * (actual - intercept) + (1.0 - GAMMA) * last_seasonal;
        next_pred = Some(intercept + slope + next_last_seasonal);
        let deviation =
            GAMMA * (actual - prediction.unwrap_or(0.0)).abs() + (1.0 - GAMMA) * last_seasonal_dev;
        intercepts.push(Some(intercept));
        slopes.push(slope);
        seasonals.push(seasonal);
        predictions.push(prediction);
        deviations.push(deviation);
    }
    Ok((predictions, deviations))
}

/// `list[start:]` with Python's slice semantics.
fn slice_from<T: Clone>(list: &[T], start: i64) -> Vec<T> {
    let len = list.len() as i64;
    let from = if start < 0 {
        (start + len).max(0)
    } else {
        start.min(len)
    };
    list[usize::try_from(from).unwrap_or(0)..].to_vec()
}

/// An interval parameter in seconds (`delta.seconds + delta.days * 86400`), or its default.
fn interval(args: &Args, index: usize, default: i64) -> Result<i64, EvalError> {
    match args.string(index) {
        None => Ok(default),
        Some(s) => crate::attime::parse_time_offset(&s)
            .map_err(|e| input_error(format!("Invalid interval value: '{s}': {e}"))),
    }
}

/// The bootstrap and seasonality parameters at `index` and `index + 1`.
fn hw_params(args: &Args, index: usize) -> Result<(i64, i64), EvalError> {
    Ok((
        interval(args, index, 7 * 86400)?,
        interval(args, index + 1, 86400)?,
    ))
}

/// A series built by `TimeSeries(name, start, end, step, values, tags=..., xFilesFactor=...)`.
fn built(
    name: String,
    like: &TimeSeries,
    start: i64,
    values: Vec<Option<f64>>,
    tags: Tags,
    path_expression: Option<&str>,
) -> TimeSeries {
    TimeSeries {
        path_expression: path_expression.map_or_else(|| name.clone(), str::to_owned),
        name,
        start,
        end: like.end,
        step: like.step,
        values,
        consolidation_func: crate::series::ConsolidationFunc::Average,
        values_per_point: 1,
        x_files_factor: like.x_files_factor,
        tags,
        options: SeriesOptions::default(),
        int_values: false,
    }
}

/// The tags `holtWintersAnalysis` leaves on the series.
fn analysed_tags(series: &TimeSeries) -> Tags {
    let mut tags = series.tags.clone();
    tags.insert("holtWintersForecast".to_owned(), "1".to_owned());
    tags.insert("holtWintersDeviation".to_owned(), "1".to_owned());
    tags
}

/// `holtWintersForecast(seriesList, bootstrapInterval='7d', seasonality='1d')`.
pub(super) fn forecast(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let (bootstrap, seasonality) = hw_params(&args, 1)?;
    let ctx2 = moved_back(ctx, bootstrap)?;
    let preview_list = evaluate_first_again(ev, &ctx2, &args)?;
    drop(args);
    let mut result = Vec::with_capacity(preview_list.len());
    for series in preview_list {
        let (predictions, _) = analysis(&series.values, series.step, seasonality)?;
        let window = bootstrap.div_euclid(series.step);
        let name = format!("holtWintersForecast({})", series.name);
        result.push(built(
            name,
            &series,
            series.start.saturating_add(bootstrap),
            slice_from(&predictions, window),
            analysed_tags(&series),
            None,
        ));
    }
    Ok(Value::SeriesList(result))
}

/// The reference's `holtWintersConfidenceBands`: lower and upper band of each series.
fn bands(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Vec<TimeSeries>, EvalError> {
    let delta = match args.values(1).first() {
        None => 3,
        Some(Value::Int(i)) => *i,
        Some(Value::Bool(b)) => i64::from(*b),
        Some(Value::Float(f)) if f.is_finite() => f.trunc() as i64,
        Some(other) => {
            return Err(input_error(format!("Invalid delta: {}", other.py_repr())));
        }
    } as f64;
    let (bootstrap, seasonality) = hw_params(&args, 2)?;
    let ctx2 = moved_back(ctx, bootstrap)?;
    let preview_list = evaluate_first_again(ev, &ctx2, &args)?;
    drop(args);
    let mut result = Vec::with_capacity(preview_list.len() * 2);
    for series in preview_list {
        let (predictions, deviations) = analysis(&series.values, series.step, seasonality)?;
        let window = bootstrap.div_euclid(series.step);
        let forecast = slice_from(&predictions, window);
        let deviation = slice_from(&deviations, window);
        let mut upper = Vec::with_capacity(forecast.len());
        let mut lower = Vec::with_capacity(forecast.len());
        for (f, d) in forecast.iter().zip(&deviation) {
            match f {
                Some(f) => {
                    let scaled = delta * d;
                    upper.push(Some(f + scaled));
                    lower.push(Some(f - scaled));
                }
                None => {
                    upper.push(None);
                    lower.push(None);
                }
            }
        }
        let mut tags = analysed_tags(&series);
        tags.insert("holtWintersConfidenceUpper".to_owned(), "1".to_owned());
        tags.insert("holtWintersConfidenceLower".to_owned(), "1".to_owned());
        let start = series.start.saturating_add(bootstrap);
        let path = series.path_expression.as_str();
        result.push(built(
            format!("holtWintersConfidenceLower({})", series.name),
            &series,
            start,
            lower,
            tags.clone(),
            Some(path),
        ));
        result.push(built(
            format!("holtWintersConfidenceUpper({})", series.name),
            &series,
            start,
            upper,
            tags,
            Some(path),
        ));
    }
    Ok(result)
}

/// `holtWintersConfidenceBands(seriesList, delta=3, bootstrapInterval='7d',
/// seasonality='1d')`.
pub(super) fn confidence_bands(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    bands(ev, ctx, args).map(Value::SeriesList)
}

/// `holtWintersAberration(seriesList, delta=3, bootstrapInterval='7d', seasonality='1d')`:
/// how far each point lies outside the confidence bands (0 inside).
pub(super) fn aberration(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let list = args.series_list(0);
    let bands = bands(ev, ctx, args)?;
    let find = |name: String| {
        bands
            .iter()
            .rev()
            .find(|b| b.name == name)
            .ok_or_else(|| input_error(format!("no confidence band: {name}")))
    };
    let mut result = Vec::with_capacity(list.len());
    for series in list {
        let lower = find(format!("holtWintersConfidenceLower({})", series.name))?;
        let upper = find(format!("holtWintersConfidenceUpper({})", series.name))?;
        let band_at = |band: &TimeSeries, i: usize| {
            band.values
                .get(i)
                .copied()
                .ok_or_else(|| input_error("list index out of range"))
        };
        let mut values = Vec::with_capacity(series.values.len());
        for (i, v) in series.values.iter().enumerate() {
            let Some(v) = *v else {
                values.push(Some(0.0));
                continue;
            };
            let up = band_at(upper, i)?;
            if let Some(up) = up.filter(|&up| v > up) {
                values.push(Some(v - up));
                continue;
            }
            let low = band_at(lower, i)?;
            match low.filter(|&low| v < low) {
                Some(low) => values.push(Some(v - low)),
                None => values.push(Some(0.0)),
            }
        }
        let mut tags = series.tags.clone();
        tags.insert("holtWintersAberration".to_owned(), "1".to_owned());
        let mut out = built(
            format!("holtWintersAberration({})", series.name),
            &series,
            series.start,
            values,
            tags,
            None,
        );
        out.int_values = true;
        result.push(out);
    }
    Ok(Value::SeriesList(result))
}

/// `holtWintersConfidenceArea(seriesList, delta=3, bootstrapInterval='7d',
/// seasonality='1d')`: the bands drawn as `areaBetween` does.
pub(super) fn confidence_area(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let mut bands = bands(ev, ctx, args)?;
    if bands.is_empty() {
        return Ok(Value::SeriesList(bands));
    }
    if bands.len() != 2 {
        return Err(input_error(
            "areaBetween series argument must reference *exactly* 2 series",
        ));
    }
    let name = format!("areaBetween({})", bands[1].path_expression)
        .replace("areaBetween", "holtWintersConfidenceArea");
    let mut tags = bands[1].tags.clone();
    tags.shift_remove("areaBetween");
    tags.insert("holtWintersConfidenceArea".to_owned(), "1".to_owned());
    for (i, band) in bands.iter_mut().enumerate() {
        set_option(band, "stacked");
        if i == 0 {
            set_option(band, "invisible");
        }
        band.name = name.clone();
        band.path_expression = name.clone();
        band.tags = tags.clone();
    }
    Ok(Value::SeriesList(bands))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_slices() {
        let v = [1, 2, 3, 4];
        assert_eq!(slice_from(&v, 1), vec![2, 3, 4]);
        assert_eq!(slice_from(&v, 9), Vec::<i32>::new());
        assert_eq!(slice_from(&v, -1), vec![4]);
        assert_eq!(slice_from(&v, -9), vec![1, 2, 3, 4]);
    }

    #[test]
    fn short_seasons_fail_instead_of_panicking() {
        let values = [Some(1.0), Some(2.0), None, Some(4.0)];
        assert!(analysis(&values, 60, 60).is_err());
        assert!(analysis(&values, 60, -600).is_err());
        assert!(analysis(&values, 0, 600).is_err());
        assert!(analysis(&[None, None], 60, 60).is_ok());
        let (p, d) = analysis(&values, 60, 120).unwrap_or_default();
        assert_eq!(p.len(), 4);
        assert_eq!(d.len(), 4);
        assert_eq!(p[0], Some(1.0));
    }
}
