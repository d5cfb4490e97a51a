//! Golden comparison of [`webapp::reader`] with the reference `WhisperReader.fetch` (whisper
//! fetch + `merge_with_cache`) of graphite-web 1.1.10: generated whisper files of every
//! aggregation method, random `from`/`until`/`now`, and random cached point sets (fractional,
//! duplicate, out-of-range, unordered timestamps). The Python side is
//! `tests/reference/reader_ref.py`. Fails (does not skip) when the reference is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use webapp::reader::{fetch_whisper, CachedPoint, Fetched, ReaderError};
use whisper::{AggregationMethod, ArchiveSpec, CreateOptions};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }
}

fn run_reference(cases: &Value) -> Vec<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/reader_ref.py");
    let storage = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reader-ref-graphite-storage");
    std::fs::create_dir_all(storage.join("log/webapp")).expect("graphite storage dir");
    let out = reference_python::run_with_input(
        Command::new(reference_python::python())
            .arg(script)
            .env("GRAPHITE_STORAGE_DIR", &storage)
            .env("DJANGO_SETTINGS_MODULE", "graphite.settings"),
        cases.to_string().as_bytes(),
    );
    let v: Value = serde_json::from_slice(&out).expect("json");
    v.as_array().expect("results").clone()
}

fn bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

const LAYOUTS: &[&[(u32, u32)]] = &[
    &[(1, 300)],
    &[(1, 120), (10, 60), (60, 30)],
    &[(10, 30), (60, 20), (300, 12)],
    &[(60, 100)],
    &[(5, 24), (30, 20), (120, 15)],
    &[(2, 50), (4, 50)],
];

/// A file with random points; returns its path and the last "now" it was written at.
fn make_file(dir: &Path, n: usize, rng: &mut Rng, base: i64) -> PathBuf {
    let layout = LAYOUTS[n % LAYOUTS.len()];
    let method = AggregationMethod::ALL[(n / LAYOUTS.len()) % AggregationMethod::ALL.len()];
    let archives: Vec<ArchiveSpec> = layout
        .iter()
        .map(|&(s, p)| ArchiveSpec::new(s, p))
        .collect();
    let path = dir.join(format!("f{n}.wsp"));
    let opts = CreateOptions {
        aggregation_method: method,
        x_files_factor: [0.0, 0.5, 1.0][n % 3],
        ..CreateOptions::default()
    };
    whisper::create(&path, &archives, &opts).expect("create");
    let retention = layout
        .iter()
        .map(|&(s, p)| i64::from(s * p))
        .max()
        .expect("archives");
    // Points written over the file's retention, in a few batches with gaps.
    if n % 7 != 6 {
        let mut t = base - retention;
        while t < base {
            let batch: Vec<(i64, f64)> = (0..rng.range(1, 20))
                .map(|i| {
                    (
                        t + i * rng.range(1, 30),
                        rng.range(-1000, 1000) as f64 / 8.0,
                    )
                })
                .filter(|&(ts, _)| ts <= base)
                .collect();
            whisper::update_many(&path, &batch, Some(base)).expect("update_many");
            t += rng.range(1, retention / 4 + 1);
        }
    }
    path
}

fn random_value(rng: &mut Rng) -> f64 {
    match rng.below(20) {
        0 => f64::INFINITY,
        1 => f64::NEG_INFINITY,
        2 => -0.0,
        3 => 1e300,
        _ => rng.range(-10_000, 10_000) as f64 / 16.0,
    }
}

fn cached_points(rng: &mut Rng, from: i64, until: i64) -> Vec<CachedPoint> {
    let count = [0, 1, 3, 10, 40][rng.below(5) as usize];
    let span = (until - from).max(1);
    let mut out = Vec::new();
    for _ in 0..count {
        let mut ts = rng.range(from - span / 4 - 5, until + span / 4 + 5) as f64;
        match rng.below(6) {
            0 => ts += 0.5,
            1 => ts -= 0.25,
            _ => {}
        }
        out.push((ts, random_value(rng)));
        // Sometimes the same timestamp again (several hosts, or a duplicate from the cache).
        if rng.below(8) == 0 {
            out.push((ts, random_value(rng)));
        }
    }
    out
}

fn ours(path: &Path, from: i64, until: i64, now: i64, cached: &[CachedPoint]) -> Value {
    match fetch_whisper(path, from, until, now) {
        Ok(None) => json!({ "none": true }),
        Err(ReaderError::Whisper(e)) => json!({ "error": e.to_string() }),
        Err(e) => json!({ "error": e.to_string() }),
        Ok(Some(mut f)) => {
            f.merge_cache(cached);
            fetched_json(&f)
        }
    }
}

fn fetched_json(f: &Fetched) -> Value {
    json!({
        "start": f.start,
        "end": f.end,
        "step": f.step,
        "values": f.values.iter().map(|v| v.map(bits)).collect::<Vec<_>>(),
    })
}

#[test]
fn matches_reference_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let base = 1_700_000_000 + rng.range(0, 100_000);
    let files: Vec<(PathBuf, AggregationMethod, i64)> = (0..48)
        .map(|n| {
            let path = make_file(dir.path(), n, &mut rng, base);
            let header = whisper::info(&path).expect("info");
            (
                path,
                header.aggregation_method,
                i64::from(header.max_retention),
            )
        })
        .collect();
    let mut cases = Vec::new();
    let mut inputs = Vec::new();
    for (i, (path, method, retention)) in files.iter().enumerate() {
        let retention = *retention;
        for _ in 0..16 {
            let now = base + rng.range(-5, 60);
            let (from, until) = match rng.below(10) {
                // Entirely in the future.
                0 => (now + rng.range(1, 100), now + rng.range(101, 200)),
                // Older than the file.
                1 => (now - 3 * retention, now - 2 * retention),
                // from > until: whisper's InvalidTimeInterval.
                2 if i % 4 == 0 => (now - 10, now - 20),
                _ => {
                    let from = now - rng.range(0, retention + retention / 3);
                    let until = from + rng.range(0, retention);
                    (from, until)
                }
            };
            let cached = cached_points(&mut rng, from, until.min(now));
            cases.push(json!({
                "path": path.to_str().expect("utf-8 path"),
                "from": from,
                "until": until,
                "now": now,
                "cached": cached.iter().map(|&(t, v)| [bits(t), bits(v)]).collect::<Vec<_>>(),
            }));
            inputs.push((path.clone(), *method, from, until, now, cached));
        }
    }
    let answers = run_reference(&Value::from(cases));
    assert_eq!(answers.len(), inputs.len());
    let (mut compared, mut with_cache, mut refused) = (0, 0, 0);
    for ((path, method, from, until, now, cached), want) in inputs.iter().zip(&answers) {
        let got = ours(path, *from, *until, *now, cached);
        let what = format!(
            "{} {method} from={from} until={until} now={now} cached={cached:?}",
            path.display()
        );
        if let Some(err) = want.get("error").and_then(Value::as_str) {
            if err.contains("Invalid consolidation function") {
                // The reference cannot consolidate absmax/absmin; we aggregate as whisper.
                assert!(
                    matches!(
                        method,
                        AggregationMethod::AbsMax | AggregationMethod::AbsMin
                    ),
                    "{err}: {what}"
                );
                assert!(got.get("values").is_some(), "{got}: {what}");
                refused += 1;
                continue;
            }
            assert!(err.starts_with("InvalidTimeInterval"), "{err}: {what}");
            let ours_err = got["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{got}: {what}"));
            assert!(err.ends_with(ours_err), "{err} vs {ours_err}: {what}");
            continue;
        }
        assert_eq!(&got, want, "{what}");
        compared += 1;
        if !cached.is_empty() && want.get("values").is_some() {
            with_cache += 1;
        }
    }
    eprintln!(
        "compared {compared} fetches ({with_cache} with cached points), {refused} absmax/absmin"
    );
    assert!(
        compared > 500 && with_cache > 300,
        "{compared} {with_cache}"
    );
}
