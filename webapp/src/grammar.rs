//! The target expression grammar of graphite-web (`render/grammar_unsafe.py`), parsed into an
//! [`Expr`] tree the way `render/evaluator.py` reads pyparsing's result.
//!
//! ```text
//! target      := expression
//! expression  := (template | call | path) ( '|' call )*        x|f(a)|g() == g(f(x, a))
//! call        := name '(' [ arg (',' arg)* [ ',' kwarg (',' kwarg)* ] ] ')'
//! kwarg       := name '=' arg
//! arg         := true | false | number | none | string | inf | expression   (in this order)
//! template    := 'template' '(' (call | path) [ ',' (literals | name=literal, ...) ] ')'
//! path        := element ('.' element)*     element := (partial | '{' partial (',' partial)* '}')+
//! partial     := ( '\' symbol | metric characters )+
//! ```
//! Keywords are case-insensitive; numbers are `-?\d+`, `-?\d+\.\d+` or either with an exponent
//! (then a float), and only count as numbers when followed by `,`, `)` or the end of a line;
//! strings keep their backslashes (only the outer quotes go). Metric characters are every
//! printable character except `(){},.'"\|` (UTF-8 included, as with `UTF8_METRICS=True`).
//! Whitespace is allowed between tokens but not inside a path; tabs are expanded to 8 columns
//! first, as pyparsing does.
//!
//! # Deliberate deviation
//! The reference parses without `parseAll`: text after a valid prefix is ignored, and a call that
//! does not parse degrades into the bare path of its name (`sumSeries(a.b` is the path
//! `sumSeries`, which matches nothing). Here both are a [`ParseError`] naming the position and
//! what was expected there. Every target the reference parses completely gives the same tree.
//! Calls (piped calls included) nested more than [`MAX_NESTING`] levels deep are an error too;
//! the reference fails with a Python `RecursionError` well before that.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::attime::pyunicode;

/// A parsed target expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A path expression with escapes resolved (`a\(b` is `a(b`); braces and globs are kept as
    /// written.
    Path(String),
    /// A function call (piped calls are desugared into nested calls).
    Call(Call),
    /// `template(expr, ...)`.
    Template(Template),
    /// `true` / `false`.
    Bool(bool),
    /// An integer literal that fits an `i64`.
    Int(i64),
    /// A float literal, a scientific literal, `inf`, or an integer too large for `i64`.
    Float(f64),
    /// A string literal without its quotes; backslashes are kept as written.
    Str(String),
    /// `none`.
    None,
}

/// A function call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The function name.
    pub name: String,
    /// Positional arguments; for a piped call the piped expression comes first.
    pub args: Vec<Expr>,
    /// Keyword arguments in the order written (duplicates kept; the reference keeps the last).
    pub kwargs: Vec<(String, Expr)>,
    /// The call's text as written, from its name to its `)` (for a piped call, without the
    /// piped expression): the path expression of `seriesByTag(...)`.
    pub source: String,
}

/// `template(inner, args...)` or `template(inner, name=value, ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The templated expression: a path or a call.
    pub inner: Box<Expr>,
    /// Positional values (numbers or strings), bound to `$1`, `$2`, ...
    pub args: Vec<Expr>,
    /// Named values (numbers or strings), bound to `$name`.
    pub kwargs: Vec<(String, Expr)>,
}

/// Why a target did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 0-based character offset in the target where the problem is.
    pub position: usize,
    /// What was expected there and what was found.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid target at position {}: {}",
            self.position, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// Calls nested deeper than this are rejected (the reference overflows Python's recursion limit
/// at about 35 levels).
pub const MAX_NESTING: usize = 64;

/// Parses one target.
pub fn parse_target(s: &str) -> Result<Expr, ParseError> {
    parser::parse(s)
}

/// The path expressions the reference prefetches for a target (`extractPathExpressions`): paths
/// in positional arguments (keyword arguments are not fetched), the source text of
/// `seriesByTag(...)` calls, template bodies without substitution; first-seen order, no
/// duplicates. (For `x|seriesByTag(...)` the reference also prefetches `x`, which it never uses.)
pub fn path_expressions(expr: &Expr) -> Vec<String> {
    fn walk<'a>(expr: &'a Expr, seen: &mut HashSet<&'a str>, out: &mut Vec<String>) {
        let mut add = |p: &'a String| {
            if seen.insert(p) {
                out.push(p.clone());
            }
        };
        match expr {
            Expr::Path(p) => add(p),
            Expr::Call(call) if call.name == "seriesByTag" => add(&call.source),
            Expr::Call(call) => call.args.iter().for_each(|a| walk(a, seen, out)),
            Expr::Template(t) => walk(&t.inner, seen, out),
            Expr::Bool(_) | Expr::Int(_) | Expr::Float(_) | Expr::Str(_) | Expr::None => {}
        }
    }
    let mut out = Vec::new();
    walk(expr, &mut HashSet::new(), &mut out);
    out
}

mod parser {
    use super::*;

    /// What the parser looked for at the furthest position it reached.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Expect {
        Char(char),
        FuncName,
        KwargName,
        PathNode,
        /// More characters of a path that could have continued.
        PathMore,
        Digit,
        ClosingQuote(char),
        Argument,
        End,
    }

    /// Labels that describe the start of one alternative of `arg`; replaced by `Argument`.
    fn is_arg_start(e: Expect) -> bool {
        matches!(
            e,
            Expect::FuncName | Expect::PathNode | Expect::Digit | Expect::KwargName
        )
    }

    struct Parser {
        s: Vec<char>,
        /// For tab-expanded input: the original character index of each character of `s`.
        original: Option<Vec<usize>>,
        furthest: usize,
        expected: Vec<Expect>,
        depth: usize,
        fatal: Option<ParseError>,
        /// Where a keyword argument value (`true`, `none`, ...) was directly followed by a
        /// path character (`true.x`), for a hint.
        keyword_then_path: Option<usize>,
        calls: HashMap<usize, Option<(Call, usize)>>,
        kwargs: HashMap<usize, Option<(String, Expr, usize)>>,
    }

    pub(super) fn parse(input: &str) -> Result<Expr, ParseError> {
        let (s, original) = expand_tabs(input);
        let mut p = Parser {
            s,
            original,
            furthest: 0,
            expected: Vec::new(),
            depth: 0,
            fatal: None,
            keyword_then_path: None,
            calls: HashMap::new(),
            kwargs: HashMap::new(),
        };
        if pyunicode::strip(input).is_empty() {
            return Err(ParseError {
                position: 0,
                message: "empty target".into(),
            });
        }
        let result = p.expression(0);
        if let Some(err) = p.fatal.take() {
            return Err(err);
        }
        if let Some((expr, end)) = result {
            let q = p.ws(end);
            if q == p.s.len() {
                return Ok(expr);
            }
            p.fail(q, Expect::End);
        }
        Err(p.error())
    }

    /// Python's `str.expandtabs()` (pyparsing's `parseString` applies it), with the map back to
    /// the original positions when anything changed.
    fn expand_tabs(input: &str) -> (Vec<char>, Option<Vec<usize>>) {
        if !input.contains('\t') {
            return (input.chars().collect(), None);
        }
        let mut out = Vec::with_capacity(input.len());
        let mut original = Vec::with_capacity(input.len());
        let mut column = 0usize;
        for (i, c) in input.chars().enumerate() {
            match c {
                '\t' => {
                    let spaces = 8 - column % 8;
                    for _ in 0..spaces {
                        out.push(' ');
                        original.push(i);
                    }
                    column += spaces;
                }
                '\n' | '\r' => {
                    out.push(c);
                    original.push(i);
                    column = 0;
                }
                _ => {
                    out.push(c);
                    original.push(i);
                    column += 1;
                }
            }
        }
        (out, Some(original))
    }

    /// How many calls and templates are nested in `expr` (0 for a path or a literal). The parser
    /// keeps trees within [`MAX_NESTING`], so this recursion is bounded.
    fn call_height(expr: &Expr) -> usize {
        match expr {
            Expr::Call(c) => {
                let args = c.args.iter().chain(c.kwargs.iter().map(|(_, v)| v));
                1 + args.map(call_height).max().unwrap_or(0)
            }
            Expr::Template(t) => 1 + call_height(&t.inner),
            _ => 0,
        }
    }

    fn is_metric_char(c: char) -> bool {
        c >= ' ' && !pyunicode::is_space(c) && !"(){},.'\"\\|".contains(c)
    }

    /// A character quoted for a message: `'c'`, `"'"`, or escaped when invisible.
    fn quote_char(c: char) -> String {
        match c {
            '\'' => "\"'\"".into(),
            c if c.is_control() || c.is_whitespace() => format!("'{}'", c.escape_default()),
            c => format!("'{c}'"),
        }
    }

    fn is_escapable(c: char) -> bool {
        "(){},.'\"\\|=".contains(c)
    }

    /// pyparsing's keyword characters (`alphanums + "_$"`), compared upper-cased.
    fn is_keyword_char(c: char) -> bool {
        let mut upper = c.to_uppercase();
        match (upper.next(), upper.next()) {
            (Some(u), None) => u.is_ascii_alphanumeric() || u == '_' || u == '$',
            _ => false,
        }
    }

    impl Parser {
        fn at(&self, i: usize) -> Option<char> {
            self.s.get(i).copied()
        }

        /// Skips pyparsing's default whitespace.
        fn ws(&self, mut i: usize) -> usize {
            while matches!(self.at(i), Some(' ' | '\t' | '\n' | '\r')) {
                i += 1;
            }
            i
        }

        fn fail(&mut self, pos: usize, e: Expect) {
            if pos > self.furthest {
                self.furthest = pos;
                self.expected.clear();
            }
            if pos == self.furthest && !self.expected.contains(&e) {
                self.expected.push(e);
            }
        }

        fn text(&self, from: usize, to: usize) -> String {
            self.s[from..to].iter().collect()
        }

        // --- expressions -----------------------------------------------------------------

        fn expression(&mut self, p: usize) -> Option<(Expr, usize)> {
            let (mut expr, mut end) = self.head(p)?;
            let mut height = None;
            loop {
                let q = self.ws(end);
                if self.at(q) != Some('|') {
                    self.fail(q, Expect::Char('|'));
                    break;
                }
                let Some((mut call, e)) = self.call(q + 1) else {
                    break;
                };
                // Each pipe nests what came before one level deeper.
                let h = height.unwrap_or_else(|| call_height(&expr)) + 1;
                if self.depth + h > MAX_NESTING {
                    self.fatal = Some(ParseError {
                        position: self.original_position(self.ws(q + 1)),
                        message: format!(
                            "calls are nested more than {MAX_NESTING} levels deep (counting \
                             each piped call as one level)"
                        ),
                    });
                    return None;
                }
                height = Some(h);
                call.args.insert(0, expr);
                expr = Expr::Call(call);
                end = e;
            }
            Some((expr, end))
        }

        fn head(&mut self, p: usize) -> Option<(Expr, usize)> {
            if let Some(r) = self.template(p) {
                return Some(r);
            }
            if self.fatal.is_some() {
                return None;
            }
            if let Some((call, e)) = self.call(p) {
                return Some((Expr::Call(call), e));
            }
            if self.fatal.is_some() {
                return None;
            }
            self.path(p).map(|(s, e)| (Expr::Path(s), e))
        }

        /// `'template' '(' (call | path) [',' (litargs | litkwargs)] ')'`; a failure here is
        /// not final (the text is tried again as a call named `template`).
        fn template(&mut self, p: usize) -> Option<(Expr, usize)> {
            let q = self.ws(p);
            if !self.s[q..].starts_with(&['t', 'e', 'm', 'p', 'l', 'a', 't', 'e']) {
                return None;
            }
            let q = self.ws(q + 8);
            if self.at(q) != Some('(') {
                return None;
            }
            let (inner, mut end) = if let Some((call, e)) = self.call(q + 1) {
                (Expr::Call(call), e)
            } else if self.fatal.is_some() {
                return None;
            } else {
                let (path, e) = self.path(q + 1)?;
                (Expr::Path(path), e)
            };
            let mut args = Vec::new();
            let mut kwargs = Vec::new();
            let q = self.ws(end);
            if self.at(q) == Some(',') {
                if let Some(e) = self.literals(q + 1, &mut args, &mut kwargs) {
                    end = e;
                }
            }
            let q = self.ws(end);
            if self.at(q) != Some(')') {
                return None;
            }
            let template = Template {
                inner: Box::new(inner),
                args,
                kwargs,
            };
            Some((Expr::Template(template), q + 1))
        }

        /// `litargs | litkwargs`: all positional or all named numbers/strings.
        fn literals(
            &mut self,
            r: usize,
            args: &mut Vec<Expr>,
            kwargs: &mut Vec<(String, Expr)>,
        ) -> Option<usize> {
            if self.lit_kwarg(r).is_none() {
                if let Some((first, mut end)) = self.literal(r) {
                    args.push(first);
                    loop {
                        let q = self.ws(end);
                        if self.at(q) != Some(',') || self.lit_kwarg(q + 1).is_some() {
                            break;
                        }
                        let Some((value, e)) = self.literal(q + 1) else {
                            break;
                        };
                        args.push(value);
                        end = e;
                    }
                    return Some(end);
                }
            }
            let (name, value, mut end) = self.lit_kwarg(r)?;
            kwargs.push((name, value));
            loop {
                let q = self.ws(end);
                if self.at(q) != Some(',') {
                    break;
                }
                let Some((name, value, e)) = self.lit_kwarg(q + 1) else {
                    break;
                };
                kwargs.push((name, value));
                end = e;
            }
            Some(end)
        }

        fn lit_kwarg(&mut self, p: usize) -> Option<(String, Expr, usize)> {
            let q = self.ws(p);
            let (name, e) = self.identifier(q)?;
            let q = self.ws(e);
            if self.at(q) != Some('=') {
                return None;
            }
            let (value, e) = self.literal(q + 1)?;
            Some((name, value, e))
        }

        fn literal(&mut self, p: usize) -> Option<(Expr, usize)> {
            let q = self.ws(p);
            self.number(q).or_else(|| self.string(q))
        }

        // --- calls -----------------------------------------------------------------------

        fn call(&mut self, p: usize) -> Option<(Call, usize)> {
            if let Some(memo) = self.calls.get(&p) {
                return memo.clone();
            }
            let result = self.call_uncached(p);
            if self.fatal.is_none() {
                self.calls.insert(p, result.clone());
            }
            result
        }

        fn call_uncached(&mut self, p: usize) -> Option<(Call, usize)> {
            if self.fatal.is_some() {
                return None;
            }
            let start = self.ws(p);
            let Some((name, e)) = self.identifier(start) else {
                self.fail(start, Expect::FuncName);
                return None;
            };
            let q = self.ws(e);
            if self.at(q) != Some('(') {
                self.fail(q, Expect::Char('('));
                return None;
            }
            if self.depth >= MAX_NESTING {
                self.fatal = Some(ParseError {
                    position: self.original_position(start),
                    message: format!("calls are nested more than {MAX_NESTING} levels deep"),
                });
                return None;
            }
            // Once `name(` is read, a failure cannot lead to a complete parse (the reference
            // falls back to the path `name`, followed by `(`), so it is reported at once, from
            // the furthest point reached. Except for `template(`: a call attempted as the body
            // of a template may still parse as a template once the outer template fails.
            let soft = name == "template";
            self.depth += 1;
            let body = self.call_body(q + 1, soft);
            self.depth -= 1;
            if self.fatal.is_some() {
                return None;
            }
            let Some((args, kwargs, end)) = body else {
                if !soft {
                    self.fatal = Some(self.error());
                }
                return None;
            };
            let source = self.text(start, end);
            Some((
                Call {
                    name,
                    args,
                    kwargs,
                    source,
                },
                end,
            ))
        }

        /// `[args [',' kwargs]] ')'`, positional arguments first.
        #[allow(clippy::type_complexity)]
        fn call_body(
            &mut self,
            r: usize,
            soft: bool,
        ) -> Option<(Vec<Expr>, Vec<(String, Expr)>, usize)> {
            let mut args = Vec::new();
            let mut kwargs = Vec::new();
            let mut end = r;
            if self.kwarg(r).is_none() && self.fatal.is_none() {
                if let Some((first, e)) = self.arg(r) {
                    args.push(first);
                    end = e;
                    loop {
                        let q = self.ws(end);
                        if self.at(q) != Some(',') {
                            self.fail(q, Expect::Char(','));
                            break;
                        }
                        if self.kwarg(q + 1).is_some() || self.fatal.is_some() {
                            break;
                        }
                        let Some((value, e)) = self.arg(q + 1) else {
                            break;
                        };
                        args.push(value);
                        end = e;
                    }
                    let q = self.ws(end);
                    if self.at(q) == Some(',') && self.fatal.is_none() {
                        if let Some((name, value, e)) = self.kwarg(q + 1) {
                            kwargs.push((name, value));
                            end = e;
                            loop {
                                let q = self.ws(end);
                                if self.at(q) != Some(',') {
                                    self.fail(q, Expect::Char(','));
                                    break;
                                }
                                let Some((name, value, e)) = self.kwarg(q + 1) else {
                                    let k = self.ws(q + 1);
                                    self.fail(k, Expect::KwargName);
                                    break;
                                };
                                kwargs.push((name, value));
                                end = e;
                            }
                        }
                    }
                }
            } else if soft {
                let q = self.ws(r);
                self.fail(q, Expect::Char(')'));
                return None;
            } else if self.fatal.is_none() {
                let name = self.kwarg(r).map(|k| k.0).unwrap_or_default();
                let position = self.original_position(self.ws(r));
                self.fatal = Some(ParseError {
                    position,
                    message: format!(
                        "keyword argument '{name}' comes first: a call needs at least one \
                         positional argument before its keyword arguments"
                    ),
                });
            }
            if self.fatal.is_some() {
                return None;
            }
            let q = self.ws(end);
            if self.at(q) != Some(')') {
                self.fail(q, Expect::Char(')'));
                return None;
            }
            Some((args, kwargs, q + 1))
        }

        fn kwarg(&mut self, p: usize) -> Option<(String, Expr, usize)> {
            if let Some(memo) = self.kwargs.get(&p) {
                return memo.clone();
            }
            let result = self.kwarg_uncached(p);
            if self.fatal.is_none() {
                self.kwargs.insert(p, result.clone());
            }
            result
        }

        fn kwarg_uncached(&mut self, p: usize) -> Option<(String, Expr, usize)> {
            let q = self.ws(p);
            let (name, e) = self.identifier(q)?;
            let q = self.ws(e);
            if self.at(q) != Some('=') {
                self.fail(q, Expect::Char('='));
                return None;
            }
            let (value, e) = self.arg(q + 1)?;
            Some((name, value, e))
        }

        /// `true | false | number | none | string | inf | expression`, in that order.
        fn arg(&mut self, p: usize) -> Option<(Expr, usize)> {
            let q = self.ws(p);
            let keyword = |this: &mut Self, word: &str, value: Expr| {
                let end = this.keyword(q, word)?;
                if this.at(end).is_some_and(|c| is_metric_char(c) || c == '.') {
                    this.keyword_then_path = Some(end);
                }
                Some((value, end))
            };
            if let Some(r) = keyword(self, "TRUE", Expr::Bool(true))
                .or_else(|| keyword(self, "FALSE", Expr::Bool(false)))
                .or_else(|| self.number(q))
                .or_else(|| keyword(self, "NONE", Expr::None))
                .or_else(|| self.string(q))
                .or_else(|| keyword(self, "INF", Expr::Float(f64::INFINITY)))
            {
                return Some(r);
            }
            if let Some(r) = self.expression(q) {
                return Some(r);
            }
            if self.furthest == q {
                self.expected.retain(|&e| !is_arg_start(e));
                self.fail(q, Expect::Argument);
            }
            None
        }

        // --- tokens ----------------------------------------------------------------------

        /// `[A-Za-z_][A-Za-z0-9_]*`
        fn identifier(&self, p: usize) -> Option<(String, usize)> {
            let first = self.at(p)?;
            if !(first.is_ascii_alphabetic() || first == '_') {
                return None;
            }
            let mut e = p + 1;
            while self
                .at(e)
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                e += 1;
            }
            Some((self.text(p, e), e))
        }

        /// pyparsing's `CaselessKeyword(word)` (`word` in upper case).
        fn keyword(&self, p: usize, word: &str) -> Option<usize> {
            let n = word.chars().count();
            let candidate = self.s.get(p..p + n)?;
            let matches = candidate.iter().zip(word.chars()).all(|(&c, w)| {
                let mut upper = c.to_uppercase();
                upper.next() == Some(w) && upper.next().is_none()
            });
            if !matches {
                return None;
            }
            if p > 0 && is_keyword_char(self.s[p - 1]) {
                return None;
            }
            if self.at(p + n).is_some_and(is_keyword_char) {
                return None;
            }
            Some(p + n)
        }

        /// `-?\d+` (any script's decimal digits, as Python's `\d`).
        fn int_token(&mut self, p: usize) -> Option<usize> {
            let mut i = p;
            if self.at(i) == Some('-') {
                i += 1;
            }
            let digits_start = i;
            while self
                .at(i)
                .is_some_and(|c| pyunicode::decimal_value(c).is_some())
            {
                i += 1;
            }
            if i == digits_start {
                self.fail(i, Expect::Digit);
                return None;
            }
            Some(i)
        }

        /// `-?\d+\.\d+`
        fn float_token(&mut self, p: usize) -> Option<usize> {
            let e = self.int_token(p)?;
            if self.at(e) != Some('.') {
                return None;
            }
            let mut i = e + 1;
            while self
                .at(i)
                .is_some_and(|c| pyunicode::decimal_value(c).is_some())
            {
                i += 1;
            }
            if i == e + 1 {
                self.fail(i, Expect::Digit);
                return None;
            }
            Some(i)
        }

        /// `FollowedBy(",") ^ FollowedBy(")") ^ FollowedBy(LineEnd())`
        fn after_number(&self, e: usize) -> bool {
            let mut q = e;
            while matches!(self.at(q), Some(' ' | '\t' | '\r')) {
                q += 1;
            }
            if matches!(self.at(q), None | Some('\n')) {
                return true;
            }
            matches!(self.at(self.ws(e)), Some(',' | ')'))
        }

        /// `sci + after | float + after | int + after`
        fn number(&mut self, p: usize) -> Option<(Expr, usize)> {
            let mantissa = self.float_token(p).or_else(|| self.int_token(p));
            if let Some(m) = mantissa {
                if matches!(self.at(m), Some('e' | 'E')) {
                    if let Some(e) = self.int_token(m + 1) {
                        if self.after_number(e) {
                            return Some((Expr::Float(self.float_value(p, e)), e));
                        }
                    }
                }
            }
            if let Some(e) = self.float_token(p) {
                if self.after_number(e) {
                    return Some((Expr::Float(self.float_value(p, e)), e));
                }
            }
            if let Some(e) = self.int_token(p) {
                if self.after_number(e) {
                    let text = self.ascii_number(p, e);
                    let value = match text.parse::<i64>() {
                        Ok(i) => Expr::Int(i),
                        Err(_) => Expr::Float(text.parse::<f64>().unwrap_or(f64::NAN)),
                    };
                    return Some((value, e));
                }
            }
            None
        }

        /// The token with every digit in ASCII (Python's `int()`/`float()` accept any script).
        fn ascii_number(&self, p: usize, e: usize) -> String {
            self.s[p..e]
                .iter()
                .map(|&c| match pyunicode::decimal_value(c) {
                    Some(d) => char::from_digit(d, 10).unwrap_or(c),
                    None => c,
                })
                .collect()
        }

        fn float_value(&self, p: usize, e: usize) -> f64 {
            self.ascii_number(p, e).parse().unwrap_or(f64::NAN)
        }

        /// pyparsing's `quotedString`; the value keeps everything between the outer quotes.
        fn string(&mut self, p: usize) -> Option<(Expr, usize)> {
            let quote = self.at(p).filter(|&c| c == '"' || c == '\'')?;
            let mut i = p + 1;
            loop {
                match self.at(i) {
                    Some(c) if c == quote => {
                        if self.at(i + 1) == Some(quote) {
                            i += 2;
                        } else {
                            break;
                        }
                    }
                    Some('\n' | '\r') | None => break,
                    Some('\\') => match self.at(i + 1) {
                        Some('x') if self.at(i + 2).is_some_and(|c| c.is_ascii_hexdigit()) => {
                            i += 3;
                            while self.at(i).is_some_and(|c| c.is_ascii_hexdigit()) {
                                i += 1;
                            }
                        }
                        Some(c) if c != 'x' => i += 2,
                        _ => break,
                    },
                    Some(_) => i += 1,
                }
            }
            if self.at(i) != Some(quote) {
                self.fail(i, Expect::ClosingQuote(quote));
                return None;
            }
            Some((Expr::Str(self.text(p + 1, i)), i + 1))
        }

        /// `pathElement ('.' pathElement)*`, no whitespace inside.
        fn path(&mut self, p: usize) -> Option<(String, usize)> {
            let q = self.ws(p);
            let Some((mut text, mut end)) = self.path_element(q) else {
                self.fail(q, Expect::PathNode);
                return None;
            };
            loop {
                if self.at(end) != Some('.') {
                    self.fail(end, Expect::PathMore);
                    break;
                }
                let Some((element, e)) = self.path_element(end + 1) else {
                    self.fail(end + 1, Expect::PathNode);
                    break;
                };
                text.push('.');
                text.push_str(&element);
                end = e;
            }
            Some((text, end))
        }

        /// `(partial | enum) (enum | partial)*`
        fn path_element(&mut self, p: usize) -> Option<(String, usize)> {
            let mut text = String::new();
            let mut end = p;
            loop {
                let piece = match self.partial(end) {
                    Some(r) => Some(r),
                    None => self.brace_list(end),
                };
                let Some((piece, e)) = piece else { break };
                text.push_str(&piece);
                end = e;
            }
            (end > p).then_some((text, end))
        }

        /// `( '\' symbol | metric characters )+`, escapes resolved.
        fn partial(&self, p: usize) -> Option<(String, usize)> {
            let mut text = String::new();
            let mut i = p;
            loop {
                match self.at(i) {
                    Some('\\') if self.at(i + 1).is_some_and(is_escapable) => {
                        text.push(self.s[i + 1]);
                        i += 2;
                    }
                    Some(c) if is_metric_char(c) => {
                        text.push(c);
                        i += 1;
                    }
                    _ => break,
                }
            }
            (i > p).then_some((text, i))
        }

        /// `'{' partial (',' partial)* '}'`, kept as text.
        fn brace_list(&mut self, p: usize) -> Option<(String, usize)> {
            if self.at(p) != Some('{') {
                return None;
            }
            let mut text = String::from("{");
            let Some((first, mut end)) = self.partial(p + 1) else {
                self.fail(p + 1, Expect::PathNode);
                return None;
            };
            text.push_str(&first);
            loop {
                match self.at(end) {
                    Some(',') => {
                        let Some((next, e)) = self.partial(end + 1) else {
                            self.fail(end + 1, Expect::PathNode);
                            return None;
                        };
                        text.push(',');
                        text.push_str(&next);
                        end = e;
                    }
                    Some('}') => {
                        text.push('}');
                        return Some((text, end + 1));
                    }
                    _ => {
                        self.fail(end, Expect::Char(','));
                        self.fail(end, Expect::Char('}'));
                        return None;
                    }
                }
            }
        }

        // --- errors ----------------------------------------------------------------------

        fn original_position(&self, i: usize) -> usize {
            match &self.original {
                Some(map) => map
                    .get(i)
                    .copied()
                    .unwrap_or_else(|| map.last().map_or(0, |&last| last + 1)),
                None => i,
            }
        }

        fn error(&self) -> ParseError {
            let pos = self.furthest;
            let mut labels: Vec<String> = Vec::new();
            let has = |e: Expect| self.expected.contains(&e);
            let only_path_more = self.expected.iter().all(|&e| e == Expect::PathMore);
            if has(Expect::Argument) {
                labels.push(
                    "an argument (a path, function call, number, string, true/false, none \
                     or inf)"
                        .into(),
                );
            }
            if has(Expect::FuncName) && has(Expect::PathNode) {
                labels.push("a path or function call".into());
            } else if has(Expect::FuncName) {
                labels.push("a function name".into());
            } else if has(Expect::PathNode) {
                labels.push("a metric name".into());
            }
            if has(Expect::KwargName) {
                labels.push(
                    "a keyword argument name=value (positional arguments cannot follow \
                     keyword arguments)"
                        .into(),
                );
            }
            if has(Expect::Digit) {
                labels.push("a digit".into());
            }
            for e in &self.expected {
                if let Expect::ClosingQuote(q) = e {
                    labels.push(format!("{} to close the string", quote_char(*q)));
                }
            }
            // `(` after a name and `=` after a name are possible but rarely what is missing.
            let closing = has(Expect::Char(')')) || has(Expect::Char(','));
            let skip_open = closing || has(Expect::End);
            for c in ['(', ',', '}', ')', '=', '|'] {
                let noise = (c == '(' && skip_open) || (c == '=' && closing);
                if has(Expect::Char(c)) && !noise {
                    labels.push(quote_char(c));
                }
            }
            if has(Expect::End) {
                labels.push("the end of the target".into());
            }
            if only_path_more && !self.expected.is_empty() {
                labels.push("more of the path".into());
            }
            let found = match self.at(pos) {
                None => "the end of the target".to_string(),
                Some(c) => quote_char(c),
            };
            let expected = match labels.len() {
                0 => "something else".to_string(),
                1 => labels.remove(0),
                n => {
                    let last = labels.remove(n - 1);
                    format!("{} or {last}", labels.join(", "))
                }
            };
            let mut message = format!("expected {expected}, found {found}");
            if self.at(pos) == Some('\\') && has(Expect::PathMore) {
                message.push_str(
                    " (in a path, a backslash must escape one of ( ) { } , . ' \" \\ | =)",
                );
            }
            if self.keyword_then_path == Some(pos) {
                message.push_str(
                    " (true, false, none and inf are keywords here; write a path that starts \
                     with one in braces, e.g. {true}.x)",
                );
            }
            ParseError {
                position: self.original_position(pos),
                message,
            }
        }
    }
}

#[cfg(test)]
mod tests;
