//! The render functions: their registry, argument binding and validation, and the
//! `/functions` API Grafana's function editor reads.
//!
//! The interface of every graphite-web 1.1.10 function (signature, group, parameter specs,
//! description) is in `catalog.json`, generated from the reference by
//! `scripts/gen-function-catalog.py`. Arguments are bound and validated against those specs
//! as the reference's `validateParams` does, so an implementation receives values of the
//! declared types. `/functions` lists the functions implemented here.
//!
//! Implementations live in one module per group of the reference's documentation.

mod aggfuncs;
mod alias;
mod calculate;
mod combine;
mod filter;
mod filter_data;
mod graph;
pub mod pie;
mod sort;
mod special;
#[cfg(test)]
mod test_support;
mod transform;
mod transform_time;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::Value as Json;

pub use aggfuncs::{AggFunc, AGG_FUNC_NAMES};
/// Python `re` patterns, for the tag database's expressions too.
pub(crate) use alias::{python_regex, PyRegex};

use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::params::{Params, Reply};
use crate::series::TimeSeries;

/// A function implementation: the evaluator (to re-evaluate arguments in other time
/// ranges), the request context and the bound arguments.
pub type Implementation = fn(&mut Evaluator<'_>, &RequestContext, Args) -> Result<Value, EvalError>;

/// One registered render function.
#[derive(Debug)]
pub struct Function {
    /// The name targets call it by.
    pub name: &'static str,
    /// The parameter specs, from the catalog.
    pub params: &'static [ParamSpec],
    /// The catalog entry (`/functions` output).
    pub info: &'static Json,
    /// The implementation.
    pub implementation: Implementation,
}

/// A parameter's declared type (`ParamTypes` in the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// `seriesList`.
    SeriesList,
    /// `seriesLists`.
    SeriesLists,
    /// `series`.
    Series,
    /// `integer`.
    Integer,
    /// `float`.
    Float,
    /// `boolean`.
    Boolean,
    /// `string`.
    String,
    /// `interval` (a time offset such as `1h`).
    Interval,
    /// `intOrInterval`.
    IntOrInterval,
    /// `intOrInf`.
    IntOrInf,
    /// `date`.
    Date,
    /// `node` (an integer).
    Node,
    /// `nodeOrTag`.
    NodeOrTag,
    /// `tag`.
    Tag,
    /// `any`.
    Any,
    /// `aggFunc`.
    AggFunc,
    /// `aggOrSeriesFunc`.
    AggOrSeriesFunc,
}

impl ParamType {
    fn from_name(name: &str) -> Self {
        match name {
            "seriesList" => Self::SeriesList,
            "seriesLists" => Self::SeriesLists,
            "series" => Self::Series,
            "integer" => Self::Integer,
            "float" => Self::Float,
            "boolean" => Self::Boolean,
            "string" => Self::String,
            "interval" => Self::Interval,
            "intOrInterval" => Self::IntOrInterval,
            "intOrInf" => Self::IntOrInf,
            "date" => Self::Date,
            "node" => Self::Node,
            "nodeOrTag" => Self::NodeOrTag,
            "tag" => Self::Tag,
            "aggFunc" => Self::AggFunc,
            "aggOrSeriesFunc" => Self::AggOrSeriesFunc,
            _ => Self::Any,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::SeriesList => "seriesList",
            Self::SeriesLists => "seriesLists",
            Self::Series => "series",
            Self::Integer => "integer",
            Self::Float => "float",
            Self::Boolean => "boolean",
            Self::String => "string",
            Self::Interval => "interval",
            Self::IntOrInterval => "intOrInterval",
            Self::IntOrInf => "intOrInf",
            Self::Date => "date",
            Self::Node => "node",
            Self::NodeOrTag => "nodeOrTag",
            Self::Tag => "tag",
            Self::Any => "any",
            Self::AggFunc => "aggFunc",
            Self::AggOrSeriesFunc => "aggOrSeriesFunc",
        }
    }
}

/// One parameter of a function, as the catalog declares it.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// Its name (keyword arguments use it).
    pub name: String,
    /// Its type.
    pub param_type: ParamType,
    /// Whether it must be given.
    pub required: bool,
    /// Whether it takes the remaining positional arguments.
    pub multiple: bool,
    /// Allowed values, when restricted.
    pub options: Vec<Json>,
}

struct Catalog {
    series: HashMap<String, (Json, Vec<ParamSpec>)>,
    /// The pie functions (`pieMode`), listed by `/functions?type=pie`.
    pie: HashMap<String, (Json, Vec<ParamSpec>)>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let all: Json =
        serde_json::from_str(include_str!("catalog.json")).expect("catalog.json is valid JSON");
    let section = |key: &str| {
        all[key]
            .as_object()
            .expect("catalog sections are objects")
            .iter()
            .map(|(name, info)| {
                let params = info["params"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| ParamSpec {
                                name: p["name"].as_str().unwrap_or_default().to_owned(),
                                param_type: ParamType::from_name(
                                    p["type"].as_str().unwrap_or_default(),
                                ),
                                required: p["required"].as_bool().unwrap_or(false),
                                multiple: p["multiple"].as_bool().unwrap_or(false),
                                options: p["options"].as_array().cloned().unwrap_or_default(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let mut info = info.clone();
                if let Some(obj) = info.as_object_mut() {
                    obj.remove("aggregator");
                }
                (name.clone(), (info, params))
            })
            .collect()
    };
    Catalog {
        series: section("series"),
        pie: section("pie"),
    }
});

/// Every group module's implementations, by name; aliases (`sum`, `avg`) are separate entries
/// as in the reference. Each module lists its own in a `FUNCTIONS` table.
const MODULES: &[&[(&str, Implementation)]] = &[
    alias::FUNCTIONS,
    calculate::FUNCTIONS,
    combine::FUNCTIONS,
    filter::FUNCTIONS,
    filter_data::FUNCTIONS,
    graph::FUNCTIONS,
    sort::FUNCTIONS,
    special::FUNCTIONS,
    transform::FUNCTIONS,
    transform_time::FUNCTIONS,
];

static REGISTRY: LazyLock<HashMap<&'static str, Function>> = LazyLock::new(|| {
    MODULES
        .iter()
        .flat_map(|module| module.iter())
        .map(|&(name, implementation)| {
            let (info, params) = CATALOG
                .series
                .get(name)
                .unwrap_or_else(|| panic!("{name} is not in catalog.json"));
            (
                name,
                Function {
                    name,
                    params,
                    info,
                    implementation,
                },
            )
        })
        .collect()
});

/// The function called `name`, if implemented.
pub fn lookup(name: &str) -> Option<&'static Function> {
    REGISTRY.get(name)
}

/// The names of the implemented functions, sorted.
pub fn implemented_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = REGISTRY.keys().copied().collect();
    names.sort_unstable();
    names
}

/// Arguments bound to a function's parameters: for each parameter, the values given (none
/// when omitted, several for a `multiple` parameter).
#[derive(Debug)]
pub struct Args {
    by_param: Vec<Vec<Value>>,
    raw: Vec<crate::grammar::Expr>,
}

impl Args {
    /// Binds and validates arguments as the reference's `validateParams`: positional
    /// arguments fill the parameters in order (the last `multiple` one takes the rest),
    /// keyword arguments fill the remaining ones by name. The error is the reference's
    /// message.
    pub fn bind(
        function: &Function,
        args: Vec<Value>,
        kwargs: &[(String, Value)],
        strict: bool,
    ) -> Result<Self, String> {
        let name = function.name;
        let params = function.params;
        let mut by_param: Vec<Vec<Value>> = vec![Vec::new(); params.len()];
        let positional_params = if args.len() + kwargs.len() > params.len() {
            if !params.last().is_some_and(|p| p.multiple) {
                return Err(format!(
                    "Too many parameters specified for function \"{name}\""
                ));
            }
            params.len()
        } else {
            args.len()
        };
        for (i, arg) in args.into_iter().enumerate() {
            let index = i.min(positional_params.saturating_sub(1));
            let Some(param) = params.get(index) else {
                return Err(format!(
                    "Too many parameters specified for function \"{name}\""
                ));
            };
            if let Some(value) = validate(param, arg, name, strict)? {
                by_param[index].push(value);
            }
        }
        let mut used = 0;
        for (index, param) in params.iter().enumerate().skip(positional_params) {
            let value = kwargs
                .iter()
                .rev()
                .find(|(k, _)| *k == param.name)
                .map(|(_, v)| v.clone());
            match value {
                None | Some(Value::None) => {
                    if param.required {
                        return Err(format!(
                            "Missing required parameter \"{}\" for function \"{name}\"",
                            param.name
                        ));
                    }
                    if value.is_some() {
                        used += 1;
                    }
                }
                Some(value) => {
                    used += 1;
                    if let Some(value) = validate(param, value, name, strict)? {
                        by_param[index].push(value);
                    }
                }
            }
        }
        let distinct_kwargs = {
            let mut names: Vec<&String> = kwargs.iter().map(|(k, _)| k).collect();
            names.sort();
            names.dedup();
            names
        };
        if distinct_kwargs.len() > used {
            let unexpected: Vec<&str> = kwargs
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| {
                    !params[positional_params.min(params.len())..]
                        .iter()
                        .any(|p| p.name == *k)
                })
                .collect();
            return Err(format!(
                "Unexpected key word arguments: {}",
                unexpected.join(", ")
            ));
        }
        Ok(Self {
            by_param,
            raw: Vec::new(),
        })
    }

    /// Attaches the unevaluated positional arguments (the reference's
    /// `requestContext['args']`), for functions that evaluate an argument again over another
    /// time range (`timeShift`, `movingAverage`, ...) with [`Evaluator::evaluate_in`].
    pub fn with_raw(mut self, raw: Vec<crate::grammar::Expr>) -> Self {
        self.raw = raw;
        self
    }

    /// The unevaluated positional argument `index`, as written in the target.
    pub fn raw(&self, index: usize) -> Option<&crate::grammar::Expr> {
        self.raw.get(index)
    }

    /// Takes the series list of parameter `index` (empty when omitted).
    pub fn series_list(&mut self, index: usize) -> Vec<TimeSeries> {
        match self.take_one(index) {
            Some(Value::SeriesList(list)) => list,
            _ => Vec::new(),
        }
    }

    /// Takes every series list given to a `multiple` parameter.
    pub fn series_lists(&mut self, index: usize) -> Vec<Vec<TimeSeries>> {
        std::mem::take(&mut self.by_param[index])
            .into_iter()
            .filter_map(|v| match v {
                Value::SeriesList(list) => Some(list),
                _ => None,
            })
            .collect()
    }

    /// The string of parameter `index`.
    pub fn string(&self, index: usize) -> Option<String> {
        match self.by_param.get(index)?.first()? {
            Value::Str(s) => Some(s.clone()),
            other => Some(other.py_repr()),
        }
    }

    /// The number of parameter `index` as a float.
    pub fn float(&self, index: usize) -> Option<f64> {
        match self.by_param.get(index)?.first()? {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// Every value given to parameter `index`.
    pub fn values(&self, index: usize) -> &[Value] {
        self.by_param.get(index).map(Vec::as_slice).unwrap_or(&[])
    }

    fn take_one(&mut self, index: usize) -> Option<Value> {
        let values = self.by_param.get_mut(index)?;
        (!values.is_empty()).then(|| values.remove(0))
    }
}

/// `Param.validateValue` then the type's validator; `Ok(None)` is an omitted value.
fn validate(
    param: &ParamSpec,
    value: Value,
    function: &str,
    strict: bool,
) -> Result<Option<Value>, String> {
    if matches!(value, Value::None) {
        // A None for an optional parameter means "use the default".
        if !param.required {
            return Ok(None);
        }
    }
    if !param.options.is_empty() && !param.options.iter().any(|o| option_matches(o, &value)) {
        return Err(format!(
            "Invalid option specified for function \"{function}\" parameter \"{}\": {}",
            param.name,
            value.py_repr()
        ));
    }
    let invalid = |value: &Value| {
        format!(
            "Invalid \"{}\" value specified for function \"{function}\" parameter \"{}\": {}",
            param.param_type.name(),
            param.name,
            value.py_repr()
        )
    };
    let converted = match (param.param_type, value) {
        (ParamType::SeriesList, v @ Value::SeriesList(_)) => v,
        (ParamType::SeriesLists, v @ Value::SeriesLists(_)) => v,
        (ParamType::Float, Value::Int(i)) => Value::Float(i as f64),
        (ParamType::Float, v @ Value::Float(_)) => v,
        (ParamType::Float, Value::Bool(b)) => Value::Float(f64::from(u8::from(b))),
        (ParamType::Float, Value::Str(s)) => match py_float(&s) {
            Some(f) => Value::Float(f),
            None => return Err(invalid(&Value::Str(s))),
        },
        (ParamType::Integer | ParamType::Node, v @ Value::Int(_)) => v,
        (ParamType::Integer | ParamType::Node, Value::Bool(b)) => Value::Int(i64::from(b)),
        // The reference refuses floats for integers; with validation not enforced the raw
        // float reaches the function, which works when it is integral.
        (ParamType::Integer | ParamType::Node, Value::Float(f))
            if !strict && f.fract() == 0.0 && f.abs() < 9.0e15 =>
        {
            Value::Int(f as i64)
        }
        (ParamType::Integer | ParamType::Node, Value::Str(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => return Err(invalid(&Value::Str(s))),
        },
        (ParamType::Boolean, Value::Str(s)) => match s.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(invalid(&Value::Str(s))),
        },
        (ParamType::Boolean, Value::Int(i)) if i == 0 || i == 1 => Value::Bool(i == 1),
        (ParamType::Boolean, Value::Float(f)) if f == 0.0 || f == 1.0 => Value::Bool(f == 1.0),
        (ParamType::Boolean, v @ Value::Bool(_)) => v,
        (ParamType::Interval, Value::Str(s)) => match crate::attime::parse_time_offset(&s) {
            Ok(_) => Value::Str(s),
            Err(_) => return Err(invalid(&Value::Str(s))),
        },
        (ParamType::IntOrInf, v @ Value::Int(_)) => v,
        (ParamType::IntOrInf, Value::Float(f)) if f == f64::INFINITY => Value::Float(f),
        (
            ParamType::String
            | ParamType::Series
            | ParamType::IntOrInterval
            | ParamType::Date
            | ParamType::NodeOrTag
            | ParamType::Tag
            | ParamType::Any
            | ParamType::AggFunc
            | ParamType::AggOrSeriesFunc,
            v,
        ) => v,
        (_, v) => return Err(invalid(&v)),
    };
    Ok(Some(converted))
}

/// Python's `value in options` for the literal kinds options hold.
fn option_matches(option: &Json, value: &Value) -> bool {
    match (option, value) {
        (Json::String(o), Value::Str(v)) => o == v,
        (Json::Bool(o), Value::Bool(v)) => o == v,
        (Json::Number(o), Value::Int(v)) => o.as_f64() == Some(*v as f64),
        (Json::Number(o), Value::Float(v)) => o.as_f64() == Some(*v),
        (Json::Null, Value::None) => true,
        _ => false,
    }
}

/// Python's `float(str)` for the spellings a target can carry.
fn py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "inf" | "infinity" | "nan") {
        return lower
            .parse::<f64>()
            .ok()
            .or(Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else if body == "nan" {
                f64::NAN
            } else {
                f64::INFINITY
            }));
    }
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E' | '_'))
    {
        return None;
    }
    t.replace('_', "").parse::<f64>().ok()
}

/// `/functions` and `/functions/<name>`: the implemented functions' catalog entries.
/// `name` is `None` for the list.
pub fn functions_view(params: &Params, method: &str, name: Option<&str>) -> Reply {
    let pretty = params.get("pretty").is_some_and(|v| !v.is_empty());
    let json_reply = |status: u16, value: &Json| {
        let text = crate::pyjson::dumps(value, pretty.then_some(2), pretty);
        Reply::with_status(
            status,
            "application/json",
            text.replace("\"__Infinity__\"", "1e9999"),
        )
    };
    if method != "GET" {
        return Reply::with_status(405, "text/html; charset=utf-8", Vec::new());
    }
    let pie = params.get("type") == Some("pie");
    let entry = |name: &str| -> Option<&'static Json> {
        if pie {
            pie::pie_function(name)?;
            CATALOG.pie.get(name).map(|(info, _)| info)
        } else {
            lookup(name).map(|f| f.info)
        }
    };
    if let Some(name) = name {
        return match entry(name) {
            Some(info) => json_reply(200, info),
            None => json_reply(
                404,
                &serde_json::json!({ "error": format!("Function not found: {name}") }),
            ),
        };
    }
    let grouped = matches!(
        params
            .get("grouped")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("1" | "true")
    );
    let group = params.get("group");
    let mut result = serde_json::Map::new();
    let names = if pie {
        pie::PIE_FUNCTIONS.iter().map(|&(name, _)| name).collect()
    } else {
        implemented_names()
    };
    for name in names {
        let Some(info) = entry(name) else { continue };
        let info_group = info["group"].as_str().unwrap_or("Ungrouped").to_owned();
        if group.is_some_and(|g| g != info_group) {
            continue;
        }
        if grouped {
            let slot = result
                .entry(info_group)
                .or_insert_with(|| Json::Object(serde_json::Map::new()));
            if let Some(obj) = slot.as_object_mut() {
                obj.insert(name.to_owned(), info.clone());
            }
        } else {
            result.insert(name.to_owned(), info.clone());
        }
    }
    json_reply(200, &Json::Object(result))
}

/// Formats `x` like Python's `"%g" % x`.
pub(crate) fn percent_g(x: f64) -> String {
    whisper::pyfmt::percent_g(x, 6)
}

/// The unique path expressions of a list, in first-seen order, joined with `,`
/// (`formatPathExpressions`).
pub(crate) fn format_path_expressions(series: &[TimeSeries]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for s in series {
        if !seen.contains(&s.path_expression.as_str()) {
            seen.push(&s.path_expression);
        }
    }
    seen.join(",")
}

/// An input error raised inside a function.
pub(crate) fn input_error(message: impl Into<String>) -> EvalError {
    EvalError::input(message)
}

#[cfg(test)]
mod tests;
