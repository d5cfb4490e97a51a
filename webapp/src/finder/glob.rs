//! One node of a path expression: Python's `fnmatch` (as `fnmatch.translate` compiles it) and
//! graphite's brace expansion (`finders.expand_braces`).
//!
//! [`Glob`] follows CPython 3.11's `fnmatch.translate` exactly, quirks included: `*` matches any
//! run of characters (a leading `.` is not special), `?` one character, `[abc]`, `[a-z]` and
//! `[!x]` one character of (or not of) a set, an unclosed `[` is a literal, `[^x]` is a set of
//! `^` and `x`, reversed ranges are dropped the way `translate` drops them (`[z-a]` matches
//! nothing, `[!z-a]` any character), and there is no escaping (a `\` is an ordinary character).
//! Matching is case-sensitive and over Unicode scalar values, as on POSIX.

use std::collections::BTreeSet;

/// A set of characters from a `[...]` item.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    negated: bool,
    singles: Vec<char>,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn contains(&self, c: char) -> bool {
        let hit =
            self.singles.contains(&c) || self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
        hit != self.negated
    }
}

/// One compiled element of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// One literal character.
    Lit(char),
    /// `?`, or a negated empty set: any one character.
    Any,
    /// `[...]`.
    Class(Class),
    /// An empty set (`[z-a]`): matches nothing.
    Never,
    /// `*` (consecutive stars are one).
    Star,
}

impl Token {
    fn matches(&self, c: char) -> bool {
        match self {
            Token::Lit(l) => *l == c,
            Token::Any => true,
            Token::Class(class) => class.contains(c),
            Token::Never | Token::Star => false,
        }
    }
}

/// A compiled `fnmatch` pattern for one node name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<Token>,
    /// The literal characters the pattern starts with (every name it matches starts with them).
    prefix: String,
    /// The whole pattern when it is only literal characters.
    literal: Option<String>,
    /// When the pattern is literal text and stars only (the common `*`, and `*.*` the finder
    /// matches file names with), the literal runs between the stars: matched with substring
    /// searches instead of character by character.
    star_segments: Option<Vec<String>>,
}

impl Glob {
    /// Compiles `pattern` as `fnmatch.translate` does.
    pub fn new(pattern: &str) -> Self {
        let tokens = translate(pattern);
        let prefix: String = tokens
            .iter()
            .map_while(|t| match t {
                Token::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        let prefix_len = prefix.chars().count();
        let literal = (prefix_len == tokens.len()).then(|| prefix.clone());
        let literal_and_stars = tokens
            .iter()
            .all(|t| matches!(t, Token::Lit(_) | Token::Star));
        let star_segments = (literal.is_none() && literal_and_stars).then(|| {
            let mut segments = vec![String::new()];
            for t in &tokens {
                match t {
                    Token::Lit(c) => segments.last_mut().expect("one segment").push(*c),
                    _ => segments.push(String::new()),
                }
            }
            segments
        });
        Self {
            tokens,
            prefix,
            literal,
            star_segments,
        }
    }

    /// Whether `name` matches (`fnmatch.fnmatchcase(name, pattern)`).
    pub fn is_match(&self, name: &str) -> bool {
        if let Some(lit) = &self.literal {
            return lit == name;
        }
        if !self.prefix.is_empty() && !name.starts_with(self.prefix.as_str()) {
            return false;
        }
        if let Some(segments) = &self.star_segments {
            return match_star_segments(segments, name);
        }
        match_tokens(&self.tokens, name)
    }

    /// The literal text every match starts with (empty when the pattern starts with a
    /// wildcard); lets a caller narrow a sorted list before matching.
    pub fn literal_prefix(&self) -> &str {
        &self.prefix
    }

    /// The pattern's text when it has no wildcard at all (`fnmatch` then means equality).
    pub fn as_literal(&self) -> Option<&str> {
        self.literal.as_deref()
    }
}

/// `first*mid*...*last` (at least one star): the ends must match where they are, and each
/// middle run is taken at its leftmost place after the previous one (with only literal runs
/// between stars, the leftmost choice never loses a match).
fn match_star_segments(segments: &[String], name: &str) -> bool {
    let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
        return false;
    };
    // (Empty ends are skipped: even an empty comparison calls memcmp, which dominated finds
    // over many names.)
    if name.len() < first.len() + last.len()
        || (!first.is_empty() && !name.starts_with(first.as_str()))
        || (!last.is_empty() && !name.ends_with(last.as_str()))
    {
        return false;
    }
    let end = name.len() - last.len();
    let mut pos = first.len();
    for mid in &segments[1..segments.len() - 1] {
        let found = match mid.as_bytes() {
            // One character (the `.` of `*.*`): a byte search, not a substring searcher.
            [b] if b.is_ascii() => name.as_bytes()[pos..end].iter().position(|c| c == b),
            _ => name[pos..end].find(mid.as_str()),
        };
        match found {
            Some(i) => pos += i + mid.len(),
            None => return false,
        }
    }
    true
}

/// The classic wildcard match: advance on single-character tokens, remember the last `*` and
/// retry from one character further on a mismatch. For patterns whose pieces between stars
/// are all one character wide this gives the same answer as Python's regex with its atomic
/// `(?>.*?fixed)` groups.
fn match_tokens(tokens: &[Token], s: &str) -> bool {
    let bytes_len = s.len();
    let mut ti = 0usize;
    let mut si = 0usize;
    // (token index after the star, string index the star's run currently ends at)
    let mut star: Option<(usize, usize)> = None;
    loop {
        if ti < tokens.len() {
            if tokens[ti] == Token::Star {
                star = Some((ti + 1, si));
                ti += 1;
                continue;
            }
            if let Some(c) = s[si..].chars().next() {
                if tokens[ti].matches(c) {
                    ti += 1;
                    si += c.len_utf8();
                    continue;
                }
            }
        } else if si == bytes_len {
            return true;
        }
        match star {
            Some((after, end)) if end < bytes_len => {
                let c = s[end..].chars().next().expect("in bounds");
                let next = end + c.len_utf8();
                star = Some((after, next));
                ti = after;
                si = next;
            }
            _ => return false,
        }
    }
}

/// `fnmatch.translate`, producing tokens instead of a regex.
fn translate(pat: &str) -> Vec<Token> {
    let p: Vec<char> = pat.chars().collect();
    let n = p.len();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0usize;
    while i < n {
        let c = p[i];
        i += 1;
        match c {
            '*' => {
                if out.last() != Some(&Token::Star) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::Any),
            '[' => {
                let mut j = i;
                if j < n && p[j] == '!' {
                    j += 1;
                }
                if j < n && p[j] == ']' {
                    j += 1;
                }
                while j < n && p[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    out.push(Token::Lit('['));
                } else {
                    out.push(class_token(&p, i, j));
                    i = j + 1;
                }
            }
            c => out.push(Token::Lit(c)),
        }
    }
    out
}

/// The token for the set `p[i..j]` (between `[` and `]`), following `translate`'s handling of
/// ranges: split at the range dashes into chunks, drop reversed ranges, then read the chunks
/// the way Python's regex parser reads the resulting set.
fn class_token(p: &[char], start: usize, j: usize) -> Token {
    let stuff = &p[start..j];
    let chunks: Vec<Vec<char>> = if !stuff.contains(&'-') {
        vec![stuff.to_vec()]
    } else {
        let mut chunks: Vec<Vec<char>> = Vec::new();
        let mut i = start;
        let mut k = if p[i] == '!' { i + 2 } else { i + 1 };
        loop {
            // pat.find('-', k, j)
            let found = (k..j).find(|&x| p[x] == '-');
            let Some(dash) = found else { break };
            chunks.push(p[i..dash].to_vec());
            i = dash + 1;
            k = dash + 3;
        }
        let chunk = if i < j { p[i..j].to_vec() } else { Vec::new() };
        if chunk.is_empty() {
            if let Some(last) = chunks.last_mut() {
                last.push('-');
            }
        } else {
            chunks.push(chunk);
        }
        // Remove empty ranges (the ones whose start is after their end).
        let mut k = chunks.len().saturating_sub(1);
        while k > 0 {
            let prev_last = chunks[k - 1].last().copied();
            let next_first = chunks[k].first().copied();
            if let (Some(a), Some(b)) = (prev_last, next_first) {
                if a > b {
                    let mut merged = chunks[k - 1].clone();
                    merged.pop();
                    merged.extend_from_slice(&chunks[k][1..]);
                    chunks[k - 1] = merged;
                    chunks.remove(k);
                }
            }
            k -= 1;
        }
        chunks
    };
    // The joined set text is empty: never matches; exactly "!": any character.
    let total: usize = chunks.iter().map(Vec::len).sum::<usize>() + chunks.len() - 1;
    if total == 0 {
        return Token::Never;
    }
    if total == 1 && chunks.len() == 1 && chunks[0][0] == '!' {
        return Token::Any;
    }
    let mut chunks = chunks;
    let negated = chunks[0].first() == Some(&'!');
    if negated {
        chunks[0].remove(0);
    }
    let mut singles = Vec::new();
    let mut ranges = Vec::new();
    let last = chunks.len() - 1;
    for (m, chunk) in chunks.iter().enumerate() {
        let lo = usize::from(m > 0);
        let hi = if m < last {
            chunk.len().saturating_sub(1)
        } else {
            chunk.len()
        };
        if lo < hi {
            singles.extend_from_slice(&chunk[lo..hi]);
        }
        if m < last {
            if let (Some(&a), Some(&b)) = (chunk.last(), chunks[m + 1].first()) {
                ranges.push((a, b));
            }
        }
    }
    Token::Class(Class {
        negated,
        singles,
        ranges,
    })
}

/// Whether a (brace-expanded) node pattern is a wildcard for `StandardFinder`: it contains
/// `[`, `*` or `?`. Anything else is looked up by name.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['[', '*', '?'])
}

/// Why a brace expansion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("brace expansion yields more than {limit} variants")]
pub struct TooManyVariants {
    /// The limit that was exceeded.
    pub limit: usize,
}

/// The most variants one node's brace expansion may yield.
pub const MAX_VARIANTS: usize = 100_000;

/// `expand_braces`: repeatedly replaces the first innermost `{a,b,...}` (a `{` whose next brace
/// is a `}`) by each of its comma-separated parts, so `{a,{b,c}}x` yields `ax`, `bx`, `cx`.
/// Unbalanced braces stay literal. The variants come back sorted and without duplicates (the
/// reference returns them as an unordered set).
pub fn expand_braces(s: &str) -> Result<Vec<String>, TooManyVariants> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = vec![s.to_owned()];
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    while let Some(cur) = todo.pop() {
        match innermost_group(&cur) {
            None => {
                done.insert(cur);
                if done.len() > MAX_VARIANTS {
                    return Err(TooManyVariants {
                        limit: MAX_VARIANTS,
                    });
                }
            }
            Some((open, close)) => {
                for part in cur[open + 1..close].split(',') {
                    let next = format!("{}{}{}", &cur[..open], part, &cur[close + 1..]);
                    if seen.insert(next.clone()) {
                        if seen.len() > 4 * MAX_VARIANTS {
                            return Err(TooManyVariants {
                                limit: MAX_VARIANTS,
                            });
                        }
                        todo.push(next);
                    }
                }
            }
        }
    }
    Ok(done.into_iter().collect())
}

/// The byte offsets of the `{` and `}` of the leftmost match of `\{[^{}]*\}`.
fn innermost_group(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    let mut open: Option<usize> = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'{' => open = Some(i),
            b'}' => {
                if let Some(o) = open {
                    return Some((o, i));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Glob::new(p).is_match(s)
    }

    #[test]
    fn basics() {
        assert!(m("*", ""));
        assert!(m("*", ".hidden"));
        assert!(m("a*", "abc"));
        assert!(!m("a*", "bac"));
        assert!(m("*c", "abc"));
        assert!(m("a*c*e", "abcde"));
        assert!(!m("a*c*e", "abcdef"));
        assert!(m("?", "é"));
        assert!(!m("?", ""));
        assert!(m("a?c", "abc"));
        assert!(m("[abc]", "b"));
        assert!(!m("[abc]", "d"));
        assert!(m("[a-c]x", "bx"));
        assert!(m("[!a-c]", "d"));
        assert!(!m("[!a-c]", "a"));
        assert!(m("[", "["));
        assert!(m("a[b", "a[b"));
        assert!(m("[]]", "]"));
        assert!(m("[!]]", "a"));
        assert!(!m("[!]]", "]"));
        assert!(m("[^a]", "^"));
        assert!(!m("[z-a]", "z"));
        assert!(!m("[z-a]", "-"));
        assert!(m("[!z-a]", "q"));
        assert!(m("[a-]", "-"));
        assert!(m("[-a]", "-"));
        assert!(m("[a--b]", "b"));
        assert!(!m("[a--b]", "a"));
        assert!(m("[a-c-e]", "-"));
        assert!(m("[a-c-e]", "e"));
        assert!(!m("[a-c-e]", "d"));
        assert!(m("[a-xb-a]", "q"));
        assert!(m("[b-a!x]", "y"));
        assert!(!m("[b-a!x]", "x"));
        assert!(m("\\", "\\"));
        assert!(m("*.*", "cpu.wsp"));
        assert!(!m("*.*", "cpu"));
    }

    #[test]
    fn prefix_and_literal() {
        assert_eq!(Glob::new("cpu*").literal_prefix(), "cpu");
        assert_eq!(Glob::new("cpu").as_literal(), Some("cpu"));
        assert_eq!(Glob::new("c?u").as_literal(), None);
        assert_eq!(Glob::new("[ab").as_literal(), Some("[ab"));
    }

    #[test]
    fn braces() {
        let e = |s: &str| expand_braces(s).unwrap();
        assert_eq!(e("a"), vec!["a"]);
        assert_eq!(e("{a,b}c"), vec!["ac", "bc"]);
        assert_eq!(e("{a,{b,c}}"), vec!["a", "b", "c"]);
        assert_eq!(e("{a,b}{c,d}"), vec!["ac", "ad", "bc", "bd"]);
        assert_eq!(e("{,x}y"), vec!["xy", "y"]);
        assert_eq!(e("{a,b"), vec!["{a,b"]);
        assert_eq!(e("a}{b,c}"), vec!["a}b", "a}c"]);
        assert_eq!(e("{a,a}"), vec!["a"]);
        assert_eq!(e("{}"), vec![""]);
        assert!(expand_braces(&"{a,b,c,d,e,f,g,h,i,j}".repeat(6)).is_err());
    }
}
