//! `Graph.drawLegend`: colour boxes and names under the plot, in as many columns as fit, and
//! with two Y axes (when a doubled longest name fits) left-axis names from the left and
//! right-axis names from the right.

use super::axis::Num;
use super::params::ParamValue;
use super::{GraphError, Legend, LegendEntry, LineGraph};

/// Space between a box and its text, and around the legend.
const PADDING: f64 = 5.0;

impl LineGraph<'_, '_> {
    /// `drawLegend(elements, unique)`; elements are (name, colour, right side).
    pub(super) fn draw_legend(
        &mut self,
        elements: Vec<(String, ParamValue, bool)>,
        unique: bool,
    ) -> Result<(), GraphError> {
        self.encode_header("legend");
        let elements = if unique {
            let mut seen: Vec<String> = Vec::new();
            let mut kept = Vec::new();
            for e in elements {
                if !seen.contains(&e.0) {
                    seen.push(e.0.clone());
                    kept.push(e);
                }
            }
            kept
        } else {
            elements
        };
        // `sorted(names, key=len)[-1]`: the last of the longest names (a stable sort).
        let longest = elements
            .iter()
            .map(|e| &e.0)
            .fold(None::<&String>, |best, n| match best {
                Some(b) if b.chars().count() > n.chars().count() => Some(b),
                _ => Some(n),
            })
            .cloned()
            .unwrap_or_default();
        let width = self.width.f();
        let test = self
            .c
            .text_extents(&format!("{longest} {longest}"))
            .x_advance;
        let test_box = self.font_extents().height - 1.0;
        let right_side_labels = test + 2.0 * (test_box + PADDING) + 50.0 < width;

        let max_height = self.font_extents().height;
        let name_width = self.c.text_extents(&longest).x_advance;
        let box_size = max_height - 1.0;
        let line_height = max_height + 1.0;
        let label_width = name_width + 2.0 * (box_size + PADDING);
        if label_width == 0.0 {
            return Err(GraphError::new(
                "ZeroDivisionError",
                "float division by zero",
            ));
        }
        let mut entries = Vec::with_capacity(elements.len());
        let fg = self.foreground.clone();
        let dark = ParamValue::Str("darkgrey".to_owned());
        let (columns, legend_height);
        if self.second_y_axis && right_side_labels {
            let cols = ((width - self.area.xmin.f()) / label_width)
                .floor()
                .max(1.0);
            let num_right = elements.iter().filter(|e| e.2).count();
            let lines = (elements.len() - num_right).max(num_right) as f64;
            let cols = (cols / 2.0).floor().max(1.0);
            legend_height = (lines / cols).max(1.0) * line_height + PADDING;
            columns = cols as i64;
            self.area.ymax = Num::Float(self.area.ymax.f() - legend_height);
            self.c.set_line_width(1.0);
            let mut x = self.area.xmin.f();
            let mut y = self.area.ymax.f() + 2.0 * PADDING;
            let mut n = 0i64;
            // The reference starts right-hand names at the area's width, not its right edge.
            let right_start = self.area.xmax.f() - self.area.xmin.f();
            let mut x_right = right_start;
            let mut y_right = y;
            let mut n_right = 0i64;
            for (name, color, right) in elements {
                self.set_color(&color, 1.0, false)?;
                let (bx, by) = if right {
                    n_right += 1;
                    let at = (x_right - PADDING, y_right);
                    self.draw_rectangle(at.0, at.1, box_size, box_size, true, None);
                    self.set_color(&dark, 1.0, false)?;
                    self.draw_rectangle(at.0, at.1, box_size, box_size, false, None);
                    self.set_color(&fg, 1.0, false)?;
                    self.draw_text(&name, x_right - box_size, y_right, "right", "top", 0.0);
                    x_right -= label_width;
                    if n_right % columns == 0 {
                        x_right = right_start;
                        y_right += line_height;
                    }
                    at
                } else {
                    n += 1;
                    let at = (x, y);
                    self.draw_rectangle(x, y, box_size, box_size, true, None);
                    self.set_color(&dark, 1.0, false)?;
                    self.draw_rectangle(x, y, box_size, box_size, false, None);
                    self.set_color(&fg, 1.0, false)?;
                    self.draw_text(&name, x + box_size + PADDING, y, "left", "top", 0.0);
                    x += label_width;
                    if n % columns == 0 {
                        x = self.area.xmin.f();
                        y += line_height;
                    }
                    at
                };
                entries.push(LegendEntry {
                    name,
                    color,
                    right_side: right,
                    box_x: bx,
                    box_y: by,
                });
            }
        } else {
            let cols = (width / label_width).floor().max(1.0);
            let lines = (elements.len() as f64 / cols).ceil();
            legend_height = lines * line_height + PADDING;
            columns = cols as i64;
            self.area.ymax = Num::Float(self.area.ymax.f() - legend_height);
            self.c.set_line_width(1.0);
            let mut x = self.area.xmin.f();
            let mut y = self.area.ymax.f() + 2.0 * PADDING;
            for (i, (name, color, right)) in elements.into_iter().enumerate() {
                self.set_color(&color, 1.0, false)?;
                let at = if right {
                    let at = (x + label_width + PADDING, y);
                    self.draw_rectangle(at.0, at.1, box_size, box_size, true, None);
                    self.set_color(&dark, 1.0, false)?;
                    self.draw_rectangle(at.0, at.1, box_size, box_size, false, None);
                    self.set_color(&fg, 1.0, false)?;
                    self.draw_text(&name, x + label_width, y, "right", "top", 0.0);
                    at
                } else {
                    let at = (x, y);
                    self.draw_rectangle(x, y, box_size, box_size, true, None);
                    self.set_color(&dark, 1.0, false)?;
                    self.draw_rectangle(x, y, box_size, box_size, false, None);
                    self.set_color(&fg, 1.0, false)?;
                    self.draw_text(&name, x + box_size + PADDING, y, "left", "top", 0.0);
                    at
                };
                x += label_width;
                if (i as i64 + 1) % columns == 0 {
                    x = self.area.xmin.f();
                    y += line_height;
                }
                entries.push(LegendEntry {
                    name,
                    color,
                    right_side: right,
                    box_x: at.0,
                    box_y: at.1,
                });
            }
        }
        self.legend = Some(Legend {
            columns,
            box_size,
            line_height,
            label_width,
            height: legend_height,
            entries,
        });
        Ok(())
    }
}
