//! Property test: arbitrary bytes, or a valid file with damaged header bytes or a truncated tail,
//! given to every operation. Only typed errors come back (no panic), and a file whose header does
//! not validate is never written to.

use std::path::Path;

use proptest::prelude::*;
use whisper::{AggregationMethod, ArchiveSpec, CreateOptions, Error, Whisper};

const NOW: i64 = 1_700_000_000;

fn valid_file() -> Vec<u8> {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(make_valid_file).clone()
}

fn make_valid_file() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.wsp");
    let archives = [ArchiveSpec::new(10, 12), ArchiveSpec::new(60, 10)];
    whisper::create(&path, &archives, &CreateOptions::default()).unwrap();
    let points: Vec<(i64, f64)> = (0..30).map(|i| (NOW - i * 7, i as f64)).collect();
    whisper::update_many(&path, &points, Some(NOW)).unwrap();
    std::fs::read(&path).unwrap()
}

/// Bytes to try: pure noise, or a valid file with a few bytes overwritten and maybe truncated.
fn file_bytes() -> impl Strategy<Value = Vec<u8>> {
    let valid = valid_file();
    let len = valid.len();
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..200),
        3 => (
            prop::collection::vec((0..52usize, any::<u8>()), 0..6),
            prop::collection::vec((0..len, any::<u8>()), 0..4),
            prop_oneof![Just(len), 0..=len],
        )
            .prop_map(move |(header_edits, data_edits, keep)| {
                let mut bytes = valid.clone();
                for (i, b) in header_edits.into_iter().chain(data_edits) {
                    bytes[i] = b;
                }
                bytes.truncate(keep);
                bytes
            }),
    ]
}

fn exercise(w: &Whisper, path: &Path, other: &Path) -> Vec<Result<(), Error>> {
    vec![
        w.info(path).map(drop),
        w.fetch(path, NOW - 3600, None, Some(NOW), None).map(drop),
        w.fetch(path, NOW - 50, Some(NOW), Some(NOW), Some("60"))
            .map(drop),
        w.update(path, 1.5, Some(NOW - 5), Some(NOW)),
        w.update_many(
            path,
            &[(NOW - 1, 2.0), (NOW - 100, 3.0), (NOW - 10_000, 4.0)],
            Some(NOW),
        ),
        w.set_aggregation_method(path, AggregationMethod::Max, Some(0.25))
            .map(drop),
        w.set_x_files_factor(path, 0.75).map(drop),
        w.merge(other, path, None, None, Some(NOW)),
        w.merge(path, other, None, None, Some(NOW)),
        w.diff(path, other, false, None, Some(NOW)).map(drop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn damaged_files_give_typed_errors_and_stay_unwritten(bytes in file_bytes()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wsp");
        let other = dir.path().join("o.wsp");
        std::fs::write(&path, &bytes).unwrap();
        std::fs::write(&other, valid_file()).unwrap();
        let w = Whisper::default();
        let header_ok = w.info(&path).is_ok();
        let results = exercise(&w, &path, &other);
        if !header_ok {
            prop_assert_eq!(std::fs::read(&path).unwrap(), bytes, "a file that failed validation was written");
            for r in &results {
                prop_assert!(
                    matches!(r, Err(Error::CorruptFile { .. })),
                    "expected a CorruptFile error, got {:?}", r
                );
            }
        } else {
            for r in results.into_iter().flat_map(Result::err) {
                // A valid header can still meet an unalike partner or a bad argument.
                prop_assert!(
                    matches!(r, Error::UnalikeArchives { .. } | Error::TimestampNotCovered | Error::InvalidGranularity(_)),
                    "unexpected error on a valid file: {:?}", r
                );
            }
        }
    }
}

#[test]
fn empty_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.wsp");
    std::fs::write(&empty, b"").unwrap();
    let e = whisper::info(&empty).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Unable to read header ({})", empty.display())
    );
    let missing = dir.path().join("missing.wsp");
    assert!(whisper::update(&missing, 1.0, None, None)
        .unwrap_err()
        .is_not_found());
    // update_many of nothing does not even open the file, as whisper.
    assert!(whisper::update_many(&missing, &[], None).is_ok());
}

#[test]
fn extreme_timestamps_are_errors_or_dropped_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.wsp");
    whisper::create(
        &path,
        &[ArchiveSpec::new(10, 12)],
        &CreateOptions::default(),
    )
    .unwrap();
    for t in [i64::MIN, i64::MIN + 1, -1, 1 << 32, i64::MAX] {
        let _ = whisper::update(&path, 1.0, Some(t), Some(NOW));
        whisper::update_many(&path, &[(t, 1.0)], Some(NOW)).ok();
        let _ = whisper::fetch(&path, t, None, Some(NOW));
        for now in [i64::MIN, i64::MAX] {
            let _ = whisper::update(&path, 1.0, Some(t), Some(now));
            let _ = whisper::update_many(&path, &[(t, 1.0)], Some(now));
            let _ = whisper::fetch(&path, t.min(now), Some(now), Some(now));
        }
    }
}
