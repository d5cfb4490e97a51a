//! [`TimeSeries`]: what the finders produce, the functions transform and the outputs write,
//! with graphite-web 1.1.10's `TimeSeries` semantics (`graphite/render/datalib.py`).
//!
//! A series is a start, end and step in epoch seconds plus one value per step. `None` is a
//! missing point; `Some(NaN)` and `Some(±inf)` are values that functions may produce, and the
//! outputs spell them the way the reference does.
//!
//! Display consolidation ([`TimeSeries::consolidate`]) does not change the stored values: like
//! the reference's consolidating iterator, [`TimeSeries::consolidated_values`] folds every
//! `values_per_point` raw values into one with the series' [`ConsolidationFunc`], honouring
//! `x_files_factor`.

use indexmap::IndexMap;

/// Series tags in insertion order (Python dicts keep it, and the JSON output shows it).
/// Values are strings: the reference's `Tags` dict stores `str(value)`.
pub type Tags = IndexMap<String, String>;

/// How [`TimeSeries::consolidated_values`] folds several raw values into one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsolidationFunc {
    /// Mean of the non-null values (also spelled `avg`).
    Average,
    /// Mean where nulls count as 0.
    AvgZero,
    /// Sum of the non-null values.
    Sum,
    /// Smallest non-null value.
    Min,
    /// Largest non-null value.
    Max,
    /// First non-null value.
    First,
    /// Last non-null value.
    Last,
}

impl ConsolidationFunc {
    /// Parses a name as `consolidateBy` accepts it (`avg` is `average`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "average" | "avg" => Self::Average,
            "avg_zero" => Self::AvgZero,
            "sum" => Self::Sum,
            "min" => Self::Min,
            "max" => Self::Max,
            "first" => Self::First,
            "last" => Self::Last,
            _ => return None,
        })
    }

    /// The name the reference stores in `consolidationFunc` (and pickles).
    pub fn name(self) -> &'static str {
        match self {
            Self::Average => "average",
            Self::AvgZero => "avg_zero",
            Self::Sum => "sum",
            Self::Min => "min",
            Self::Max => "max",
            Self::First => "first",
            Self::Last => "last",
        }
    }

    /// Folds a non-empty bucket of usable values (nulls already removed, or zeroed for
    /// `avg_zero`) the way the reference's lambdas do, with Python's float semantics:
    /// `sum()` adds left to right, `max()`/`min()` keep the first of equal or unordered
    /// (NaN) values.
    pub fn apply(self, usable: &[f64]) -> f64 {
        match self {
            Self::Sum => py_sum(usable),
            Self::Average | Self::AvgZero => py_sum(usable) / usable.len() as f64,
            Self::Max => py_max(usable),
            Self::Min => py_min(usable),
            Self::First => usable[0],
            Self::Last => usable[usable.len() - 1],
        }
    }
}

/// Python's `sum()` of floats: left to right, starting from integer 0.
pub fn py_sum(values: &[f64]) -> f64 {
    // Python's int 0 converts to +0.0, so `0 + -0.0` is `0.0`: starting from +0.0 matches.
    values.iter().fold(0.0, |acc, v| acc + v)
}

/// Python's `max()`: the first value that no later value is strictly greater than.
pub fn py_max(values: &[f64]) -> f64 {
    let mut best = values[0];
    for &v in &values[1..] {
        if v > best {
            best = v;
        }
    }
    best
}

/// Python's `min()`: the first value that no later value is strictly less than.
pub fn py_min(values: &[f64]) -> f64 {
    let mut best = values[0];
    for &v in &values[1..] {
        if v < best {
            best = v;
        }
    }
    best
}

/// Per-series drawing options set by the graph functions (`color`, `dashed`, `secondYAxis`,
/// `stacked`, ...). Only the graph renderer reads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesOptions {
    /// Option name to value, as the reference's `series.options` dict.
    pub values: IndexMap<String, OptionValue>,
    /// `series.color`, set by `color()` and the renderer.
    pub color: Option<String>,
}

/// A value in [`SeriesOptions`].
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A flag such as `secondYAxis`.
    Bool(bool),
    /// A number such as `dashed`'s length or `alpha`.
    Number(f64),
    /// Text such as `stacked`'s stack name.
    Text(String),
}

/// One time series.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    /// The display name (`target` in JSON).
    pub name: String,
    /// Epoch seconds of the first value.
    pub start: i64,
    /// Epoch seconds of the end of the range (exclusive in the reference's `range()` uses).
    pub end: i64,
    /// Seconds between values.
    pub step: i64,
    /// One value per step; `None` is a missing point.
    pub values: Vec<Option<f64>>,
    /// The path expression (or seriesByTag call) the series was fetched by.
    pub path_expression: String,
    /// How display consolidation folds values.
    pub consolidation_func: ConsolidationFunc,
    /// Raw values per displayed point; 1 means no consolidation.
    pub values_per_point: usize,
    /// Minimum ratio of non-null values for a consolidated point to be non-null.
    pub x_files_factor: f64,
    /// Tags, `name` first.
    pub tags: Tags,
    /// Drawing options.
    pub options: SeriesOptions,
    /// The values are Python ints in the reference (`countSeries`, `isNonNull`, `identity`,
    /// ...): integral values print as `3`, not `3.0`, in the outputs.
    pub int_values: bool,
}

impl TimeSeries {
    /// A series named `name` whose tags are parsed from the name as the reference does when a
    /// TagDB is configured (its default): `a.b` gives `{name: a.b}`, `a.b;x=y` gives
    /// `{name: a.b, x: y}`, and names that look like a function call keep only `name`.
    pub fn new(
        name: impl Into<String>,
        start: i64,
        end: i64,
        step: i64,
        values: Vec<Option<f64>>,
        x_files_factor: f64,
    ) -> Self {
        let name = name.into();
        let tags = tags_from_name(&name);
        Self {
            path_expression: name.clone(),
            name,
            start,
            end,
            step,
            values,
            consolidation_func: ConsolidationFunc::Average,
            values_per_point: 1,
            x_files_factor,
            tags,
            options: SeriesOptions::default(),
            int_values: false,
        }
    }

    /// Sets the display consolidation (the reference's `series.consolidate(n)`).
    pub fn consolidate(&mut self, values_per_point: usize) {
        self.values_per_point = values_per_point.max(1);
    }

    /// The values as the reference iterates them: raw when `values_per_point` is 1, else one
    /// value per bucket of `values_per_point` raw values (the last bucket may be short but
    /// its xFilesFactor ratio still divides by the full bucket size, as in the reference).
    pub fn consolidated_values(&self) -> Vec<Option<f64>> {
        let n = self.values_per_point;
        if n <= 1 {
            return self.values.clone();
        }
        let mut out = Vec::with_capacity(self.values.len().div_ceil(n));
        let mut buf = Vec::with_capacity(n.min(self.values.len()));
        for chunk in self.values.chunks(n) {
            buf.clear();
            let mut non_null = 0usize;
            for v in chunk {
                match v {
                    Some(x) => {
                        buf.push(*x);
                        non_null += 1;
                    }
                    None if self.consolidation_func == ConsolidationFunc::AvgZero => buf.push(0.0),
                    None => {}
                }
            }
            if non_null > 0 && (non_null as f64 / n as f64) >= self.x_files_factor {
                out.push(Some(self.consolidation_func.apply(&buf)));
            } else {
                out.push(None);
            }
        }
        out
    }

    /// Whether iterating the series yields Python ints: its values are ints
    /// ([`TimeSeries::int_values`]) and the display consolidation, if any, keeps them ints
    /// (`sum`, `min`, `max`, `first`, `last`; the averages divide).
    pub fn iterates_ints(&self) -> bool {
        self.int_values
            && (self.values_per_point <= 1
                || matches!(
                    self.consolidation_func,
                    ConsolidationFunc::Sum
                        | ConsolidationFunc::Min
                        | ConsolidationFunc::Max
                        | ConsolidationFunc::First
                        | ConsolidationFunc::Last
                ))
    }

    /// [`TimeSeries::consolidated_values`] without a copy when there is nothing to
    /// consolidate.
    pub fn consolidated(&self) -> std::borrow::Cow<'_, [Option<f64>]> {
        if self.values_per_point <= 1 {
            std::borrow::Cow::Borrowed(&self.values)
        } else {
            std::borrow::Cow::Owned(self.consolidated_values())
        }
    }

    /// `(value, timestamp)` pairs as the reference's `datapoints()`: the consolidated values
    /// zipped with `range(start, end + 1, step * values_per_point)` (the shorter one wins).
    pub fn datapoints(&self) -> Vec<(Option<f64>, i64)> {
        let values = self.consolidated();
        let stride = self
            .step
            .saturating_mul(i64::try_from(self.values_per_point).unwrap_or(i64::MAX));
        let mut out = Vec::with_capacity(values.len());
        if stride <= 0 {
            return out;
        }
        let mut ts = self.start;
        for &v in values.iter() {
            if ts > self.end {
                break;
            }
            out.push((v, ts));
            match ts.checked_add(stride) {
                Some(next) => ts = next,
                None => break,
            }
        }
        out
    }

    /// Replaces the name, re-deriving nothing else (functions set tags explicitly).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
}

/// The tags the reference's `TimeSeries.__init__` gives a series called `name`.
pub fn tags_from_name(name: &str) -> Tags {
    let mut tags = Tags::new();
    if looks_like_call(name) {
        tags.insert("name".to_owned(), name.to_owned());
        return tags;
    }
    match graphite_tags::TaggedSeries::parse(name) {
        // Python builds the dict in path order and sets `name` last (in place when a `name`
        // tag was given); the JSON output shows that order.
        Ok(parsed) if !name.ends_with("\"}") => {
            for segment in name.split(';').skip(1) {
                if let Some((k, v)) = segment.split_once('=') {
                    tags.insert(k.to_owned(), v.to_owned());
                }
            }
            let metric = parsed.metric().trim_start_matches('~').to_owned();
            tags.insert("name".to_owned(), metric);
        }
        Ok(parsed) => {
            for (k, v) in parsed.tags() {
                tags.insert(k.to_owned(), v.to_owned());
            }
            let metric = parsed.metric().trim_start_matches('~').to_owned();
            tags.insert("name".to_owned(), metric);
        }
        Err(_) => {
            tags.insert("name".to_owned(), name.to_owned());
        }
    }
    tags
}

/// `re.match('^[a-z]+[(].+[)]$', name, re.IGNORECASE)`.
fn looks_like_call(name: &str) -> bool {
    let bytes = name.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    letters > 0
        && bytes.get(letters) == Some(&b'(')
        && bytes.len() >= letters + 3
        && bytes[bytes.len() - 1] == b')'
        && !name[letters + 1..name.len() - 1].contains('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consolidation_honours_xff_and_short_last_bucket() {
        let mut s = TimeSeries::new(
            "a.b",
            0,
            50,
            10,
            vec![Some(1.0), None, Some(3.0), None, None],
            0.5,
        );
        s.consolidate(2);
        // [1,None] -> 1/2 >= .5 -> 1; [3,None] -> 3; [None] -> None
        assert_eq!(s.consolidated_values(), vec![Some(1.0), Some(3.0), None]);
        assert_eq!(
            s.datapoints(),
            vec![(Some(1.0), 0), (Some(3.0), 20), (None, 40)]
        );
    }

    #[test]
    fn avg_zero_counts_nulls() {
        let mut s = TimeSeries::new("a", 0, 40, 10, vec![Some(4.0), None, None, None], 0.0);
        s.consolidation_func = ConsolidationFunc::AvgZero;
        s.consolidate(4);
        assert_eq!(s.consolidated_values(), vec![Some(1.0)]);
    }

    #[test]
    fn tags_from_names() {
        assert_eq!(tags_from_name("a.b")["name"], "a.b");
        let t = tags_from_name("cpu;host=a;dc=e");
        assert_eq!(
            t.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>(),
            ["host=a", "dc=e", "name=cpu"]
        );
        let t = tags_from_name("sumSeries(a.*)");
        assert_eq!(t.len(), 1);
    }
}
