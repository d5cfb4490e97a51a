//! Grouping: `aggregateWithWildcards` and its shorthands, `groupByNode(s)`, `groupByTags`,
//! `mapSeries`/`reduceSeries` and `applyByNode`.

use indexmap::IndexMap;

use super::aggregate;
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::functions::alias::agg_key;
use crate::functions::{input_error, lookup, Args};
use crate::grammar::parse_target;
use crate::series::{tags_from_name, TimeSeries};

/// Series grouped by key, keys in first-seen order.
fn group_by(
    list: Vec<TimeSeries>,
    key: impl Fn(&TimeSeries) -> String,
) -> IndexMap<String, Vec<TimeSeries>> {
    let mut groups: IndexMap<String, Vec<TimeSeries>> = IndexMap::new();
    for s in list {
        groups.entry(key(&s)).or_default().push(s);
    }
    groups
}

/// Calls the render function `name` directly with positional `args`, as the reference calls
/// `SeriesFunctions[name](requestContext, *args)` (no target to parse); `None` when there is
/// no such function.
fn call_function(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    name: &str,
    args: Vec<Value>,
) -> Result<Option<Vec<TimeSeries>>, EvalError> {
    let Some(function) = lookup(name) else {
        return Ok(None);
    };
    let bound = Args::bind(function, args, &[], false).map_err(input_error)?;
    Ok(Some(match (function.implementation)(ev, ctx, bound)? {
        Value::SeriesList(list) => list,
        Value::SeriesLists(lists) => lists.into_iter().flatten().collect(),
        _ => Vec::new(),
    }))
}

/// The first series of a callback's result (the reference's `[0]`).
fn first(list: Vec<TimeSeries>, what: &str) -> Result<TimeSeries, EvalError> {
    list.into_iter()
        .next()
        .ok_or_else(|| input_error(format!("{what} returned no series")))
}

/// Applies an `aggOrSeriesFunc` callback to one group: a render function of that name, else
/// `aggregate(group, callback)`.
fn apply_callback(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    callback: &str,
    group: Vec<TimeSeries>,
) -> Result<TimeSeries, EvalError> {
    if lookup(callback).is_some() {
        let result = call_function(ev, ctx, callback, vec![Value::SeriesList(group)])?;
        return first(result.unwrap_or_default(), callback);
    }
    first(aggregate(ctx, vec![group], callback, None)?, callback)
}

/// `aggregateWithWildcards(seriesList, func, *positions)`.
pub(super) fn aggregate_with_wildcards(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let func = args.string(1).unwrap_or_default();
    let positions = int_positions(args.values(2));
    with_wildcards(ctx, args.series_list(0), &func, &positions)
}

fn int_positions(values: &[Value]) -> Vec<i64> {
    values
        .iter()
        .filter_map(|v| match v {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            _ => None,
        })
        .collect()
}

fn with_wildcards(
    ctx: &RequestContext,
    list: Vec<TimeSeries>,
    func: &str,
    positions: &[i64],
) -> Result<Value, EvalError> {
    let groups = group_by(list, |s| {
        s.name
            .split('.')
            .enumerate()
            .filter(|(i, _)| !positions.contains(&(*i as i64)))
            .map(|(_, part)| part)
            .collect::<Vec<_>>()
            .join(".")
    });
    let mut out = Vec::with_capacity(groups.len());
    for (key, group) in groups {
        let mut s = first(aggregate(ctx, vec![group], func, None)?, func)?;
        s.name = key;
        out.push(s);
    }
    Ok(Value::SeriesList(out))
}

macro_rules! wildcards {
    ($(#[$doc:meta] $name:ident => $func:literal),* $(,)?) => {
        $(
            #[$doc]
            pub(super) fn $name(
                _: &mut Evaluator<'_>,
                ctx: &RequestContext,
                mut args: Args,
            ) -> Result<Value, EvalError> {
                let positions = int_positions(args.values(1));
                with_wildcards(ctx, args.series_list(0), $func, &positions)
            }
        )*
    };
}

wildcards! {
    /// `sumSeriesWithWildcards(seriesList, *position)`.
    sum_series_with_wildcards => "sum",
    /// `averageSeriesWithWildcards(seriesList, *position)`.
    average_series_with_wildcards => "average",
    /// `multiplySeriesWithWildcards(seriesList, *position)`.
    multiply_series_with_wildcards => "multiply",
}

/// `groupByNode(seriesList, nodeNum, callback='average')`.
pub(super) fn group_by_node(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let node = args.values(1).to_vec();
    let callback = args.string(2).unwrap_or_else(|| "average".to_owned());
    group_by_nodes_impl(ev, ctx, args.series_list(0), &callback, &node)
}

/// `groupByNodes(seriesList, callback, *nodes)`.
pub(super) fn group_by_nodes(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let nodes = args.values(2).to_vec();
    let callback = args.string(1).unwrap_or_default();
    group_by_nodes_impl(ev, ctx, args.series_list(0), &callback, &nodes)
}

fn group_by_nodes_impl(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    list: Vec<TimeSeries>,
    callback: &str,
    nodes: &[Value],
) -> Result<Value, EvalError> {
    let groups = group_by(list, |s| agg_key(s, nodes));
    let mut out = Vec::with_capacity(groups.len());
    for (key, group) in groups {
        let mut s = apply_callback(ev, ctx, callback, group)?;
        s.name = key;
        out.push(s);
    }
    Ok(Value::SeriesList(out))
}

/// `groupByTags(seriesList, callback, *tags)`: groups keyed `name;tag=value;...` (tags
/// sorted), each named and tagged by its key.
pub(super) fn group_by_tags(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let callback = args.string(1).unwrap_or_default();
    let tags: Vec<String> = args
        .values(2)
        .iter()
        .map(|v| match v {
            Value::Str(s) => s.clone(),
            other => other.py_repr(),
        })
        .collect();
    if tags.is_empty() {
        return Err(input_error("groupByTags(): no tags specified"));
    }
    let list = args.series_list(0);
    let by_name = tags.iter().any(|t| t == "name");
    let common_name = if by_name {
        String::new()
    } else {
        let mut names: Vec<&str> = list
            .iter()
            .map(|s| s.tags.get("name").map_or("", String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        if names.len() == 1 {
            names[0].to_owned()
        } else {
            callback.clone()
        }
    };
    let groups = group_by(list, |s| {
        let mut parts: Vec<String> = tags
            .iter()
            .filter(|t| !by_name || *t != "name")
            .map(|t| format!("{t}={}", s.tags.get(t).map_or("", String::as_str)))
            .collect();
        parts.sort();
        let head = if by_name {
            s.tags.get("name").cloned().unwrap_or_default()
        } else {
            common_name.clone()
        };
        std::iter::once(head)
            .chain(parts)
            .collect::<Vec<_>>()
            .join(";")
    });
    let mut out = Vec::with_capacity(groups.len());
    for (key, group) in groups {
        let mut s = apply_callback(ev, ctx, &callback, group)?;
        graphite_tags::TaggedSeries::parse(&key).map_err(|e| input_error(e.to_string()))?;
        s.tags = tags_from_name(&key);
        s.name.clone_from(&key);
        s.path_expression = key;
        out.push(s);
    }
    Ok(Value::SeriesList(out))
}

/// `mapSeries(seriesList, *mapNodes)` / `map`: the series grouped by the given nodes, as
/// several lists.
pub(super) fn map_series(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let nodes = args.values(1).to_vec();
    let groups = group_by(args.series_list(0), |s| agg_key(s, &nodes));
    Ok(Value::SeriesLists(groups.into_values().collect()))
}

/// Python's `nodes[index]` (negative from the end).
fn py_index<'a>(nodes: &[&'a str], index: i64) -> Option<&'a str> {
    let len = nodes.len() as i64;
    let i = if index < 0 { index + len } else { index };
    (0..len).contains(&i).then(|| nodes[i as usize])
}

/// Python's `nodes[:end]`.
fn py_prefix<'a, 'b>(nodes: &'b [&'a str], end: i64) -> &'b [&'a str] {
    let len = nodes.len() as i64;
    let e = if end < 0 {
        (end + len).max(0)
    } else {
        end.min(len)
    };
    // 0 <= e <= len here.
    &nodes[..e as usize]
}

/// `reduceSeries(seriesLists, reduceFunction, reduceNode, *reduceMatchers)` / `reduce`.
pub(super) fn reduce_series(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let function = args.string(1).unwrap_or_default();
    let reduce_node = match args.values(2).first() {
        Some(Value::Int(i)) => *i,
        _ => 0,
    };
    let matchers: Vec<String> = args
        .values(3)
        .iter()
        .map(|v| match v {
            Value::Str(s) => s.clone(),
            other => other.py_repr(),
        })
        .collect();
    let lists: Vec<Vec<TimeSeries>> = match args.values(0).first() {
        Some(Value::SeriesLists(lists)) => lists.clone(),
        Some(Value::SeriesList(list)) => vec![list.clone()],
        _ => Vec::new(),
    };
    drop(args);
    let mut meta: IndexMap<String, Vec<Option<TimeSeries>>> = IndexMap::new();
    for s in lists.into_iter().flatten() {
        let nodes: Vec<&str> = s.name.split('.').collect();
        let node =
            py_index(&nodes, reduce_node).ok_or_else(|| input_error("list index out of range"))?;
        let key = format!(
            "{}.reduce.{function}",
            py_prefix(&nodes, reduce_node).join(".")
        );
        if let Some(i) = matchers.iter().position(|m| m == node) {
            meta.entry(key)
                .or_insert_with(|| vec![None; matchers.len()])[i] = Some(s.clone());
        }
    }
    let mut out = Vec::with_capacity(meta.len());
    for (key, slots) in meta {
        let mut call_args = Vec::with_capacity(slots.len());
        for slot in slots {
            let Some(s) = slot else {
                return Err(input_error(format!(
                    "reduceSeries: no series matched every reduceMatcher for {key}"
                )));
            };
            call_args.push(Value::SeriesList(vec![s]));
        }
        let result = call_function(ev, ctx, &function, call_args)?
            .ok_or_else(|| input_error(format!("Unknown function: {function}")))?;
        let mut s = first(result, &function)?;
        s.name = key;
        out.push(s);
    }
    Ok(Value::SeriesList(out))
}

/// `applyByNode(seriesList, nodeNum, templateFunction, newName=None)`: the template
/// evaluated once per distinct name prefix (nodes up to `nodeNum`), `%` replaced by it.
pub(super) fn apply_by_node(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let node_num = match args.values(1).first() {
        Some(Value::Int(i)) => *i,
        _ => 0,
    };
    let template = args.string(2).unwrap_or_default();
    let new_name = args.string(3).filter(|n| !n.is_empty());
    let list = args.series_list(0);
    let Some(last) = list.last() else {
        return Ok(Value::SeriesList(Vec::new()));
    };
    let (last_start, last_end) = (last.start, last.end);
    let mut prefixes: Vec<String> = list
        .iter()
        .map(|s| {
            let nodes: Vec<&str> = s.name.split('.').collect();
            py_prefix(&nodes, node_num.saturating_add(1)).join(".")
        })
        .collect();
    prefixes.sort();
    prefixes.dedup();
    let mut out = Vec::new();
    for prefix in prefixes {
        let target = template.replace('%', &prefix);
        if target.trim().is_empty() {
            continue;
        }
        let expr = parse_target(&target).map_err(|e| input_error(e.to_string()))?;
        let result = match ev.evaluate_in(ctx, &expr)? {
            Value::SeriesList(list) => list,
            Value::SeriesLists(lists) => lists.into_iter().flatten().collect(),
            _ => Vec::new(),
        };
        for mut s in result {
            if let Some(new_name) = &new_name {
                s.name = new_name.replace('%', &prefix);
            }
            s.path_expression.clone_from(&prefix);
            s.start = last_start;
            s.end = last_end;
            out.push(s);
        }
    }
    Ok(Value::SeriesList(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_indexing() {
        let nodes = ["a", "b", "c"];
        assert_eq!(py_index(&nodes, -1), Some("c"));
        assert_eq!(py_index(&nodes, 3), None);
        assert_eq!(py_index(&nodes, -4), None);
        assert_eq!(py_prefix(&nodes, -1), ["a", "b"]);
        assert_eq!(py_prefix(&nodes, 10), ["a", "b", "c"]);
        assert_eq!(py_prefix(&nodes, -10).len(), 0);
        assert_eq!(py_prefix(&nodes, 0).len(), 0);
    }
}
