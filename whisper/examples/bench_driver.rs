//! The Rust side of `bench/whisper_vs_reference.py`: performs exactly the work the script times
//! with the Python reference (same file layout, same point sequences, same `now`) with this crate
//! and prints the timings as one JSON object on stdout.
//!
//! ```text
//! cargo run --release -p whisper --example bench_driver -- --dir DIR update --batch 1 --calls 20000
//! cargo run --release -p whisper --example bench_driver -- --dir DIR fetch --seconds 86400 --calls 2000
//! cargo run --release -p whisper --example bench_driver -- --dir DIR create --calls 100
//! ```
//!
//! The workload (keep in step with the Python script):
//! - every file is `10s:6h,1m:7d,10m:5y`, average, xFilesFactor 0.5, not sparse;
//! - `prefill`: one `update_many` of the 8 days before `T0` every 10 s (point `k` steps back has
//!   value `value(k)`), with `now = T0`;
//! - `update`: on a prefilled file, call `c` (counting across rounds) writes the batch
//!   `(T0 + 10 (c b + j), value(c b + j))` for `j < b` with `now` 5 s after its last point, so
//!   time advances as in carbon's steady state and propagation to 1m and 10m happens when
//!   enough of their window is known;
//! - `fetch`: `fetch(T0 - seconds, T0, now = T0)` on a prefilled file;
//! - `create`: a fresh file per call, removed after the call outside the timed part.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use whisper::{CreateOptions, Whisper};

#[path = "../benches/workload/mod.rs"]
mod workload;
use workload::{archives, prefilled, value, STEP, T0};

#[derive(Parser, Debug)]
#[command(about = "Times whisper operations with this crate for bench/whisper_vs_reference.py")]
struct Args {
    /// Directory for the files (created if missing).
    #[arg(long)]
    dir: PathBuf,
    /// Timed rounds; each round makes `calls` calls and is reported separately.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Stat marker paths right before and after the timed calls, so an strace of this process
    /// can count the system calls the calls themselves make.
    #[arg(long)]
    marker: bool,
    #[command(subcommand)]
    op: Op,
}

#[derive(Subcommand, Debug)]
enum Op {
    /// update_many with batches of `batch` consecutive 10 s points.
    Update {
        #[arg(long)]
        batch: usize,
        #[arg(long)]
        calls: usize,
    },
    /// fetch of the last `seconds` seconds.
    Fetch {
        #[arg(long)]
        seconds: i64,
        #[arg(long)]
        calls: usize,
    },
    /// create of a new file.
    Create {
        #[arg(long)]
        calls: usize,
    },
}

fn create(db: &Whisper, path: &Path) {
    db.create(path, &archives(), &CreateOptions::default())
        .expect("create");
}

fn marker(on: bool, name: &str) {
    if on {
        let _ = std::fs::metadata(format!("/nonexistent-whisper-bench-marker-{name}"));
    }
}

fn main() {
    let args = Args::parse();
    std::fs::create_dir_all(&args.dir).expect("bench dir");
    let db = Whisper::default();
    let mut rounds = Vec::with_capacity(args.rounds);
    let json = match args.op {
        Op::Update { batch, calls } => {
            let path = args.dir.join(format!("ours-update-{batch}.wsp"));
            prefilled(&db, &path);
            let b = batch as i64;
            for round in 0..args.rounds {
                let first = (round * calls) as i64;
                let work: Vec<(Vec<(i64, f64)>, i64)> = (first..first + calls as i64)
                    .map(|c| {
                        let points: Vec<(i64, f64)> = (0..b)
                            .map(|j| (T0 + STEP * (c * b + j), value(c * b + j)))
                            .collect();
                        let now = T0 + STEP * (c * b + b - 1) + 5;
                        (points, now)
                    })
                    .collect();
                marker(args.marker, "begin");
                let start = Instant::now();
                for (points, now) in &work {
                    db.update_many(&path, points, Some(*now))
                        .expect("update_many");
                }
                rounds.push(start.elapsed());
                marker(args.marker, "end");
            }
            serde_json::json!({
                "op": "update", "batch": batch, "calls": calls,
                "file": path.display().to_string(),
            })
        }
        Op::Fetch { seconds, calls } => {
            let path = args.dir.join("ours-fetch.wsp");
            prefilled(&db, &path);
            let (mut known, mut sum, mut len) = (0usize, 0.0f64, 0usize);
            for _ in 0..args.rounds {
                marker(args.marker, "begin");
                let start = Instant::now();
                for _ in 0..calls {
                    let fetched = db
                        .fetch(&path, T0 - seconds, Some(T0), Some(T0), None)
                        .expect("fetch")
                        .expect("in range");
                    len = fetched.values.len();
                    std::hint::black_box(&fetched);
                    if known == 0 {
                        for v in fetched.values.iter().flatten() {
                            known += 1;
                            sum += v;
                        }
                    }
                }
                rounds.push(start.elapsed());
                marker(args.marker, "end");
            }
            serde_json::json!({
                "op": "fetch", "seconds": seconds, "calls": calls,
                "check": {"len": len, "known": known, "sum": sum},
            })
        }
        Op::Create { calls } => {
            let mut last = PathBuf::new();
            for round in 0..args.rounds {
                let mut total = Duration::ZERO;
                for i in 0..calls {
                    let path = args.dir.join(format!("ours-create-{round}-{i}.wsp"));
                    let _ = std::fs::remove_file(&path);
                    marker(args.marker, "begin");
                    let start = Instant::now();
                    create(&db, &path);
                    total += start.elapsed();
                    marker(args.marker, "end");
                    if round + 1 < args.rounds || i + 1 < calls {
                        std::fs::remove_file(&path).expect("remove");
                    }
                    last = path;
                }
                rounds.push(total);
            }
            serde_json::json!({
                "op": "create", "calls": calls, "file": last.display().to_string(),
            })
        }
    };
    let mut json = json;
    json["rounds_s"] = rounds.iter().map(Duration::as_secs_f64).collect();
    println!("{json}");
}
