//! carbon-cache's own metrics (`carbon.instrumentation`): every CARBON_METRIC_INTERVAL seconds,
//! `<CARBON_METRIC_PREFIX>.agents.<host>-<instance>.<stat>` points are stored straight into the
//! cache, with the reference's names and meanings. Counters are per interval.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::cache::MetricCache;
use crate::receiver::now_secs;
use crate::stats::Stats;

/// Where the metrics go and how often.
#[derive(Debug, Clone)]
pub struct InstrumentationConfig {
    /// CARBON_METRIC_PREFIX (`carbon`).
    pub prefix: String,
    /// The instance name (`a`), if any.
    pub instance: Option<String>,
    /// CARBON_METRIC_INTERVAL; zero turns the metrics off.
    pub interval: Duration,
}

/// The cumulative counters at the previous sample, to report per-interval values.
#[derive(Debug, Default, Clone, Copy)]
struct Sample {
    metrics_received: u64,
    blacklist_matches: u64,
    whitelist_rejects: u64,
    committed_points: u64,
    update_operations: u64,
    update_micros: u64,
    creates: u64,
    creates_postponed: u64,
    errors: u64,
    cache_queries: u64,
    cache_bulk_queries: u64,
    cache_bulk_query_metrics: u64,
    cache_overflow: u64,
}

impl Sample {
    fn take(stats: &Stats) -> Self {
        Sample {
            metrics_received: Stats::get(&stats.metrics_received),
            blacklist_matches: Stats::get(&stats.blacklist_matches),
            whitelist_rejects: Stats::get(&stats.whitelist_rejects),
            committed_points: Stats::get(&stats.committed_points),
            update_operations: Stats::get(&stats.update_operations),
            update_micros: Stats::get(&stats.update_micros),
            creates: Stats::get(&stats.creates),
            creates_postponed: Stats::get(&stats.creates_postponed),
            errors: Stats::get(&stats.errors),
            cache_queries: Stats::get(&stats.cache_queries),
            cache_bulk_queries: Stats::get(&stats.cache_bulk_queries),
            cache_bulk_query_metrics: Stats::get(&stats.cache_bulk_query_metrics),
            cache_overflow: Stats::get(&stats.cache_overflow),
        }
    }
}

/// `socket.gethostname().replace('.', '_')`.
pub fn hostname_for_metrics() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().replace('.', "_"))
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// User + system CPU seconds of this process, from `/proc/self/stat` (clock ticks of 1/100 s).
fn cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Resident memory in bytes, from `/proc/self/status`.
fn rss_bytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// Computes one interval's metrics as `(stat name, value)`.
struct Recorder {
    previous: Sample,
    cpu_at: (Instant, f64),
}

impl Recorder {
    fn new(stats: &Stats) -> Self {
        Recorder {
            previous: Sample::take(stats),
            cpu_at: (Instant::now(), cpu_secs().unwrap_or(0.0)),
        }
    }

    fn record(&mut self, stats: &Stats, cache: &MetricCache) -> Vec<(&'static str, f64)> {
        let now = Sample::take(stats);
        let p = self.previous;
        self.previous = now;
        let d = |a: u64, b: u64| a.saturating_sub(b) as f64;
        let updates = d(now.update_operations, p.update_operations);
        let committed = d(now.committed_points, p.committed_points);
        let bulk = d(now.cache_bulk_queries, p.cache_bulk_queries);
        // Measured before anything of ours goes into the cache, as the reference does.
        let mut out = vec![
            ("cache.size", cache.size() as f64),
            ("cache.queues", cache.len() as f64),
        ];
        if updates > 0.0 {
            let secs = d(now.update_micros, p.update_micros) / 1e6;
            out.push(("avgUpdateTime", secs / updates));
        }
        if committed > 0.0 && updates > 0.0 {
            out.push(("pointsPerUpdate", committed / updates));
        }
        if bulk > 0.0 {
            let metrics = d(now.cache_bulk_query_metrics, p.cache_bulk_query_metrics);
            out.push(("cache.bulk_queries_average_size", metrics / bulk));
        }
        out.extend([
            ("updateOperations", updates),
            ("committedPoints", committed),
            ("creates", d(now.creates, p.creates)),
            // Ours postpones instead of dropping: the count of postponements is reported here.
            (
                "droppedCreates",
                d(now.creates_postponed, p.creates_postponed),
            ),
            ("errors", d(now.errors, p.errors)),
            ("cache.queries", d(now.cache_queries, p.cache_queries)),
            ("cache.bulk_queries", bulk),
            ("cache.overflow", d(now.cache_overflow, p.cache_overflow)),
            (
                "activeConnections",
                Stats::get_gauge(&stats.active_connections) as f64,
            ),
            (
                "metricsReceived",
                d(now.metrics_received, p.metrics_received),
            ),
            (
                "blacklistMatches",
                d(now.blacklist_matches, p.blacklist_matches),
            ),
            (
                "whitelistRejects",
                d(now.whitelist_rejects, p.whitelist_rejects),
            ),
        ]);
        let cpu_now = (Instant::now(), cpu_secs().unwrap_or(self.cpu_at.1));
        let wall = cpu_now
            .0
            .duration_since(self.cpu_at.0)
            .as_secs_f64()
            .max(1e-6);
        out.push(("cpuUsage", (cpu_now.1 - self.cpu_at.1) / wall * 100.0));
        self.cpu_at = cpu_now;
        if let Some(rss) = rss_bytes() {
            out.push(("memUsage", rss));
        }
        out
    }
}

/// The full metric name for `stat`.
pub fn metric_name(config: &InstrumentationConfig, host: &str, stat: &str) -> String {
    match &config.instance {
        Some(instance) => format!("{}.agents.{host}-{instance}.{stat}", config.prefix),
        None => format!("{}.agents.{host}.{stat}", config.prefix),
    }
}

/// Records the metrics every interval until `shutdown`.
pub async fn run(
    config: InstrumentationConfig,
    stats: Arc<Stats>,
    cache: Arc<MetricCache>,
    shutdown: CancellationToken,
) {
    if config.interval.is_zero() {
        return;
    }
    let host = hostname_for_metrics();
    let mut recorder = Recorder::new(&stats);
    let mut tick = tokio::time::interval_at(
        tokio::time::Instant::now() + config.interval,
        config.interval,
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let timestamp = now_secs();
        for (stat, value) in recorder.record(&stats, &cache) {
            cache.store(&metric_name(&config, &host, stat), timestamp, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheOptions;

    #[test]
    fn interval_values_are_deltas() {
        let stats = Stats::default();
        let cache = MetricCache::new(CacheOptions::default());
        cache.store("x", 1.0, 1.0);
        let mut r = Recorder::new(&stats);
        Stats::add(&stats.metrics_received, 5);
        Stats::add(&stats.update_operations, 2);
        Stats::add(&stats.committed_points, 10);
        Stats::add(&stats.update_micros, 3000);
        let first: std::collections::HashMap<_, _> = r.record(&stats, &cache).into_iter().collect();
        assert_eq!(first["metricsReceived"], 5.0);
        assert_eq!(first["pointsPerUpdate"], 5.0);
        assert!((first["avgUpdateTime"] - 0.0015).abs() < 1e-12);
        assert_eq!(first["cache.size"], 1.0);
        assert!(first.contains_key("cpuUsage"));
        let second: std::collections::HashMap<_, _> =
            r.record(&stats, &cache).into_iter().collect();
        assert_eq!(second["metricsReceived"], 0.0);
        assert!(!second.contains_key("avgUpdateTime"));
    }

    #[test]
    fn names_follow_the_reference() {
        let c = InstrumentationConfig {
            prefix: "carbon".into(),
            instance: Some("a".into()),
            interval: Duration::from_secs(60),
        };
        assert_eq!(
            metric_name(&c, "myhost", "cpuUsage"),
            "carbon.agents.myhost-a.cpuUsage"
        );
        assert!(!hostname_for_metrics().contains('.'));
    }
}
