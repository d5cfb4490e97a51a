//! Pie graphs (`graphType=pie`): graphite-web 1.1.10's `PieGraph` (`glyph.py`), drawn on a
//! [`Canvas`], and views.py's way of turning targets into slice values.
//!
//! The drawing follows the reference step by step: the background, the title (a larger
//! font), the legend (which shrinks the area from below), the slices clockwise from 12
//! o'clock, then the value labels (`percent`, `number` or `none`; horizontal or rotated) at
//! half the radius. [`draw_pie_graph`] returns a [`PieLayout`] with every number it computed
//! (area, centre, radius, slice angles, label anchors), which the tests compare with the
//! reference's.
//!
//! Where the reference raises while drawing (a colour it cannot parse, a zero total, an
//! invalid `valueLabels`, `int()` of an infinite value, a non-string title, ...), we return
//! a [`GraphError`]; the view answers it with a 500 as the reference does.

pub mod base;

use std::f64::consts::PI;

use crate::graph::canvas::Canvas;
use crate::graph::line::params::{unquote_plus, GraphOptions, ParamValue};
use crate::graph::line::templates::Template;
use crate::graph::line::GraphError;
use crate::series::TimeSeries;

use base::{Align, FontParams, GraphBase, VAlign};
pub use base::{Area, LegendItem, TextItem};

/// One slice as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// The series name (legend text).
    pub name: String,
    /// The value.
    pub value: f64,
    /// `value / total`.
    pub percent: f64,
    /// The colour string from `colorList`.
    pub color: String,
    /// `areaAlpha` (or 1).
    pub alpha: f64,
    /// Start angle (radians, clockwise from the x axis; the first slice starts at 3π/2).
    pub start: f64,
    /// End angle.
    pub end: f64,
    /// `midAngle`: the middle of the slice, modulo 2π.
    pub mid_angle: f64,
}

/// A value label as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueLabel {
    /// The text (`%12.34` or a number).
    pub text: String,
    /// The anchor: half way along the slice's middle radius.
    pub x: f64,
    /// The anchor's y.
    pub y: f64,
    /// The rotation in degrees (0 unless `pieLabels=rotated`).
    pub rotate: f64,
}

/// Everything [`draw_pie_graph`] computed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PieLayout {
    /// Whether the graph had no slices ("No Data" was drawn).
    pub no_data: bool,
    /// The area left for the pie after the title and the legend.
    pub area: Option<Area>,
    /// The pie's centre.
    pub center: (f64, f64),
    /// Its radius.
    pub radius: f64,
    /// The slices.
    pub slices: Vec<Slice>,
    /// The legend boxes.
    pub legend: Vec<LegendItem>,
    /// The value labels drawn.
    pub labels: Vec<ValueLabel>,
    /// Every text drawn (title lines, legend names, labels, or "No Data"), in order.
    pub texts: Vec<TextItem>,
}

/// views.py's pie data: one `(name, value)` per `name:value` literal target, else one per
/// series of the evaluated target with the value `pieMode` gives (`or 0`: a missing value,
/// and 0, are 0).
pub fn slice_value(series: &TimeSeries, pie_function: crate::functions::pie::PieFunction) -> f64 {
    match pie_function(series) {
        Some(v) if v != 0.0 => v,
        _ => 0.0,
    }
}

/// A `name:value` pie target: `Some(Ok)` for a literal, `Some(Err)` when the part after the
/// first `:` is not a float (the reference's `ValueError("Invalid target ...")`), `None`
/// when the target has no `:` and is an expression to evaluate.
pub fn literal_target(target: &str) -> Option<Result<(String, f64), String>> {
    let (name, value) = target.split_once(':')?;
    Some(
        ParamValue::Str(value.to_owned())
            .to_float()
            .map(|v| (name.to_owned(), v))
            .map_err(|_| format!("Invalid target '{target}'")),
    )
}

/// Python's `str(int(v))` of a finite float: its exact integer part in decimal.
fn py_int_string(v: f64) -> String {
    let t = v.trunc();
    if t.abs() < 9.007_199_254_740_992e15 {
        return format!("{}", t as i64);
    }
    // Above 2^53 a float is an integer: mantissa * 2^exponent, expanded exactly.
    let bits = t.abs().to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mantissa = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    // Little-endian base-1e9 limbs.
    let mut limbs: Vec<u64> = vec![mantissa % 1_000_000_000, mantissa / 1_000_000_000];
    for _ in 0..exponent.max(0) {
        let mut carry = 0;
        for limb in &mut limbs {
            let x = *limb * 2 + carry;
            *limb = x % 1_000_000_000;
            carry = x / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut out = String::new();
    if t < 0.0 {
        out.push('-');
    }
    let mut iter = limbs.iter().rev();
    if let Some(first) = iter.next() {
        out.push_str(&first.to_string());
    }
    for limb in iter {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

/// Reads an option.
fn opt<'a>(params: &'a GraphOptions, name: &str) -> Option<&'a ParamValue> {
    params.get(name)
}

/// A Python exception (every one is a 500).
fn py_error(exception: &'static str, message: impl Into<String>) -> GraphError {
    GraphError::new(exception, message)
}

/// A font flag as cairo's `select_font_face` receives it: the reference passes the option
/// through, so a bool or an int works (non-zero is italic/bold) and a string fails.
fn font_flag(value: Option<&ParamValue>, default: bool) -> Result<bool, GraphError> {
    match value {
        None => Ok(default),
        Some(ParamValue::Bool(b)) => Ok(*b),
        Some(ParamValue::Int(i)) => Ok(*i != 0),
        Some(other) => Err(py_error(
            "TypeError",
            format!("an integer is required (got type {})", other.type_name()),
        )),
    }
}

/// Draws `data` as glyph.py's `PieGraph(**params)` does, on a canvas already sized to the
/// image (its [`Canvas::size`] is the reference's `self.width`/`self.height`, so points for
/// PDF).
pub fn draw_pie_graph(
    canvas: &mut dyn Canvas,
    params: &GraphOptions,
    template: &Template,
    data: &[(String, f64)],
) -> Result<PieLayout, GraphError> {
    let (width, height) = canvas.size();
    let mut margin = opt(params, "margin").map_or(Ok(10), ParamValue::to_int)? as f64;
    if margin < 0.0 {
        margin = 10.0;
    }
    let font_name = match opt(params, "fontName") {
        None => template.font_name.clone(),
        Some(ParamValue::Str(s)) => s.clone(),
        Some(other) => {
            return Err(py_error(
                "TypeError",
                format!("font family must be str, not {}", other.type_name()),
            ))
        }
    };
    let font_size = match opt(params, "fontSize") {
        None => template.font_size.trunc(),
        Some(v) => v.to_int()? as f64,
    };
    let font = FontParams {
        name: font_name,
        size: font_size,
        bold: font_flag(opt(params, "fontBold"), template.font_bold)?,
        italic: font_flag(opt(params, "fontItalic"), template.font_italic)?,
    };
    let color_value = |name: &str, default: &str| -> ParamValue {
        opt(params, name)
            .cloned()
            .unwrap_or_else(|| ParamValue::Str(default.to_owned()))
    };
    let foreground = color_value("fgcolor", &template.foreground);
    let background = color_value("bgcolor", &template.background);
    let mut g = GraphBase {
        canvas,
        width,
        height,
        margin,
        area: Area {
            // Extra room when the time is near the left edge (a line graph's concern, kept).
            xmin: margin + 10.0,
            xmax: width - margin,
            ymin: margin,
            ymax: height - margin,
        },
        foreground,
        background: background.clone(),
        font,
        y_axis_right: matches!(opt(params, "yAxisSide"), Some(ParamValue::Str(s)) if s == "right"),
        texts: Vec::new(),
        legend: Vec::new(),
    };
    g.set_color_value(&background, 1.0)?;
    g.draw_rectangle(0.0, 0.0, width, height, true);

    let colors: Vec<String> = match opt(params, "colorList") {
        Some(v) => unquote_plus(&v.to_py_str())
            .split(',')
            .map(str::to_owned)
            .collect(),
        None => template.line_colors.clone(),
    };

    let mut layout = PieLayout::default();
    // `self.total = sum(...)`: left to right from 0, as Python's sum.
    let total: f64 = data.iter().fold(0.0, |acc, (_, v)| acc + v);
    if data.is_empty() {
        let (x, y) = (width / 2.0, height / 2.0);
        g.set_color("red", 1.0)?;
        let size = (width * height).ln();
        if width * height <= 0.0 || !size.is_finite() {
            return Err(py_error("ValueError", "math domain error"));
        }
        g.set_font(Some(size));
        g.draw_text("No Data", x, y, Align::Center, VAlign::Top, 0.0);
        layout.no_data = true;
        layout.texts = g.texts;
        return Ok(layout);
    }

    let alpha = match opt(params, "areaAlpha") {
        Some(v) if v.truthy() => v.to_float().unwrap_or(1.0),
        _ => 1.0,
    };
    if total == 0.0 {
        return Err(py_error("ZeroDivisionError", "float division by zero"));
    }
    let mut slices: Vec<Slice> = data
        .iter()
        .zip(colors.iter().cycle())
        .map(|((name, value), color)| Slice {
            name: name.clone(),
            value: *value,
            percent: value / total,
            color: color.clone(),
            alpha,
            start: 0.0,
            end: 0.0,
            mid_angle: 0.0,
        })
        .collect();

    if slices.iter().any(|s| !s.percent.is_finite()) {
        // The reference's process dies on a cairo assertion (`angle_max >= angle_min`) when
        // it draws such a slice; an error is the closest answer we can give.
        return Err(py_error(
            "AssertionError",
            "a NaN or infinite slice value (the reference aborts on a cairo assertion)",
        ));
    }
    let size = g.font.size;
    if size <= 0.0 {
        return Err(py_error("ValueError", "math domain error"));
    }
    let title_size = size + size.ln().floor();
    g.set_font(Some(title_size));
    let foreground = g.foreground.clone();
    g.set_color_value(&foreground, 1.0)?;
    if let Some(title) = opt(params, "title").filter(|t| t.truthy()) {
        let ParamValue::Str(title) = title else {
            return Err(py_error(
                "AttributeError",
                format!("'{}' object has no attribute 'split'", title.type_name()),
            ));
        };
        g.draw_title(&unquote_plus(title))?;
    }
    g.set_font(None);

    if !opt(params, "hideLegend").is_some_and(ParamValue::truthy) {
        let elements: Vec<(String, String)> = slices
            .iter()
            .map(|s| (s.name.clone(), s.color.clone()))
            .collect();
        if !elements.is_empty() {
            g.draw_legend(&elements)?;
        }
    }

    // drawSlices.
    let mut theta = 3.0 * PI / 2.0;
    let half_x = (g.area.xmax - g.area.xmin) / 2.0;
    let half_y = (g.area.ymax - g.area.ymin) / 2.0;
    let x0 = g.area.xmin + half_x;
    let y0 = g.area.ymin + half_y;
    let radius = half_x.min(half_y) * 0.95;
    for slice in &mut slices {
        g.set_color(&slice.color, slice.alpha)?;
        g.canvas.move_to(x0, y0);
        let phi = theta + (2.0 * PI) * slice.percent;
        g.canvas.arc(x0, y0, radius, theta, phi);
        g.canvas.line_to(x0, y0);
        g.canvas.fill();
        slice.start = theta;
        slice.end = phi;
        slice.mid_angle = py_mod((theta + phi) / 2.0, 2.0 * PI);
        theta = phi;
    }

    let labels_color = match opt(params, "valueLabelsColor") {
        Some(v) if v.truthy() => v.clone(),
        _ => ParamValue::Str("black".to_owned()),
    };
    let labels_min = opt(params, "valueLabelsMin").map_or(Ok(5.0), ParamValue::to_float)?;
    let value_labels = match opt(params, "valueLabels") {
        None => "percent".to_owned(),
        Some(ParamValue::Str(s)) if matches!(s.as_str(), "none" | "number" | "percent") => {
            s.clone()
        }
        Some(other) => {
            return Err(py_error(
                "AssertionError",
                format!(
                    "valueLabels={} must be one of ('none', 'number', 'percent')",
                    other.to_py_str()
                ),
            ))
        }
    };
    let rotated = matches!(opt(params, "pieLabels"), Some(ParamValue::Str(s)) if s == "rotated");
    if value_labels != "none" {
        g.set_font(None);
        g.set_color_value(&labels_color, 1.0)?;
        for slice in &slices {
            let text = if value_labels == "percent" {
                if slice.percent * 100.0 < labels_min {
                    continue;
                }
                format!("%{}", whisper::pyfmt::percent_f(slice.percent * 100.0, 2))
            } else {
                if slice.value < labels_min {
                    continue;
                }
                if slice.value < 10.0 && slice.value != slice.value.trunc() {
                    whisper::pyfmt::percent_f(slice.value, 2)
                } else if slice.value.is_nan() {
                    return Err(py_error(
                        "ValueError",
                        "cannot convert float NaN to integer",
                    ));
                } else if slice.value.is_infinite() {
                    return Err(py_error(
                        "OverflowError",
                        "cannot convert float infinity to integer",
                    ));
                } else {
                    py_int_string(slice.value)
                }
            };
            let mut theta = slice.mid_angle;
            let x = x0 + (radius / 2.0 * theta.cos());
            let y = y0 + (radius / 2.0 * theta.sin());
            let rotate = if rotated {
                if theta > PI / 2.0 && theta <= 3.0 * PI / 2.0 {
                    theta -= PI;
                }
                // math.degrees.
                theta * (180.0 / PI)
            } else {
                0.0
            };
            g.draw_text(&text, x, y, Align::Center, VAlign::Middle, rotate);
            layout.labels.push(ValueLabel { text, x, y, rotate });
        }
    }

    layout.area = Some(g.area);
    layout.center = (x0, y0);
    layout.radius = radius;
    layout.slices = slices;
    layout.legend = std::mem::take(&mut g.legend);
    layout.texts = std::mem::take(&mut g.texts);
    Ok(layout)
}

/// Python's float `%`: the result has the divisor's sign.
fn py_mod(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && (r < 0.0) != (b < 0.0) {
        r + b
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_targets() {
        assert_eq!(literal_target("a:1"), Some(Ok(("a".into(), 1.0))));
        assert_eq!(
            literal_target("a:b:1"),
            Some(Err("Invalid target 'a:b:1'".into()))
        );
        assert_eq!(literal_target(" x : 2.5 "), Some(Ok((" x ".into(), 2.5))));
        assert_eq!(literal_target("sumSeries(a.b)"), None);
    }

    #[test]
    fn int_strings_are_exact() {
        assert_eq!(py_int_string(12.9), "12");
        assert_eq!(py_int_string(-3.5), "-3");
        assert_eq!(py_int_string(1e20), "100000000000000000000");
        assert_eq!(py_int_string(1e300).len(), 301);
        assert_eq!(py_int_string(2f64.powi(70)), "1180591620717411303424");
    }

    #[test]
    fn python_modulo() {
        assert_eq!(py_mod(7.0, 2.0 * PI), 7.0 - 2.0 * PI);
        assert!((py_mod(-1.0, 2.0 * PI) - (2.0 * PI - 1.0)).abs() < 1e-15);
    }
}
