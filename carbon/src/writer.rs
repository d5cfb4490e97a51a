//! The writer: threads that pop metrics from the cache and write them to whisper files,
//! creating files by the storage schemas (`carbon.writer`).
//!
//! Each thread loops: pop the next metric (by the cache's write strategy), create its file if
//! needed (at most MAX_CREATES_PER_MINUTE; a metric over the limit goes back into the cache,
//! where the cache query still sees it, instead of being dropped as in the reference), wait for
//! an update token (MAX_UPDATES_PER_SECOND) and `update_many`. Whisper calls block, so these are
//! plain threads, never the async runtime's. On shutdown [`Writer::drain`] makes the threads
//! write everything left (at MAX_UPDATES_PER_SECOND_ON_SHUTDOWN when set) and then return.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use carbon_conf::{AggregationSchemas, StorageSchemas};
use tracing::{error, info, warn};

use crate::cache::MetricCache;
use crate::ratelimit::TokenBucket;
use crate::receiver::{now_secs, FlowControl};
use crate::stats::Stats;
use crate::tagdb::TagQueue;

/// The storage and aggregation schemas in force (replaced on reload).
#[derive(Debug)]
pub struct Schemas {
    /// storage-schemas.conf.
    pub storage: StorageSchemas,
    /// storage-aggregation.conf.
    pub aggregation: AggregationSchemas,
}

/// What the writer is configured with.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// LOCAL_DATA_DIR.
    pub data_dir: PathBuf,
    /// TAG_HASH_FILENAMES.
    pub tag_hash_filenames: bool,
    /// WHISPER_LOCK_WRITES, WHISPER_AUTOFLUSH, WHISPER_FADVISE_RANDOM.
    pub whisper: whisper::Options,
    /// WHISPER_SPARSE_CREATE.
    pub sparse_create: bool,
    /// WHISPER_FALLOCATE_CREATE.
    pub fallocate_create: bool,
    /// MAX_UPDATES_PER_SECOND (`None`: unlimited).
    pub max_updates_per_second: Option<f64>,
    /// MAX_UPDATES_PER_SECOND_ON_SHUTDOWN (`None`: keep the normal rate).
    pub max_updates_per_second_on_shutdown: Option<f64>,
    /// MAX_CREATES_PER_MINUTE (`None`: unlimited).
    pub max_creates_per_minute: Option<f64>,
    /// LOG_UPDATES.
    pub log_updates: bool,
    /// LOG_CREATES.
    pub log_creates: bool,
    /// Writer threads (files written in parallel).
    pub threads: usize,
}

/// Shared state of the writer threads.
#[derive(Debug)]
pub struct Writer {
    config: WriterConfig,
    cache: Arc<MetricCache>,
    schemas: Arc<RwLock<Schemas>>,
    stats: Arc<Stats>,
    flow: Option<Arc<FlowControl>>,
    whisper: whisper::Whisper,
    update_bucket: Option<Mutex<TokenBucket>>,
    create_bucket: Option<Mutex<TokenBucket>>,
    draining: AtomicBool,
    /// Pops in a row that ended in a postponed create, across threads.
    postponed_in_a_row: AtomicUsize,
    /// Metrics a thread is creating or writing now. Another thread that pops one of them puts
    /// its points back rather than write the same file at once: whisper's updates are
    /// read-modify-write, and a create's zero fill would overwrite points written meanwhile.
    in_flight: Mutex<HashSet<String>>,
    /// With ENABLE_TAGS: created and updated series are queued for the TagDB.
    tags: Option<Arc<TagQueue>>,
}

enum Outcome {
    Written,
    Postponed,
}

impl Writer {
    /// A writer over `cache`; nothing runs until [`Writer::spawn`].
    pub fn new(
        config: WriterConfig,
        cache: Arc<MetricCache>,
        schemas: Arc<RwLock<Schemas>>,
        stats: Arc<Stats>,
        flow: Option<Arc<FlowControl>>,
    ) -> Self {
        let now = now_secs();
        let update_bucket = config
            .max_updates_per_second
            .map(|n| Mutex::new(TokenBucket::new(n, n, now)));
        let create_bucket = config
            .max_creates_per_minute
            .map(|n| Mutex::new(TokenBucket::new(n, n / 60.0, now)));
        Writer {
            whisper: whisper::Whisper::new(config.whisper),
            config,
            cache,
            schemas,
            stats,
            flow,
            update_bucket,
            create_bucket,
            draining: AtomicBool::new(false),
            postponed_in_a_row: AtomicUsize::new(0),
            in_flight: Mutex::new(HashSet::new()),
            tags: None,
        }
    }

    /// Queues created series (and every TAG_UPDATE_INTERVAL-th write) on `tags` for the TagDB.
    pub fn with_tag_queue(mut self, tags: Arc<TagQueue>) -> Self {
        self.tags = Some(tags);
        self
    }

    /// Starts the writer threads.
    pub fn spawn(self: &Arc<Self>) -> std::io::Result<Vec<JoinHandle<()>>> {
        (0..self.config.threads.max(1))
            .map(|i| {
                let w = Arc::clone(self);
                std::thread::Builder::new()
                    .name(format!("writer-{i}"))
                    .spawn(move || w.run())
            })
            .collect()
    }

    /// Switches to the final flush: the threads write everything left, then return. Creates are
    /// no longer postponed (a point is never left behind), and MAX_UPDATES_PER_SECOND_ON_SHUTDOWN
    /// replaces both rates when it is set, as in the reference.
    pub fn drain(&self) {
        if let Some(rate) = self.config.max_updates_per_second_on_shutdown {
            for bucket in [&self.update_bucket, &self.create_bucket]
                .into_iter()
                .flatten()
            {
                lock(bucket).set_capacity_and_fill_rate(rate, rate);
            }
        }
        self.draining.store(true, Ordering::SeqCst);
    }

    fn run(&self) {
        loop {
            let draining = self.draining.load(Ordering::SeqCst);
            if !draining {
                self.wait_for_update_capacity();
            }
            let now = if draining { f64::INFINITY } else { now_secs() };
            let Some((metric, points)) = self.cache.pop(now) else {
                if draining {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            if !lock(&self.in_flight).insert(metric.clone()) {
                // Written by another thread right now: these newer points go after.
                self.cache.requeue(&metric, points);
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            let outcome = self.write_metric(&metric, points, draining);
            lock(&self.in_flight).remove(&metric);
            match outcome {
                Outcome::Written => {
                    self.postponed_in_a_row.store(0, Ordering::Relaxed);
                }
                Outcome::Postponed => {
                    let in_a_row = self.postponed_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
                    if in_a_row >= self.cache.len() {
                        // Every cached metric waits for a create token: sleep until the next one.
                        let wait = self
                            .create_bucket
                            .as_ref()
                            .map_or(Duration::ZERO, |b| lock(b).time_until(1.0, now_secs()));
                        std::thread::sleep(
                            wait.clamp(Duration::from_millis(10), Duration::from_secs(1)),
                        );
                        self.postponed_in_a_row.store(0, Ordering::Relaxed);
                    }
                }
            }
            if let Some(flow) = &self.flow {
                if self.cache.take_space_available() {
                    flow.resume();
                }
            }
        }
    }

    fn write_metric(&self, metric: &str, points: Vec<(f64, f64)>, draining: bool) -> Outcome {
        let relative = graphite_tags::relative_path(metric, self.config.tag_hash_filenames);
        let path = self.config.data_dir.join(&relative);
        if !path.exists() && !self.adopt_unhashed_file(metric, &path) {
            if !draining && !self.take_create_token() {
                Stats::add(&self.stats.creates_postponed, 1);
                self.cache.requeue(metric, points);
                return Outcome::Postponed;
            }
            if let Err(e) = self.create(metric, &path) {
                Stats::add(&self.stats.errors, 1);
                error!(%metric, path = %path.display(), error = %e, points = points.len(), "error creating whisper file; its points are lost");
                return Outcome::Written;
            }
            if let Some(tags) = &self.tags {
                tags.add(metric);
            }
        }
        self.wait_for_update_token();
        // Whisper keeps whole seconds; of two points in one second the first (earliest) wins.
        let whole: Vec<(i64, f64)> = points.iter().map(|&(t, v)| (t.trunc() as i64, v)).collect();
        let started = Instant::now();
        match self.whisper.update_many(&path, &whole, None) {
            Ok(()) => {
                if let Some(tags) = &self.tags {
                    tags.update(metric);
                }
                Stats::add(&self.stats.committed_points, whole.len() as u64);
                Stats::add(&self.stats.update_operations, 1);
                Stats::add(
                    &self.stats.update_micros,
                    started.elapsed().as_micros() as u64,
                );
                if self.config.log_updates {
                    info!(target: "updates", "wrote {} datapoints for {metric} in {:.5} seconds", whole.len(), started.elapsed().as_secs_f64());
                }
            }
            Err(e) => {
                Stats::add(&self.stats.errors, 1);
                error!(%metric, path = %path.display(), error = %e, points = whole.len(), "error writing to whisper file; its points are lost");
            }
        }
        Outcome::Written
    }

    /// With TAG_HASH_FILENAMES, a tagged metric written before as `_DOT_`-named file is renamed
    /// to its hashed name, as the reference does.
    fn adopt_unhashed_file(&self, metric: &str, hashed: &Path) -> bool {
        if !self.config.tag_hash_filenames || !graphite_tags::is_tagged(metric) {
            return false;
        }
        let old = self
            .config
            .data_dir
            .join(graphite_tags::relative_path(metric, false));
        if !old.exists() {
            return false;
        }
        match std::fs::rename(&old, hashed) {
            Ok(()) => true,
            Err(e) => {
                warn!(from = %old.display(), to = %hashed.display(), error = %e, "could not rename tagged file to its hashed name");
                false
            }
        }
    }

    fn take_create_token(&self) -> bool {
        match &self.create_bucket {
            Some(b) => lock(b).try_drain(1.0, now_secs()),
            None => true,
        }
    }

    /// Waits, before popping, until an update can be paid for, so that points waiting for the
    /// MAX_UPDATES_PER_SECOND limit wait in the cache, where the cache query still sees them
    /// (popped first, as the reference does, they would be invisible until written).
    fn wait_for_update_capacity(&self) {
        let Some(bucket) = &self.update_bucket else {
            return;
        };
        loop {
            if self.cache.is_empty() || self.draining.load(Ordering::SeqCst) {
                return;
            }
            let wait = lock(bucket).time_until_affordable(1.0, now_secs());
            if wait.is_zero() {
                return;
            }
            // In slices, so a shutdown is noticed promptly.
            std::thread::sleep(wait.min(Duration::from_millis(200)));
        }
    }

    fn wait_for_update_token(&self) {
        if let Some(b) = &self.update_bucket {
            let wait = lock(b).drain_blocking(1.0, now_secs());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
    }

    fn create(&self, metric: &str, path: &Path) -> Result<(), String> {
        let (archives, options, schema_name, aggregation_name) = {
            let schemas = self.schemas.read().unwrap_or_else(|e| e.into_inner());
            let storage = schemas.storage.match_metric(metric);
            let aggregation = schemas.aggregation.match_metric(metric);
            let options = whisper::CreateOptions {
                x_files_factor: aggregation.x_files_factor.unwrap_or(0.5),
                aggregation_method: aggregation
                    .aggregation_method
                    .unwrap_or(whisper::AggregationMethod::Average),
                sparse: self.config.sparse_create,
                fallocate: self.config.fallocate_create,
            };
            (
                storage.archives.clone(),
                options,
                storage.name.clone(),
                aggregation.name.clone(),
            )
        };
        if self.config.log_creates {
            info!(target: "creates", "new metric {metric} matched schema {schema_name}");
            info!(target: "creates", "new metric {metric} matched aggregation schema {aggregation_name}");
            let list: Vec<String> = archives
                .iter()
                .map(|a| format!("({}, {})", a.seconds_per_point, a.points))
                .collect();
            info!(target: "creates", "creating database metric {metric} (archive=[{}] xff={} agg={})", list.join(", "), options.x_files_factor, options.aggregation_method);
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        // Made under a temporary name and renamed into place whole, so that a crash (kill -9)
        // mid-create never leaves a truncated .wsp behind. A rename, not link + unlink: ext4
        // makes every inode allocation slower for a while after many inodes are freed, and
        // freeing one per create made creating 100k files several times slower.
        let file_name = path
            .file_name()
            .map_or_else(Default::default, |n| n.to_string_lossy());
        let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let created = self
            .whisper
            .create(&tmp, &archives, &options)
            .map_err(|e| e.to_string())
            .and_then(|()| {
                if path.exists() {
                    // Made meanwhile by another process sharing the directory: keep that one.
                    let _ = std::fs::remove_file(&tmp);
                    return Ok(());
                }
                std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
            });
        if created.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        created?;
        Stats::add(&self.stats.creates, 1);
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheOptions;

    fn config(dir: &Path) -> WriterConfig {
        WriterConfig {
            data_dir: dir.to_path_buf(),
            tag_hash_filenames: true,
            whisper: whisper::Options::default(),
            sparse_create: false,
            fallocate_create: false,
            max_updates_per_second: None,
            max_updates_per_second_on_shutdown: None,
            max_creates_per_minute: None,
            log_updates: false,
            log_creates: false,
            threads: 2,
        }
    }

    fn schemas() -> Arc<RwLock<Schemas>> {
        Arc::new(RwLock::new(Schemas {
            storage: StorageSchemas::fallback_only(),
            aggregation: AggregationSchemas::load(Path::new(
                "/nonexistent/storage-aggregation.conf",
            ))
            .unwrap(),
        }))
    }

    #[test]
    fn drains_everything_into_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(MetricCache::new(CacheOptions::default()));
        let now = now_secs().trunc();
        for i in 0..50 {
            cache.store(&format!("a.b{i}"), now - 60.0, f64::from(i));
            cache.store(&format!("a.b{i}"), now, f64::from(i) + 0.5);
        }
        cache.store("t;k=v", now, 7.0);
        let mut cfg = config(dir.path());
        cfg.max_creates_per_minute = Some(5.0);
        let writer = Arc::new(Writer::new(
            cfg,
            Arc::clone(&cache),
            schemas(),
            Arc::default(),
            None,
        ));
        writer.drain();
        for t in writer.spawn().unwrap() {
            t.join().unwrap();
        }
        assert!(cache.is_empty());
        let f = whisper::fetch(&dir.path().join("a/b7.wsp"), now as i64 - 120, None, None)
            .unwrap()
            .unwrap();
        assert_eq!(
            f.values.iter().flatten().copied().collect::<Vec<_>>(),
            vec![7.0, 7.5]
        );
        let tagged = dir.path().join(graphite_tags::relative_path("t;k=v", true));
        assert!(tagged.exists());
        assert_eq!(Stats::get(&writer.stats.creates), 51);
        assert_eq!(Stats::get(&writer.stats.committed_points), 101);
    }

    #[test]
    fn created_and_written_tagged_series_are_queued_for_the_tagdb() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(MetricCache::new(CacheOptions::default()));
        let now = now_secs().trunc();
        cache.store("t;k=v", now, 1.0);
        cache.store("plain", now, 1.0);
        let tags = Arc::new(TagQueue::new(crate::tagdb::TagQueueConfig {
            queue_size: 10,
            update_interval: 1,
            skip_tags_for_nontagged: true,
        }));
        let mut cfg = config(dir.path());
        cfg.threads = 1;
        let writer = Arc::new(
            Writer::new(cfg, Arc::clone(&cache), schemas(), Arc::default(), None)
                .with_tag_queue(Arc::clone(&tags)),
        );
        writer.drain();
        for t in writer.spawn().unwrap() {
            t.join().unwrap();
        }
        // The add (file created) first, then the update (its write).
        assert_eq!(tags.get_batch(10), ["t;k=v", "t;k=v"]);
    }

    #[test]
    fn creates_over_the_limit_wait_in_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(MetricCache::new(CacheOptions::default()));
        let now = now_secs().trunc();
        for i in 0..10 {
            cache.store(&format!("m{i}"), now, 1.0);
        }
        let mut cfg = config(dir.path());
        cfg.max_creates_per_minute = Some(3.0);
        cfg.threads = 1;
        let writer = Arc::new(Writer::new(
            cfg,
            Arc::clone(&cache),
            schemas(),
            Arc::default(),
            None,
        ));
        let threads = writer.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        // Three files made; the seven others still answer from the cache.
        assert_eq!(Stats::get(&writer.stats.creates), 3);
        assert_eq!(cache.len(), 7);
        writer.drain();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(Stats::get(&writer.stats.creates), 10);
        assert!(cache.is_empty());
    }
}
