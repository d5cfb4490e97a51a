//! The carbonlink client: reads carbon-cache's unflushed points for the metrics a render
//! fetches, as graphite-web 1.1.10's `carbonlink.py` (`CarbonLinkPool`) does, but with one
//! bulk request per cache instead of one request per metric.
//!
//! # Which cache
//! `CARBONLINK_HOSTS` entries are `host:port[:instance]` (IPv6 as `[addr]:port[:instance]`),
//! parsed by [`parse_host`]. A metric's cache is found on a [`ConsistentHashRing`] of the
//! `(host, instance)` pairs (`CARBONLINK_HASHING_TYPE`): among the first
//! `REPLICATION_FACTOR` nodes on distinct servers, one that has not failed recently. Metrics
//! starting with `CARBON_METRIC_PREFIX` (carbon's own metrics, which every cache writes) are
//! asked of every cache and the answers merged, later hosts winning for a timestamp.
//!
//! # Wire
//! Each message is a 4-byte big-endian length and a pickle. Per render and per cache, one
//! `{'type': 'cache-query-bulk', 'metrics': [...]}` is answered with
//! `{'datapointsByMetric': {metric: [(ts, value), ...]}}` (carbon 1.1.x). A cache that does
//! not know bulk queries (or answers one with an error) is asked with pipelined
//! `{'type': 'cache-query', 'metric': m}` requests on the same connection instead, which cost
//! one round trip too. Connections are pooled per cache.
//!
//! # Failures
//! Nothing here fails a render: a cache that cannot be reached, times out (`CARBONLINK_TIMEOUT`
//! for the connect and for each read or write, like the reference's socket timeout) or answers
//! garbage is logged, its metrics get no overlay, and it is skipped for
//! `CARBONLINK_RETRY_DELAY`. An `{'error': ...}` answer is logged and gives no points for that
//! metric. A pooled connection the cache has closed is replaced silently.
//!
//! # Differences from the reference
//! - Bulk queries, concurrent across caches, instead of one sequential request per metric.
//! - A failed cache is skipped for `CARBONLINK_RETRY_DELAY`. The reference's `is_available`
//!   test is inverted (it prefers hosts that failed *recently*) and a single candidate is asked
//!   anyway, so a down cache costs a connect timeout on every metric of every render.
//! - With `REPLICATION_FACTOR` > 1 the candidate is picked by a hash of the metric name among
//!   the available ones, not at random: the same metric goes to the same cache.
//! - Carbon-prefix metrics: a host that is down is skipped rather than failing the whole query,
//!   and a host answering a single point is merged too (the reference ignores answers with
//!   fewer than two points).
//! - `CARBONLINK_HASHING_KEYFUNC` (a Python function) is not supported; the metric name is the
//!   ring key. A duplicate `(host, instance)` in `CARBONLINK_HOSTS` and a bad port are
//!   refused when the client is made instead of failing later; an empty `CARBONLINK_HOSTS`
//!   simply turns the overlay off (the reference raises "REPLICATION_FACTOR=1 cannot exceed
//!   servers=0" on every query and logs it).

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use carbon_hashing::{fnv1a_32, ConsistentHashRing, HashType, Node};
use carbon_proto::pickle::{self, Limits, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

use crate::reader::CachedPoint;

/// Largest response frame accepted (carbon itself accepts requests up to 1 GiB).
pub const MAX_RESPONSE_BYTES: usize = 256 << 20;

/// Most metric names in one bulk request; larger sets are split into several requests on
/// the same connection.
pub const BULK_CHUNK: usize = 10_000;

/// Idle connections kept per cache.
const MAX_IDLE_PER_HOST: usize = 16;

/// One `CARBONLINK_HOSTS` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CarbonLinkHost {
    /// Host name or address (IPv6 without brackets).
    pub server: String,
    /// The cache query port.
    pub port: u16,
    /// The instance name: `None` for `host:port`, `Some("")` for `host:port:`.
    pub instance: Option<String>,
}

impl CarbonLinkHost {
    /// The ring node: `(server, instance)`.
    pub fn node(&self) -> Node {
        Node {
            server: self.server.clone(),
            instance: self.instance.clone(),
        }
    }
}

impl fmt::Display for CarbonLinkHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.server.contains(':') {
            write!(f, "[{}]:{}", self.server, self.port)?;
        } else {
            write!(f, "{}:{}", self.server, self.port)?;
        }
        match &self.instance {
            Some(i) => write!(f, ":{i}"),
            None => Ok(()),
        }
    }
}

/// Why a carbonlink client could not be made from its settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CarbonLinkError {
    /// A `CARBONLINK_HOSTS` entry that is not `host:port[:instance]`.
    #[error("CARBONLINK_HOSTS entry {entry:?}: {reason}")]
    Host {
        /// The entry as written.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The same `(host, instance)` listed twice.
    #[error("CARBONLINK_HOSTS lists {node} twice")]
    Duplicate {
        /// Python's `str((host, instance))`.
        node: String,
    },
    /// `REPLICATION_FACTOR` above the number of distinct servers (the reference's message).
    #[error("REPLICATION_FACTOR={factor} cannot exceed servers={servers}")]
    ReplicationFactor {
        /// The setting.
        factor: usize,
        /// Distinct servers in `CARBONLINK_HOSTS`.
        servers: usize,
    },
}

/// Parses a `CARBONLINK_HOSTS` entry as graphite-web's `parseHost`: `host:port`,
/// `host:port:instance` or `[ipv6]:port[:instance]`, surrounding whitespace ignored. The
/// instance is everything after the port's colon (so `host:port:` has the empty instance).
pub fn parse_host(entry: &str) -> Result<CarbonLinkHost, CarbonLinkError> {
    let bad = |reason: &str| CarbonLinkError::Host {
        entry: entry.to_owned(),
        reason: reason.to_owned(),
    };
    let s = entry.trim();
    let (server, rest) = if let Some(inner) = s.strip_prefix('[') {
        let close = inner
            .rfind("]:")
            .ok_or_else(|| bad("an IPv6 address must be written [address]:port"))?;
        (&inner[..close], &inner[close + 2..])
    } else {
        s.split_once(':')
            .ok_or_else(|| bad("expected host:port[:instance]"))?
    };
    if server.is_empty() {
        return Err(bad("the host is empty"));
    }
    let (port, instance) = match rest.split_once(':') {
        Some((port, instance)) => (port, Some(instance.to_owned())),
        None => (rest, None),
    };
    let port: u16 = port
        .trim()
        .parse()
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| {
            bad(&format!(
                "the port {port:?} is not a number from 1 to 65535"
            ))
        })?;
    Ok(CarbonLinkHost {
        server: server.to_owned(),
        port,
        instance,
    })
}

/// The carbonlink settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CarbonLinkConfig {
    /// `CARBONLINK_HOSTS` entries (default `["127.0.0.1:7002"]`); empty disables the overlay.
    pub hosts: Vec<String>,
    /// `CARBONLINK_TIMEOUT` (1 s).
    pub timeout: Duration,
    /// `CARBONLINK_RETRY_DELAY` (15 s).
    pub retry_delay: Duration,
    /// `CARBONLINK_HASHING_TYPE` (`carbon_ch`).
    pub hashing_type: HashType,
    /// `REPLICATION_FACTOR` (1; 0 acts as 1, as in the reference).
    pub replication_factor: usize,
    /// `CARBON_METRIC_PREFIX` (`carbon`): names starting with it are asked of every cache.
    pub metric_prefix: String,
}

impl Default for CarbonLinkConfig {
    fn default() -> Self {
        CarbonLinkConfig {
            hosts: vec!["127.0.0.1:7002".to_owned()],
            timeout: Duration::from_secs(1),
            retry_delay: Duration::from_secs(15),
            hashing_type: HashType::CarbonCh,
            replication_factor: 1,
            metric_prefix: "carbon".to_owned(),
        }
    }
}

/// One cache's answers: each metric asked with its points.
type Answers = Vec<(String, Vec<CachedPoint>)>;

/// Whether a cache answers bulk queries.
const BULK_UNKNOWN: u8 = 0;
const BULK_YES: u8 = 1;
const BULK_NO: u8 = 2;

#[derive(Debug)]
struct HostState {
    host: CarbonLinkHost,
    idle: Mutex<Vec<TcpStream>>,
    failed_at: Mutex<Option<Instant>>,
    bulk: AtomicU8,
}

#[derive(Debug)]
struct Inner {
    hosts: Vec<HostState>,
    ring: ConsistentHashRing,
    /// Ring node → index in `hosts`.
    by_node: HashMap<Node, usize>,
    timeout: Duration,
    retry_delay: Duration,
    replication_factor: usize,
    metric_prefix: String,
}

/// A carbonlink client: cheap to clone (shared pools and failure state).
#[derive(Debug, Clone)]
pub struct CarbonLink {
    inner: Arc<Inner>,
}

/// What went wrong talking to one cache.
#[derive(Debug)]
enum LinkError {
    Io(io::Error),
    Timeout(&'static str),
    Protocol(String),
}

impl LinkError {
    /// An error that a pooled connection closed by the cache gives on its next use.
    fn is_stale(&self) -> bool {
        matches!(self, LinkError::Io(e) if matches!(
            e.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
        ))
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Io(e) => write!(f, "{e}"),
            LinkError::Timeout(what) => write!(f, "timed out {what}"),
            LinkError::Protocol(why) => write!(f, "bad answer: {why}"),
        }
    }
}

impl From<io::Error> for LinkError {
    fn from(e: io::Error) -> Self {
        LinkError::Io(e)
    }
}

impl CarbonLink {
    /// A client for `config`; fails on a bad host entry, a duplicate `(host, instance)` or a
    /// replication factor above the number of servers. No hosts at all makes a client that
    /// never has cache data. Nothing is connected yet.
    pub fn new(config: &CarbonLinkConfig) -> Result<Self, CarbonLinkError> {
        let mut hosts: Vec<HostState> = Vec::with_capacity(config.hosts.len());
        let mut by_node = HashMap::new();
        let mut ring = ConsistentHashRing::new(config.hashing_type);
        for entry in &config.hosts {
            let host = parse_host(entry)?;
            let node = host.node();
            if by_node.insert(node.clone(), hosts.len()).is_some() {
                return Err(CarbonLinkError::Duplicate {
                    node: node.to_string(),
                });
            }
            ring.add_node(node);
            hosts.push(HostState {
                host,
                idle: Mutex::new(Vec::new()),
                failed_at: Mutex::new(None),
                bulk: AtomicU8::new(BULK_UNKNOWN),
            });
        }
        let mut servers: Vec<&str> = hosts.iter().map(|h| h.host.server.as_str()).collect();
        servers.sort_unstable();
        servers.dedup();
        if !hosts.is_empty() && servers.len() < config.replication_factor {
            return Err(CarbonLinkError::ReplicationFactor {
                factor: config.replication_factor,
                servers: servers.len(),
            });
        }
        Ok(CarbonLink {
            inner: Arc::new(Inner {
                hosts,
                ring,
                by_node,
                timeout: config.timeout,
                retry_delay: config.retry_delay,
                replication_factor: config.replication_factor.max(1),
                metric_prefix: config.metric_prefix.clone(),
            }),
        })
    }

    /// The configured caches, in `CARBONLINK_HOSTS` order.
    pub fn hosts(&self) -> impl Iterator<Item = &CarbonLinkHost> + '_ {
        self.inner.hosts.iter().map(|h| &h.host)
    }

    /// The caches `metric` would be asked of now: every available cache for a carbon-prefix
    /// metric, else the one picked among its replicas (none when they all failed recently).
    pub fn hosts_for(&self, metric: &str) -> Vec<&CarbonLinkHost> {
        self.inner
            .targets(metric)
            .into_iter()
            .map(|i| &self.inner.hosts[i].host)
            .collect()
    }

    /// The cached points of one metric (empty when the cache has none or cannot be asked).
    pub async fn query(&self, metric: &str) -> Vec<CachedPoint> {
        self.query_many(&[metric.to_owned()])
            .await
            .remove(metric)
            .unwrap_or_default()
    }

    /// The cached points of many metrics, in the cache's order: one request per cache, all
    /// caches at once. A metric is absent from the map when no cache could answer for it; an
    /// answered metric with no points has an empty list. Must run inside a tokio runtime (one
    /// task per cache).
    pub async fn query_many(&self, metrics: &[String]) -> HashMap<String, Vec<CachedPoint>> {
        let inner = &self.inner;
        let mut per_host: Vec<Vec<String>> = vec![Vec::new(); inner.hosts.len()];
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for metric in metrics {
            if !seen.insert(metric) {
                continue;
            }
            for h in inner.targets(metric) {
                per_host[h].push(metric.clone());
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (h, names) in per_host.into_iter().enumerate() {
            if names.is_empty() {
                continue;
            }
            let inner = Arc::clone(inner);
            tasks.spawn(async move {
                let answers = inner.ask_host(h, &names).await;
                (h, answers)
            });
        }
        let mut by_host: Vec<Option<Answers>> = (0..inner.hosts.len()).map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((h, answers)) => by_host[h] = answers,
                Err(e) => tracing::warn!("CarbonLink query task failed: {e}"),
            }
        }
        // Merge in host order, so that for carbon-prefix metrics later hosts win as in the
        // reference's dict.update.
        let mut out: HashMap<String, Vec<CachedPoint>> = HashMap::new();
        for answers in by_host.into_iter().flatten() {
            for (metric, points) in answers {
                match out.get_mut(&metric) {
                    Some(existing) => merge_points(existing, points),
                    None => {
                        out.insert(metric, points);
                    }
                }
            }
        }
        out
    }
}

/// `dict.update` of `{ts: value}` pairs: existing timestamps keep their place and take the
/// new value, new ones are appended.
fn merge_points(existing: &mut Vec<CachedPoint>, new: Vec<CachedPoint>) {
    let key = |ts: f64| (ts + 0.0).to_bits();
    let mut index: HashMap<u64, usize> = existing
        .iter()
        .enumerate()
        .map(|(i, &(ts, _))| (key(ts), i))
        .collect();
    for (ts, v) in new {
        match index.get(&key(ts)) {
            Some(&i) => existing[i].1 = v,
            None => {
                index.insert(key(ts), existing.len());
                existing.push((ts, v));
            }
        }
    }
}

impl Inner {
    fn available(&self, h: usize) -> bool {
        let failed = *self.hosts[h].failed_at.lock().expect("failure lock");
        failed.is_none_or(|t| t.elapsed() >= self.retry_delay)
    }

    /// Hosts to ask for `metric`.
    fn targets(&self, metric: &str) -> Vec<usize> {
        if self.hosts.is_empty() {
            return Vec::new();
        }
        if metric.starts_with(&self.metric_prefix) {
            return (0..self.hosts.len())
                .filter(|&h| self.available(h))
                .collect();
        }
        let candidates: Vec<usize> = self
            .ring
            .get_diverse_nodes(metric, self.replication_factor)
            .into_iter()
            .map(|n| self.by_node[n])
            .filter(|&h| self.available(h))
            .collect();
        match candidates.len() {
            0 => Vec::new(),
            1 => candidates,
            n => vec![candidates[fnv1a_32(metric.as_bytes()) as usize % n]],
        }
    }

    fn fail(&self, h: usize, err: &LinkError) {
        let state = &self.hosts[h];
        *state.failed_at.lock().expect("failure lock") = Some(Instant::now());
        state.idle.lock().expect("pool lock").clear();
        state.bulk.store(BULK_UNKNOWN, Ordering::Relaxed);
        tracing::warn!(
            "CarbonLink: cache {} failed ({err}); no cache data from it for {:?}",
            state.host,
            self.retry_delay
        );
    }

    /// Asks host `h` for `metrics`; `None` when it failed.
    async fn ask_host(&self, h: usize, metrics: &[String]) -> Option<Answers> {
        let state = &self.hosts[h];
        loop {
            let pooled = state.idle.lock().expect("pool lock").pop();
            let reused = pooled.is_some();
            let mut conn = match pooled {
                Some(c) => c,
                None => match self.connect(&state.host).await {
                    Ok(c) => c,
                    Err(e) => {
                        self.fail(h, &e);
                        return None;
                    }
                },
            };
            match self.converse(state, &mut conn, metrics).await {
                Ok(answers) => {
                    let mut idle = state.idle.lock().expect("pool lock");
                    if idle.len() < MAX_IDLE_PER_HOST {
                        idle.push(conn);
                    }
                    return Some(answers);
                }
                // The cache closed a pooled connection: try the next one (or a new one).
                Err(e) if reused && e.is_stale() => {
                    tracing::debug!("CarbonLink: pooled connection to {} was closed", state.host);
                }
                Err(e) => {
                    self.fail(h, &e);
                    return None;
                }
            }
        }
    }

    /// `socket.create_connection((server, port), timeout)`: each resolved address in turn.
    async fn connect(&self, host: &CarbonLinkHost) -> Result<TcpStream, LinkError> {
        let addrs = timeout(
            self.timeout,
            tokio::net::lookup_host((host.server.as_str(), host.port)),
        )
        .await
        .map_err(|_| LinkError::Timeout("resolving the host"))??;
        let mut last = LinkError::Io(io::Error::new(
            io::ErrorKind::NotFound,
            "the host name resolved to no address",
        ));
        for addr in addrs {
            let socket = if addr.is_ipv4() {
                TcpSocket::new_v4()?
            } else {
                TcpSocket::new_v6()?
            };
            socket.set_keepalive(true)?;
            match timeout(self.timeout, socket.connect(addr)).await {
                Ok(Ok(stream)) => {
                    stream.set_nodelay(true)?;
                    return Ok(stream);
                }
                Ok(Err(e)) => last = LinkError::Io(e),
                Err(_) => last = LinkError::Timeout("connecting"),
            }
        }
        Err(last)
    }

    /// One render's worth of queries on one connection.
    async fn converse(
        &self,
        state: &HostState,
        conn: &mut TcpStream,
        metrics: &[String],
    ) -> Result<Answers, LinkError> {
        if state.bulk.load(Ordering::Relaxed) == BULK_NO {
            return self.singles(state, conn, metrics).await;
        }
        let mut out = Vec::with_capacity(metrics.len());
        for chunk in metrics.chunks(BULK_CHUNK) {
            let request = Value::Dict(vec![
                (str_value("type"), str_value("cache-query-bulk")),
                (
                    str_value("metrics"),
                    Value::List(chunk.iter().map(|m| str_value(m)).collect()),
                ),
            ]);
            let frame = frame(&request)?;
            write_timed(conn, &frame, self.timeout).await?;
            let reply = read_frame(conn, self.timeout).await?;
            if let Some(msg) = reply.get("error") {
                let msg = msg.py_str();
                if msg.contains("Invalid request type") {
                    state.bulk.store(BULK_NO, Ordering::Relaxed);
                    tracing::debug!("CarbonLink: {} has no bulk queries: {msg}", state.host);
                } else {
                    tracing::warn!(
                        "CarbonLink: error from cache {} for a bulk query: {msg}",
                        state.host
                    );
                }
                out.extend(self.singles(state, conn, chunk).await?);
                continue;
            }
            let Some(Value::Dict(by_metric)) = reply.get("datapointsByMetric") else {
                return Err(LinkError::Protocol(
                    "a bulk answer without a datapointsByMetric dict".to_owned(),
                ));
            };
            state.bulk.store(BULK_YES, Ordering::Relaxed);
            let mut found: HashMap<&str, &Value> = HashMap::with_capacity(by_metric.len());
            for (k, v) in by_metric {
                if let Some(k) = k.as_str() {
                    found.insert(k, v);
                }
            }
            for metric in chunk {
                let points = match found.get(metric.as_str()) {
                    Some(v) => parse_points(v).map_err(LinkError::Protocol)?,
                    None => Vec::new(),
                };
                out.push((metric.clone(), points));
            }
        }
        Ok(out)
    }

    /// Pipelined `cache-query` requests: all written while the answers are read.
    async fn singles(
        &self,
        state: &HostState,
        conn: &mut TcpStream,
        metrics: &[String],
    ) -> Result<Answers, LinkError> {
        let mut frames = Vec::new();
        for metric in metrics {
            let request = Value::Dict(vec![
                (str_value("type"), str_value("cache-query")),
                (str_value("metric"), str_value(metric)),
            ]);
            frames.extend(frame(&request)?);
        }
        let (mut reader, mut writer) = conn.split();
        let write = write_timed(&mut writer, &frames, self.timeout);
        let read = async {
            let mut out = Vec::with_capacity(metrics.len());
            for metric in metrics {
                let reply = read_frame(&mut reader, self.timeout).await?;
                if let Some(msg) = reply.get("error") {
                    tracing::warn!(
                        "CarbonLink: error from cache {} for {metric}: {}",
                        state.host,
                        msg.py_str()
                    );
                    out.push((metric.clone(), Vec::new()));
                    continue;
                }
                let points = reply.get("datapoints").ok_or_else(|| {
                    LinkError::Protocol("an answer without datapoints".to_owned())
                })?;
                out.push((
                    metric.clone(),
                    parse_points(points).map_err(LinkError::Protocol)?,
                ));
            }
            Ok::<_, LinkError>(out)
        };
        let (written, read) = tokio::join!(write, read);
        written?;
        read
    }
}

fn str_value(s: &str) -> Value {
    Value::Str(s.to_owned())
}

/// A length-prefixed pickle.
fn frame(request: &Value) -> Result<Vec<u8>, LinkError> {
    let body = pickle::encode(request);
    let len = u32::try_from(body.len())
        .map_err(|_| LinkError::Protocol("request too large".to_owned()))?;
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

async fn write_timed<W: AsyncWrite + Unpin>(
    w: &mut W,
    data: &[u8],
    limit: Duration,
) -> Result<(), LinkError> {
    // Like a socket timeout: each write call must make progress within the limit.
    let mut sent = 0;
    while sent < data.len() {
        let n = timeout(limit, w.write(&data[sent..]))
            .await
            .map_err(|_| LinkError::Timeout("sending the request"))??;
        if n == 0 {
            return Err(LinkError::Io(io::ErrorKind::WriteZero.into()));
        }
        sent += n;
    }
    Ok(())
}

async fn read_exact_timed<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut [u8],
    limit: Duration,
) -> Result<(), LinkError> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = timeout(limit, r.read(&mut buf[filled..]))
            .await
            .map_err(|_| LinkError::Timeout("waiting for the answer"))??;
        if n == 0 {
            return Err(LinkError::Io(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "Connection lost",
            )));
        }
        filled += n;
    }
    Ok(())
}

/// Reads one length-prefixed pickle and decodes it.
async fn read_frame<R: AsyncRead + Unpin>(r: &mut R, limit: Duration) -> Result<Value, LinkError> {
    let mut prefix = [0u8; 4];
    read_exact_timed(r, &mut prefix, limit).await?;
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_RESPONSE_BYTES {
        return Err(LinkError::Protocol(format!(
            "an answer of {len} bytes (the limit is {MAX_RESPONSE_BYTES})"
        )));
    }
    let mut body = vec![0u8; len];
    read_exact_timed(r, &mut body, limit).await?;
    let value = pickle::decode_with_limits(&body, Limits::for_frame_len(len))
        .map_err(|e| LinkError::Protocol(e.to_string()))?;
    if !matches!(value, Value::Dict(_)) {
        return Err(LinkError::Protocol(format!(
            "the answer is a {}, not a dict",
            value.type_name()
        )));
    }
    Ok(value)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Int(i) => Some(*i as f64),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::BigInt(s) => s.parse().ok(),
        _ => None,
    }
}

/// `[(ts, value), ...]`; pairs that are not two numbers are skipped.
fn parse_points(v: &Value) -> Result<Vec<CachedPoint>, String> {
    let items = match v {
        Value::List(items) | Value::Tuple(items) => items,
        other => return Err(format!("datapoints is a {}", other.type_name())),
    };
    Ok(items
        .iter()
        .filter_map(|p| match p {
            Value::Tuple(pair) | Value::List(pair) if pair.len() == 2 => {
                Some((number(&pair[0])?, number(&pair[1])?))
            }
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let h = parse_host(" 127.0.0.1:7002 ").unwrap();
        assert_eq!(
            (h.server.as_str(), h.port, h.instance),
            ("127.0.0.1", 7002, None)
        );
        let h = parse_host("cache:7102:a").unwrap();
        assert_eq!(h.instance.as_deref(), Some("a"));
        let h = parse_host("cache:7102:").unwrap();
        assert_eq!(h.instance.as_deref(), Some(""));
        let h = parse_host("[::1]:7002:b").unwrap();
        assert_eq!((h.server.as_str(), h.port), ("::1", 7002));
        assert_eq!(h.to_string(), "[::1]:7002:b");
        let h = parse_host("[fe80::1]:7002").unwrap();
        assert_eq!((h.server.as_str(), h.instance), ("fe80::1", None));
        for bad in [
            "localhost",
            "7002",
            ":7002",
            "h:",
            "h:x",
            "h:70000",
            "h:0",
            "[::1]",
            "::1:7002",
            "[::1]7002",
        ] {
            assert!(parse_host(bad).is_err(), "{bad}");
        }
        let e = parse_host("h:x").unwrap_err().to_string();
        assert!(e.contains("\"h:x\"") && e.contains("port"), "{e}");
    }

    #[test]
    fn config_errors() {
        let config = |hosts: &[&str], rf| CarbonLinkConfig {
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            replication_factor: rf,
            ..CarbonLinkConfig::default()
        };
        assert!(CarbonLink::new(&config(&[], 0)).is_ok());
        assert!(CarbonLink::new(&config(&[], 1)).is_ok());
        assert_eq!(
            CarbonLink::new(&config(&["a:1:x", "a:2:y"], 2)).unwrap_err(),
            CarbonLinkError::ReplicationFactor {
                factor: 2,
                servers: 1
            }
        );
        assert_eq!(
            CarbonLink::new(&config(&["a:1:x", "a:2:x"], 1)).unwrap_err(),
            CarbonLinkError::Duplicate {
                node: "('a', 'x')".into()
            }
        );
        assert!(CarbonLink::new(&config(&["a:1:x", "a:2"], 1)).is_ok());
    }

    #[test]
    fn merge_like_dict_update() {
        let mut a = vec![(1.0, 1.0), (2.0, 2.0)];
        merge_points(&mut a, vec![(3.0, 3.0), (1.0, 9.0)]);
        assert_eq!(a, vec![(1.0, 9.0), (2.0, 2.0), (3.0, 3.0)]);
    }

    #[test]
    fn points() {
        let v = Value::List(vec![
            Value::Tuple(vec![Value::Float(1.5), Value::Int(2)]),
            Value::Tuple(vec![Value::Int(3)]),
            Value::List(vec![Value::Int(4), Value::Str("x".into())]),
        ]);
        assert_eq!(parse_points(&v), Ok(vec![(1.5, 2.0)]));
        assert!(parse_points(&Value::None).is_err());
    }
}
