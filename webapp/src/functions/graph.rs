//! Graph functions: per-series drawing options the image renderer reads.
//!
//! Most of them leave the values alone and record an option in
//! [`SeriesOptions`](crate::series::SeriesOptions) under the reference's key, with the
//! reference's type: flags are [`OptionValue::Bool`] (`secondYAxis`, `drawAsInfinite`,
//! `stacked`, `invisible`), sizes are [`OptionValue::Number`] (`alpha`, `lineWidth`, `dashed`),
//! and the colour is the separate `color` field (`series.color` in the reference). Some also
//! rename the series and add a tag; like the reference, they change the name only, not the path
//! expression. `stacked` replaces the values by running totals kept for the whole request, and
//! `threshold` and `verticalLine` create a series.

use chrono::TimeZone;

use super::{input_error, percent_g, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, StackTotal, Value};
use crate::grammar::Expr;
use crate::series::{OptionValue, SeriesOptions, TimeSeries};

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("alpha", alpha),
    ("areaBetween", area_between),
    ("color", color),
    ("dashed", dashed),
    ("drawAsInfinite", draw_as_infinite),
    ("lineWidth", line_width),
    ("secondYAxis", second_y_axis),
    ("stacked", stacked),
    ("threshold", threshold),
    ("verticalLine", vertical_line),
];

/// The stack `stacked()` uses without a name; only it renames and tags the series.
const DEFAULT_STACK: &str = "__DEFAULT__";

/// `dashed()`'s segment length when none is given.
const DEFAULT_DASH_LENGTH: i64 = 5;

/// Records option `key` on `series`.
fn set_option(series: &mut TimeSeries, key: &str, value: OptionValue) {
    series.options.values.insert(key.to_owned(), value);
}

/// A required float parameter; binding already checked it is there and a number.
fn required_float(
    args: &Args,
    index: usize,
    function: &str,
    param: &str,
) -> Result<f64, EvalError> {
    args.float(index).ok_or_else(|| {
        input_error(format!(
            "Missing required parameter \"{param}\" for function \"{function}\""
        ))
    })
}

/// An optional string parameter, `None` when omitted or empty (the reference tests
/// `if label:`).
fn non_empty_string(args: &Args, index: usize) -> Option<String> {
    args.string(index).filter(|s| !s.is_empty())
}

/// `alpha(seriesList, alpha)`: the transparency (0 to 1) to draw with.
fn alpha(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let alpha = required_float(&args, 1, "alpha", "alpha")?;
    let mut list = args.series_list(0);
    for series in &mut list {
        set_option(series, "alpha", OptionValue::Number(alpha));
    }
    Ok(Value::SeriesList(list))
}

/// `lineWidth(seriesList, width)`: the line width to draw with.
fn line_width(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let width = required_float(&args, 1, "lineWidth", "width")?;
    let mut list = args.series_list(0);
    for series in &mut list {
        set_option(series, "lineWidth", OptionValue::Number(width));
    }
    Ok(Value::SeriesList(list))
}

/// `color(seriesList, theColor)`: the colour to draw with (a name or hex digits; the renderer
/// interprets it).
fn color(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let color = args.string(1).unwrap_or_default();
    let mut list = args.series_list(0);
    for series in &mut list {
        series.options.color = Some(color.clone());
    }
    Ok(Value::SeriesList(list))
}

/// `dashed(seriesList, dashLength=5)`: a dashed line. Named `dashed(x, 5)` (the length as
/// `%g`), tagged `dashed`.
fn dashed(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let length = match args.values(1).first() {
        Some(Value::Int(i)) => *i,
        _ => DEFAULT_DASH_LENGTH,
    };
    // An integral float (`2.0`) reaches the reference's function unconverted: its tag keeps
    // the float spelling.
    let tag = match args.raw(1) {
        Some(Expr::Float(f)) => whisper::pyfmt::float_repr(*f),
        _ => length.to_string(),
    };
    let mut list = args.series_list(0);
    for series in &mut list {
        series.tags.insert("dashed".to_owned(), tag.clone());
        series.name = format!("dashed({}, {})", series.name, percent_g(length as f64));
        set_option(series, "dashed", OptionValue::Number(length as f64));
    }
    Ok(Value::SeriesList(list))
}

/// Sets flag option `key`, tags the series `key=1` and names it `key(name)`: what
/// `drawAsInfinite` and `secondYAxis` do.
fn flag_and_wrap(mut args: Args, key: &str) -> Value {
    let mut list = args.series_list(0);
    for series in &mut list {
        set_option(series, key, OptionValue::Bool(true));
        series.tags.insert(key.to_owned(), "1".to_owned());
        series.name = format!("{key}({})", series.name);
    }
    Value::SeriesList(list)
}

/// `drawAsInfinite(seriesList)`: values above zero are drawn as vertical lines.
fn draw_as_infinite(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    Ok(flag_and_wrap(args, "drawAsInfinite"))
}

/// `secondYAxis(seriesList)`: drawn against the right-hand axis.
fn second_y_axis(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    Ok(flag_and_wrap(args, "secondYAxis"))
}

/// `areaBetween(seriesList)`: the two series become the band between them (the first is an
/// invisible base, the second is stacked on it). Both are named `areaBetween(<path
/// expression of the second>)` and share the second's tags plus `areaBetween=1`.
fn area_between(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    // The reference asserts this (a 500); a wrong count is the caller's mistake.
    let [lower, upper] = list.as_mut_slice() else {
        return Err(input_error(
            "areaBetween series argument must reference *exactly* 2 series",
        ));
    };
    set_option(lower, "stacked", OptionValue::Bool(true));
    set_option(lower, "invisible", OptionValue::Bool(true));
    set_option(upper, "stacked", OptionValue::Bool(true));
    upper.tags.insert("areaBetween".to_owned(), "1".to_owned());
    lower.tags.clone_from(&upper.tags);
    let name = format!("areaBetween({})", upper.path_expression);
    lower.name.clone_from(&name);
    upper.name = name;
    Ok(Value::SeriesList(list))
}

/// `stacked(seriesList, stack='__DEFAULT__')`: each value becomes the running total at its
/// position of every series stacked so far on the same stack, in this target and the
/// request's earlier ones. Totals go by position, not by time, as in the reference. The
/// default stack names the series `stacked(x)` and tags it `stacked=__DEFAULT__`; a named
/// stack keeps the name. The results are copies: no earlier drawing options or colour.
fn stacked(ev: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let stack = args.string(1).unwrap_or_else(|| DEFAULT_STACK.to_owned());
    let list = args.series_list(0);
    let totals = ev.stack_totals(&stack);
    let mut result = Vec::with_capacity(list.len());
    for mut series in list {
        if totals.len() < series.values.len() {
            totals.resize(series.values.len(), StackTotal::default());
        }
        let mut ints = series.int_values;
        for (value, total) in series.values.iter_mut().zip(totals.iter_mut()) {
            if let Some(v) = *value {
                total.value += v;
                total.is_int &= series.int_values;
                ints &= total.is_int;
                *value = Some(total.value);
            }
        }
        if stack == DEFAULT_STACK {
            series.tags.insert("stacked".to_owned(), stack.clone());
            series.name = format!("stacked({})", series.name);
        }
        // `series.copy(...)`: the path expression becomes the name, options and display
        // consolidation are not carried over.
        series.path_expression.clone_from(&series.name);
        series.values_per_point = 1;
        series.options = SeriesOptions::default();
        set_option(&mut series, "stacked", OptionValue::Bool(true));
        series.int_values = ints;
        result.push(series);
    }
    Ok(Value::SeriesList(result))
}

/// `threshold(value, label=None, color=None)`: a horizontal line across the range, as
/// `constantLine(value)` draws it, named `label` when one is given.
fn threshold(_: &mut Evaluator<'_>, ctx: &RequestContext, args: Args) -> Result<Value, EvalError> {
    let value = required_float(&args, 0, "threshold", "value")?;
    let (label, color) = (non_empty_string(&args, 1), non_empty_string(&args, 2));
    drop(args);
    let mut series = constant_line(ctx, value);
    if let Some(label) = label {
        series.name = label;
    }
    series.options.color = color;
    Ok(Value::SeriesList(vec![series]))
}

/// The series `constantLine(value)` makes: three points, at the start, middle and end of the
/// range, named `str(value)` with path expression `constantLine(<value>)`.
fn constant_line(ctx: &RequestContext, value: f64) -> TimeSeries {
    let text = whisper::pyfmt::float_repr(value);
    // `int((end - start) / 2.0)` truncates towards zero, as `/` does.
    let step = ctx.end.saturating_sub(ctx.start) / 2;
    let mut series = TimeSeries::new(
        text.clone(),
        ctx.start,
        ctx.end,
        step,
        vec![Some(value); 3],
        ctx.x_files_factor.get(),
    );
    series.path_expression = format!("constantLine({text})");
    series
}

/// `verticalLine(ts, label=None, color=None)`: a line at time `ts` (parsed as `from` is, in
/// the request's time zone, relative times from the request's `now`), which must lie within
/// the range. A one-second series of two 1.0 values drawn as infinite.
fn vertical_line(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let text = match args.values(0).first() {
        Some(Value::Str(text)) => text.clone(),
        other => {
            return Err(input_error(format!(
                "verticalLine(): ts must be a time string, not {}",
                other.map_or_else(|| "None".to_owned(), Value::py_repr)
            )))
        }
    };
    let (label, color) = (args.string(1), non_empty_string(&args, 2));
    drop(args);
    let now = ctx
        .tz
        .timestamp_opt(ctx.now, 0)
        .single()
        .ok_or_else(|| input_error("verticalLine(): now is out of range"))?;
    let ts = crate::attime::parse_at_time(&text, ctx.tz, now)
        .map_err(|e| input_error(format!("verticalLine(): {e}")))?
        .timestamp();
    if ts < ctx.start {
        return Err(input_error(format!(
            "verticalLine(): timestamp {ts} exists before start of range"
        )));
    }
    if ts > ctx.end {
        return Err(input_error(format!(
            "verticalLine(): timestamp {ts} exists after end of range"
        )));
    }
    let mut series = TimeSeries::new(
        label.clone().unwrap_or_default(),
        ts,
        ts,
        1,
        vec![Some(1.0), Some(1.0)],
        ctx.x_files_factor.get(),
    );
    if label.is_none() {
        // The reference's series is named None, whose tags say "None"; an empty name is
        // likewise left out of the legend.
        series.tags = crate::series::tags_from_name("None");
    }
    set_option(&mut series, "drawAsInfinite", OptionValue::Bool(true));
    series.options.color = color;
    Ok(Value::SeriesList(vec![series]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluator::Storage;
    use crate::functions::test_support::{ctx_until, Fixed};
    use crate::grammar::parse_target;

    fn storage() -> Fixed {
        Fixed(vec![
            TimeSeries::new(
                "a.x",
                0,
                40,
                10,
                vec![Some(1.0), None, Some(3.0), Some(4.0)],
                0.0,
            ),
            TimeSeries::new("a.y", 0, 40, 10, vec![Some(10.0), Some(20.0), None], 0.0),
            TimeSeries::new(
                "b.nan",
                0,
                30,
                10,
                vec![Some(f64::NAN), Some(f64::INFINITY), None],
                0.0,
            ),
            TimeSeries::new("b.none", 0, 30, 10, vec![None, None, None], 0.0),
            TimeSeries::new("b.empty", 0, 0, 10, Vec::new(), 0.0),
        ])
    }

    fn run_with(storage: &dyn Storage, targets: &[&str]) -> Result<Vec<TimeSeries>, EvalError> {
        let exprs: Vec<_> = targets
            .iter()
            .map(|t| parse_target(t).expect("target parses"))
            .collect();
        let mut ev = Evaluator::new(storage, false, 1000);
        ev.evaluate_targets(&ctx_until(100), &exprs)
    }

    fn run(targets: &[&str]) -> Result<Vec<TimeSeries>, EvalError> {
        run_with(&storage(), targets)
    }

    fn option(s: &TimeSeries, key: &str) -> Option<OptionValue> {
        s.options.values.get(key).cloned()
    }

    #[test]
    fn options_have_the_reference_types() {
        let out = run(&[
            "lineWidth(alpha(a.x,0.5),3)",
            "dashed(a.y)",
            "dashed(a.y,2)",
        ])
        .unwrap();
        assert_eq!(option(&out[0], "alpha"), Some(OptionValue::Number(0.5)));
        assert_eq!(option(&out[0], "lineWidth"), Some(OptionValue::Number(3.0)));
        assert_eq!(out[0].name, "a.x");
        assert_eq!(out[1].name, "dashed(a.y, 5)");
        assert_eq!(out[1].tags["dashed"], "5");
        assert_eq!(option(&out[1], "dashed"), Some(OptionValue::Number(5.0)));
        assert_eq!(out[2].name, "dashed(a.y, 2)");
        assert_eq!(out[2].path_expression, "a.y");
    }

    #[test]
    fn flags_rename_and_tag() {
        let out = run(&["secondYAxis(drawAsInfinite(a.x))"]).unwrap();
        assert_eq!(out[0].name, "secondYAxis(drawAsInfinite(a.x))");
        assert_eq!(out[0].path_expression, "a.x");
        assert_eq!(out[0].tags["drawAsInfinite"], "1");
        assert_eq!(out[0].tags["secondYAxis"], "1");
        assert_eq!(
            option(&out[0], "secondYAxis"),
            Some(OptionValue::Bool(true))
        );
        assert_eq!(out[0].values, storage().0[0].values);
    }

    #[test]
    fn color_is_kept_apart_from_options() {
        let out = run(&["color(a.*,'ff0000')"]).unwrap();
        assert!(out
            .iter()
            .all(|s| s.options.color.as_deref() == Some("ff0000")));
        assert!(out.iter().all(|s| s.options.values.is_empty()));
    }

    #[test]
    fn stacked_totals_span_targets_and_stacks_are_separate() {
        let out = run(&["stacked(a.*)", "stacked(a.x)", "stacked(a.x,'other')"]).unwrap();
        assert_eq!(out[0].values, [Some(1.0), None, Some(3.0), Some(4.0)]);
        assert_eq!(out[1].values, [Some(11.0), Some(20.0), None]);
        assert_eq!(out[2].values, [Some(12.0), None, Some(6.0), Some(8.0)]);
        assert_eq!(out[3].values, [Some(1.0), None, Some(3.0), Some(4.0)]);
        assert_eq!(out[0].name, "stacked(a.x)");
        assert_eq!(out[0].path_expression, "stacked(a.x)");
        assert_eq!(out[0].tags["stacked"], "__DEFAULT__");
        assert_eq!(out[3].name, "a.x");
        assert!(!out[3].tags.contains_key("stacked"));
        assert_eq!(option(&out[3], "stacked"), Some(OptionValue::Bool(true)));
    }

    #[test]
    fn stacked_drops_earlier_options() {
        let out = run(&["stacked(color(alpha(a.x,0.2),'red'))"]).unwrap();
        assert_eq!(out[0].options.color, None);
        assert_eq!(out[0].options.values.len(), 1);
    }

    #[test]
    fn area_between_needs_two_series() {
        let out = run(&["areaBetween(a.*)"]).unwrap();
        assert_eq!(out[0].name, "areaBetween(a.*)");
        assert_eq!(out[1].name, "areaBetween(a.*)");
        assert_eq!(option(&out[0], "invisible"), Some(OptionValue::Bool(true)));
        assert_eq!(option(&out[1], "invisible"), None);
        assert_eq!(out[0].tags, out[1].tags);
        assert_eq!(out[0].tags["name"], "a.y");
        for bad in [
            "areaBetween(a.x)",
            "areaBetween(b.*)",
            "areaBetween(nothing.*)",
        ] {
            assert!(
                matches!(run(&[bad]), Err(EvalError::InputParameter { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn threshold_is_a_constant_line() {
        let out = run(&[
            "threshold(1.5)",
            "threshold(2,'limit','red')",
            "threshold(3,'')",
        ])
        .unwrap();
        assert_eq!(out[0].name, "1.5");
        assert_eq!(out[0].path_expression, "constantLine(1.5)");
        assert_eq!((out[0].start, out[0].end, out[0].step), (0, 100, 50));
        assert_eq!(out[0].values, [Some(1.5); 3]);
        assert_eq!(out[1].name, "limit");
        assert_eq!(out[1].tags["name"], "2.0");
        assert_eq!(out[1].options.color.as_deref(), Some("red"));
        assert_eq!(out[2].name, "3.0");
    }

    #[test]
    fn vertical_line_checks_the_range() {
        let out = run(&["verticalLine('50','x','blue')", "verticalLine('-10s')"]).unwrap();
        assert_eq!((out[0].start, out[0].end, out[0].step), (50, 50, 1));
        assert_eq!(out[0].values, [Some(1.0), Some(1.0)]);
        assert_eq!(out[0].name, "x");
        assert_eq!(out[0].options.color.as_deref(), Some("blue"));
        assert_eq!(
            option(&out[0], "drawAsInfinite"),
            Some(OptionValue::Bool(true))
        );
        assert_eq!(out[1].start, 90);
        assert_eq!(out[1].name, "");
        assert_eq!(out[1].tags["name"], "None");
        for bad in [
            "verticalLine('200')",
            "verticalLine('-1y')",
            "verticalLine('garbage')",
            "verticalLine(5)",
        ] {
            assert!(
                matches!(run(&[bad]), Err(EvalError::InputParameter { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let targets = [
            "alpha(b.*,nan)",
            "alpha(b.*,-1e308)",
            "lineWidth(b.*,inf)",
            "dashed(b.*,-9223372036854775807)",
            "dashed(b.*,0)",
            "color(b.*,'')",
            "stacked(b.*)",
            "stacked(b.*)",
            "stacked(nothing.*)",
            "stacked(b.empty,'')",
            "secondYAxis(nothing.*)",
            "drawAsInfinite(b.*)",
            "threshold(nan)",
            "threshold(-inf,'','')",
            "threshold(1e308)",
            "verticalLine('now')",
            "verticalLine('99999999999999999999')",
            "verticalLine('')",
        ];
        for target in targets {
            let _ = run(&[target]);
        }
        let out = run(&["stacked(b.*)"]).unwrap();
        let by_name = |name: &str| out.iter().find(|s| s.name == name).expect(name);
        let nan = by_name("stacked(b.nan)");
        assert!(nan.values[0].is_some_and(f64::is_nan));
        assert_eq!(nan.values[1], Some(f64::INFINITY));
        assert_eq!(by_name("stacked(b.none)").values, [None, None, None]);
        assert!(by_name("stacked(b.empty)").values.is_empty());
        let mut ctx = ctx_until(0);
        ctx.start = i64::MIN;
        ctx.end = i64::MAX;
        let line = constant_line(&ctx, 1.0);
        assert_eq!(line.values.len(), 3);
    }
}
