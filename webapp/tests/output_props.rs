//! Property test: every data format of `/render` answers or fails cleanly (no panic, no
//! allocation proportional to a time range) for any series: zero, negative and huge steps,
//! extreme timestamps, empty values, odd `values_per_point`, any `maxDataPoints`.

use proptest::prelude::*;
use webapp::output::{render_data, Format, OutputOptions};
use webapp::series::{ConsolidationFunc, TimeSeries};

fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(0i64),
        -100i64..100,
        1_500_000_000i64..1_800_000_000,
        -70_000_000_000i64..300_000_000_000,
        any::<i64>(),
    ]
}

fn step() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(0i64),
        Just(1i64),
        Just(60i64),
        Just(-1i64),
        Just(i64::MAX),
        Just(i64::MIN),
        -100i64..100,
        any::<i64>(),
    ]
}

fn value() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        Just(None),
        Just(Some(f64::NAN)),
        Just(Some(f64::INFINITY)),
        Just(Some(f64::NEG_INFINITY)),
        Just(Some(-0.0)),
        any::<f64>().prop_map(Some),
    ]
}

fn func() -> impl Strategy<Value = ConsolidationFunc> {
    prop_oneof![
        Just(ConsolidationFunc::Sum),
        Just(ConsolidationFunc::Average),
        Just(ConsolidationFunc::AvgZero),
        Just(ConsolidationFunc::Min),
        Just(ConsolidationFunc::Max),
        Just(ConsolidationFunc::First),
        Just(ConsolidationFunc::Last),
    ]
}

fn series() -> impl Strategy<Value = TimeSeries> {
    (
        ".{0,12}",
        timestamp(),
        timestamp(),
        step(),
        prop::collection::vec(value(), 0..40),
        prop_oneof![Just(0usize), Just(1usize), 2usize..8, Just(usize::MAX)],
        func(),
        prop_oneof![Just(0.0f64), Just(1.0f64), Just(f64::NAN), any::<f64>()],
    )
        .prop_map(|(name, start, end, step, values, vpp, func, xff)| {
            let mut s = TimeSeries::new(name, start, end, step, values, xff);
            s.values_per_point = vpp;
            s.consolidation_func = func;
            s
        })
}

fn format() -> impl Strategy<Value = Format> {
    prop_oneof![
        Just(Format::Json),
        Just(Format::Csv),
        Just(Format::Raw),
        Just(Format::Pickle),
        Just(Format::Msgpack),
        Just(Format::Dygraph),
        Just(Format::Rickshaw),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_format_panics(
        mut data in prop::collection::vec(series(), 0..4),
        format in format(),
        max_points in prop_oneof![Just(None), Just(Some(0u64)), Just(Some(1u64)),
                                  (2u64..20).prop_map(Some), any::<u64>().prop_map(Some)],
        no_null in any::<bool>(),
        pretty in any::<bool>(),
        jsonp in prop::option::of(".{0,4}"),
        tz in prop_oneof![Just(chrono_tz::UTC), Just(chrono_tz::America::New_York),
                          Just(chrono_tz::Asia::Kolkata)],
    ) {
        let opts = OutputOptions {
            format,
            jsonp,
            max_data_points: max_points,
            no_null_points: no_null,
            pretty,
            tz,
        };
        if let Ok(reply) = render_data(&mut data, &opts) {
            prop_assert_eq!(reply.status, 200);
        }
    }
}
