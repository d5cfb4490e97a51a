//! The path every received point takes, whatever the protocol (`MetricReceiver.metricReceived`
//! and the `write` pipeline of carbon-cache): white/blacklists, the value and timestamp rules,
//! the name checks and normalisation, then the cache, with flow control when it is full.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use carbon_conf::RegexList;
use carbon_proto::{normalize_timestamp, Datapoint};
use tokio::sync::watch;
use tracing::warn;

use crate::cache::MetricCache;
use crate::stats::{LogLimiter, Stats};

/// Seconds since the epoch, as `time.time()`.
pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One past the largest timestamp a whisper file can hold (2^32).
const WHISPER_TIMESTAMP_END: f64 = 4_294_967_296.0;

/// The white- and blacklist in force (reloaded when their files change).
#[derive(Debug, Default)]
pub struct Lists {
    /// Names matching none of these are refused, unless the list is empty.
    pub whitelist: RegexList,
    /// Names matching any of these are refused.
    pub blacklist: RegexList,
}

/// Pauses the receivers while the cache is full (USE_FLOW_CONTROL), instead of dropping.
#[derive(Debug)]
pub struct FlowControl {
    paused: watch::Sender<bool>,
}

impl FlowControl {
    /// Receivers running.
    pub fn new() -> Self {
        FlowControl {
            paused: watch::Sender::new(false),
        }
    }

    /// Stops the receivers reading (`pauseReceivingMetrics`).
    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    /// Lets them read again (`resumeReceivingMetrics`).
    pub fn resume(&self) {
        self.paused.send_replace(false);
    }

    /// Whether receivers are paused now.
    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    /// Returns once the receivers may read.
    pub async fn wait_resumed(&self) {
        let mut rx = self.paused.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = rx.wait_for(|paused| !paused).await;
    }
}

impl Default for FlowControl {
    fn default() -> Self {
        Self::new()
    }
}

/// Everything a connection needs to hand points to the cache.
#[derive(Debug)]
pub struct Receiver {
    /// The write-back cache.
    pub cache: Arc<MetricCache>,
    /// Counters.
    pub stats: Arc<Stats>,
    /// White- and blacklist; consulted only with USE_WHITELIST.
    pub lists: Arc<RwLock<Lists>>,
    /// USE_WHITELIST.
    pub use_whitelist: bool,
    /// MIN_TIMESTAMP_RESOLUTION in seconds (0: timestamps kept as sent).
    pub min_timestamp_resolution_secs: u64,
    /// Present when USE_FLOW_CONTROL is on.
    pub flow: Option<Arc<FlowControl>>,
    /// Bounds the warnings about refused names and full caches.
    pub log_limit: LogLimiter,
}

impl Receiver {
    /// A receiver over `cache` with no lists, no resolution and no flow control.
    pub fn new(cache: Arc<MetricCache>, stats: Arc<Stats>) -> Self {
        Receiver {
            cache,
            stats,
            lists: Arc::default(),
            use_whitelist: false,
            min_timestamp_resolution_secs: 0,
            flow: None,
            log_limit: LogLimiter::new(10, Duration::from_secs(10)),
        }
    }

    /// Waits while flow control holds the receivers.
    pub async fn wait_until_accepting(&self) {
        if let Some(flow) = &self.flow {
            flow.wait_resumed().await;
        }
    }

    /// Takes one received point: refuses it (counted) or stores it in the cache. With flow
    /// control a full cache makes this wait for room instead of dropping the point.
    pub async fn accept(&self, point: Datapoint) {
        self.accept_many(std::iter::once((
            Cow::Owned(point.metric),
            point.timestamp,
            point.value,
        )))
        .await;
    }

    /// Takes a batch of received points `(metric, timestamp, value)`, in order, as
    /// [`accept`](Self::accept) takes each, but storing them under one cache lock. With flow
    /// control, once the cache is full the rest of the batch waits for room (and is then
    /// stored, in order); without it the points that find the cache full are dropped.
    pub async fn accept_many<'a, I>(&self, points: I)
    where
        I: IntoIterator<Item = (Cow<'a, str>, f64, f64)>,
    {
        let now = now_secs();
        let admitted: Vec<(Cow<'a, str>, f64, f64)> = points
            .into_iter()
            .filter_map(|(metric, ts, value)| self.admit(metric, ts, value, now))
            .collect();
        let mut rest = &admitted[..];
        while !rest.is_empty() {
            let Some(flow) = &self.flow else {
                let counts = self
                    .cache
                    .store_many(rest.iter().map(|(m, t, v)| (m, *t, *v)));
                Stats::add(
                    &self.stats.metrics_received,
                    (counts.stored + counts.updated) as u64,
                );
                if counts.full > 0 {
                    Stats::add(&self.stats.cache_overflow, counts.full as u64);
                    if let Some(held) = self.log_limit.allow() {
                        warn!(
                            size = self.cache.size(),
                            dropped = counts.full,
                            held_back = held,
                            "MetricCache is full: points dropped"
                        );
                    }
                }
                return;
            };
            let (taken, counts) = self.cache.store_until_full(rest);
            Stats::add(
                &self.stats.metrics_received,
                (counts.stored + counts.updated) as u64,
            );
            rest = &rest[taken..];
            if !rest.is_empty() {
                flow.pause();
                // The writer may have made room (and resumed) between the store and the pause.
                if !self.cache.is_too_full() {
                    flow.resume();
                }
                flow.wait_resumed().await;
            }
        }
    }

    /// Everything before the cache: the lists, the value and timestamp rules, the name check and
    /// normalisation. `None` when the point is refused.
    fn admit<'a>(
        &self,
        metric: Cow<'a, str>,
        timestamp: f64,
        value: f64,
        now: f64,
    ) -> Option<(Cow<'a, str>, f64, f64)> {
        if self.use_whitelist {
            let lists = self.lists.read().unwrap_or_else(|e| e.into_inner());
            if lists.blacklist.matches(&metric) {
                Stats::add(&self.stats.blacklist_matches, 1);
                return None;
            }
            if !lists.whitelist.is_empty() && !lists.whitelist.matches(&metric) {
                Stats::add(&self.stats.whitelist_rejects, 1);
                return None;
            }
        }
        let timestamp =
            normalize_timestamp(timestamp, value, now, self.min_timestamp_resolution_secs)?;
        // Whisper stores u32 timestamps: a point outside them would fail the write of every
        // point of its metric in the same batch (the reference's struct.error), so refuse it.
        if !(0.0..WHISPER_TIMESTAMP_END).contains(&timestamp) {
            Stats::add(&self.stats.invalid_input, 1);
            if let Some(held) = self.log_limit.allow() {
                warn!(metric = %metric.escape_debug(), timestamp, held_back = held, "refusing a timestamp outside whisper's range 0..2^32");
            }
            return None;
        }
        let name = normalized_name_cow(metric);
        if let Err(e) = graphite_tags::validate_metric_name(&name) {
            Stats::add(&self.stats.unsafe_names, 1);
            if let Some(held) = self.log_limit.allow() {
                warn!(metric = %name.escape_debug(), error = %e, held_back = held, "refusing metric name");
            }
            return None;
        }
        Some((name, timestamp, value))
    }
}

/// The name the cache and the files use: the tag-normalised form (`TaggedSeries.parse(m).path`),
/// or the name as received when it does not parse, as the reference's `write` processor.
pub fn normalized_name(metric: String) -> String {
    normalized_name_cow(Cow::Owned(metric)).into_owned()
}

/// [`normalized_name`] keeping a borrowed name borrowed when it does not change.
pub fn normalized_name_cow(metric: Cow<'_, str>) -> Cow<'_, str> {
    // Only tags (`;`, `{...}`) and a leading `~` change a name; skip the parse for the rest.
    if !metric.starts_with('~') && !metric.contains([';', '{']) {
        return metric;
    }
    match graphite_tags::TaggedSeries::parse(&metric) {
        Ok(series) => Cow::Owned(series.path()),
        Err(_) => metric,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheOptions;

    fn receiver(max: Option<usize>) -> Receiver {
        let cache = Arc::new(MetricCache::new(CacheOptions {
            max_size_points: max,
            ..CacheOptions::default()
        }));
        Receiver::new(cache, Arc::default())
    }

    fn dp(metric: &str, timestamp: f64, value: f64) -> Datapoint {
        Datapoint {
            metric: metric.into(),
            timestamp,
            value,
        }
    }

    #[tokio::test]
    async fn stores_normalised_names_and_refuses_unsafe_ones() {
        let r = receiver(None);
        r.accept(dp("foo.tag;z=1;a=2", 100.0, 1.0)).await;
        r.accept(dp("~plain.name", 100.0, 2.0)).await;
        r.accept(dp("../../etc/passwd", 100.0, 3.0)).await;
        r.accept(dp("nan.value", 100.0, f64::NAN)).await;
        assert_eq!(r.cache.get("foo.tag;a=2;z=1"), vec![(100.0, 1.0)]);
        assert_eq!(r.cache.get("plain.name"), vec![(100.0, 2.0)]);
        assert_eq!(r.cache.size(), 2);
        assert_eq!(Stats::get(&r.stats.unsafe_names), 1);
        assert_eq!(Stats::get(&r.stats.metrics_received), 2);
    }

    #[tokio::test]
    async fn lists_apply_only_with_use_whitelist() {
        let mut r = receiver(None);
        {
            let mut lists = r.lists.write().unwrap();
            lists.blacklist = RegexList::parse("^bad\\.", "blacklist");
            lists.whitelist = RegexList::parse("^good\\.", "whitelist");
        }
        r.accept(dp("bad.x", 1.0, 1.0)).await;
        assert_eq!(r.cache.size(), 1);
        r.use_whitelist = true;
        r.accept(dp("bad.y", 1.0, 1.0)).await;
        r.accept(dp("other.z", 1.0, 1.0)).await;
        r.accept(dp("good.z", 1.0, 1.0)).await;
        assert_eq!(r.cache.size(), 2);
        assert_eq!(Stats::get(&r.stats.blacklist_matches), 1);
        assert_eq!(Stats::get(&r.stats.whitelist_rejects), 1);
    }

    #[tokio::test]
    async fn full_cache_drops_without_flow_control_and_waits_with_it() {
        let r = receiver(Some(1));
        r.accept(dp("a", 1.0, 1.0)).await;
        r.accept(dp("b", 1.0, 1.0)).await;
        assert_eq!(Stats::get(&r.stats.cache_overflow), 1);

        let mut r = receiver(Some(1));
        let flow = Arc::new(FlowControl::new());
        r.flow = Some(Arc::clone(&flow));
        let r = Arc::new(r);
        r.accept(dp("a", 1.0, 1.0)).await;
        let waiting = tokio::spawn({
            let r = Arc::clone(&r);
            async move { r.accept(dp("b", 1.0, 2.0)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(flow.is_paused());
        assert!(!waiting.is_finished());
        // The writer drains and resumes the receivers: the waiting point goes in.
        assert!(r.cache.pop(f64::INFINITY).is_some());
        flow.resume();
        waiting.await.unwrap();
        assert_eq!(r.cache.get("b"), vec![(1.0, 2.0)]);
        assert_eq!(Stats::get(&r.stats.cache_overflow), 0);
    }
}
