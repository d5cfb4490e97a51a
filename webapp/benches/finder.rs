//! The finder and `/metrics/find` on a generated tree: `a/hNN/mNNNN.wsp`, 100 hosts × 1000
//! metrics = 100k leaves by default (`FINDER_BENCH_HOSTS` × `FINDER_BENCH_METRICS` to change
//! it, e.g. 1000 × 1000 for 1M).
//!
//! Before the criterion groups it prints latency percentiles (p50/p99/max over many repeated
//! queries, warm index) for the same patterns, since the target is a p99.
//!
//! `cargo bench -p webapp --bench finder`

#![allow(missing_docs)] // criterion_group! defines an undocumented function.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, Criterion};
use webapp::find_output::{find_view, ViewContext};
use webapp::finder::Finder;
use webapp::params::Params;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Empty `*.wsp` files: the finder only lists names (no header is read for these queries).
fn build(root: &Path, hosts: usize, metrics: usize) {
    for h in 0..hosts {
        let dir = root.join(format!("a/h{h:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        for m in 0..metrics {
            std::fs::File::create(dir.join(format!("m{m:04}.wsp"))).unwrap();
        }
    }
}

/// Ages every directory so the listings are trusted from the first query on (a tree that is
/// being written is re-read until its mtimes are 2 s old).
fn age(root: &Path) {
    let old = std::time::SystemTime::now() - Duration::from_secs(60);
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        std::fs::File::open(&d).unwrap().set_modified(old).unwrap();
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                dirs.push(e.path());
            }
        }
    }
}

const PATTERNS: &[(&str, &str)] = &[
    ("literal", "a.h42.m0420"),
    ("brace", "a.{h01,h02,h42}.{m0001,m0500,m0999}"),
    ("glob_1000_leaves", "a.h42.*"),
    ("one_per_dir", "a.*.m0420"),
    ("prefix_glob", "a.h4*.m04[0-2]?"),
    ("branches", "a.*"),
    ("broad_all", "a.*.*"),
];

fn percentiles(finder: &Finder) {
    eprintln!("latency over repeated queries (warm index, one thread):");
    for (name, pattern) in PATTERNS {
        let n = finder.find(pattern, false).unwrap().len();
        let runs = if n > 10_000 { 50 } else { 2000 };
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            black_box(finder.find(pattern, false).unwrap());
            times.push(t.elapsed());
        }
        times.sort();
        let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
        eprintln!(
            "  {name:18} {pattern:38} {n:>7} nodes  p50 {:>10.3?}  p99 {:>10.3?}  max {:>10.3?}",
            pct(0.5),
            pct(0.99),
            times[times.len() - 1]
        );
    }
    // The whole view (treejson) for the common browse query.
    let ctx = ViewContext::new(finder, 1.7e9);
    for query in ["a.h42.*", "a.*", "a.*.m0420"] {
        let params = Params::from_pairs([("query", query)]);
        let mut times: Vec<Duration> = (0..1000)
            .map(|_| {
                let t = Instant::now();
                black_box(find_view(&params, &ctx));
                t.elapsed()
            })
            .collect();
        times.sort();
        eprintln!(
            "  find_view treejson {query:38}                p50 {:>10.3?}  p99 {:>10.3?}",
            times[times.len() / 2],
            times[times.len() * 99 / 100]
        );
    }
}

fn benches(c: &mut Criterion) {
    let hosts = env_usize("FINDER_BENCH_HOSTS", 100);
    let metrics = env_usize("FINDER_BENCH_METRICS", 1000);
    let tmp = tempfile::tempdir().unwrap();
    let t = Instant::now();
    build(tmp.path(), hosts, metrics);
    age(tmp.path());
    eprintln!("built {} leaves in {:.1?}", hosts * metrics, t.elapsed());
    let finder = Finder::new(vec![tmp.path().to_path_buf()]);
    let t = Instant::now();
    let all = finder.find("a.*.*", true).unwrap().len();
    eprintln!("cold a.*.* ({all} leaves): {:.1?}", t.elapsed());
    let (listings, bytes) = finder.cache_stats();
    eprintln!("index: {listings} listings, ~{} KiB", bytes / 1024);
    percentiles(&finder);

    let mut group = c.benchmark_group("finder");
    for (name, pattern) in PATTERNS {
        if *name == "broad_all" {
            group.sample_size(10);
        }
        group.bench_function(*name, |b| {
            b.iter(|| black_box(finder.find(black_box(pattern), false).unwrap()))
        });
    }
    group.finish();
    let ctx = ViewContext::new(&finder, 1.7e9);
    let params = Params::from_pairs([("query", "a.h42.*")]);
    c.bench_function("find_view_treejson_1000", |b| {
        b.iter(|| black_box(find_view(&params, &ctx)))
    });
}

criterion_group!(finder_benches, benches);

fn main() {
    finder_benches();
    Criterion::default().configure_from_args().final_summary();
}
