//! The benchmark workload shared by the criterion benches (`benches/whisper.rs`) and the driver
//! of the side-by-side comparison (`examples/bench_driver.rs`); `bench/whisper_vs_reference.py`
//! builds the same for the reference, so keep the three in step.
#![allow(dead_code)]

use std::path::Path;

use whisper::{parse_retention_def, ArchiveSpec, CreateOptions, Whisper};

/// The file layout of the acceptance criteria (average, xFilesFactor 0.5, not sparse).
pub(crate) const SPEC: &str = "10s:6h,1m:7d,10m:5y";
/// The start of the timed writes; prefilled data ends 10 s before.
pub(crate) const T0: i64 = 1_699_999_200;
/// How much data the prefill writes before `T0`.
pub(crate) const PREFILL_SECONDS: i64 = 8 * 86_400;
/// Seconds between points.
pub(crate) const STEP: i64 = 10;

/// The value of the point `i` steps from `T0`.
pub(crate) fn value(i: i64) -> f64 {
    ((i * 7919) % 1000) as f64 / 10.0
}

/// [`SPEC`] parsed.
pub(crate) fn archives() -> Vec<ArchiveSpec> {
    SPEC.split(',')
        .map(|d| parse_retention_def(d).expect("valid retention"))
        .collect()
}

/// A new file of [`SPEC`] (replacing any old one), holding a point every 10 s for the 8 days
/// before `T0`, written in one `update_many` with `now = T0`.
pub(crate) fn prefilled(db: &Whisper, path: &Path) {
    let _ = std::fs::remove_file(path);
    db.create(path, &archives(), &CreateOptions::default())
        .expect("create");
    let points: Vec<(i64, f64)> = (1..=PREFILL_SECONDS / STEP)
        .map(|k| (T0 - STEP * k, value(k)))
        .collect();
    db.update_many(path, &points, Some(T0)).expect("prefill");
}
