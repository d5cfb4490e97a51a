//! Sorting functions evaluated over a fixed set of series, and the Python sort order.

use super::natural_key;
use crate::evaluator::EvalError;
use crate::functions::filter::pyorder::sort_order as python_order;
use crate::functions::test_support::{ctx_until, eval_series, Fixed};
use crate::series::TimeSeries;

fn storage() -> Fixed {
    let mk = |name: &str, values: Vec<Option<f64>>| TimeSeries::new(name, 0, 50, 10, values, 0.0);
    Fixed(vec![
        mk(
            "s.low",
            vec![Some(1.0), Some(2.0), None, Some(3.0), Some(1.0)],
        ),
        mk(
            "s.high",
            vec![Some(10.0), None, Some(-5.0), Some(0.0), Some(2.0)],
        ),
        mk("s.nulls", vec![None; 5]),
        mk(
            "s.neg",
            vec![Some(-1.0), Some(-2.0), None, None, Some(-3.0)],
        ),
        mk(
            "s.same",
            vec![Some(1.0), Some(2.0), None, Some(3.0), Some(1.0)],
        ),
        mk("s.empty", Vec::new()),
        mk(
            "s.odd",
            vec![
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(f64::NEG_INFINITY),
                Some(-0.0),
                Some(1e308),
            ],
        ),
        mk("s.srv10", vec![Some(1.0); 5]),
        mk("s.srv9", vec![Some(1.0); 5]),
        mk("s.srv007", vec![Some(1.0); 5]),
    ])
}

fn eval(target: &str) -> Result<Vec<TimeSeries>, EvalError> {
    eval_series(&storage(), &ctx_until(50), target)
}

fn names(target: &str) -> Vec<String> {
    eval(target)
        .unwrap_or_else(|e| panic!("{target}: {e:?}"))
        .into_iter()
        .map(|s| s.name)
        .collect()
}

const N: f64 = f64::NAN;
const M: f64 = f64::NEG_INFINITY;

#[test]
fn ties_keep_their_order_both_ways() {
    let keys = [2.0, 1.0, 2.0, 1.0, 0.0];
    assert_eq!(python_order(&keys, false), vec![4, 1, 3, 0, 2]);
    assert_eq!(python_order(&keys, true), vec![0, 2, 1, 3, 4]);
    assert_eq!(python_order::<f64>(&[], true), Vec::<usize>::new());
    // -0.0 and 0.0 are equal keys.
    assert_eq!(python_order(&[0.0, -0.0, 0.0], true), vec![0, 1, 2]);
}

/// Orders CPython 3.11 gives for keys with NaN (`sorted(range(n), key=keys.__getitem__,
/// reverse=...)`), where the result depends on the algorithm.
#[test]
fn nan_keys_follow_cpython() {
    let cases: Vec<(Vec<f64>, bool, Vec<usize>)> = vec![
        (vec![N, M, N, N, M], false, vec![0, 1, 2, 3, 4]),
        (vec![N, M, N, N, M], true, vec![0, 1, 2, 3, 4]),
        (
            vec![M, N, 0.0, N, N, 4.0, M, N, M],
            false,
            vec![0, 1, 2, 3, 4, 6, 8, 5, 7],
        ),
        (
            vec![M, N, 0.0, N, N, 4.0, M, N, M],
            true,
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8],
        ),
        (
            vec![N, M, N, N, N, 2.0, M, M, M, N, M, M, 1.0, M, N, N, N],
            false,
            vec![0, 1, 2, 3, 4, 6, 7, 8, 10, 13, 12, 5, 9, 11, 14, 15, 16],
        ),
        (
            vec![N, M, N, N, N, 2.0, M, M, M, N, M, M, 1.0, M, N, N, N],
            true,
            vec![0, 2, 3, 4, 5, 9, 12, 1, 6, 7, 8, 10, 11, 13, 14, 15, 16],
        ),
        (
            vec![
                M, 4.0, 2.0, 4.0, 2.0, N, N, M, M, 3.0, 5.0, M, N, 4.0, 1.0, 1.0, N, N, M, 2.0,
                5.0, 4.0, 4.0, N, 2.0, M, N, M, M, M, 3.0, 5.0, 5.0, 0.0, N, N, N, 1.0, M, 1.0,
            ],
            false,
            vec![
                0, 7, 8, 11, 18, 28, 38, 33, 14, 15, 2, 4, 19, 1, 3, 5, 6, 9, 10, 12, 13, 16, 17,
                25, 27, 29, 37, 39, 24, 30, 21, 22, 20, 23, 26, 31, 32, 34, 35, 36,
            ],
        ),
        (
            vec![
                M, 4.0, 2.0, 4.0, 2.0, N, N, M, M, 3.0, 5.0, M, N, 4.0, 1.0, 1.0, N, N, M, 2.0,
                5.0, 4.0, 4.0, N, 2.0, M, N, M, M, M, 3.0, 5.0, 5.0, 0.0, N, N, N, 1.0, M, 1.0,
            ],
            true,
            vec![
                5, 6, 10, 9, 4, 12, 16, 17, 20, 1, 23, 26, 31, 32, 3, 13, 21, 22, 30, 2, 19, 24,
                14, 15, 33, 0, 7, 8, 11, 18, 25, 27, 28, 29, 34, 35, 36, 37, 39, 38,
            ],
        ),
    ];
    for (keys, reverse, expected) in cases {
        assert_eq!(python_order(&keys, reverse), expected, "{keys:?} {reverse}");
    }
}

/// 100 keys with NaN: CPython merges runs (with galloping) instead of one insertion sort.
/// Expected orders from CPython 3.11.7: `sorted(range(100), key=keys.__getitem__, reverse=r)`
/// for the keys of `random.Random(7)` (20% NaN, 10% -inf, else 0..5).
#[test]
fn nan_keys_follow_cpython_past_one_run() {
    let keys = vec![
        1.0, 0.0, N, 2.0, 4.0, M, N, 1.0, N, 4.0, N, M, 0.0, 3.0, N, M, 1.0, M, N, N, 5.0, N, 5.0,
        N, N, 4.0, N, M, 3.0, 3.0, 3.0, 1.0, 5.0, 0.0, 4.0, 2.0, 2.0, 0.0, N, 2.0, N, 0.0, 0.0,
        4.0, 2.0, 2.0, 4.0, 0.0, 2.0, 5.0, N, 2.0, 5.0, 2.0, 5.0, 3.0, 4.0, N, N, 1.0, 3.0, 3.0, N,
        4.0, M, N, 4.0, M, 2.0, 3.0, 1.0, N, N, 0.0, 4.0, N, M, N, 4.0, 1.0, 4.0, 5.0, 0.0, 5.0,
        3.0, 3.0, N, 0.0, N, 3.0, N, 0.0, N, 4.0, N, 0.0, N, M, 5.0, M,
    ];
    let ascending = vec![
        1, 0, 2, 5, 11, 15, 17, 12, 33, 41, 42, 47, 7, 16, 31, 3, 35, 36, 44, 28, 4, 6, 8, 39, 48,
        30, 9, 10, 13, 14, 18, 19, 27, 37, 45, 29, 34, 46, 20, 21, 25, 22, 23, 24, 26, 32, 38, 40,
        43, 49, 50, 64, 67, 76, 97, 99, 73, 82, 87, 91, 95, 59, 70, 79, 51, 53, 68, 55, 60, 61, 84,
        85, 89, 56, 78, 52, 54, 57, 58, 62, 63, 65, 69, 66, 71, 72, 74, 75, 77, 80, 93, 81, 83, 86,
        88, 90, 92, 94, 96, 98,
    ];
    let descending = vec![
        2, 4, 6, 8, 10, 14, 18, 19, 20, 21, 22, 9, 13, 23, 24, 26, 32, 34, 38, 40, 49, 25, 43, 46,
        28, 29, 30, 3, 35, 36, 39, 44, 45, 48, 0, 7, 16, 31, 1, 12, 33, 37, 41, 42, 47, 5, 11, 15,
        17, 27, 50, 52, 54, 57, 58, 62, 63, 65, 66, 71, 72, 75, 77, 81, 83, 56, 78, 80, 86, 88, 90,
        92, 94, 96, 98, 74, 93, 55, 60, 61, 69, 84, 85, 89, 51, 53, 68, 59, 70, 79, 73, 82, 87, 91,
        95, 64, 67, 76, 97, 99,
    ];
    assert_eq!(python_order(&keys, false), ascending);
    assert_eq!(python_order(&keys, true), descending);
}

#[test]
fn natural_keys_pad_numbers_to_ten_digits() {
    assert_eq!(natural_key("srv007"), "srv0000000007");
    assert_eq!(natural_key("a1b22"), "a0000000001b0000000022");
    assert_eq!(natural_key("x12345678901"), "x12345678901");
    assert_eq!(natural_key("x000000000000000012"), "x0000000012");
    assert_eq!(natural_key("0"), "0000000000");
    assert_eq!(natural_key("no digits"), "no digits");
    assert_eq!(natural_key(""), "");
    // Other scripts' decimal digits count by their value, as Python's int() reads them.
    assert_eq!(natural_key("srv\u{0663}"), "srv0000000003");
    assert_eq!(natural_key("\u{0661}\u{0660}"), "0000000010");
    assert_eq!(natural_key("\u{1D7D8}\u{1D7E1}"), "0000000009");
    // Superscripts are not decimal digits.
    assert_eq!(natural_key("x\u{00B2}"), "x\u{00B2}");
}

#[test]
fn sort_by_aggregates() {
    assert_eq!(
        names("sortBy(group(s.high,s.low,s.nulls,s.neg),'max')"),
        ["s.nulls", "s.neg", "s.low", "s.high"]
    );
    assert_eq!(
        names("sortBy(group(s.low,s.high,s.same,s.nulls),'sum',true)"),
        // Three sums of 7: a reverse sort keeps them in their input order.
        ["s.low", "s.high", "s.same", "s.nulls"]
    );
    assert_eq!(
        names("sortBy(group(s.high,s.low,s.neg),reverse=true)"),
        // Both averages are 1.75.
        ["s.high", "s.low", "s.neg"]
    );
    assert!(matches!(
        eval("sortBy(s.low,'nope')"),
        Err(EvalError::InputParameter { .. })
    ));
}

#[test]
fn total_maxima_and_minima() {
    assert_eq!(
        names("sortByTotal(group(s.neg,s.low,s.high,s.nulls,s.same))"),
        ["s.low", "s.high", "s.same", "s.neg", "s.nulls"]
    );
    assert_eq!(
        names("sortByMaxima(group(s.neg,s.low,s.nulls,s.high))"),
        ["s.high", "s.low", "s.neg", "s.nulls"]
    );
    // Only series with a positive maximum are kept.
    assert_eq!(
        names("sortByMinima(group(s.neg,s.low,s.nulls,s.high,s.empty))"),
        ["s.high", "s.low"]
    );
}

#[test]
fn by_name() {
    let target = "group(s.srv10,s.srv9,s.srv007,s.low)";
    assert_eq!(
        names(&format!("sortByName({target})")),
        ["s.low", "s.srv007", "s.srv10", "s.srv9"]
    );
    assert_eq!(
        names(&format!("sortByName({target},true)")),
        ["s.low", "s.srv007", "s.srv9", "s.srv10"]
    );
    assert_eq!(
        names(&format!("sortByName({target},natural=true,reverse=true)")),
        ["s.srv10", "s.srv9", "s.srv007", "s.low"]
    );
}

#[test]
fn odd_inputs_do_not_panic() {
    let lists = [
        "s.*",
        "group(s.odd,s.odd,s.nulls,s.empty)",
        "s.nothere",
        "scale(s.odd,1e308)",
        "group(s.odd,s.odd,s.odd,s.nulls,s.low,s.odd,s.high,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.odd,s.low)",
    ];
    for list in lists {
        for func in crate::functions::AGG_FUNC_NAMES
            .iter()
            .map(|f| format!("'{f}'"))
            .chain(["'x'".to_owned(), "1".to_owned(), "none".to_owned()])
        {
            for reverse in ["true", "false", "2", "'x'"] {
                let _ = eval(&format!("sortBy({list},{func},{reverse})"));
            }
        }
        for f in ["sortByTotal", "sortByMaxima", "sortByMinima", "sortByName"] {
            let out = eval(&format!("{f}({list})")).unwrap_or_default();
            let input = eval(list).unwrap_or_default();
            if f != "sortByMinima" {
                assert_eq!(out.len(), input.len(), "{f}({list})");
            }
        }
        for args in ["true", "true,true", "false,true", "natural=1", "'x'"] {
            let _ = eval(&format!("sortByName({list},{args})"));
        }
    }
}
