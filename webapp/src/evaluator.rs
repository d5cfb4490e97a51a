//! Evaluation of parsed targets (graphite-web's `render/evaluator.py`).
//!
//! A request's targets are evaluated in order and their series concatenated. Every path
//! expression in every target is fetched first, in one batch per time range, so the storage
//! layer can read files in parallel and query each carbon-cache once; functions that need
//! another time range (`timeShift`, moving windows, ...) evaluate their argument again with
//! [`Evaluator::evaluate_in`], which fetches that range on demand.
//!
//! Unlike the reference, path expressions passed as keyword arguments
//! (`highest(seriesList=a.*, n=1)`) are fetched too; the reference leaves them empty.

use std::cell::Cell;
use std::collections::HashMap;

use indexmap::IndexMap;

use crate::functions::{self, Args};
use crate::grammar::{Call, Expr, Template};
use crate::series::TimeSeries;

/// What a function or expression evaluates to.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A list of series (a path expression or most functions' result).
    SeriesList(Vec<TimeSeries>),
    /// Several series lists (`mapSeries`' result).
    SeriesLists(Vec<Vec<TimeSeries>>),
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A float literal (also `inf`).
    Float(f64),
    /// A string literal, backslashes kept.
    Str(String),
    /// `none`.
    None,
}

impl Value {
    /// Python's `repr()` of the value, for error messages.
    pub fn py_repr(&self) -> String {
        match self {
            Self::SeriesList(list) => format!(
                "[{}]",
                list.iter()
                    .map(|s| format!(
                        "TimeSeries(name={}, start={}, end={}, step={}, valuesPerPoint={}, \
                         consolidationFunc={}, xFilesFactor={})",
                        s.name,
                        s.start,
                        s.end,
                        s.step,
                        s.values_per_point,
                        s.consolidation_func.name(),
                        whisper::pyfmt::float_repr(s.x_files_factor)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::SeriesLists(lists) => format!("<{} series lists>", lists.len()),
            Self::Bool(true) => "True".into(),
            Self::Bool(false) => "False".into(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => whisper::pyfmt::float_repr(*f),
            Self::Str(s) => py_str_repr(s),
            Self::None => "None".into(),
        }
    }
}

/// Python's `repr()` of a str (carbon-hashing's, which carbon's ring keys need exactly).
pub use carbon_hashing::py_str_repr;

/// Why a target could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// Bad input: an unknown function, an invalid argument, ... (HTTP 400).
    #[error("{message}")]
    InputParameter {
        /// What is wrong, as the reference words it.
        message: String,
        /// The function call being evaluated, rendered `name(args)`, when known.
        function: Option<String>,
    },
    /// The storage layer failed (HTTP 500, details logged only).
    #[error("storage error: {0}")]
    Storage(String),
    /// A limit of this server was exceeded (HTTP 400).
    #[error("{0}")]
    Limit(String),
}

impl EvalError {
    /// An input error with no function context.
    pub fn input(message: impl Into<String>) -> Self {
        Self::InputParameter {
            message: message.into(),
            function: None,
        }
    }
}

/// The time range and options one evaluation runs with (the reference's `requestContext`).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestContext {
    /// Epoch seconds, inclusive start of the range.
    pub start: i64,
    /// Epoch seconds, end of the range.
    pub end: i64,
    /// Epoch seconds the relative times were resolved against (whisper reads use it).
    pub now: i64,
    /// The request's time zone.
    pub tz: chrono_tz::Tz,
    /// `xFilesFactor` for consolidation and aggregation: the request's, until
    /// `setXFilesFactor` sets it for the rest of the request (the reference writes it into
    /// its `requestContext`, a dict shared by every later call and target; the functions that
    /// evaluate with a changed time range work on a copy, as the reference's do).
    pub x_files_factor: Cell<f64>,
    /// `template[name]=value` overrides.
    pub template: IndexMap<String, String>,
    /// `local=1`: only local data (no cluster peers; always true here).
    pub local_only: bool,
    /// `maxDataPoints`, when given.
    pub max_data_points: Option<u64>,
    /// The request's raw targets, for error messages.
    pub targets: Vec<String>,
}

/// Where series come from: the finder, whisper files and carbon-cache in the server, a fixed
/// set in tests.
pub trait Storage: Sync {
    /// Fetches every path expression for the range; each result list is sorted by name and
    /// carries the path expression it was fetched by. Expressions with no match map to an
    /// empty list (or are absent).
    fn fetch(
        &self,
        path_expressions: &[String],
        start: i64,
        end: i64,
        now: i64,
        x_files_factor: f64,
    ) -> Result<HashMap<String, Vec<TimeSeries>>, EvalError>;
}

/// Evaluates targets against a [`Storage`], caching fetched series per time range.
pub struct Evaluator<'a> {
    storage: &'a dyn Storage,
    enforce_input_validation: bool,
    max_series: usize,
    fetched_series: usize,
    prefetched: HashMap<(i64, i64, i64), HashMap<String, Vec<TimeSeries>>>,
    /// How many more times each prefetched path will be evaluated: the last use takes the
    /// series instead of copying them (copies dominated renders of many series).
    remaining_uses: HashMap<(i64, i64, i64, String), usize>,
    /// `stacked()`'s running totals per stack name, kept for every later target of the
    /// request (the reference's `requestContext['totalStack']`).
    stack_totals: HashMap<String, Vec<StackTotal>>,
}

/// One position of a `stacked()` running total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StackTotal {
    /// The sum of the values stacked at this position so far.
    pub value: f64,
    /// Whether the sum is still a Python int (only ints were added), so it prints as one.
    pub is_int: bool,
}

impl Default for StackTotal {
    fn default() -> Self {
        Self {
            value: 0.0,
            is_int: true,
        }
    }
}

impl std::fmt::Debug for Evaluator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("fetched_series", &self.fetched_series)
            .finish_non_exhaustive()
    }
}

/// Template variables in scope: name to value, in the reference's update order.
type Replacements = IndexMap<String, Value>;

/// Deepest expression nesting evaluated; the parser already bounds it, this guards
/// functions that re-evaluate.
const MAX_DEPTH: usize = 256;

impl<'a> Evaluator<'a> {
    /// An evaluator over `storage`. `max_series` bounds how many series one request may
    /// fetch in all.
    pub fn new(
        storage: &'a dyn Storage,
        enforce_input_validation: bool,
        max_series: usize,
    ) -> Self {
        Self {
            storage,
            enforce_input_validation,
            max_series,
            fetched_series: 0,
            prefetched: HashMap::new(),
            remaining_uses: HashMap::new(),
            stack_totals: HashMap::new(),
        }
    }

    /// The running totals `stacked()` keeps for stack `name` during this request.
    pub fn stack_totals(&mut self, name: &str) -> &mut Vec<StackTotal> {
        self.stack_totals.entry(name.to_owned()).or_default()
    }

    /// Whether invalid arguments fail the request (`ENFORCE_INPUT_VALIDATION`).
    pub fn enforce_input_validation(&self) -> bool {
        self.enforce_input_validation
    }

    /// Evaluates every target and concatenates the results (`evaluateTarget`).
    pub fn evaluate_targets(
        &mut self,
        ctx: &RequestContext,
        targets: &[Expr],
    ) -> Result<Vec<TimeSeries>, EvalError> {
        self.prefetch(ctx, targets.iter())?;
        let mut out = Vec::new();
        for target in targets {
            match self.evaluate(ctx, target)? {
                Value::SeriesList(list) => out.extend(list),
                Value::SeriesLists(lists) => out.extend(lists.into_iter().flatten()),
                // A bare scalar target contributes nothing (the reference's `elif result:`
                // would try to extend with a number and fail; nothing sensible to draw).
                _ => {}
            }
        }
        Ok(out)
    }

    /// Evaluates one expression in `ctx`.
    pub fn evaluate(&mut self, ctx: &RequestContext, expr: &Expr) -> Result<Value, EvalError> {
        self.eval(ctx, expr, None, 0)
    }

    /// Evaluates `expr` again in another context (another time range), fetching what that
    /// range needs first. Functions such as `timeShift` and `movingAverage` use it.
    pub fn evaluate_in(&mut self, ctx: &RequestContext, expr: &Expr) -> Result<Value, EvalError> {
        self.prefetch(ctx, std::iter::once(expr))?;
        self.evaluate(ctx, expr)
    }

    /// Fetches every path expression of `targets` for `ctx`'s range in one batch.
    pub fn prefetch<'e>(
        &mut self,
        ctx: &RequestContext,
        targets: impl Iterator<Item = &'e Expr>,
    ) -> Result<(), EvalError> {
        let mut paths = Vec::new();
        for target in targets {
            collect_paths(ctx, target, None, &mut paths);
        }
        for path in &paths {
            *self
                .remaining_uses
                .entry((ctx.start, ctx.end, ctx.now, path.clone()))
                .or_default() += 1;
        }
        self.fetch_missing(ctx, paths)
    }

    fn fetch_missing(
        &mut self,
        ctx: &RequestContext,
        mut paths: Vec<String>,
    ) -> Result<(), EvalError> {
        let key = (ctx.start, ctx.end, ctx.now);
        let cached = self.prefetched.entry(key).or_default();
        paths.retain(|p| !cached.contains_key(p));
        paths.sort();
        paths.dedup();
        if paths.is_empty() {
            return Ok(());
        }
        let fetched = self.storage.fetch(
            &paths,
            ctx.start,
            ctx.end,
            ctx.now,
            ctx.x_files_factor.get(),
        )?;
        self.fetched_series += fetched.values().map(Vec::len).sum::<usize>();
        if self.fetched_series > self.max_series {
            return Err(EvalError::Limit(format!(
                "the request fetches {} series, more than MAX_SERIES_PER_REQUEST ({})",
                self.fetched_series, self.max_series
            )));
        }
        let cached = self.prefetched.entry(key).or_default();
        for path in paths {
            cached.entry(path).or_default();
        }
        for (path, series) in fetched {
            cached.insert(path, series);
        }
        Ok(())
    }

    fn fetch_path(
        &mut self,
        ctx: &RequestContext,
        path: &str,
    ) -> Result<Vec<TimeSeries>, EvalError> {
        let key = (ctx.start, ctx.end, ctx.now);
        let uses_key = (ctx.start, ctx.end, ctx.now, path.to_owned());
        if let Some(remaining) = self.remaining_uses.get_mut(&uses_key) {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.remaining_uses.remove(&uses_key);
                if let Some(series) = self.prefetched.get_mut(&key).and_then(|m| m.remove(path)) {
                    return Ok(series);
                }
            }
        }
        if let Some(series) = self.prefetched.get(&key).and_then(|m| m.get(path)) {
            return Ok(series.clone());
        }
        self.fetch_missing(ctx, vec![path.to_owned()])?;
        Ok(self
            .prefetched
            .get(&key)
            .and_then(|m| m.get(path))
            .cloned()
            .unwrap_or_default())
    }

    fn eval(
        &mut self,
        ctx: &RequestContext,
        expr: &Expr,
        replacements: Option<&Replacements>,
        depth: usize,
    ) -> Result<Value, EvalError> {
        if depth > MAX_DEPTH {
            return Err(EvalError::input("expression nested too deeply"));
        }
        match expr {
            Expr::Template(template) => {
                let replacements = template_replacements(ctx, template);
                self.eval(ctx, &template.inner, Some(&replacements), depth + 1)
            }
            Expr::Path(path) => {
                // As the reference: walk the variables in order; a path that is exactly
                // `$name` (after earlier substitutions) is that variable's value.
                let mut current = path.clone();
                for (name, value) in replacements.into_iter().flatten() {
                    if current == format!("${name}") {
                        return template_value(value);
                    }
                    current = current.replace(&format!("${name}"), &value_str(value));
                }
                Ok(Value::SeriesList(self.fetch_path(ctx, &current)?))
            }
            Expr::Call(call) => self.eval_call(ctx, call, replacements, depth),
            Expr::Bool(b) => Ok(Value::Bool(*b)),
            Expr::Int(i) => Ok(Value::Int(*i)),
            Expr::Float(f) => Ok(Value::Float(*f)),
            Expr::Str(s) => Ok(Value::Str(s.clone())),
            Expr::None => Ok(Value::None),
        }
    }

    fn eval_call(
        &mut self,
        ctx: &RequestContext,
        call: &Call,
        replacements: Option<&Replacements>,
        depth: usize,
    ) -> Result<Value, EvalError> {
        if call.name == "template" {
            return Err(EvalError::input(
                "invalid template() syntax, only string/numeric arguments are allowed",
            ));
        }
        if call.name == "seriesByTag" {
            return Ok(Value::SeriesList(self.fetch_path(ctx, &call.source)?));
        }
        let Some(function) = functions::lookup(&call.name) else {
            return Err(EvalError::input(format!(
                "Received request for unknown function: {}",
                call.name
            )));
        };
        let mut args = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            args.push(self.eval(ctx, arg, replacements, depth + 1)?);
        }
        let mut kwargs = Vec::with_capacity(call.kwargs.len());
        for (name, arg) in &call.kwargs {
            kwargs.push((name.clone(), self.eval(ctx, arg, replacements, depth + 1)?));
        }
        let args = Args::bind(function, args, &kwargs, self.enforce_input_validation)
            .map_err(|message| with_function(message, &call.name, &call.args, &call.kwargs))?
            .with_raw(call.args.clone());
        (function.implementation)(self, ctx, args).map_err(|e| match e {
            EvalError::InputParameter {
                message,
                function: None,
            } => with_function(message, &call.name, &call.args, &call.kwargs),
            other => other,
        })
    }
}

fn with_function(
    message: String,
    name: &str,
    args: &[Expr],
    kwargs: &[(String, Expr)],
) -> EvalError {
    let mut parts: Vec<String> = args.iter().map(expr_repr).collect();
    let mut sorted: Vec<&(String, Expr)> = kwargs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    parts.extend(sorted.iter().map(|(k, v)| format!("{k}={}", expr_repr(v))));
    EvalError::InputParameter {
        message,
        function: Some(format!("{name}({})", parts.join(", "))),
    }
}

/// A short rendering of an argument for error messages.
fn expr_repr(expr: &Expr) -> String {
    match expr {
        Expr::Path(p) => p.clone(),
        Expr::Call(c) => c.source.clone(),
        Expr::Template(_) => "template(...)".to_owned(),
        Expr::Bool(true) => "True".to_owned(),
        Expr::Bool(false) => "False".to_owned(),
        Expr::Int(i) => i.to_string(),
        Expr::Float(f) => whisper::pyfmt::float_repr(*f),
        Expr::Str(s) => py_str_repr(s),
        Expr::None => "None".to_owned(),
    }
}

/// A template variable used as a whole argument: numbers stay numbers, numeric strings
/// become floats (`re.match(r'^-?[\d.]+$', val)` then `float(val)`).
fn template_value(value: &Value) -> Result<Value, EvalError> {
    match value {
        Value::Str(s) if is_numeric_text(s) => s.parse::<f64>().map(Value::Float).map_err(|_| {
            EvalError::input(format!(
                "could not convert string to float: {}",
                py_str_repr(s)
            ))
        }),
        other => Ok(other.clone()),
    }
}

/// `re.match(r'^-?[\d.]+$', val)`.
fn is_numeric_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The template's variables: keyword arguments, then `1`, `2`, ... for positional ones, then
/// the request's `template[...]` parameters (strings), each later one replacing an earlier.
fn template_replacements(ctx: &RequestContext, template: &Template) -> Replacements {
    let mut out = Replacements::new();
    for (name, arg) in &template.kwargs {
        out.insert(name.clone(), scalar(arg));
    }
    for (i, arg) in template.args.iter().enumerate() {
        out.insert((i + 1).to_string(), scalar(arg));
    }
    for (name, value) in &ctx.template {
        out.insert(name.clone(), Value::Str(value.clone()));
    }
    out
}

fn scalar(expr: &Expr) -> Value {
    match expr {
        Expr::Bool(b) => Value::Bool(*b),
        Expr::Int(i) => Value::Int(*i),
        Expr::Float(f) => Value::Float(*f),
        Expr::Str(s) => Value::Str(s.clone()),
        Expr::None => Value::None,
        // The grammar only allows literals in template(); anything else substitutes as text.
        Expr::Path(p) => Value::Str(p.clone()),
        Expr::Call(c) => Value::Str(c.source.clone()),
        Expr::Template(_) => Value::None,
    }
}

/// Python's `str()` of a template value, as substituted into a path.
fn value_str(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.py_repr(),
    }
}

/// Replaces every `$name` in a path expression, in the variables' order.
fn substitute(path: &str, replacements: Option<&Replacements>) -> String {
    let mut out = path.to_owned();
    if let Some(replacements) = replacements {
        for (name, value) in replacements {
            let var = format!("${name}");
            if out != var {
                out = out.replace(&var, &value_str(value));
            }
        }
    }
    out
}

/// The path expressions `expr` fetches, with template variables substituted.
fn collect_paths(
    ctx: &RequestContext,
    expr: &Expr,
    replacements: Option<&Replacements>,
    out: &mut Vec<String>,
) {
    match expr {
        Expr::Template(template) => {
            let replacements = template_replacements(ctx, template);
            collect_paths(ctx, &template.inner, Some(&replacements), out);
        }
        Expr::Path(path) => out.push(substitute(path, replacements)),
        Expr::Call(call) if call.name == "seriesByTag" => out.push(call.source.clone()),
        Expr::Call(call) => {
            for arg in &call.args {
                collect_paths(ctx, arg, replacements, out);
            }
            for (_, arg) in &call.kwargs {
                collect_paths(ctx, arg, replacements, out);
            }
        }
        _ => {}
    }
}
