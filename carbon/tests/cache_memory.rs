//! How much memory the cache takes per point: a child process (this test binary again) fills
//! a cache with `CARBON_CACHE_MEMORY_POINTS` points (default 10 million) spread over 1k, 10k
//! and 100k metrics (the benchmark's loads), the way collectors send them (every metric once
//! per interval), and reports the growth of its resident set. The target is under 40 bytes a
//! point (go-carbon: about 42). `CARBON_CACHE_MEMORY_1M=1` adds 1M metrics of 10 points,
//! reported but not asserted: there the per-metric costs (name, map slot, and the small
//! blocks a growing list leaves behind in a fresh heap) dominate.

use std::process::Command;

use carbon::cache::{CacheOptions, MetricCache, StoreOutcome};

const CHILD_ENV: &str = "CARBON_CACHE_MEMORY_CHILD";

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kb: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmRSS value");
    kb * 1024
}

#[test]
fn bytes_per_point_under_40() {
    let points: usize = std::env::var("CARBON_CACHE_MEMORY_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let mut loads = vec![(1_000, true), (10_000, true), (100_000, true)];
    if std::env::var_os("CARBON_CACHE_MEMORY_1M").is_some() {
        loads.push((1_000_000, false));
    }
    for (metrics, asserted) in loads {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "measure_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, format!("{metrics}:{points}"))
            .output()
            .expect("run the measuring child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}");
        let per_point: f64 = stdout
            .lines()
            .find_map(|l| l.split_once("bytes_per_point=").map(|(_, v)| v))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no measurement in {stdout}"));
        println!(
            "{metrics} metrics x {} points: {per_point:.1} bytes/point",
            points / metrics
        );
        if asserted {
            assert!(
                per_point < 40.0,
                "{metrics} metrics: {per_point:.1} bytes/point"
            );
        }
    }
}

/// The child side of [`bytes_per_point_under_40`]; does nothing when run directly.
#[test]
fn measure_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (metrics, points) = spec.split_once(':').unwrap();
    let (metrics, points): (usize, usize) = (metrics.parse().unwrap(), points.parse().unwrap());
    let names: Vec<String> = (0..metrics)
        .map(|i| format!("collectd.host-{:04}.cpu-{}.percent-user", i / 100, i % 100))
        .collect();
    let cache = MetricCache::new(CacheOptions::default());
    let before = rss_bytes();
    let rounds = points / metrics;
    for round in 0..rounds {
        let ts = 1_700_000_000.0 + 10.0 * round as f64;
        for name in &names {
            assert_eq!(cache.store(name, ts, 0.5), StoreOutcome::Stored);
        }
    }
    let after = rss_bytes();
    assert_eq!(cache.size(), rounds * metrics);
    println!(
        "bytes_per_point={}",
        (after - before) as f64 / (rounds * metrics) as f64
    );
}
