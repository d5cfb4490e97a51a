//! Pie functions: how a series becomes one slice value (`pieMode`).
//!
//! A pie graph (`graphType=pie`) draws one slice per series, sized by the `pieMode` function
//! (`average`, the default, `maximum` or `minimum`). Each sees the values as iterating the
//! series yields them (consolidated when `values_per_point` > 1), ignores the missing ones, and
//! returns `None` when none is left; the pie view then uses 0.

use crate::series::{py_max, py_min, py_sum, TimeSeries};

/// A pie function: the slice value of a series.
pub type PieFunction = fn(&TimeSeries) -> Option<f64>;

/// The pie functions by `pieMode` name, in the reference's order.
pub const PIE_FUNCTIONS: &[(&str, PieFunction)] = &[
    ("average", average),
    ("maximum", maximum),
    ("minimum", minimum),
];

/// The pie function `pieMode=name` selects (names are case-sensitive, as in the reference).
pub fn pie_function(name: &str) -> Option<PieFunction> {
    PIE_FUNCTIONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, f)| f)
}

/// The values that are present.
fn present(series: &TimeSeries) -> Vec<f64> {
    series.consolidated().iter().flatten().copied().collect()
}

/// `average`: the mean of the present values.
pub fn average(series: &TimeSeries) -> Option<f64> {
    let values = present(series);
    (!values.is_empty()).then(|| py_sum(&values) / values.len() as f64)
}

/// `maximum`: the largest present value (the first of equal or unordered ones, as Python's
/// `max`).
pub fn maximum(series: &TimeSeries) -> Option<f64> {
    let values = present(series);
    (!values.is_empty()).then(|| py_max(&values))
}

/// `minimum`: the smallest present value (the first of equal or unordered ones, as Python's
/// `min`).
pub fn minimum(series: &TimeSeries) -> Option<f64> {
    let values = present(series);
    (!values.is_empty()).then(|| py_min(&values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: Vec<Option<f64>>) -> TimeSeries {
        let end = 10 * values.len() as i64;
        TimeSeries::new("a", 0, end, 10, values, 0.0)
    }

    #[test]
    fn modes_by_name() {
        let s = series(vec![Some(2.0), None, Some(6.0), Some(1.0)]);
        let apply = |name: &str| pie_function(name).map(|f| f(&s));
        assert_eq!(apply("average"), Some(Some(3.0)));
        assert_eq!(apply("maximum"), Some(Some(6.0)));
        assert_eq!(apply("minimum"), Some(Some(1.0)));
        assert_eq!(apply("Average"), None);
        assert_eq!(apply("sum"), None);
    }

    #[test]
    fn consolidated_values_are_used() {
        let mut s = series(vec![Some(1.0), Some(3.0), Some(10.0), None]);
        s.consolidate(2);
        assert_eq!(maximum(&s), Some(10.0));
        assert_eq!(minimum(&s), Some(2.0));
        assert_eq!(average(&s), Some(6.0));
    }

    /// `/functions?type=pie` as the reference's `functionList`/`functionDetails` shape it:
    /// `functionInfo` entries (name, function, description, module, group, params).
    #[test]
    fn functions_view_lists_the_pie_functions() {
        use crate::params::Params;
        let json = |reply: crate::params::Reply| -> serde_json::Value {
            serde_json::from_slice(&reply.body).expect("json")
        };
        let pie = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("type", "pie")];
            pairs.extend_from_slice(extra);
            Params::from_pairs(pairs)
        };
        let list = json(super::super::functions_view(&pie(&[]), "GET", None));
        let names: Vec<&String> = list.as_object().expect("object").keys().collect();
        assert_eq!(names.len(), 3, "{names:?}");
        let average = &list["average"];
        assert_eq!(average["function"], "average(series)");
        assert_eq!(average["group"], "Pie");
        assert_eq!(average["description"], "Return the average");
        assert_eq!(average["module"], "graphite.render.functions");
        assert_eq!(
            average["params"],
            serde_json::json!([{"name": "series", "type": "series", "required": true}])
        );
        assert!(average.get("aggregator").is_none());

        let grouped = json(super::super::functions_view(
            &pie(&[("grouped", "true")]),
            "GET",
            None,
        ));
        assert_eq!(grouped["Pie"].as_object().map(|o| o.len()), Some(3));
        let other = json(super::super::functions_view(
            &pie(&[("group", "Graph")]),
            "GET",
            None,
        ));
        assert_eq!(other, serde_json::json!({}));

        let details = super::super::functions_view(&pie(&[]), "GET", Some("maximum"));
        assert_eq!(details.status, 200);
        assert_eq!(json(details)["function"], "maximum(series)");
        for missing in ["sumSeries", "Average", "sum"] {
            let reply = super::super::functions_view(&pie(&[]), "GET", Some(missing));
            assert_eq!(reply.status, 404, "{missing}");
            assert_eq!(
                json(reply),
                serde_json::json!({ "error": format!("Function not found: {missing}") })
            );
        }
        // Without type=pie the names are series functions: `average` is not one.
        let series = super::super::functions_view(&Params::default(), "GET", Some("average"));
        assert_eq!(series.status, 404);
        let post = super::super::functions_view(&pie(&[]), "POST", None);
        assert_eq!(post.status, 405);
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for values in [
            vec![],
            vec![None, None],
            vec![Some(f64::NAN), Some(1.0)],
            vec![Some(1.0), Some(f64::NAN)],
            vec![Some(f64::INFINITY), Some(f64::NEG_INFINITY)],
            vec![Some(f64::MAX), Some(f64::MAX)],
        ] {
            let s = series(values);
            for (_, f) in PIE_FUNCTIONS {
                let _ = f(&s);
            }
        }
        assert_eq!(average(&series(vec![None, None])), None);
        assert_eq!(maximum(&series(vec![])), None);
        assert!(maximum(&series(vec![Some(f64::NAN), Some(1.0)])).is_some_and(f64::is_nan));
        assert_eq!(maximum(&series(vec![Some(1.0), Some(f64::NAN)])), Some(1.0));
        assert_eq!(
            average(&series(vec![Some(f64::MAX), Some(f64::MAX)])),
            Some(f64::INFINITY)
        );
    }
}
