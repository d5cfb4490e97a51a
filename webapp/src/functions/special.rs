//! Special functions: settings carried by the series rather than value changes
//! (`consolidateBy`, `xFilesFactor`), renaming helpers (`substr`, `cactiStyle`), generated
//! series (`constantLine`, `randomWalk`, `events`) and `changed`/`fallbackSeries`.

use whisper::pyfmt::{float_repr, percent_f};

use super::{input_error, Args};
use crate::evaluator::{EvalError, Evaluator, RequestContext, Value};
use crate::series::{ConsolidationFunc, TimeSeries};

/// This module's functions, by name.
pub(super) const FUNCTIONS: &[(&str, super::Implementation)] = &[
    ("consolidateBy", consolidate_by),
    ("cactiStyle", cacti_style),
    ("changed", changed),
    ("constantLine", constant_line),
    ("cumulative", cumulative),
    ("events", events),
    ("fallbackSeries", fallback_series),
    ("randomWalk", random_walk),
    ("randomWalkFunction", random_walk),
    ("setXFilesFactor", set_x_files_factor),
    ("xFilesFactor", set_x_files_factor),
    ("substr", substr),
    ("seriesByTag", series_by_tag),
];

/// `seriesByTag(*tagExpressions)`: the series the tag database matches. The evaluator
/// fetches a `seriesByTag` call itself (its text is the path expression the series carry);
/// this entry gives it its `/functions` metadata and handles calls built by other means.
#[allow(clippy::needless_pass_by_value)] // The signature is every implementation's.
fn series_by_tag(
    ev: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let exprs: Vec<String> = args
        .values(0)
        .iter()
        .filter_map(|v| match v {
            Value::Str(s) => Some(crate::evaluator::py_str_repr(s)),
            _ => None,
        })
        .collect();
    let call = crate::grammar::parse_target(&format!("seriesByTag({})", exprs.join(",")))
        .map_err(|e| input_error(e.to_string()))?;
    ev.evaluate_in(ctx, &call)
}

/// Most points a generated series (`randomWalk`, `events`) may have; the reference builds
/// any number (and never returns for a step of 0).
const MAX_GENERATED_POINTS: i64 = 20_000_000;

/// `consolidateBy(seriesList, consolidationFunc)`: how points are merged for display and
/// `maxDataPoints`. Named `consolidateBy(x,"max")`, tagged `consolidateBy`.
pub(super) fn consolidate_by(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let name = args.string(1).unwrap_or_default();
    let list = args.series_list(0);
    Ok(Value::SeriesList(set_consolidation(list, &name)))
}

/// `consolidateBy`'s work, shared with `cumulative`.
fn set_consolidation(mut list: Vec<TimeSeries>, name: &str) -> Vec<TimeSeries> {
    // The catalog's options already refused anything else.
    let func = ConsolidationFunc::from_name(name).unwrap_or(ConsolidationFunc::Average);
    for series in &mut list {
        series.consolidation_func = func;
        series
            .tags
            .insert("consolidateBy".to_owned(), name.to_owned());
        series.name = format!("consolidateBy({},\"{name}\")", series.name);
        series.path_expression = series.name.clone();
    }
    list
}

/// `cumulative(seriesList)`: `consolidateBy(seriesList, 'sum')`.
fn cumulative(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    Ok(Value::SeriesList(set_consolidation(
        args.series_list(0),
        "sum",
    )))
}

/// `setXFilesFactor(seriesList, xFilesFactor)` (short form `xFilesFactor`): the ratio of
/// non-null values consolidation needs, carried by the series and shown as a tag.
///
/// The reference also stores the value in the request context, where functions evaluated
/// later in the request (even other targets) read it as their default; here the value
/// stays with the series.
fn set_x_files_factor(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let xff = args.float(1).unwrap_or(0.0);
    // The default of every later aggregation in this request (`requestContext['xFilesFactor']`).
    ctx.x_files_factor.set(xff);
    let mut list = args.series_list(0);
    for series in &mut list {
        series.x_files_factor = xff;
        series
            .tags
            .insert("xFilesFactor".to_owned(), float_repr(xff));
    }
    Ok(Value::SeriesList(list))
}

/// `changed(seriesList)`: 1 where the value differs from the last non-null one before it,
/// else 0 (nulls are 0 and do not reset the comparison; the first non-null value is 0).
fn changed(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name = format!("changed({})", series.name);
        series.path_expression = series.name.clone();
        let mut previous: Option<f64> = None;
        for slot in &mut series.values {
            let value = *slot;
            let flag = match (previous, value) {
                (None, _) => {
                    previous = value;
                    0.0
                }
                // Python's `!=`: NaN differs from everything, itself included.
                (Some(p), Some(v)) if p != v || v.is_nan() => {
                    previous = Some(v);
                    1.0
                }
                _ => 0.0,
            };
            *slot = Some(flag);
        }
        series.int_values = true;
    }
    Ok(Value::SeriesList(list))
}

/// `constantLine(value)`: three points at the value, at the start, middle and end of the
/// request's range. Named `str(value)`.
#[allow(
    clippy::needless_pass_by_value,
    reason = "the signature every implementation shares"
)]
fn constant_line(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let value = args.float(0).unwrap_or(0.0);
    let name = float_repr(value);
    // `int((end - start) / 2.0)`: truncated toward zero.
    let step = ((ctx.end as f64 - ctx.start as f64) / 2.0).trunc() as i64;
    let mut series = TimeSeries::new(
        name.clone(),
        ctx.start,
        ctx.end,
        step,
        vec![Some(value); 3],
        ctx.x_files_factor.get(),
    );
    series.path_expression = format!("constantLine({name})");
    Ok(Value::SeriesList(vec![series]))
}

/// `events(*tags)`: the number of events per second with those tags. No events are stored
/// here, so this is the reference's answer with none: one all-null series at a 1-second
/// step, consolidated by `sum`.
#[allow(
    clippy::needless_pass_by_value,
    reason = "the signature every implementation shares"
)]
fn events(_: &mut Evaluator<'_>, ctx: &RequestContext, args: Args) -> Result<Value, EvalError> {
    // The reference joins the tags as strings and fails (a 500) on anything else.
    let tags = args
        .values(0)
        .iter()
        .map(|v| match v {
            Value::Str(s) => Ok(s.clone()),
            other => Err(input_error(format!(
                "events parameter \"tags\": not a string: {}",
                other.py_repr()
            ))),
        })
        .collect::<Result<Vec<String>, EvalError>>()?;
    let name = format!("events(\"{}\")", tags.join("\", \""));
    let points = ctx.end.saturating_sub(ctx.start).max(0);
    if points > MAX_GENERATED_POINTS {
        return Err(input_error(format!(
            "events: {points} points requested, more than {MAX_GENERATED_POINTS}: use a \
             shorter time range"
        )));
    }
    let mut series = TimeSeries::new(
        name,
        ctx.start,
        ctx.end,
        1,
        vec![None; usize::try_from(points).unwrap_or(0)],
        ctx.x_files_factor.get(),
    );
    series.consolidation_func = ConsolidationFunc::Sum;
    Ok(Value::SeriesList(vec![series]))
}

/// `fallbackSeries(seriesList, fallback)`: the fallback when the list is empty.
fn fallback_series(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let list = args.series_list(0);
    if list.is_empty() {
        Ok(Value::SeriesList(args.series_list(1)))
    } else {
        Ok(Value::SeriesList(list))
    }
}

/// `randomWalk(name, step=60)` (also `randomWalkFunction`): a walk from 0 adding a uniform
/// value in [-0.5, 0.5) per step, one point per step from the start while before the end.
#[allow(
    clippy::needless_pass_by_value,
    reason = "the signature every implementation shares"
)]
fn random_walk(
    _: &mut Evaluator<'_>,
    ctx: &RequestContext,
    args: Args,
) -> Result<Value, EvalError> {
    let name = args.string(0).unwrap_or_default();
    let step = match args.values(1).first() {
        None => 60,
        Some(Value::Int(i)) => *i,
        Some(other) => {
            return Err(input_error(format!(
                "randomWalk parameter \"step\": not an integer: {}",
                other.py_repr()
            )))
        }
    };
    // The reference loops forever on these.
    if step <= 0 {
        return Err(input_error(format!(
            "randomWalk parameter \"step\": must be a positive number of seconds, not {step}"
        )));
    }
    let span = ctx.end.saturating_sub(ctx.start).max(0);
    let count = span / step + i64::from(span % step != 0);
    if count > MAX_GENERATED_POINTS {
        return Err(input_error(format!(
            "randomWalk: {count} points requested, more than {MAX_GENERATED_POINTS}: use a \
             larger step"
        )));
    }
    let mut rng = SplitMix64::from_entropy();
    let mut current = 0.0;
    let values = (0..count)
        .map(|_| {
            let value = current;
            current += rng.next_f64() - 0.5;
            Some(value)
        })
        .collect();
    let mut series = TimeSeries::new(
        name,
        ctx.start,
        ctx.end,
        step,
        values,
        ctx.x_files_factor.get(),
    );
    // The first value is Python's int 0 (it prints as `0`); the rest are floats that are
    // integral with probability 0.
    series.int_values = true;
    Ok(Value::SeriesList(vec![series]))
}

/// A small non-cryptographic generator (SplitMix64) for `randomWalk`, seeded per call.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded from the process's random hasher keys and the clock.
    fn from_entropy() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        hasher.write_u128(nanos);
        Self(hasher.finish())
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), as Python's `random.random()` (53 random bits).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `substr(seriesList, start=0, stop=0)`: nodes `start..stop` of the innermost metric path
/// (`stop` 0 means to the end).
fn substr(_: &mut Evaluator<'_>, _: &RequestContext, mut args: Args) -> Result<Value, EvalError> {
    let node = |args: &Args, index: usize| -> Result<i64, EvalError> {
        match args.values(index).first() {
            None => Ok(0),
            Some(Value::Int(i)) => Ok(*i),
            Some(Value::Bool(b)) => Ok(i64::from(*b)),
            Some(other) => Err(input_error(format!(
                "substr parameter \"{}\": not an integer: {}",
                if index == 1 { "start" } else { "stop" },
                other.py_repr()
            ))),
        }
    };
    let start = node(&args, 1)?;
    let stop = node(&args, 2)?;
    let mut list = args.series_list(0);
    for series in &mut list {
        series.name = substr_name(&series.name, start, stop);
    }
    Ok(Value::SeriesList(list))
}

/// `substr`'s renaming of one name: the text between the last `(` and the first `)` after
/// it, split on `.`, sliced `[start:stop]` (`[start:]` when `stop` is 0) as Python slices,
/// joined, and cut at a comma (`substr(func(a.b,'c'),1)` gives `b`).
pub(super) fn substr_name(name: &str, start: i64, stop: i64) -> String {
    let left = name.rfind('(').map_or(0, |i| i + 1);
    let right = name.find(')').unwrap_or(name.len());
    let clean = if left < right { &name[left..right] } else { "" };
    let parts: Vec<&str> = clean.split('.').collect();
    let (from, to) = py_slice_bounds(parts.len(), start, (stop != 0).then_some(stop));
    let joined = if from < to {
        parts[from..to].join(".")
    } else {
        String::new()
    };
    cut_at_comma(&joined)
}

/// `re.sub(',.*$', '', s)`: drops everything from the first comma of the last line (before
/// a trailing newline, which `$` leaves in place).
fn cut_at_comma(s: &str) -> String {
    let (body, tail) = match s.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (s, ""),
    };
    let line_start = body.rfind('\n').map_or(0, |i| i + 1);
    match body[line_start..].find(',') {
        Some(comma) => format!("{}{tail}", &body[..line_start + comma]),
        None => s.to_owned(),
    }
}

/// Python's clamped slice bounds `[start:stop]` over `len` items (`None`: to the end).
fn py_slice_bounds(len: usize, start: i64, stop: Option<i64>) -> (usize, usize) {
    let len = len as i64;
    let clamp = |i: i64| -> usize {
        let i = if i < 0 { i.saturating_add(len) } else { i };
        i.clamp(0, len) as usize
    };
    (clamp(start), stop.map_or(len as usize, clamp))
}

/// The unit prefixes of `glyph.py`'s `UnitSystems` for `si` and `binary`, largest first.
const SI_UNITS: [(&str, f64); 5] = [("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)];
/// See [`SI_UNITS`].
const BINARY_UNITS: [(&str, f64); 5] = [
    ("Pi", 1_125_899_906_842_624.0),
    ("Ti", 1_099_511_627_776.0),
    ("Gi", 1_073_741_824.0),
    ("Mi", 1_048_576.0),
    ("Ki", 1024.0),
];

/// `glyph.format_units(v, system=system, units=units)`: the value scaled by the largest
/// prefix not above it and the prefix (with the units appended). Values just above an
/// integer (by less than 1e-11) and above 1 are floored.
pub(super) fn format_units(v: f64, system: &str, units: Option<&str>) -> (f64, String) {
    let table = if system == "binary" {
        &BINARY_UNITS
    } else {
        &SI_UNITS
    };
    let units = units.unwrap_or("");
    let snap = |x: f64| {
        if (x - x.floor()) < 0.000_000_000_01 && v > 1.0 {
            x.floor()
        } else {
            x
        }
    };
    for (prefix, size) in table {
        if v.abs() >= *size {
            return (snap(v / size), format!("{prefix}{units}"));
        }
    }
    (snap(v), units.to_owned())
}

/// `cactiStyle(seriesList, system=None, units=None)`: names padded into columns with the
/// current (last), maximum and minimum values, optionally with unit prefixes and units.
fn cacti_style(
    _: &mut Evaluator<'_>,
    _: &RequestContext,
    mut args: Args,
) -> Result<Value, EvalError> {
    let system = args.string(1).filter(|s| !s.is_empty());
    let units = args.string(2).filter(|s| !s.is_empty());
    let mut list = args.series_list(0);
    if list.is_empty() {
        return Ok(Value::SeriesList(list));
    }
    let fmt = |x: f64| -> String {
        match (&system, &units) {
            (Some(system), Some(units)) => {
                let (v, prefix) = format_units(x, system, Some(units));
                format!("{} {prefix}", percent_f(v, 2))
            }
            (Some(system), None) => {
                let (v, prefix) = format_units(x, system, None);
                format!("{}{prefix}", percent_f(v, 2))
            }
            (None, Some(units)) => format!("{} {units}", percent_f(x, 2)),
            (None, None) => percent_f(x, 2),
        }
    };
    let stats: Vec<[Option<f64>; 3]> = list
        .iter()
        .map(|s| {
            let values = s.consolidated();
            let usable: Vec<f64> = values.iter().flatten().copied().collect();
            let last = usable.last().copied();
            let max = (!usable.is_empty()).then(|| crate::series::py_max(&usable));
            let min = (!usable.is_empty()).then(|| crate::series::py_min(&usable));
            [last, max, min]
        })
        .collect();
    // Column widths come from the values truncated to ints (`int(x or 3)`), plus 3.
    let mut widths = [0usize; 3];
    for row in &stats {
        for (width, value) in widths.iter_mut().zip(row) {
            let v = match value {
                Some(v) if *v != 0.0 => *v,
                _ => 3.0,
            };
            if !v.is_finite() {
                return Err(input_error(format!(
                    "cactiStyle: cannot convert {} to an integer",
                    float_repr(v)
                )));
            }
            *width = (*width).max(fmt(v.trunc()).chars().count() + 3);
        }
    }
    let name_len = list
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    for (series, row) in list.iter_mut().zip(&stats) {
        let [last, max, min] = row.map(|v| v.map_or_else(|| "nan".to_owned(), fmt));
        series.name = format!(
            "{:<name_len$} Current:{last:<w0$} Max:{max:<w1$} Min:{min:<w2$} ",
            series.name,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
        );
    }
    Ok(Value::SeriesList(list))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::test_support::{ctx_until, eval_series, Fixed};

    fn storage() -> Fixed {
        let mk = |name: &str, step: i64, values: Vec<Option<f64>>| {
            TimeSeries::new(name, 0, 100, step, values, 0.0)
        };
        Fixed(vec![
            mk(
                "a.walk",
                20,
                vec![None, Some(1.0), Some(1.0), None, Some(2.0)],
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
            mk("a.big", 10, vec![Some(1536.0), Some(3e15), Some(-2048.5)]),
        ])
    }

    fn eval_in(target: &str, ctx: &RequestContext) -> Result<Vec<TimeSeries>, EvalError> {
        eval_series(&storage(), ctx, target)
    }

    fn eval(target: &str) -> Result<Vec<TimeSeries>, EvalError> {
        eval_in(target, &ctx_until(100))
    }

    #[test]
    fn changed_flags_differences_from_the_last_value() {
        let list = eval("changed(a.walk)").unwrap();
        assert_eq!(list[0].name, "changed(a.walk)");
        assert_eq!(list[0].path_expression, "changed(a.walk)");
        assert!(list[0].int_values);
        assert_eq!(
            list[0].values,
            [Some(0.0), Some(0.0), Some(0.0), Some(0.0), Some(1.0)]
        );
    }

    #[test]
    fn constant_line_spans_the_range_in_three_points() {
        let list = eval_in("constantLine(1)", &ctx_until(101)).unwrap();
        let s = &list[0];
        assert_eq!(
            (s.name.as_str(), s.start, s.end, s.step),
            ("1.0", 0, 101, 50)
        );
        assert_eq!(s.path_expression, "constantLine(1.0)");
        assert_eq!(s.values, [Some(1.0); 3]);
    }

    #[test]
    fn events_is_all_null_at_one_second() {
        let list = eval("events('a','b')").unwrap();
        let s = &list[0];
        assert_eq!(s.name, "events(\"a\", \"b\")");
        assert_eq!((s.step, s.values.len()), (1, 100));
        assert!(s.values.iter().all(Option::is_none));
        assert_eq!(s.consolidation_func, ConsolidationFunc::Sum);
        let mut huge = ctx_until(i64::MAX);
        huge.start = i64::MIN;
        assert!(eval_in("events('x')", &huge).is_err());
        assert!(eval("events(1)").is_err());
    }

    #[test]
    fn random_walk_has_the_reference_shape() {
        let list = eval_in("randomWalk('the.walk',7)", &ctx_until(100)).unwrap();
        let s = &list[0];
        assert_eq!(
            (s.name.as_str(), s.start, s.end, s.step),
            ("the.walk", 0, 100, 7)
        );
        // range(0, 100, 7) has 15 points.
        assert_eq!(s.values.len(), 15);
        assert_eq!(s.values[0], Some(0.0));
        for pair in s.values.windows(2) {
            let (Some(a), Some(b)) = (pair[0], pair[1]) else {
                panic!("a null in a random walk");
            };
            assert!((-0.5..0.5).contains(&(b - a)), "{a} -> {b}");
        }
        let default = eval_in("randomWalkFunction('w')", &ctx_until(600)).unwrap();
        assert_eq!((default[0].step, default[0].values.len()), (60, 10));
        assert_eq!(
            eval_in("randomWalk('w',1000)", &ctx_until(100)).unwrap()[0].values,
            [Some(0.0)]
        );
        for bad in [
            "randomWalk('w',0)",
            "randomWalk('w',-5)",
            "randomWalk('w',1.5)",
        ] {
            assert!(eval(bad).is_err(), "{bad}");
        }
        let mut long = ctx_until(i64::MAX);
        long.start = 0;
        assert!(eval_in("randomWalk('w',1)", &long).is_err());
    }

    #[test]
    fn random_numbers_are_uniform_in_unit_interval() {
        let mut rng = SplitMix64(42);
        let draws: Vec<f64> = (0..10_000).map(|_| rng.next_f64()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
    }

    #[test]
    fn x_files_factor_is_set_and_tagged() {
        for f in ["setXFilesFactor", "xFilesFactor"] {
            let list = eval(&format!("{f}(a.walk,0.25)")).unwrap();
            assert_eq!(list[0].x_files_factor, 0.25);
            assert_eq!(list[0].tags["xFilesFactor"], "0.25");
        }
    }

    #[test]
    fn fallback_only_when_empty() {
        assert_eq!(
            eval("fallbackSeries(a.none,a.walk)").unwrap()[0].name,
            "a.walk"
        );
        assert_eq!(
            eval("fallbackSeries(a.big,a.walk)").unwrap()[0].name,
            "a.big"
        );
    }

    #[test]
    fn substr_slices_like_python() {
        let cases = [
            ("a.b.c.d", 1, 0, "b.c.d"),
            ("a.b.c.d", 1, 3, "b.c"),
            ("a.b.c.d", -2, 0, "c.d"),
            ("a.b.c.d", 0, -1, "a.b.c"),
            ("a.b.c.d", 3, 1, ""),
            ("a.b.c.d", -100, 100, "a.b.c.d"),
            ("a.b.c.d", i64::MIN, i64::MAX, "a.b.c.d"),
            ("sumSeries(a.b.c)", 1, 0, "b.c"),
            ("scale(a.b,2)", 1, 0, "b"),
            ("a)b(c.d", 0, 0, ""),
            ("f(g(a.b),h(c.d))", -1, 0, ""),
            ("x.y,z\nq", 0, 0, "x.y,z\nq"),
            ("x.y\nq,z", 0, 0, "x.y\nq"),
            ("x,y\n", 0, 0, "x\n"),
            ("", 0, 0, ""),
        ];
        for (name, start, stop, expected) in cases {
            assert_eq!(
                substr_name(name, start, stop),
                expected,
                "{name} {start} {stop}"
            );
        }
    }

    #[test]
    fn units_follow_glyph_format_units() {
        assert_eq!(format_units(1536.0, "si", None), (1.536, "k".to_owned()));
        assert_eq!(
            format_units(2048.0, "binary", Some("B")),
            (2.0, "KiB".to_owned())
        );
        assert_eq!(format_units(-3e15, "si", None), (-3.0, "P".to_owned()));
        assert_eq!(format_units(0.5, "si", Some("x")), (0.5, "x".to_owned()));
        assert_eq!(
            format_units(5.000_000_000_001, "si", None),
            (5.0, String::new())
        );
        let (nan, prefix) = format_units(f64::NAN, "si", None);
        assert!(nan.is_nan() && prefix.is_empty());
        assert_eq!(format_units(f64::INFINITY, "si", None).1, "P");
    }

    #[test]
    fn cacti_style_pads_columns() {
        let list = eval("cactiStyle(group(a.walk,a.nulls),'si','b')").unwrap();
        assert_eq!(
            list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            [
                "a.walk  Current:2.00 b    Max:2.00 b    Min:1.00 b    ",
                "a.nulls Current:nan       Max:nan       Min:nan       ",
            ]
        );
        let list = eval("cactiStyle(a.big,'binary')").unwrap();
        assert_eq!(
            list[0].name,
            "a.big Current:-2.00Ki    Max:2.66Pi    Min:-2.00Ki    "
        );
        // int(inf) fails in the reference.
        assert!(eval("cactiStyle(a.odd)").is_err());
    }

    #[test]
    fn cumulative_is_consolidate_by_sum() {
        let s = &eval("cumulative(a.walk)").unwrap()[0];
        assert_eq!(s.name, "consolidateBy(a.walk,\"sum\")");
        assert_eq!(s.consolidation_func, ConsolidationFunc::Sum);
        assert_eq!(s.tags["consolidateBy"], "sum");
    }

    /// Every function of this module over odd inputs: errors are fine, panics are not.
    #[test]
    fn odd_inputs_do_not_panic() {
        let lists = [
            "a.odd",
            "a.empty",
            "a.nulls",
            "a.none",
            "a.big",
            "group(a.odd,a.nulls)",
        ];
        let mut targets = Vec::new();
        for l in lists {
            for f in [
                format!("cactiStyle({l})"),
                format!("cactiStyle({l},'si')"),
                format!("cactiStyle({l},'binary','B')"),
                format!("cactiStyle({l},units='x')"),
                format!("changed({l})"),
                format!("cumulative({l})"),
                format!("consolidateBy({l},'max')"),
                format!("fallbackSeries({l},a.odd)"),
                format!("setXFilesFactor({l},nan)"),
                format!("xFilesFactor({l},-1e308)"),
                format!("xFilesFactor({l},inf)"),
                format!("substr({l},-9223372036854775807,9223372036854775807)"),
                format!("substr({l},5)"),
            ] {
                targets.push(f);
            }
        }
        for v in ["nan", "inf", "-inf", "0", "-1e308", "5e-324"] {
            targets.push(format!("constantLine({v})"));
        }
        for step in ["1", "9223372036854775807", "-9223372036854775807", "0"] {
            targets.push(format!("randomWalk('w',{step})"));
        }
        targets.push("events('')".to_owned());
        for ctx in [ctx_until(100), ctx_until(0), ctx_until(-5), ctx_until(1)] {
            for t in &targets {
                let _ = eval_in(t, &ctx);
            }
        }
    }
}
