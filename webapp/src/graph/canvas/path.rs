//! cairo's path construction (`cairo-path-fixed.c`) in device space: coordinates rounded to
//! cairo's 24.8 fixed point, the lazy `move_to` (consecutive moves collapse), degenerate
//! `line_to`s dropped, collinear `line_to`s merged, and `close_path` leaving an implicit
//! move back to the sub-path's start. [`PathBuilder::copy`] yields what `copy_path` would.

use super::PathSegment;

/// Rounds a device coordinate to cairo's 24.8 fixed point (`_cairo_fixed_from_double`
/// rounds half to even through its magic-number addition).
pub fn fixed(v: f64) -> f64 {
    if v.is_finite() {
        (v * 256.0).round_ties_even() / 256.0
    } else {
        0.0
    }
}

/// A path under construction, in device coordinates (already rounded to fixed point).
#[derive(Debug, Clone, Default)]
pub struct PathBuilder {
    segments: Vec<PathSegment>,
    current: Option<(f64, f64)>,
    last_move: (f64, f64),
    /// cairo adds a sub-path's `MOVE_TO` only when something is drawn from it.
    needs_move_to: bool,
}

impl PathBuilder {
    /// The segments as stored (without the trailing implicit move).
    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// The current point (device), if any.
    pub fn current(&self) -> Option<(f64, f64)> {
        self.current
    }

    /// Clears the path (`new_path`).
    pub fn clear(&mut self) {
        *self = PathBuilder::default();
    }

    /// The path as `copy_path` returns it: a pending move is reported at the end.
    pub fn copy(&self) -> Vec<PathSegment> {
        let mut out = self.segments.clone();
        if let (true, Some((x, y))) = (self.needs_move_to, self.current) {
            out.push(PathSegment::MoveTo(x, y));
        }
        out
    }

    /// Starts a new sub-path at a device point.
    pub fn move_to(&mut self, x: f64, y: f64) {
        let p = (fixed(x), fixed(y));
        self.needs_move_to = true;
        self.current = Some(p);
        self.last_move = p;
    }

    fn apply_move(&mut self) {
        if self.needs_move_to {
            if let Some((x, y)) = self.current {
                self.segments.push(PathSegment::MoveTo(x, y));
            }
            self.needs_move_to = false;
        }
    }

    fn last_is(&self, f: impl Fn(&PathSegment) -> bool) -> bool {
        self.segments.last().is_some_and(f)
    }

    /// The end point of the segment before the last one (for the collinear merge).
    fn penultimate_point(&self) -> Option<(f64, f64)> {
        let n = self.segments.len();
        if n < 2 {
            return None;
        }
        end_point(&self.segments[n - 2])
    }

    fn drop_line_to(&mut self) {
        self.segments.pop();
        self.current = self.segments.last().and_then(end_point).or(self.current);
    }

    /// Adds a line to a device point (a move when there is no current point).
    pub fn line_to(&mut self, x: f64, y: f64) {
        let p = (fixed(x), fixed(y));
        self.line_to_fixed(p);
    }

    fn line_to_fixed(&mut self, p: (f64, f64)) {
        let Some(current) = self.current else {
            self.move_to(p.0, p.1);
            return;
        };
        self.apply_move();
        let last_is_move = self.last_is(|s| matches!(s, PathSegment::MoveTo(..)));
        if !last_is_move && p == current {
            return;
        }
        if self.last_is(|s| matches!(s, PathSegment::LineTo(..))) {
            if let Some(prev) = self.penultimate_point() {
                if prev == current {
                    // The previous line was degenerate: replace it.
                    self.drop_line_to();
                } else {
                    let (dx1, dy1) = (current.0 - prev.0, current.1 - prev.1);
                    let (dx2, dy2) = (p.0 - current.0, p.1 - current.1);
                    let same_slope = dy1 * dx2 == dy2 * dx1;
                    let backwards = dx1 * dx2 + dy1 * dy2 < 0.0;
                    if same_slope && !backwards {
                        self.drop_line_to();
                    }
                }
            }
        }
        self.segments.push(PathSegment::LineTo(p.0, p.1));
        self.current = Some(p);
    }

    /// Adds a cubic Bézier curve (device points).
    pub fn curve_to(&mut self, c1: (f64, f64), c2: (f64, f64), p: (f64, f64)) {
        let c1 = (fixed(c1.0), fixed(c1.1));
        let c2 = (fixed(c2.0), fixed(c2.1));
        let p = (fixed(p.0), fixed(p.1));
        let current = match self.current {
            Some(c) => c,
            None => {
                self.move_to(c1.0, c1.1);
                c1
            }
        };
        // A curve that does not move is a line (cairo: rounded rectangles with r = 0).
        if c1 == current && c2 == current && p == current {
            self.line_to_fixed(p);
            return;
        }
        self.apply_move();
        if self.last_is(|s| matches!(s, PathSegment::LineTo(..)))
            && self.penultimate_point() == Some(current)
        {
            self.drop_line_to();
        }
        self.segments
            .push(PathSegment::CurveTo(c1.0, c1.1, c2.0, c2.1, p.0, p.1));
        self.current = Some(p);
    }

    /// Closes the current sub-path; the next segment starts at its first point.
    pub fn close(&mut self) {
        if self.current.is_none() {
            return;
        }
        // cairo adds the closing line to settle degeneracies, then drops it: CLOSE_PATH
        // draws it.
        self.line_to_fixed(self.last_move);
        if self.last_is(|s| matches!(s, PathSegment::LineTo(..))) {
            self.drop_line_to();
        }
        self.current = Some(self.last_move);
        self.needs_move_to = true;
        self.segments.push(PathSegment::Close);
    }

    /// Appends segments already in device space (`append_path`).
    pub fn append(&mut self, segments: &[PathSegment]) {
        for seg in segments {
            match *seg {
                PathSegment::MoveTo(x, y) => self.move_to(x, y),
                PathSegment::LineTo(x, y) => self.line_to(x, y),
                PathSegment::CurveTo(a, b, c, d, e, f) => self.curve_to((a, b), (c, d), (e, f)),
                PathSegment::Close => self.close(),
            }
        }
    }
}

/// Where a segment ends (`None` for a close).
pub fn end_point(seg: &PathSegment) -> Option<(f64, f64)> {
    match *seg {
        PathSegment::MoveTo(x, y) | PathSegment::LineTo(x, y) => Some((x, y)),
        PathSegment::CurveTo(_, _, _, _, x, y) => Some((x, y)),
        PathSegment::Close => None,
    }
}

/// cairo's `_arc_error_normalized`: the error of one Bézier arc segment of `angle` on the
/// unit circle.
fn arc_error_normalized(angle: f64) -> f64 {
    2.0 / 27.0 * (angle / 4.0).sin().powi(6) / (angle / 4.0).cos().powi(2)
}

/// cairo's `_arc_max_angle_for_tolerance_normalized`.
// The table's literals are cairo's, digit for digit.
#[allow(clippy::excessive_precision)]
fn arc_max_angle_for_tolerance_normalized(tolerance: f64) -> f64 {
    use std::f64::consts::PI;
    const TABLE: [(f64, f64); 11] = [
        (PI / 1.0, 0.0185185185185185036127),
        (PI / 2.0, 0.000272567143730179811158),
        (PI / 3.0, 2.38647043651461047433e-05),
        (PI / 4.0, 4.2455377443222443279e-06),
        (PI / 5.0, 1.11281001494389081528e-06),
        (PI / 6.0, 3.72662000942734705475e-07),
        (PI / 7.0, 1.47783685574284411325e-07),
        (PI / 8.0, 6.63240432022601149057e-08),
        (PI / 9.0, 3.2715520137536980553e-08),
        (PI / 10.0, 1.73863223499021216974e-08),
        (PI / 11.0, 9.81410988043554039085e-09),
    ];
    for (angle, error) in TABLE {
        if error < tolerance {
            return angle;
        }
    }
    let mut i = TABLE.len() + 1;
    loop {
        let angle = PI / i as f64;
        i += 1;
        if arc_error_normalized(angle) <= tolerance || i >= 1000 {
            return angle;
        }
    }
}

/// The number of Bézier segments cairo uses for an arc of `angle` radians whose circle has
/// `major_axis` device pixels of radius, at cairo's default tolerance (0.1).
pub fn arc_segments_needed(angle: f64, major_axis: f64) -> usize {
    const TOLERANCE: f64 = 0.1;
    let max_angle = arc_max_angle_for_tolerance_normalized(TOLERANCE / major_axis);
    let n = (angle.abs() / max_angle).ceil();
    // Bounded: a huge radius only asks for up to ~1000 segments per half turn.
    if n.is_finite() && n >= 1.0 {
        n.min(1e6) as usize
    } else {
        1
    }
}
