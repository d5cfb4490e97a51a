//! carbon-cache put together: bind the listeners, start the writer, serve until the shutdown
//! token fires, then stop the listeners, let connections finish what their clients sent, and
//! flush the whole cache to disk before returning.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use carbon_conf::{
    AggregationSchemas, CacheSettings, CacheWriteStrategy, FileWatch, RegexList, StorageSchemas,
};
use carbon_proto::carbonlink::TimestampKind;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

use crate::cache::{CacheOptions, MetricCache, WriteStrategy};
use crate::carbonlink::{handle_queries, CacheQuery};
use crate::instrumentation::{self, InstrumentationConfig};
use crate::listener::{handle_lines, handle_pickles, serve_tcp, serve_udp, ConnectionLimits};
use crate::receiver::{FlowControl, Lists, Receiver};
use crate::stats::{LogLimiter, Stats};
use crate::tagdb::{SenderConfig, TagQueue, TagQueueConfig, TagSender};
use crate::writer::{Schemas, Writer, WriterConfig};

/// Why the daemon could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration file could not be read (storage-schemas.conf is required).
    #[error(transparent)]
    Config(#[from] carbon_conf::Error),
    /// A listener could not bind its address.
    #[error("cannot listen on {addr} ({what}): {source}")]
    Bind {
        /// Which listener.
        what: &'static str,
        /// The address from the config.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The writer threads could not start.
    #[error("cannot start the writer threads: {0}")]
    Writer(std::io::Error),
    /// The TagDB sender thread could not start.
    #[error("cannot start the tagdb thread: {0}")]
    TagDb(std::io::Error),
}

/// The bound sockets; `None` where the config turns a listener off (port 0, or UDP disabled).
#[derive(Debug)]
pub struct Listeners {
    /// Plaintext over TCP (LINE_RECEIVER_*).
    pub line: Option<TcpListener>,
    /// Plaintext over UDP (UDP_RECEIVER_*, with ENABLE_UDP_LISTENER).
    pub udp: Option<UdpSocket>,
    /// Pickle over TCP (PICKLE_RECEIVER_*).
    pub pickle: Option<TcpListener>,
    /// The cache query (CACHE_QUERY_*).
    pub cache_query: Option<TcpListener>,
}

impl Listeners {
    /// Binds every listener the settings enable (a port of 0 disables one, as in the
    /// reference). With `free_ports`, each enabled listener binds a port the system chooses
    /// instead of its configured one (tests; see `addresses`).
    pub async fn bind(s: &CacheSettings, free_ports: bool) -> Result<Self, Error> {
        let port = |p: u16| if free_ports { 0 } else { p };
        let tcp = |what: &'static str, interface: &str, configured: u16| {
            let addr = format!("{interface}:{}", port(configured));
            async move {
                if configured == 0 {
                    return Ok(None);
                }
                TcpListener::bind(&addr)
                    .await
                    .map(Some)
                    .map_err(|source| Error::Bind { what, addr, source })
            }
        };
        let udp = if s.enable_udp_listener && s.udp_receiver_port != 0 {
            let addr = format!("{}:{}", s.udp_receiver_interface, port(s.udp_receiver_port));
            Some(UdpSocket::bind(&addr).await.map_err(|source| Error::Bind {
                what: "udp",
                addr,
                source,
            })?)
        } else {
            None
        };
        Ok(Listeners {
            line: tcp("line", &s.line_receiver_interface, s.line_receiver_port).await?,
            udp,
            pickle: tcp(
                "pickle",
                &s.pickle_receiver_interface,
                s.pickle_receiver_port,
            )
            .await?,
            cache_query: tcp("cache query", &s.cache_query_interface, s.cache_query_port).await?,
        })
    }

    /// `(name, address)` of each bound listener: `line`, `udp`, `pickle`, `cache_query`.
    pub fn addresses(&self) -> Vec<(&'static str, SocketAddr)> {
        let mut out = Vec::new();
        let tcp = [
            ("line", &self.line),
            ("pickle", &self.pickle),
            ("cache_query", &self.cache_query),
        ];
        for (name, l) in tcp {
            if let Some(addr) = l.as_ref().and_then(|l| l.local_addr().ok()) {
                out.push((name, addr));
            }
        }
        if let Some(addr) = self.udp.as_ref().and_then(|u| u.local_addr().ok()) {
            out.push(("udp", addr));
        }
        out
    }
}

/// Files the daemon reads besides carbon.conf.
#[derive(Debug, Clone)]
pub struct ConfigFiles {
    /// storage-schemas.conf (required).
    pub storage_schemas: PathBuf,
    /// storage-aggregation.conf (optional).
    pub storage_aggregation: PathBuf,
    /// whitelist.conf (`--whitelist`).
    pub whitelist: PathBuf,
    /// blacklist.conf (`--blacklist`).
    pub blacklist: PathBuf,
}

impl ConfigFiles {
    /// The reference's locations: all in CONF_DIR.
    pub fn in_conf_dir(conf_dir: &Path) -> Self {
        ConfigFiles {
            storage_schemas: conf_dir.join("storage-schemas.conf"),
            storage_aggregation: conf_dir.join("storage-aggregation.conf"),
            whitelist: conf_dir.join("whitelist.conf"),
            blacklist: conf_dir.join("blacklist.conf"),
        }
    }
}

fn load_schemas(files: &ConfigFiles) -> Result<Schemas, Error> {
    let storage = StorageSchemas::load(&files.storage_schemas)?;
    for m in &storage.messages {
        warn!("{m}");
    }
    let aggregation = AggregationSchemas::load(&files.storage_aggregation)?;
    for m in &aggregation.messages {
        info!("{m}");
    }
    Ok(Schemas {
        storage,
        aggregation,
    })
}

fn load_list(path: &Path) -> RegexList {
    match RegexList::load(path) {
        Ok(list) => {
            for m in &list.messages {
                warn!("{m}");
            }
            list
        }
        Err(e) => {
            warn!(path = %path.display(), error = %e, "cannot read list");
            RegexList::default()
        }
    }
}

/// How many threads write files in parallel.
fn writer_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .clamp(2, 16)
}

/// Runs carbon-cache on bound `listeners` until `shutdown` fires, then flushes the cache and
/// returns. `reload` asks for the schema and list files to be read again (SIGHUP).
pub async fn run(
    settings: CacheSettings,
    files: ConfigFiles,
    listeners: Listeners,
    shutdown: CancellationToken,
    reload: Arc<Notify>,
) -> Result<(), Error> {
    let schemas = Arc::new(RwLock::new(load_schemas(&files)?));
    let stats = Arc::new(Stats::default());
    let strategy = match settings.cache_write_strategy {
        CacheWriteStrategy::Sorted => WriteStrategy::Sorted,
        CacheWriteStrategy::Max => WriteStrategy::Max,
        CacheWriteStrategy::Naive => WriteStrategy::Naive,
        CacheWriteStrategy::TimeSorted => WriteStrategy::TimeSorted,
        CacheWriteStrategy::Random => WriteStrategy::Random,
    };
    let cache = Arc::new(MetricCache::new(CacheOptions {
        max_size_points: settings.max_cache_size_points.map(|n| n as usize),
        strategy,
        min_timestamp_lag_secs: settings.min_timestamp_lag_secs,
    }));
    let flow = settings
        .use_flow_control
        .then(|| Arc::new(FlowControl::new()));
    let lists = Arc::new(RwLock::new(Lists {
        whitelist: load_list(&files.whitelist),
        blacklist: load_list(&files.blacklist),
    }));
    let receiver = Arc::new(Receiver {
        cache: Arc::clone(&cache),
        stats: Arc::clone(&stats),
        lists: Arc::clone(&lists),
        use_whitelist: settings.use_whitelist,
        min_timestamp_resolution_secs: settings.min_timestamp_resolution_secs,
        flow: flow.clone(),
        log_limit: LogLimiter::new(10, Duration::from_secs(10)),
    });

    // TagDB registration: with ENABLE_TAGS and a GRAPHITE_URL to post to.
    let tag_queue = (settings.enable_tags && !settings.graphite_url.is_empty()).then(|| {
        Arc::new(TagQueue::new(TagQueueConfig {
            queue_size: usize::try_from(settings.tag_queue_size).unwrap_or(usize::MAX),
            update_interval: settings.tag_update_interval,
            skip_tags_for_nontagged: settings.skip_tags_for_nontagged,
        }))
    });
    let mut writer = Writer::new(
        WriterConfig {
            data_dir: settings.local_data_dir.clone(),
            tag_hash_filenames: settings.tag_hash_filenames,
            whisper: whisper::Options {
                lock: settings.whisper_lock_writes,
                cache_headers: false,
                autoflush: settings.whisper_autoflush,
                fadvise_random: settings.whisper_fadvise_random,
            },
            sparse_create: settings.whisper_sparse_create,
            fallocate_create: settings.whisper_fallocate_create,
            max_updates_per_second: settings.max_updates_per_second,
            max_updates_per_second_on_shutdown: settings.max_updates_per_second_on_shutdown,
            max_creates_per_minute: settings.max_creates_per_minute,
            log_updates: settings.log_updates,
            log_creates: settings.log_creates,
            threads: writer_threads(),
        },
        Arc::clone(&cache),
        Arc::clone(&schemas),
        Arc::clone(&stats),
        flow.clone(),
    );
    let mut tag_sender = None;
    if let Some(q) = &tag_queue {
        writer = writer.with_tag_queue(Arc::clone(q));
        let batch_size = usize::try_from(settings.tag_batch_size).unwrap_or(usize::MAX);
        let config = SenderConfig::new(&settings.graphite_url, batch_size);
        tag_sender = Some(TagSender::spawn(Arc::clone(q), config).map_err(Error::TagDb)?);
    }
    let writer = Arc::new(writer);
    let writer_threads = writer.spawn().map_err(Error::Writer)?;

    let tracker = TaskTracker::new();
    let limits = ConnectionLimits {
        max_line_len_bytes: carbon_proto::plaintext::DEFAULT_MAX_LINE_LEN,
        max_frame_len_bytes: settings.pickle_receiver_max_length_bytes as usize,
        idle_timeout: settings
            .metric_client_idle_timeout_secs
            .filter(|s| *s > 0.0)
            .map(Duration::from_secs_f64),
    };
    let connection_limit = settings
        .max_receiver_connections
        .map(|n| Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS as u64) as usize)));
    for (name, addr) in listeners.addresses() {
        info!(listener = name, %addr, "listening");
    }
    let mut servers = Vec::new();
    let conn_log = ConnectionLog {
        success: settings.log_listener_conn_success,
        lost: settings.log_listener_conn_lost,
    };
    // The plaintext and pickle receivers differ only in their connection handler.
    let receivers = [
        (listeners.line, "line", ReceiverHandler::Lines),
        (listeners.pickle, "pickle", ReceiverHandler::Pickles),
    ];
    for (listener, protocol, handler) in receivers {
        let Some(l) = listener else { continue };
        let (r, s) = (Arc::clone(&receiver), shutdown.clone());
        servers.push(tokio::spawn(serve_tcp(
            l,
            protocol,
            connection_limit.clone(),
            shutdown.clone(),
            tracker.clone(),
            move |stream, peer| {
                let (r2, s2) = (Arc::clone(&r), s.clone());
                counted(&r.stats, async move {
                    conn_log.established(handler, peer);
                    let error = match handler {
                        ReceiverHandler::Lines => handle_lines(stream, peer, r2, limits, s2).await,
                        ReceiverHandler::Pickles => {
                            handle_pickles(stream, peer, r2, limits, s2).await
                        }
                    };
                    conn_log.closed(handler, peer, error);
                })
            },
        )));
    }
    if let Some(socket) = listeners.udp {
        servers.push(tokio::spawn(serve_udp(
            socket,
            Arc::clone(&receiver),
            shutdown.clone(),
        )));
    }
    if let Some(l) = listeners.cache_query {
        let query = Arc::new(CacheQuery {
            cache: Arc::clone(&cache),
            stats: Arc::clone(&stats),
            data_dir: settings.local_data_dir.clone(),
            tag_hash_filenames: settings.tag_hash_filenames,
            timestamps: if settings.min_timestamp_resolution_secs > 0 {
                TimestampKind::Int
            } else {
                TimestampKind::Float
            },
            log_cache_hits: settings.log_cache_hits,
        });
        let s = shutdown.clone();
        servers.push(tokio::spawn(serve_tcp(
            l,
            "cache_query",
            None,
            shutdown.clone(),
            tracker.clone(),
            move |stream, peer| {
                let (q, s) = (Arc::clone(&query), s.clone());
                async move {
                    info!(target: "query", "{peer} connected");
                    handle_queries(stream, peer, q, s).await;
                    info!(target: "query", "{peer} disconnected");
                }
            },
        )));
    }
    let reloader = tokio::spawn(reload_loop(files, schemas, lists, reload, shutdown.clone()));
    let instrumentation = tokio::spawn(instrumentation::run(
        InstrumentationConfig {
            prefix: settings.carbon_metric_prefix.clone(),
            instance: settings.instance.clone(),
            interval: Duration::from_secs_f64(settings.carbon_metric_interval_secs.max(0.0)),
        },
        Arc::clone(&stats),
        Arc::clone(&cache),
        shutdown.clone(),
    ));

    shutdown.cancelled().await;
    info!("shutting down: stopping listeners");
    for s in servers {
        let _ = s.await;
    }
    tracker.close();
    tracker.wait().await;
    let _ = reloader.await;
    let _ = instrumentation.await;
    info!(
        points = cache.size(),
        metrics = cache.len(),
        "listeners stopped; flushing the cache"
    );
    writer.drain();
    let joined = tokio::task::spawn_blocking(move || {
        for t in writer_threads {
            if t.join().is_err() {
                error!("a writer thread panicked");
            }
        }
    })
    .await;
    if joined.is_err() || !cache.is_empty() {
        error!(
            points = cache.size(),
            "the cache could not be flushed completely"
        );
    }
    if let (Some(sender), Some(q)) = (tag_sender, &tag_queue) {
        info!(
            queued = q.len(),
            "registering the last series with the TagDB"
        );
        let _ = tokio::task::spawn_blocking(move || sender.stop(TAGDB_SHUTDOWN_GRACE)).await;
        info!(
            sent = q.sent(),
            dropped = q.dropped(),
            failed_posts = q.failed_posts(),
            "tagdb stopped"
        );
    }
    info!(
        received = Stats::get(&stats.metrics_received),
        committed = Stats::get(&stats.committed_points),
        creates = Stats::get(&stats.creates),
        errors = Stats::get(&stats.errors),
        "shutdown complete"
    );
    Ok(())
}

/// How long the TagDB sender may keep posting what is queued at shutdown.
const TAGDB_SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Which protocol a TCP receiver speaks.
#[derive(Debug, Clone, Copy)]
enum ReceiverHandler {
    Lines,
    Pickles,
}

impl ReceiverHandler {
    /// The reference's protocol class, which its connection log lines name.
    fn class_name(self) -> &'static str {
        match self {
            ReceiverHandler::Lines => "MetricLineReceiver",
            ReceiverHandler::Pickles => "MetricPickleReceiver",
        }
    }
}

/// The receivers' connection lines in listener.log.
#[derive(Debug, Clone, Copy)]
struct ConnectionLog {
    /// LOG_LISTENER_CONN_SUCCESS: connections established and closed cleanly.
    success: bool,
    /// LOG_LISTENER_CONN_LOST: connections ended by an error.
    lost: bool,
}

impl ConnectionLog {
    fn established(self, handler: ReceiverHandler, peer: SocketAddr) {
        if self.success {
            let class = handler.class_name();
            info!(target: "listener", "{class} connection with {peer} established");
        }
    }

    fn closed(self, handler: ReceiverHandler, peer: SocketAddr, error: Option<std::io::Error>) {
        let class = handler.class_name();
        match error {
            None if self.success => {
                info!(target: "listener", "{class} connection with {peer} closed cleanly");
            }
            Some(e) if self.lost => {
                info!(target: "listener", "{class} connection with {peer} lost: {e}");
            }
            _ => {}
        }
    }
}

/// `connection`, counted in `activeConnections` while it runs.
fn counted(
    stats: &Arc<Stats>,
    connection: impl std::future::Future<Output = ()> + Send + 'static,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let stats = Arc::clone(stats);
    Stats::shift(&stats.active_connections, 1);
    async move {
        connection.await;
        Stats::shift(&stats.active_connections, -1);
    }
}

/// Re-reads the schemas every 60 s and the lists when their files change (checked every 10 s),
/// and everything at once on `reload` (SIGHUP).
async fn reload_loop(
    files: ConfigFiles,
    schemas: Arc<RwLock<Schemas>>,
    lists: Arc<RwLock<Lists>>,
    reload: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut whitelist_watch = FileWatch::new(&files.whitelist);
    let mut blacklist_watch = FileWatch::new(&files.blacklist);
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut ticks = 0u64;
    loop {
        let forced = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => false,
            _ = reload.notified() => true,
        };
        ticks += 1;
        if forced || ticks.is_multiple_of(6) {
            match load_schemas(&files) {
                Ok(s) => *schemas.write().unwrap_or_else(|e| e.into_inner()) = s,
                Err(e) => error!(error = %e, "cannot reload the schemas; keeping the old ones"),
            }
        }
        if forced || whitelist_watch.changed() {
            let list = load_list(&files.whitelist);
            lists.write().unwrap_or_else(|e| e.into_inner()).whitelist = list;
        }
        if forced || blacklist_watch.changed() {
            let list = load_list(&files.blacklist);
            lists.write().unwrap_or_else(|e| e.into_inner()).blacklist = list;
        }
        if forced {
            info!("configuration reloaded");
        }
    }
}
