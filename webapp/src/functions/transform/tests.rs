//! Transform functions evaluated over a fixed set of series.

use crate::evaluator::{EvalError, RequestContext};
use crate::functions::test_support::{ctx_until, eval_series, Fixed};
use crate::series::TimeSeries;

fn ctx() -> RequestContext {
    ctx_until(100)
}

fn storage() -> Fixed {
    let mk = |name: &str, step: i64, values: Vec<Option<f64>>| {
        TimeSeries::new(name, 0, 100, step, values, 0.0)
    };
    Fixed(vec![
        mk(
            "a.gaps",
            10,
            vec![
                None,
                Some(1.0),
                None,
                None,
                Some(4.0),
                Some(2.0),
                None,
                Some(5.0),
                None,
                None,
            ],
        ),
        mk(
            "a.counter",
            20,
            vec![Some(10.0), Some(30.0), Some(5.0), None, Some(7.0)],
        ),
        mk("a.empty", 10, Vec::new()),
        mk("a.nulls", 10, vec![None; 10]),
        mk(
            "a.odd",
            10,
            vec![
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(-f64::INFINITY),
                Some(0.0),
                Some(-0.0),
                Some(1.0),
                Some(-1e308),
                Some(1e308),
                Some(5e-324),
                None,
            ],
        ),
    ])
}

fn eval(target: &str) -> Result<Vec<TimeSeries>, EvalError> {
    eval_series(&storage(), &ctx(), target)
}

fn one(target: &str) -> TimeSeries {
    let mut list = eval(target).unwrap();
    assert_eq!(list.len(), 1, "{target}");
    list.remove(0)
}

#[test]
fn keep_last_value_and_interpolate_respect_the_limit() {
    let s = one("keepLastValue(a.gaps)");
    assert_eq!(s.name, "keepLastValue(a.gaps)");
    assert_eq!(
        s.values,
        [
            None,
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(4.0),
            Some(2.0),
            Some(2.0),
            Some(5.0),
            Some(5.0),
            Some(5.0)
        ]
    );
    let s = one("keepLastValue(a.gaps,1)");
    assert_eq!(
        s.values,
        [
            None,
            Some(1.0),
            None,
            None,
            Some(4.0),
            Some(2.0),
            Some(2.0),
            Some(5.0),
            None,
            None
        ]
    );
    let s = one("interpolate(a.gaps)");
    assert_eq!(
        s.values,
        [
            None,
            Some(1.0),
            Some(2.0),
            Some(3.0),
            Some(4.0),
            Some(2.0),
            Some(3.5),
            Some(5.0),
            None,
            None
        ]
    );
    let s = one("interpolate(a.gaps,1)");
    assert_eq!(s.values[2], None);
    assert_eq!(s.values[6], Some(3.5));
}

#[test]
fn derivatives() {
    let s = one("nonNegativeDerivative(a.counter)");
    assert_eq!(s.values, [None, Some(20.0), None, None, None]);
    let s = one("nonNegativeDerivative(a.counter,100)");
    assert_eq!(s.values, [None, Some(20.0), Some(76.0), None, None]);
    let s = one("nonNegativeDerivative(a.counter,minValue=1)");
    assert_eq!(s.values, [None, Some(20.0), Some(4.0), None, None]);
    let s = one("perSecond(a.counter)");
    assert_eq!(s.values, [None, Some(1.0), None, None, None]);
    assert_eq!(s.tags["perSecond"], "1");
    let s = one("derivative(a.counter)");
    assert_eq!(s.values, [None, Some(20.0), Some(-25.0), None, None]);
    assert_eq!(s.path_expression, "derivative(a.counter)");
}

#[test]
fn delay_shifts_both_ways() {
    let s = one("delay(a.counter,2)");
    assert_eq!(s.values, [None, None, Some(10.0), Some(30.0), Some(5.0)]);
    let s = one("delay(a.counter,-2)");
    assert_eq!(s.values, [Some(5.0), None, Some(7.0), None, None]);
    let s = one("delay(a.counter,-20)");
    assert_eq!(s.values, [None; 5]);
    let s = one("delay(a.counter,0)");
    assert_eq!(s.values.len(), 5);
}

#[test]
fn names_and_tags() {
    let s = one("add(a.counter,-2.7)");
    assert_eq!(s.name, "add(a.counter,-2)");
    assert_eq!(s.tags["add"], "-2.7");
    let s = one("scaleToSeconds(a.counter,1)");
    assert_eq!(s.name, "scaleToSeconds(a.counter,1)");
    assert_eq!(s.values[0], Some(0.5));
    let s = one("log(a.counter,2)");
    assert_eq!(s.name, "log(a.counter, 2)");
    let s = one("round(a.counter)");
    assert_eq!(s.name, "round(a.counter)");
    let s = one("round(a.counter,-1)");
    assert_eq!(s.name, "round(a.counter,-1)");
    assert_eq!(s.values[2], Some(0.0));
    let s = one("transformNull(a.nulls)");
    assert!(s.int_values);
    assert_eq!(s.tags["transformNull"], "0");
    let s = one("transformNull(a.counter,1,a.gaps)");
    assert_eq!(s.values.len(), 5);
    assert_eq!(s.values[3], None);
    let s = one("transformNull(a.gaps,1,a.counter)");
    assert_eq!(s.values[..4], [Some(1.0), Some(1.0), Some(1.0), None]);
    let s = one("transformNull(a.empty,1,a.gaps)");
    assert_eq!(s.values.len(), 0);
    assert_eq!(s.name, "transformNull(a.empty,1,referenceSeries)");
    let s = one("offsetToZero(a.nulls)");
    assert_eq!(s.tags["offsetToZero"], "None");
    let s = one("isNonNull(a.gaps)");
    assert!(s.int_values);
}

#[test]
fn generated_series() {
    let s = one("time('t',30)");
    assert_eq!(s.values, [Some(0.0), Some(30.0), Some(60.0), Some(90.0)]);
    assert_eq!((s.start, s.end, s.step), (0, 100, 30));
    let s = one("sin('s',2,50)");
    assert_eq!(s.values, [Some(0.0), Some(50f64.sin() * 2.0)]);
    assert!(eval("sin('s',1,0)").is_err());
    assert!(eval("time('t',-5)").is_err());
}

#[test]
fn log_refuses_bad_bases_only_when_used() {
    assert!(eval("log(a.counter,1)").is_err());
    assert!(eval("log(a.counter,-2)").is_err());
    assert!(eval("log(a.nulls,1)").is_ok());
}

#[test]
fn odd_values_and_arguments_do_not_panic() {
    let functions = [
        "absolute({S})",
        "add({S},{A})",
        "delay({S},{I})",
        "derivative({S})",
        "exp({S})",
        "integral({S})",
        "interpolate({S},{I})",
        "interpolate({S})",
        "invert({S})",
        "isNonNull({S})",
        "keepLastValue({S},{I})",
        "keepLastValue({S})",
        "log({S},{I})",
        "logit({S})",
        "minMax({S})",
        "nonNegativeDerivative({S},{A},{A})",
        "nonNegativeDerivative({S},maxValue={A})",
        "offset({S},{A})",
        "offsetToZero({S})",
        "perSecond({S},{A})",
        "pow({S},{A})",
        "round({S},{I})",
        "scale({S},{A})",
        "scaleToSeconds({S},{A})",
        "sigmoid({S})",
        "squareRoot({S})",
        "transformNull({S},{A})",
        "transformNull({S},{A},a.*)",
        "sin('x',{I},{I})",
        "time('x',{I})",
    ];
    let floats = [
        "0", "-1", "1e308", "-1e308", "inf", "-inf", "nan", "0.5", "5e-324",
    ];
    let ints = [
        "0",
        "1",
        "-1",
        "7",
        "-400",
        "400",
        "9223372036854775807",
        "-9223372036854775808",
    ];
    for f in functions {
        for s in ["a.*", "a.odd", "a.empty"] {
            for a in floats {
                for i in ints {
                    let target = f.replace("{S}", s).replace("{A}", a).replace("{I}", i);
                    let _ = eval(&target);
                }
            }
        }
    }
}
