//! `rewrite-rules.conf`: the metric name rewriting of carbon-aggregator (the `rewrite:pre` and
//! `rewrite:post` stages; carbon-cache 1.1.10 does not read this file), as
//! `carbon.rewrite.RewriteRuleManager` reads it.
//!
//! Lines are stripped; blank lines and `#` lines are skipped; `[name]` starts a section (the
//! name lowercased); any other line with an `=` is a rule `pattern = replacement`, split at the
//! first `=` (so a pattern cannot contain one), both sides stripped, applied as
//! `re.sub(pattern, replacement, name)`: every match replaced, `\1`, `\g<1>` and `\g<name>` in
//! the replacement standing for groups. All rules of a section apply in file order, each to the
//! result of the previous. Rules before any section belong to no section and are never applied.
//!
//! A pattern that does not compile is reported and skipped, as in the reference. A replacement
//! Python would refuse (a bad escape such as `\q`, a group the pattern lacks) is reported and
//! skipped too; the reference accepts the rule and then drops every datapoint it matches.

use std::path::Path;

use crate::error::{Error, Result};
use crate::pattern::PyRegex;

/// The rules of a rewrite-rules.conf, by section.
#[derive(Debug, Clone, Default)]
pub struct RewriteRules {
    /// `(section, rules)` in the order the sections first appear; a section given twice keeps
    /// only the rules of its last occurrence, as the reference clears it on each heading.
    pub sections: Vec<(String, Vec<RewriteRule>)>,
    /// Lines that were skipped, as messages for the log.
    pub messages: Vec<String>,
}

/// One `pattern = replacement` rule.
#[derive(Debug, Clone)]
pub struct RewriteRule {
    /// The pattern, Python syntax.
    pub pattern: PyRegex,
    /// The replacement as written.
    pub replacement: String,
    template: Vec<Piece>,
}

/// A parsed replacement: literal text and group references.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Group(usize),
    Named(String),
}

impl RewriteRules {
    /// Reads the file; a missing file has no rules (the reference clears them all).
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(Error::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses the text of a rewrite-rules.conf.
    pub fn parse(text: &str) -> Self {
        let mut out = RewriteRules::default();
        // `None` before the first heading: those rules are read and never used.
        let mut section: Option<usize> = None;
        for raw in text.lines() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') && line.len() >= 2 {
                let name = line[1..line.len() - 1].to_lowercase();
                let index = match out.sections.iter().position(|(n, _)| *n == name) {
                    Some(i) => {
                        out.sections[i].1.clear();
                        i
                    }
                    None => {
                        out.sections.push((name, Vec::new()));
                        out.sections.len() - 1
                    }
                };
                section = Some(index);
            } else if let Some((pattern, replacement)) = line.split_once('=') {
                match RewriteRule::new(pattern.trim(), replacement.trim()) {
                    Ok(rule) => {
                        if let Some(i) = section {
                            out.sections[i].1.push(rule);
                        }
                    }
                    Err(e) => out.messages.push(e),
                }
            } else {
                out.messages.push(format!(
                    "Invalid syntax: not a section heading or rule: '{line}'"
                ));
            }
        }
        out
    }

    /// The rules of a section (`pre`, `post`), empty when it is absent.
    pub fn section(&self, name: &str) -> &[RewriteRule] {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, rules)| rules.as_slice())
    }

    /// `metric` after every rule of `section`, in order.
    pub fn apply(&self, section: &str, metric: &str) -> String {
        self.section(section)
            .iter()
            .fold(metric.to_owned(), |m, rule| rule.apply(&m))
    }
}

impl RewriteRule {
    /// Compiles a rule; the error is the message for the log.
    pub fn new(pattern: &str, replacement: &str) -> std::result::Result<Self, String> {
        let regex = PyRegex::new(pattern)
            .map_err(|_| format!("Invalid regular expression in rewrite rule: '{pattern}'"))?;
        let template = parse_template(replacement, regex.regex())
            .map_err(|e| format!("Invalid replacement in rewrite rule '{pattern}': {e}"))?;
        Ok(RewriteRule {
            pattern: regex,
            replacement: replacement.to_owned(),
            template,
        })
    }

    /// `re.sub(pattern, replacement, metric)`, with Python 3.7's empty matches: one may
    /// directly follow a non-empty match (`x*` on `abxd` gives `-a-b--d-`), where the regex
    /// crate's iterator would skip it.
    pub fn apply(&self, metric: &str) -> String {
        let regex = self.pattern.regex();
        let mut out = String::with_capacity(metric.len());
        let (mut last, mut pos) = (0, 0);
        let mut empty_at = None;
        while pos <= metric.len() {
            let Some(caps) = regex.captures_at(metric, pos) else {
                break;
            };
            let whole = caps.get(0).expect("group 0 always matches");
            if whole.is_empty() && empty_at == Some(whole.start()) {
                // A second empty match at the same place: look from the next character.
                match metric[whole.start()..].chars().next() {
                    Some(c) => pos = whole.start() + c.len_utf8(),
                    None => break,
                }
                continue;
            }
            out.push_str(&metric[last..whole.start()]);
            for piece in &self.template {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    // A group that did not take part in the match is empty (Python 3.5+).
                    Piece::Group(i) => out.push_str(caps.get(*i).map_or("", |m| m.as_str())),
                    Piece::Named(n) => out.push_str(caps.name(n).map_or("", |m| m.as_str())),
                }
            }
            last = whole.end();
            pos = whole.end();
            empty_at = whole.is_empty().then_some(whole.end());
        }
        out.push_str(&metric[last..]);
        out
    }
}

/// Parses a Python `re.sub` replacement (`re._parser.parse_template`): `\g<n>`, `\g<name>`,
/// `\n` group numbers (one or two digits; `\0` and three digits are octal escapes), the
/// character escapes `\a \b \f \n \r \t \v \\`; any other ASCII letter after `\` is an error,
/// any other character keeps its backslash.
fn parse_template(s: &str, regex: &regex::Regex) -> std::result::Result<Vec<Piece>, String> {
    let groups = regex.captures_len() - 1;
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    let push = |pieces: &mut Vec<Piece>, text: &mut String, p: Piece| {
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(text)));
        }
        pieces.push(p);
    };
    let group = |n: usize| {
        if n > groups {
            Err(format!("invalid group reference {n}"))
        } else {
            Ok(Piece::Group(n))
        }
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            return Err("bad escape (end of pattern)".into());
        };
        match e {
            'g' => {
                if chars.next() != Some('<') {
                    return Err("missing <".into());
                }
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('>') => break,
                        Some(c) => name.push(c),
                        None => return Err("missing >, unterminated name".into()),
                    }
                }
                let piece = if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
                    group(name.parse().map_err(|_| format!("bad group {name}"))?)?
                } else if regex.capture_names().flatten().any(|n| n == name) {
                    Piece::Named(name)
                } else {
                    return Err(format!("unknown group name '{name}'"));
                };
                push(&mut pieces, &mut text, piece);
            }
            '0' => {
                let mut value = 0u32;
                for _ in 0..2 {
                    match chars.peek() {
                        Some(d @ '0'..='7') => {
                            value = value * 8 + d.to_digit(8).expect("octal digit");
                            chars.next();
                        }
                        _ => break,
                    }
                }
                text.push(char::from_u32(value).expect("below 0o100"));
            }
            '1'..='9' => {
                let mut digits = String::from(e);
                if let Some(d @ '0'..='9') = chars.peek().copied() {
                    digits.push(d);
                    chars.next();
                    // Three octal digits are an octal escape.
                    if let Some(o @ '0'..='7') = chars.peek().copied() {
                        if digits.chars().all(|c| c <= '7') {
                            chars.next();
                            digits.push(o);
                            let value = u32::from_str_radix(&digits, 8).expect("octal");
                            if value > 0o377 {
                                return Err(format!(
                                    "octal escape value \\{digits} outside of range 0-0o377"
                                ));
                            }
                            text.push(char::from_u32(value).expect("below 0o400"));
                            continue;
                        }
                    }
                }
                let piece = group(digits.parse().expect("digits"))?;
                push(&mut pieces, &mut text, piece);
            }
            'a' => text.push('\x07'),
            'b' => text.push('\x08'),
            'f' => text.push('\x0c'),
            'n' => text.push('\n'),
            'r' => text.push('\r'),
            't' => text.push('\t'),
            'v' => text.push('\x0b'),
            '\\' => text.push('\\'),
            c if c.is_ascii_alphabetic() => return Err(format!("bad escape \\{c}")),
            c => {
                text.push('\\');
                text.push(c);
            }
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(p: &str, r: &str) -> RewriteRule {
        RewriteRule::new(p, r).unwrap()
    }

    #[test]
    fn sections_rules_and_order() {
        let rules = RewriteRules::parse(
            "x = never\n# comment\n  # indented comment\n[PRE]\n^collectd\\. = \n\
             \\.cpu-(\\d+)\\. = .cpu\\1.\n[post]\n_sum$ = \n[pre]\n^a = b\n",
        );
        // The second [pre] replaced the first one's rules.
        assert_eq!(rules.section("pre").len(), 1);
        assert_eq!(rules.apply("pre", "a.a"), "b.a");
        assert_eq!(rules.apply("post", "x.y_sum"), "x.y");
        assert!(rules.section("none").is_empty());
        assert!(rules.messages.is_empty(), "{:?}", rules.messages);
    }

    #[test]
    fn rules_apply_in_sequence() {
        let rules = RewriteRules::parse(
            "[pre]\n^collectd\\. = \n\\.cpu-(\\d+)\\. = .cpu\\1.\nidle = free\n",
        );
        assert_eq!(
            rules.apply("pre", "collectd.host.cpu-0.idle"),
            "host.cpu0.free"
        );
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let rules = RewriteRules::parse("[pre]\n(unclosed = x\nno rule here\na = \\q\nb = c\n");
        assert_eq!(rules.section("pre").len(), 1);
        assert_eq!(rules.messages.len(), 3, "{:?}", rules.messages);
        assert_eq!(
            rules.messages[0],
            "Invalid regular expression in rewrite rule: '(unclosed'"
        );
        assert_eq!(
            rules.messages[1],
            "Invalid syntax: not a section heading or rule: 'no rule here'"
        );
    }

    #[test]
    fn replacement_templates() {
        assert_eq!(rule("(a)(b)?", "\\2\\1").apply("ac"), "ac");
        assert_eq!(
            rule("(?P<x>a)", "<\\g<x>\\g<1>\\g<0>>").apply("ba"),
            "b<aaa>"
        );
        assert_eq!(rule("a", "\\t\\\\\\.").apply("a"), "\t\\\\.");
        assert_eq!(rule("a", "\\101").apply("a"), "A");
        assert_eq!(rule("a", "\\0").apply("a"), "\0");
        assert_eq!(rule("a", "$1 $$").apply("a"), "$1 $$");
        assert!(RewriteRule::new("(a)", "\\2").is_err());
        assert!(RewriteRule::new("a", "\\g<nope>").is_err());
        assert!(RewriteRule::new("a", "x\\").is_err());
    }

    #[test]
    fn empty_matches_as_python_3_7() {
        assert_eq!(rule("x*", "-").apply("abxd"), "-a-b--d-");
        assert_eq!(rule("(o)(z)?", "[\\2\\1]").apply("foo"), "f[o][o]");
    }

    #[test]
    fn a_missing_file_has_no_rules() {
        let dir = tempfile::tempdir().unwrap();
        let rules = RewriteRules::load(&dir.path().join("rewrite-rules.conf")).unwrap();
        assert!(rules.sections.is_empty());
    }
}
