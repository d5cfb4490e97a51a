//! The line graph: graphite-web's `glyph.py` `Graph` and `LineGraph`, ported step by step
//! onto a [`Canvas`], with the computed layout returned as a [`LineLayout`].
//!
//! [`draw_line_graph`] runs `Graph.__init__` (template, colours, background) and
//! `LineGraph.drawGraph` in the reference's order: title and vertical titles, legend (which
//! shrinks the plot area), X label room, consolidation to the plot width, the Y axes (repeated
//! until the label widths stop moving the plot area), the X axis configuration, labels, grid,
//! and finally the series. Every measurement comes from the canvas's text extents, so with
//! cairo-equal metrics the numbers equal the reference's.
//!
//! Submodules: [`params`] (request options and Python conversions), [`colors`],
//! [`templates`], [`axis`] (Y ticks and units), [`xaxis`] (time axis), `legend` and `draw`
//! (the drawing steps).
//!
//! Options keep the dynamic types the reference gives them, and a value of the wrong type
//! fails where the reference fails (a [`GraphError`], which the caller answers with a 500).

pub mod axis;
pub mod colors;
mod draw;
mod legend;
pub mod params;
pub mod templates;
pub mod xaxis;

use std::fmt;

use chrono_tz::Tz;
use indexmap::IndexMap;

use self::axis::{unit_system, AxisTics, Num, UnitSystem};
use self::colors::parse_color;
use self::params::{unquote_plus, ParamValue};
use self::templates::Templates;
use self::xaxis::WallClock;
use super::canvas::{Canvas, PathSegment};
use crate::series::{OptionValue, TimeSeries};

pub use self::params::GraphOptions;

/// An error the reference raises while drawing: its `GraphError` or a Python exception from
/// a value of the wrong type. graphite-web answers every one with a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// The Python exception class (`GraphError`, `ValueError`, `TypeError`, ...).
    pub exception: &'static str,
    /// The exception's message.
    pub message: String,
}

impl GraphError {
    /// An exception of class `exception`.
    pub fn new(exception: &'static str, message: impl Into<String>) -> Self {
        Self {
            exception,
            message: message.into(),
        }
    }

    /// glyph.py's own `GraphError`.
    pub fn graph(message: impl Into<String>) -> Self {
        Self::new("GraphError", message)
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception, self.message)
    }
}

impl std::error::Error for GraphError {}

/// Server-wide inputs of a line graph (settings and the templates file).
#[derive(Debug, Clone, Copy)]
pub struct LineContext<'a> {
    /// `TIME_ZONE`: the x labels' zone when the request has no `tz`.
    pub time_zone: Tz,
    /// `DATE_FORMAT` (`%m/%d`), used by the longer x axis configurations.
    pub date_format: &'a str,
    /// `LEGEND_MAX_ITEMS`: more series than this hide the legend by default.
    pub legend_max_items: usize,
    /// The graph templates (`GRAPHTEMPLATES_CONF`).
    pub templates: &'a Templates,
}

/// glyph.py's `self.area`: the plot rectangle. The values keep Python's int/float type for
/// the SVG metadata.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Left edge.
    pub xmin: Num,
    /// Right edge.
    pub xmax: Num,
    /// Top edge.
    pub ymin: Num,
    /// Bottom edge.
    pub ymax: Num,
}

/// One Y axis as `setupYAxis`/`setupTwoYAxes` leave it.
#[derive(Debug, Clone, PartialEq)]
pub struct YAxis {
    /// `yStep` (`None` on a log axis).
    pub step: Option<f64>,
    /// `yBottom`.
    pub bottom: Num,
    /// `yTop`.
    pub top: Num,
    /// `ySpan`.
    pub span: f64,
    /// `yLabelValues`.
    pub label_values: Vec<f64>,
    /// `yLabels`.
    pub labels: Vec<String>,
    /// `yLabelWidth`: the widest label's advance.
    pub label_width: f64,
}

/// The X axis as `setupXAxis` leaves it.
#[derive(Debug, Clone, PartialEq)]
pub struct XAxis {
    /// Index of the chosen row of [`xaxis::X_AXIS_CONFIGS`].
    pub config_index: usize,
    /// `xLabelStep` in seconds.
    pub label_step: f64,
    /// `xMinorGridStep` in seconds.
    pub minor_grid_step: f64,
    /// `xMajorGridStep` in seconds.
    pub major_grid_step: f64,
    /// The label format in use (`xFormat` or the row's).
    pub format: String,
    /// `xScaleFactor`: pixels per second.
    pub scale_factor: f64,
    /// The label texts and their x positions (empty when the X axis is hidden).
    pub labels: Vec<(String, f64)>,
}

/// A `drawText` call: what the reference positions (before alignment is applied).
#[derive(Debug, Clone, PartialEq)]
pub struct TextItem {
    /// The text.
    pub text: String,
    /// Anchor x.
    pub x: f64,
    /// Anchor y.
    pub y: f64,
    /// `left`, `center` or `right`.
    pub align: &'static str,
    /// `top`, `middle`, `bottom` or `baseline`.
    pub valign: &'static str,
    /// Rotation in degrees.
    pub rotate: f64,
}

/// One legend entry as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// The name (URL-unquoted).
    pub name: String,
    /// The colour value as given.
    pub color: ParamValue,
    /// Whether it belongs to the right Y axis.
    pub right_side: bool,
    /// The colour box's top-left corner.
    pub box_x: f64,
    /// The colour box's top-left corner.
    pub box_y: f64,
}

/// The legend's layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Legend {
    /// Columns.
    pub columns: i64,
    /// Colour box side.
    pub box_size: f64,
    /// Distance between rows.
    pub line_height: f64,
    /// Width of one column.
    pub label_width: f64,
    /// Height taken from the plot area.
    pub height: f64,
    /// Entries in drawing order (after `uniqueLegend`).
    pub entries: Vec<LegendEntry>,
}

/// One series as drawn: its path in device space.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPath {
    /// The series name.
    pub name: String,
    /// The colour value.
    pub color: Option<ParamValue>,
    /// Whether it was drawn as a filled (stacked) area.
    pub filled: bool,
    /// The path's moves and lines, in drawing order (fills close it along the zero line).
    pub segments: Vec<PathSegment>,
}

/// The layout model of one line graph: everything the reference computes, for tests and
/// for the SVG metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct LineLayout {
    /// Surface width (points for PDF).
    pub width: f64,
    /// Surface height.
    pub height: f64,
    /// Whether "No Data" was drawn instead of a graph.
    pub no_data: bool,
    /// The final plot area.
    pub area: Area,
    /// The single Y axis (no `secondYAxis` series).
    pub y: Option<YAxis>,
    /// The left axis with two Y axes.
    pub y_left: Option<YAxis>,
    /// The right axis with two Y axes.
    pub y_right: Option<YAxis>,
    /// The X axis.
    pub x: Option<XAxis>,
    /// The legend, when drawn.
    pub legend: Option<Legend>,
    /// Every text drawn, in order.
    pub texts: Vec<TextItem>,
    /// The series paths, in drawing order.
    pub series: Vec<SeriesPath>,
    /// `startTime`/`endTime` of the graph.
    pub time_range: Option<(i64, i64)>,
    /// `json.dumps(metaData)` of the SVG output.
    metadata: String,
}

/// The `<script>` metadata glyph.py appends to its SVG output (`json.dumps(metaData)`):
/// `{}` for a "No Data" image.
pub fn svg_metadata(layout: &LineLayout) -> String {
    layout.metadata.clone()
}

/// Draws a line graph of `series` with `options` on `canvas` (whose size must be
/// [`GraphOptions::image_size`]) and returns its layout.
pub fn draw_line_graph(
    canvas: &mut dyn Canvas,
    series: &[TimeSeries],
    options: &GraphOptions,
    ctx: &LineContext<'_>,
) -> Result<LineLayout, GraphError> {
    let mut graph = LineGraph::new(canvas, series, options.clone(), ctx)?;
    graph.draw_graph()?;
    Ok(graph.into_layout())
}

/// A series being drawn, with the attributes glyph.py adds to it.
#[derive(Debug, Clone)]
pub(crate) struct GSeries {
    /// The series (values are stacked in place, as the reference does).
    ts: TimeSeries,
    /// `series.options`, with Python-typed values.
    options: IndexMap<String, ParamValue>,
    /// `series.color`.
    color: Option<ParamValue>,
    /// `series.xStep`: pixels per (consolidated) point.
    x_step: f64,
    /// `series.valuesPerPoint` as Python holds it: zero or negative when the plot area has
    /// no width, which the reference then uses in its arithmetic (iteration treats it as 1,
    /// as `ts` does).
    values_per_point: i64,
}

impl GSeries {
    fn new(ts: &TimeSeries) -> Self {
        let options = ts
            .options
            .values
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    OptionValue::Bool(b) => ParamValue::Bool(*b),
                    OptionValue::Number(n) => ParamValue::Float(*n),
                    OptionValue::Text(t) => ParamValue::Str(t.clone()),
                };
                (k.clone(), v)
            })
            .collect();
        Self {
            color: ts.options.color.clone().map(ParamValue::Str),
            ts: ts.clone(),
            options,
            x_step: 0.0,
            values_per_point: i64::try_from(ts.values_per_point).unwrap_or(i64::MAX),
        }
    }

    fn has(&self, key: &str) -> bool {
        self.options.contains_key(key)
    }

    /// The values as iterating the series yields them (consolidated).
    fn values(&self) -> Vec<Option<f64>> {
        self.ts.consolidated().into_owned()
    }
}

/// The font `setFont` selects (`defaultFontParams`).
#[derive(Debug, Clone)]
struct FontParams {
    name: ParamValue,
    size: i64,
    bold: ParamValue,
    italic: ParamValue,
}

/// A boolean cairo takes for slant and weight (`True`/`False` or an int enum).
fn font_flag(v: &ParamValue) -> Result<bool, GraphError> {
    match v {
        ParamValue::Bool(b) => Ok(*b),
        ParamValue::Int(i) => Ok(*i != 0),
        other => Err(GraphError::new(
            "TypeError",
            format!("an integer is required, not {}", other.type_name()),
        )),
    }
}

/// The state of one `LineGraph` while it draws.
pub(crate) struct LineGraph<'a, 'c> {
    c: &'c mut dyn Canvas,
    ctx: &'a LineContext<'a>,
    params: GraphOptions,
    data: Vec<GSeries>,
    /// Indices into `data` of the left and right axis series (before `drawLines` sorts).
    data_left: Vec<usize>,
    data_right: Vec<usize>,
    second_y_axis: bool,
    width: Num,
    height: Num,
    margin: Num,
    user_tz: Option<ParamValue>,
    log_base: Option<f64>,
    minor_y: i64,
    area: Area,
    font: FontParams,
    default_major: String,
    default_minor: String,
    foreground: ParamValue,
    background: ParamValue,
    colors: Vec<ParamValue>,
    next_color: usize,
    line_width: f64,
    line_mode: String,
    area_mode: String,
    start_time: i64,
    end_time: i64,
    time_range: i64,
    graph_width: f64,
    y: Option<YAxis>,
    y_left: Option<YAxis>,
    y_right: Option<YAxis>,
    x: Option<XAxis>,
    start_dt: Option<(WallClock, String)>,
    end_dt: Option<WallClock>,
    legend: Option<Legend>,
    texts: Vec<TextItem>,
    paths: Vec<SeriesPath>,
    drew_graph: bool,
}

impl<'a, 'c> LineGraph<'a, 'c> {
    /// `Graph.__init__` up to `drawGraph`: sizes, template, colours and the background.
    fn new(
        c: &'c mut dyn Canvas,
        series: &[TimeSeries],
        params: GraphOptions,
        ctx: &'a LineContext<'a>,
    ) -> Result<Self, GraphError> {
        let int_param =
            |name: &str, default: i64| params.get(name).map_or(Ok(default), ParamValue::to_int);
        let mut width = Num::Int(int_param("width", 200)?);
        let mut height = Num::Int(int_param("height", 200)?);
        let mut margin = int_param("margin", 10)?;
        let user_tz = params.get("tz").cloned();
        let log_base = match params.get("logBase") {
            Some(v) if v.truthy() => match v {
                ParamValue::Str(s) if s == "e" => Some(std::f64::consts::E),
                ParamValue::Str(_) => {
                    return Err(GraphError::new(
                        "TypeError",
                        "'<' not supported between instances of 'str' and 'int'",
                    ))
                }
                other if other.to_float()? < 1.0 => None,
                other => Some(other.to_float()?),
            },
            _ => None,
        };
        let minor_y = int_param("minorY", 1)?;
        if margin < 0 {
            margin = 10;
        }
        let format = params.output_format()?;
        if format == "pdf" {
            width = Num::Float(width.f() / 300.0 * 72.0);
            height = Num::Float(height.f() / 300.0 * 72.0);
        }
        let margin = Num::Int(margin);
        let area = Area {
            xmin: margin.py_add(Num::Int(10)),
            xmax: width.py_sub(margin),
            ymin: margin,
            ymax: height.py_sub(margin),
        };
        let template_name = params
            .get("template")
            .map_or_else(|| "default".to_owned(), ParamValue::to_py_str);
        let template = ctx.templates.resolve(&template_name)?;
        let font = FontParams {
            name: params
                .get("fontName")
                .cloned()
                .unwrap_or(ParamValue::Str(template.font_name.clone())),
            size: params
                .get("fontSize")
                .cloned()
                .unwrap_or(ParamValue::Float(template.font_size))
                .to_int()?,
            bold: params
                .get("fontBold")
                .cloned()
                .unwrap_or(ParamValue::Bool(template.font_bold)),
            italic: params
                .get("fontItalic")
                .cloned()
                .unwrap_or(ParamValue::Bool(template.font_italic)),
        };
        let foreground = params
            .get("fgcolor")
            .cloned()
            .unwrap_or(ParamValue::Str(template.foreground.clone()));
        let background = params
            .get("bgcolor")
            .cloned()
            .unwrap_or(ParamValue::Str(template.background.clone()));
        let colors = match params.get("colorList") {
            Some(v) => unquote_plus(&v.to_py_str())
                .split(',')
                .map(|s| ParamValue::Str(s.to_owned()))
                .collect(),
            None => template
                .line_colors
                .iter()
                .map(|s| ParamValue::Str(s.clone()))
                .collect(),
        };
        let mut graph = Self {
            c,
            ctx,
            data: series.iter().map(GSeries::new).collect(),
            data_left: Vec::new(),
            data_right: Vec::new(),
            second_y_axis: false,
            width,
            height,
            margin,
            user_tz,
            log_base,
            minor_y,
            area,
            font,
            default_major: template.major_line,
            default_minor: template.minor_line,
            foreground,
            background,
            colors,
            next_color: 0,
            line_width: 1.2,
            line_mode: "slope".to_owned(),
            area_mode: "none".to_owned(),
            start_time: 0,
            end_time: 0,
            time_range: 0,
            graph_width: 0.0,
            y: None,
            y_left: None,
            y_right: None,
            x: None,
            start_dt: None,
            end_dt: None,
            legend: None,
            texts: Vec::new(),
            paths: Vec::new(),
            drew_graph: false,
            params,
        };
        let bg = graph.background.clone();
        graph.set_color(&bg, 1.0, false)?;
        let (w, h) = (graph.width.f(), graph.height.f());
        graph.draw_rectangle(0.0, 0.0, w, h, true, None);
        Ok(graph)
    }

    /// `setColor(value, alpha, forceAlpha)`.
    fn set_color(
        &mut self,
        value: &ParamValue,
        alpha: f64,
        force_alpha: bool,
    ) -> Result<(), GraphError> {
        let rgba = parse_color(value, alpha, force_alpha)?;
        self.c.set_source_rgba(rgba.r, rgba.g, rgba.b, rgba.a);
        Ok(())
    }

    /// `setColor` of a template colour name.
    fn set_color_str(&mut self, value: &str) -> Result<(), GraphError> {
        self.set_color(&ParamValue::Str(value.to_owned()), 1.0, false)
    }

    /// `setFont(size=...)`: the default font, optionally at another size.
    fn set_font(&mut self, size: Option<f64>) -> Result<(), GraphError> {
        let name = match &self.font.name {
            ParamValue::Str(s) => s.clone(),
            other => {
                return Err(GraphError::new(
                    "TypeError",
                    format!("expected str, got {}", other.type_name()),
                ))
            }
        };
        let italic = font_flag(&self.font.italic)?;
        let bold = font_flag(&self.font.bold)?;
        self.c.select_font_face(&name, italic, bold);
        self.c.set_font_size(size.unwrap_or(self.font.size as f64));
        Ok(())
    }

    /// `drawRectangle(x, y, w, h, fill, dash)`.
    fn draw_rectangle(&mut self, x: f64, y: f64, w: f64, h: f64, fill: bool, dash: Option<&[f64]>) {
        let (mut x, mut y, mut w, mut h) = (x, y, w, h);
        if !fill {
            let o = self.c.line_width() / 2.0;
            x += o;
            y += o;
            w -= o;
            h -= o;
        }
        self.c.rectangle(x, y, w, h);
        if fill {
            self.c.fill();
        } else {
            match dash {
                Some(d) => self.c.set_dash(d, 1.0),
                None => self.c.set_dash(&[], 0.0),
            }
            self.c.stroke();
        }
    }

    /// `drawText(text, x, y, align, valign, rotate)` with the current font and colour.
    fn draw_text(
        &mut self,
        text: &str,
        x: f64,
        y: f64,
        align: &'static str,
        valign: &'static str,
        rotate: f64,
    ) {
        self.texts.push(TextItem {
            text: text.to_owned(),
            x,
            y,
            align,
            valign,
            rotate,
        });
        let fe = self.c.font_extents();
        let width = self.c.text_extents(text).x_advance;
        let angle = rotate.to_radians();
        let orig = self.c.matrix();
        let horizontal = match align {
            "center" => width / 2.0,
            "right" => width,
            _ => 0.0,
        };
        let vertical = match valign {
            "middle" => fe.height / 2.0 - fe.descent,
            "bottom" => -fe.descent,
            "baseline" => 0.0,
            _ => fe.ascent,
        };
        self.c.move_to(x, y);
        self.c
            .rel_move_to(angle.sin() * -vertical, angle.cos() * vertical);
        self.c.rotate(angle);
        self.c.rel_move_to(-horizontal, 0.0);
        self.c.text_path(text);
        self.c.fill();
        self.c.set_matrix(orig);
    }

    /// `encodeHeader(name)`: an SVG group boundary.
    fn encode_header(&mut self, name: &str) {
        self.c.begin_group(name);
    }

    /// `getExtents()['maxHeight']` etc. of the current font.
    fn font_extents(&self) -> super::canvas::FontExtents {
        self.c.font_extents()
    }

    /// `LineGraph.drawGraph`.
    fn draw_graph(&mut self) -> Result<(), GraphError> {
        let time_range = if self.data.is_empty() {
            0
        } else {
            let start = self.data.iter().map(|s| s.ts.start).min().unwrap_or(0);
            let end = self.data.iter().map(|s| s.ts.end).max().unwrap_or(0);
            end.saturating_sub(start)
        };
        if time_range == 0 {
            return self.draw_no_data();
        }
        for (i, s) in self.data.iter().enumerate() {
            if s.has("secondYAxis") {
                self.data_right.push(i);
            } else {
                self.data_left.push(i);
            }
        }
        self.second_y_axis = !self.data_right.is_empty();
        self.apply_compatibility_options()?;
        if self.second_y_axis {
            self.params.set("yAxisSide", ParamValue::Str("left".into()));
        }
        if self.y_axis_side_is("right") {
            self.margin = self.width;
        }
        self.line_width = self
            .params
            .get("lineWidth")
            .map_or(Ok(1.2), ParamValue::to_float)?;
        self.line_mode = self
            .params
            .get("lineMode")
            .map_or(Ok("slope".to_owned()), |v| {
                v.as_str().map(str::to_lowercase)
            })?;
        if !matches!(self.line_mode.as_str(), "staircase" | "slope" | "connected") {
            return Err(GraphError::new("AssertionError", "Invalid line mode!"));
        }
        self.area_mode = self
            .params
            .get("areaMode")
            .map_or(Ok("none".to_owned()), |v| v.as_str().map(str::to_lowercase))?;
        if !matches!(
            self.area_mode.as_str(),
            "none" | "first" | "all" | "stacked"
        ) {
            return Err(GraphError::new("AssertionError", "Invalid area mode!"));
        }
        let pie_mode = self
            .params
            .get("pieMode")
            .map_or(Ok("maximum".to_owned()), |v| {
                v.as_str().map(str::to_lowercase)
            })?;
        if !matches!(pie_mode.as_str(), "maximum" | "minimum" | "average") {
            return Err(GraphError::new("AssertionError", "Invalid pie mode!"));
        }
        if self.line_mode == "slope" && self.data.iter().any(|s| s.ts.values.len() == 1) {
            self.line_mode = "staircase".to_owned();
        }
        if self.second_y_axis {
            self.apply_side_styles();
        }
        for i in 0..self.data.len() {
            if self.data[i].color.is_none() {
                let color = self.colors[self.next_color % self.colors.len()].clone();
                self.next_color += 1;
                self.data[i].color = Some(color);
            }
        }

        let base = self.font.size as f64;
        if base <= 0.0 {
            return Err(GraphError::new("ValueError", "math domain error"));
        }
        let title_size = self.font.size.saturating_add(base.ln().floor() as i64);
        self.set_font(Some(title_size as f64))?;
        let fg = self.foreground.clone();
        self.set_color(&fg, 1.0, false)?;
        if let Some(title) = self.params.get("title").filter(|v| v.truthy()).cloned() {
            self.draw_title(&unquote_plus(title.as_str_for("replace")?))?;
        }
        if let Some(vtitle) = self.params.get("vtitle").filter(|v| v.truthy()).cloned() {
            self.draw_vtitle(&unquote_plus(vtitle.as_str_for("replace")?), false);
        }
        if self.second_y_axis {
            if let Some(v) = self
                .params
                .get("vtitleRight")
                .filter(|v| v.truthy())
                .cloned()
            {
                self.draw_vtitle(&unquote_plus(v.as_str_for("replace")?), true);
            }
        }
        self.set_font(None)?;

        let hide_default = self.data.len() > self.ctx.legend_max_items;
        if !self.params.flag("hideLegend", hide_default) {
            let hide_null = self.params.flag("hideNullFromLegend", false);
            let mut elements = Vec::new();
            for s in &self.data {
                if s.ts.name.is_empty() {
                    continue;
                }
                if hide_null && s.values().iter().all(Option::is_none) {
                    continue;
                }
                elements.push((
                    unquote_plus(&s.ts.name),
                    s.color.clone().unwrap_or(ParamValue::Str(String::new())),
                    s.options.get("secondYAxis").is_some_and(ParamValue::truthy),
                ));
            }
            if !elements.is_empty() {
                let unique = self.params.flag("uniqueLegend", false);
                self.draw_legend(elements, unique)?;
            }
        }

        if !self.params.flag("hideAxes", false) && !self.params.flag("hideXAxis", false) {
            let ascent = self.font_extents().ascent;
            self.area.ymax = Num::Float(self.area.ymax.f() - ascent * 2.0);
        }
        self.start_time = self.data.iter().map(|s| s.ts.start).min().unwrap_or(0);
        self.end_time = if self.line_mode == "staircase" {
            self.data.iter().map(|s| s.ts.end).max().unwrap_or(0)
        } else {
            self.data
                .iter()
                .map(|s| s.ts.end.saturating_sub(s.ts.step))
                .max()
                .unwrap_or(0)
        };
        self.time_range = self.end_time.saturating_sub(self.start_time);

        self.consolidate_data_points()?;
        self.encode_header("axes");
        let mut current = (self.area.xmin.f(), self.area.xmax.f());
        self.setup_y_axes()?;
        // The reference repeats until the label widths stop moving the area; the width
        // only shrinks, so a handful of rounds always settles it.
        let mut rounds = 0;
        while current != (self.area.xmin.f(), self.area.xmax.f()) && rounds < 100 {
            self.consolidate_data_points()?;
            current = (self.area.xmin.f(), self.area.xmax.f());
            self.setup_y_axes()?;
            rounds += 1;
        }
        self.setup_x_axis()?;
        if !self.params.flag("hideAxes", false) {
            self.draw_labels()?;
            if !self.params.flag("hideGrid", false) {
                self.encode_header("grid");
                self.draw_grid_lines()?;
            }
        }
        self.encode_header("lines");
        self.draw_lines()?;
        self.drew_graph = true;
        Ok(())
    }

    /// The "No Data" image: red text centred, in the default font at `ln(width * height)`.
    fn draw_no_data(&mut self) -> Result<(), GraphError> {
        let (w, h) = (self.width.f(), self.height.f());
        self.set_color_str("red")?;
        let product = w * h;
        if product <= 0.0 {
            return Err(GraphError::new("ValueError", "math domain error"));
        }
        self.set_font(Some(product.ln()))?;
        self.draw_text("No Data", w / 2.0, h / 2.0, "center", "top", 0.0);
        Ok(())
    }

    /// `params['yAxisSide'] == side`.
    fn y_axis_side_is(&self, side: &str) -> bool {
        matches!(self.params.get("yAxisSide"), Some(ParamValue::Str(s)) if s == side)
    }

    /// The "API compatibility hacks": `graphOnly`, `min`/`max`, `thickness`, and the
    /// defaults of `yAxisSide` and `yUnitSystem`.
    fn apply_compatibility_options(&mut self) -> Result<(), GraphError> {
        let p = &mut self.params;
        if p.flag("graphOnly", false) {
            for key in ["hideLegend", "hideGrid", "hideAxes"] {
                p.set(key, ParamValue::Bool(true));
            }
            p.set("hideXAxis", ParamValue::Bool(false));
            p.set("hideYAxis", ParamValue::Bool(false));
            p.set("yAxisSide", ParamValue::Str("left".into()));
            p.set("title", ParamValue::Str(String::new()));
            p.set("vtitle", ParamValue::Str(String::new()));
            p.set("margin", ParamValue::Int(0));
            p.set("tz", ParamValue::Str(String::new()));
            self.margin = Num::Int(0);
            self.area = Area {
                xmin: Num::Int(0),
                xmax: self.width,
                ymin: Num::Int(0),
                ymax: self.height,
            };
        }
        for (alias, name) in [("min", "yMin"), ("max", "yMax"), ("thickness", "lineWidth")] {
            if !p.contains(name) {
                if let Some(v) = p.get(alias).cloned() {
                    p.set(name, v);
                }
            }
        }
        if !p.contains("yAxisSide") {
            p.set("yAxisSide", ParamValue::Str("left".into()));
        }
        let system = match p.get("yUnitSystem") {
            None => "si".to_owned(),
            Some(v) => {
                let s = v.to_py_str().to_lowercase();
                if unit_system(&s).is_some() {
                    s
                } else {
                    "si".to_owned()
                }
            }
        };
        p.set("yUnitSystem", ParamValue::Str(system));
        Ok(())
    }

    /// `leftWidth`/`leftDashed`/`leftColor` and the right-hand ones with two Y axes.
    fn apply_side_styles(&mut self) {
        for s in &mut self.data {
            let side = if s.has("secondYAxis") {
                "right"
            } else {
                "left"
            };
            if let Some(v) = self.params.get(&format!("{side}Width")) {
                s.options.insert("lineWidth".into(), v.clone());
            }
            if let Some(v) = self.params.get(&format!("{side}Dashed")) {
                s.options.insert("dashed".into(), v.clone());
            }
            if let Some(v) = self.params.get(&format!("{side}Color")) {
                s.color = Some(v.clone());
            }
        }
    }

    /// `drawTitle(text)`: centred lines at the top; moves the area's top below them.
    fn draw_title(&mut self, text: &str) -> Result<(), GraphError> {
        self.encode_header("title");
        let mut y = self.area.ymin.f();
        let x = self.width.f() / 2.0;
        let line_height = self.font_extents().height;
        for line in text.split('\n') {
            self.draw_text(line, x, y, "center", "top", 0.0);
            y += line_height;
        }
        self.area.ymin = if self.y_axis_side_is("right") {
            Num::Float(y)
        } else {
            Num::Float(y + self.margin.f())
        };
        Ok(())
    }

    /// `drawVTitle(text, rightAlign)`: rotated lines beside the plot.
    fn draw_vtitle(&mut self, text: &str, right: bool) {
        let line_height = self.font_extents().height;
        let y = self.height.f() / 2.0;
        if right {
            self.encode_header("vtitleRight");
            let mut x = self.area.xmax.f() - line_height;
            for line in text.split('\n') {
                self.draw_text(line, x, y, "center", "baseline", 90.0);
                x -= line_height;
            }
            self.area.xmax = Num::Float(x - self.margin.f() - line_height);
        } else {
            self.encode_header("vtitle");
            let mut x = self.area.xmin.f() + line_height;
            for line in text.split('\n') {
                self.draw_text(line, x, y, "center", "baseline", 270.0);
                x += line_height;
            }
            self.area.xmin = Num::Float(x + self.margin.f() + line_height);
        }
    }

    /// `consolidateDataPoints`: each series' pixels per point, consolidating it when that
    /// falls below `minXStep`.
    fn consolidate_data_points(&mut self) -> Result<(), GraphError> {
        let pixels = self.area.xmax.f() - self.area.xmin.f() - (self.line_width + 1.0);
        self.graph_width = pixels;
        let min_x_step = self
            .params
            .get("minXStep")
            .map_or(Ok(1.0), ParamValue::to_float)?;
        let zero_div = || GraphError::new("ZeroDivisionError", "float division by zero");
        for s in &mut self.data {
            if s.ts.step == 0 {
                return Err(zero_div());
            }
            let points = self.time_range as f64 / s.ts.step as f64;
            if points == 0.0 {
                return Err(zero_div());
            }
            let best = pixels / points;
            if best < min_x_step {
                if min_x_step == 0.0 {
                    return Err(zero_div());
                }
                let drawable = (pixels / min_x_step).trunc();
                if drawable == 0.0 {
                    return Err(zero_div());
                }
                let per_pixel = (points / drawable).ceil();
                // Bounded far beyond any series length; Python's int would be exact.
                s.values_per_point = per_pixel.clamp(-1e15, 1e15) as i64;
                s.ts.consolidate(usize::try_from(s.values_per_point).unwrap_or(1));
                s.x_step = (pixels * per_pixel) / points;
            } else {
                s.x_step = best;
            }
        }
        Ok(())
    }

    /// `dataLimits(series, drawNullAsZero, stacked)`.
    fn data_limits(&self, indices: &[usize]) -> Result<(f64, f64), GraphError> {
        let draw_null = self.params.flag("drawNullAsZero", false);
        let stacked = self.area_mode == "stacked";
        let series: Vec<&GSeries> = indices.iter().map(|&i| &self.data[i]).collect();
        let values: Vec<Vec<Option<f64>>> = series.iter().map(|s| s.values()).collect();
        // `None in series` is list.__contains__: the raw values, not the consolidated ones.
        let missing = series
            .iter()
            .any(|s| s.ts.values.iter().any(Option::is_none));
        let finite: Vec<usize> = (0..series.len())
            .filter(|&i| {
                !series[i]
                    .options
                    .get("drawAsInfinite")
                    .is_some_and(ParamValue::truthy)
            })
            .collect();
        let safe = |v: &Option<f64>| v.filter(|x| x.is_finite());
        let min = finite
            .iter()
            .filter_map(|&i| values[i].iter().filter_map(safe).reduce(f64::min))
            .reduce(f64::min);
        let Some(mut min) = min else {
            return Ok((0.0, 1.0));
        };
        if min > 0.0 && draw_null && missing {
            min = 0.0;
        }
        let max = if stacked {
            let length = finite
                .iter()
                .map(|&i| series[i].ts.values.len())
                .min()
                .unwrap_or(0);
            (0..length)
                .map(|j| {
                    finite
                        .iter()
                        .filter_map(|&i| series[i].ts.values[j].filter(|x| x.is_finite()))
                        .sum::<f64>()
                })
                .filter(|x| x.is_finite())
                .reduce(f64::max)
        } else {
            finite
                .iter()
                .filter_map(|&i| values[i].iter().filter_map(safe).reduce(f64::max))
                .reduce(f64::max)
        };
        let Some(mut max) = max else {
            return Err(GraphError::new(
                "TypeError",
                "'<' not supported between instances of 'NoneType' and 'float'",
            ));
        };
        if max < 0.0 && draw_null && missing {
            max = 0.0;
        }
        Ok((min, max))
    }

    /// `int(d) for d in str(yDivisors).split(',')`.
    fn divisors(&self) -> Result<Vec<i64>, GraphError> {
        let text = self
            .params
            .get("yDivisors")
            .map_or_else(|| "4,5,6".to_owned(), ParamValue::to_py_str);
        text.split(',')
            .map(|d| ParamValue::Str(d.to_owned()).to_int())
            .collect()
    }

    /// The unit system chosen by `yUnitSystem`.
    fn unit_system(&self) -> UnitSystem {
        let name = self
            .params
            .get("yUnitSystem")
            .map_or_else(|| "si".to_owned(), ParamValue::to_py_str);
        unit_system(&name).unwrap_or(&[])
    }

    /// One axis through `_AxisTics`: limits, step and bounds (labels are measured apart).
    fn axis_tics(&self, indices: &[usize], suffix: &str) -> Result<AxisTics, GraphError> {
        let (min, max) = self.data_limits(indices)?;
        let mut tics = AxisTics::new(
            Num::Float(min),
            Num::Float(max),
            self.unit_system(),
            self.log_base,
        )?;
        let p = &self.params;
        tics.apply_settings(
            p.get(&format!("yMin{suffix}")),
            p.get(&format!("yMax{suffix}")),
            p.get(&format!("yLimit{suffix}")),
        )?;
        Ok(tics)
    }

    /// Steps and limits of an axis built by [`Self::axis_tics`].
    fn finish_tics(
        &self,
        tics: &mut AxisTics,
        suffix: &str,
        divisors: &[i64],
    ) -> Result<(), GraphError> {
        match self.params.get(&format!("yStep{suffix}")) {
            Some(step) => tics.set_step(step.to_float()?)?,
            None => {
                let binary = self.unit_system_name() == "binary";
                tics.choose_step(Some(divisors), binary)?;
            }
        }
        Ok(())
    }

    fn unit_system_name(&self) -> String {
        self.params
            .get("yUnitSystem")
            .map_or_else(|| "si".to_owned(), ParamValue::to_py_str)
    }

    /// The labels of an axis and their widest advance.
    fn measure_labels(&mut self, tics: &mut AxisTics) -> Result<YAxis, GraphError> {
        // The reference copies the step out before `getLabelValues`, which may choose
        // another one for the labels ("This is insane").
        let step = tics.step;
        let label_values = tics.label_values()?;
        let labels: Vec<String> = label_values.iter().map(|&v| tics.make_label(v)).collect();
        let label_width = labels
            .iter()
            .map(|l| self.c.text_extents(l).x_advance)
            .reduce(f64::max)
            .ok_or_else(|| GraphError::new("ValueError", "max() arg is an empty sequence"))?;
        Ok(YAxis {
            step,
            bottom: tics.bottom,
            top: tics.top,
            span: tics.span.unwrap_or(0.0),
            label_values,
            labels,
            label_width,
        })
    }

    /// `setupYAxis` or `setupTwoYAxes`.
    fn setup_y_axes(&mut self) -> Result<(), GraphError> {
        if self.second_y_axis {
            self.setup_two_y_axes()
        } else {
            self.setup_y_axis()
        }
    }

    /// `setupYAxis`.
    fn setup_y_axis(&mut self) -> Result<(), GraphError> {
        let all: Vec<usize> = (0..self.data.len()).collect();
        let mut tics = self.axis_tics(&all, "")?;
        if let Some(step) = self.params.get("yStep") {
            tics.set_step(step.to_float()?)?;
        } else {
            let divisors = self.divisors()?;
            let binary = self.unit_system_name() == "binary";
            tics.choose_step(Some(&divisors), binary)?;
        }
        tics.choose_limits()?;
        if !self.params.flag("hideAxes", false) {
            let axis = self.measure_labels(&mut tics)?;
            if !self.params.flag("hideYAxis", false) {
                if self.y_axis_side_is("left") {
                    let x_min = self.margin.f() + axis.label_width * 1.02;
                    if self.area.xmin.f() < x_min {
                        self.area.xmin = Num::Float(x_min);
                    }
                } else {
                    let x_max = self.margin.f() - axis.label_width * 1.02;
                    if self.area.xmax.f() >= x_max {
                        self.area.xmax = Num::Float(x_max);
                    }
                }
            }
            self.y = Some(axis);
        } else {
            self.y = Some(YAxis {
                step: tics.step,
                bottom: tics.bottom,
                top: tics.top,
                span: tics.span.unwrap_or(0.0),
                label_values: Vec::new(),
                labels: Vec::new(),
                label_width: 0.0,
            });
        }
        Ok(())
    }

    /// `setupTwoYAxes`.
    fn setup_two_y_axes(&mut self) -> Result<(), GraphError> {
        let (left, right) = (self.data_left.clone(), self.data_right.clone());
        let mut tl = self.axis_tics(&left, "Left")?;
        let mut tr = self.axis_tics(&right, "Right")?;
        let divisors = self.divisors()?;
        self.finish_tics(&mut tl, "Left", &divisors)?;
        self.finish_tics(&mut tr, "Right", &divisors)?;
        tl.choose_limits()?;
        tr.choose_limits()?;
        let l = self.measure_labels(&mut tl)?;
        let r = self.measure_labels(&mut tr)?;
        let x_min = self.margin.f() + l.label_width * 1.02;
        if self.area.xmin.f() < x_min {
            self.area.xmin = Num::Float(x_min);
        }
        let x_max = self.width.f() - r.label_width * 1.02;
        if self.area.xmax.f() >= x_max {
            self.area.xmax = Num::Float(x_max);
        }
        self.y_left = Some(l);
        self.y_right = Some(r);
        Ok(())
    }

    /// `setupXAxis`: the time zone, the scale and the `xAxisConfigs` row.
    fn setup_x_axis(&mut self) -> Result<(), GraphError> {
        let tz = match &self.user_tz {
            Some(v) if v.truthy() => match v {
                ParamValue::Str(name) => name
                    .parse::<Tz>()
                    .map_err(|_| GraphError::new("UnknownTimeZoneError", params::py_repr(name)))?,
                _ => {
                    return Err(GraphError::new(
                        "AttributeError",
                        format!("'{}' object has no attribute 'upper'", v.type_name()),
                    ))
                }
            },
            _ => self.ctx.time_zone,
        };
        let start = WallClock::from_timestamp(self.start_time, tz)?;
        let (end, _) = WallClock::from_timestamp(self.end_time, tz)?;
        if self.graph_width == 0.0 || self.time_range == 0 {
            return Err(GraphError::new(
                "ZeroDivisionError",
                "float division by zero",
            ));
        }
        let seconds_per_pixel = self.time_range as f64 / self.graph_width;
        let scale_factor = self.graph_width / self.time_range as f64;
        let (config_index, conf) = xaxis::choose_config(seconds_per_pixel, self.time_range);
        let format = match self.params.get("xFormat") {
            Some(ParamValue::Str(f)) => f.clone(),
            Some(other) => {
                return Err(GraphError::new(
                    "TypeError",
                    format!(
                        "strftime() argument 1 must be str, not {}",
                        other.type_name()
                    ),
                ))
            }
            None => conf.format.replace("{DATE}", self.ctx.date_format),
        };
        self.x = Some(XAxis {
            config_index,
            label_step: conf.label_unit as f64 * conf.label_step,
            minor_grid_step: conf.minor_grid_unit as f64 * conf.minor_grid_step,
            major_grid_step: conf.major_grid_unit as f64 * conf.major_grid_step,
            format,
            scale_factor,
            labels: Vec::new(),
        });
        self.start_dt = Some(start);
        self.end_dt = Some(end);
        Ok(())
    }

    /// `getYCoord(value, side)`: the device y of a value, `None` for a value ≤ 0 on a log
    /// axis.
    fn y_coord(&self, value: f64, side: Option<&str>) -> Option<f64> {
        let axis = match side {
            Some("left") => self.y_left.as_ref(),
            Some("right") => self.y_right.as_ref(),
            _ => self.y.as_ref(),
        }?;
        let (highest, lowest) = if axis.label_values.is_empty() {
            (axis.top.f(), axis.bottom.f())
        } else {
            let hi = axis.label_values.iter().copied().reduce(f64::max)?;
            let lo = axis.label_values.iter().copied().reduce(f64::min)?;
            (hi, lo)
        };
        let pixel_range = self.area.ymax.f() - self.area.ymin.f();
        let (relative, range) = match self.log_base {
            Some(base) => {
                if value <= 0.0 {
                    return None;
                }
                let log = |x: f64| x.ln() / base.ln();
                (log(value) - log(lowest), log(highest) - log(lowest))
            }
            None => (value - lowest, highest - lowest),
        };
        let ratio = pixel_range / range;
        Some(self.area.ymax.f() - ratio * relative)
    }

    /// The layout, once drawn.
    fn into_layout(self) -> LineLayout {
        let metadata = if self.drew_graph {
            self.metadata_json()
        } else {
            "{}".to_owned()
        };
        LineLayout {
            width: self.width.f(),
            height: self.height.f(),
            no_data: !self.drew_graph,
            area: self.area,
            y: self.y,
            y_left: self.y_left,
            y_right: self.y_right,
            x: self.x,
            legend: self.legend,
            texts: self.texts,
            series: self.paths,
            time_range: self.drew_graph.then_some((self.start_time, self.end_time)),
            metadata,
        }
    }

    /// `json.dumps(metaData)` as `Graph.output` builds it for SVG.
    fn metadata_json(&self) -> String {
        use crate::pyjson::{write_float, write_str};
        let mut o = String::new();
        o.push_str(&format!(
            "{{\"x\": {{\"start\": {}, \"end\": {}}}, \"options\": {{\"lineWidth\": ",
            self.start_time, self.end_time
        ));
        write_float(&mut o, self.line_width);
        o.push_str("}, \"font\": {\"name\": ");
        self.font.name.write_json(&mut o);
        o.push_str(&format!(", \"size\": {}, \"bold\": ", self.font.size));
        self.font.bold.write_json(&mut o);
        o.push_str(", \"italic\": ");
        self.font.italic.write_json(&mut o);
        o.push_str("}, \"area\": {");
        for (i, (k, v)) in [
            ("xmin", self.area.xmin),
            ("xmax", self.area.xmax),
            ("ymin", self.area.ymin),
            ("ymax", self.area.ymax),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                o.push_str(", ");
            }
            o.push_str(&format!("\"{k}\": "));
            v.write_json(&mut o);
        }
        o.push_str("}, \"series\": [");
        let mut first = true;
        for s in self.data.iter().filter(|s| !s.has("stacked")) {
            if !first {
                o.push_str(", ");
            }
            first = false;
            o.push_str("{\"name\": ");
            write_str(&mut o, &s.ts.name);
            o.push_str(&format!(
                ", \"start\": {}, \"end\": {}, \"step\": {}, \"valuesPerPoint\": {}, \"color\": ",
                s.ts.start, s.ts.end, s.ts.step, s.values_per_point
            ));
            match &s.color {
                Some(c) => c.write_json(&mut o),
                None => o.push_str("null"),
            }
            // json.dumps copies a list subclass through its __iter__: the consolidated
            // values.
            o.push_str(", \"data\": [");
            let ints = s.ts.iterates_ints();
            for (i, v) in s.values().iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                match v {
                    None => o.push_str("null"),
                    Some(x) if ints && x.fract() == 0.0 && x.abs() < 9e15 => {
                        o.push_str(&format!("{}", *x as i64));
                    }
                    Some(x) => write_float(&mut o, *x),
                }
            }
            o.push_str("], \"options\": {");
            for (i, (k, v)) in s.options.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                write_str(&mut o, k);
                o.push_str(": ");
                v.write_json(&mut o);
            }
            o.push_str("}}");
        }
        o.push(']');
        if !self.second_y_axis {
            if let Some(y) = &self.y {
                o.push_str(", \"y\": {\"top\": ");
                y.top.write_json(&mut o);
                o.push_str(", \"bottom\": ");
                y.bottom.write_json(&mut o);
                o.push_str(", \"step\": ");
                match y.step {
                    Some(s) => write_float(&mut o, s),
                    None => o.push_str("null"),
                }
                o.push_str(", \"labels\": [");
                for (i, l) in y.labels.iter().enumerate() {
                    if i > 0 {
                        o.push_str(", ");
                    }
                    write_str(&mut o, l);
                }
                o.push_str("], \"labelValues\": [");
                for (i, v) in y.label_values.iter().enumerate() {
                    if i > 0 {
                        o.push_str(", ");
                    }
                    write_float(&mut o, *v);
                }
                o.push(']');
                o.push('}');
            }
        }
        o.push('}');
        o
    }
}
