//! The `/metrics/*` views of graphite-web 1.1.10 (`metrics/views.py`): `/metrics/find` in all
//! its formats, `/metrics/expand` and `/metrics/index.json`, as pure functions from the merged
//! request parameters to a [`Reply`].
//!
//! JSON bodies are byte-identical to the reference's `json.dumps` (key order, `", "` and
//! `": "` separators, `indent=2` for `pretty`, float `repr`, `ensure_ascii` unless the request's
//! `Accept` is something other than `application/json`). Pickle bodies are protocol 2 holding
//! the same objects the reference pickles (leaf intervals as `graphite.intervals.IntervalSet`
//! instances, which the reference's cluster peers unpickle); msgpack bodies are the bytes the
//! reference's bundled `umsgpack` writes.
//!
//! Ordering: the reference sorts matches by node name and leaves ties in a random order (its
//! `Store` shuffles); here ties are ordered by path, a branch before a leaf of the same path,
//! which is one of the orders the reference can produce.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt::Write as _;

use chrono::{DateTime, TimeZone as _};
use chrono_tz::Tz;
use indexmap::IndexMap;

use crate::finder::{leaf_intervals, Finder, FoundNames, Node};
use crate::params::{Params, Reply};

/// What the views need besides the parameters.
#[derive(Debug, Clone, Copy)]
pub struct ViewContext<'a> {
    /// The finder over the storage directories.
    pub finder: &'a Finder,
    /// `TIME_ZONE`: the zone `from`/`until`/`now` are read in unless `tz` names another.
    pub time_zone: Tz,
    /// The request time in epoch seconds (Python's `time.time()`): the default `now` and the
    /// time leaf intervals are computed at.
    pub now: f64,
    /// The request's `Accept` header; JSON is ASCII-escaped when it is absent or exactly
    /// `application/json`, else written as UTF-8 with `;charset=utf-8` in the content type.
    pub accept: Option<&'a str>,
    /// `METRICS_FIND_FAILURE_THRESHOLD`: a find matching more leaves fails with a 500.
    pub find_failure_threshold: f64,
}

impl<'a> ViewContext<'a> {
    /// A context with the reference's defaults: UTC, no `Accept` header, no threshold.
    pub fn new(finder: &'a Finder, now: f64) -> Self {
        Self {
            finder,
            time_zone: Tz::UTC,
            now,
            accept: None,
            find_failure_threshold: f64::INFINITY,
        }
    }
}

/// A 400 from `handleInputParameterError`.
fn input_error(msg: &str) -> Reply {
    Reply::with_status(
        400,
        "text/html; charset=utf-8",
        format!("Invalid parameters ({msg})"),
    )
}

/// A 500 for an exception the reference does not catch (it renders its error page).
fn server_error(msg: &str) -> Reply {
    Reply::with_status(500, "text/plain; charset=utf-8", msg.to_owned())
}

fn no_cache(reply: Reply) -> Reply {
    reply
        .header("Pragma", "no-cache")
        .header("Cache-Control", "no-cache")
}

/// `/metrics/find` (and `/metrics`): the nodes matching `query` in the requested `format`.
pub fn find_view(params: &Params, ctx: &ViewContext<'_>) -> Reply {
    match find_view_inner(params, ctx) {
        Ok(r) | Err(r) => r,
    }
}

fn find_view_inner(params: &Params, ctx: &ViewContext<'_>) -> Result<Reply, Reply> {
    let format = params.get("format").unwrap_or("treejson");
    let leaves_only = query_param_as_int(params, "leavesOnly", 0)? != 0;
    let _local_only = query_param_as_int(params, "local", 0)?;
    let wildcards = query_param_as_int(params, "wildcards", 0)? != 0;

    let mut tz = ctx.time_zone;
    if let Some(value) = params.get("tz") {
        // pytz's UnknownTimeZoneError is ignored (it is the only error pytz raises here).
        if let Some(t) = parse_tz(value) {
            tz = t;
        }
    }
    let real_now = now_in(ctx.now, tz);
    let now = match params.get("now") {
        Some(value) => parse_time(value, tz, real_now).map_err(|e| {
            input_error(&format!(
                "Invalid value {} for param now: {e}",
                py_repr(value)
            ))
        })?,
        None => real_now,
    };
    for name in ["from", "until"] {
        if let Some(value) = params.get(name) {
            if value != "-1" {
                // Only checked: the times select among several finders' copies of a leaf,
                // and there is one finder here.
                parse_time(value, tz, now).map_err(|e| {
                    input_error(&format!(
                        "Invalid value {} for param {name}: {e}",
                        py_repr(value)
                    ))
                })?;
            }
        }
    }
    let position = query_param_as_int(params, "position", -1)?;
    let jsonp = params.get("jsonp").filter(|j| !j.is_empty());
    let automatic_variants = query_param_as_int(params, "automatic_variants", 0)? != 0;

    let Some(query) = params.get("query") else {
        return Err(input_error("Missing required parameter 'query'"));
    };
    if query.is_empty() {
        return Err(input_error("Required parameter 'query' is empty"));
    }
    let base_path = match query.rsplit_once('.') {
        Some((head, _)) => format!("{head}."),
        None => String::new(),
    };
    let mut query = query.to_owned();
    if format == "completer" {
        query = query.replace("..", "*.");
        if !query.ends_with('*') {
            query.push('*');
        }
        if automatic_variants {
            query = query
                .split('.')
                .map(|part| {
                    if part.contains(',') && !part.contains('{') {
                        format!("{{{part}}}")
                    } else {
                        part.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(".");
        }
    }

    if format == "treejson" {
        // One entry per name: the finder gives the names without building every node.
        let found = ctx
            .finder
            .find_names(&query, leaves_only)
            .map_err(|e| server_error(&e.to_string()))?;
        check_failure_threshold(ctx, &query, found.leaves).map_err(|e| server_error(&e))?;
        let tree = tree_json(found, &base_path, wildcards);
        return Ok(no_cache(json_response(params, ctx, &tree, jsonp)));
    }
    let matches = store_find(ctx, &query, leaves_only).map_err(|e| server_error(&e))?;
    // Sorted by path already; a stable sort by name leaves ties in path order. The names are
    // located once: finding them per comparison dominated broad finds.
    let matches = sort_by_name(matches);

    let reply = match format {
        "nodelist" => json_response(
            params,
            ctx,
            &nodes_by_position(&matches, position).map_err(|e| server_error(&e))?,
            jsonp,
        ),
        "pickle" => Reply::ok(
            "application/pickle",
            pickle_nodes(&matches, ctx.now).map_err(|e| server_error(&e.to_string()))?,
        ),
        "msgpack" => Reply::ok(
            "application/x-msgpack",
            msgpack_nodes(&matches, ctx.now).map_err(|e| server_error(&e.to_string()))?,
        ),
        "json" => json_response(
            params,
            ctx,
            &json_nodes(&matches, ctx.now).map_err(|e| server_error(&e.to_string()))?,
            jsonp,
        ),
        "completer" => {
            let mut results: Vec<J> = matches
                .iter()
                .map(|n| {
                    let mut path = n.path.clone();
                    if !n.is_leaf {
                        path.push('.');
                    }
                    J::obj([
                        ("path", J::Str(path)),
                        ("name", J::Str(n.name().to_owned())),
                        (
                            "is_leaf",
                            J::Str(if n.is_leaf { "1" } else { "0" }.to_owned()),
                        ),
                    ])
                })
                .collect();
            if results.len() > 1 && wildcards {
                results.push(J::obj([("name", J::Str("*".to_owned()))]));
            }
            json_response(params, ctx, &J::obj([("metrics", J::List(results))]), jsonp)
        }
        _ => {
            return Ok(Reply::with_status(
                400,
                "text/plain",
                "Invalid value for 'format' parameter",
            ))
        }
    };
    Ok(no_cache(reply))
}

/// `STORE.find`: the finder's nodes, failing past the leaf threshold.
fn store_find(ctx: &ViewContext<'_>, query: &str, leaves_only: bool) -> Result<Vec<Node>, String> {
    let nodes = ctx
        .finder
        .find(query, leaves_only)
        .map_err(|e| e.to_string())?;
    check_failure_threshold(ctx, query, nodes.iter().filter(|n| n.is_leaf).count())?;
    Ok(nodes)
}

/// `METRICS_FIND_FAILURE_THRESHOLD`: too many leaves fail the request.
fn check_failure_threshold(
    ctx: &ViewContext<'_>,
    query: &str,
    leaves: usize,
) -> Result<(), String> {
    if leaves as f64 > ctx.find_failure_threshold {
        return Err(format!(
            "Query {query} yields too many results and failed (failure threshold is {})",
            ctx.find_failure_threshold as i64
        ));
    }
    Ok(())
}

/// `/metrics/expand`: the paths matching each `query`, merged or grouped by query.
pub fn expand_view(params: &Params, ctx: &ViewContext<'_>) -> Reply {
    let flag = |name: &str| -> Result<bool, Reply> {
        let raw = params.get(name).unwrap_or("0");
        python_int(raw).map(|v| v != 0).ok_or_else(|| {
            server_error(&format!(
                "ValueError: invalid literal for int() with base 10: {}",
                py_repr(raw)
            ))
        })
    };
    let flags = (|| Ok::<_, Reply>((flag("local")?, flag("groupByExpr")?, flag("leavesOnly")?)))();
    let (_local, group_by_expr, leaves_only) = match flags {
        Ok(f) => f,
        Err(r) => return r,
    };
    let jsonp = params.get("jsonp").filter(|j| !j.is_empty());

    let mut results: IndexMap<String, BTreeSet<String>> = IndexMap::new();
    for query in params.get_all("query") {
        let nodes = match store_find(ctx, query, false) {
            Ok(n) => n,
            Err(e) => return server_error(&e),
        };
        let set: BTreeSet<String> = nodes
            .into_iter()
            .filter(|n| n.is_leaf || !leaves_only)
            .map(|n| n.path)
            .collect();
        results.insert(query.to_owned(), set);
    }
    let strings = |set: BTreeSet<String>| J::List(set.into_iter().map(J::Str).collect());
    let results = if group_by_expr {
        J::Obj(
            results
                .into_iter()
                .map(|(q, set)| (Cow::Owned(q), strings(set)))
                .collect(),
        )
    } else {
        strings(results.into_values().flatten().collect())
    };
    no_cache(json_response(
        params,
        ctx,
        &J::obj([("results", results)]),
        jsonp,
    ))
}

/// Nodes (sorted by path) stably sorted by node name. Sorts small `(name, index)` keys, then
/// moves each node once: comparing names found per comparison, or moving whole nodes while
/// merging, dominated finds of 100k nodes.
fn sort_by_name(nodes: Vec<Node>) -> Vec<Node> {
    let mut keys: Vec<(&str, usize)> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name(), i))
        .collect();
    // Stable merge sort: the nodes come in runs already sorted by name (one per directory).
    keys.sort();
    let order: Vec<usize> = keys.into_iter().map(|(_, i)| i).collect();
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// `/metrics/index.json`: every leaf metric name, sorted. A bad `local` gives `[]` with a 500.
pub fn index_view(params: &Params, ctx: &ViewContext<'_>) -> Reply {
    let jsonp = params.get("jsonp").filter(|j| !j.is_empty());
    if python_int(params.get("local").unwrap_or("0")).is_none() {
        let mut r = json_response(params, ctx, &J::List(Vec::new()), jsonp);
        r.status = 500;
        return r;
    }
    let names = ctx.finder.index();
    json_response(
        params,
        ctx,
        &J::List(names.into_iter().map(J::Str).collect()),
        jsonp,
    )
}

/// `json_response_for`.
fn json_response(params: &Params, ctx: &ViewContext<'_>, data: &J, jsonp: Option<&str>) -> Reply {
    let ensure_ascii = ctx.accept.unwrap_or("application/json") == "application/json";
    let pretty = params.get("pretty").is_some_and(|p| !p.is_empty());
    let mut content = String::new();
    data.write(&mut content, ensure_ascii, pretty.then_some(2), 0);
    let mut content_type = "application/json".to_owned();
    if let Some(cb) = jsonp {
        content = format!("{cb}({content})");
        content_type = "text/javascript".to_owned();
    }
    if !ensure_ascii {
        content_type.push_str(";charset=utf-8");
    }
    Reply::ok(&content_type, content)
}

/// `tree_json`: the browser tree's nodes, one per distinct name (the first node of that name
/// in path order, the order `nodes` come in), branches then leaves, each sorted by name.
fn tree_json(found: FoundNames, base_path: &str, wildcards: bool) -> J {
    let kind = |leaf: bool| -> [(&'static str, J); 3] {
        let (a, e, l) = if leaf { (0, 0, 1) } else { (1, 1, 0) };
        [
            ("allowChildren", J::Int(a)),
            ("expandable", J::Int(e)),
            ("leaf", J::Int(l)),
        ]
    };
    let mut results = Vec::new();
    if found.several && wildcards {
        let mut pairs = vec![
            (Cow::Borrowed("text"), J::Str("*".to_owned())),
            (Cow::Borrowed("id"), J::Str(format!("{base_path}*"))),
        ];
        pairs.extend(kind(!found.any_branch).map(|(k, v)| (Cow::Borrowed(k), v)));
        results.push(J::Obj(pairs));
    }
    let mut firsts = found.names;
    firsts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut leaves = Vec::new();
    let mut branches = Vec::new();
    for (name, is_leaf) in &firsts {
        let (name, is_leaf) = (name.as_str(), *is_leaf);
        let mut pairs = Vec::with_capacity(5);
        pairs.push((Cow::Borrowed("text"), J::Str(unquote_plus(name))));
        pairs.push((Cow::Borrowed("id"), J::Str(format!("{base_path}{name}"))));
        pairs.extend(kind(is_leaf).map(|(k, v)| (Cow::Borrowed(k), v)));
        if is_leaf {
            leaves.push(J::Obj(pairs));
        } else {
            branches.push(J::Obj(pairs));
        }
    }
    results.extend(branches);
    results.extend(leaves);
    J::List(results)
}

/// `nodes_by_position`: the sorted distinct path components at `position` (Python indexing;
/// out of range is the reference's `IndexError`).
fn nodes_by_position(nodes: &[Node], position: i64) -> Result<J, String> {
    let mut found = BTreeSet::new();
    for node in nodes {
        let parts: Vec<&str> = node.path.split('.').collect();
        let len = parts.len() as i64;
        let idx = if position < 0 {
            len + position
        } else {
            position
        };
        if idx < 0 || idx >= len {
            return Err("IndexError: list index out of range".to_owned());
        }
        found.insert(parts[idx as usize].to_owned());
    }
    Ok(J::obj([(
        "nodes",
        J::List(found.into_iter().map(J::Str).collect()),
    )]))
}

/// `json_nodes`: path, is_leaf and (for leaves) intervals, sorted by path.
fn json_nodes(nodes: &[Node], now: f64) -> std::io::Result<J> {
    let mut sorted: Vec<&Node> = nodes.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = Vec::with_capacity(sorted.len());
    for node in sorted {
        let mut pairs = vec![
            (Cow::Borrowed("path"), J::Str(node.path.clone())),
            (Cow::Borrowed("is_leaf"), J::Bool(node.is_leaf)),
        ];
        if node.is_leaf {
            let i = leaf_intervals(node, now)?;
            pairs.push((
                Cow::Borrowed("intervals"),
                J::List(vec![J::obj([
                    ("start", J::Float(i.start)),
                    ("end", J::Float(i.end)),
                ])]),
            ));
        }
        out.push(J::Obj(pairs));
    }
    Ok(J::List(out))
}

/// `msgpack_nodes`: `[{path, is_leaf, intervals: [[start, end]]}]`.
fn msgpack_nodes(nodes: &[Node], now: f64) -> std::io::Result<Vec<u8>> {
    use rmpv::Value as M;
    let mut items = Vec::with_capacity(nodes.len());
    for node in nodes {
        let mut pairs = vec![
            (M::from("path"), M::from(node.path.as_str())),
            (M::from("is_leaf"), M::Boolean(node.is_leaf)),
        ];
        if node.is_leaf {
            let i = leaf_intervals(node, now)?;
            pairs.push((
                M::from("intervals"),
                M::Array(vec![M::Array(vec![M::F64(i.start), M::F64(i.end)])]),
            ));
        }
        items.push(M::Map(pairs));
    }
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &M::Array(items))?;
    Ok(out)
}

/// `pickle_nodes`: `[{path, is_leaf, intervals: IntervalSet}]` at protocol 2.
fn pickle_nodes(nodes: &[Node], now: f64) -> std::io::Result<Vec<u8>> {
    let mut p = Pickle::default();
    p.out.extend_from_slice(b"\x80\x02");
    p.out.push(b']');
    if !nodes.is_empty() {
        p.out.push(b'(');
        for node in nodes {
            p.out.extend_from_slice(b"}(");
            p.str("path");
            p.str(&node.path);
            p.str("is_leaf");
            p.out.push(if node.is_leaf { 0x88 } else { 0x89 });
            if node.is_leaf {
                let i = leaf_intervals(node, now)?;
                p.str("intervals");
                p.interval_set(i.start, i.end);
            }
            p.out.push(b'u');
        }
        p.out.push(b'e');
    }
    p.out.push(b'.');
    Ok(p.out)
}

/// A minimal protocol-2 writer for the find results' shape.
#[derive(Default)]
struct Pickle {
    out: Vec<u8>,
}

impl Pickle {
    fn str(&mut self, s: &str) {
        self.out.push(b'X');
        let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.out.extend_from_slice(&len.to_le_bytes());
        self.out.extend_from_slice(s.as_bytes());
    }

    fn float(&mut self, x: f64) {
        self.out.push(b'G');
        self.out.extend_from_slice(&x.to_be_bytes());
    }

    /// `cls.__new__(cls)` for a `graphite.intervals` class, then its state dict's `MARK`.
    fn new_object(&mut self, class: &str) {
        self.out.push(b'c');
        self.out.extend_from_slice(b"graphite.intervals\n");
        self.out.extend_from_slice(class.as_bytes());
        self.out.push(b'\n');
        self.out.extend_from_slice(b")\x81}(");
    }

    fn interval_set(&mut self, start: f64, end: f64) {
        let size = end - start;
        self.new_object("IntervalSet");
        self.str("intervals");
        self.out.push(b']');
        self.new_object("Interval");
        self.str("start");
        self.float(start);
        self.str("end");
        self.float(end);
        self.str("tuple");
        self.float(start);
        self.float(end);
        self.out.push(0x86);
        self.str("size");
        self.float(size);
        self.out.extend_from_slice(b"ub"); // Interval's state, BUILD
        self.out.push(b'a'); // APPEND to the intervals list
        self.str("size");
        self.float(size);
        self.out.extend_from_slice(b"ub"); // IntervalSet's state, BUILD
    }
}

/// The JSON values the views write, in Python's dict order.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    List(Vec<J>),
    Obj(Vec<(Cow<'static, str>, J)>),
}

impl J {
    fn obj<const N: usize>(pairs: [(&'static str, J); N]) -> J {
        J::Obj(
            pairs
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), v))
                .collect(),
        )
    }

    /// `json.dumps(self, ensure_ascii=..., indent=...)`.
    fn write(&self, out: &mut String, ascii: bool, indent: Option<usize>, level: usize) {
        let sep = |out: &mut String, i: usize, level: usize| match indent {
            Some(w) => {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', w * level));
            }
            None => {
                if i > 0 {
                    out.push_str(", ");
                }
            }
        };
        let close = |out: &mut String, c: char| {
            if let Some(w) = indent {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', w * level));
            }
            out.push(c);
        };
        match self {
            J::Int(i) => {
                let _ = write!(out, "{i}");
            }
            J::Float(x) => crate::pyjson::write_float(out, *x),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Str(s) => crate::pyjson::write_str_ascii(out, s, ascii),
            J::List(items) if items.is_empty() => out.push_str("[]"),
            J::Obj(pairs) if pairs.is_empty() => out.push_str("{}"),
            J::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    sep(out, i, level + 1);
                    item.write(out, ascii, indent, level + 1);
                }
                close(out, ']');
            }
            J::Obj(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    sep(out, i, level + 1);
                    crate::pyjson::write_str_ascii(out, k, ascii);
                    out.push_str(": ");
                    v.write(out, ascii, indent, level + 1);
                }
                close(out, '}');
            }
        }
    }
}

/// `queryParamAsInt`: the parameter as Python's `int()`, the default when absent, a 400 when
/// it is not an integer.
fn query_param_as_int(params: &Params, name: &str, default: i64) -> Result<i64, Reply> {
    let Some(value) = params.get(name) else {
        return Ok(default);
    };
    python_int(value).ok_or_else(|| {
        input_error(&format!(
            "Invalid int value {} for param {name}: invalid literal for int() with base 10: {}",
            py_repr(value),
            py_repr(value)
        ))
    })
}

/// Python's `int(s)` for base 10 (surrounding whitespace, a sign, `_` between digits); values
/// past the 64-bit range saturate.
pub(crate) fn python_int(s: &str) -> Option<i64> {
    let t = s.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut v: i64 = 0;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(10)?;
        v = v.saturating_mul(10).saturating_add(i64::from(d));
    }
    Some(if neg { -v } else { v })
}

/// Python's `repr()` of a `str`.
pub(crate) fn py_repr(s: &str) -> String {
    carbon_hashing::py_str_repr(s)
}

/// `urllib.parse.unquote_plus`: `+` as a space, then `%XX` escapes decoded as UTF-8 (invalid
/// sequences become U+FFFD); runs of non-ASCII characters are kept as they are.
fn unquote_plus(s: &str) -> String {
    let s = s.replace('+', " ");
    if !s.contains('%') {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while !rest.is_empty() {
        // Split into maximal ASCII / non-ASCII runs, as `unquote` does.
        let ascii_len = rest.bytes().take_while(u8::is_ascii).count();
        if ascii_len == 0 {
            let non_len = rest
                .char_indices()
                .find(|(_, c)| c.is_ascii())
                .map_or(rest.len(), |(i, _)| i);
            out.push_str(&rest[..non_len]);
            rest = &rest[non_len..];
            continue;
        }
        let chunk = &rest.as_bytes()[..ascii_len];
        let mut bytes = Vec::with_capacity(chunk.len());
        let mut i = 0;
        while i < chunk.len() {
            if chunk[i] == b'%'
                && i + 2 < chunk.len()
                && chunk[i + 1].is_ascii_hexdigit()
                && chunk[i + 2].is_ascii_hexdigit()
            {
                let hex = std::str::from_utf8(&chunk[i + 1..i + 3]).unwrap_or("00");
                bytes.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += 3;
                continue;
            }
            bytes.push(chunk[i]);
            i += 1;
        }
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &rest[ascii_len..];
    }
    out
}

/// The request time as a zoned date-time.
fn now_in(now: f64, tz: Tz) -> DateTime<Tz> {
    let secs = now.floor();
    let nanos = ((now - secs) * 1e9) as u32;
    tz.timestamp_opt(secs as i64, nanos.min(999_999_999))
        .single()
        .unwrap_or_else(|| tz.timestamp_opt(0, 0).single().expect("epoch"))
}

/// A `tz` parameter as pytz reads it; `None` for an unknown zone (which the view ignores).
fn parse_tz(value: &str) -> Option<Tz> {
    crate::attime::parse_tz(value)
}

/// `parseATTime(value, tz, now)`; the error's text goes into the 400 body.
fn parse_time(value: &str, tz: Tz, now: DateTime<Tz>) -> Result<DateTime<Tz>, String> {
    crate::attime::parse_at_time(value, tz, now).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, Finder) {
        let tmp = tempfile::tempdir().unwrap();
        for leaf in ["a/b.wsp", "a/c.wsp", "a/d/e.wsp"] {
            let path = tmp.path().join(leaf);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let spec = whisper::ArchiveSpec {
                seconds_per_point: 60,
                points: 10,
            };
            whisper::create(&path, &[spec], &whisper::CreateOptions::default()).unwrap();
        }
        let finder = Finder::new(vec![tmp.path().to_path_buf()]);
        (tmp, finder)
    }

    fn body(r: &Reply) -> &str {
        std::str::from_utf8(&r.body).unwrap()
    }

    #[test]
    fn find_formats_and_errors() {
        let (_tmp, finder) = tree();
        let ctx = ViewContext::new(&finder, 1.7e9);
        let find = |pairs: &[(&str, &str)]| find_view(&Params::from_pairs(pairs.to_vec()), &ctx);
        let r = find(&[("query", "a.*")]);
        assert_eq!(r.status, 200);
        assert_eq!(r.content_type, "application/json");
        assert_eq!(
            body(&r),
            r#"[{"text": "d", "id": "a.d", "allowChildren": 1, "expandable": 1, "leaf": 0}, {"text": "b", "id": "a.b", "allowChildren": 0, "expandable": 0, "leaf": 1}, {"text": "c", "id": "a.c", "allowChildren": 0, "expandable": 0, "leaf": 1}]"#
        );
        assert!(r
            .headers
            .contains(&("Pragma".to_owned(), "no-cache".to_owned())));
        assert!(r
            .headers
            .contains(&("Cache-Control".to_owned(), "no-cache".to_owned())));
        let r = find(&[("query", "a.*"), ("format", "nodelist"), ("position", "-1")]);
        assert_eq!(body(&r), r#"{"nodes": ["b", "c", "d"]}"#);
        let r = find(&[("query", "a.b"), ("format", "json")]);
        assert_eq!(
            body(&r).split("\"end\"").next().unwrap(),
            r#"[{"path": "a.b", "is_leaf": true, "intervals": [{"start": 1699999400.0, "#
        );
        let r = find(&[("query", "a.*"), ("format", "xml")]);
        assert_eq!((r.status, r.content_type.as_str()), (400, "text/plain"));
        assert_eq!(body(&r), "Invalid value for 'format' parameter");
        assert!(r.headers.is_empty());
        let r = find(&[("format", "json")]);
        assert_eq!(
            (r.status, body(&r)),
            (
                400,
                "Invalid parameters (Missing required parameter 'query')"
            )
        );
        assert_eq!(r.content_type, "text/html; charset=utf-8");
        let r = find(&[("query", "a.*"), ("format", "nodelist"), ("position", "5")]);
        assert_eq!(r.status, 500);
        let mut strict = ctx;
        strict.find_failure_threshold = 1.0;
        let r = find_view(&Params::from_pairs([("query", "a.*")]), &strict);
        assert_eq!(r.status, 500);
        assert!(body(&r).contains("failure threshold is 1"));
        let r = find_view(&Params::from_pairs([("query", "a.d.*")]), &strict);
        assert_eq!(r.status, 200);
    }

    #[test]
    fn expand_and_index() {
        let (_tmp, finder) = tree();
        let ctx = ViewContext::new(&finder, 1.7e9);
        let r = expand_view(
            &Params::from_pairs([("query", "a.*"), ("query", "a.d.*")]),
            &ctx,
        );
        assert_eq!(body(&r), r#"{"results": ["a.b", "a.c", "a.d", "a.d.e"]}"#);
        let r = expand_view(
            &Params::from_pairs([("query", "a.*"), ("leavesOnly", "1"), ("groupByExpr", "1")]),
            &ctx,
        );
        assert_eq!(body(&r), r#"{"results": {"a.*": ["a.b", "a.c"]}}"#);
        let r = expand_view(&Params::default(), &ctx);
        assert_eq!(body(&r), r#"{"results": []}"#);
        let r = index_view(&Params::from_pairs([("jsonp", "f")]), &ctx);
        assert_eq!(
            (r.content_type.as_str(), body(&r)),
            ("text/javascript", r#"f(["a.b", "a.c", "a.d.e"])"#)
        );
        let r = index_view(&Params::from_pairs([("local", "?")]), &ctx);
        assert_eq!((r.status, body(&r)), (500, "[]"));
    }

    #[test]
    fn ints_like_python() {
        assert_eq!(python_int(" 1 "), Some(1));
        assert_eq!(python_int("1_0"), Some(10));
        assert_eq!(python_int("+3"), Some(3));
        assert_eq!(python_int("-0"), Some(0));
        assert_eq!(python_int("1__0"), None);
        assert_eq!(python_int("_1"), None);
        assert_eq!(python_int(""), None);
        assert_eq!(python_int("x"), None);
        assert_eq!(python_int("99999999999999999999999"), Some(i64::MAX));
    }

    #[test]
    fn repr_like_python() {
        assert_eq!(py_repr("x"), "'x'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'\""), "'a\\'\"'");
        assert_eq!(py_repr("a\u{a0}b\u{200b}c\u{85}"), "'a\\xa0b\\u200bc\\x85'");
        assert_eq!(py_repr("é\\"), "'é\\\\'");
    }

    #[test]
    fn unquote_like_python() {
        assert_eq!(unquote_plus("a+b"), "a b");
        assert_eq!(unquote_plus("a%20b"), "a b");
        assert_eq!(unquote_plus("%C3%A9"), "é");
        assert_eq!(unquote_plus("%C3"), "\u{fffd}");
        assert_eq!(unquote_plus("%zz%4"), "%zz%4");
        assert_eq!(unquote_plus("%C3é%A9"), "\u{fffd}é\u{fffd}");
        assert_eq!(unquote_plus("100%"), "100%");
    }

    #[test]
    fn json_like_python() {
        let v = J::obj([
            ("a", J::List(vec![J::Int(1), J::Float(2.5), J::Bool(true)])),
            ("b", J::Str("é\u{1F600}\"\u{7f}".to_owned())),
            ("c", J::List(vec![])),
        ]);
        let mut s = String::new();
        v.write(&mut s, true, None, 0);
        assert_eq!(
            s,
            r#"{"a": [1, 2.5, true], "b": "\u00e9\ud83d\ude00\"\u007f", "c": []}"#
        );
        let mut s = String::new();
        v.write(&mut s, false, Some(2), 0);
        assert_eq!(
            s,
            "{\n  \"a\": [\n    1,\n    2.5,\n    true\n  ],\n  \"b\": \"é\u{1F600}\\\"\u{7f}\",\n  \"c\": []\n}"
        );
    }
}
