//! Alias functions: renaming series.

use regex::Regex;

use super::{input_error, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::grammar::{parse_target, Expr};
use crate::series::TimeSeries;

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("alias", alias),
    ("aliasByNode", alias_by_node),
    ("aliasSub", alias_sub),
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

/// Compiles a Python regular expression. The syntax Graphite users write (groups, classes,
/// anchors, `(?P<name>...)`) is shared with the `regex` crate; look-around and
/// backreferences in the pattern are not supported and give a 400.
pub(crate) fn python_regex(pattern: &str) -> Result<Regex, EvalError> {
    Regex::new(pattern)
        .map_err(|e| input_error(format!("invalid regular expression {pattern:?}: {e}")))
}

/// Translates a Python `re.sub` replacement template (`\1`, `\g<1>`, `\g<name>`, escapes)
/// into the `regex` crate's (`${1}`, `$$`).
pub(crate) fn python_replacement(template: &str, regex: &Regex) -> Result<String, EvalError> {
    let groups = regex.captures_len();
    let check_group = |g: &str| -> Result<String, EvalError> {
        if let Ok(i) = g.parse::<usize>() {
            if i >= groups {
                return Err(input_error(format!("invalid group reference {i}")));
            }
            return Ok(format!("${{{i}}}"));
        }
        if regex.capture_names().flatten().any(|n| n == g) {
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

    #[test]
    fn replacement_templates() {
        let re = Regex::new(r"(^.*$)").unwrap();
        let t = python_replacement(r"\1 A", &re).unwrap();
        assert_eq!(re.replace_all("a.b", t.as_str()), "a.b A");
        let re = Regex::new(r"(?P<x>b)").unwrap();
        let t = python_replacement(r"[\g<x>$\g<0>]", &re).unwrap();
        assert_eq!(re.replace_all("abc", t.as_str()), "a[b$b]c");
        assert!(python_replacement(r"\2", &re).is_err());
        assert!(python_replacement(r"\q", &re).is_err());
    }
}
