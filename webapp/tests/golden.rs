//! Golden fixtures: our graphite-web answers every request recorded from graphite-web 1.1.10.
//!
//! `tests/golden/expected.json` holds the requests and the reference's answers; it is written
//! by `tests/golden/generate.py` (run it with `.venv-ref/bin/python
//! webapp/tests/golden/generate.py`), which records them against the dataset that
//! `tests/golden/dataset.py` builds. This test builds the same dataset (checking its digest),
//! starts the `graphite-web` binary on it, replays every request and compares:
//!
//! - the status, the `Content-Type` (exactly) and the headers named in `compared_headers`;
//! - JSON bodies (json, dygraph, rickshaw, find, expand, index) structurally: object key order
//!   is ignored, list order is not, floats match within 1e-9 relative, integers exactly, and a
//!   pretty (multi-line) body must be answered by a multi-line body. JSONP must have the same
//!   callback;
//! - text bodies (csv, raw, 400 messages) line by line, with numbers that the reference wrote
//!   as floats compared numerically (so `1.0` and `1` agree, timestamps and dates must not
//!   differ at all);
//! - pickle (decoded with `carbon_proto::pickle::decode`) and msgpack (with `rmpv`) against the
//!   structure recorded in the fixture;
//! - object keys listed in a case's `ignore_keys` (find's wall-clock `intervals`) must exist,
//!   but their values are not compared.
//!
//! Every mismatch of every case is printed before the test fails. `GOLDEN_ONLY=<substring>`
//! replays only the cases whose id contains it.
//!
//! The comparison itself is tested without the server: the fixture against itself (through a
//! replay server that answers with the recorded responses), and mutated copies that must fail.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/expected.json");
const DATASET_PY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/dataset.py");
/// Floats agree when |a - b| <= REL_TOL * max(|a|, |b|).
const REL_TOL: f64 = 1e-9;
/// Mismatch lines kept per case (the rest are counted).
const MAX_LINES_PER_CASE: usize = 12;

// ---------------------------------------------------------------------------------------------
// The fixture

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Json,
    Jsonp,
    Text,
    Pickle,
    Msgpack,
}

#[derive(Debug, Clone)]
struct Case {
    id: String,
    method: String,
    path: String,
    query: String,
    /// The exact form body of a POST.
    body_sent: Option<String>,
    request_headers: Vec<(String, String)>,
    status: u16,
    content_type: String,
    /// Recorded response headers (`None`: absent).
    headers: Vec<(String, Option<String>)>,
    kind: Kind,
    body: Option<String>,
    decoded: Option<J>,
    ignore_keys: Vec<String>,
}

#[derive(Debug, Clone)]
struct Fixture {
    dataset_sha256: String,
    settings: serde_json::Map<String, serde_json::Value>,
    compared_headers: Vec<String>,
    cases: Vec<Case>,
}

/// Every recorded suite under tests/golden/suites, in name order.
fn suite_fixtures() -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/suites");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text =
                std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            parse_fixture(&text)
        })
        .collect()
}

fn load_fixture() -> Fixture {
    let text = std::fs::read_to_string(FIXTURE).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
    parse_fixture(&text)
}

fn parse_fixture(text: &str) -> Fixture {
    let v: serde_json::Value = serde_json::from_str(text).expect("expected.json is JSON");
    let str_of = |v: &serde_json::Value, k: &str| -> String {
        v[k].as_str()
            .unwrap_or_else(|| panic!("fixture field {k} is not a string"))
            .to_owned()
    };
    let cases = v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            id: str_of(c, "id"),
            method: str_of(c, "method"),
            path: str_of(c, "path"),
            query: str_of(c, "query"),
            body_sent: c["body_sent"].as_str().map(str::to_owned),
            request_headers: c["request_headers"]
                .as_object()
                .expect("request_headers")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().expect("header value").to_owned()))
                .collect(),
            status: u16::try_from(c["status"].as_u64().expect("status")).expect("status"),
            content_type: str_of(c, "content_type"),
            headers: c["headers"]
                .as_object()
                .expect("headers")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned)))
                .collect(),
            kind: match c["kind"].as_str().expect("kind") {
                "json" => Kind::Json,
                "jsonp" => Kind::Jsonp,
                "text" => Kind::Text,
                "pickle" => Kind::Pickle,
                "msgpack" => Kind::Msgpack,
                other => panic!("unknown kind {other}"),
            },
            body: c["body"].as_str().map(str::to_owned),
            decoded: c.get("decoded").map(J::from_serde),
            ignore_keys: c
                .get("ignore_keys")
                .and_then(|k| k.as_array())
                .map(|ks| {
                    ks.iter()
                        .map(|k| k.as_str().expect("ignore key").to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Fixture {
        dataset_sha256: v["dataset"]["sha256"]
            .as_str()
            .expect("dataset.sha256")
            .to_owned(),
        settings: v["settings"].as_object().expect("settings").clone(),
        compared_headers: v["compared_headers"]
            .as_array()
            .expect("compared_headers")
            .iter()
            .map(|h| h.as_str().expect("header name").to_owned())
            .collect(),
        cases,
    }
}

// ---------------------------------------------------------------------------------------------
// A JSON-like value that keeps integers apart from floats and accepts NaN/Infinity/1e9999

#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn from_serde(v: &serde_json::Value) -> J {
        use serde_json::Value as V;
        match v {
            V::Null => J::Null,
            V::Bool(b) => J::Bool(*b),
            V::Number(n) => {
                if let Some(i) = n.as_i64() {
                    J::Int(i128::from(i))
                } else if let Some(u) = n.as_u64() {
                    J::Int(i128::from(u))
                } else {
                    J::Float(n.as_f64().expect("a JSON number"))
                }
            }
            V::String(s) => J::Str(s.clone()),
            V::Array(a) => J::Arr(a.iter().map(J::from_serde).collect()),
            V::Object(o) => J::Obj(
                o.iter()
                    .map(|(k, v)| (k.clone(), J::from_serde(v)))
                    .collect(),
            ),
        }
    }

    /// The fixture's spelling of a float: NaN and the infinities are strings.
    fn float(f: f64) -> J {
        if f.is_nan() {
            J::Str("nan".into())
        } else if f.is_infinite() {
            J::Str(if f > 0.0 { "inf" } else { "-inf" }.into())
        } else {
            J::Float(f)
        }
    }

    fn from_pickle(v: &carbon_proto::pickle::Value) -> J {
        use carbon_proto::pickle::Value as P;
        match v {
            P::None => J::Null,
            P::Bool(b) => J::Bool(*b),
            P::Int(i) => J::Int(i128::from(*i)),
            P::BigInt(s) => s.parse().map(J::Int).unwrap_or_else(|_| J::Str(s.clone())),
            P::Float(f) => J::float(*f),
            P::Str(s) => J::Str(s.clone()),
            P::Bytes(b) => J::Obj(vec![("$bytes".into(), J::Str(hex(b)))]),
            P::List(items) | P::Tuple(items) | P::Set(items) | P::FrozenSet(items) => {
                J::Arr(items.iter().map(J::from_pickle).collect())
            }
            P::Dict(pairs) => J::Obj(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            P::Str(s) => s.clone(),
                            other => format!("{other:?}"),
                        };
                        (key, J::from_pickle(v))
                    })
                    .collect(),
            ),
        }
    }

    fn from_msgpack(v: &rmpv::Value) -> J {
        use rmpv::Value as M;
        match v {
            M::Nil => J::Null,
            M::Boolean(b) => J::Bool(*b),
            M::Integer(i) => match (i.as_i64(), i.as_u64()) {
                (Some(i), _) => J::Int(i128::from(i)),
                (None, Some(u)) => J::Int(i128::from(u)),
                _ => J::Str(i.to_string()),
            },
            M::F32(f) => J::float(f64::from(*f)),
            M::F64(f) => J::float(*f),
            M::String(s) => J::Str(
                s.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("<invalid utf-8 {:?}>", s.as_bytes())),
            ),
            M::Binary(b) => J::Obj(vec![("$bytes".into(), J::Str(hex(b)))]),
            M::Array(items) => J::Arr(items.iter().map(J::from_msgpack).collect()),
            M::Map(pairs) => J::Obj(
                pairs
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            M::String(s) if s.as_str().is_some() => {
                                s.as_str().unwrap_or_default().to_owned()
                            }
                            other => format!("{other}"),
                        };
                        (key, J::from_msgpack(v))
                    })
                    .collect(),
            ),
            M::Ext(t, data) => J::Obj(vec![("$ext".into(), J::Str(format!("{t}:{}", hex(data))))]),
        }
    }

    fn to_pickle(&self) -> carbon_proto::pickle::Value {
        use carbon_proto::pickle::Value as P;
        match self {
            J::Null => P::None,
            J::Bool(b) => P::Bool(*b),
            J::Int(i) => P::Int(i64::try_from(*i).expect("int fits i64")),
            J::Float(f) => P::Float(*f),
            J::Str(s) => P::Str(s.clone()),
            J::Arr(items) => P::List(items.iter().map(J::to_pickle).collect()),
            J::Obj(pairs) => P::Dict(
                pairs
                    .iter()
                    .map(|(k, v)| (P::Str(k.clone()), v.to_pickle()))
                    .collect(),
            ),
        }
    }

    fn to_msgpack(&self) -> rmpv::Value {
        use rmpv::Value as M;
        match self {
            J::Null => M::Nil,
            J::Bool(b) => M::Boolean(*b),
            J::Int(i) => M::from(i64::try_from(*i).expect("int fits i64")),
            J::Float(f) => M::F64(*f),
            J::Str(s) => M::from(s.as_str()),
            J::Arr(items) => M::Array(items.iter().map(J::to_msgpack).collect()),
            J::Obj(pairs) => M::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (M::from(k.as_str()), v.to_msgpack()))
                    .collect(),
            ),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Parses JSON as Python's `json` module writes it, including `NaN`, `Infinity`, `-Infinity`
/// and numbers out of f64 range (`1e9999` is infinity).
/// Decodes a pickle the way the generator recorded the reference's (`--decode-pickle`).
fn decode_pickle_with_python(body: &[u8]) -> Result<J, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/generate.py");
    let mut child = Command::new(reference_python::python())
        .arg(script)
        .arg("--decode-pickle")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the reference python: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body)
        .map_err(|e| format!("cannot write the pickle: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("reference python: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pickle does not decode: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_json(&String::from_utf8_lossy(&out.stdout))
}

fn parse_json(text: &str) -> Result<J, String> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("trailing characters at byte {}", p.i));
    }
    Ok(v)
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<J, String> {
        if depth > 200 {
            return self.err("nesting too deep");
        }
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return self.err("unexpected end");
        };
        match c {
            b'{' => {
                self.i += 1;
                let mut pairs = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(J::Obj(pairs));
                }
                loop {
                    self.ws();
                    if self.s.get(self.i) != Some(&b'"') {
                        return self.err("expected a key");
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return self.err("expected ':'");
                    }
                    let v = self.value(depth + 1)?;
                    pairs.push((k, v));
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("}") {
                        return Ok(J::Obj(pairs));
                    }
                    return self.err("expected ',' or '}'");
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(J::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(",") {
                        continue;
                    }
                    if self.eat("]") {
                        return Ok(J::Arr(items));
                    }
                    return self.err("expected ',' or ']'");
                }
            }
            b'"' => self.string().map(J::Str),
            _ if self.eat("true") => Ok(J::Bool(true)),
            _ if self.eat("false") => Ok(J::Bool(false)),
            _ if self.eat("null") => Ok(J::Null),
            _ if self.eat("NaN") => Ok(J::Float(f64::NAN)),
            _ if self.eat("Infinity") => Ok(J::Float(f64::INFINITY)),
            _ if self.eat("-Infinity") => Ok(J::Float(f64::NEG_INFINITY)),
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'
                    )
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).expect("ascii");
                if t.contains(['.', 'e', 'E']) {
                    t.parse::<f64>()
                        .map(J::Float)
                        .or_else(|_| self.err("bad number"))
                } else {
                    t.parse::<i128>()
                        .map(J::Int)
                        .or_else(|_| self.err("bad integer"))
                }
            }
            _ => self.err("unexpected character"),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // the opening quote
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return self.err("unterminated string");
            };
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).or_else(|_| self.err("invalid utf-8")),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return self.err("unterminated escape");
                    };
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                hi
                            };
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => return self.err("bad escape"),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                _ => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let t = self
            .s
            .get(self.i..self.i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok());
        match t {
            Some(v) => {
                self.i += 4;
                Ok(v)
            }
            None => self.err("bad \\u escape"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison

fn floats_close(e: f64, a: f64) -> bool {
    e == a || (e.is_nan() && a.is_nan()) || (e - a).abs() <= REL_TOL * e.abs().max(a.abs())
}

fn show(v: &J) -> String {
    let s = format!("{v:?}");
    if s.len() > 120 {
        format!(
            "{}...",
            &s[..s.char_indices().nth(117).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

/// Structural comparison; `at` is the JSON path shown in mismatch lines.
fn compare_values(at: &str, e: &J, a: &J, ignore: &[String], out: &mut Vec<String>) {
    match (e, a) {
        (J::Int(x), J::Int(y)) if x == y => {}
        // An integer in the reference must come back as that exact number.
        (J::Int(x), J::Float(y)) if (*x as f64) == *y => {}
        (J::Float(x), J::Int(y)) if floats_close(*x, *y as f64) => {}
        (J::Float(x), J::Float(y)) if floats_close(*x, *y) => {}
        (J::Obj(ep), J::Obj(ap)) => {
            let am: HashMap<&str, &J> = ap.iter().map(|(k, v)| (k.as_str(), v)).collect();
            let em: HashMap<&str, &J> = ep.iter().map(|(k, v)| (k.as_str(), v)).collect();
            for (k, ev) in ep {
                match am.get(k.as_str()) {
                    None => out.push(format!("{at}: missing key {k:?}")),
                    Some(_) if ignore.iter().any(|i| i == k) => {}
                    Some(av) => compare_values(&format!("{at}.{k}"), ev, av, ignore, out),
                }
            }
            for (k, _) in ap {
                if !em.contains_key(k.as_str()) {
                    out.push(format!("{at}: unexpected key {k:?}"));
                }
            }
        }
        (J::Arr(ea), J::Arr(aa)) => {
            if ea.len() != aa.len() {
                out.push(format!(
                    "{at}: {} items expected, {} received",
                    ea.len(),
                    aa.len()
                ));
            }
            for (i, (ev, av)) in ea.iter().zip(aa).enumerate() {
                compare_values(&format!("{at}[{i}]"), ev, av, ignore, out);
            }
        }
        (J::Null, J::Null) => {}
        (J::Bool(x), J::Bool(y)) if x == y => {}
        (J::Str(x), J::Str(y)) if x == y => {}
        _ => out.push(format!("{at}: expected {}, received {}", show(e), show(a))),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Text(&'a str),
    /// A number standing alone (not part of a word such as `web01`).
    Num(&'a str),
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits a line into numbers and the text between them.
fn tokenize(line: &str) -> Vec<Tok<'_>> {
    let b = line.as_bytes();
    let mut toks = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !(is_word(b[i - 1]) || b[i - 1] == b'.');
        let digit_at = |j: usize| b.get(j).is_some_and(u8::is_ascii_digit);
        let starts = boundary && (digit_at(i) || (b[i] == b'-' && digit_at(i + 1)));
        if starts {
            let mut j = i + 1;
            while digit_at(j) {
                j += 1;
            }
            if b.get(j) == Some(&b'.') {
                j += 1;
                while digit_at(j) {
                    j += 1;
                }
            }
            if matches!(b.get(j), Some(b'e' | b'E')) {
                let mut k = j + 1;
                if matches!(b.get(k), Some(b'+' | b'-')) {
                    k += 1;
                }
                if digit_at(k) {
                    j = k;
                    while digit_at(j) {
                        j += 1;
                    }
                }
            }
            if !b.get(j).is_some_and(|&c| is_word(c)) {
                if text_start < i {
                    toks.push(Tok::Text(&line[text_start..i]));
                }
                toks.push(Tok::Num(&line[i..j]));
                i = j;
                text_start = j;
                continue;
            }
            // a number glued to a word: part of the text
            i = j;
            continue;
        }
        i += 1;
    }
    if text_start < b.len() {
        toks.push(Tok::Text(&line[text_start..]));
    }
    toks
}

fn tokens_match(e: &[Tok<'_>], a: &[Tok<'_>]) -> bool {
    e.len() == a.len()
        && e.iter().zip(a).all(|(e, a)| match (e, a) {
            (Tok::Text(x), Tok::Text(y)) => x == y,
            (Tok::Num(x), Tok::Num(y)) => {
                if x.contains(['.', 'e', 'E']) {
                    match (x.parse::<f64>(), y.parse::<f64>()) {
                        (Ok(p), Ok(q)) => floats_close(p, q),
                        _ => x == y,
                    }
                } else {
                    x == y
                }
            }
            _ => false,
        })
}

fn compare_text(expected: &str, actual: &str, out: &mut Vec<String>) {
    let el: Vec<&str> = expected.split('\n').collect();
    let al: Vec<&str> = actual.split('\n').collect();
    if el.len() != al.len() {
        out.push(format!(
            "body: {} lines expected, {} received",
            el.len(),
            al.len()
        ));
    }
    for (n, (e, a)) in el.iter().zip(&al).enumerate() {
        if !tokens_match(&tokenize(e), &tokenize(a)) {
            out.push(format!(
                "body line {}: expected {e:?}, received {a:?}",
                n + 1
            ));
        }
    }
}

fn compare_json_text(expected: &str, actual: &str, ignore: &[String], out: &mut Vec<String>) {
    let e = match parse_json(expected) {
        Ok(e) => e,
        Err(err) => {
            out.push(format!("fixture body is not JSON ({err})"));
            return;
        }
    };
    match parse_json(actual) {
        Ok(a) => compare_values("$", &e, &a, ignore, out),
        Err(err) => out.push(format!(
            "body is not JSON ({err}): {:?}",
            actual.chars().take(200).collect::<String>()
        )),
    }
    if expected.contains('\n') != actual.contains('\n') {
        out.push(format!(
            "body layout: expected {} JSON, received {}",
            if expected.contains('\n') {
                "indented"
            } else {
                "one-line"
            },
            if actual.contains('\n') {
                "indented"
            } else {
                "one-line"
            },
        ));
    }
}

/// `cb(<json>)` as (callback, json).
fn split_jsonp(body: &str) -> Option<(&str, &str)> {
    let open = body.find('(')?;
    let inner = body[open + 1..].strip_suffix(')')?;
    Some((&body[..open], inner))
}

/// An HTTP answer, as the harness received it.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every difference between a recorded answer and a received one.
fn compare_case(case: &Case, compared_headers: &[String], reply: &Reply) -> Vec<String> {
    let mut out = Vec::new();
    if case.status != reply.status {
        out.push(format!(
            "status: expected {}, received {}",
            case.status, reply.status
        ));
    }
    match reply.header("content-type") {
        Some(ct) if ct == case.content_type => {}
        other => out.push(format!(
            "content-type: expected {:?}, received {other:?}",
            case.content_type
        )),
    }
    for name in compared_headers {
        let expected = case
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref());
        let received = reply.header(name);
        if expected != received {
            out.push(format!(
                "header {name}: expected {expected:?}, received {received:?}"
            ));
        }
    }
    match case.kind {
        Kind::Pickle | Kind::Msgpack => {
            let decoded = if case.kind == Kind::Pickle {
                match carbon_proto::pickle::decode(&reply.body) {
                    Ok(v) => Ok(J::from_pickle(&v)),
                    // Find's pickles name graphite.intervals classes, which the safe decoder
                    // refuses by design; the generator's decoder records them as objects.
                    Err(_) => decode_pickle_with_python(&reply.body),
                }
            } else {
                rmpv::decode::read_value(&mut reply.body.as_slice())
                    .map(|v| J::from_msgpack(&v))
                    .map_err(|e| format!("msgpack does not decode: {e}"))
            };
            let expected = case.decoded.as_ref().expect("decoded structure in fixture");
            match decoded {
                Ok(a) => compare_values("$", expected, &a, &case.ignore_keys, &mut out),
                Err(e) => out.push(e),
            }
        }
        Kind::Json | Kind::Jsonp | Kind::Text => {
            let expected = case.body.as_deref().expect("body in fixture");
            let Ok(actual) = std::str::from_utf8(&reply.body) else {
                out.push("body is not UTF-8".into());
                return out;
            };
            match case.kind {
                Kind::Json => compare_json_text(expected, actual, &case.ignore_keys, &mut out),
                Kind::Jsonp => {
                    let (ecb, ejson) = split_jsonp(expected).expect("fixture JSONP");
                    match split_jsonp(actual) {
                        Some((acb, ajson)) => {
                            if ecb != acb {
                                out.push(format!(
                                    "jsonp callback: expected {ecb:?}, received {acb:?}"
                                ));
                            }
                            compare_json_text(ejson, ajson, &case.ignore_keys, &mut out);
                        }
                        None => out.push(format!(
                            "body is not JSONP: {:?}",
                            actual.chars().take(200).collect::<String>()
                        )),
                    }
                }
                _ => compare_text(expected, actual, &mut out),
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Sending the requests

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Send only the Accept header a case asks for: graphite-web's JSON views answer
        // `application/json;charset=utf-8` to anything but exactly `application/json`.
        .accept("")
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn send(agent: &ureq::Agent, addr: SocketAddr, case: &Case) -> Result<Reply, String> {
    let mut url = format!("http://{addr}{}", case.path);
    if !case.query.is_empty() {
        url.push('?');
        url.push_str(&case.query);
    }
    let result = match case.method.as_str() {
        "GET" => {
            let mut req = agent.get(&url);
            for (k, v) in &case.request_headers {
                req = req.header(k.as_str(), v.as_str());
            }
            req.call()
        }
        "POST" => {
            let mut req = agent
                .post(&url)
                .header("Content-Type", "application/x-www-form-urlencoded");
            for (k, v) in &case.request_headers {
                req = req.header(k.as_str(), v.as_str());
            }
            req.send(case.body_sent.as_deref().unwrap_or(""))
        }
        m => return Err(format!("unsupported method {m}")),
    };
    let resp = result.map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = resp.into_body();
    let body = body
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .map_err(|e| format!("reading the body failed: {e}"))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// Replays `cases` against `addr`; returns (case id, mismatches) for every case that differs.
fn run_cases(
    addr: SocketAddr,
    cases: &[Case],
    compared_headers: &[String],
) -> Vec<(String, Vec<String>)> {
    let agent = agent();
    let mut failures = Vec::new();
    for case in cases {
        let diffs = match send(&agent, addr, case) {
            Ok(reply) => compare_case(case, compared_headers, &reply),
            Err(e) => vec![e],
        };
        if !diffs.is_empty() {
            failures.push((case.id.clone(), diffs));
        }
    }
    failures
}

fn report(failures: &[(String, Vec<String>)], total: usize) -> String {
    let mut s = String::new();
    for (id, diffs) in failures {
        s.push_str(&format!("--- {id}\n"));
        for d in diffs.iter().take(MAX_LINES_PER_CASE) {
            s.push_str(&format!("    {d}\n"));
        }
        if diffs.len() > MAX_LINES_PER_CASE {
            s.push_str(&format!(
                "    ... and {} more\n",
                diffs.len() - MAX_LINES_PER_CASE
            ));
        }
    }
    s.push_str(&format!(
        "{} of {total} golden cases differ from graphite-web 1.1.10: {}\n",
        failures.len(),
        failures
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    ));
    s
}

fn selected(cases: &[Case]) -> Vec<Case> {
    match std::env::var("GOLDEN_ONLY") {
        Ok(only) => cases
            .iter()
            .filter(|c| c.id.contains(&only))
            .cloned()
            .collect(),
        Err(_) => cases.to_vec(),
    }
}

// ---------------------------------------------------------------------------------------------
// The server under test

/// A Python literal for the settings file.
fn py_literal(v: &serde_json::Value, dir: &str) -> String {
    use serde_json::Value as V;
    match v {
        V::Null => "None".into(),
        V::Bool(true) => "True".into(),
        V::Bool(false) => "False".into(),
        V::Number(n) => n.to_string(),
        V::String(s) => {
            let s = s.replace("{dir}", dir);
            format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
        }
        V::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|x| py_literal(x, dir))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        V::Object(_) => panic!("no dict settings expected"),
    }
}

/// Builds the dataset under `dir` and checks it is the one the fixtures were recorded from.
fn build_dataset(dir: &Path, expected_sha256: &str) {
    let python = reference_python::python();
    let out = Command::new(&python)
        .arg(DATASET_PY)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "dataset.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("dataset.py prints a JSON summary");
    assert_eq!(
        summary["sha256"].as_str(),
        Some(expected_sha256),
        "dataset.py builds a different dataset than expected.json was recorded from: \
         regenerate with .venv-ref/bin/python webapp/tests/golden/generate.py"
    );
}

/// The running `graphite-web`; killed when dropped (also when the test panics).
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, settings: &serde_json::Map<String, serde_json::Value>) -> Server {
        let Some(bin) = option_env!("CARGO_BIN_EXE_graphite-web") else {
            panic!(
                "the graphite-web binary is not part of the webapp package yet \
                 (expected as src/bin/graphite-web.rs or a [[bin]] named graphite-web)"
            );
        };
        let dir_str = dir.to_str().expect("utf-8 temp dir");
        let mut conf = String::from("# written by webapp/tests/golden.rs\n");
        for (k, v) in settings {
            conf.push_str(&format!("{k} = {}\n", py_literal(v, dir_str)));
        }
        let conf_path = dir.join("local_settings.py");
        std::fs::write(&conf_path, conf).expect("write the settings file");
        let addr_file = dir.join("listener-addr");
        let log = dir.join("graphite-web.log");
        let child = Command::new(bin)
            .arg("--config")
            .arg(&conf_path)
            .args(["--bind", "127.0.0.1:0"])
            .arg("--listener-addr-file")
            .arg(&addr_file)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("graphite-web.out")).expect("stdout file"))
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {bin}: {e}"));
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let addr = std::fs::read_to_string(&addr_file).ok().and_then(|t| {
                t.split_whitespace()
                    .find_map(|w| w.parse::<SocketAddr>().ok())
            });
            if let Some(addr) = addr {
                server.addr = addr;
                return server;
            }
            if let Some(status) = server.child.try_wait().expect("try_wait") {
                panic!("graphite-web exited at start ({status}):\n{}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "graphite-web wrote no address to {} in 30 s:\n{}",
                addr_file.display(),
                server.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- graphite-web log (last lines, newest first) ---");
            for line in tail {
                eprintln!("{line}");
            }
        }
    }
}

#[test]
fn golden_against_reference() {
    let mut fixture = load_fixture();
    // The function suites (tests/golden/suites/*.expected.json) share the dataset and server.
    for suite in suite_fixtures() {
        assert_eq!(
            suite.dataset_sha256, fixture.dataset_sha256,
            "a suite was recorded from another dataset: regenerate it"
        );
        fixture.cases.extend(suite.cases);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    build_dataset(dir.path(), &fixture.dataset_sha256);
    let server = Server::start(dir.path(), &fixture.settings);
    let cases = selected(&fixture.cases);
    let started = Instant::now();
    let failures = run_cases(server.addr, &cases, &fixture.compared_headers);
    eprintln!(
        "replayed {} golden cases in {:.2?}",
        cases.len(),
        started.elapsed()
    );
    if !failures.is_empty() {
        eprint!("{}", report(&failures, cases.len()));
        panic!(
            "{} of {} golden cases differ (see above)",
            failures.len(),
            cases.len()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The harness tested on its own: a replay server answering with the recorded responses

/// Alters a recorded reply before the replay server sends it.
type ReplyPatch = Arc<dyn Fn(&Case, &mut Reply) + Send + Sync>;

/// The recorded response of a case, as bytes on the wire.
fn recorded_reply(case: &Case) -> Reply {
    let body = match case.kind {
        Kind::Pickle => {
            carbon_proto::pickle::encode(&case.decoded.as_ref().expect("decoded").to_pickle())
        }
        Kind::Msgpack => {
            let mut buf = Vec::new();
            rmpv::encode::write_value(
                &mut buf,
                &case.decoded.as_ref().expect("decoded").to_msgpack(),
            )
            .expect("msgpack encode");
            buf
        }
        _ => case.body.clone().expect("body").into_bytes(),
    };
    let mut headers = vec![("content-type".to_owned(), case.content_type.clone())];
    for (k, v) in &case.headers {
        if let Some(v) = v {
            headers.push((k.to_ascii_lowercase(), v.clone()));
        }
    }
    Reply {
        status: case.status,
        headers,
        body,
    }
}

/// What a request looked like on the wire.
#[derive(Debug)]
struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        method,
        target,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

/// Answers each request with the recorded reply of the case it matches (method, path, query,
/// body and the Accept header), or 599 when none matches. `patch` may alter a reply first.
fn replay_server(cases: Vec<Case>, patch: ReplyPatch) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some(req) = read_request(&mut stream) else {
                continue;
            };
            let accept = req
                .headers
                .iter()
                .find(|(k, _)| k == "accept")
                .map(|(_, v)| v.clone());
            let found = cases.iter().find(|c| {
                let target = if c.query.is_empty() {
                    c.path.clone()
                } else {
                    format!("{}?{}", c.path, c.query)
                };
                let case_accept = c
                    .request_headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("accept"))
                    .map(|(_, v)| v.clone());
                c.method == req.method
                    && target == req.target
                    && c.body_sent.clone().unwrap_or_default() == req.body
                    && case_accept == accept
            });
            let reply = match found {
                Some(case) => {
                    let mut r = recorded_reply(case);
                    patch(case, &mut r);
                    r
                }
                None => Reply {
                    status: 599,
                    headers: vec![("content-type".into(), "text/plain".into())],
                    body: format!("no case for {req:?}").into_bytes(),
                },
            };
            let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
            for (k, v) in &reply.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str(&format!(
                "content-length: {}\r\nconnection: close\r\n\r\n",
                reply.body.len()
            ));
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&reply.body);
        }
    });
    addr
}

fn no_patch() -> ReplyPatch {
    Arc::new(|_: &Case, _: &mut Reply| {})
}

#[test]
fn fixture_covers_the_acceptance_list() {
    let f = load_fixture();
    assert!(f.cases.len() >= 130, "{} cases", f.cases.len());
    let has = |pred: &dyn Fn(&Case) -> bool| f.cases.iter().any(pred);
    for fmt in [
        "json", "csv", "raw", "pickle", "msgpack", "dygraph", "rickshaw",
    ] {
        assert!(
            has(&|c| c.path.starts_with("/render") && c.query.contains(&format!("format={fmt}"))),
            "no render case with format={fmt}"
        );
    }
    for fmt in ["completer", "nodelist", "json", "pickle", "msgpack"] {
        assert!(
            has(&|c| c.path.starts_with("/metrics/find")
                && c.query.contains(&format!("format={fmt}"))),
            "no find case with format={fmt}"
        );
    }
    assert!(has(
        &|c| c.path.starts_with("/metrics/find") && !c.query.contains("format=")
    ));
    assert!(has(&|c| c.path.starts_with("/metrics/expand")));
    assert!(has(&|c| c.path == "/metrics/index.json"));
    assert!(has(&|c| c.method == "POST"));
    assert!(has(&|c| c.status == 400));
    assert!(has(&|c| c.kind == Kind::Jsonp));
}

#[test]
fn replayed_fixture_matches_itself() {
    let f = load_fixture();
    let addr = replay_server(f.cases.clone(), no_patch());
    let failures = run_cases(addr, &f.cases, &f.compared_headers);
    assert!(failures.is_empty(), "{}", report(&failures, f.cases.len()));
}

fn case<'a>(f: &'a Fixture, id: &str) -> &'a Case {
    f.cases
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

/// Replays one case with `patch` applied to its reply; returns the mismatches.
fn mutated(id: &str, patch: impl Fn(&Case, &mut Reply) + Send + Sync + 'static) -> Vec<String> {
    let f = load_fixture();
    let c = case(&f, id).clone();
    let addr = replay_server(vec![c.clone()], Arc::new(patch));
    run_cases(addr, &[c], &f.compared_headers)
        .into_iter()
        .flat_map(|(_, d)| d)
        .collect()
}

/// Multiplies the sixth value of the first series of a render JSON body by (1 + rel).
fn nudge_sixth_value(body: &str, rel: f64) -> String {
    let Ok(J::Arr(series)) = parse_json(body) else {
        panic!("not a render body")
    };
    let Some(J::Obj(s)) = series.first() else {
        panic!("no series")
    };
    let Some((_, J::Arr(points))) = s.iter().find(|(k, _)| k == "datapoints") else {
        panic!("no datapoints")
    };
    let Some(J::Arr(p)) = points.get(5) else {
        panic!("no sixth point")
    };
    let Some(J::Float(v)) = p.first() else {
        panic!("the sixth value is not a float")
    };
    body.replacen(
        &format!("[{v:?}, "),
        &format!("[{:?}, ", v * (1.0 + rel)),
        1,
    )
}

fn set_body(r: &mut Reply, f: impl Fn(&str) -> String) {
    r.body = f(std::str::from_utf8(&r.body).expect("utf-8")).into_bytes();
}

#[test]
fn mutations_are_caught() {
    // (case, what changes, must it be reported?)
    type Patch = Box<dyn Fn(&Case, &mut Reply) + Send + Sync>;
    let checks: Vec<(&str, &str, bool, Patch)> = vec![
        (
            "render-json-glob-plain",
            "status",
            true,
            Box::new(|_, r| r.status = 500),
        ),
        (
            "render-json-glob-plain",
            "content type",
            true,
            Box::new(|_, r| r.headers[0].1 = "application/json; charset=utf-8".into()),
        ),
        (
            "render-json-glob-plain",
            "float off by 1e-8",
            true,
            Box::new(|_, r| set_body(r, |b| nudge_sixth_value(b, 1e-8))),
        ),
        (
            "render-json-glob-plain",
            "float off by 1e-12",
            false,
            Box::new(|_, r| set_body(r, |b| nudge_sixth_value(b, 1e-12))),
        ),
        (
            "render-json-glob-plain",
            "timestamp off by one",
            true,
            Box::new(|_, r| set_body(r, |b| b.replacen("1699299410]", "1699299411]", 1))),
        ),
        (
            "render-json-glob-plain",
            "value 1.0 written as 1 / spaces dropped",
            false,
            Box::new(|_, r| set_body(r, |b| b.replace(", ", ","))),
        ),
        (
            "render-json-glob-plain",
            "key order",
            false,
            Box::new(|_, r| {
                set_body(r, |b| {
                    b.replace(
                        "\"target\": \"servers.web01.cpu.user\", \"tags\": {\"name\": \"servers.web01.cpu.user\"}, ",
                        "\"tags\": {\"name\": \"servers.web01.cpu.user\"}, \"target\": \"servers.web01.cpu.user\", ",
                    )
                })
            }),
        ),
        (
            "render-json-glob-star",
            "series order",
            true,
            Box::new(|_, r| {
                set_body(r, |b| {
                    b.replace("servers.db01.cpu.user", "TMP")
                        .replace("servers.web01.cpu.user", "servers.db01.cpu.user")
                        .replace("TMP", "servers.web01.cpu.user")
                })
            }),
        ),
        (
            "render-json-glob-plain",
            "missing tags",
            true,
            Box::new(|_, r| {
                set_body(r, |b| {
                    b.replace("\"tags\": {\"name\": \"servers.web01.cpu.user\"}, ", "")
                })
            }),
        ),
        (
            "render-json-glob-plain",
            "null for a value",
            true,
            Box::new(|_, r| set_body(r, |b| b.replacen("[23.", "[null, 0.0, 23.", 1))),
        ),
        (
            "render-json-opt-pretty",
            "pretty body on one line",
            true,
            Box::new(|_, r| set_body(r, |b| b.split_whitespace().collect::<Vec<_>>().join(" "))),
        ),
        (
            "render-json-opt-noCache",
            "Cache-Control",
            true,
            Box::new(|_, r| {
                for h in &mut r.headers {
                    if h.0 == "cache-control" {
                        h.1 = "max-age=60".into();
                    }
                }
            }),
        ),
        (
            "render-fmt-jsonp",
            "callback",
            true,
            Box::new(|_, r| set_body(r, |b| b.replacen("cb_1(", "cb_2(", 1))),
        ),
        (
            "render-fmt-csv",
            "csv value formatting 11.90625 -> 11.906250",
            false,
            Box::new(|_, r| set_body(r, |b| b.replace(",11.90625\r", ",11.906250\r"))),
        ),
        (
            "render-fmt-csv",
            "csv date",
            true,
            Box::new(|_, r| set_body(r, |b| b.replacen("19:44:50", "19:44:51", 1))),
        ),
        (
            "render-fmt-csv",
            "csv line ending",
            true,
            Box::new(|_, r| set_body(r, |b| b.replace("\r\n", "\n"))),
        ),
        (
            "render-fmt-raw",
            "raw None -> empty",
            true,
            Box::new(|_, r| set_body(r, |b| b.replacen("None,", ",", 1))),
        ),
        (
            "render-fmt-raw",
            "raw float 9.8125 -> 9.81250000001",
            false,
            Box::new(|_, r| set_body(r, |b| b.replacen(",9.8125,", ",9.81250000000001,", 1))),
        ),
        (
            "render-fmt-raw",
            "raw step",
            true,
            Box::new(|_, r| set_body(r, |b| b.replacen(",10|", ",60|", 1))),
        ),
        (
            "render-400-bad-from",
            "400 message",
            true,
            Box::new(|_, r| set_body(r, |b| b.replace("garbage", "garbage!"))),
        ),
        (
            "render-fmt-pickle",
            "pickle value",
            true,
            Box::new(|c, r| {
                let mut d = c.decoded.clone().unwrap();
                let J::Arr(series) = &mut d else { panic!() };
                let J::Obj(s) = &mut series[0] else { panic!() };
                s.retain(|(k, _)| k != "step");
                r.body = carbon_proto::pickle::encode(&d.to_pickle());
            }),
        ),
        (
            "render-fmt-msgpack",
            "msgpack float as f32",
            false,
            Box::new(|c, r| {
                // 9.625 and friends are exact in f32; the comparison is numeric
                let mut v = c.decoded.clone().unwrap().to_msgpack();
                if let rmpv::Value::Array(series) = &mut v {
                    if let rmpv::Value::Map(m) = &mut series[0] {
                        for (k, val) in m.iter_mut() {
                            if k.as_str() == Some("xFilesFactor") {
                                *val = rmpv::Value::F32(0.0);
                            }
                        }
                    }
                }
                let mut buf = Vec::new();
                rmpv::encode::write_value(&mut buf, &v).unwrap();
                r.body = buf;
            }),
        ),
        (
            "render-fmt-msgpack",
            "msgpack truncated",
            true,
            Box::new(|_, r| {
                r.body.truncate(r.body.len() / 2);
            }),
        ),
        (
            "find-json-leaves",
            "intervals values (ignored)",
            false,
            Box::new(|_, r| set_body(r, |b| b.replace("\"start\": 16", "\"start\": 17"))),
        ),
        (
            "find-json-leaves",
            "intervals missing",
            true,
            Box::new(|_, r| set_body(r, |b| b.replacen("\"intervals\"", "\"interval\"", 1))),
        ),
        (
            "find-treejson-leaves",
            "leaf flag",
            true,
            Box::new(|_, r| set_body(r, |b| b.replacen("\"leaf\": 1", "\"leaf\": true", 1))),
        ),
        (
            "find-pickle-leaves",
            "intervals as plain tuples (ignored)",
            false,
            Box::new(|c, r| {
                let mut d = c.decoded.clone().unwrap();
                let J::Arr(nodes) = &mut d else { panic!() };
                for n in nodes.iter_mut() {
                    let J::Obj(o) = n else { panic!() };
                    for (k, v) in o.iter_mut() {
                        if k == "intervals" {
                            *v = J::Arr(vec![J::Arr(vec![J::Float(1.0), J::Float(2.0)])]);
                        }
                    }
                }
                r.body = carbon_proto::pickle::encode(&d.to_pickle());
            }),
        ),
    ];
    let f = load_fixture();
    let mut wrong = Vec::new();
    for (id, what, must_fail, patch) in checks {
        let c = case(&f, id);
        let original = recorded_reply(c);
        let mut changed = original.clone();
        patch(c, &mut changed);
        assert!(
            changed.status != original.status
                || changed.headers != original.headers
                || changed.body != original.body,
            "{id} / {what}: the mutation changes nothing"
        );
        let diffs = mutated(id, move |c, r| patch(c, r));
        if diffs.is_empty() == must_fail {
            wrong.push(format!(
                "{id} / {what}: expected {}, got {diffs:?}",
                if must_fail {
                    "a mismatch"
                } else {
                    "no mismatch"
                }
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn tokenizer_separates_numbers_from_words() {
    use Tok::{Num, Text};
    assert_eq!(
        tokenize("servers.web01.cpu,2023-11-06 19:44:50,1.5e-09\r"),
        vec![
            Text("servers.web01.cpu,"),
            Num("2023"),
            Text("-"),
            Num("11"),
            Text("-"),
            Num("06"),
            Text(" "),
            Num("19"),
            Text(":"),
            Num("44"),
            Text(":"),
            Num("50"),
            Text(","),
            Num("1.5e-09"),
            Text("\r"),
        ]
    );
    assert_eq!(
        tokenize("a,-3.25,None|x1e5"),
        vec![Text("a,"), Num("-3.25"), Text(",None|x1e5")]
    );
}

#[test]
fn json_parser_reads_python_specials() {
    assert_eq!(
        parse_json("[NaN, Infinity, -Infinity, 1e9999, -1e9999, 1, 1.0, \"\\u00e9\\n\"]")
            .map(|j| format!("{j:?}")),
        Ok(format!(
            "{:?}",
            J::Arr(vec![
                J::Float(f64::NAN),
                J::Float(f64::INFINITY),
                J::Float(f64::NEG_INFINITY),
                J::Float(f64::INFINITY),
                J::Float(f64::NEG_INFINITY),
                J::Int(1),
                J::Float(1.0),
                J::Str("é\n".into()),
            ])
        ))
    );
    assert!(parse_json("[1,]").is_err());
    assert!(parse_json("{\"a\": 1} x").is_err());
    let mut out = Vec::new();
    compare_values("$", &J::Float(f64::NAN), &J::Float(f64::NAN), &[], &mut out);
    compare_values("$", &J::Int(5), &J::Float(5.0), &[], &mut out);
    assert!(out.is_empty(), "{out:?}");
    compare_values("$", &J::Int(5), &J::Float(5.000_000_000_1), &[], &mut out);
    assert_eq!(out.len(), 1);
}
