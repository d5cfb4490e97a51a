//! Counters of what the daemon accepted, refused and wrote, named as carbon's self-metrics
//! (`carbon.agents.<host>-<instance>.<name>`), and a rate limit for the logs about bad input.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One counter per event the daemon counts. Relaxed atomics: each is an independent tally.
#[derive(Debug, Default)]
pub struct Stats {
    /// Points accepted into the cache (`metricsReceived`).
    pub metrics_received: AtomicU64,
    /// Points refused by the blacklist (`blacklistMatches`).
    pub blacklist_matches: AtomicU64,
    /// Points refused by a non-empty whitelist (`whitelistRejects`).
    pub whitelist_rejects: AtomicU64,
    /// Lines, datagrams, frames or pickle elements that could not be parsed.
    pub invalid_input: AtomicU64,
    /// Names refused because they would escape the storage directory.
    pub unsafe_names: AtomicU64,
    /// Points refused because the cache was full and flow control is off (`cache.overflow`).
    pub cache_overflow: AtomicU64,
    /// Points written to whisper files (`committedPoints`).
    pub committed_points: AtomicU64,
    /// `update_many` calls (`updateOperations`).
    pub update_operations: AtomicU64,
    /// Time spent in those calls, in microseconds (for `avgUpdateTime`).
    pub update_micros: AtomicU64,
    /// Files created (`creates`).
    pub creates: AtomicU64,
    /// Creations postponed by MAX_CREATES_PER_MINUTE; the points stayed in the cache.
    pub creates_postponed: AtomicU64,
    /// Failed creates or updates (`errors`); their points are lost.
    pub errors: AtomicU64,
    /// Cache queries answered (`cacheQueries`).
    pub cache_queries: AtomicU64,
    /// Bulk cache queries answered (`cacheBulkQueries`).
    pub cache_bulk_queries: AtomicU64,
    /// Metrics asked for by those bulk queries (for `cache.bulk_queries_average_size`).
    pub cache_bulk_query_metrics: AtomicU64,
    /// Receiver connections open now (`activeConnections`).
    pub active_connections: AtomicI64,
}

impl Stats {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads a counter.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Moves a gauge by `delta`.
    pub fn shift(gauge: &AtomicI64, delta: i64) {
        gauge.fetch_add(delta, Ordering::Relaxed);
    }

    /// Reads a gauge.
    pub fn get_gauge(gauge: &AtomicI64) -> i64 {
        gauge.load(Ordering::Relaxed)
    }
}

/// Lets through at most `per_interval` messages per interval, and says how many were held back,
/// so that a client sending garbage cannot flood the log.
#[derive(Debug)]
pub struct LogLimiter {
    interval: Duration,
    per_interval: u32,
    state: Mutex<(Instant, u32, u64)>,
}

impl LogLimiter {
    /// A limiter of `per_interval` messages every `interval`.
    pub fn new(per_interval: u32, interval: Duration) -> Self {
        LogLimiter {
            interval,
            per_interval,
            state: Mutex::new((Instant::now(), 0, 0)),
        }
    }

    /// `Some(suppressed)` when a message may be logged now, with the number of messages held
    /// back since the last one that was; `None` when this one must be dropped.
    pub fn allow(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (started, count, suppressed) = &mut *state;
        if started.elapsed() >= self.interval {
            *started = Instant::now();
            *count = 0;
        }
        if *count < self.per_interval {
            *count += 1;
            Some(std::mem::take(suppressed))
        } else {
            *suppressed += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_what_it_holds_back() {
        let l = LogLimiter::new(2, Duration::from_secs(3600));
        assert_eq!(l.allow(), Some(0));
        assert_eq!(l.allow(), Some(0));
        assert_eq!(l.allow(), None);
        assert_eq!(l.allow(), None);
        let l2 = LogLimiter::new(1, Duration::ZERO);
        assert_eq!(l2.allow(), Some(0));
        assert_eq!(l2.allow(), Some(0));
    }
}
