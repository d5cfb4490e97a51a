//! Alias functions: renaming series, and the Python regular expressions (`re`) the
//! reference's regex-taking functions (`aliasSub`, `grep`, `exclude`, ...) use.

use std::borrow::Cow;

use whisper::pyfmt::{float_repr, percent_f, percent_g};

use super::special::{format_units, substr_name};
use super::{input_error, AggFunc, Args};
use crate::evaluator::{py_str_repr, EvalError, Evaluator, RequestContext, Value};
use crate::grammar::{parse_target, Expr};
use crate::series::TimeSeries;

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("alias", alias),
    ("aliasByNode", alias_by_node),
    ("aliasSub", alias_sub),
    ("aliasByMetric", alias_by_metric),
    ("aliasByTags", alias_by_tags),
    ("aliasQuery", alias_query),
    ("legendValue", legend_value),
    ("lower", lower),
    ("upper", upper),
];

/// `alias(seriesList, newName)`.
pub(super) fn alias(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let new_name = args.string(1).unwrap_or_default();
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name.clone_from(&new_name);
    }
    Ok(Value::SeriesList(list))
}

/// `aliasSub(seriesList, search, replace)`: `re.sub(search, replace, name)`.
pub(super) fn alias_sub(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let search = args.string(1).unwrap_or_default();
    let replace = args.string(2).unwrap_or_default();
    let regex = python_regex(&search)?;
    let template = python_replacement(&replace, &regex)?;
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name = regex
            .replace_all(&series.name, template.as_str())
            .into_owned();
    }
    Ok(Value::SeriesList(list))
}

/// `aliasByNode(seriesList, *nodes)`: the name becomes the chosen nodes (or tag values)
/// joined with `.`.
pub(super) fn alias_by_node(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let nodes = args.values(1).to_vec();
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name = agg_key(series, &nodes);
    }
    Ok(Value::SeriesList(list))
}

/// `aliasByTags(seriesList, *tags)`: `aliasByNode` under another name.
fn alias_by_tags(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    alias_by_node(ev, ctx, args)
}

/// `aliasByMetric(seriesList)`: the last node of the (innermost) metric path, as
/// `substr(seriesList, -1)`.
fn alias_by_metric(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name = substr_name(&series.name, -1, 0);
    }
    Ok(Value::SeriesList(list))
}

/// `aliasQuery(seriesList, search, replace, newName)`: each series is named
/// `newName % last`, where `last` is the last non-null value of the first series the target
/// `re.sub(search, replace, name)` evaluates to.
fn alias_query(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let search = args.string(1).unwrap_or_default();
    let replace = args.string(2).unwrap_or_default();
    let new_name = args.string(3).unwrap_or_default();
    let mut list = args.series_list(0);
    if list.is_empty() {
        return Ok(Value::SeriesList(list));
    }
    let regex = python_regex(&search)?;
    let template = python_replacement(&replace, &regex)?;
    for index in 0..list.len() {
        let query = regex.replace_all(&list[index].name, &template).into_owned();
        // The reference names the call with its evaluated arguments: the list as renamed so
        // far.
        let failure = |list: &[TimeSeries], message: String| EvalError::InputParameter {
            message,
            function: Some(format!(
                "aliasQuery({}, {}, {}, {})",
                Value::SeriesList(list.to_vec()).py_repr(),
                py_str_repr(&search),
                py_str_repr(&replace),
                py_str_repr(&new_name)
            )),
        };
        let expr = parse_target(&query).map_err(|e| {
            failure(
                &list,
                format!("aliasQuery: the query {query:?} is not a valid target: {e}"),
            )
        })?;
        let found = match ev.evaluate_in(ctx, &expr)? {
            Value::SeriesList(found) => found,
            Value::SeriesLists(lists) => lists.into_iter().flatten().collect(),
            _ => Vec::new(),
        };
        let Some(first) = found.first() else {
            return Err(failure(
                &list,
                format!("No series found with query: {query}"),
            ));
        };
        // The reference then fails building its message (a 500); the message says what it
        // meant.
        let Some(last) = first.consolidated().iter().rev().flatten().next().copied() else {
            return Err(failure(
                &list,
                format!("Cannot get last value of series: {}", first.name),
            ));
        };
        match py_percent_format(&new_name, last, first.iterates_ints()) {
            Ok(name) => list[index].name = name,
            Err(e) => {
                return Err(failure(
                    &list,
                    format!("aliasQuery parameter \"newName\": {e}"),
                ))
            }
        }
    }
    Ok(Value::SeriesList(list))
}

/// A value `legendValue` shows: an aggregate (`None` when the series has no values) or
/// `(?)` for a name that is not an aggregation function.
enum LegendValue {
    /// The aggregate, and whether Python computes it as an int.
    Number(Option<f64>, bool),
    /// Not an aggregation function (`avgSeries`, `si` not in last place, ...).
    Unknown,
}

/// `legendValue(seriesList, *valueTypes)`: appends aggregates of each series to its name,
/// `" (avg: 1.5)"`, or, when the last value type is `si` or `binary`, in padded columns
/// with unit prefixes (`"name                avg  1.50k     "`).
fn legend_value(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut value_types: Vec<String> = args
        .values(1)
        .iter()
        .map(|v| match v {
            Value::Str(s) => s.clone(),
            other => other.py_repr(),
        })
        .collect();
    let system = match value_types.last().map(String::as_str) {
        // The reference indexes the last one and fails (a 500).
        None => {
            return Err(input_error(
                "legendValue parameter \"valuesTypes\": at least one value type is required",
            ))
        }
        Some("si" | "binary") => value_types.pop(),
        Some(_) => None,
    };
    let mut list = args.series_list(0);
    for value_type in &value_types {
        let func = AggFunc::from_name(value_type);
        for series in &mut list {
            let value = match func {
                Some(f) => LegendValue::Number(
                    f.apply(&series.consolidated()),
                    f == AggFunc::Count || (f.keeps_ints() && series.iterates_ints()),
                ),
                None => LegendValue::Unknown,
            };
            series.name = match &system {
                None => {
                    let shown = match value {
                        LegendValue::Number(Some(v), is_int) => py_str_number(v, is_int),
                        LegendValue::Number(None, _) => "None".to_owned(),
                        LegendValue::Unknown => "(?)".to_owned(),
                    };
                    format!("{} ({value_type}: {shown})", series.name)
                }
                Some(system) => {
                    let shown = match value {
                        LegendValue::Number(Some(v), _) => {
                            let (scaled, prefix) = format_units(v, system, None);
                            format!("{}{prefix}", percent_f(scaled, 2))
                        }
                        LegendValue::Number(None, _) => "None".to_owned(),
                        LegendValue::Unknown => "(?)".to_owned(),
                    };
                    format!("{:<20}{value_type:<5}{shown:<10}", series.name)
                }
            };
        }
    }
    Ok(Value::SeriesList(list))
}

/// `upper(seriesList, *pos)` (`toUpperCase`).
fn upper(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let positions = int_values(&args, 1, "upper")?;
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name = change_case(&series.name, &positions, |c| c.to_uppercase().collect());
    }
    Ok(Value::SeriesList(list))
}

/// `lower(seriesList, *pos)` (`toLowerCase`).
fn lower(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let positions = int_values(&args, 1, "lower")?;
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name = change_case(&series.name, &positions, |c| c.to_lowercase().collect());
    }
    Ok(Value::SeriesList(list))
}

/// The integers given to a `multiple` integer parameter. The reference asserts they are
/// ints (a 500 otherwise).
fn int_values(args: &Args, index: usize, function: &str) -> Result<Vec<i64>, EvalError> {
    args.values(index)
        .iter()
        .map(|v| match v {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(i64::from(*b)),
            other => Err(input_error(format!(
                "{function} parameter \"pos\": not an integer: {}",
                other.py_repr()
            ))),
        })
        .collect()
}

/// Changes the case of the whole name, or only of the characters at `positions` (negative
/// from the end; out of range ignored), as Python's `str.upper`/`str.lower` on a list of
/// characters.
fn change_case(name: &str, positions: &[i64], change: impl Fn(char) -> String) -> String {
    if positions.is_empty() {
        return name.chars().map(&change).collect();
    }
    let mut chars: Vec<String> = name.chars().map(String::from).collect();
    let len = chars.len() as i64;
    for &pos in positions {
        let index = if pos < 0 {
            pos.saturating_add(len)
        } else {
            pos
        };
        if (0..len).contains(&index) {
            let slot = &mut chars[index as usize];
            *slot = slot.chars().map(&change).collect();
        }
    }
    chars.concat()
}

/// Python's `str()` of a number that is an int in the reference when `is_int`.
fn py_str_number(value: f64, is_int: bool) -> String {
    if is_int && value.is_finite() && value.fract() == 0.0 && value.abs() < 9.0e18 {
        (value as i64).to_string()
    } else {
        float_repr(value)
    }
}

/// Python's `template % value` for one number (`"%d MHz"`, `"%.2f"`, `"%s%%"`). The error
/// is Python's reason when the template does not take exactly one number.
pub(crate) fn py_percent_format(
    template: &str,
    value: f64,
    is_int: bool,
) -> Result<String, String> {
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len() + 8);
    let mut used = false;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut spec = PercentSpec::default();
        while let Some(&c) = chars.get(i) {
            match c {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => {}
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'(') {
            return Err("format requires a mapping".to_owned());
        }
        if chars.get(i) == Some(&'*') {
            return Err("* wants int".to_owned());
        }
        spec.width = read_number(&chars, &mut i);
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                return Err("* wants int".to_owned());
            }
            spec.precision = Some(read_number(&chars, &mut i));
        }
        // Length modifiers are accepted and ignored, as in Python.
        while matches!(chars.get(i), Some('h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&conversion) = chars.get(i) else {
            return Err("incomplete format".to_owned());
        };
        i += 1;
        if conversion == '%' {
            out.push('%');
            continue;
        }
        if used {
            return Err("not enough arguments for format string".to_owned());
        }
        used = true;
        out.push_str(&spec.format(conversion, value, is_int)?);
    }
    if !used {
        return Err("not all arguments converted during string formatting".to_owned());
    }
    Ok(out)
}

/// Reads a run of decimal digits (saturating), 0 when there are none.
fn read_number(chars: &[char], i: &mut usize) -> usize {
    let mut n: usize = 0;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        *i += 1;
    }
    // Python refuses widths and precisions this large anyway; a bound keeps padding small.
    n.min(10_000)
}

/// One `%` conversion's flags, width and precision.
#[derive(Debug, Default)]
struct PercentSpec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

impl PercentSpec {
    /// Formats `value` with conversion `conversion`.
    fn format(&self, conversion: char, value: f64, is_int: bool) -> Result<String, String> {
        let int_only = |what: &str| -> Result<i64, String> {
            if is_int && value.is_finite() && value.fract() == 0.0 && value.abs() < 9.0e18 {
                Ok(value as i64)
            } else {
                Err(format!("%{what} format: an integer is required, not float"))
            }
        };
        let (sign_body, numeric) = match conversion {
            'd' | 'i' | 'u' => {
                if value.is_nan() {
                    return Err("cannot convert float NaN to integer".to_owned());
                }
                if value.is_infinite() {
                    return Err("cannot convert float infinity to integer".to_owned());
                }
                let truncated = value.trunc();
                let mut digits = format!("{:.0}", truncated.abs());
                if let Some(p) = self.precision {
                    if digits.len() < p {
                        digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                    }
                }
                ((truncated < 0.0, digits), true)
            }
            'x' | 'X' | 'o' => {
                let n = int_only(&conversion.to_string())?;
                let digits = match conversion {
                    'x' => format!("{:x}", n.unsigned_abs()),
                    'X' => format!("{:X}", n.unsigned_abs()),
                    _ => format!("{:o}", n.unsigned_abs()),
                };
                ((n < 0, digits), true)
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let precision = self.precision.unwrap_or(6);
                let body = match conversion {
                    'f' | 'F' => percent_f(value.abs(), precision),
                    'e' | 'E' => percent_e(value.abs(), precision),
                    _ => percent_g(value.abs(), precision),
                };
                let body = if conversion.is_ascii_uppercase() {
                    body.to_uppercase()
                } else {
                    body
                };
                (
                    (value.is_sign_negative() && !value.is_nan(), body),
                    value.is_finite(),
                )
            }
            's' | 'r' | 'a' => {
                let mut text = py_str_number(value, is_int);
                if let Some(p) = self.precision {
                    text = text.chars().take(p).collect();
                }
                return Ok(self.pad(text));
            }
            'c' => {
                let n = int_only("c")?;
                let c = u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| "%c arg not in range(0x110000)".to_owned())?;
                return Ok(self.pad(c.to_string()));
            }
            other => {
                return Err(format!("unsupported format character '{other}'"));
            }
        };
        let (negative, body) = sign_body;
        let sign = if negative {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        };
        if self.zero && !self.left && numeric {
            let fill = self.width.saturating_sub(sign.len() + body.chars().count());
            return Ok(format!("{sign}{}{body}", "0".repeat(fill)));
        }
        Ok(self.pad(format!("{sign}{body}")))
    }

    /// Pads to the width with spaces, on the right for `-`.
    fn pad(&self, text: String) -> String {
        let len = text.chars().count();
        if len >= self.width {
            return text;
        }
        let fill = " ".repeat(self.width - len);
        if self.left {
            text + &fill
        } else {
            fill + &text
        }
    }
}

/// `'%.{precision}e' % x` for a non-negative `x`: `3.770312e+01`.
fn percent_e(x: f64, precision: usize) -> String {
    if !x.is_finite() {
        return percent_f(x, precision);
    }
    let formatted = format!("{x:.precision$e}");
    match formatted.split_once('e') {
        Some((mantissa, exp)) => {
            let exp: i32 = exp.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
        }
        None => formatted,
    }
}

/// The reference's `aggKey`: node values of the name (or, for a name that looks like a
/// function call, of its first path expression) and tag values, joined with `.`.
pub(crate) fn agg_key(series: &TimeSeries, nodes: &[Value]) -> String {
    let path = if series.name.ends_with(')') {
        first_path_expression(&series.name)
    } else {
        None
    };
    nodes
        .iter()
        .map(|n| node_or_tag(series, n, path.as_deref()))
        .collect::<Vec<_>>()
        .join(".")
}

/// `getNodeOrTag`: an integral number picks a node (negative counts from the end), anything
/// else (or a node out of range) is a tag name; a missing tag is `''`.
pub(crate) fn node_or_tag(series: &TimeSeries, n: &Value, path: Option<&str>) -> String {
    let index = match n {
        Value::Int(i) => Some(*i),
        Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i64),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    };
    if let Some(index) = index {
        let base = path.unwrap_or(&series.name);
        let name = base.split(';').next().unwrap_or_default();
        let parts: Vec<&str> = name.split('.').collect();
        let len = parts.len() as i64;
        let resolved = if index < 0 { index + len } else { index };
        if (0..len).contains(&resolved) {
            return parts[resolved as usize].to_owned();
        }
    }
    let key = match n {
        Value::Str(s) => s.clone(),
        other => other.py_repr(),
    };
    series.tags.get(&key).cloned().unwrap_or_default()
}

/// `_getFirstPathExpression(name)`: parse the name as a target and follow first arguments
/// down to a path expression.
fn first_path_expression(name: &str) -> Option<String> {
    let mut expr = parse_target(name).ok()?;
    loop {
        match expr {
            Expr::Path(p) => return Some(p),
            Expr::Call(mut call) if !call.args.is_empty() => expr = call.args.swap_remove(0),
            Expr::Template(t) => expr = *t.inner,
            _ => return None,
        }
    }
}

/// A compiled Python regular expression (`re.compile`), matched with Python's `re.search` and
/// `re.sub` semantics.
///
/// Patterns are translated from Python's syntax ([`python_regex`]) and run by `fancy-regex`,
/// which hands look-around-free patterns to the `regex` crate's automata and backtracks only
/// for look-around and backreferences.
#[derive(Debug, Clone)]
pub(crate) struct PyRegex {
    inner: fancy_regex::Regex,
}

impl PyRegex {
    /// `re.search(pattern, text) is not None`. A match that exceeds the backtracking limit
    /// counts as no match.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.inner.is_match(text).unwrap_or(false)
    }

    /// `re.sub(pattern, replacement, text)`, with `template` produced by
    /// [`python_replacement`]. As in Python 3.7+, an empty match right after a non-empty one
    /// is replaced too (`re.sub('x*', '-', 'abxd') == '-a-b--d-'`).
    pub(crate) fn replace_all<'t>(&self, text: &'t str, template: &str) -> Cow<'t, str> {
        let mut out = String::new();
        let mut copied = 0;
        let mut pos = 0;
        let mut last_empty_at = None;
        while pos <= text.len() {
            let Ok(Some(caps)) = self.inner.captures_from_pos(text, pos) else {
                break;
            };
            let Some(whole) = caps.get(0) else { break };
            if whole.start() == whole.end() && last_empty_at == Some(whole.start()) {
                // Python does not match empty twice at one position: move one character on.
                match text[pos..].chars().next() {
                    Some(c) => {
                        pos += c.len_utf8();
                        continue;
                    }
                    None => break,
                }
            }
            out.push_str(&text[copied..whole.start()]);
            caps.expand(template, &mut out);
            copied = whole.end();
            if whole.start() == whole.end() {
                last_empty_at = Some(whole.end());
            } else {
                last_empty_at = None;
            }
            pos = whole.end();
        }
        if copied == 0 && out.is_empty() {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// The number of groups, the whole match included.
    pub(crate) fn captures_len(&self) -> usize {
        self.inner.captures_len()
    }

    /// Whether the pattern has a group called `name`.
    fn has_group(&self, name: &str) -> bool {
        self.inner.capture_names().flatten().any(|n| n == name)
    }
}

/// Compiles a Python regular expression. Python-only spellings are translated first (see
/// [`translate_python_pattern`]); look-around, backreferences, atomic groups and
/// conditionals are supported. A pattern that still does not compile is a 400 naming the
/// pattern (the reference's `re.error` is a 500).
pub(crate) fn python_regex(pattern: &str) -> Result<PyRegex, EvalError> {
    let translated = translate_python_pattern(pattern);
    fancy_regex::RegexBuilder::new(&translated)
        .backtrack_limit(REGEX_BACKTRACK_LIMIT)
        .build()
        .map(|inner| PyRegex { inner })
        .map_err(|e| input_error(format!("invalid regular expression {pattern:?}: {e}")))
}

/// Backtracking steps one match may take before it is abandoned (as no match), so that a
/// pathological pattern cannot hold a request thread for long.
const REGEX_BACKTRACK_LIMIT: usize = 1_000_000;

/// Rewrites the parts of Python's `re` syntax that the `regex`/`fancy-regex` parsers read
/// differently:
///
/// - `\Z` (end of text) becomes `\z`; `(?P=name)` becomes `\k<name>`; `(?#...)` comments go;
/// - octal escapes (`\0`, `\012`, `\141`) become `\x{..}`;
/// - a `{` that does not start a valid repeat (`a{`, `{x}`, `{}`) and a lone `}` are
///   literals; `{,n}` means `{0,n}`;
/// - inside a class, `[`, `&`, `~` and `--` are literals (the `regex` crate reads nested
///   classes and set operations there).
fn translate_python_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(&next) = chars.get(i + 1) else {
                // A trailing backslash: left for the parser to refuse.
                out.push('\\');
                break;
            };
            let octal = |k: usize| chars.get(k).is_some_and(|d| ('0'..='7').contains(d));
            if next == '0' || (octal(i + 1) && octal(i + 2) && octal(i + 3)) {
                let mut j = i + 1;
                let limit = i + 4;
                let mut value = 0u32;
                while j < limit && octal(j) {
                    value = value * 8 + chars[j].to_digit(8).unwrap_or(0);
                    j += 1;
                }
                out.push_str(&format!("\\x{{{value:x}}}"));
                i = j;
                continue;
            }
            if next == 'Z' && !in_class {
                out.push_str("\\z");
            } else if !next.is_ascii_alphanumeric() && !is_regex_meta(next) {
                // Python lets any other character be escaped; the parsers here refuse some
                // (`\/`, `\<`, `\é`), so these become hex escapes.
                out.push_str(&format!("\\x{{{:x}}}", u32::from(next)));
            } else {
                out.push('\\');
                out.push(next);
            }
            i += 2;
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '-' if chars.get(i + 1) == Some(&'-') => {
                    out.push_str("\\-\\-");
                    i += 2;
                    continue;
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                // A `]` first (after an optional `^`) is a literal, as in Python.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                let rest: String = chars[i + 2..].iter().take(3).collect();
                if rest.starts_with("P=") {
                    if let Some(close) = chars[i..].iter().position(|&ch| ch == ')') {
                        let name: String = chars[i + 4..i + close].iter().collect();
                        out.push_str(&format!("\\k<{name}>"));
                        i += close + 1;
                        continue;
                    }
                } else if rest.starts_with('#') {
                    match chars[i..].iter().position(|&ch| ch == ')') {
                        Some(close) => i += close + 1,
                        None => i = chars.len(),
                    }
                    continue;
                }
                out.push('(');
                i += 1;
            }
            '{' => match repeat_bounds(&chars[i + 1..]) {
                Some((lo, hi, len)) => {
                    out.push('{');
                    out.push_str(if lo.is_empty() { "0" } else { &lo });
                    if let Some(hi) = hi {
                        out.push(',');
                        out.push_str(&hi);
                    }
                    out.push('}');
                    i += 1 + len;
                }
                None => {
                    out.push_str("\\{");
                    i += 1;
                }
            },
            '}' => {
                out.push_str("\\}");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The characters the `regex` crate requires (or allows) to be escaped to be literal.
fn is_regex_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

/// Parses the body of a Python repeat after its `{`: `m}`, `m,}`, `,n}`, `m,n}` or `,}`.
/// Returns the lower bound's digits, the upper bound's (`Some("")` when open, `None` for
/// `{m}`) and how many characters were read including the `}`; `None` when Python would
/// read the `{` as a literal.
fn repeat_bounds(rest: &[char]) -> Option<(String, Option<String>, usize)> {
    let lo: String = rest.iter().take_while(|c| c.is_ascii_digit()).collect();
    let mut k = lo.len();
    let hi = if rest.get(k) == Some(&',') {
        k += 1;
        let hi: String = rest[k..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        k += hi.len();
        Some(hi)
    } else {
        None
    };
    if rest.get(k) != Some(&'}') || (lo.is_empty() && hi.is_none()) {
        return None;
    }
    Some((lo, hi, k + 1))
}

/// Translates a Python `re.sub` replacement template (`\1`, `\g<1>`, `\g<name>`, escapes)
/// into the expansion syntax [`PyRegex::replace_all`] reads (`${1}`, `$$`).
pub(crate) fn python_replacement(template: &str, regex: &PyRegex) -> Result<String, EvalError> {
    let groups = regex.captures_len();
    let check_group = |g: &str| -> Result<String, EvalError> {
        if let Ok(i) = g.parse::<usize>() {
            if i >= groups {
                return Err(input_error(format!("invalid group reference {i}")));
            }
            return Ok(format!("${{{i}}}"));
        }
        if regex.has_group(g) {
            return Ok(format!("${{{g}}}"));
        }
        Err(input_error(format!("unknown group name '{g}'")))
    };
    let chars: Vec<char> = template.chars().collect();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' {
            out.push_str("$$");
            i += 1;
            continue;
        }
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&next) = chars.get(i + 1) else {
            return Err(input_error("bad escape (end of pattern)"));
        };
        match next {
            'g' => {
                let rest: String = chars[i + 2..].iter().collect();
                let Some(body) = rest.strip_prefix('<').and_then(|r| r.split_once('>')) else {
                    return Err(input_error("missing group name in \\g<...>"));
                };
                out.push_str(&check_group(body.0)?);
                i += 2 + body.0.chars().count() + 2;
            }
            '0'..='9' => {
                let mut digits = String::from(next);
                if let Some(&d) = chars.get(i + 2) {
                    if d.is_ascii_digit() && next != '0' {
                        digits.push(d);
                    }
                }
                if next == '0' {
                    // `\0` is an octal escape: NUL.
                    out.push('\0');
                    i += 2;
                } else {
                    out.push_str(&check_group(&digits)?);
                    i += 1 + digits.len();
                }
            }
            'n' => {
                out.push('\n');
                i += 2;
            }
            't' => {
                out.push('\t');
                i += 2;
            }
            'r' => {
                out.push('\r');
                i += 2;
            }
            'f' => {
                out.push('\u{c}');
                i += 2;
            }
            'v' => {
                out.push('\u{b}');
                i += 2;
            }
            'a' => {
                out.push('\u{7}');
                i += 2;
            }
            'b' => {
                out.push('\u{8}');
                i += 2;
            }
            '\\' => {
                out.push('\\');
                i += 2;
            }
            c if c.is_ascii_alphabetic() => {
                return Err(input_error(format!("bad escape \\{c}")));
            }
            other => {
                out.push('\\');
                if other == '$' {
                    out.push_str("$$");
                } else {
                    out.push(other);
                }
                i += 2;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::test_support::{ctx_until, eval_series, Fixed};

    #[test]
    fn replacement_templates() {
        let re = python_regex(r"(^.*$)").unwrap();
        let t = python_replacement(r"\1 A", &re).unwrap();
        assert_eq!(re.replace_all("a.b", t.as_str()), "a.b A");
        let re = python_regex(r"(?P<x>b)").unwrap();
        let t = python_replacement(r"[\g<x>$\g<0>]", &re).unwrap();
        assert_eq!(re.replace_all("abc", t.as_str()), "a[b$b]c");
        assert!(python_replacement(r"\2", &re).is_err());
        assert!(python_replacement(r"\q", &re).is_err());
        assert!(python_replacement(r"\g<nope>", &re).is_err());
        assert!(python_replacement("\\", &re).is_err());
    }

    /// `re.sub(pattern, replacement, text)` as CPython 3.11 computes it.
    #[test]
    fn substitutions_match_python() {
        let cases = [
            (
                "(?<=web)0",
                "O",
                "servers.web01.web02",
                "servers.webO1.webO2",
            ),
            ("(\\w)\\1", "<\\1>", "aabbcd", "<a><b>cd"),
            ("(?P<c>f)(?P=c)", "\\g<c>|", "xffy", "xf|y"),
            ("t\\Z", "T", "test.constant", "test.constanT"),
            ("a{,2}", "-", "aaab", "---b-"),
            ("a{2,}", "-", "aaab", "-b"),
            ("a{,}", "-", "aab", "--b-"),
            ("x{", "-", "ax{b", "a-b"),
            ("{}", "-", "a{}b", "a-b"),
            ("[]a]", "-", "]ab", "--b"),
            ("[^]a]", "-", "]ab", "]a-"),
            ("[[]", "-", "a[b", "a-b"),
            ("[a&&b]", "-", "a&b", "---"),
            ("[~]", "-", "a~b", "a-b"),
            ("\\056", "/", "a.b", "a/b"),
            ("\\0", "N", "a\x00b", "aNb"),
            ("(?#note)b", "B", "abc", "aBc"),
            ("x*", "-", "abxd", "-a-b--d-"),
            ("", "-", "abc", "-a-b-c-"),
            ("^", "^", "abc", "^abc"),
            ("$", "$", "abc", "abc$"),
            ("\\b", "|", "ab cd", "|ab| |cd|"),
            ("(a)|b", "[\\1]", "ab", "[a][]"),
            ("(?i)AB", "x", "aAbB", "axB"),
            ("(?=b)", "^", "abab", "a^ba^b"),
            ("\\d+(?!\\.)", "N", "12.34 56", "N2.N N"),
            ("(?<!\\d)\\d", "D", "a12b3", "aD2bD"),
            ("(?>a+)b", "X", "aaab", "X"),
            ("é+", "E", "ééa", "Ea"),
            ("\\w+", "\\g<0>\\g<0>", "żó.a", "żóżó.aa"),
            ("(a)(b)?", "[\\2]", "a ab", "[] [b]"),
            ("\\.", "\\\\", "a.b", "a\\b"),
            ("a", "\\n\\t$", "a", "\n\t$"),
            ("(?:a|ab)(c|bcd)(d*)", "\\1-\\2", "abcd", "bcd-"),
            ("}", "-", "a}b", "a-b"),
            (
                "\\/\\:\\<\\>\\'\\\"\\%\\,\\=\\_\\;\\@\\!\\ ",
                "X",
                "/:<>'\"%,=_;@! .",
                "X.",
            ),
            ("[\\/\\<\\-]", "X", "a/b<c-d", "aXbXcXd"),
            ("\\é", "e", "café", "cafe"),
            ("\\x41\\u0042\\U00000043", "-", "ABCD", "-D"),
            ("\\a\\f\\v", "-", "\u{7}\u{c}\u{b}x", "-x"),
            ("(?x) a b # comment", "-", "abab", "--"),
            ("(?x)a\\ b", "-", "a bab", "-ab"),
        ];
        for (pattern, replacement, text, expected) in cases {
            let re = python_regex(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            let template = python_replacement(replacement, &re).unwrap();
            assert_eq!(
                re.replace_all(text, &template),
                expected,
                "{pattern:?} on {text:?}"
            );
        }
    }

    #[test]
    fn searches_match_python() {
        let re = python_regex("^servers\\.(?!web)").unwrap();
        assert!(re.is_match("servers.db01"));
        assert!(!re.is_match("servers.web01"));
        assert!(python_regex("(.)\\1").unwrap().is_match("xff"));
        assert!(!python_regex("a\\Z").unwrap().is_match("ab"));
        for bad in ["(", "[a", "a{3,1}", "\\", "(?P=missing)", "*a", "(?<=a+)b"] {
            // Python refuses these too (variable look-behind included); no panic either way.
            let _ = python_regex(bad);
        }
        assert!(python_regex("(").is_err());
        assert!(python_regex("[a").is_err());
    }

    #[test]
    fn pathological_patterns_give_up_instead_of_hanging() {
        let re = python_regex("(a|a)*\\1b").unwrap();
        let text = "a".repeat(64);
        assert!(!re.is_match(&text));
        assert_eq!(re.replace_all(&text, "x"), text);
    }

    #[test]
    fn percent_formatting_matches_python() {
        let cases = [
            ("%d MHz", 37.7, false, "37 MHz"),
            ("%d", -37.7, false, "-37"),
            ("%.2f", 37.703125, false, "37.70"),
            ("[%s]", 37.703125, false, "[37.703125]"),
            ("%s", 6.0, true, "6"),
            ("%s", 6.0, false, "6.0"),
            ("%r", 1e20, false, "1e+20"),
            ("%g%%", 37.703125, false, "37.7031%"),
            ("%e|", 37.703125, false, "3.770312e+01|"),
            ("%10.3f|", 37.703125, false, "    37.703|"),
            ("%-8d|", 37.7, false, "37      |"),
            ("%+d|", 37.7, false, "+37|"),
            ("%05.1f|%%", 37.703125, false, "037.7|%"),
            ("%.3G", 0.000012345, false, "1.23E-05"),
            ("%x", 255.0, true, "ff"),
            ("%X", -255.0, true, "-FF"),
            ("%o", 8.0, true, "10"),
            ("%c", 65.0, true, "A"),
            ("%i", 6.0, true, "6"),
            ("% d", 5.0, false, " 5"),
            ("%.3d", 5.0, false, "005"),
            ("%.2s", 123.0, false, "12"),
            ("%f", f64::INFINITY, false, "inf"),
            ("%F", f64::NAN, false, "NAN"),
            ("%5.1f", -0.0, false, " -0.0"),
            ("%ld", 3.0, false, "3"),
        ];
        for (template, value, is_int, expected) in cases {
            assert_eq!(
                py_percent_format(template, value, is_int).as_deref(),
                Ok(expected),
                "{template} % {value}"
            );
        }
        for (template, value, is_int) in [
            ("no conversion", 1.0, false),
            ("%d %d", 1.0, false),
            ("%x", 1.5, false),
            ("%d", f64::NAN, false),
            ("%d", f64::INFINITY, false),
            ("%(a)s", 1.0, false),
            ("%*d", 1.0, false),
            ("%", 1.0, false),
            ("%q", 1.0, false),
            ("%c", -1.0, true),
        ] {
            assert!(
                py_percent_format(template, value, is_int).is_err(),
                "{template}"
            );
        }
        // Widths are bounded, not allocated as asked.
        let wide = py_percent_format("%99999999999999999999d", 1.0, false).unwrap();
        assert!(wide.len() <= 10_001);
    }

    #[test]
    fn case_changes_by_position() {
        let up = |c: char| c.to_uppercase().collect::<String>();
        assert_eq!(change_case("MiXeD.Case", &[], up), "MIXED.CASE");
        assert_eq!(change_case("abc", &[0, -1, 3, -4], up), "AbC");
        assert_eq!(change_case("ßa", &[0], up), "SSa");
        assert_eq!(change_case("", &[i64::MIN, i64::MAX], up), "");
    }

    fn storage() -> Fixed {
        let mk =
            |name: &str, values: Vec<Option<f64>>| TimeSeries::new(name, 0, 40, 10, values, 0.0);
        let mut ints = mk("a.ints", vec![Some(1.0), Some(2.0), None, Some(3.0)]);
        ints.int_values = true;
        Fixed(vec![
            mk("a.b", vec![Some(1.0), Some(2.0), None, Some(4.0)]),
            mk("a.c", vec![Some(1536.0), None, None, Some(3e15)]),
            mk("a.nulls", vec![None; 4]),
            mk("a.empty", Vec::new()),
            mk(
                "a.odd",
                vec![
                    Some(f64::NAN),
                    Some(f64::INFINITY),
                    Some(-f64::INFINITY),
                    Some(-0.0),
                ],
            ),
            ints,
            mk("b.a", vec![Some(7.5)]),
        ])
    }

    fn eval(target: &str) -> Result<Vec<TimeSeries>, EvalError> {
        eval_series(&storage(), &ctx_until(40), target)
    }

    fn names(target: &str) -> Vec<String> {
        eval(target)
            .unwrap_or_else(|e| panic!("{target}: {e}"))
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    #[test]
    fn legend_values() {
        assert_eq!(
            names("legendValue(a.b,'avg','last','count','avgSeries')"),
            ["a.b (avg: 2.3333333333333335) (last: 4.0) (count: 3) (avgSeries: (?))"]
        );
        assert_eq!(
            names("legendValue(a.ints,'sum','avg')"),
            ["a.ints (sum: 6) (avg: 2.0)"]
        );
        assert_eq!(
            names("legendValue(a.c,'min','max','si')"),
            ["a.c                 min  1.54k     max  3.00P     "]
        );
        assert_eq!(
            names("legendValue(a.nulls,'last','binary')"),
            ["a.nulls             last None      "]
        );
        assert!(eval("legendValue(a.b)").is_err());
    }

    #[test]
    fn alias_query_names_from_another_target() {
        assert_eq!(
            names("aliasQuery(a.b,'^a\\.(.)$','b.a','%.1f for \\1')"),
            ["7.5 for \\1"]
        );
        assert_eq!(names("aliasQuery(a.b,'b','ints','%d')"), ["3"]);
        let err = eval("aliasQuery(a.b,'b','nulls','%d')").unwrap_err();
        assert!(err.to_string().contains("Cannot get last value"), "{err}");
        let err = eval("aliasQuery(a.b,'b','nothere','%d')").unwrap_err();
        assert!(err.to_string().contains("No series found"), "{err}");
        assert!(eval("aliasQuery(a.b,'b','b(','%d')").is_err());
        assert!(eval("aliasQuery(a.b,'b','ints','%d %d')").is_err());
        assert!(eval("aliasQuery(a.b,'(','ints','%d')").is_err());
    }

    #[test]
    fn metric_tags_and_case() {
        assert_eq!(names("aliasByMetric(sumSeries(a.b))"), ["b"]);
        assert_eq!(names("aliasByTags(a.b,'name',0,-5)"), ["a.b.a."]);
        assert_eq!(names("upper(a.b,1)"), ["a.b"]);
        assert_eq!(names("upper(a.b,-1)"), ["a.B"]);
        assert_eq!(names("lower(upper(a.b))"), ["a.b"]);
    }

    /// Every function of this module over odd inputs: errors are fine, panics are not.
    #[test]
    fn odd_inputs_do_not_panic() {
        let lists = [
            "a.odd",
            "a.empty",
            "a.nulls",
            "a.none",
            "a.c",
            "group(a.odd,a.ints)",
        ];
        for l in lists {
            for target in [
                format!("aliasByMetric({l})"),
                format!("aliasByTags({l},-9223372036854775807,'name',9223372036854775807)"),
                format!("aliasQuery({l},'.*','a.odd','%d')"),
                format!("aliasQuery({l},'^.*$','a.odd','%s %%')"),
                format!("aliasQuery({l},'^.*$','a.c','%99999d')"),
                format!("aliasQuery({l},'(?<=a)','x','%f')"),
                format!("aliasSub({l},'(a)|(?=b)','\\2')"),
                format!("aliasSub({l},'','\\g<0>')"),
                format!("legendValue({l},'avg','median','stddev','multiply','diff','range','si')"),
                format!("legendValue({l},'sum','binary')"),
                format!("legendValue({l},'si')"),
                format!("legendValue({l},'count','last','total')"),
                format!("lower({l},-9223372036854775807,9223372036854775807)"),
                format!("upper({l},true)"),
            ] {
                let _ = eval(&target);
            }
        }
    }
}
