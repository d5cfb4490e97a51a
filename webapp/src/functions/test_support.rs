//! Shared by the function modules' tests: a [`Storage`] over a fixed set of series and a
//! request context over a given range.

use std::cell::Cell;
use std::collections::HashMap;

use crate::evaluator::{EvalError, Evaluator, RequestContext, Storage, Value};
use crate::grammar::parse_target;
use crate::series::TimeSeries;

/// A fixed set of series, matched by exact name or `a.*`-style single-node wildcards.
pub(crate) struct Fixed(pub(crate) Vec<TimeSeries>);

impl Storage for Fixed {
    fn fetch(
        &self,
        paths: &[String],
        _: i64,
        _: i64,
        _: i64,
        _: f64,
    ) -> Result<HashMap<String, Vec<TimeSeries>>, EvalError> {
        Ok(paths
            .iter()
            .map(|p| {
                let matched = self
                    .0
                    .iter()
                    .filter(|s| {
                        let (a, b): (Vec<&str>, Vec<&str>) =
                            (p.split('.').collect(), s.name.split('.').collect());
                        a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| *x == "*" || x == y)
                    })
                    .cloned()
                    .map(|mut s| {
                        s.path_expression.clone_from(p);
                        s
                    })
                    .collect();
                (p.clone(), matched)
            })
            .collect())
    }
}

/// A UTC request context for `[0, end]` read at `end`.
pub(crate) fn ctx_until(end: i64) -> RequestContext {
    RequestContext {
        start: 0,
        end,
        now: end,
        tz: chrono_tz::Tz::UTC,
        x_files_factor: Cell::new(0.0),
        template: Default::default(),
        local_only: true,
        max_data_points: None,
        targets: Vec::new(),
    }
}

/// Evaluates `target` over `store` in `ctx`; a result that is not a series list is an error.
pub(crate) fn eval_series(
    store: &Fixed,
    ctx: &RequestContext,
    target: &str,
) -> Result<Vec<TimeSeries>, EvalError> {
    match eval_value(store, ctx, target)? {
        Value::SeriesList(list) => Ok(list),
        other => Err(EvalError::input(format!("not a series list: {other:?}"))),
    }
}

/// Evaluates `target` over `store` in `ctx`.
pub(crate) fn eval_value(
    store: &Fixed,
    ctx: &RequestContext,
    target: &str,
) -> Result<Value, EvalError> {
    let mut ev = Evaluator::new(store, false, 10_000);
    let expr = parse_target(target).map_err(|e| EvalError::input(e.to_string()))?;
    ev.evaluate_in(ctx, &expr)
}
