//! Criterion benchmarks of the operations carbon and graphite-web use most, on the file layout
//! of the acceptance criteria (`10s:6h,1m:7d,10m:5y`, average, xFilesFactor 0.5, not sparse):
//!
//! - `update_many/{1,10,100}`: carbon's steady state. Each call writes the next `batch`
//!   consecutive 10 s points just before an explicit `now` that advances with them, into a file
//!   already holding 8 days of data, so the 1m and 10m archives are propagated to whenever
//!   enough of their window is known, as in production. Throughput is in points.
//! - `create`: a new ~3.3 MB file (zero-filled, not sparse); the file is removed untimed.
//! - `fetch/{1h,1d,7d}`: on a file holding 8 days of data; 1 h reads 360 points from the 10 s
//!   archive, 1 d and 7 d read 1440 and 10080 points from the 1 min archive. Throughput is in
//!   points returned.
//!
//! The same workload, side by side with the Python reference, is `bench/whisper.sh`
//! (see docs/benchmarks.md).

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use whisper::{CreateOptions, Whisper};

mod workload;
use workload::{archives, prefilled, value, STEP, T0};

/// Restart from a freshly prefilled file before timestamps get near u32's end.
const LAST_TIMESTAMP: i64 = 4_000_000_000;

fn update_many(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Whisper::default();
    let mut group = c.benchmark_group("update_many");
    for batch in [1i64, 10, 100] {
        let path = dir.path().join(format!("update-{batch}.wsp"));
        prefilled(&db, &path);
        // Index of the next point to write, counting from T0.
        let mut next = 0i64;
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_function(BenchmarkId::from_parameter(batch), |b| {
            b.iter_custom(|iters| {
                if T0 + STEP * (next + iters as i64 * batch) > LAST_TIMESTAMP {
                    prefilled(&db, &path);
                    next = 0;
                }
                let calls: Vec<(Vec<(i64, f64)>, i64)> = (0..iters as i64)
                    .map(|_| {
                        let points: Vec<(i64, f64)> = (next..next + batch)
                            .map(|i| (T0 + STEP * i, value(i)))
                            .collect();
                        next += batch;
                        (points, T0 + STEP * (next - 1) + 5)
                    })
                    .collect();
                let start = Instant::now();
                for (points, now) in &calls {
                    db.update_many(&path, points, Some(*now))
                        .expect("update_many");
                }
                start.elapsed()
            });
        });
    }
    group.finish();
}

fn create(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Whisper::default();
    let specs = archives();
    let path: PathBuf = dir.path().join("create.wsp");
    let mut group = c.benchmark_group("create");
    group.sample_size(50);
    group.bench_function("10s:6h,1m:7d,10m:5y", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                db.create(&path, &specs, &CreateOptions::default())
                    .expect("create");
                total += start.elapsed();
                std::fs::remove_file(&path).expect("remove");
            }
            total
        });
    });
    group.finish();
}

fn fetch(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Whisper::default();
    let path = dir.path().join("fetch.wsp");
    prefilled(&db, &path);
    let mut group = c.benchmark_group("fetch");
    for (name, seconds, points) in [
        ("1h", 3_600i64, 360u64),
        ("1d", 86_400, 1_440),
        ("7d", 604_800, 10_080),
    ] {
        let fetched = db
            .fetch(&path, T0 - seconds, Some(T0), Some(T0), None)
            .expect("fetch")
            .expect("in range");
        assert_eq!(fetched.values.len() as u64, points);
        group.throughput(Throughput::Elements(points));
        group.bench_function(name, |b| {
            b.iter(|| {
                db.fetch(&path, black_box(T0 - seconds), Some(T0), Some(T0), None)
                    .expect("fetch")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, update_many, create, fetch);
criterion_main!(benches);
