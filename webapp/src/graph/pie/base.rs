//! The parts of glyph.py's `Graph` base class the pie graph draws with: colours
//! (`setColor`, parsed by the line graph's [`parse_color`]), fonts (`setFont`, `getExtents`), `drawRectangle`, `drawText`, `drawTitle`,
//! `drawLegend` (its one-axis branch: a pie never has a second Y axis) and `encodeHeader`.
//!
//! Each follows the reference line by line on a [`Canvas`], so the positions it computes
//! (which depend on the font's extents) are the reference's.

use std::f64::consts::PI;

use crate::graph::canvas::{Canvas, TextExtents};
use crate::graph::line::colors::{parse_color, Rgba};
use crate::graph::line::params::ParamValue;
use crate::graph::line::GraphError;

/// Sets `color` as the source, clamped to 0..=1 as cairo clamps it.
fn set_rgba(canvas: &mut dyn Canvas, color: Rgba) {
    let c = |v: f64| if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    canvas.set_source_rgba(c(color.r), c(color.g), c(color.b), c(color.a));
}

/// The default font (`defaultFontParams` after `loadTemplate`).
#[derive(Debug, Clone, PartialEq)]
pub struct FontParams {
    /// Family name.
    pub name: String,
    /// Size (an integer in the reference: `int(fontSize)`).
    pub size: f64,
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
}

/// `getExtents(text)`: the font's `maxHeight`, `maxAscent`, `maxDescent` and the text's
/// advance (`width`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extents {
    /// font_extents height.
    pub max_height: f64,
    /// font_extents ascent.
    pub max_ascent: f64,
    /// font_extents descent.
    pub max_descent: f64,
    /// text_extents x_advance (0 without a text).
    pub width: f64,
}

/// Horizontal alignment of `drawText`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `left`.
    Left,
    /// `center`.
    Center,
    /// `right`.
    Right,
}

/// Vertical alignment of `drawText`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VAlign {
    /// `top`.
    Top,
    /// `middle`.
    Middle,
}

/// One `drawText` call, recorded for the layout model.
#[derive(Debug, Clone, PartialEq)]
pub struct TextItem {
    /// The text.
    pub text: String,
    /// The anchor `x` passed to `drawText`.
    pub x: f64,
    /// The anchor `y` passed to `drawText`.
    pub y: f64,
    /// Rotation in degrees.
    pub rotate: f64,
    /// Where the glyphs start (user space after the rotation), as cairo's current point
    /// before `text_path`.
    pub origin: (f64, f64),
}

/// A filled box of the legend, recorded for the layout model.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendItem {
    /// The series name.
    pub name: String,
    /// The colour string.
    pub color: String,
    /// Box left.
    pub x: f64,
    /// Box top.
    pub y: f64,
    /// Box side.
    pub size: f64,
}

/// The drawable area (`self.area`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Left.
    pub xmin: f64,
    /// Right.
    pub xmax: f64,
    /// Top.
    pub ymin: f64,
    /// Bottom.
    pub ymax: f64,
}

/// The state glyph.py's `Graph` keeps while drawing.
pub struct GraphBase<'c> {
    /// The canvas.
    pub canvas: &'c mut dyn Canvas,
    /// Width in user units (points for PDF, as the reference converts it).
    pub width: f64,
    /// Height in user units.
    pub height: f64,
    /// The margin.
    pub margin: f64,
    /// The drawing area, shrunk by the title and the legend.
    pub area: Area,
    /// The foreground colour (`fgcolor` or the template's).
    pub foreground: ParamValue,
    /// The background colour.
    pub background: ParamValue,
    /// The default font.
    pub font: FontParams,
    /// Whether `yAxisSide=right` was given (the title then leaves no margin below it).
    pub y_axis_right: bool,
    /// Every `drawText` call, in order.
    pub texts: Vec<TextItem>,
    /// Every legend box, in order.
    pub legend: Vec<LegendItem>,
}

impl std::fmt::Debug for GraphBase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphBase")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("area", &self.area)
            .finish_non_exhaustive()
    }
}

impl GraphBase<'_> {
    /// `setColor(value, alpha)` of a colour string.
    pub fn set_color(&mut self, value: &str, alpha: f64) -> Result<(), GraphError> {
        self.set_color_value(&ParamValue::Str(value.to_owned()), alpha)
    }

    /// `setColor(value, alpha)` of an option value (which may not be a string).
    pub fn set_color_value(&mut self, value: &ParamValue, alpha: f64) -> Result<(), GraphError> {
        let c = parse_color(value, alpha, false)?;
        set_rgba(self.canvas, c);
        Ok(())
    }

    /// `setFont(size=...)` (`None`: the default size).
    pub fn set_font(&mut self, size: Option<f64>) {
        let size = size.unwrap_or(self.font.size);
        self.canvas
            .select_font_face(&self.font.name, self.font.italic, self.font.bold);
        self.canvas.set_font_size(size);
    }

    /// `getExtents(text)` in the current font.
    pub fn extents(&self, text: Option<&str>) -> Extents {
        let f = self.canvas.font_extents();
        let width = text.map_or(0.0, |t| {
            let TextExtents { x_advance, .. } = self.canvas.text_extents(t);
            x_advance
        });
        Extents {
            max_height: f.height,
            max_ascent: f.ascent,
            max_descent: f.descent,
            width,
        }
    }

    /// `drawRectangle(x, y, w, h, fill)` (no dash: the pie never dashes).
    pub fn draw_rectangle(&mut self, mut x: f64, mut y: f64, mut w: f64, mut h: f64, fill: bool) {
        if !fill {
            // Offset borders so they are drawn as lines would be.
            let o = self.canvas.line_width() / 2.0;
            x += o;
            y += o;
            w -= o;
            h -= o;
        }
        self.canvas.rectangle(x, y, w, h);
        if fill {
            self.canvas.fill();
        } else {
            self.canvas.set_dash(&[], 0.0);
            self.canvas.stroke();
        }
    }

    /// `drawText(text, x, y, align, valign, rotate)` in the current font and colour.
    pub fn draw_text(
        &mut self,
        text: &str,
        x: f64,
        y: f64,
        align: Align,
        valign: VAlign,
        rotate: f64,
    ) {
        let extents = self.extents(Some(text));
        // math.radians, as the reference converts the degrees back.
        let angle = rotate * (PI / 180.0);
        let orig = self.canvas.matrix();
        let horizontal = match align {
            Align::Left => 0.0,
            Align::Center => extents.width / 2.0,
            Align::Right => extents.width,
        };
        let vertical = match valign {
            VAlign::Top => extents.max_ascent,
            VAlign::Middle => extents.max_height / 2.0 - extents.max_descent,
        };
        self.canvas.move_to(x, y);
        self.canvas
            .rel_move_to(angle.sin() * -vertical, angle.cos() * vertical);
        self.canvas.rotate(angle);
        self.canvas.rel_move_to(-horizontal, 0.0);
        let origin = self.canvas.current_point().unwrap_or((x, y));
        self.canvas.text_path(text);
        self.canvas.fill();
        self.canvas.set_matrix(orig);
        self.texts.push(TextItem {
            text: text.to_owned(),
            x,
            y,
            rotate,
            origin,
        });
    }

    /// `encodeHeader(text)`: in SVG output the reference marks each section with a stroke
    /// at negative coordinates, which its post-processing turns into a group only when the
    /// graph has data (a pie never does) and which cairo drops as lying outside the surface.
    /// So a pie's SVG has neither; there is nothing to draw.
    fn encode_header(&mut self, _text: &str) -> Result<(), GraphError> {
        Ok(())
    }

    /// `drawTitle(text)`: centred lines at the top; the area starts below them.
    pub fn draw_title(&mut self, text: &str) -> Result<(), GraphError> {
        self.encode_header("title")?;
        let mut y = self.area.ymin;
        let x = self.width / 2.0;
        let line_height = self.extents(None).max_height;
        for line in text.split('\n') {
            self.draw_text(line, x, y, Align::Center, VAlign::Top, 0.0);
            y += line_height;
        }
        self.area.ymin = if self.y_axis_right {
            y
        } else {
            y + self.margin
        };
        Ok(())
    }

    /// `drawLegend(elements)` for one Y axis: colour boxes and names below the area, in as
    /// many columns as fit.
    pub fn draw_legend(&mut self, elements: &[(String, String)]) -> Result<(), GraphError> {
        self.encode_header("legend")?;
        let padding = 5.0;
        // sorted(names, key=len)[-1]: the last of the longest (the sort is stable).
        let Some(longest) = elements
            .iter()
            .map(|(name, _)| name)
            .enumerate()
            .max_by_key(|&(i, name)| (name.chars().count(), i))
            .map(|(_, name)| name.clone())
        else {
            return Ok(());
        };
        let extents = self.extents(Some(&longest));
        let box_size = extents.max_height - 1.0;
        let line_height = extents.max_height + 1.0;
        let label_width = extents.width + 2.0 * (box_size + padding);
        let mut columns = (self.width / label_width).floor();
        if columns.is_nan() || columns < 1.0 {
            columns = 1.0;
        }
        let lines = (elements.len() as f64 / columns).ceil();
        let legend_height = lines * line_height + padding;
        self.area.ymax -= legend_height;
        self.canvas.set_line_width(1.0);
        let mut x = self.area.xmin;
        let mut y = self.area.ymax + 2.0 * padding;
        let foreground = self.foreground.clone();
        for (i, (name, color)) in elements.iter().enumerate() {
            self.set_color(color, 1.0)?;
            self.draw_rectangle(x, y, box_size, box_size, true);
            self.set_color("darkgrey", 1.0)?;
            self.draw_rectangle(x, y, box_size, box_size, false);
            self.set_color_value(&foreground, 1.0)?;
            self.legend.push(LegendItem {
                name: name.clone(),
                color: color.clone(),
                x,
                y,
                size: box_size,
            });
            self.draw_text(
                name,
                x + box_size + padding,
                y,
                Align::Left,
                VAlign::Top,
                0.0,
            );
            x += label_width;
            if ((i + 1) as f64) % columns == 0.0 {
                x = self.area.xmin;
                y += line_height;
            }
        }
        Ok(())
    }
}
