//! The drawing steps of `LineGraph`: `drawLabels` (Y and X labels), `drawGridLines`,
//! `drawLines` (stacking, areas, `drawAsInfinite`, dashes, the three line modes) and
//! `fillAreaAndClip`.

use super::params::ParamValue;
use super::xaxis::{find_x_times, strftime, WallClock};
use super::{GSeries, GraphError, LineGraph, SeriesPath};
use crate::graph::canvas::{LineCap, LineJoin, PathSegment};
use crate::series::TimeSeries;

/// The most minor grid lines drawn in all: the reference draws `minorY` of them between
/// every two labels however large it is; beyond this they fall on the same pixels anyway.
const MAX_MINOR_LINES: i64 = 100_000;

/// The most x labels or grid lines drawn: a guard for absurd scales (the table's steps give
/// at most a few thousand over Python's whole date range).
const MAX_X_STEPS: usize = 1_000_000;

/// The `TypeError` the reference hits when a value has no position on a log axis.
fn no_y() -> GraphError {
    GraphError::new("TypeError", "must be real number, not NoneType")
}

impl LineGraph<'_, '_> {
    /// `drawLabels`: the Y labels beside the axis (both axes with `secondYAxis`) and the X
    /// labels under the plot.
    pub(super) fn draw_labels(&mut self) -> Result<(), GraphError> {
        if !self.params.flag("hideYAxis", false) {
            if !self.second_y_axis {
                let Some(axis) = self.y.clone() else {
                    return Ok(());
                };
                let left = self.y_axis_side_is("left");
                for (value, label) in axis.label_values.iter().zip(&axis.labels) {
                    let x = if left {
                        self.area.xmin.f() - axis.label_width * 0.02
                    } else {
                        self.area.xmax.f() + axis.label_width * 0.02
                    };
                    let y = self.y_coord(*value, None).ok_or_else(no_y)?.max(0.0);
                    let align = if left { "right" } else { "left" };
                    self.draw_text(label, x, y, align, "middle", 0.0);
                }
            } else {
                if let Some(axis) = self.y_left.clone() {
                    for (value, label) in axis.label_values.iter().zip(&axis.labels) {
                        let x = self.area.xmin.f() - axis.label_width * 0.02;
                        let y = self
                            .y_coord(*value, Some("left"))
                            .ok_or_else(no_y)?
                            .max(0.0);
                        self.draw_text(label, x, y, "right", "middle", 0.0);
                    }
                }
                if let Some(axis) = self.y_right.clone() {
                    for (value, label) in axis.label_values.iter().zip(&axis.labels) {
                        let x = self.area.xmax.f() + axis.label_width * 0.02 + 3.0;
                        let y = self
                            .y_coord(*value, Some("right"))
                            .ok_or_else(no_y)?
                            .max(0.0);
                        self.draw_text(label, x, y, "left", "middle", 0.0);
                    }
                }
            }
        }
        if !self.params.flag("hideXAxis", false) {
            let (Some((start, tz_name)), Some(end), Some(x_axis)) =
                (self.start_dt.clone(), self.end_dt, self.x.clone())
            else {
                return Ok(());
            };
            let conf = &super::xaxis::X_AXIS_CONFIGS[x_axis.config_index];
            let (mut dt, delta) = find_x_times(start, conf.label_unit, conf.label_step)?;
            let mut labels = Vec::new();
            while dt.utc() < end.utc() && labels.len() < MAX_X_STEPS {
                let label = strftime(dt, &tz_name, self.ctx.time_zone, &x_axis.format);
                let x = self.area.xmin.f() + (dt.local - start.local) as f64 * x_axis.scale_factor;
                let y = self.area.ymax.f() + self.font_extents().ascent;
                self.draw_text(&label, x, y, "center", "top", 0.0);
                labels.push((label, x));
                dt.local += delta;
            }
            if let Some(x) = &mut self.x {
                x.labels = labels;
            }
        }
        Ok(())
    }

    /// Vertical grid lines every `step` units from the start, left of the area's right edge.
    fn vertical_lines(
        &mut self,
        start: WallClock,
        end: WallClock,
        unit: i64,
        step: f64,
        scale: f64,
    ) -> Result<(), GraphError> {
        let (top, bottom) = (self.area.ymin.f(), self.area.ymax.f());
        let (mut dt, delta) = find_x_times(start, unit, step)?;
        let mut count = 0;
        while dt.utc() < end.utc() && count < MAX_X_STEPS {
            let x = self.area.xmin.f() + (dt.local - start.local) as f64 * scale;
            if x < self.area.xmax.f() {
                self.c.move_to(x, bottom);
                self.c.line_to(x, top);
                self.c.stroke();
            }
            dt.local += delta;
            count += 1;
        }
        Ok(())
    }

    /// `drawGridLines`: horizontal lines at the (left) labels with `minorY` lines between
    /// them, vertical minor and major lines, and the area's side borders.
    pub(super) fn draw_grid_lines(&mut self) -> Result<(), GraphError> {
        let (left, right) = (self.area.xmin.f(), self.area.xmax.f());
        let side = if self.second_y_axis {
            Some("left")
        } else {
            None
        };
        let axis = if self.second_y_axis {
            self.y_left.clone()
        } else {
            self.y.clone()
        };
        let Some(axis) = axis else {
            return Ok(());
        };
        let labels = &axis.label_values;
        let major = self
            .params
            .get("majorGridLineColor")
            .cloned()
            .unwrap_or(ParamValue::Str(self.default_major.clone()));
        let minor = self
            .params
            .get("minorGridLineColor")
            .cloned()
            .unwrap_or(ParamValue::Str(self.default_minor.clone()));
        for (i, &value) in labels.iter().enumerate() {
            self.c.set_line_width(0.4);
            self.set_color(&major, 1.0, false)?;
            let y = self.y_coord(value, side);
            let Some(y) = y.filter(|y| *y >= 0.0) else {
                continue;
            };
            self.c.move_to(left, y);
            self.c.line_to(right, y);
            self.c.stroke();
            if self.minor_y >= 1 && i + 1 < labels.len() {
                let (lower, upper) = if value <= labels[i + 1] {
                    (value, labels[i + 1])
                } else {
                    (labels[i + 1], value)
                };
                let distance = (upper - lower) / (self.minor_y as f64 + 1.0);
                let per_interval = MAX_MINOR_LINES / labels.len().max(1) as i64;
                for m in 0..self.minor_y.min(per_interval) {
                    self.c.set_line_width(0.3);
                    self.set_color(&minor, 1.0, false)?;
                    let v = lower + (1 + m) as f64 * distance;
                    let factor = self.log_base.map_or(1.0, |b| b * b);
                    if v >= factor * axis.top.f() {
                        continue;
                    }
                    let Some(y) = self.y_coord(v, side).filter(|y| *y >= 0.0) else {
                        continue;
                    };
                    self.c.move_to(left, y);
                    self.c.line_to(right, y);
                    self.c.stroke();
                }
            }
        }
        let (Some((start, _)), Some(end), Some(x_axis)) =
            (self.start_dt.clone(), self.end_dt, self.x.clone())
        else {
            return Ok(());
        };
        let conf = &super::xaxis::X_AXIS_CONFIGS[x_axis.config_index];
        self.c.set_line_width(0.25);
        self.set_color(&minor, 1.0, false)?;
        self.vertical_lines(
            start,
            end,
            conf.minor_grid_unit,
            conf.minor_grid_step,
            x_axis.scale_factor,
        )?;
        self.c.set_line_width(0.33);
        self.set_color(&major, 1.0, false)?;
        self.vertical_lines(
            start,
            end,
            conf.major_grid_unit,
            conf.major_grid_step,
            x_axis.scale_factor,
        )?;
        let (top, bottom) = (self.area.ymin.f(), self.area.ymax.f());
        self.c.set_line_width(0.5);
        self.c.move_to(right, bottom);
        self.c.line_to(right, top);
        self.c.move_to(left, bottom);
        self.c.line_to(left, top);
        self.c.stroke();
        Ok(())
    }

    /// The y of `value` on the series' axis.
    fn series_y(&self, s: &GSeries, value: f64) -> Option<f64> {
        if self.second_y_axis {
            let side = if s.has("secondYAxis") {
                "right"
            } else {
                "left"
            };
            self.y_coord(value, Some(side))
        } else {
            self.y_coord(value, None)
        }
    }

    /// `drawLines`: stacking and area modes, then every series' path, stacked areas first.
    pub(super) fn draw_lines(&mut self) -> Result<(), GraphError> {
        let width = self.line_width;
        self.c.set_line_width(width);
        let original_width = width;
        self.c.set_dash(&[], 0.0);
        self.c.set_line_cap(LineCap::Butt);
        self.c.set_line_join(LineJoin::Miter);

        if self.data.iter().any(|s| s.has("stacked")) {
            // sort_stacked: stacked series first, each group in order.
            let (stacked, rest): (Vec<GSeries>, Vec<GSeries>) = std::mem::take(&mut self.data)
                .into_iter()
                .partition(|s| s.has("stacked"));
            self.data = stacked.into_iter().chain(rest).collect();
        }
        let stacked_true = || ParamValue::Bool(true);
        if self.area_mode == "stacked" && !self.second_y_axis {
            let mut total: Vec<f64> = Vec::new();
            for s in &mut self.data {
                if s.has("drawAsInfinite") {
                    continue;
                }
                s.options.insert("stacked".into(), stacked_true());
                for (i, v) in s.ts.values.iter_mut().enumerate() {
                    if total.len() <= i {
                        total.push(0.0);
                    }
                    if let Some(x) = v {
                        let original = *x;
                        *x += total[i];
                        total[i] += original;
                    }
                }
            }
        } else if self.area_mode == "first" {
            if let Some(s) = self.data.first_mut() {
                s.options.insert("stacked".into(), stacked_true());
            }
        } else if self.area_mode == "all" {
            for s in &mut self.data {
                if !s.has("drawAsInfinite") {
                    s.options.insert("stacked".into(), stacked_true());
                }
            }
        }

        if let Some(area_alpha) = self.params.get("areaAlpha").filter(|v| v.truthy()).cloned() {
            let alpha = area_alpha.to_float().unwrap_or(0.5);
            let mut strokes = Vec::new();
            for s in &mut self.data {
                if !s.has("stacked") {
                    continue;
                }
                s.options.insert("alpha".into(), ParamValue::Float(alpha));
                let step = s.ts.step.saturating_mul(s.values_per_point);
                let mut ts = TimeSeries::new(
                    s.ts.name.clone(),
                    s.ts.start,
                    s.ts.end,
                    step,
                    s.values(),
                    s.ts.x_files_factor,
                );
                ts.int_values = s.ts.int_values;
                let mut copy = GSeries::new(&ts);
                copy.x_step = s.x_step;
                copy.color = s.color.clone();
                if s.has("secondYAxis") {
                    copy.options
                        .insert("secondYAxis".into(), ParamValue::Bool(true));
                }
                strokes.push(copy);
            }
            self.data.extend(strokes);
        }

        self.c.set_line_width(1.0);
        let (xmin, ymin) = (self.area.xmin.f(), self.area.ymin.f());
        let (xmax, ymax) = (self.area.xmax.f(), self.area.ymax.f());
        self.c.rectangle(xmin, ymin, xmax - xmin, ymax - ymin);
        self.c.clip();
        self.c.set_line_width(original_width);
        self.c.save();
        let mut clip_restored = false;

        let draw_null_as_zero = self.params.flag("drawNullAsZero", false);
        let connected_limit = self.params.get("connectedLimit").cloned();
        for idx in 0..self.data.len() {
            let s = self.data[idx].clone();
            let stacked = s.has("stacked");
            if !stacked && !clip_restored {
                clip_restored = true;
                self.c.restore();
            }
            if let Some(w) = s.options.get("lineWidth") {
                self.c.set_line_width(w.to_number()?);
            }
            match s.options.get("dashed") {
                Some(d) => self.c.set_dash(&[d.to_number()?], 1.0),
                None => self.c.set_dash(&[], 0.0),
            }
            if s.ts.step == 0 || s.values_per_point == 0 {
                return Err(GraphError::new("ZeroDivisionError", "division by zero"));
            }
            let missing =
                (i128::from(s.ts.start) - i128::from(self.start_time)) as f64 / s.ts.step as f64;
            let start_shift = s.x_step * (missing / s.values_per_point as f64);
            let mut x = xmin + start_shift + self.line_width / 2.0;
            let mut y = ymin;
            let mut start_x = x;
            let color = s.color.clone().unwrap_or(ParamValue::Str(String::new()));
            if s.options.get("invisible").is_some_and(ParamValue::truthy) {
                self.set_color(&color, 0.0, true)?;
            } else {
                let alpha = match s.options.get("alpha").filter(|a| a.truthy()) {
                    Some(a) => a.to_number()?,
                    None => 1.0,
                };
                self.set_color(&color, alpha, false)?;
            }
            let mut path = SeriesPath {
                name: s.ts.name.clone(),
                color: s.color.clone(),
                filled: stacked,
                segments: Vec::new(),
            };
            let side_zero = |g: &Self| g.series_y(&s, 0.0);
            let mut consecutive_nones: i64 = 0;
            for (index, value) in s.values().into_iter().enumerate() {
                let mut value = value.filter(|v| !v.is_nan());
                if value.is_none() && draw_null_as_zero {
                    value = Some(0.0);
                }
                let Some(v) = value else {
                    if consecutive_nones == 0 {
                        self.line_to(&mut path, x, y);
                        if stacked {
                            let zero = side_zero(self);
                            self.fill_area_and_clip(&mut path, x, y, Some(start_x), zero);
                        }
                    }
                    x += s.x_step;
                    consecutive_nones += 1;
                    continue;
                };
                let Some(yv) = self.series_y(&s, v) else {
                    // A value with no place on a log axis: the reference then passes None
                    // to cairo (or compares None with 0), a TypeError.
                    return Err(no_y());
                };
                y = yv.max(0.0);
                if s.has("drawAsInfinite") && v > 0.0 {
                    self.move_to(&mut path, x, ymax);
                    self.line_to(&mut path, x, ymin);
                    self.c.stroke();
                    x += s.x_step;
                    continue;
                }
                if consecutive_nones > 0 {
                    start_x = x;
                }
                match self.line_mode.as_str() {
                    "staircase" => {
                        if consecutive_nones > 0 {
                            self.move_to(&mut path, x, y);
                        } else {
                            self.line_to(&mut path, x, y);
                        }
                        x += s.x_step;
                        self.line_to(&mut path, x, y);
                    }
                    "slope" => {
                        if consecutive_nones > 0 {
                            self.move_to(&mut path, x, y);
                        }
                        self.line_to(&mut path, x, y);
                        x += s.x_step;
                    }
                    _ => {
                        let beyond = match &connected_limit {
                            None => false,
                            Some(limit) => (consecutive_nones as f64) > limit.to_number()?,
                        };
                        if beyond || consecutive_nones == index as i64 {
                            self.move_to(&mut path, x, y);
                        }
                        self.line_to(&mut path, x, y);
                        x += s.x_step;
                    }
                }
                consecutive_nones = 0;
            }
            if stacked {
                let x_pos = if self.line_mode == "staircase" {
                    x
                } else {
                    x - s.x_step
                };
                let zero = side_zero(self);
                self.fill_area_and_clip(&mut path, x_pos, y, Some(start_x), zero);
            } else {
                self.c.stroke();
            }
            self.c.set_line_width(original_width);
            self.paths.push(path);
        }
        Ok(())
    }

    /// `move_to`, recorded in the series path.
    fn move_to(&mut self, path: &mut SeriesPath, x: f64, y: f64) {
        self.c.move_to(x, y);
        path.segments.push(PathSegment::MoveTo(x, y));
    }

    /// `line_to`, recorded in the series path (a move when there is no current point).
    fn line_to(&mut self, path: &mut SeriesPath, x: f64, y: f64) {
        let had_point = self.c.current_point().is_some();
        self.c.line_to(x, y);
        path.segments.push(if had_point {
            PathSegment::LineTo(x, y)
        } else {
            PathSegment::MoveTo(x, y)
        });
    }

    /// `fillAreaAndClip(x, y, startX, areaYFrom)`: fills from the path down to the zero
    /// line, then clips the following drawing to above that area (stacked areas drawn next
    /// stay out of it).
    fn fill_area_and_clip(
        &mut self,
        path: &mut SeriesPath,
        x: f64,
        _y: f64,
        start_x: Option<f64>,
        area_y_from: Option<f64>,
    ) {
        let (xmin, xmax) = (self.area.xmin.f(), self.area.xmax.f());
        let (ymin, ymax) = (self.area.ymin.f(), self.area.ymax.f());
        // `startX or xmin`, `areaYFrom or ymax`: zero counts as missing, as in Python.
        let start_x = start_x.filter(|v| *v != 0.0).unwrap_or(xmin);
        let from = area_y_from.filter(|v| *v != 0.0).unwrap_or(ymax);
        let pattern = self.c.copy_path();
        self.c.line_to(x, from);
        self.c.line_to(start_x, from);
        self.c.close_path();
        path.segments.push(PathSegment::LineTo(x, from));
        path.segments.push(PathSegment::LineTo(start_x, from));
        path.segments.push(PathSegment::Close);
        self.c.fill();
        self.c.append_path(&pattern);
        for (px, py) in [
            (x, from),
            (xmax, from),
            (xmax, ymin),
            (xmin, ymin),
            (xmin, from),
            (start_x, from),
            (x, from),
            (xmax, from),
            (xmax, ymax),
            (xmin, ymax),
            (xmin, from),
            (start_x, from),
        ] {
            self.c.line_to(px, py);
        }
        self.c.close_path();
        self.c.clip();
    }
}
