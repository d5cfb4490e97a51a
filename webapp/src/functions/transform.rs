//! Transform functions: point-by-point arithmetic on each series.

use super::{percent_g, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("scale", scale),
];

/// `scale(seriesList, factor)`: every value times `factor`, named `scale(x,%g)`.
pub(super) fn scale(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let factor = args.float(1).unwrap_or(1.0);
    let mut list = args.series_list(0);
    for series in &mut list {
        series
            .tags
            .insert("scale".to_owned(), whisper::pyfmt::float_repr(factor));
        series.name = format!("scale({},{})", series.name, percent_g(factor));
        series.path_expression = series.name.clone();
        for v in series.values.iter_mut().flatten() {
            *v *= factor;
        }
    }
    Ok(Value::SeriesList(list))
}
