//! Python `re` patterns run on the `regex` crate, with `re.search` semantics.
//!
//! The common subset is the same. A few spellings are translated so they mean what they mean
//! in Python: `\Z` (end of text) becomes `\z`; a `{` that does not start a valid quantifier is
//! a literal; `{,n}` is `{0,n}`; inside a character class `[` and doubled `&&`, `--`, `~~` are
//! literals (the regex crate reads them as nested classes and set operations).
//!
//! Not supported (the pattern is refused with the compiler's message): look-ahead and
//! look-behind (`(?=`, `(?!`, `(?<=`, `(?<!`), back-references (`\1`, `(?P=name)`),
//! conditionals (`(?(1)...)`), possessive quantifiers and atomic groups. Python's `$` also
//! matches before a final newline; metric names never contain one, so this is not emulated.

use std::fmt;

/// A compiled Python-syntax pattern; matching is `re.search` (anywhere in the text).
#[derive(Clone)]
pub struct PyRegex {
    source: String,
    regex: regex::Regex,
}

impl PyRegex {
    /// Compiles a Python `re` pattern; the error is a message for the operator.
    pub fn new(pattern: &str) -> Result<PyRegex, String> {
        let translated = translate(pattern);
        let regex = regex::Regex::new(&translated).map_err(|e| e.to_string())?;
        Ok(PyRegex {
            source: pattern.to_owned(),
            regex,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// `bool(re.search(pattern, text))`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// The compiled translation.
    pub(crate) fn regex(&self) -> &regex::Regex {
        &self.regex
    }
}

impl fmt::Debug for PyRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PyRegex").field(&self.source).finish()
    }
}

/// Length of a Python quantifier `{m}`, `{m,}`, `{,n}`, `{m,n}` at the start of `s` (which
/// begins with `{`), and whether its minimum is omitted.
fn quantifier_len(s: &str) -> Option<(usize, bool)> {
    let close = s.find('}')?;
    let inner = &s[1..close];
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (inner, None),
    };
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    let ok = digits(lo)
        && hi.is_none_or(digits)
        && (!lo.is_empty() || hi.is_some_and(|h| !h.is_empty()));
    ok.then_some((close + 1, lo.is_empty()))
}

fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.char_indices().peekable();
    let mut in_class = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let Some((_, next)) = chars.next() else {
                    out.push('\\');
                    break;
                };
                if next == 'Z' && !in_class {
                    out.push_str("\\z");
                } else {
                    out.push('\\');
                    out.push(next);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` right after `[` or `[^` is a literal member.
                if let Some(&(_, '^')) = chars.peek() {
                    chars.next();
                    out.push('^');
                }
                if let Some(&(_, ']')) = chars.peek() {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && chars.peek().map(|&(_, n)| n) == Some(c) => {
                chars.next();
                out.push('\\');
                out.push(c);
                out.push('\\');
                out.push(c);
            }
            '{' if !in_class => match quantifier_len(&pattern[i..]) {
                Some((len, no_min)) => {
                    let q = &pattern[i..i + len];
                    if no_min {
                        out.push_str("{0");
                        out.push_str(&q[1..]);
                    } else {
                        out.push_str(q);
                    }
                    while chars.peek().is_some_and(|&(j, _)| j < i + len) {
                        chars.next();
                    }
                }
                None => out.push_str("\\{"),
            },
            '}' if !in_class => out.push_str("\\}"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        PyRegex::new(p).unwrap().is_match(t)
    }

    #[test]
    fn search_semantics_and_translations() {
        assert!(m("^carbon\\.", "carbon.agents"));
        assert!(!m("^carbon\\.", "xcarbon.agents"));
        assert!(m("\\.min$", "a.b.min"));
        assert!(m("agents", "carbon.agents.x"));
        assert!(m("x\\Z", "abx"));
        assert!(m("a{", "a{"));
        assert!(m("^a{,2}$", "aa"));
        assert!(m("^a{2}$", "aa"));
        assert!(m("{foo}", "{foo}"));
        assert!(m("[[]", "["));
        assert!(m("[]a]", "]"));
        assert!(m("[^]a]", "b"));
        assert!(m("[a&&b]", "&"));
        assert!(m("(?P<x>ab)c", "abc"));
    }

    #[test]
    fn unsupported_python_features_are_refused() {
        for p in ["a(?=b)", "(?<!a)b", "(a)\\1", "(?P<x>a)(?P=x)"] {
            assert!(PyRegex::new(p).is_err(), "{p}");
        }
        assert!(PyRegex::new("(").is_err());
    }
}
