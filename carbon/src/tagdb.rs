//! TagDB registration: series the writer creates or updates are posted to graphite-web's tag
//! API (`GRAPHITE_URL/tags/tagMultiSeries`) in batches (`carbon.writer.TagQueue` and
//! `TimeSeriesDatabase.tag` in the reference).
//!
//! [`TagQueue`] holds two bounded queues: the add queue (a file was just created) and the
//! update queue (every TAG_UPDATE_INTERVAL-th successful write of a series, one counter for all
//! series, as in the reference). [`TagSender`] is a thread that takes batches of up to
//! TAG_BATCH_SIZE names (adds first) and posts each as a form with one `path` field per name.
//!
//! Unlike the reference, which logs a failed post and drops its batch, a batch that fails (the
//! webapp is down, times out or answers other than 2xx) is kept and posted again after a
//! backoff, so a webapp that is down only delays registration. Names keep arriving meanwhile
//! and wait in the bounded queues.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};

/// What the queues are configured with.
#[derive(Debug, Clone, Copy)]
pub struct TagQueueConfig {
    /// TAG_QUEUE_SIZE: the bound of each queue (0: unbounded, as Python's `Queue(0)`).
    pub queue_size: usize,
    /// TAG_UPDATE_INTERVAL: one write in this many is queued for an update (0 is taken as 1).
    pub update_interval: u64,
    /// SKIP_TAGS_FOR_NONTAGGED: only names with tags (containing `;`) are queued.
    pub skip_tags_for_nontagged: bool,
}

#[derive(Debug, Default)]
struct Queues {
    add: VecDeque<String>,
    update: VecDeque<String>,
    update_counter: u64,
}

/// The add and update queues, shared by the writer threads and the sender.
#[derive(Debug)]
pub struct TagQueue {
    config: TagQueueConfig,
    queues: Mutex<Queues>,
    /// Names dropped because their queue was full.
    dropped: AtomicU64,
    /// Names posted successfully.
    sent: AtomicU64,
    /// Posts that failed (their batch is retried).
    failed_posts: AtomicU64,
}

impl TagQueue {
    /// Empty queues.
    pub fn new(config: TagQueueConfig) -> Self {
        TagQueue {
            config,
            queues: Mutex::default(),
            dropped: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            failed_posts: AtomicU64::new(0),
        }
    }

    fn wanted(&self, metric: &str) -> bool {
        !self.config.skip_tags_for_nontagged || metric.contains(';')
    }

    fn push(&self, queue: &mut VecDeque<String>, metric: &str) {
        if self.config.queue_size != 0 && queue.len() >= self.config.queue_size {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            queue.push_back(metric.to_owned());
        }
    }

    /// A file was created for `metric`: queue it for registration.
    pub fn add(&self, metric: &str) {
        if self.wanted(metric) {
            self.push(&mut lock(&self.queues).add, metric);
        }
    }

    /// `metric` was written: every TAG_UPDATE_INTERVAL-th such call (counted over all series
    /// that pass the filter) queues its name for an update.
    pub fn update(&self, metric: &str) {
        if !self.wanted(metric) {
            return;
        }
        let mut q = lock(&self.queues);
        q.update_counter = q.update_counter % self.config.update_interval.max(1) + 1;
        if q.update_counter == 1 {
            self.push(&mut q.update, metric);
        }
    }

    /// Takes up to `max` names: the add queue's first, then the update queue's.
    pub fn get_batch(&self, max: usize) -> Vec<String> {
        let mut q = lock(&self.queues);
        let from_add = q.add.len().min(max);
        let mut batch: Vec<String> = q.add.drain(..from_add).collect();
        let from_update = q.update.len().min(max - batch.len());
        batch.extend(q.update.drain(..from_update));
        batch
    }

    /// Names waiting in both queues.
    pub fn len(&self) -> usize {
        let q = lock(&self.queues);
        q.add.len() + q.update.len()
    }

    /// Whether both queues are empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Names dropped because their queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Names registered successfully.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Posts that failed and were retried.
    pub fn failed_posts(&self) -> u64 {
        self.failed_posts.load(Ordering::Relaxed)
    }
}

/// What the sender is configured with.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// GRAPHITE_URL (the webapp's base URL, e.g. `http://127.0.0.1:80`).
    pub graphite_url: String,
    /// TAG_BATCH_SIZE (0 is taken as 1).
    pub batch_size: usize,
    /// Timeout of one post (the reference's 5 s).
    pub timeout: Duration,
    /// Pause once the queues are empty (the reference's 0.2 s).
    pub pause: Duration,
    /// First wait after a failed post; doubled after each further failure.
    pub min_backoff: Duration,
    /// Longest wait between retries.
    pub max_backoff: Duration,
    /// For an https GRAPHITE_URL: a PEM bundle of the certificates to trust instead of the
    /// Mozilla roots built in (the reference's urllib3 honours SSL_CERT_FILE the same way).
    pub ca_file: Option<PathBuf>,
}

impl SenderConfig {
    /// The reference's timings for `graphite_url` and TAG_BATCH_SIZE, with retries after
    /// 0.5 s up to 30 s.
    pub fn new(graphite_url: &str, batch_size: usize) -> Self {
        SenderConfig {
            graphite_url: graphite_url.to_owned(),
            batch_size,
            timeout: Duration::from_secs(5),
            pause: Duration::from_millis(200),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            ca_file: std::env::var_os("SSL_CERT_FILE")
                .filter(|f| !f.is_empty())
                .map(PathBuf::from),
        }
    }

    fn endpoint(&self) -> String {
        format!(
            "{}/tags/tagMultiSeries",
            self.graphite_url.trim_end_matches('/')
        )
    }
}

/// `None` while running; the deadline of the final flush once stopping.
#[derive(Debug, Default)]
struct Stop {
    deadline: Mutex<Option<Instant>>,
    wake: Condvar,
}

impl Stop {
    fn deadline(&self) -> Option<Instant> {
        *lock(&self.deadline)
    }

    /// Sleeps `d`, or less when a stop is asked meanwhile.
    fn sleep(&self, d: Duration) {
        let guard = lock(&self.deadline);
        if guard.is_none() {
            let _ = self.wake.wait_timeout_while(guard, d, |s| s.is_none());
        }
    }
}

/// The thread that posts the queued names to the webapp.
#[derive(Debug)]
pub struct TagSender {
    stop: Arc<Stop>,
    thread: JoinHandle<()>,
}

impl TagSender {
    /// Starts the sender thread over `queue`.
    pub fn spawn(queue: Arc<TagQueue>, config: SenderConfig) -> std::io::Result<Self> {
        let stop = Arc::new(Stop::default());
        let s = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("tagdb".into())
            .spawn(move || run(&queue, &config, &s))?;
        Ok(TagSender { stop, thread })
    }

    /// Stops the sender: it makes a last attempt to post what is queued (a failed batch
    /// included), for at most `grace`, then the thread ends. Blocks until it has.
    pub fn stop(self, grace: Duration) {
        *lock(&self.stop.deadline) = Some(Instant::now() + grace);
        self.stop.wake.notify_all();
        if self.thread.join().is_err() {
            warn!("the tagdb thread panicked");
        }
    }
}

/// The TLS settings of an https GRAPHITE_URL: the roots of `ca_file` when given and readable,
/// else the Mozilla roots.
fn tls_config(ca_file: Option<&Path>) -> TlsConfig {
    let builder = TlsConfig::builder();
    let Some(path) = ca_file else {
        return builder.build();
    };
    let certs: Result<Vec<Certificate<'static>>, String> = std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|pem| {
            parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e.to_string())),
                })
                .collect()
        });
    match certs {
        Ok(certs) if !certs.is_empty() => builder
            .root_certs(RootCerts::new_with_certs(&certs))
            .build(),
        Ok(_) => {
            warn!(target: "tagdb", path = %path.display(), "no certificate in SSL_CERT_FILE; using the built-in roots");
            builder.build()
        }
        Err(e) => {
            warn!(target: "tagdb", path = %path.display(), error = %e, "cannot read SSL_CERT_FILE; using the built-in roots");
            builder.build()
        }
    }
}

fn run(queue: &TagQueue, config: &SenderConfig, stop: &Stop) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls_config(config.ca_file.as_deref()))
        .build()
        .into();
    let url = config.endpoint();
    let batch_size = config.batch_size.max(1);
    let mut pending: Vec<String> = Vec::new();
    let mut backoff = config.min_backoff;
    loop {
        let deadline = stop.deadline();
        if pending.is_empty() {
            pending = queue.get_batch(batch_size);
        }
        if pending.is_empty() {
            if deadline.is_some() {
                return;
            }
            stop.sleep(config.pause);
            continue;
        }
        let timeout = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    let lost = pending.len() + queue.len();
                    warn!(
                        series = lost,
                        "shutdown: could not register every series with the TagDB in time"
                    );
                    return;
                }
                left.min(config.timeout)
            }
            None => config.timeout,
        };
        match post(&agent, &url, &pending, timeout) {
            Ok(()) => {
                debug!(target: "tagdb", "tagged {}", pending.join(", "));
                queue
                    .sent
                    .fetch_add(pending.len() as u64, Ordering::Relaxed);
                pending.clear();
                backoff = config.min_backoff;
            }
            Err(e) => {
                queue.failed_posts.fetch_add(1, Ordering::Relaxed);
                info!(target: "tagdb", series = pending.len(), error = %e, retry_in = ?backoff, "error tagging series; will retry");
                if deadline.is_none() {
                    stop.sleep(backoff);
                    backoff = (backoff * 2).min(config.max_backoff);
                } else {
                    // Shutting down: keep trying until the deadline, without long waits.
                    std::thread::sleep(config.min_backoff.min(Duration::from_millis(100)));
                }
            }
        }
    }
}

fn post(
    agent: &ureq::Agent,
    url: &str,
    series: &[String],
    timeout: Duration,
) -> Result<(), String> {
    let response = agent
        .post(url)
        .config()
        .timeout_global(Some(timeout))
        .build()
        .send_form(series.iter().map(|s| ("path", s.as_str())))
        .map_err(|e| format!("error requesting {url}: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("error response {} from {url}", status.as_u16()))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    fn queue(size: usize, interval: u64, skip: bool) -> TagQueue {
        TagQueue::new(TagQueueConfig {
            queue_size: size,
            update_interval: interval,
            skip_tags_for_nontagged: skip,
        })
    }

    #[test]
    fn adds_come_first_and_batches_are_bounded() {
        let q = queue(100, 1, true);
        q.update("u1;a=b");
        q.add("a1;a=b");
        q.update("u2;a=b");
        q.add("a2;a=b");
        q.add("a3;a=b");
        assert_eq!(q.len(), 5);
        assert_eq!(q.get_batch(2), ["a1;a=b", "a2;a=b"]);
        assert_eq!(q.get_batch(2), ["a3;a=b", "u1;a=b"]);
        assert_eq!(q.get_batch(10), ["u2;a=b"]);
        assert!(q.get_batch(10).is_empty());
        assert!(q.is_empty());
    }

    #[test]
    fn untagged_names_are_skipped_unless_configured() {
        let q = queue(100, 1, true);
        q.add("plain.metric");
        q.update("plain.metric");
        assert!(q.is_empty());
        let q = queue(100, 1, false);
        q.add("plain.metric");
        q.update("plain.metric");
        assert_eq!(q.get_batch(10), ["plain.metric", "plain.metric"]);
    }

    #[test]
    fn every_interval_th_update_is_queued_with_one_counter() {
        let q = queue(100, 3, true);
        for i in 0..7 {
            q.update(&format!("m{i};t=v"));
            // Untagged names do not move the counter.
            q.update("plain");
        }
        assert_eq!(q.get_batch(10), ["m0;t=v", "m3;t=v", "m6;t=v"]);
        // An interval of 0 behaves as 1: every write.
        let q = queue(100, 0, true);
        q.update("a;t=v");
        q.update("b;t=v");
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn full_queues_drop_and_count() {
        let q = queue(2, 1, true);
        for i in 0..5 {
            q.add(&format!("a{i};t=v"));
            q.update(&format!("u{i};t=v"));
        }
        assert_eq!(q.len(), 4);
        assert_eq!(q.dropped(), 6);
        assert_eq!(q.get_batch(10), ["a0;t=v", "a1;t=v", "u0;t=v", "u1;t=v"]);
        // Unbounded with 0.
        let q = queue(0, 1, true);
        for i in 0..1000 {
            q.add(&format!("a{i};t=v"));
        }
        assert_eq!((q.len(), q.dropped()), (1000, 0));
    }

    fn form_decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }

    /// One request the fake webapp received.
    #[derive(Debug)]
    struct Request {
        head: String,
        paths: Vec<String>,
    }

    /// A fake webapp on `listener`: answers every request with `status` and reports it.
    fn serve(listener: TcpListener, status: u16, seen: std::sync::mpsc::Sender<Request>) {
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let body = String::from_utf8(body).unwrap();
                let paths = body
                    .split('&')
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').unwrap();
                        assert_eq!(k, "path");
                        form_decode(v)
                    })
                    .collect();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]"
                );
                if seen.send(Request { head, paths }).is_err() {
                    return;
                }
            }
        });
    }

    fn fast(url: String, batch_size: usize) -> SenderConfig {
        SenderConfig {
            graphite_url: url,
            batch_size,
            timeout: Duration::from_secs(5),
            pause: Duration::from_millis(20),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            ca_file: None,
        }
    }

    #[test]
    fn tls_roots_come_from_the_ca_file_or_the_built_in_list() {
        assert!(matches!(tls_config(None).root_certs(), RootCerts::WebPki));
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        assert!(matches!(
            tls_config(Some(&missing)).root_certs(),
            RootCerts::WebPki
        ));
        let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/tls/ca.pem");
        match tls_config(Some(&ca)).root_certs() {
            RootCerts::Specific(certs) => assert_eq!(certs.len(), 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn posts_batches_as_repeated_path_fields() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        serve(listener, 200, tx);
        let q = Arc::new(queue(100, 1, true));
        q.add("foo.bar;a=1 2&b");
        q.add("x;y=%z");
        q.add("third;t=v");
        let sender = TagSender::spawn(Arc::clone(&q), fast(url, 2)).unwrap();
        let first = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(
            first
                .head
                .starts_with("POST /tags/tagMultiSeries HTTP/1.1\r\n"),
            "{}",
            first.head
        );
        assert!(first
            .head
            .to_ascii_lowercase()
            .contains("content-type: application/x-www-form-urlencoded"));
        assert_eq!(first.paths, ["foo.bar;a=1 2&b", "x;y=%z"]);
        let second = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(second.paths, ["third;t=v"]);
        sender.stop(Duration::from_secs(2));
        assert_eq!(q.sent(), 3);
    }

    #[test]
    fn a_webapp_that_is_down_at_first_still_gets_every_series() {
        // A port nothing listens on for now: connections are refused.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let q = Arc::new(queue(1000, 1, true));
        let expected: Vec<String> = (0..25).map(|i| format!("s{i};t=v")).collect();
        for s in &expected {
            q.add(s);
        }
        let sender =
            TagSender::spawn(Arc::clone(&q), fast(format!("http://127.0.0.1:{port}"), 10)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(q.failed_posts() > 0);
        assert_eq!(q.sent(), 0);
        // First the webapp answers with an error, then it works.
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        serve(listener, 500, tx);
        let failed = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(failed.paths.len(), 10);
        drop(rx);
        // The 500 server stops at its next request, freeing the port; then a good one comes up.
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => break l,
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        let (tx, rx) = std::sync::mpsc::channel();
        serve(listener, 200, tx);
        let mut got = Vec::new();
        while got.len() < expected.len() {
            got.extend(rx.recv_timeout(Duration::from_secs(5)).unwrap().paths);
        }
        sender.stop(Duration::from_secs(2));
        got.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(q.sent(), 25);
    }

    #[test]
    fn stop_posts_what_is_queued_and_gives_up_at_the_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        serve(listener, 200, tx);
        let q = Arc::new(queue(100, 1, true));
        let mut config = fast(url, 100);
        config.pause = Duration::from_secs(60);
        let sender = TagSender::spawn(Arc::clone(&q), config).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        q.add("late;t=v");
        sender.stop(Duration::from_secs(2));
        assert_eq!(rx.try_recv().unwrap().paths, ["late;t=v"]);

        // Nothing listening: stop returns at its deadline.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let q = Arc::new(queue(100, 1, true));
        q.add("lost;t=v");
        let sender =
            TagSender::spawn(Arc::clone(&q), fast(format!("http://127.0.0.1:{port}"), 10)).unwrap();
        let started = Instant::now();
        sender.stop(Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(q.sent(), 0);
    }
}
