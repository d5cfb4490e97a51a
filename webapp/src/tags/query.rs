//! Tag expressions (`tag=value`, `tag!=value`, `tag=~regex`, `tag!=~regex`), parsed and
//! matched as graphite-web 1.1.10's tag database does.
//!
//! A regular expression is anchored at the start of the value (`^(re)` unless it already
//! starts with `^`). An expression whose spec matches the empty string also matches series
//! that lack the tag, and a query must have at least one expression that does not.

use crate::functions::{python_regex, PyRegex};

use super::TagError;

/// The operator of a tag expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=`: the value equals the spec.
    Equal,
    /// `!=`: the value differs from the spec (a missing tag counts as `''`).
    NotEqual,
    /// `=~`: the value matches the regular expression at its start.
    Match,
    /// `!=~`: the value does not match the regular expression at its start.
    NotMatch,
}

/// One parsed tag expression.
#[derive(Debug, Clone)]
pub struct TagExpr {
    /// The tag it tests (`name` for the metric name).
    pub tag: String,
    /// The operator.
    pub operator: Operator,
    /// The value or regular expression, as written (regexes anchored with `^(...)`).
    pub spec: String,
    /// The compiled, anchored regular expression of `=~` and `!=~`.
    regex: Option<PyRegex>,
    /// Whether a missing tag (the empty value) satisfies the expression.
    pub matches_empty: bool,
}

impl TagExpr {
    /// Parses `tag op spec` with the reference's pattern `^([^;!=]+)(!?=~?)([^;]*)$`.
    pub fn parse(text: &str) -> Result<Self, TagError> {
        let invalid = || TagError::InvalidTagSpec(text.to_owned());
        let tag_end = text.find(['!', '=', ';']).ok_or_else(invalid)?;
        if tag_end == 0 {
            return Err(invalid());
        }
        let (tag, rest) = text.split_at(tag_end);
        let (operator, spec) = if let Some(spec) = rest.strip_prefix("!=~") {
            (Operator::NotMatch, spec)
        } else if let Some(spec) = rest.strip_prefix("!=") {
            (Operator::NotEqual, spec)
        } else if let Some(spec) = rest.strip_prefix("=~") {
            (Operator::Match, spec)
        } else if let Some(spec) = rest.strip_prefix('=') {
            (Operator::Equal, spec)
        } else {
            return Err(invalid());
        };
        if spec.contains(';') {
            return Err(invalid());
        }
        let (spec, regex) = match operator {
            Operator::Match | Operator::NotMatch => {
                let anchored = if spec.starts_with('^') {
                    spec.to_owned()
                } else {
                    format!("^({spec})")
                };
                let regex = compile(&anchored)?;
                (anchored, Some(regex))
            }
            Operator::Equal | Operator::NotEqual => (spec.to_owned(), None),
        };
        let mut expr = TagExpr {
            tag: tag.to_owned(),
            operator,
            spec,
            regex,
            matches_empty: false,
        };
        expr.matches_empty = expr.matches("");
        Ok(expr)
    }

    /// Whether a series whose tag has `value` (`''` when it lacks the tag) satisfies this.
    pub fn matches(&self, value: &str) -> bool {
        match self.operator {
            Operator::Equal => value == self.spec,
            Operator::NotEqual => value != self.spec,
            Operator::Match => self.regex_matches(value),
            Operator::NotMatch => !self.regex_matches(value),
        }
    }

    fn regex_matches(&self, value: &str) -> bool {
        self.regex.as_ref().is_some_and(|r| r.is_match(value))
    }

    /// For `=~`: a literal every matching value starts with (empty when there is none),
    /// so candidates can be found by a range scan of the sorted values.
    pub fn literal_prefix(&self) -> String {
        if self.operator != Operator::Match {
            return String::new();
        }
        regex_literal_prefix(&self.spec)
    }
}

/// Compiles a Python regular expression (`re` syntax, as the reference's database runs it).
pub(crate) fn compile(pattern: &str) -> Result<PyRegex, TagError> {
    python_regex(pattern).map_err(|e| TagError::InvalidRegex {
        pattern: pattern.to_owned(),
        message: e.to_string(),
    })
}

/// The literal text an anchored pattern (`^(abc.*)` or `^abc`) requires at the start of a
/// match: characters up to the first metacharacter, less one before a quantifier, and
/// nothing at all when the pattern has an alternation (`|`) at any level.
pub(crate) fn regex_literal_prefix(anchored: &str) -> String {
    if anchored.contains('|') {
        return String::new();
    }
    let body = anchored.strip_prefix('^').unwrap_or(anchored);
    let body = body.strip_prefix('(').unwrap_or(body);
    let mut prefix = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        let literal = match c {
            '\\' => match chars.peek() {
                // An escaped punctuation character is itself.
                Some(&n) if n.is_ascii_punctuation() => {
                    chars.next();
                    n
                }
                _ => break,
            },
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' => break,
            other => other,
        };
        // A quantifier makes the character before it optional or repeated.
        if matches!(chars.peek(), Some('*' | '?' | '{' | '+')) {
            if chars.peek() == Some(&'+') {
                prefix.push(literal);
            }
            break;
        }
        prefix.push(literal);
    }
    prefix
}

/// Parses a query; at least one expression must not match the empty value.
pub fn parse_query<S: AsRef<str>>(exprs: &[S]) -> Result<Vec<TagExpr>, TagError> {
    let parsed = exprs
        .iter()
        .map(|e| TagExpr::parse(e.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    if parsed.iter().all(|e| e.matches_empty) {
        return Err(TagError::AllMatchEmpty);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operators_as_the_reference_pattern() {
        let e = TagExpr::parse("dc=eu").unwrap();
        assert_eq!(
            (e.tag.as_str(), e.operator, e.spec.as_str()),
            ("dc", Operator::Equal, "eu")
        );
        let e = TagExpr::parse("dc!=eu").unwrap();
        assert_eq!(e.operator, Operator::NotEqual);
        assert!(e.matches_empty);
        let e = TagExpr::parse("dc=~e.*").unwrap();
        assert_eq!((e.operator, e.spec.as_str()), (Operator::Match, "^(e.*)"));
        assert!(!e.matches_empty);
        let e = TagExpr::parse("dc!=~^e").unwrap();
        assert_eq!((e.operator, e.spec.as_str()), (Operator::NotMatch, "^e"));
        assert!(e.matches_empty);
        // The value may contain `=` and `!`.
        let e = TagExpr::parse("a=b=c!").unwrap();
        assert_eq!(e.spec, "b=c!");
        for bad in ["", "=x", "dc", "dc~x", "a;b=c", "dc=a;b", "!=x"] {
            assert!(TagExpr::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            TagExpr::parse("dc=~("),
            Err(TagError::InvalidRegex { .. })
        ));
    }

    #[test]
    fn empty_matching_rules() {
        assert!(TagExpr::parse("dc=").unwrap().matches_empty);
        assert!(!TagExpr::parse("dc!=").unwrap().matches_empty);
        assert!(TagExpr::parse("dc=~.*").unwrap().matches_empty);
        assert!(!TagExpr::parse("dc!=~.*").unwrap().matches_empty);
        assert!(matches!(
            parse_query(&["dc!=x", "a="]),
            Err(TagError::AllMatchEmpty)
        ));
        assert!(matches!(
            parse_query::<&str>(&[]),
            Err(TagError::AllMatchEmpty)
        ));
        assert!(parse_query(&["dc!=x", "a=b"]).is_ok());
    }

    #[test]
    fn regexes_are_anchored_at_the_start_only() {
        let e = TagExpr::parse("name=~cpu").unwrap();
        assert!(e.matches("cpu.load"));
        assert!(!e.matches("a.cpu"));
        let e = TagExpr::parse("name=~.*cpu$").unwrap();
        assert!(e.matches("a.cpu"));
    }

    #[test]
    fn literal_prefixes() {
        assert_eq!(regex_literal_prefix("^(disk\\.used.*)"), "disk.used");
        assert_eq!(regex_literal_prefix("^(abc*)"), "ab");
        assert_eq!(regex_literal_prefix("^(abc+)"), "abc");
        assert_eq!(regex_literal_prefix("^(ab?)"), "a");
        assert_eq!(regex_literal_prefix("^(a|b)"), "");
        assert_eq!(regex_literal_prefix("^(\\d+)"), "");
        assert_eq!(regex_literal_prefix("^host[0-9]"), "host");
        // Every value the regex matches starts with the prefix.
        for (pattern, value) in [("^(ab{2})", "abb"), ("^(a\\.b)", "a.b"), ("^(x+y)", "xxy")] {
            let p = regex_literal_prefix(pattern);
            assert!(compile(pattern).unwrap().is_match(value));
            assert!(value.starts_with(&p), "{pattern} {p}");
        }
    }
}
