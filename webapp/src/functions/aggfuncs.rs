//! The aggregation functions of `functions/aggfuncs.py` (`aggregate()`, `groupByNode`,
//! `highest`, `summarize`, ...): each folds a row of optional values into one, skipping
//! nulls, with Python's float semantics.

use crate::series::{py_max, py_min, py_sum};

/// Every name `aggFunc` parameters accept (the reference's `aggFuncs` and `aggFuncAliases`).
pub const AGG_FUNC_NAMES: &[&str] = &[
    "average", "avg_zero", "median", "sum", "min", "max", "diff", "stddev", "count", "range",
    "multiply", "last", "rangeOf", "avg", "total", "current",
];

/// An aggregation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    /// Mean of the non-null values.
    Average,
    /// Mean with nulls counted as 0.
    AvgZero,
    /// Median of the non-null values.
    Median,
    /// Sum of the non-null values.
    Sum,
    /// Smallest non-null value.
    Min,
    /// Largest non-null value.
    Max,
    /// First non-null value minus the others.
    Diff,
    /// Population standard deviation.
    StdDev,
    /// Number of non-null values.
    Count,
    /// Max minus min.
    Range,
    /// Product (null if any value is null).
    Multiply,
    /// Last non-null value.
    Last,
}

impl AggFunc {
    /// Looks a name up among the functions and their aliases (`getAggFunc`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "average" | "avg" => Self::Average,
            "avg_zero" => Self::AvgZero,
            "median" => Self::Median,
            "sum" | "total" => Self::Sum,
            "min" => Self::Min,
            "max" => Self::Max,
            "diff" => Self::Diff,
            "stddev" => Self::StdDev,
            "count" => Self::Count,
            "range" | "rangeOf" => Self::Range,
            "multiply" => Self::Multiply,
            "last" | "current" => Self::Last,
            _ => return None,
        })
    }

    /// Whether the result of folding Python ints is an int (`sum`, `min`, `max`, `diff`,
    /// `last`; `count` always gives one).
    pub fn keeps_ints(self) -> bool {
        matches!(
            self,
            Self::Sum | Self::Min | Self::Max | Self::Diff | Self::Last | Self::Count
        )
    }

    /// Folds one row.
    pub fn apply(self, row: &[Option<f64>]) -> Option<f64> {
        let usable: Vec<f64> = row.iter().flatten().copied().collect();
        match self {
            Self::Average => (!usable.is_empty()).then(|| py_sum(&usable) / usable.len() as f64),
            Self::AvgZero => (!row.is_empty()).then(|| {
                let zeroed: Vec<f64> = row.iter().map(|v| v.unwrap_or(0.0)).collect();
                py_sum(&zeroed) / row.len() as f64
            }),
            Self::Median => {
                if usable.is_empty() {
                    return None;
                }
                let mut sorted = usable;
                // A total order (NaN last): an inconsistent comparator may make the sort panic.
                sorted.sort_by(|a, b| {
                    a.partial_cmp(b)
                        .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
                });
                let mid = sorted.len() / 2;
                Some(if sorted.len().is_multiple_of(2) {
                    (sorted[mid - 1] + sorted[mid]) / 2.0
                } else {
                    sorted[mid]
                })
            }
            Self::Sum => (!usable.is_empty()).then(|| py_sum(&usable)),
            Self::Min => (!usable.is_empty()).then(|| py_min(&usable)),
            Self::Max => (!usable.is_empty()).then(|| py_max(&usable)),
            Self::Diff => (!usable.is_empty()).then(|| {
                let mut terms = Vec::with_capacity(usable.len());
                terms.push(usable[0]);
                terms.extend(usable[1..].iter().map(|x| x * -1.0));
                py_sum(&terms)
            }),
            Self::StdDev => {
                if usable.is_empty() {
                    return None;
                }
                let n = usable.len() as f64;
                let avg = py_sum(&usable) / n;
                let squares = usable
                    .iter()
                    .fold(0.0, |acc, v| acc + (v - avg) * (v - avg));
                Some((squares / n).sqrt())
            }
            Self::Count => Some(usable.len() as f64),
            Self::Range => {
                if usable.is_empty() {
                    return None;
                }
                Some(py_max(&usable) - py_min(&usable))
            }
            Self::Multiply => {
                if row.is_empty() || row.iter().any(Option::is_none) {
                    return None;
                }
                Some(usable.iter().skip(1).fold(usable[0], |acc, v| acc * v))
            }
            Self::Last => row.iter().rev().flatten().next().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_nulls() {
        let row = [Some(1.0), None, Some(4.0)];
        assert_eq!(AggFunc::Average.apply(&row), Some(2.5));
        assert_eq!(AggFunc::AvgZero.apply(&row), Some(5.0 / 3.0));
        assert_eq!(AggFunc::Diff.apply(&row), Some(-3.0));
        assert_eq!(AggFunc::Count.apply(&row), Some(2.0));
        assert_eq!(AggFunc::Multiply.apply(&row), None);
        assert_eq!(AggFunc::Last.apply(&row), Some(4.0));
        assert_eq!(AggFunc::Sum.apply(&[None, None]), None);
        assert_eq!(
            AggFunc::Median.apply(&[Some(3.0), Some(1.0), Some(2.0), Some(10.0)]),
            Some(2.5)
        );
        assert_eq!(AggFunc::StdDev.apply(&[Some(2.0), Some(4.0)]), Some(1.0));
    }
}
