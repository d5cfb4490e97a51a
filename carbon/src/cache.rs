//! carbon-cache's write-back cache: points wait here, per metric, until the writer puts them in
//! whisper files, and the cache query answers from here for points not yet written.
//!
//! [`MetricCache`] follows carbon 1.1.10's `MetricCache` (`{metric: {timestamp: value}}`):
//! float timestamps as keys (100.0 and 100.5 are two points), a duplicate timestamp overwrites
//! without growing the size, a new point is refused when `size >= MAX_CACHE_SIZE`, and the
//! writer takes whole metrics in the order of a [`WriteStrategy`]. Differences: a refused point
//! leaves no empty entry behind (the reference later writes an empty whisper file for it), and
//! points the writer could not write yet can be put back with [`MetricCache::requeue`].
//!
//! # Memory
//! A metric's points are one `Vec<(f64, f64)>` in arrival order (16 bytes a point), grown by
//! about 1.5x rather than 2x. Duplicates are found with a binary search while the timestamps
//! have only increased (the usual case), by a linear scan in a short out-of-order list, and
//! through a per-metric hash index once an out-of-order list is long.
//!
//! # Locking
//! One [`std::sync::Mutex`] guards the map; every method holds it for a short, bounded piece of
//! work (sorting popped points happens outside it). [`MetricCache::store_many`] takes it once
//! for a whole batch. The size and the flow-control flags are also kept in atomics, so polling
//! them never waits for the lock.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The order in which the writer takes metrics out of the cache (`CACHE_WRITE_STRATEGY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteStrategy {
    /// `sorted` (the default): a snapshot of the metrics ordered by point count, taken largest
    /// first (among equal counts, the most recently added metric first); a new snapshot is
    /// taken when it is used up, so every metric is written once per cycle.
    #[default]
    Sorted,
    /// `max`: the metric with the most points, looked up afresh each time (the earliest added
    /// among equals). Rarely updated metrics may wait until shutdown.
    Max,
    /// `naive`: a snapshot of the metrics, taken most recently added first.
    Naive,
    /// `timesorted`: a snapshot ordered by each metric's oldest point, oldest first; with a
    /// minimum lag, only metrics whose oldest point is older than `now - lag`. An empty
    /// snapshot makes [`MetricCache::pop`] return `None` once, so the writer sleeps.
    TimeSorted,
    /// `random`: a metric chosen at random each time.
    Random,
    /// Any other configured value: the reference logs "defaulting to sorted" but in fact takes
    /// the metric added earliest (dict insertion order). Kept for compatibility.
    InsertionOrder,
}

impl WriteStrategy {
    /// The strategy the reference actually uses for a `CACHE_WRITE_STRATEGY` value; an
    /// unknown value gives [`WriteStrategy::InsertionOrder`] (see there). The caller logs the
    /// reference's warning for values other than `timesorted`, `sorted`, `max` and `naive`.
    pub fn from_config(value: &str) -> Self {
        match value {
            "sorted" => WriteStrategy::Sorted,
            "max" => WriteStrategy::Max,
            "naive" => WriteStrategy::Naive,
            "timesorted" => WriteStrategy::TimeSorted,
            "random" => WriteStrategy::Random,
            _ => WriteStrategy::InsertionOrder,
        }
    }
}

/// How a [`MetricCache`] is set up (from carbon.conf).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CacheOptions {
    /// `MAX_CACHE_SIZE` in points; `None` for `inf` (the default): never full.
    pub max_size_points: Option<usize>,
    /// `CACHE_WRITE_STRATEGY`.
    pub strategy: WriteStrategy,
    /// `MIN_TIMESTAMP_LAG` in seconds, used by [`WriteStrategy::TimeSorted`] only; 0 disables.
    pub min_timestamp_lag_secs: f64,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            max_size_points: None,
            strategy: WriteStrategy::Sorted,
            min_timestamp_lag_secs: 0.0,
        }
    }
}

/// What [`MetricCache::store`] did with a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// A new point; the size grew by one.
    Stored,
    /// The metric already had a point at this timestamp; its value was replaced.
    Updated,
    /// The cache is full and the point was dropped (the reference's `cacheFull` event: count
    /// `cache.overflow`, and pause the receivers under flow control).
    Full,
}

/// Counts of what [`MetricCache::store_many`] did with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// New points.
    pub stored: usize,
    /// Points that replaced a value at the same timestamp.
    pub updated: usize,
    /// Points dropped because the cache was full.
    pub full: usize,
}

/// The fraction of `MAX_CACHE_SIZE` below which a full cache has space again
/// (the reference's `CACHE_SIZE_LOW_WATERMARK`).
const LOW_WATERMARK: f64 = 0.95;

/// An out-of-order metric gets a timestamp index once it holds this many points; below it a
/// linear scan is cheaper than the index's memory.
const INDEX_THRESHOLD: usize = 32;

/// The write-back cache. All methods take `&self`; share it with an `Arc`.
#[derive(Debug)]
pub struct MetricCache {
    inner: Mutex<Inner>,
    max_size: Option<usize>,
    strategy: WriteStrategy,
    min_lag: f64,
    /// Mirror of `Inner::size`, so size and fullness are read without the lock.
    size: AtomicUsize,
    /// The reference's `state.cacheTooFull`: set by a refused store, cleared by a pop that
    /// brings the size under the low watermark.
    too_full: AtomicBool,
    /// Set when `too_full` is cleared, until [`MetricCache::take_space_available`] reads it.
    space_available: AtomicBool,
}

/// The metric map's hasher: aHash, several times faster than the standard SipHash on metric
/// names (hashing them under the cache lock was a tenth of a receiver's time with 100,000
/// metrics), and keyed at random per process as SipHash is, so clients cannot aim collisions.
type MetricHasher = ahash::RandomState;

#[derive(Debug)]
struct Inner {
    metrics: HashMap<Arc<str>, Entry, MetricHasher>,
    size: usize,
    /// Sequence number given to the next new entry: the order metrics were added in, which
    /// several strategies use as the reference uses dict order.
    next_seq: u64,
    /// The current snapshot of the sorted, naive and timesorted strategies, taken from the end.
    queue: Vec<Arc<str>>,
    /// Entries in the order they were added, for [`WriteStrategy::InsertionOrder`] only;
    /// items whose entry is gone or was re-added (another `seq`) are skipped lazily.
    fifo: VecDeque<(u64, Arc<str>)>,
    rng: u64,
}

/// One metric's cached points.
#[derive(Debug)]
struct Entry {
    /// The points in the order their timestamps first arrived; no two have equal timestamps
    /// (NaN timestamps aside, which never equal anything, as in the reference).
    points: Vec<(f64, f64)>,
    /// Timestamp → position, kept only for long out-of-order lists.
    // Boxed so that the (usual) absent index costs 8 bytes per metric instead of 48.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<u64, usize>>>,
    seq: u64,
    /// Whether the timestamps strictly increase (then duplicates are found by binary search
    /// and popping needs no sort).
    ordered: bool,
}

/// The index key of a timestamp: its bits, with -0.0 folded into 0.0 (they are equal keys).
fn ts_key(ts: f64) -> u64 {
    if ts == 0.0 {
        0
    } else {
        ts.to_bits()
    }
}

impl Entry {
    fn new(seq: u64) -> Self {
        Entry {
            points: Vec::new(),
            index: None,
            seq,
            ordered: true,
        }
    }

    fn find(&self, ts: f64) -> Option<usize> {
        if ts.is_nan() {
            return None;
        }
        if self.ordered {
            match self.points.last() {
                Some(&(last, _)) if ts > last => None,
                _ => self
                    .points
                    .binary_search_by(|p| p.0.total_cmp(&ts))
                    .ok()
                    .or_else(|| {
                        // total_cmp orders -0.0 before 0.0; they are the same key.
                        (ts == 0.0)
                            .then(|| self.points.iter().position(|p| p.0 == 0.0))
                            .flatten()
                    }),
            }
        } else if let Some(index) = &self.index {
            index.get(&ts_key(ts)).copied()
        } else {
            self.points.iter().rposition(|p| p.0 == ts)
        }
    }

    /// Appends a point whose timestamp is not present.
    fn push(&mut self, ts: f64, value: f64) {
        if self.ordered {
            let increases = match self.points.last() {
                Some(&(last, _)) => ts > last,
                None => !ts.is_nan(),
            };
            self.ordered = increases;
        }
        if self.points.len() == self.points.capacity() {
            // Grow by about half instead of doubling: less slack in a large cache.
            let extra = (self.points.len() / 2).max(4);
            self.points.reserve_exact(extra);
        }
        self.points.push((ts, value));
        if !self.ordered {
            let pos = self.points.len() - 1;
            if let Some(index) = &mut self.index {
                if !ts.is_nan() {
                    index.insert(ts_key(ts), pos);
                }
            } else if self.points.len() >= INDEX_THRESHOLD {
                self.build_index();
            }
        }
    }

    fn build_index(&mut self) {
        let index = self
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.0.is_nan())
            .map(|(i, p)| (ts_key(p.0), i))
            .collect();
        self.index = Some(Box::new(index));
    }

    /// The oldest timestamp, with -0.0 as 0.0 so that it sorts as an equal of 0.0.
    fn oldest(&self) -> f64 {
        let oldest = if self.ordered {
            self.points.first().map_or(f64::NAN, |p| p.0)
        } else {
            self.points.iter().map(|p| p.0).fold(f64::NAN, f64::min)
        };
        oldest + 0.0
    }
}

impl MetricCache {
    /// An empty cache.
    pub fn new(options: CacheOptions) -> Self {
        let seed = RandomState::new().build_hasher().finish() | 1;
        MetricCache {
            inner: Mutex::new(Inner {
                metrics: HashMap::with_hasher(MetricHasher::new()),
                size: 0,
                next_seq: 0,
                queue: Vec::new(),
                fifo: VecDeque::new(),
                rng: seed,
            }),
            max_size: options.max_size_points,
            strategy: options.strategy,
            min_lag: options.min_timestamp_lag_secs,
            size: AtomicUsize::new(0),
            too_full: AtomicBool::new(false),
            space_available: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the map consistent (every mutation is a single
        // step), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Caches one point. A duplicate timestamp replaces the value (even when the cache is
    /// full); a new point is refused when the cache holds `MAX_CACHE_SIZE` points or more.
    pub fn store(&self, metric: &str, timestamp: f64, value: f64) -> StoreOutcome {
        let mut inner = self.lock();
        let outcome = self.store_locked(&mut inner, metric, timestamp, value);
        self.size.store(inner.size, Ordering::Relaxed);
        outcome
    }

    /// Caches a batch of points under one lock acquisition (as [`store`](Self::store) each).
    pub fn store_many<I, M>(&self, points: I) -> StoreCounts
    where
        I: IntoIterator<Item = (M, f64, f64)>,
        M: AsRef<str>,
    {
        let mut counts = StoreCounts::default();
        let mut inner = self.lock();
        for (metric, ts, value) in points {
            match self.store_locked(&mut inner, metric.as_ref(), ts, value) {
                StoreOutcome::Stored => counts.stored += 1,
                StoreOutcome::Updated => counts.updated += 1,
                StoreOutcome::Full => counts.full += 1,
            }
        }
        self.size.store(inner.size, Ordering::Relaxed);
        counts
    }

    /// Caches points in order under one lock acquisition until one is refused because the cache
    /// is full. Returns how many were taken (stored or updated): the refused point and those
    /// after it were not, and should be offered again once there is room (flow control).
    pub fn store_until_full<M: AsRef<str>>(
        &self,
        points: &[(M, f64, f64)],
    ) -> (usize, StoreCounts) {
        let mut counts = StoreCounts::default();
        let mut taken = 0;
        let mut inner = self.lock();
        for (metric, ts, value) in points {
            match self.store_locked(&mut inner, metric.as_ref(), *ts, *value) {
                StoreOutcome::Stored => counts.stored += 1,
                StoreOutcome::Updated => counts.updated += 1,
                StoreOutcome::Full => {
                    counts.full += 1;
                    break;
                }
            }
            taken += 1;
        }
        self.size.store(inner.size, Ordering::Relaxed);
        (taken, counts)
    }

    fn store_locked(&self, inner: &mut Inner, metric: &str, ts: f64, value: f64) -> StoreOutcome {
        let full = self.max_size.is_some_and(|max| inner.size >= max);
        if let Some(entry) = inner.metrics.get_mut(metric) {
            if let Some(i) = entry.find(ts) {
                entry.points[i].1 = value;
                return StoreOutcome::Updated;
            }
            if full {
                self.too_full.store(true, Ordering::Relaxed);
                return StoreOutcome::Full;
            }
            entry.push(ts, value);
        } else {
            if full {
                self.too_full.store(true, Ordering::Relaxed);
                return StoreOutcome::Full;
            }
            inner.new_entry(metric, self.strategy).push(ts, value);
        }
        inner.size += 1;
        StoreOutcome::Stored
    }

    /// Takes the next metric out of the cache, chosen by the strategy, with its points sorted
    /// by timestamp. `None` when the cache is empty, or when the timesorted strategy finds no
    /// metric old enough (the writer should sleep). `now` (epoch seconds) is used by the
    /// timesorted strategy's minimum lag only; pass `f64::INFINITY` to make every metric
    /// eligible, as a final flush must.
    pub fn pop(&self, now: f64) -> Option<(String, Vec<(f64, f64)>)> {
        let (name, entry) = {
            let mut inner = self.lock();
            if inner.metrics.is_empty() {
                return None;
            }
            let name = self.choose(&mut inner, now)?;
            let entry = inner.metrics.remove(&name)?;
            inner.size -= entry.points.len();
            self.size.store(inner.size, Ordering::Relaxed);
            (name, entry)
        };
        self.check_space_available();
        let mut points = entry.points;
        if !entry.ordered {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Some((String::from(&*name), points))
    }

    fn choose(&self, inner: &mut Inner, now: f64) -> Option<Arc<str>> {
        match self.strategy {
            WriteStrategy::Sorted | WriteStrategy::Naive | WriteStrategy::TimeSorted => {
                let mut refilled = false;
                loop {
                    match inner.queue.pop() {
                        Some(name) if inner.metrics.contains_key(&name) => return Some(name),
                        Some(_) => continue,
                        None if refilled => return None,
                        None => {
                            inner.queue = self.snapshot(inner, now);
                            refilled = true;
                            if inner.queue.is_empty() {
                                return None;
                            }
                        }
                    }
                }
            }
            WriteStrategy::Max => inner
                .metrics
                .iter()
                .max_by(|a, b| {
                    (a.1.points.len().cmp(&b.1.points.len())).then(b.1.seq.cmp(&a.1.seq))
                })
                .map(|(name, _)| name.clone()),
            WriteStrategy::Random => {
                inner.rng ^= inner.rng << 13;
                inner.rng ^= inner.rng >> 7;
                inner.rng ^= inner.rng << 17;
                // The modulo bias is irrelevant for choosing what to write next.
                let i = (inner.rng % inner.metrics.len() as u64) as usize;
                inner.metrics.keys().nth(i).cloned()
            }
            WriteStrategy::InsertionOrder => {
                while let Some((seq, name)) = inner.fifo.pop_front() {
                    if inner.metrics.get(&name).is_some_and(|e| e.seq == seq) {
                        return Some(name);
                    }
                }
                None
            }
        }
    }

    /// A new snapshot for the queue-based strategies, in the order it is consumed from the
    /// end. Ties are broken by the order metrics were added, as the reference's stable sort
    /// over dict order does.
    fn snapshot(&self, inner: &Inner, now: f64) -> Vec<Arc<str>> {
        match self.strategy {
            WriteStrategy::Sorted => {
                let mut v: Vec<(usize, u64, &Arc<str>)> = inner
                    .metrics
                    .iter()
                    .map(|(k, e)| (e.points.len(), e.seq, k))
                    .collect();
                v.sort_unstable_by_key(|&(n, seq, _)| (n, seq));
                v.into_iter().map(|(_, _, k)| k.clone()).collect()
            }
            WriteStrategy::Naive => {
                let mut v: Vec<(u64, &Arc<str>)> =
                    inner.metrics.iter().map(|(k, e)| (e.seq, k)).collect();
                v.sort_unstable_by_key(|&(seq, _)| seq);
                v.into_iter().map(|(_, k)| k.clone()).collect()
            }
            WriteStrategy::TimeSorted => {
                let lag = self.min_lag;
                let mut v: Vec<(f64, u64, &Arc<str>)> = inner
                    .metrics
                    .iter()
                    .map(|(k, e)| (e.oldest(), e.seq, k))
                    // As the reference: a lag of 0 means no filter at all.
                    .filter(|&(oldest, _, _)| lag == 0.0 || now - oldest > lag)
                    .collect();
                // Newest first, so the oldest is taken first from the end.
                v.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                v.into_iter().map(|(_, _, k)| k.clone()).collect()
            }
            _ => Vec::new(),
        }
    }

    fn check_space_available(&self) {
        let Some(max) = self.max_size else { return };
        if self.too_full.load(Ordering::Relaxed)
            && (self.size.load(Ordering::Relaxed) as f64) < max as f64 * LOW_WATERMARK
            && self.too_full.swap(false, Ordering::Relaxed)
        {
            self.space_available.store(true, Ordering::Release);
        }
    }

    /// Puts back points taken by [`pop`](Self::pop) that could not be written yet (e.g. the
    /// file's creation is throttled by `MAX_CREATES_PER_MINUTE`), so they are written later and
    /// the cache query still answers them. A point whose timestamp was stored again meanwhile
    /// keeps the newer value. Requeued points are accepted even when the cache is full: they
    /// were accepted once and must not be lost.
    pub fn requeue(&self, metric: &str, points: Vec<(f64, f64)>) {
        if points.is_empty() {
            return;
        }
        let mut inner = self.lock();
        let added;
        if let Some(entry) = inner.metrics.get_mut(metric) {
            // Rebuild the entry: the requeued points first (they arrived earlier), minus those
            // stored again meanwhile, then the newer points.
            let seq = entry.seq;
            let newer = std::mem::replace(entry, Entry::new(seq));
            entry
                .points
                .reserve_exact(points.len() + newer.points.len());
            let mut count = 0;
            for (ts, v) in points {
                if newer.find(ts).is_none() && entry.find(ts).is_none() {
                    entry.push(ts, v);
                    count += 1;
                }
            }
            for (ts, v) in newer.points {
                entry.push(ts, v);
            }
            added = count;
        } else {
            let entry = inner.new_entry(metric, self.strategy);
            let mut count = 0;
            for (ts, v) in points {
                match entry.find(ts) {
                    Some(i) => entry.points[i].1 = v,
                    None => {
                        entry.push(ts, v);
                        count += 1;
                    }
                }
            }
            added = count;
        }
        inner.size += added;
        self.size.store(inner.size, Ordering::Relaxed);
    }

    /// The cached points of a metric in the order they arrived (a replaced value keeps its
    /// place), as the cache query returns them. The name is not normalised, as in the
    /// reference.
    pub fn get(&self, metric: &str) -> Vec<(f64, f64)> {
        self.lock()
            .metrics
            .get(metric)
            .map(|e| e.points.clone())
            .unwrap_or_default()
    }

    /// [`get`](Self::get) for several metrics under one lock acquisition, in the same order.
    pub fn get_many<I, M>(&self, metrics: I) -> Vec<Vec<(f64, f64)>>
    where
        I: IntoIterator<Item = M>,
        M: AsRef<str>,
    {
        let inner = self.lock();
        metrics
            .into_iter()
            .map(|m| {
                inner
                    .metrics
                    .get(m.as_ref())
                    .map(|e| e.points.clone())
                    .unwrap_or_default()
            })
            .collect()
    }

    /// The number of cached points (the reference's `cache.size` self-metric).
    pub fn size(&self) -> usize {
        self.size.load(Ordering::Relaxed)
    }

    /// The number of metrics with cached points (the `cache.queues` self-metric).
    pub fn len(&self) -> usize {
        self.lock().metrics.len()
    }

    /// Whether no points are cached.
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// Whether a new point would be refused now (`size >= MAX_CACHE_SIZE`).
    pub fn is_full(&self) -> bool {
        self.max_size.is_some_and(|max| self.size() >= max)
    }

    /// The flow-control state (the reference's `cacheTooFull`): true from a refused point
    /// until a pop brings the size under 95% of `MAX_CACHE_SIZE`. Receivers under
    /// `USE_FLOW_CONTROL` stop reading while it is true.
    pub fn is_too_full(&self) -> bool {
        self.too_full.load(Ordering::Relaxed)
    }

    /// True once after each time [`is_too_full`](Self::is_too_full) was cleared (the
    /// reference's `cacheSpaceAvailable` event); reading it resets it. The writer calls this
    /// after popping and, when true, wakes the paused receivers.
    pub fn take_space_available(&self) -> bool {
        self.space_available.swap(false, Ordering::Acquire)
    }
}

impl Inner {
    fn new_entry(&mut self, metric: &str, strategy: WriteStrategy) -> &mut Entry {
        let seq = self.next_seq;
        self.next_seq += 1;
        let name: Arc<str> = Arc::from(metric);
        if strategy == WriteStrategy::InsertionOrder {
            self.fifo.push_back((seq, name.clone()));
        }
        self.metrics.entry(name).or_insert_with(|| Entry::new(seq))
    }
}

#[cfg(test)]
mod tests;
