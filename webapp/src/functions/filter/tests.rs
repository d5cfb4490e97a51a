//! Filter Series functions evaluated over a fixed set of series.

use crate::evaluator::EvalError;
use crate::functions::test_support::{ctx_until, eval_series, Fixed};
use crate::series::TimeSeries;

fn storage() -> Fixed {
    let mk = |name: &str, values: Vec<Option<f64>>| TimeSeries::new(name, 0, 30, 10, values, 0.5);
    let n = |v: &[f64]| v.iter().map(|x| Some(*x)).collect::<Vec<_>>();
    // Sorted by name within each pattern, as a finder returns them.
    Fixed(vec![
        mk("a.high", n(&[5.0, 6.0, 7.0])),
        mk("a.low", n(&[1.0, 2.0, 3.0])),
        mk("a.mid", vec![Some(2.0), None, Some(4.0)]),
        mk("a.nulls", vec![None, None, None]),
        mk("a.tie", n(&[5.0, 6.0, 7.0])),
        mk("b.empty", Vec::new()),
        mk(
            "b.odd",
            vec![Some(f64::NAN), Some(f64::INFINITY), Some(-f64::INFINITY)],
        ),
        mk("b.huge", n(&[1e300, -1e300, 0.0])),
        mk("c.x.reqs", n(&[1.0, 20.0, 3.0])),
        mk("c.y.reqs", n(&[1.0, 2.0, 3.0])),
        mk("c.x.time", n(&[0.5, 0.25, 0.125])),
        mk("c.y.time", n(&[9.0, 9.0, 9.0])),
    ])
}

fn eval(target: &str) -> Result<Vec<TimeSeries>, EvalError> {
    eval_series(&storage(), &ctx_until(30), target)
}

/// The names `target` evaluates to.
fn names(target: &str) -> Vec<String> {
    eval(target)
        .unwrap_or_else(|e| panic!("{target}: {e}"))
        .into_iter()
        .map(|s| s.name)
        .collect()
}

fn error(target: &str) -> String {
    match eval(target) {
        Err(e) => e.to_string(),
        Ok(list) => panic!("{target} succeeded with {} series", list.len()),
    }
}

#[test]
fn highest_and_lowest_keep_ties_in_input_order() {
    assert_eq!(names("highest(a.*,2)"), ["a.high", "a.tie"]);
    assert_eq!(names("highestAverage(a.*,3)"), ["a.high", "a.tie", "a.mid"]);
    assert_eq!(names("highestMax(a.*,1)"), ["a.high"]);
    assert_eq!(names("highestCurrent(a.*,3)"), ["a.high", "a.tie", "a.mid"]);
    // A null aggregate ranks as -inf: first for lowest, last for highest.
    assert_eq!(names("lowest(a.*,2)"), ["a.nulls", "a.low"]);
    assert_eq!(names("lowestAverage(a.*,2)"), ["a.nulls", "a.low"]);
    assert_eq!(names("lowestCurrent(a.*,3)"), ["a.nulls", "a.low", "a.mid"]);
    assert_eq!(
        names("highest(a.*,10)").last().map(String::as_str),
        Some("a.nulls")
    );
    assert_eq!(names("lowest(a.*,2,'count')"), ["a.nulls", "a.mid"]);
    assert_eq!(names("highest(a.*,1,'stddev')"), ["a.mid"]);
}

#[test]
fn n_is_a_python_slice() {
    assert!(names("highest(a.*,0)").is_empty());
    assert_eq!(names("highest(a.*,-1)").len(), 4);
    assert!(names("highest(a.*,-10)").is_empty());
    assert_eq!(names("limit(a.*,2)"), ["a.high", "a.low"]);
    assert_eq!(names("limit(a.*,-2)"), ["a.high", "a.low", "a.mid"]);
    assert_eq!(names("limit(a.*,99)").len(), 5);
    assert!(names("limit(a.*,0)").is_empty());
    assert!(names("mostDeviant(a.*,-9)").is_empty());
}

#[test]
fn threshold_filters() {
    assert_eq!(names("averageAbove(a.*,3)"), ["a.high", "a.tie"]);
    // `<=` passes a null aggregate.
    assert_eq!(names("averageBelow(a.*,3)"), ["a.low", "a.mid", "a.nulls"]);
    assert_eq!(names("currentAbove(a.*,4)"), ["a.high", "a.tie"]);
    assert_eq!(names("currentBelow(a.*,4)"), ["a.low", "a.mid", "a.nulls"]);
    assert_eq!(names("maximumAbove(a.*,4)"), ["a.high", "a.tie"]);
    assert_eq!(names("maximumBelow(a.*,4)"), ["a.low", "a.mid", "a.nulls"]);
    assert_eq!(names("minimumAbove(a.*,1)"), ["a.high", "a.mid", "a.tie"]);
    assert_eq!(names("minimumBelow(a.*,2)"), ["a.low", "a.mid", "a.nulls"]);
    assert_eq!(names("filterSeries(a.*,'max','=',7)"), ["a.high", "a.tie"]);
    assert_eq!(
        names("filterSeries(a.*,'max','!=',7)"),
        ["a.low", "a.mid", "a.nulls"]
    );
    assert_eq!(
        names("filterSeries(a.*,'sum','>=',18)"),
        ["a.high", "a.tie"]
    );
    assert_eq!(
        names("filterSeries(a.*,'count','<',3)"),
        ["a.mid", "a.nulls"]
    );
    assert!(names("filterSeries(x.*,'count','<',3)").is_empty());
}

#[test]
fn filter_series_refuses_unknown_operators_and_functions() {
    assert!(error("filterSeries(a.*,'max','~',1)").contains("operator"));
    assert!(error("filterSeries(a.*,'nope','>',1)").contains("func"));
    assert!(error("highest(a.*,1,'nope')").contains("func"));
}

#[test]
fn most_deviant_ranks_by_variance() {
    // Variances: high, low and tie 2/3, mid 1; nulls are skipped.
    assert_eq!(
        names("mostDeviant(a.*,10)"),
        ["a.mid", "a.high", "a.low", "a.tie"]
    );
    assert_eq!(names("mostDeviant(a.*,1)"), ["a.mid"]);
    assert!(error("mostDeviant(b.huge,1)").contains("overflows"));
}

#[test]
fn percentile_filters() {
    // Averages 2 and 6 (twice): the 90th percentile interval is [2, 6], nothing is strictly
    // inside it.
    assert_eq!(
        names("averageOutsidePercentile(group(a.low,a.high,a.tie),90)"),
        ["a.low", "a.high", "a.tie"]
    );
    assert_eq!(
        names("averageOutsidePercentile(group(a.low,a.high,a.tie,c.y.reqs),60)"),
        ["a.low", "a.high", "a.tie", "c.y.reqs"]
    );
    assert!(names("averageOutsidePercentile(x.*,90)").is_empty());
    assert!(error("averageOutsidePercentile(a.*,90)").contains("a.nulls"));
    assert!(error("averageOutsidePercentile(a.low,'nan')").contains("percentile"));
    assert_eq!(
        names("removeBetweenPercentile(group(a.low,a.high,c.x.reqs),50)"),
        ["a.low", "a.high", "c.x.reqs"]
    );
    assert!(names("removeBetweenPercentile(x.*,50)").is_empty());
    assert!(error("removeBetweenPercentile(a.*,50)").contains("null"));
    assert!(error("removeBetweenPercentile(group(a.low,b.empty),50)").contains("a.low"));
    assert!(names("removeBetweenPercentile(b.empty,50)").is_empty());
    assert!(error("removeBetweenPercentile(a.low,-200)").contains("percentile"));
}

#[test]
fn names_and_emptiness() {
    assert_eq!(names("grep(a.*,'i')"), ["a.high", "a.mid", "a.tie"]);
    assert_eq!(names("grep(a.*,'^a\\.l')"), ["a.low"]);
    assert_eq!(names("exclude(a.*,'i')"), ["a.low", "a.nulls"]);
    assert_eq!(names("exclude(a.*,'')").len(), 0);
    assert!(error("grep(a.*,'(')").contains("regular expression"));
    assert!(error("exclude(x.*,'[')").contains("regular expression"));
    assert_eq!(names("removeEmptySeries(a.*)").len(), 4);
    assert_eq!(
        names("removeEmptySeries(a.*,1)"),
        ["a.high", "a.low", "a.tie"]
    );
    assert_eq!(names("removeEmptySeries(a.*,0.6)").len(), 4);
    assert_eq!(names("removeEmptySeries(a.*,0.7)").len(), 3);
    assert!(names("removeEmptySeries(b.empty)").is_empty());
    assert_eq!(
        names("unique(a.low,a.*,a.low)"),
        ["a.low", "a.high", "a.mid", "a.nulls", "a.tie"]
    );
    assert!(names("unique(x.*)").is_empty());
}

#[test]
fn use_series_above_fetches_the_replaced_names() {
    assert_eq!(
        names("useSeriesAbove(c.*.reqs,5,'reqs','time')"),
        ["c.x.time"]
    );
    assert_eq!(
        names("useSeriesAbove(c.*.reqs,0,'(\\w+)$','time')"),
        ["c.x.time", "c.y.time"]
    );
    assert!(names("useSeriesAbove(c.*.reqs,50,'reqs','time')").is_empty());
    assert!(names("useSeriesAbove(c.*.reqs,0,'reqs','nothing')").is_empty());
    assert!(names("useSeriesAbove(x.*,0,'(','\\9')").is_empty());
    assert!(error("useSeriesAbove(a.mid,0,'a','b')").contains("null"));
    assert!(error("useSeriesAbove(c.x.reqs,0,'(','b')").contains("regular expression"));
    assert!(error("useSeriesAbove(c.x.reqs,0,'reqs','\\2')").contains("group"));
    assert!(error("useSeriesAbove(c.x.reqs,0,'reqs','a b(')").contains("target"));
}

/// Every function over odd inputs: errors are fine, panics are not.
#[test]
fn no_panics_on_odd_input() {
    let lists = [
        "a.*",
        "b.*",
        "b.odd",
        "b.empty",
        "a.nulls",
        "x.*",
        "group(b.odd,a.low,b.huge)",
        "group(a.nulls,b.empty)",
    ];
    let numbers = [
        "0",
        "1",
        "-1",
        "50",
        "-50",
        "100",
        "150",
        "1e308",
        "-1e308",
        "inf",
        "nan",
        "0.5",
        "9223372036854775807",
        "-9223372036854775807",
        "'nan'",
        "'-inf'",
        "true",
        "none",
    ];
    let mut targets = Vec::new();
    for list in lists {
        for n in numbers {
            for f in [
                "averageAbove",
                "averageBelow",
                "averageOutsidePercentile",
                "currentAbove",
                "currentBelow",
                "highest",
                "highestAverage",
                "highestCurrent",
                "highestMax",
                "limit",
                "lowest",
                "lowestAverage",
                "lowestCurrent",
                "maximumAbove",
                "maximumBelow",
                "minimumAbove",
                "minimumBelow",
                "mostDeviant",
                "removeBetweenPercentile",
                "removeEmptySeries",
            ] {
                targets.push(format!("{f}({list},{n})"));
            }
            for func in [
                "average", "median", "multiply", "diff", "stddev", "range", "last",
            ] {
                targets.push(format!("highest({list},{n},'{func}')"));
                targets.push(format!("lowest({list},{n},'{func}')"));
                for op in ["=", "!=", ">", ">=", "<", "<="] {
                    targets.push(format!("filterSeries({list},'{func}','{op}',{n})"));
                }
            }
            targets.push(format!("useSeriesAbove({list},{n},'a','b')"));
            targets.push(format!("useSeriesAbove({list},{n},'$','.x')"));
        }
        for pattern in [
            "", "(", "^", "$", ".*", "[a-", "\\\\", "(?P<x>a)", "a{99999}",
        ] {
            targets.push(format!("grep({list},'{pattern}')"));
            targets.push(format!("exclude({list},'{pattern}')"));
            targets.push(format!("useSeriesAbove({list},-1e308,'{pattern}','')"));
        }
        targets.push(format!("unique({list},{list},a.low)"));
    }
    for target in targets {
        let _ = eval(&target);
    }
}
