//! Render functions evaluated in-process (no HTTP, no whisper, no JSON): `sumSeries`,
//! `groupByNode`, `movingAverage` and `summarize` over 1,000 in-memory series of one day at
//! 10 s (8,640 points each), the same shape as the `fn_*` cases of bench/webapp_vs_reference.py
//! (`fn.hostHH.cpuMM`, 10 hosts x 100 metrics, a gap now and then).
//!
//! Each iteration parses nothing (the target is parsed once), builds a fresh [`Evaluator`] and
//! evaluates the target; the storage hands out copies of prebuilt series, as a fetch hands out
//! fresh ones, so the copy is part of every figure: `fetch_only` (the bare `fn.*.*`) measures
//! it alone.
//!
//! `cargo bench -p webapp --bench functions`

#![allow(missing_docs)] // criterion_group! defines an undocumented function.

use std::collections::HashMap;
use std::time::Duration;

use criterion::{black_box, criterion_group, Criterion};
use webapp::evaluator::{EvalError, Evaluator, RequestContext, Storage};
use webapp::grammar::parse_target;
use webapp::series::TimeSeries;

const NOW: i64 = 1_700_006_400;
const DAY: i64 = 86_400;
const STEP: i64 = 10;
const HOSTS: usize = 10;
const METRICS: usize = 100;

/// The value of point `j` of `fn.host{h}.cpu{m}` (None for a gap), as the benchmark's
/// dataset writes it.
fn value(h: usize, m: usize, j: usize) -> Option<f64> {
    if (j + 13 * h + 7 * m).is_multiple_of(97) {
        return None;
    }
    let wave = 20.0 * (((j * 7 + m * 3) % 360) as f64 - 180.0) / 180.0;
    let noise =
        ((j as u64 * 2_654_435_761 + m as u64 * 40_503 + h as u64 * 9_973) % 1000) as f64 / 100.0;
    Some(m as f64 * 0.37 + h as f64 * 1.3 + wave + noise)
}

/// 1,000 series for the range `(from, until]` as whisper answers it: first point at the step
/// after `from`, one point per step up to `until` inclusive.
fn build(from: i64, until: i64) -> Vec<TimeSeries> {
    let start = from - from.rem_euclid(STEP) + STEP;
    let end = until - until.rem_euclid(STEP) + STEP;
    let n = ((end - start) / STEP) as usize;
    // Index of the point at `start` in the dataset, whose last point (index 8,639) is at NOW.
    let first = 8639 - (NOW - start) / STEP;
    let mut out = Vec::with_capacity(HOSTS * METRICS);
    for h in 0..HOSTS {
        for m in 0..METRICS {
            let values = (0..n as i64)
                .map(|i| {
                    let j = first + i;
                    if j < 0 {
                        None
                    } else {
                        value(h, m, j as usize)
                    }
                })
                .collect();
            let mut s = TimeSeries::new(
                format!("fn.host{h:02}.cpu{m:02}"),
                start,
                end,
                STEP,
                values,
                0.5,
            );
            s.path_expression = "fn.*.*".to_owned();
            out.push(s);
        }
    }
    out
}

/// Prebuilt series per fetched range: the request's day, and the day plus the window
/// `movingAverage(…,60)` fetches before it.
struct Prebuilt(HashMap<(i64, i64), Vec<TimeSeries>>);

impl Storage for Prebuilt {
    fn fetch(
        &self,
        paths: &[String],
        start: i64,
        end: i64,
        _now: i64,
        _x_files_factor: f64,
    ) -> Result<HashMap<String, Vec<TimeSeries>>, EvalError> {
        let series = self
            .0
            .get(&(start, end))
            .unwrap_or_else(|| panic!("no prebuilt series for {start}..{end}"));
        Ok(paths
            .iter()
            .map(|p| {
                assert_eq!(p, "fn.*.*", "unexpected path expression");
                (p.clone(), series.clone())
            })
            .collect())
    }
}

fn ctx(target: &str) -> RequestContext {
    RequestContext {
        start: NOW - DAY,
        end: NOW,
        now: NOW,
        tz: chrono_tz::Tz::UTC,
        x_files_factor: std::cell::Cell::new(0.0),
        template: Default::default(),
        local_only: true,
        max_data_points: None,
        targets: vec![target.to_owned()],
    }
}

const CASES: &[(&str, &str, usize)] = &[
    ("fetch_only", "fn.*.*", 1000),
    ("sumSeries", "sumSeries(fn.*.*)", 1),
    ("groupByNode", "groupByNode(fn.*.*,1,\"sum\")", 10),
    ("movingAverage", "movingAverage(fn.*.*,60)", 1000),
    ("summarize", "summarize(fn.*.*,\"1h\",\"sum\")", 1000),
];

fn benches(c: &mut Criterion) {
    let mut ranges = HashMap::new();
    for (from, until) in [(NOW - DAY, NOW), (NOW - DAY - 60 * STEP, NOW)] {
        ranges.insert((from, until), build(from, until));
    }
    let storage = Prebuilt(ranges);
    let mut group = c.benchmark_group("functions_1000x8640");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for (name, target, want) in CASES {
        let expr = parse_target(target).unwrap();
        let ctx = ctx(target);
        let exprs = [expr];
        // Once outside the timing: the shape of the answer.
        let got = Evaluator::new(&storage, true, usize::MAX)
            .evaluate_targets(&ctx, &exprs)
            .unwrap();
        assert_eq!(got.len(), *want, "{target}");
        eprintln!(
            "{target}: {} series of {} points",
            got.len(),
            got[0].values.len()
        );
        group.bench_function(*name, |b| {
            b.iter(|| {
                let mut ev = Evaluator::new(&storage, true, usize::MAX);
                black_box(ev.evaluate_targets(&ctx, black_box(&exprs)).unwrap())
            })
        });
    }
    group.finish();
}

criterion_group!(function_benches, benches);

fn main() {
    function_benches();
    Criterion::default().configure_from_args().final_summary();
}
