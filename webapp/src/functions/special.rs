//! Special functions: settings carried by the series rather than value changes.

use super::Args;
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::ConsolidationFunc;

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[("consolidateBy", consolidate_by)];

/// `consolidateBy(seriesList, consolidationFunc)`: how points are merged for display and
/// `maxDataPoints`. Named `consolidateBy(x,"max")`, tagged `consolidateBy`.
pub(super) fn consolidate_by(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let name = args.string(1).unwrap_or_default();
    // The catalog's options already refused anything else.
    let func = ConsolidationFunc::from_name(&name).unwrap_or(ConsolidationFunc::Average);
    let mut list = args.series_list(0);
    for series in &mut list {
        series.consolidation_func = func;
        series.tags.insert("consolidateBy".to_owned(), name.clone());
        series.name = format!("consolidateBy({},\"{name}\")", series.name);
        series.path_expression = series.name.clone();
    }
    Ok(Value::SeriesList(list))
}
