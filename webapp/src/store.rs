//! The data path of a render (the reference's `STORE.fetch` with the standard finder): path
//! expressions → leaves (the finder) → whisper reads (in parallel) with carbon-cache's
//! unflushed points laid over them (one bulk cache query per cache) → series sorted by name.

use std::collections::HashMap;

use crate::carbonlink::CarbonLink;
use crate::evaluator::EvalError;
use crate::finder::{Finder, Node};
use crate::grammar::{parse_target, Expr};
use crate::reader::{fetch_whisper_with, Fetched};
use crate::series::TimeSeries;
use crate::tags::{TagDb, TagError};

impl From<TagError> for EvalError {
    fn from(e: TagError) -> Self {
        match e.status() {
            400 => EvalError::input(e.to_string()),
            _ => EvalError::Storage(e.to_string()),
        }
    }
}

/// Leaves read by one thread; more leaves than this are read by several threads.
const LEAVES_PER_THREAD: usize = 256;
/// Most threads one fetch reads with.
const MAX_READ_THREADS: usize = 4;

/// Fetches every path expression for `(start, end]` read at `now`.
#[allow(clippy::too_many_arguments)]
pub fn fetch_series(
    finder: &Finder,
    tagdb: &TagDb,
    carbonlink: &CarbonLink,
    runtime: &tokio::runtime::Handle,
    path_expressions: &[String],
    start: i64,
    end: i64,
    now: i64,
    x_files_factor: f64,
) -> Result<HashMap<String, Vec<TimeSeries>>, EvalError> {
    // 1. Leaves per expression (a leaf matched by several expressions is read once).
    let mut leaves: Vec<Node> = Vec::new();
    let mut leaf_index: HashMap<std::path::PathBuf, usize> = HashMap::new();
    let mut per_expression: Vec<(String, Vec<usize>)> = Vec::with_capacity(path_expressions.len());
    let find = |pattern: &str| match finder.find(pattern, true) {
        Ok(nodes) => nodes,
        Err(e) => {
            // A pattern the finder cannot expand matches nothing (logged).
            tracing::warn!(%pattern, error = %e, "find failed");
            Vec::new()
        }
    };
    for expression in path_expressions {
        let nodes = if expression.starts_with("seriesByTag(") {
            // The tag database names the series; each is then found like a path.
            let mut nodes = Vec::new();
            for path in tagdb.find_series(&series_by_tag_exprs(expression))? {
                nodes.extend(find(&path));
            }
            nodes
        } else {
            find(expression)
        };
        let mut indexes = Vec::with_capacity(nodes.len());
        for node in nodes.into_iter().filter(|n| n.is_leaf) {
            let next = leaves.len();
            let index = *leaf_index.entry(node.fs_path.clone()).or_insert(next);
            if index == next {
                leaves.push(node);
            }
            indexes.push(index);
        }
        per_expression.push((expression.clone(), indexes));
    }

    // 2. Whisper reads, in parallel for many leaves, and the cache query meanwhile.
    let metrics: Vec<String> = leaves.iter().map(|n| n.real_metric_path.clone()).collect();
    // With no cache configured (CARBONLINK_HOSTS = []) there is nothing to wait for.
    let cached_task = (carbonlink.hosts().next().is_some() && !metrics.is_empty()).then(|| {
        let cache_query = carbonlink.clone();
        runtime.spawn(async move { cache_query.query_many(&metrics).await })
    });
    let mut fetched = read_leaves(&leaves, start, end, now);
    let cached = match cached_task {
        Some(task) => runtime.block_on(task).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cache query task failed");
            HashMap::new()
        }),
        None => HashMap::new(),
    };
    for (node, data) in leaves.iter().zip(fetched.iter_mut()) {
        if let (Some(data), Some(points)) = (data.as_mut(), cached.get(&node.real_metric_path)) {
            if !points.is_empty() {
                data.merge_cache(points);
            }
        }
    }

    // 3. Series per expression, sorted by name (`_merge_results`). A leaf's values move into
    // its last series instead of being copied.
    let mut uses = vec![0usize; leaves.len()];
    for (_, indexes) in &per_expression {
        for &index in indexes {
            uses[index] += 1;
        }
    }
    let mut out = HashMap::with_capacity(per_expression.len());
    for (expression, indexes) in per_expression {
        let mut by_name: HashMap<&str, TimeSeries> = HashMap::new();
        for index in indexes {
            uses[index] -= 1;
            let node = &leaves[index];
            if by_name.contains_key(node.path.as_str()) {
                continue;
            }
            let Some(data) = fetched[index].as_mut() else {
                continue;
            };
            let values = if uses[index] == 0 {
                std::mem::take(&mut data.values)
            } else {
                data.values.clone()
            };
            let mut series = TimeSeries::new(
                node.path.clone(),
                data.start,
                data.end,
                data.step,
                values,
                x_files_factor,
            );
            series.path_expression.clone_from(&expression);
            by_name.insert(node.path.as_str(), series);
        }
        let mut list: Vec<TimeSeries> = by_name.into_values().collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        out.insert(expression, list);
    }
    Ok(out)
}

/// The tag expressions of a `seriesByTag(...)` call: its string arguments (others are
/// ignored, as in the reference).
fn series_by_tag_exprs(call: &str) -> Vec<String> {
    match parse_target(call) {
        Ok(Expr::Call(call)) => call
            .args
            .into_iter()
            .filter_map(|arg| match arg {
                Expr::Str(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads every leaf; a leaf that cannot be read is logged and left out.
fn read_leaves(leaves: &[Node], start: i64, end: i64, now: i64) -> Vec<Option<Fetched>> {
    let read = |node: &Node| -> Option<Fetched> {
        let db = whisper::Whisper::default();
        match fetch_whisper_with(&db, &node.fs_path, start, end, now) {
            Ok(data) => data,
            Err(e) => {
                tracing::warn!(path = %node.fs_path.display(), error = %e, "cannot read whisper file");
                None
            }
        }
    };
    let threads = leaves
        .len()
        .div_ceil(LEAVES_PER_THREAD)
        .clamp(1, MAX_READ_THREADS);
    if threads == 1 {
        return leaves.iter().map(read).collect();
    }
    let chunk = leaves.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = leaves
            .chunks(chunk)
            .map(|part| {
                (
                    part.len(),
                    scope.spawn(move || part.iter().map(read).collect::<Vec<_>>()),
                )
            })
            .collect();
        // A reader that panicked loses its leaves, not the request (and keeps the alignment).
        handles
            .into_iter()
            .flat_map(|(len, h)| h.join().unwrap_or_else(|_| vec![None; len]))
            .collect()
    })
}
