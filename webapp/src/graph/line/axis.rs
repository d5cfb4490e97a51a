//! The Y axis ticks: glyph.py's `_AxisTics`, `_LinearAxisTics`, `_LogAxisTics`,
//! `format_units` and the `UnitSystems` table.
//!
//! The arithmetic follows the reference operation by operation (same libm calls, same
//! `EPSILON` slack) so the chosen step, the limits and the label texts are equal. Values a
//! user gives (`yMin=5`) keep their Python type in [`Num`], because the reference copies them
//! to `yBottom`/`yTop` untouched and its SVG metadata prints `5`, not `5.0`.

use super::params::ParamValue;
use super::GraphError;

/// glyph.py's `EPSILON`: slack for rounding errors in limit computations.
pub const EPSILON: f64 = 0.0001;

/// At most this many labels are generated: the reference has no bound (a `logBase` just
/// above 1 or a tiny `yStep` make it loop for a very long time); the cut is far beyond any
/// readable axis.
const MAX_LABELS: usize = 10_000;

/// A Python number that keeps its type: what a user-given limit is until arithmetic turns
/// it into a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `bool` (Python lets `yMin=true` through as 1).
    Bool(bool),
}

impl Num {
    /// The value as a float.
    pub fn f(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
            Num::Bool(b) => f64::from(u8::from(b)),
        }
    }

    /// `self - other` with Python's result type.
    pub fn py_sub(self, other: Num) -> Num {
        match (self.as_int(), other.as_int()) {
            (Some(a), Some(b)) => a
                .checked_sub(b)
                .map_or(Num::Float(self.f() - other.f()), Num::Int),
            _ => Num::Float(self.f() - other.f()),
        }
    }

    /// `self + other` with Python's result type.
    pub fn py_add(self, other: Num) -> Num {
        match (self.as_int(), other.as_int()) {
            (Some(a), Some(b)) => a
                .checked_add(b)
                .map_or(Num::Float(self.f() + other.f()), Num::Int),
            _ => Num::Float(self.f() + other.f()),
        }
    }

    /// The integer value of an `int` or `bool`.
    fn as_int(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Bool(b) => Some(i64::from(b)),
            Num::Float(_) => None,
        }
    }

    /// Appends `json.dumps(self)`.
    pub fn write_json(self, out: &mut String) {
        match self {
            Num::Int(i) => out.push_str(&i.to_string()),
            Num::Float(f) => crate::pyjson::write_float(out, f),
            Num::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        }
    }

    /// A number from an option value; a string is the `TypeError` `math.isnan` raises.
    pub fn from_param(value: &ParamValue) -> Result<Num, GraphError> {
        match value {
            ParamValue::Int(i) => Ok(Num::Int(*i)),
            ParamValue::Float(f) => Ok(Num::Float(*f)),
            ParamValue::Bool(b) => Ok(Num::Bool(*b)),
            ParamValue::Str(_) => Err(GraphError::new("TypeError", "must be real number, not str")),
        }
    }
}

/// A unit system of `UnitSystems`: (prefix, size) from the largest.
pub type UnitSystem = &'static [(&'static str, f64)];

/// `UnitSystems[name]`, `None` for an unknown name.
pub fn unit_system(name: &str) -> Option<UnitSystem> {
    const BINARY: UnitSystem = &[
        ("Pi", 1125899906842624.0),
        ("Ti", 1099511627776.0),
        ("Gi", 1073741824.0),
        ("Mi", 1048576.0),
        ("Ki", 1024.0),
    ];
    const SI: UnitSystem = &[("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)];
    const SEC: UnitSystem = &[
        ("Y", 31536000.0),
        ("M", 2592000.0),
        ("D", 86400.0),
        ("H", 3600.0),
        ("m", 60.0),
    ];
    const MSEC: UnitSystem = &[
        ("Y", 31536000000.0),
        ("M", 2592000000.0),
        ("D", 86400000.0),
        ("H", 3600000.0),
        ("m", 60000.0),
        ("s", 1000.0),
    ];
    match name {
        "binary" => Some(BINARY),
        "si" => Some(SI),
        "sec" => Some(SEC),
        "msec" => Some(MSEC),
        "none" => Some(&[]),
        _ => None,
    }
}

/// `format_units(v, step, system)`: the value scaled to the largest unit it (and the step,
/// when given) reaches, and that unit's prefix.
pub fn format_units(v: f64, step: Option<f64>, system: UnitSystem) -> (f64, &'static str) {
    for &(prefix, size) in system {
        let reaches = v.abs() >= size && step.is_none_or(|s| s >= size);
        if reaches {
            let mut v2 = v / size;
            if (v2 - v2.floor()) < 0.00000000001 && v > 1.0 {
                v2 = v2.floor();
            }
            return (v2, prefix);
        }
    }
    let mut v = v;
    if (v - v.floor()) < 0.00000000001 && v > 1.0 {
        v = v.floor();
    }
    (v, "")
}

/// `math.floor(x)` as a float: Python returns an int, so there is no negative zero
/// (`step * math.ceil(-0.5)` is `0.0`, not `-0.0`).
fn py_floor(x: f64) -> f64 {
    x.floor() + 0.0
}

/// `math.ceil(x)` as a float, without negative zero (see [`py_floor`]).
fn py_ceil(x: f64) -> f64 {
    x.ceil() + 0.0
}

/// `_AxisTics.checkFinite`.
fn check_finite(value: f64, name: &str) -> Result<f64, GraphError> {
    if value.is_nan() {
        Err(GraphError::graph(format!("Encountered NaN {name}")))
    } else if value.is_infinite() {
        Err(GraphError::graph(format!("Encountered infinite {name}")))
    } else {
        Ok(value)
    }
}

/// Where a limit came from (`minValueSource`/`maxValueSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Data,
    Min,
    Max,
    Extremum,
    Limit,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Data => "data",
            Source::Min => "min",
            Source::Max => "max",
            Source::Extremum => "extremum",
            Source::Limit => "limit",
        }
    }
}

/// One Y axis's ticks (`_LinearAxisTics` or, with a log base, `_LogAxisTics`).
#[derive(Debug, Clone)]
pub struct AxisTics {
    min_value: Num,
    min_source: Source,
    max_value: Num,
    max_source: Source,
    unit_system: UnitSystem,
    /// `Some(base)` for `_LogAxisTics`.
    log_base: Option<f64>,
    axis_limit: Option<f64>,
    /// The step between labels (`None` on a log axis).
    pub step: Option<f64>,
    /// `top - bottom`, set by [`AxisTics::choose_limits`].
    pub span: Option<f64>,
    /// The axis bottom, set by [`AxisTics::choose_limits`].
    pub bottom: Num,
    /// The axis top, set by [`AxisTics::choose_limits`].
    pub top: Num,
}

impl AxisTics {
    /// `_LinearAxisTics(min, max, unitSystem)` or `_LogAxisTics(..., base)`.
    pub fn new(
        min: Num,
        max: Num,
        unit_system: UnitSystem,
        log_base: Option<f64>,
    ) -> Result<Self, GraphError> {
        check_finite(min.f(), "data value")?;
        check_finite(max.f(), "data value")?;
        if let Some(base) = log_base {
            if base <= 1.0 {
                return Err(GraphError::graph(
                    "Logarithmic base must be greater than one",
                ));
            }
            check_finite(base, "log base")?;
        }
        Ok(Self {
            min_value: min,
            min_source: Source::Data,
            max_value: max,
            max_source: Source::Data,
            unit_system,
            log_base,
            axis_limit: None,
            step: None,
            span: None,
            bottom: Num::Float(0.0),
            top: Num::Float(0.0),
        })
    }

    /// `chooseDelta(x)`.
    fn choose_delta(x: f64) -> f64 {
        if x.abs() < 1.0e-9 {
            1.0
        } else {
            0.1 * x.abs()
        }
    }

    /// `reconcileLimits`.
    fn reconcile_limits(&mut self) -> Result<(), GraphError> {
        let (min, max) = (self.min_value.f(), self.max_value.f());
        if min < max {
            return Ok(());
        }
        let min_fixed = self.min_source == Source::Min;
        let max_fixed = matches!(self.max_source, Source::Max | Source::Limit);
        if min_fixed && max_fixed {
            return Err(GraphError::graph(format!(
                "The {} must be less than the {}",
                self.min_source.name(),
                self.max_source.name()
            )));
        } else if min_fixed {
            self.max_value = Num::Float(min + Self::choose_delta(min));
        } else if max_fixed {
            self.min_value = Num::Float(max - Self::choose_delta(max));
        } else {
            let delta = Self::choose_delta(min.abs().max(max.abs()));
            let average = (min + max) / 2.0;
            self.min_value = Num::Float(average - delta);
            self.max_value = Num::Float(average + delta);
        }
        Ok(())
    }

    /// `applySettings(axisMin, axisMax, axisLimit)` with the option values as given.
    pub fn apply_settings(
        &mut self,
        axis_min: Option<&ParamValue>,
        axis_max: Option<&ParamValue>,
        axis_limit: Option<&ParamValue>,
    ) -> Result<(), GraphError> {
        if let Some(v) = axis_min {
            let n = Num::from_param(v)?;
            if !n.f().is_nan() {
                self.min_source = Source::Min;
                check_finite(n.f(), "axis min")?;
                self.min_value = n;
            }
        }
        match axis_max {
            Some(ParamValue::Str(s)) if s == "max" => self.max_source = Source::Extremum,
            Some(v) => {
                let n = Num::from_param(v)?;
                if !n.f().is_nan() {
                    self.max_source = Source::Max;
                    check_finite(n.f(), "axis max")?;
                    self.max_value = n;
                }
            }
            None => {}
        }
        match axis_limit {
            None => self.axis_limit = None,
            Some(v) => {
                let n = Num::from_param(v)?;
                let limit = n.f();
                if limit.is_nan() {
                    self.axis_limit = None;
                } else if limit < self.max_value.f() {
                    check_finite(limit, "axis limit")?;
                    self.max_value = n;
                    self.max_source = Source::Limit;
                    self.axis_limit = None;
                } else if limit.is_infinite() {
                    self.axis_limit = None;
                } else {
                    self.axis_limit = Some(limit);
                }
            }
        }
        self.reconcile_limits()
    }

    /// `setStep(step)` (ignored on a log axis).
    pub fn set_step(&mut self, step: f64) -> Result<(), GraphError> {
        self.step = if self.log_base.is_some() {
            None
        } else {
            Some(check_finite(step, "axis step")?)
        };
        Ok(())
    }

    /// `chooseStep(divisors, binary)`: the step with the least slop (ignored on a log axis).
    pub fn choose_step(
        &mut self,
        divisors: Option<&[i64]>,
        binary: bool,
    ) -> Result<(), GraphError> {
        if self.log_base.is_some() {
            self.step = None;
            return Ok(());
        }
        let default = [4, 5, 6];
        let divisors = match divisors {
            None => &default[..],
            Some(d) => {
                if d.iter().any(|&x| x < 1) {
                    return Err(GraphError::graph(
                        "Divisors must be greater than or equal to one",
                    ));
                }
                d
            }
        };
        let (Some(&dmax), Some(&dmin)) = (divisors.iter().max(), divisors.iter().min()) else {
            return Err(GraphError::new(
                "ValueError",
                "max() arg is an empty sequence",
            ));
        };
        if self.min_value.f() == self.max_value.f() {
            let v = self.min_value.f();
            if v == 0.0 {
                self.max_value = Num::Float(1.0);
            } else if v < 0.0 {
                self.min_value = Num::Float(v * 1.1);
                self.max_value = Num::Float(self.max_value.f() * 0.9);
            } else {
                self.min_value = Num::Float(v * 0.9);
                self.max_value = Num::Float(self.max_value.f() * 1.1);
            }
        }
        let (min, max) = (self.min_value.f(), self.max_value.f());
        let variance = max - min;
        let min_step = check_finite(variance / dmax as f64, "value")?;
        let (base, mantissas, mut exponent): (f64, &[f64], f64) = if binary {
            (2.0, &[1.0], (min_step.ln() / 2f64.ln() - EPSILON).floor())
        } else {
            (10.0, &[1.0, 2.0, 5.0], (min_step.log10() - EPSILON).floor())
        };
        let mut best: Option<(f64, f64)> = None;
        // The generator is infinite in the reference; the break below always comes within
        // a few decades, the bound only guards against NaN comparisons.
        'outer: for _ in 0..4000 {
            let multiplier = base.powf(exponent);
            for &mantissa in mantissas {
                let step = mantissa * multiplier;
                if step < min_step * (1.0 - EPSILON) {
                    continue;
                }
                if let Some((slop, _)) = best {
                    if step * dmin as f64 >= 2.0 * slop + variance {
                        break 'outer;
                    }
                }
                for &divisor in divisors {
                    if let Some(slop) = self.compute_slop(step, divisor as f64) {
                        if best.is_none_or(|(b, _)| slop < b) {
                            best = Some((slop, step));
                        }
                    }
                }
            }
            exponent += 1.0;
        }
        self.step = best.map(|(_, step)| step);
        Ok(())
    }

    /// `computeSlop(step, divisor)`.
    fn compute_slop(&self, step: f64, divisor: f64) -> Option<f64> {
        let (min, max) = (self.min_value.f(), self.max_value.f());
        let bottom = step * py_floor(min / step + EPSILON);
        let top = bottom + step * divisor;
        if top >= max - EPSILON * step {
            Some((top - max).max(min - bottom))
        } else {
            None
        }
    }

    /// The step, which the reference would use as a float (`None` there is a `TypeError`).
    fn step_value(&self) -> Result<f64, GraphError> {
        self.step.ok_or_else(|| {
            GraphError::new(
                "TypeError",
                "unsupported operand type(s) for /: 'float' and 'NoneType'",
            )
        })
    }

    /// `chooseLimits`: `bottom`, `top` and `span`.
    pub fn choose_limits(&mut self) -> Result<(), GraphError> {
        if let Some(base) = self.log_base {
            let min = self.min_value.f();
            if min <= 0.0 {
                return Err(GraphError::graph(
                    "Logarithmic scale specified with a dataset with a minimum value less \
                     than or equal to zero",
                ));
            }
            let log = |x: f64| x.ln() / base.ln();
            let bottom = base.powf(log(min).floor());
            let mut top = base.powf(log(self.max_value.f()).ceil());
            let mut span = top - bottom;
            if span == 0.0 {
                top *= base;
                span = top - bottom;
            }
            self.bottom = Num::Float(bottom);
            self.top = Num::Float(top);
            self.span = Some(span);
            return Ok(());
        }
        let step = self.step_value()?;
        let div = |a: f64| {
            if step == 0.0 {
                Err(GraphError::new(
                    "ZeroDivisionError",
                    "float division by zero",
                ))
            } else {
                Ok(a / step)
            }
        };
        self.bottom = if self.min_source == Source::Data {
            Num::Float(step * py_floor(div(self.min_value.f())? + EPSILON))
        } else {
            self.min_value
        };
        self.top = if self.max_source == Source::Data {
            let mut top = step * py_ceil(div(self.max_value.f())? - EPSILON);
            if let Some(limit) = self.axis_limit {
                if top > limit + EPSILON * step {
                    top = limit;
                }
            }
            Num::Float(top)
        } else {
            self.max_value
        };
        let mut span = self.top.py_sub(self.bottom);
        if span.f() == 0.0 {
            self.top = self.top.py_add(Num::Int(1));
            span = span.py_add(Num::Int(1));
        }
        self.span = Some(span.f());
        Ok(())
    }

    /// `getLabelValues`.
    pub fn label_values(&mut self) -> Result<Vec<f64>, GraphError> {
        let (bottom, top) = (self.bottom.f(), self.top.f());
        let mut values = Vec::new();
        if let Some(base) = self.log_base {
            let log = |x: f64| x.ln() / base.ln();
            let mut value = base.powf((log(bottom) - EPSILON).ceil());
            while value < top * (1.0 + EPSILON) && values.len() < MAX_LABELS {
                values.push(value);
                value *= base;
            }
            return Ok(values);
        }
        let step = self.step_value()?;
        if step <= 0.0 {
            return Err(GraphError::graph("The step size must be positive"));
        }
        if self.span.unwrap_or(0.0) > 1000.0 * step {
            // "This is insane": the reference picks a step from the default divisors.
            self.choose_step(None, false)?;
        }
        let step = self.step_value()?;
        let start = step * py_ceil(bottom / step - EPSILON);
        let mut i = 0u32;
        loop {
            let value = start + f64::from(i) * step;
            if value > top + EPSILON * step || values.len() >= MAX_LABELS {
                break;
            }
            values.push(value);
            i += 1;
        }
        Ok(values)
    }

    /// `makeLabel(value)`: the value in the axis's units, with the reference's formats
    /// (including the trailing space when there is no prefix).
    pub fn make_label(&self, value: f64) -> String {
        let (value, prefix) = format_units(value, self.step, self.unit_system);
        let (span, span_prefix) = match self.span {
            Some(span) => {
                let (s, p) = format_units(span, self.step, self.unit_system);
                (Some(s), p)
            }
            None => (None, ""),
        };
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix} ")
        };
        let g = |v: f64| whisper::pyfmt::percent_g(v, 6);
        let f = |v: f64, d: usize| whisper::pyfmt::percent_f(v, d);
        let text = if value < 0.1 {
            g(value)
        } else if value < 1.0 {
            f(value, 2)
        } else if span.is_some_and(|s| s > 10.0) || span_prefix != prefix {
            // `prefix` has gained its trailing space by now, so any prefix lands here.
            // Label values are always floats in the reference, so this is "%.1f".
            f(value, 1)
        } else if span.is_some_and(|s| s > 3.0) {
            f(value, 1)
        } else if span.is_some_and(|s| s > 0.1) {
            f(value, 2)
        } else {
            g(value)
        };
        format!("{text} {prefix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear(min: f64, max: f64) -> AxisTics {
        let mut t = AxisTics::new(
            Num::Float(min),
            Num::Float(max),
            unit_system("si").unwrap_or(&[]),
            None,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        t.apply_settings(None, None, None)
            .unwrap_or_else(|e| panic!("{e:?}"));
        t.choose_step(None, false)
            .unwrap_or_else(|e| panic!("{e:?}"));
        t.choose_limits().unwrap_or_else(|e| panic!("{e:?}"));
        t
    }

    #[test]
    fn linear_steps_and_labels() {
        let mut t = linear(0.0, 97.0);
        assert_eq!(t.step, Some(20.0));
        assert_eq!((t.bottom.f(), t.top.f()), (0.0, 100.0));
        let values = t.label_values().unwrap_or_default();
        assert_eq!(values, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        // Labels are floats in the reference: "%.1f" once the span exceeds 10.
        assert_eq!(t.make_label(40.0), "40.0 ");
        assert_eq!(t.make_label(0.0), "0 ");
        // A prefix needs the step to reach the unit too.
        let t = linear(0.0, 2500.0);
        assert_eq!(t.make_label(1000.0), "1000.0 ");
        let t = linear(0.0, 5000.0);
        assert_eq!(t.make_label(1000.0), "1.0 k ");
    }

    #[test]
    fn units() {
        let si = unit_system("si").unwrap_or(&[]);
        assert_eq!(format_units(2500.0, Some(500.0), si), (2500.0, ""));
        assert_eq!(format_units(2000.0, Some(1000.0), si), (2.0, "k"));
        assert_eq!(format_units(2000.0, None, si), (2.0, "k"));
    }
}
