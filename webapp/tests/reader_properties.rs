//! Property tests for [`webapp::reader`]: no panics on any cache overlay or file contents,
//! and the overlay only ever writes inside the series.

use proptest::prelude::*;
use webapp::reader::{fetch_whisper, merge_with_cache};
use whisper::AggregationMethod;

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e4f64..1e4,
        1 => any::<f64>(),
        1 => (0i64..2000).prop_map(|x| x as f64),
        1 => (0i64..2000).prop_map(|x| x as f64 + 0.5),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn merge_never_panics(
        values in prop::collection::vec(prop::option::of(float()), 0..50),
        start in prop_oneof![any::<i64>(), -100i64..2000],
        step in prop_oneof![any::<i64>(), 1i64..120],
        raw_step in prop_oneof![any::<i64>(), 1i64..120],
        cached in prop::collection::vec((float(), float()), 0..60),
        method in prop::sample::select(AggregationMethod::ALL.to_vec()),
    ) {
        let mut merged = values.clone();
        merge_with_cache(&mut merged, start, step, &cached, raw_step, method);
        prop_assert_eq!(merged.len(), values.len());
        if cached.is_empty() {
            prop_assert_eq!(merged, values);
        }
    }

    #[test]
    fn garbage_files_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        from in -10i64..2000,
        until in -10i64..2000,
        now in 0i64..2000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wsp");
        std::fs::write(&path, &bytes).unwrap();
        let _ = fetch_whisper(&path, from, until, now);
    }
}

#[test]
fn missing_file_is_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let got = fetch_whisper(&dir.path().join("gone.wsp"), 0, 10, 10);
    assert!(matches!(got, Ok(None)), "{got:?}");
}
