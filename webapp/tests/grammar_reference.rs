//! Interop: `webapp::grammar::parse_target` against graphite-web's pyparsing grammar (run by
//! `tests/reference/grammar_driver.py`, with `UTF8_METRICS=True`) over hand-written and
//! generated targets. Where the reference parses the whole target, the trees must be equal (the
//! driver desugars pipes and converts scalars the way `evaluator.py` does); where it only parses
//! a prefix (ignored trailing text, a call degraded into a path) or fails, we must return an
//! error.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::Value;
use webapp::grammar::{parse_target, Call, Expr, Template};

/// Hand-written targets: the documented syntax, the reference's quirks, and broken input.
const HAND_WRITTEN: &[&str] = &[
    "a.b",
    "a.b.c.d",
    " a.b",
    "a.b ",
    "a.b\n",
    "\na.b",
    "servers.*.cpu.{user,system}",
    "a.[a-z]?!^$;=~-:#@.b",
    r"a\(b",
    r"a\)b",
    r"a\=b",
    r"a\\b",
    r"a\.b",
    r"a\,b",
    r"a\|b",
    r"a\{b\}",
    r"a\'b",
    r#"a\"b"#,
    r"a\x",
    r"a\",
    "{a,b}.c",
    "{a,}",
    "{,a}",
    "{}",
    "{a}",
    "a{b,c}d{e}",
    "{a{b}}",
    r"{a\,b,c}",
    "a..b",
    ".a",
    "a.",
    "a . b",
    "a.b)))junk",
    "a b",
    "12",
    "1.5",
    "-1",
    "true",
    "True.x",
    "none",
    "inf",
    "é.ü.∞",
    "métrique.°C",
    "a\u{a0}b",
    "a\u{3000}b",
    "a\u{85}b",
    "a\u{7f}b",
    "a\u{9f}b",
    "tag;a=b;c=d",
    "\"abc\"",
    "'abc'",
    "",
    "   ",
    "(",
    ")",
    "()",
    "|",
    "a|",
    "|f()",
    "a|b",
    "a|f",
    "a|f()",
    "a | f()",
    "a\n|\nf()",
    "a|f()|g(1)",
    "a|f()g()",
    "f()",
    "f( )",
    "f ()",
    "f(\n)",
    "f(a)",
    "f(a,)",
    "f(,a)",
    "f(a,,b)",
    "f(a b)",
    "f(a)b",
    "f(a).b",
    "f(a)|g",
    "f(a))",
    "f((a))",
    "f(a",
    "sumSeries(a.b",
    "sumSeries(true.x)",
    "sumSeries(none.x)",
    "sumSeries(inf.x)",
    "sumSeries(false-x)",
    "scale(a.b,.5)",
    "scale(a.b,1.)",
    "scale(a.b, 0.5)",
    "scale(a.b, -0.5)",
    "scale(a.b,-0)",
    "scale(a.b,-0.0)",
    "scale(a.b, 1 )",
    "scale(a.b, 1\n)",
    "scale(a.b, 1\t)",
    "scale(a.b, 1 x)",
    "scale(a.b, 1e5)",
    "scale(a.b, 1E5)",
    "scale(a.b, -1.5e-3)",
    "scale(a.b, 1e)",
    "scale(a.b, 1e5x)",
    "scale(a.b,1.5e3.2)",
    "scale(a.b, 007)",
    "scale(a.b, 99999999999999999999)",
    "scale(a.b, 9223372036854775807)",
    "scale(a.b, 9223372036854775808)",
    "scale(a.b, -9223372036854775808)",
    "scale(a.b, 1e999)",
    "scale(a.b, 0x10)",
    "scale(a.b, ١٢)",
    "scale(a.b, ١.٥)",
    "scale(a.b, ²)",
    "f(a,true)",
    "f(a, TRUE)",
    "f(a,True )",
    "f(a,false)",
    "f(a,none)",
    "f(a,NONE)",
    "f(a,inf)",
    "f(a,-inf)",
    "f(a,infinity)",
    "f(a,true_x)",
    "f(a,nonex)",
    "f(a,true$)",
    "f(a, ınf)",
    "f(a, falſe)",
    "f(a, 'x')",
    "f(a, \"x\")",
    "f(a, '')",
    "f(a, \"\")",
    r#"f(a, "x\"y")"#,
    "f(a, 'x''y')",
    r#"f(a, "x""y")"#,
    r#"f(a, "x\x")"#,
    r#"f(a, "x\x4g")"#,
    r#"f(a, "\1 A")"#,
    "f(a, \"x\ny\")",
    "f(a, \"x\\\ny\")",
    "f(a, \"x\ty\")",
    "f(a, \"abc)",
    "f(a, 'it''s')",
    "f(a, x=1)",
    "f(a, x = 1)",
    "f(a, x=1, y='z')",
    "f(a, x=1, 2)",
    "f(a, x=1,)",
    "f(a, x=)",
    "f(x=1)",
    "f(a, x=1, x=2)",
    "f(a, b=c=d)",
    "f(a, 1=2)",
    "f(a, x=y.z|g())",
    "f(a, x=true.x)",
    "f(a, x=g(b, y=1))",
    "f(a,\tx=1)",
    "f(a|g(), 1)",
    "a|g()|h(x|k())",
    "seriesByTag('a=b')",
    "seriesByTag(\"a=b\", 'c=~d.*' )",
    "a.b|seriesByTag('x=y')",
    "template(a.$1, 5)",
    "template(a.$1, x=\"y\")",
    "template(a, 1, x=2)",
    "template(a, b.c)",
    "template(a)",
    "template (a.$1 , 'x')",
    "template(f(a.$1), 1)|g()",
    "template(a.$1, 'x')|g(b.$1)",
    "template(a|f(), 1)",
    "template(template(a, 1), 2)",
    "templatex(a)",
    "template.x",
    "template",
    "template(",
    "template(a, 1.)",
    "template(a, true)",
    "template(a, 1e3, -2)",
    "f(template(a.$1, 'x'))",
    "sumSeries(a.*, scale(b.c, 2), c.d)|alias('x')",
    "aliasSub(a.b, \"(^.*$)\", \"\\1 A\")",
    "summarize(x, \"10min\", \"sum\")",
    "highest(seriesList=a.*, n=1)",
    "timeShift(a, \"-1h\", alignDST=true)",
    "template(template(x=1))",
    "template(template(template(x=1)))",
    "template(template(x=1), y=template(template(x=1), y=a))",
    "template(f(a,x=template(f(a,x=a))))",
    "template(  template(none.x )\n|f(a))",
    "a|template(x=1)",
    "a|template(b, 1)",
    "f(a|template(b))",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn space(rng: &mut Rng) -> &'static str {
    if rng.chance(75) {
        ""
    } else {
        rng.pick(&[" ", "  ", "\t", "\n"])
    }
}

fn gen_path(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "a", "b", "web01", "cpu", "*", "?", "[a-z]", "_x", "x-y", "1", "é", "°C", "$1", "$n",
        "true", "none", "inf", "e5", r"\(", r"\)", r"\,", r"\=", "{a,b}", "{x}", "=", ":", ";t=v",
    ];
    let nodes = 1 + rng.below(4);
    (0..nodes)
        .map(|_| {
            let n = 1 + rng.below(2);
            (0..n).map(|_| rng.pick(PIECES)).collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn gen_scalar(rng: &mut Rng) -> String {
    const SCALARS: &[&str] = &[
        "1",
        "-2",
        "0",
        "007",
        "1.5",
        "-0.25",
        "1e3",
        "2E-2",
        "-1.5e+3",
        "1e5",
        "123456789012345678901",
        "true",
        "False",
        "NONE",
        "inf",
        "'x'",
        "\"y\"",
        "'a b'",
        r#""a\"b""#,
        "'x''y'",
        r#""\1""#,
        "\"10min\"",
        "''",
    ];
    rng.pick(SCALARS).to_string()
}

fn gen_expr(rng: &mut Rng, depth: usize) -> String {
    let head = if depth == 0 || rng.chance(45) {
        gen_path(rng)
    } else if rng.chance(10) {
        gen_template(rng, depth)
    } else {
        gen_call(rng, depth)
    };
    let mut s = head;
    while depth > 0 && rng.chance(15) {
        s.push_str(space(rng));
        s.push('|');
        s.push_str(space(rng));
        s.push_str(&gen_call(rng, depth - 1));
    }
    s
}

fn gen_arg(rng: &mut Rng, depth: usize) -> String {
    if rng.chance(40) {
        gen_scalar(rng)
    } else {
        gen_expr(rng, depth.saturating_sub(1))
    }
}

fn gen_call(rng: &mut Rng, depth: usize) -> String {
    const NAMES: &[&str] = &[
        "sumSeries",
        "scale",
        "alias",
        "f",
        "seriesByTag",
        "g_2",
        "template",
    ];
    let mut s = rng.pick(NAMES).to_string();
    s.push_str(space(rng));
    s.push('(');
    let mut parts = Vec::new();
    let positional = if rng.chance(10) { 0 } else { 1 + rng.below(3) };
    for _ in 0..positional {
        parts.push(format!(
            "{}{}{}",
            space(rng),
            gen_arg(rng, depth),
            space(rng)
        ));
    }
    if rng.chance(25) {
        for _ in 0..1 + rng.below(2) {
            let name = rng.pick(&["n", "seriesList", "x_1"]);
            parts.push(format!(
                "{}{name}{}={}{}",
                space(rng),
                space(rng),
                space(rng),
                gen_arg(rng, depth)
            ));
        }
    }
    s.push_str(&parts.join(","));
    s.push(')');
    s
}

fn gen_template(rng: &mut Rng, depth: usize) -> String {
    let inner = if rng.chance(50) {
        gen_path(rng)
    } else {
        gen_call(rng, depth.saturating_sub(1))
    };
    let mut s = format!("template({inner}");
    match rng.below(3) {
        0 => {}
        1 => {
            for _ in 0..1 + rng.below(2) {
                s.push_str(&format!(
                    ", {}",
                    rng.pick(&["1", "'web01'", "2.5", "\"x\""])
                ));
            }
        }
        _ => s.push_str(&format!(", n={}", rng.pick(&["1", "'web01'"]))),
    }
    s.push(')');
    s
}

fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    const INSERTS: &[&str] = &[
        "(", ")", ",", ".", "'", "\"", "\\", "|", "=", "{", "}", " ", "x", "1",
    ];
    for _ in 0..1 + rng.below(2) {
        if chars.is_empty() {
            break;
        }
        let i = rng.below(chars.len());
        match rng.below(3) {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, rng.pick(INSERTS).chars().next().unwrap()),
            _ => chars.truncate(i),
        }
    }
    chars.into_iter().collect()
}

/// 350 generated targets, 250 mutations of them and 200 random strings; `GRAMMAR_REFERENCE_SEED` and
/// `GRAMMAR_REFERENCE_COUNT` change the seed and the count for a longer run.
fn generated() -> Vec<String> {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mut rng = Rng(env("GRAMMAR_REFERENCE_SEED", 0x2545_F491_4F6C_DD1D).max(1));
    let count = env("GRAMMAR_REFERENCE_COUNT", 350) as usize;
    let mut out = Vec::new();
    for _ in 0..count {
        let depth = rng.below(4);
        out.push(gen_expr(&mut rng, depth));
    }
    for i in 0..count * 5 / 7 {
        let base = out[i].clone();
        out.push(mutate(&mut rng, &base));
    }
    // Short random strings over the grammar's own characters.
    const ALPHABET: &[char] = &[
        'a', 'b', 't', 'e', '1', '-', '(', ')', ',', '.', '\'', '"', '\\', '|', '=', '{', '}', ' ',
        '\n', '\t', 'é',
    ];
    for _ in 0..count * 4 / 7 {
        let len = 1 + rng.below(14);
        let mut s: String = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect();
        if rng.chance(30) {
            s = format!("f({s})");
        } else if rng.chance(20) {
            s = format!("template({s})");
        }
        out.push(s);
    }
    out
}

/// The reference's canonical tree as an [`Expr`].
fn from_reference(v: &Value) -> Expr {
    let obj = v.as_object().expect("tree node");
    let list = |key: &str| -> Vec<Expr> {
        obj[key]
            .as_array()
            .unwrap()
            .iter()
            .map(from_reference)
            .collect()
    };
    let kwargs = |key: &str| -> Vec<(String, Expr)> {
        obj[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|kv| (kv[0].as_str().unwrap().to_string(), from_reference(&kv[1])))
            .collect()
    };
    if let Some(p) = obj.get("path") {
        Expr::Path(p.as_str().unwrap().into())
    } else if let Some(name) = obj.get("call") {
        Expr::Call(Call {
            name: name.as_str().unwrap().into(),
            args: list("args"),
            kwargs: kwargs("kwargs"),
            source: obj["raw"].as_str().unwrap().into(),
        })
    } else if let Some(inner) = obj.get("template") {
        Expr::Template(Template {
            inner: Box::new(from_reference(inner)),
            args: list("args"),
            kwargs: kwargs("kwargs"),
        })
    } else if let Some(i) = obj.get("int") {
        let text = i.as_str().unwrap();
        match text.parse::<i64>() {
            Ok(i) => Expr::Int(i),
            Err(_) => Expr::Float(text.parse().unwrap()),
        }
    } else if let Some(f) = obj.get("float") {
        Expr::Float(f.as_str().unwrap().parse().unwrap())
    } else if let Some(s) = obj.get("str") {
        Expr::Str(s.as_str().unwrap().into())
    } else if let Some(b) = obj.get("bool") {
        Expr::Bool(b.as_bool().unwrap())
    } else if obj.contains_key("none") {
        Expr::None
    } else {
        panic!("unknown node {v}")
    }
}

#[test]
fn parse_target_matches_reference() {
    let mut targets: Vec<String> = HAND_WRITTEN.iter().map(|s| s.to_string()).collect();
    targets.extend(generated());
    // Nesting around the reference's recursion limit.
    for n in [10, 30, 40, 70] {
        targets.push(format!("{}a{}", "f(".repeat(n), ")".repeat(n)));
    }

    let driver =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/grammar_driver.py");
    let mut child = Command::new(reference_python::python())
        .arg(&driver)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the reference driver");
    let mut stdin = child.stdin.take().unwrap();
    let payload: String = targets
        .iter()
        .map(|t| format!("{}\n", Value::String(t.clone())))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(payload.as_bytes()).unwrap());
    let answers: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success(), "the driver failed");
    assert_eq!(answers.len(), targets.len());

    let mut mismatches = Vec::new();
    let (mut full, mut prefix, mut error, mut recursion) = (0, 0, 0, 0);
    for (target, answer) in targets.iter().zip(&answers) {
        let ours = parse_target(target);
        match answer["status"].as_str().unwrap() {
            "full" => {
                full += 1;
                let expected = from_reference(&answer["tree"]);
                match &ours {
                    // Debug keeps the sign of -0.0 apart from 0.0.
                    Ok(e) if format!("{e:?}") == format!("{expected:?}") => {}
                    _ => mismatches.push(format!(
                        "{target:?}: reference {expected:?}\n    ours {ours:?}"
                    )),
                }
            }
            "prefix" => {
                prefix += 1;
                if let Ok(e) = &ours {
                    mismatches.push(format!(
                        "{target:?}: the reference only parses a prefix, ours {e:?}"
                    ));
                }
            }
            _ if answer["kind"] == "RecursionError" => {
                // The reference overflows Python's stack; we allow up to MAX_NESTING levels.
                recursion += 1;
            }
            _ => {
                error += 1;
                if let Ok(e) = &ours {
                    mismatches.push(format!(
                        "{target:?}: the reference rejects it ({}), ours {e:?}",
                        answer["kind"]
                    ));
                }
            }
        }
    }
    eprintln!(
        "{} targets: {full} parsed fully, {prefix} prefix-only, {error} rejected, \
         {recursion} too deep for the reference",
        targets.len()
    );
    assert!(
        full > 200 && prefix > 50 && error > 20,
        "the targets exercise every outcome"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(30)].join("\n")
    );
}
