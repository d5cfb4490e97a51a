//! Filter Data functions evaluated over a fixed set of series.

use crate::evaluator::EvalError;
use crate::functions::test_support::{ctx_until, eval_series, Fixed};
use crate::series::TimeSeries;

fn storage() -> Fixed {
    let mk = |name: &str, values: Vec<Option<f64>>| TimeSeries::new(name, 0, 60, 10, values, 0.0);
    let mut ints = mk(
        "a.ints",
        vec![Some(3.0), Some(1.0), None, Some(2.0), Some(5.0), Some(4.0)],
    );
    ints.int_values = true;
    Fixed(vec![
        mk(
            "a.gaps",
            vec![None, Some(1.0), Some(4.0), None, Some(2.0), Some(5.0)],
        ),
        mk("a.nulls", vec![None; 6]),
        mk("a.empty", Vec::new()),
        mk(
            "a.odd",
            vec![
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(f64::NEG_INFINITY),
                Some(-0.0),
                Some(1e308),
                None,
            ],
        ),
        ints,
    ])
}

fn eval(target: &str) -> Result<Vec<TimeSeries>, EvalError> {
    eval_series(&storage(), &ctx_until(60), target)
}

fn one(target: &str) -> TimeSeries {
    let mut list = eval(target).unwrap_or_else(|e| panic!("{target}: {e:?}"));
    assert_eq!(list.len(), 1, "{target}");
    list.remove(0)
}

#[test]
fn by_value_names_and_points() {
    let s = one("removeAboveValue(a.gaps,2)");
    assert_eq!(s.name, "removeAboveValue(a.gaps, 2)");
    assert_eq!(s.path_expression, s.name);
    assert_eq!(s.values, [None, Some(1.0), None, None, Some(2.0), None]);
    let s = one("removeBelowValue(a.gaps,1e20)");
    assert_eq!(s.name, "removeBelowValue(a.gaps, 1e+20)");
    assert_eq!(s.values, [None; 6]);
    let s = one("removeBelowValue(a.gaps,'nan')");
    assert_eq!(s.name, "removeBelowValue(a.gaps, nan)");
    assert_eq!(
        s.values,
        [None, Some(1.0), Some(4.0), None, Some(2.0), Some(5.0)]
    );
    let s = one("removeAboveValue(a.ints,3.5)");
    assert!(s.int_values);
    assert_eq!(
        s.values,
        [Some(3.0), Some(1.0), None, Some(2.0), None, None]
    );
    assert!(!s.tags.contains_key("nPercentile"));
}

#[test]
fn by_percentile() {
    // sorted [1, 2, 4, 5]: the 50th percentile is rank ceil(2.5) = 3, the value 4.
    let s = one("removeAbovePercentile(a.gaps,50)");
    assert_eq!(s.name, "removeAbovePercentile(a.gaps, 50)");
    assert_eq!(
        s.values,
        [None, Some(1.0), Some(4.0), None, Some(2.0), None]
    );
    assert_eq!(s.tags.get("nPercentile").map(String::as_str), Some("50.0"));
    let s = one("removeBelowPercentile(a.gaps,50)");
    assert_eq!(s.values, [None, None, Some(4.0), None, None, Some(5.0)]);
    // Ranks past the end are Python's IndexError: the series is kept, untagged.
    let s = one("removeBelowPercentile(a.gaps,150)");
    assert_eq!(s.name, "removeBelowPercentile(a.gaps, 150)");
    assert_eq!(
        s.values,
        [None, Some(1.0), Some(4.0), None, Some(2.0), Some(5.0)]
    );
    assert!(!s.tags.contains_key("nPercentile"));
    // Negative ranks index from the end, as Python does: -50 gives rank -2, index -3, the
    // value 2.
    let s = one("removeAbovePercentile(a.gaps,-50)");
    assert_eq!(s.values, [None, Some(1.0), None, None, Some(2.0), None]);
    // An all-null series has no percentile and keeps no tag.
    let s = one("removeAbovePercentile(a.nulls,50)");
    assert_eq!(s.name, "removeAbovePercentile(a.nulls, 50)");
    assert!(!s.tags.contains_key("nPercentile"));
}

#[test]
fn percentile_errors_where_the_reference_raises() {
    // `assert n` fails on the first series, even an all-null one, and not on an empty list.
    for target in [
        "removeAbovePercentile(a.gaps,0)",
        "removeBelowPercentile(a.nulls,-0.0)",
        "removeAbovePercentile(a.gaps,'inf')",
        "removeBelowPercentile(a.gaps,'nan')",
    ] {
        // Input errors (a 400), where the reference fails with a 500.
        assert!(
            matches!(eval(target), Err(EvalError::InputParameter { .. })),
            "{target}"
        );
    }
    assert_eq!(
        eval("removeAbovePercentile(a.nothere,0)")
            .map(|l| l.len())
            .ok(),
        Some(0)
    );
    // int() of an infinite or NaN rank.
    assert!(eval("removeAbovePercentile(a.gaps,'inf')").is_err());
    assert!(eval("removeAbovePercentile(a.gaps,'nan')").is_err());
    // A huge finite rank is an IndexError: the series is kept.
    assert_eq!(
        eval("removeAbovePercentile(a.gaps,1e308)")
            .map(|l| l[0].values.clone())
            .ok(),
        Some(vec![None, Some(1.0), Some(4.0), None, Some(2.0), Some(5.0)])
    );
    // ...but not for a series without values, which is skipped first.
    assert!(eval("removeAbovePercentile(a.nulls,'nan')").is_ok());
    // A missing or non-numeric threshold.
    assert!(eval("removeAboveValue(a.gaps)").is_err());
    assert!(eval("removeAboveValue(a.gaps,'x')").is_err());
}

#[test]
fn odd_inputs_do_not_panic() {
    let thresholds = [
        "0",
        "-0.0",
        "1",
        "-1",
        "50",
        "100",
        "101",
        "-100",
        "-101",
        "1e308",
        "-1e308",
        "5e-324",
        "'inf'",
        "'-inf'",
        "'nan'",
        "true",
        "none",
        "'x'",
        "9999999999999999999",
    ];
    for list in [
        "a.*",
        "a.odd",
        "a.empty",
        "a.nulls",
        "a.nothere",
        "scale(a.odd,1e308)",
    ] {
        for n in thresholds {
            for f in [
                "removeAboveValue",
                "removeBelowValue",
                "removeAbovePercentile",
                "removeBelowPercentile",
            ] {
                if let Ok(out) = eval(&format!("{f}({list},{n})")) {
                    let input = eval(list).unwrap_or_default();
                    assert_eq!(out.len(), input.len());
                    for (a, b) in out.iter().zip(&input) {
                        assert_eq!(a.values.len(), b.values.len());
                    }
                }
            }
        }
    }
}
