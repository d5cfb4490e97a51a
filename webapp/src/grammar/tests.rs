use super::*;

fn path(s: &str) -> Expr {
    Expr::Path(s.into())
}

fn call(name: &str, args: Vec<Expr>, kwargs: Vec<(&str, Expr)>, source: &str) -> Expr {
    Expr::Call(Call {
        name: name.into(),
        args,
        kwargs: kwargs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        source: source.into(),
    })
}

fn parse(s: &str) -> Expr {
    parse_target(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn err(s: &str) -> ParseError {
    match parse_target(s) {
        Ok(e) => panic!("{s:?} parsed as {e:?}"),
        Err(e) => e,
    }
}

#[test]
fn paths() {
    assert_eq!(parse("a.b.c"), path("a.b.c"));
    assert_eq!(parse("  a.b  "), path("a.b"));
    assert_eq!(
        parse("servers.*.cpu.{user,system}"),
        path("servers.*.cpu.{user,system}")
    );
    assert_eq!(parse("a.[a-z]?!^$;=~-:#@.b"), path("a.[a-z]?!^$;=~-:#@.b"));
    assert_eq!(parse(r"a\(b\).c\,d"), path("a(b).c,d"));
    assert_eq!(parse(r"a\=b"), path("a=b"));
    assert_eq!(parse(r"{a\,b,c}"), path("{a,b,c}"));
    assert_eq!(parse("a{b,c}d{e}"), path("a{b,c}d{e}"));
    assert_eq!(parse("12"), path("12"));
    assert_eq!(parse("true"), path("true"));
    assert_eq!(
        parse("métriques.température.°C"),
        path("métriques.température.°C")
    );
    assert_eq!(parse("tagged;tag=value"), path("tagged;tag=value"));
}

#[test]
fn calls_and_args() {
    assert_eq!(
        parse("sumSeries( a.b , c.d )"),
        call(
            "sumSeries",
            vec![path("a.b"), path("c.d")],
            vec![],
            "sumSeries( a.b , c.d )"
        )
    );
    assert_eq!(parse("f()"), call("f", vec![], vec![], "f()"));
    assert_eq!(parse("f ( )"), call("f", vec![], vec![], "f ( )"));
    assert_eq!(
        parse("f(a, 1, -2.5, 1e3, 2E-2, true, FALSE, None, inf, 'x', \"y\")"),
        call(
            "f",
            vec![
                path("a"),
                Expr::Int(1),
                Expr::Float(-2.5),
                Expr::Float(1000.0),
                Expr::Float(0.02),
                Expr::Bool(true),
                Expr::Bool(false),
                Expr::None,
                Expr::Float(f64::INFINITY),
                Expr::Str("x".into()),
                Expr::Str("y".into()),
            ],
            vec![],
            "f(a, 1, -2.5, 1e3, 2E-2, true, FALSE, None, inf, 'x', \"y\")"
        )
    );
    assert_eq!(
        parse("f(a, x = 1, y=b.c)"),
        call(
            "f",
            vec![path("a")],
            vec![("x", Expr::Int(1)), ("y", path("b.c"))],
            "f(a, x = 1, y=b.c)"
        )
    );
    // Numbers only count when followed by ',' or ')' (or a line end).
    assert_eq!(
        parse("f(a,1e5x,1.5.6,0x10,-x,true_x,nonex)"),
        call(
            "f",
            vec![
                path("a"),
                path("1e5x"),
                path("1.5.6"),
                path("0x10"),
                path("-x"),
                path("true_x"),
                path("nonex"),
            ],
            vec![],
            "f(a,1e5x,1.5.6,0x10,-x,true_x,nonex)"
        )
    );
    // Large integers become floats; other scripts' digits are digits.
    assert_eq!(
        parse("f(a, 99999999999999999999, ١٢)"),
        call(
            "f",
            vec![path("a"), Expr::Float(1e20), Expr::Int(12)],
            vec![],
            "f(a, 99999999999999999999, ١٢)"
        )
    );
}

#[test]
fn strings_keep_backslashes() {
    let s = |t: &str| match parse(t) {
        Expr::Call(c) => c.args[1].clone(),
        e => panic!("{e:?}"),
    };
    assert_eq!(s(r#"f(a, "x\"y")"#), Expr::Str(r#"x\"y"#.into()));
    assert_eq!(s(r#"f(a, "\1 A")"#), Expr::Str(r"\1 A".into()));
    assert_eq!(s("f(a, 'x''y')"), Expr::Str("x''y".into()));
    assert_eq!(s(r#"f(a, "x""y")"#), Expr::Str(r#"x""y"#.into()));
    assert_eq!(s(r#"f(a, "x\x4g")"#), Expr::Str(r"x\x4g".into()));
    assert_eq!(s(r#"f(a, "")"#), Expr::Str(String::new()));
    // Tabs are expanded to the next multiple of 8 columns, as pyparsing does.
    assert_eq!(s("f(a, \"x\ty\")"), Expr::Str("x y".into()));
}

#[test]
fn pipes_desugar() {
    assert_eq!(
        parse("x|f(a)|g()"),
        parse("g(f(x,a))").with_sources(&["g()", "f(a)"])
    );
    assert_eq!(
        parse("a.b | scale(2) |alias('x')"),
        call(
            "alias",
            vec![
                call("scale", vec![path("a.b"), Expr::Int(2)], vec![], "scale(2)"),
                Expr::Str("x".into()),
            ],
            vec![],
            "alias('x')"
        )
    );
    assert_eq!(
        parse("f(a|g(), 1)"),
        call(
            "f",
            vec![call("g", vec![path("a")], vec![], "g()"), Expr::Int(1)],
            vec![],
            "f(a|g(), 1)"
        )
    );
}

impl Expr {
    /// Replaces the sources of the calls, outermost first (for comparing desugared pipes).
    fn with_sources(mut self, sources: &[&str]) -> Expr {
        let mut e = &mut self;
        for s in sources {
            let Expr::Call(c) = e else { panic!() };
            c.source = (*s).into();
            e = &mut c.args[0];
        }
        self
    }
}

#[test]
fn templates() {
    assert_eq!(
        parse("template(a.$1, 5, 'x')"),
        Expr::Template(Template {
            inner: Box::new(path("a.$1")),
            args: vec![Expr::Int(5), Expr::Str("x".into())],
            kwargs: vec![],
        })
    );
    assert_eq!(
        parse("template(f(a.$n), n=\"web01\")"),
        Expr::Template(Template {
            inner: Box::new(call("f", vec![path("a.$n")], vec![], "f(a.$n)")),
            args: vec![],
            kwargs: vec![("n".into(), Expr::Str("web01".into()))],
        })
    );
    // Mixed or non-literal template arguments make it a call named `template` (which the
    // evaluator rejects), as in the reference.
    assert_eq!(
        parse("template(a, 1, x=2)"),
        call(
            "template",
            vec![path("a"), Expr::Int(1)],
            vec![("x", Expr::Int(2))],
            "template(a, 1, x=2)"
        )
    );
    assert!(matches!(parse("template(a, b.c)"), Expr::Call(c) if c.name == "template"));
    assert!(matches!(parse("templatex(a)"), Expr::Call(c) if c.name == "templatex"));
}

#[test]
fn reference_prefixes_are_errors() {
    // (target, position of the problem)
    for (target, position) in [
        ("sumSeries(a.b", 13),
        ("scale(a.b,.5)", 10),
        ("scale(a.b,1.)", 12),
        ("a.b)))junk", 3),
        ("sumSeries(true.x)", 14),
        ("f(x=1)", 2),
        ("f(a,)", 4),
        ("f(a, x=1, 2)", 10),
        ("a . b", 2),
        ("a..b", 2),
        ("a.", 2),
        ("f(a)b", 4),
        ("f(a)|g", 6),
        ("a|", 2),
        ("{a,}", 3),
        (".a", 0),
        ("\"abc\"", 0),
        ("f(a, \"abc)", 10),
        (r#"f(a,"x\x")"#, 6),
        (r"a\", 1),
        ("(", 0),
    ] {
        let e = err(target);
        assert_eq!(e.position, position, "{target:?}: {e}");
    }
    assert_eq!(
        err("sumSeries(a.b").to_string(),
        "invalid target at position 13: expected ',', ')' or '|', found the end of the target"
    );
    assert_eq!(
        err("a.b)))junk").to_string(),
        "invalid target at position 3: expected '|' or the end of the target, found ')'"
    );
    assert!(err("sumSeries(true.x)").message.contains("{true}.x"));
    assert!(err("f(x=1)").message.contains("positional"));
    assert_eq!(err("").message, "empty target");
    assert_eq!(err(" \t ").message, "empty target");
}

#[test]
fn error_positions_count_original_characters() {
    // A tab before the problem: positions are in the original text, not the expanded one.
    assert_eq!(err("f(a,\t.5)").position, 5);
    assert_eq!(err("é.(").position, 2);
}

#[test]
fn nesting_limit() {
    let nested = |n: usize| format!("{}a{}", "f(".repeat(n), ")".repeat(n));
    assert!(parse_target(&nested(MAX_NESTING)).is_ok());
    let e = err(&nested(MAX_NESTING + 1));
    assert!(e.message.contains("nested"), "{e}");
    let e = err(&"f(".repeat(100_000));
    assert!(e.message.contains("nested"), "{e}");
    assert!(parse_target(&"(".repeat(100_000)).is_err());
    assert!(parse_target(&"{".repeat(100_000)).is_err());
    let kw = format!("{}a{}", "f(a,x=".repeat(50_000), ")".repeat(50_000));
    assert!(parse_target(&kw).is_err());
    let templates = format!("{}a{}", "template(".repeat(50_000), ")".repeat(50_000));
    assert!(parse_target(&templates).is_err());
    // Pipes nest too: x|f()|f() is f(f(x)).
    let pipes = |n: usize| format!("a{}", "|f()".repeat(n));
    assert!(parse_target(&pipes(MAX_NESTING)).is_ok());
    let e = err(&pipes(MAX_NESTING + 1));
    assert!(e.message.contains("nested"), "{e}");
    assert!(parse_target(&pipes(100_000)).is_err());
    let mixed = format!(
        "{}a{}{}",
        "f(".repeat(40),
        "|g()".repeat(30),
        ")".repeat(40)
    );
    assert!(parse_target(&mixed).is_err());
    let mixed = format!(
        "{}a{}{}",
        "f(".repeat(30),
        "|g()".repeat(30),
        ")".repeat(30)
    );
    assert!(parse_target(&mixed).is_ok());
    let piped_args = format!("a|f({}b{})", "g(".repeat(63), ")".repeat(63));
    assert!(parse_target(&piped_args).is_ok());
    let piped_args = format!("a|f({}b{})", "g(".repeat(64), ")".repeat(64));
    assert!(parse_target(&piped_args).is_err());
}

#[test]
fn nesting_fits_a_small_stack() {
    // Tokio workers and test threads have 2 MiB; leave room for the caller.
    let t = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let nested = format!(
                "{}a{}",
                "template(f(a,x=g(".repeat(MAX_NESTING / 3),
                ")))".repeat(MAX_NESTING / 3)
            );
            let _ = parse_target(&nested);
            let nested = format!("{}a{}", "f(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
            parse_target(&nested).is_ok()
        })
        .unwrap();
    assert!(t.join().unwrap());
}

#[test]
fn path_expressions_like_extract_path_expressions() {
    let t = parse(
        "sumSeries(a.*, scale(b.c, 2), highest(k.w, n=1, kw=k.x), a.*, \
         seriesByTag('name=x', 'dc=y'), template(t.$1, 'v'))|alias('x')",
    );
    assert_eq!(
        path_expressions(&t),
        vec![
            "a.*".to_string(),
            "b.c".into(),
            "k.w".into(),
            "seriesByTag('name=x', 'dc=y')".into(),
            "t.$1".into(),
        ]
    );
    assert_eq!(
        path_expressions(&parse("f(1, 'x', n=a.b)")),
        Vec::<String>::new()
    );
    assert_eq!(path_expressions(&parse("a.b")), vec!["a.b".to_string()]);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_strings(s in any::<String>()) {
            let _ = parse_target(&s);
        }

        #[test]
        fn target_like_strings(s in "[a-c0-9(){},.'\"\\\\|= \t\n_eE\\-xé*${}]{0,40}") {
            if let Ok(e) = parse_target(&s) {
                let _ = path_expressions(&e);
            }
        }

        #[test]
        fn errors_point_inside_the_input(s in "[a-c0-9(){},.'\"\\\\|= \t_\\-]{0,30}") {
            if let Err(e) = parse_target(&s) {
                prop_assert!(e.position <= s.chars().count(), "{e} for {s:?}");
            }
        }
    }
}
