//! The data formats of `/render`: graphite-web 1.1.10's `renderViewJson`, `renderViewCsv`,
//! `renderViewRaw`, `renderViewPickle`, `renderViewMsgPack`, `renderViewDygraph` and
//! `renderViewRickshaw` (`graphite/render/views.py`), as pure functions from the evaluated
//! series to the [`Reply`] body and content type.
//!
//! Every format iterates a series the way the reference's `TimeSeries.__iter__` does: raw
//! values, or one consolidated value per `values_per_point` raw values when that is above 1.
//! The bodies are byte-for-byte the reference's, quirks included:
//!
//! * **json**: `maxDataPoints` consolidates (and mutates) each series, with the start
//!   "nudge" and the dropped leading values; the range is the series' minimum start to
//!   maximum end; `noNullPoints` drops `null`/NaN points and then empty series; `pretty` is
//!   `indent=2`; the text then has `NaN,` replaced by `null,` and `Infinity,` by `1e9999,`
//!   *everywhere*, names included. When every series is empty the answer is `[]`.
//! * **csv**: Excel dialect (CRLF, minimal quoting), one row per point, with the time of
//!   point `i` at `start + i * step` (not scaled by `values_per_point`) in the request's
//!   time zone as pytz computes it.
//! * **raw**: `name,start,end,step|v1,v2,...` with Python `repr` values (`None`, `nan`).
//! * **pickle** / **msgpack**: lists of `getInfo()` dicts in the reference's key order.
//! * **dygraph**: the time axis comes from the first series; every series must have exactly
//!   as many points as that axis (otherwise the reference raises, and so do we).
//! * **rickshaw**: `{"x": ts, "y": v}` points with timestamps `range(start, end, step)`, and
//!   NaN/infinities written as Python's `json` module writes them (`NaN`, `Infinity`).
//!
//! Where the reference raises (a step of 0, `maxDataPoints=0`, `maxDataPoints=1` with an
//! empty series, a CSV timestamp outside years 1..9999, mismatched dygraph lengths, ...),
//! [`render_data`] returns an [`OutputError`] naming the Python exception; the view answers
//! it with a 500 like the reference.

mod pyjson;
mod pymath;
mod pytime;

use std::fmt;
use std::fmt::Write as _;

use carbon_proto::pickle::{self, Value as PickleValue};
use chrono_tz::Tz;
use whisper::pyfmt::float_repr;

use crate::params::Reply;
use crate::series::TimeSeries;

use pyjson::{JsonWriter, StampText};

/// `Content-Type` of json, dygraph and rickshaw.
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// `Content-Type` of json, dygraph and rickshaw when wrapped by `jsonp`.
pub const CONTENT_TYPE_JSONP: &str = "text/javascript";
/// `Content-Type` of csv.
pub const CONTENT_TYPE_CSV: &str = "text/csv";
/// `Content-Type` of raw.
pub const CONTENT_TYPE_RAW: &str = "text/plain";
/// `Content-Type` of pickle.
pub const CONTENT_TYPE_PICKLE: &str = "application/pickle";
/// `Content-Type` of msgpack.
pub const CONTENT_TYPE_MSGPACK: &str = "application/x-msgpack";

/// A data format of `/render` (the image formats are the graph renderer's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `format=json`.
    Json,
    /// `format=csv`.
    Csv,
    /// `format=raw` (also the legacy `rawData` switch).
    Raw,
    /// `format=pickle` (also the legacy `pickle` switch): the cluster protocol.
    Pickle,
    /// `format=msgpack`: the cluster protocol.
    Msgpack,
    /// `format=dygraph`.
    Dygraph,
    /// `format=rickshaw`.
    Rickshaw,
}

impl Format {
    /// The format named by a `format` parameter (exact, lowercase names as the reference
    /// compares them); `None` for the image formats and anything unknown.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "json" => Self::Json,
            "csv" => Self::Csv,
            "raw" => Self::Raw,
            "pickle" => Self::Pickle,
            "msgpack" => Self::Msgpack,
            "dygraph" => Self::Dygraph,
            "rickshaw" => Self::Rickshaw,
            _ => return None,
        })
    }

    /// The `format` parameter value of this format.
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Raw => "raw",
            Self::Pickle => "pickle",
            Self::Msgpack => "msgpack",
            Self::Dygraph => "dygraph",
            Self::Rickshaw => "rickshaw",
        }
    }
}

/// The request options the data formats read (the reference's `requestOptions`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputOptions {
    /// The format to write.
    pub format: Format,
    /// The `jsonp` callback name (only read by the reference when `format` is given): json,
    /// dygraph and rickshaw are wrapped as `cb(...)` and sent as `text/javascript`.
    pub jsonp: Option<String>,
    /// `maxDataPoints` (json only) when the parameter is all digits. Values beyond `u64`
    /// behave like `u64::MAX` (they never consolidate), so callers may saturate.
    pub max_data_points: Option<u64>,
    /// `noNullPoints` was given (json only).
    pub no_null_points: bool,
    /// `pretty` was non-empty (json and rickshaw: `indent=2`).
    pub pretty: bool,
    /// The request's time zone (csv timestamps).
    pub tz: Tz,
}

impl OutputOptions {
    /// Options for `format` with every switch off and UTC.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            jsonp: None,
            max_data_points: None,
            no_null_points: false,
            pretty: false,
            tz: Tz::UTC,
        }
    }
}

/// The Python exception the reference raises where [`render_data`] fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PyException {
    /// `ZeroDivisionError` (a step of 0, `maxDataPoints=0`).
    ZeroDivisionError,
    /// `ValueError` (`range()` with a step of 0, a year outside 1..9999).
    ValueError,
    /// `IndexError` (json's dropped values run out, dygraph's series longer than its axis).
    IndexError,
    /// `TypeError` (dygraph's series shorter than its axis).
    TypeError,
    /// `OverflowError` (a date or an integer beyond what the outputs can represent).
    OverflowError,
}

impl PyException {
    /// The exception class name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ZeroDivisionError => "ZeroDivisionError",
            Self::ValueError => "ValueError",
            Self::IndexError => "IndexError",
            Self::TypeError => "TypeError",
            Self::OverflowError => "OverflowError",
        }
    }
}

impl fmt::Display for PyException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format the reference cannot write for these series: it raises, and the view answers
/// with a 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct OutputError {
    /// The exception the reference raises.
    pub kind: PyException,
    /// Its message (the reference's wording where it is fixed).
    pub message: String,
}

impl OutputError {
    pub(crate) fn new(kind: PyException, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Writes `series` in `opts.format`. Only json mutates the series (`maxDataPoints`
/// consolidation moves starts, drops leading values and sets `values_per_point`, as the
/// reference does).
pub fn render_data(series: &mut [TimeSeries], opts: &OutputOptions) -> Result<Reply, OutputError> {
    match opts.format {
        Format::Json => render_json(series, opts),
        Format::Csv => render_csv(series, opts.tz),
        Format::Raw => Ok(render_raw(series)),
        Format::Pickle => Ok(render_pickle(series)),
        Format::Msgpack => render_msgpack(series),
        Format::Dygraph => render_dygraph(series, opts.jsonp.as_deref()),
        Format::Rickshaw => render_rickshaw(series, opts),
    }
}

// ---------------------------------------------------------------------------------------------
// Iteration as the reference's TimeSeries does it.

/// A series' values as `TimeSeries.__iter__` yields them: raw when `values_per_point` is at
/// most 1, else one value per bucket of `values_per_point` raw values folded with the
/// series' consolidation function, `None` unless the bucket has a non-null value and
/// `non_null / values_per_point >= x_files_factor` (the last, possibly short, bucket too).
#[derive(Clone)]
struct Points<'a> {
    series: &'a TimeSeries,
    pos: usize,
    buf: Vec<f64>,
}

impl<'a> Points<'a> {
    fn new(series: &'a TimeSeries) -> Self {
        Self {
            series,
            pos: 0,
            buf: Vec::new(),
        }
    }
}

impl Iterator for Points<'_> {
    type Item = Option<f64>;

    fn next(&mut self) -> Option<Option<f64>> {
        let s = self.series;
        let values = &s.values;
        if self.pos >= values.len() {
            return None;
        }
        let per_point = s.values_per_point;
        if per_point <= 1 {
            let v = values[self.pos];
            self.pos += 1;
            return Some(v);
        }
        let end = self.pos.saturating_add(per_point).min(values.len());
        self.buf.clear();
        let mut non_null = 0usize;
        for v in &values[self.pos..end] {
            match v {
                Some(x) => {
                    self.buf.push(*x);
                    non_null += 1;
                }
                None if s.consolidation_func == crate::series::ConsolidationFunc::AvgZero => {
                    self.buf.push(0.0);
                }
                None => {}
            }
        }
        self.pos = end;
        let ratio = pymath::truediv(non_null as i128, per_point as i128).unwrap_or(0.0);
        Some(if non_null > 0 && ratio >= s.x_files_factor {
            Some(s.consolidation_func.apply(&self.buf))
        } else {
            None
        })
    }
}

/// The integer a point is when the reference holds it as a Python int: the series iterates
/// ints ([`TimeSeries::iterates_ints`]) and the value is integral.
fn as_int(series: &TimeSeries, x: f64) -> Option<i64> {
    int_point(x).filter(|_| series.iterates_ints())
}

/// The integer an integral value of a series of ints is ([`as_int`] once the series is known
/// to iterate ints).
fn int_point(x: f64) -> Option<i64> {
    (x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e18).then_some(x as i64)
}

/// A point's Python `repr` (`3` for an int, `3.0` for a float).
fn point_repr(series: &TimeSeries, x: f64) -> String {
    match as_int(series, x) {
        Some(i) => i.to_string(),
        None => float_repr(x),
    }
}

/// Python's `range(start, stop, step)`, lazily.
struct PyRange {
    next: i128,
    stop: i128,
    step: i128,
}

impl PyRange {
    /// The range; `range()` with a zero step raises `ValueError`.
    fn new(start: i128, stop: i128, step: i128) -> Result<Self, OutputError> {
        if step == 0 {
            return Err(OutputError::new(
                PyException::ValueError,
                "range() arg 3 must not be zero",
            ));
        }
        Ok(Self {
            next: start,
            stop,
            step,
        })
    }

    /// `len(range(...))`.
    fn len(&self) -> i128 {
        let (span, step) = if self.step > 0 {
            (self.stop - self.next, self.step)
        } else {
            (self.next - self.stop, -self.step)
        };
        if span <= 0 {
            0
        } else {
            (span + step - 1) / step
        }
    }
}

impl Iterator for PyRange {
    type Item = i128;

    fn next(&mut self) -> Option<i128> {
        let more = if self.step > 0 {
            self.next < self.stop
        } else {
            self.next > self.stop
        };
        if !more {
            return None;
        }
        let current = self.next;
        self.next = self.next.saturating_add(self.step);
        Some(current)
    }
}

/// The body wrapped as `cb(body)` with `text/javascript` when `jsonp` is given, else as is
/// with `application/json`.
fn javascript_reply(body: Vec<u8>, jsonp: Option<&str>) -> Reply {
    match jsonp {
        Some(callback) => {
            let mut wrapped = Vec::with_capacity(callback.len() + body.len() + 2);
            wrapped.extend_from_slice(callback.as_bytes());
            wrapped.push(b'(');
            wrapped.extend_from_slice(&body);
            wrapped.push(b')');
            Reply::ok(CONTENT_TYPE_JSONP, wrapped)
        }
        None => Reply::ok(CONTENT_TYPE_JSON, body),
    }
}

fn overflow(what: &str) -> OutputError {
    OutputError::new(PyException::OverflowError, format!("{what} out of range"))
}

// ---------------------------------------------------------------------------------------------
// json

/// `renderViewJson`.
fn render_json(series: &mut [TimeSeries], opts: &OutputOptions) -> Result<Reply, OutputError> {
    render_json_with(series, opts, true)
}

/// [`render_json`]; `point_text` lets the compact layout write the points' text directly
/// ([`JsonWriter::compact_points`]) where it can, and without it every point goes through
/// the general writer (the tests compare the two).
fn render_json_with(
    series: &mut [TimeSeries],
    opts: &OutputOptions,
    point_text: bool,
) -> Result<Reply, OutputError> {
    // About 30 bytes a point (`[1234.5678, 1700000000], `); growing a large body by doubling
    // costs copies and page faults.
    let points: usize = series.iter().map(|s| s.values.len()).sum();
    let estimate = points.saturating_mul(30).min(1 << 30);
    let mut w = JsonWriter::with_capacity(opts.pretty.then_some(2), estimate);
    w.open(b'[');
    // `if any(data)`: a series is truthy when it has values.
    if series.iter().any(|s| !s.values.is_empty()) {
        let start_time = series.iter().map(|s| s.start).min().unwrap_or_default();
        let end_time = series.iter().map(|s| s.end).max().unwrap_or_default();
        let time_range = i128::from(end_time) - i128::from(start_time);
        for s in series.iter_mut() {
            if let Some(max_points) = opts.max_data_points {
                limit_points(s, max_points, time_range)?;
            }
            let stride = i128::from(s.step).saturating_mul(s.values_per_point as i128);
            let stamps = PyRange::new(i128::from(s.start), i128::from(s.end) + 1, stride)?;
            // The common layout writes the points' text directly (the same text).
            let stamp_text = i64::try_from(stride)
                .ok()
                .filter(|_| point_text && w.is_compact())
                .and_then(|stride| StampText::new(s.start, stride, s.end));
            if let Some(stamp_text) = stamp_text {
                let count = usize::try_from(stamps.len()).unwrap_or(usize::MAX);
                let skip_missing = opts.no_null_points;
                if s.values_per_point <= 1 {
                    let values = s.values.iter().copied().take(count);
                    write_compact_json_series(&mut w, s, values, stamp_text, skip_missing);
                } else {
                    let values = Points::new(s).take(count);
                    write_compact_json_series(&mut w, s, values, stamp_text, skip_missing);
                }
                continue;
            }
            let points = Points::new(s).zip(stamps);
            if opts.no_null_points {
                let mut kept = points
                    .filter(|(v, _)| matches!(v, Some(x) if !x.is_nan()))
                    .peekable();
                if kept.peek().is_none() {
                    continue;
                }
                write_json_series(&mut w, s, kept);
            } else {
                write_json_series(&mut w, s, points);
            }
        }
    }
    w.close(b']');
    // The reference's substitutions; skipped (they copy the whole body) when the text cannot
    // hold their patterns.
    let specials = w.may_have_specials();
    let mut body = w.finish();
    if specials {
        body = pyjson::into_string(body)
            .replace("NaN,", "null,")
            .replace("Infinity,", "1e9999,")
            .into_bytes();
    }
    Ok(javascript_reply(body, opts.jsonp.as_deref()))
}

/// `dict(target=series.name, tags=dict(series.tags), datapoints=[`: the series' dict up to
/// its open `datapoints` list.
fn open_json_series(w: &mut JsonWriter, s: &TimeSeries) {
    w.element();
    w.open(b'{');
    w.key("target");
    w.string(&s.name);
    w.key("tags");
    w.open(b'{');
    for (k, v) in &s.tags {
        w.key(k);
        w.string(v);
    }
    w.close(b'}');
    w.key("datapoints");
    w.open(b'[');
}

/// Closes what [`open_json_series`] opened.
fn close_json_series(w: &mut JsonWriter) {
    w.close(b']');
    w.close(b'}');
}

/// `dict(target=series.name, tags=dict(series.tags), datapoints=datapoints)`.
fn write_json_series(
    w: &mut JsonWriter,
    s: &TimeSeries,
    points: impl Iterator<Item = (Option<f64>, i128)>,
) {
    open_json_series(w, s);
    for (value, ts) in points {
        w.element();
        w.open(b'[');
        w.element();
        match value.and_then(|x| as_int(s, x)) {
            Some(i) => w.int(i128::from(i)),
            None => w.opt_float(value),
        }
        w.element();
        w.int(ts);
        w.close(b']');
    }
    close_json_series(w);
}

/// [`write_json_series`] in the compact layout, for `values` (already cut to the number of
/// timestamps) and timestamps from `stamps`; with `skip_missing` (`noNullPoints`) `None` and
/// NaN points are left out, and a series left with no point is not written at all.
fn write_compact_json_series(
    w: &mut JsonWriter,
    s: &TimeSeries,
    values: impl Iterator<Item = Option<f64>> + Clone,
    stamps: StampText,
    skip_missing: bool,
) {
    if skip_missing && !values.clone().any(|v| matches!(v, Some(x) if !x.is_nan())) {
        return;
    }
    open_json_series(w, s);
    w.compact_points(values, stamps, s.iterates_ints(), skip_missing);
    close_json_series(w);
}

/// The `maxDataPoints` step of `renderViewJson` for one series, with Python's arithmetic.
fn limit_points(s: &mut TimeSeries, max_points: u64, time_range: i128) -> Result<(), OutputError> {
    if max_points == 1 {
        // series.consolidate(len(series)): one point for the whole series (0 for an empty
        // one, which then fails in datapoints() like the reference).
        s.values_per_point = s.values.len();
        return Ok(());
    }
    let step = i128::from(s.step);
    let start = i128::from(s.start);
    // numberOfDataPoints = timeRange/series.step
    let points = pymath::truediv(time_range, step)
        .ok_or_else(|| OutputError::new(PyException::ZeroDivisionError, "division by zero"))?;
    if !pymath::int_lt_float(max_points, points) {
        return Ok(());
    }
    if max_points == 0 {
        return Err(OutputError::new(
            PyException::ZeroDivisionError,
            "float division by zero",
        ));
    }
    // valuesPerPoint = math.ceil(float(numberOfDataPoints) / float(maxDataPoints))
    let per_point = (points / max_points as f64).ceil();
    if !(per_point.is_finite() && per_point.abs() < 1e36) {
        return Err(overflow("valuesPerPoint"));
    }
    let per_point = per_point as i128;
    // secondsPerPoint = int(valuesPerPoint * series.step)
    let seconds_per_point = per_point
        .checked_mul(step)
        .ok_or_else(|| overflow("secondsPerPoint"))?;
    let modulo_by_zero =
        || OutputError::new(PyException::ZeroDivisionError, "integer modulo by zero");
    // nudge = secondsPerPoint + (series.start % series.step) - (series.start % secondsPerPoint)
    let start_mod_step = pymath::floor_mod(start, step).ok_or_else(modulo_by_zero)?;
    let start_mod_spp = pymath::floor_mod(start, seconds_per_point).ok_or_else(modulo_by_zero)?;
    let nudge = seconds_per_point
        .checked_add(start_mod_step)
        .and_then(|n| n.checked_sub(start_mod_spp))
        .ok_or_else(|| overflow("nudge"))?;
    let new_start = start
        .checked_add(nudge)
        .and_then(|t| i64::try_from(t).ok())
        .ok_or_else(|| overflow("start"))?;
    // valuesToLose = int(nudge/series.step); del series[0] for r in range(1, valuesToLose)
    let to_lose = pymath::truediv(nudge, step).unwrap_or(0.0).trunc();
    let to_delete = if to_lose > 1.0 {
        (to_lose - 1.0).min(usize::MAX as f64) as usize
    } else {
        0
    };
    s.start = new_start;
    if to_delete > s.values.len() {
        s.values.clear();
        return Err(OutputError::new(
            PyException::IndexError,
            "list assignment index out of range",
        ));
    }
    s.values.drain(..to_delete);
    s.values_per_point = usize::try_from(per_point).map_err(|_| overflow("valuesPerPoint"))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// csv and raw

/// `renderViewCsv`: `csv.writer(response, dialect='excel')` rows of
/// `(name, local time of start + i*step, value)`.
fn render_csv(series: &[TimeSeries], tz: Tz) -> Result<Reply, OutputError> {
    let mut out = String::new();
    for s in series {
        let name = csv_field(&s.name);
        let start = i128::from(s.start);
        let step = i128::from(s.step);
        for (i, value) in Points::new(s).enumerate() {
            let stamp = pytime::local_timestamp(start + i as i128 * step, tz)?;
            out.push_str(&name);
            out.push(',');
            out.push_str(&stamp);
            out.push(',');
            if let Some(x) = value {
                out.push_str(&point_repr(s, x));
            }
            out.push_str("\r\n");
        }
    }
    Ok(Reply::ok(CONTENT_TYPE_CSV, out))
}

/// A field as the Excel dialect writes it (`QUOTE_MINIMAL`): quoted, with `"` doubled,
/// when it holds the delimiter, the quote character or a line-terminator character.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// `renderViewRaw`: `name,start,end,step|` and the `repr` of each value, one line per series.
fn render_raw(series: &[TimeSeries]) -> Reply {
    let mut out = String::new();
    for s in series {
        let _ = write!(out, "{},{},{},{}|", s.name, s.start, s.end, s.step);
        for (i, value) in Points::new(s).enumerate() {
            if i > 0 {
                out.push(',');
            }
            match value {
                Some(x) => out.push_str(&point_repr(s, x)),
                None => out.push_str("None"),
            }
        }
        out.push('\n');
    }
    Reply::ok(CONTENT_TYPE_RAW, out)
}

// ---------------------------------------------------------------------------------------------
// pickle and msgpack

/// `renderViewPickle`: the `getInfo()` dicts, pickled (protocol 2; the reference uses its
/// highest protocol, and both unpickle to the same objects).
fn render_pickle(series: &[TimeSeries]) -> Reply {
    let infos = series.iter().map(pickle_info).collect();
    Reply::ok(
        CONTENT_TYPE_PICKLE,
        pickle::encode(&PickleValue::List(infos)),
    )
}

/// `TimeSeries.getInfo()` as a pickle value.
fn pickle_info(s: &TimeSeries) -> PickleValue {
    let text = |t: &str| PickleValue::Str(t.to_owned());
    let values = Points::new(s)
        .map(|v| match v {
            None => PickleValue::None,
            Some(x) => as_int(s, x).map_or(PickleValue::Float(x), PickleValue::Int),
        })
        .collect();
    let per_point = i64::try_from(s.values_per_point).map_or_else(
        |_| PickleValue::BigInt(s.values_per_point.to_string()),
        PickleValue::Int,
    );
    PickleValue::Dict(vec![
        (text("name"), text(&s.name)),
        (text("start"), PickleValue::Int(s.start)),
        (text("end"), PickleValue::Int(s.end)),
        (text("step"), PickleValue::Int(s.step)),
        (text("values"), PickleValue::List(values)),
        (text("pathExpression"), text(&s.path_expression)),
        (text("valuesPerPoint"), per_point),
        (text("consolidationFunc"), text(s.consolidation_func.name())),
        (text("xFilesFactor"), PickleValue::Float(s.x_files_factor)),
    ])
}

/// `renderViewMsgPack`: the `getInfo()` dicts in msgpack (`use_bin_type=True`: text as
/// `str`, ints in their smallest encoding, floats as float64), byte-identical to the
/// reference's bundled u-msgpack.
fn render_msgpack(series: &[TimeSeries]) -> Result<Reply, OutputError> {
    use rmpv::Value;
    let text = |t: &str| Value::from(t);
    let infos = series
        .iter()
        .map(|s| {
            let values = Points::new(s)
                .map(|v| match v {
                    None => Value::Nil,
                    Some(x) => as_int(s, x).map_or(Value::F64(x), Value::from),
                })
                .collect();
            Value::Map(vec![
                (text("name"), text(&s.name)),
                (text("start"), Value::from(s.start)),
                (text("end"), Value::from(s.end)),
                (text("step"), Value::from(s.step)),
                (text("values"), Value::Array(values)),
                (text("pathExpression"), text(&s.path_expression)),
                (
                    text("valuesPerPoint"),
                    Value::from(s.values_per_point as u64),
                ),
                (text("consolidationFunc"), text(s.consolidation_func.name())),
                (text("xFilesFactor"), Value::F64(s.x_files_factor)),
            ])
        })
        .collect();
    let mut body = Vec::new();
    rmpv::encode::write_value(&mut body, &Value::Array(infos))
        .map_err(|e| OutputError::new(PyException::OverflowError, e.to_string()))?;
    Ok(Reply::ok(CONTENT_TYPE_MSGPACK, body))
}

// ---------------------------------------------------------------------------------------------
// dygraph and rickshaw

/// `renderViewDygraph`: `{"labels" : [...], "data" : [[<ts>000, v1, ...], ...]}` over the
/// first series' time axis.
fn render_dygraph(series: &[TimeSeries], jsonp: Option<&str>) -> Result<Reply, OutputError> {
    let Some(first) = series.first() else {
        return Ok(javascript_reply(b"{}".to_vec(), jsonp));
    };
    let axis = PyRange::new(
        i128::from(first.start),
        i128::from(first.end),
        i128::from(first.step),
    )?;
    let axis_len = axis.len();
    let columns: Vec<Vec<Option<f64>>> = series.iter().map(|s| Points::new(s).collect()).collect();
    // The reference appends point i of every series to row i: a series longer than the axis
    // raises IndexError, and a row left short fails the `%` formatting with TypeError.
    if columns.iter().any(|c| c.len() as i128 > axis_len) {
        return Err(OutputError::new(
            PyException::IndexError,
            "list index out of range",
        ));
    }
    if columns.iter().any(|c| (c.len() as i128) < axis_len) {
        return Err(OutputError::new(
            PyException::TypeError,
            "not enough arguments for format string",
        ));
    }
    let labels: Vec<&str> = std::iter::once("Time")
        .chain(series.iter().map(|s| s.name.as_str()))
        .collect();
    let mut out = format!(
        "{{\"labels\" : {}, \"data\" : [",
        pyjson::string_list(&labels)
    );
    for (row, ts) in axis.enumerate() {
        if row > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "[{ts}000");
        for (s, column) in series.iter().zip(&columns) {
            out.push_str(", ");
            match column[row] {
                None => out.push_str("null"),
                Some(x) if x == f64::INFINITY => out.push_str("Infinity"),
                Some(x) if x == f64::NEG_INFINITY => out.push_str("-Infinity"),
                Some(x) if x.is_nan() => out.push_str("null"),
                Some(x) => out.push_str(&point_repr(s, x)),
            }
        }
        out.push(']');
    }
    out.push_str("]}");
    Ok(javascript_reply(out.into_bytes(), jsonp))
}

/// `renderViewRickshaw`: `[{"target": name, "datapoints": [{"x": ts, "y": v}, ...]}]` with
/// timestamps `range(start, end, step)` and no NaN substitution.
fn render_rickshaw(series: &[TimeSeries], opts: &OutputOptions) -> Result<Reply, OutputError> {
    let mut w = JsonWriter::new(opts.pretty.then_some(2));
    w.open(b'[');
    for s in series {
        let stamps = PyRange::new(i128::from(s.start), i128::from(s.end), i128::from(s.step))?;
        w.element();
        w.open(b'{');
        w.key("target");
        w.string(&s.name);
        w.key("datapoints");
        w.open(b'[');
        for (x, y) in stamps.zip(Points::new(s)) {
            w.element();
            w.open(b'{');
            w.key("x");
            w.int(x);
            w.key("y");
            match y.and_then(|x| as_int(s, x)) {
                Some(i) => w.int(i128::from(i)),
                None => w.opt_float(y),
            }
            w.close(b'}');
        }
        w.close(b']');
        w.close(b'}');
    }
    w.close(b']');
    Ok(javascript_reply(w.finish(), opts.jsonp.as_deref()))
}

#[cfg(test)]
mod tests;
