//! [`webapp::carbonlink`] against fake carbonlink servers (tokio listeners on port 0 that
//! answer as carbon-cache 1.1.10, or misbehave on purpose): ring routing with one bulk request
//! per cache, connection reuse, the fallback to single queries, error answers, timeouts, a
//! down cache, the retry delay, stale pooled connections and carbon-prefix metrics.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use carbon_hashing::{ConsistentHashRing, HashType};
use carbon_proto::carbonlink::{Request, Response, TimestampKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use webapp::carbonlink::{parse_host, CarbonLink, CarbonLinkConfig};

/// How a fake cache answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// As carbon 1.1.10.
    Normal,
    /// As a carbon without bulk queries: `Invalid request type "cache-query-bulk"`.
    NoBulk,
    /// Answers bulk queries with an error, and single queries for `bad.*` with an error.
    Errors,
    /// Reads requests and never answers.
    Silent,
    /// Answers, then closes the connection.
    CloseAfterEach,
    /// Answers with bytes that are not a pickle.
    Garbage,
}

#[derive(Debug, Default)]
struct Record {
    connections: AtomicUsize,
    requests: Mutex<Vec<Request>>,
}

impl Record {
    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn bulk_requests(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| matches!(r, Request::CacheQueryBulk { .. }))
            .count()
    }

    fn single_requests(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| matches!(r, Request::CacheQuery { .. }))
            .count()
    }
}

struct Fake {
    addr: SocketAddr,
    record: Arc<Record>,
}

type Data = Arc<HashMap<String, Vec<(f64, f64)>>>;

async fn fake(bind: &str, mode: Mode, data: Data) -> Fake {
    let listener = TcpListener::bind(bind).await.expect("bind fake");
    let addr = listener.local_addr().unwrap();
    let record = Arc::new(Record::default());
    let rec = Arc::clone(&record);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            rec.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream, mode, Arc::clone(&data), Arc::clone(&rec)));
        }
    });
    Fake { addr, record }
}

async fn serve(mut stream: TcpStream, mode: Mode, data: Data, record: Arc<Record>) {
    loop {
        let mut len = [0u8; 4];
        if stream.read_exact(&mut len).await.is_err() {
            return;
        }
        let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        let request = Request::decode(&body).expect("a valid request");
        record.requests.lock().unwrap().push(request.clone());
        let points = |m: &str| data.get(m).cloned().unwrap_or_default();
        let response = match (&request, mode) {
            (_, Mode::Silent) => continue,
            (Request::CacheQueryBulk { .. }, Mode::NoBulk) => {
                Response::invalid_type("cache-query-bulk")
            }
            (Request::CacheQueryBulk { .. }, Mode::Errors) => {
                Response::Error("Traceback: something broke".into())
            }
            (Request::CacheQuery { metric }, Mode::Errors) if metric.starts_with("bad.") => {
                Response::Error(format!("no {metric}"))
            }
            (Request::CacheQuery { metric }, _) => Response::Datapoints(points(metric)),
            (Request::CacheQueryBulk { metrics }, _) => Response::DatapointsByMetric(
                metrics.iter().map(|m| (m.clone(), points(m))).collect(),
            ),
            _ => Response::Error("unexpected".into()),
        };
        let payload = if mode == Mode::Garbage {
            b"not a pickle".to_vec()
        } else {
            response.encode(TimestampKind::Float)
        };
        let mut out = (payload.len() as u32).to_be_bytes().to_vec();
        out.extend(payload);
        if stream.write_all(&out).await.is_err() {
            return;
        }
        if mode == Mode::CloseAfterEach {
            return;
        }
    }
}

fn config(hosts: Vec<String>) -> CarbonLinkConfig {
    CarbonLinkConfig {
        hosts,
        timeout: Duration::from_millis(300),
        retry_delay: Duration::from_millis(600),
        ..CarbonLinkConfig::default()
    }
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("servers.web{i}.cpu.load")).collect()
}

/// Every metric in `names` with one point whose value is `value`.
fn data_for(names: &[String], value: f64) -> Data {
    Arc::new(
        names
            .iter()
            .enumerate()
            .map(|(i, m)| (m.clone(), vec![(1000.0 + i as f64, value)]))
            .collect(),
    )
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn one_bulk_request_per_cache_routed_by_the_ring() {
    let metrics = names(1000);
    let mut fakes = Vec::new();
    let mut hosts = Vec::new();
    for (i, instance) in ["a", "b", "c"].iter().enumerate() {
        let f = fake("127.0.0.1:0", Mode::Normal, data_for(&metrics, i as f64)).await;
        hosts.push(format!("127.0.0.1:{}:{instance}", f.addr.port()));
        fakes.push(f);
    }
    let link = CarbonLink::new(&config(hosts.clone())).unwrap();
    let ring = ConsistentHashRing::from_nodes(
        hosts.iter().map(|h| parse_host(h).unwrap().node()),
        HashType::CarbonCh,
    );
    let started = Instant::now();
    let got = link.query_many(&metrics).await;
    eprintln!("1000 metrics from 3 caches in {:?}", started.elapsed());
    assert_eq!(got.len(), 1000);
    for (i, m) in metrics.iter().enumerate() {
        let owner = ring.get_node(m).unwrap();
        let want = ["a", "b", "c"]
            .iter()
            .position(|x| owner.instance.as_deref() == Some(x))
            .unwrap() as f64;
        assert_eq!(got[m], vec![(1000.0 + i as f64, want)], "{m}");
    }
    let mut total = 0;
    for f in &fakes {
        assert_eq!(f.record.connections(), 1);
        let requests = f.record.requests();
        assert_eq!(requests.len(), 1, "one round trip per cache");
        let Request::CacheQueryBulk { metrics: asked } = &requests[0] else {
            panic!("{requests:?}")
        };
        total += asked.len();
    }
    assert_eq!(total, 1000);

    // Again: the pooled connections are reused.
    let again = link.query_many(&metrics).await;
    assert_eq!(again, got);
    for f in &fakes {
        assert_eq!((f.record.connections(), f.record.bulk_requests()), (1, 2));
    }
    // query() of one metric; a duplicate name is asked once.
    let one = link.query(&metrics[5]).await;
    assert_eq!(one, got[&metrics[5]]);
    let dup = link
        .query_many(&[metrics[7].clone(), metrics[7].clone()])
        .await;
    assert_eq!(dup.len(), 1);
    let unknown = link.query("not.in.cache").await;
    assert!(unknown.is_empty());
}

#[tokio::test]
async fn falls_back_to_pipelined_single_queries() {
    let metrics = names(50);
    let f = fake("127.0.0.1:0", Mode::NoBulk, data_for(&metrics, 7.0)).await;
    let link = CarbonLink::new(&config(vec![format!("127.0.0.1:{}", f.addr.port())])).unwrap();
    let got = link.query_many(&metrics).await;
    assert_eq!(got.len(), 50);
    assert!(got.values().all(|p| p.len() == 1 && p[0].1 == 7.0));
    assert_eq!(
        (f.record.bulk_requests(), f.record.single_requests()),
        (1, 50)
    );
    // The cache is remembered as bulk-less: no bulk request the second time.
    let again = link.query_many(&metrics).await;
    assert_eq!(again, got);
    assert_eq!(
        (f.record.bulk_requests(), f.record.single_requests()),
        (1, 100)
    );
    assert_eq!(f.record.connections(), 1);
}

#[tokio::test]
async fn error_answers_lose_only_their_metrics() {
    let mut metrics = names(5);
    metrics.push("bad.one".into());
    let f = fake("127.0.0.1:0", Mode::Errors, data_for(&metrics, 1.0)).await;
    let link = CarbonLink::new(&config(vec![format!("127.0.0.1:{}", f.addr.port())])).unwrap();
    let got = link.query_many(&metrics).await;
    assert_eq!(got["bad.one"], vec![]);
    for m in &metrics[..5] {
        assert_eq!(got[m].len(), 1, "{m}");
    }
    // A bulk error is not a failure of the cache: it is asked again right away.
    assert_eq!(link.hosts_for("x.y").len(), 1);
    let _ = link.query_many(&metrics).await;
    assert_eq!(f.record.bulk_requests(), 2);
    assert_eq!(f.record.connections(), 1);
}

#[tokio::test]
async fn timeout_then_retry_delay() {
    let metrics = names(3);
    let f = fake("127.0.0.1:0", Mode::Silent, data_for(&metrics, 1.0)).await;
    let link = CarbonLink::new(&config(vec![format!("127.0.0.1:{}", f.addr.port())])).unwrap();
    let started = Instant::now();
    let got = link.query_many(&metrics).await;
    let took = started.elapsed();
    assert!(got.is_empty());
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(2),
        "{took:?}"
    );
    assert_eq!(f.record.connections(), 1);
    // Within the retry delay the cache is not asked at all.
    assert!(link.hosts_for(&metrics[0]).is_empty());
    assert!(link.query_many(&metrics).await.is_empty());
    assert_eq!(f.record.connections(), 1);
    // After it, the cache is tried again.
    tokio::time::sleep(Duration::from_millis(650)).await;
    assert_eq!(link.hosts_for(&metrics[0]).len(), 1);
    let _ = link.query_many(&metrics).await;
    assert_eq!(f.record.connections(), 2);
}

#[tokio::test]
async fn down_cache_only_loses_its_metrics() {
    let metrics = names(200);
    let up = fake("127.0.0.1:0", Mode::Normal, data_for(&metrics, 1.0)).await;
    let down_port = closed_port().await;
    let hosts = vec![
        format!("127.0.0.1:{}:up", up.addr.port()),
        format!("127.0.0.1:{down_port}:down"),
    ];
    // A long timeout: connection refused must not wait for it.
    let mut cfg = config(hosts.clone());
    cfg.timeout = Duration::from_secs(10);
    let link = CarbonLink::new(&cfg).unwrap();
    let ring = ConsistentHashRing::from_nodes(
        hosts.iter().map(|h| parse_host(h).unwrap().node()),
        HashType::CarbonCh,
    );
    let started = Instant::now();
    let got = link.query_many(&metrics).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let on_up: Vec<&String> = metrics
        .iter()
        .filter(|m| ring.get_node(m).unwrap().instance.as_deref() == Some("up"))
        .collect();
    assert!(!on_up.is_empty() && on_up.len() < 200);
    assert_eq!(got.len(), on_up.len());
    for m in on_up {
        assert_eq!(got[m].len(), 1);
    }
    let on_down = metrics
        .iter()
        .find(|m| ring.get_node(m).unwrap().instance.as_deref() == Some("down"))
        .unwrap();
    assert!(
        link.hosts_for(on_down).is_empty(),
        "skipped during the retry delay"
    );
    tokio::time::sleep(Duration::from_millis(650)).await;
    assert_eq!(link.hosts_for(on_down).len(), 1);
}

#[tokio::test]
async fn stale_pooled_connections_are_replaced() {
    let metrics = names(4);
    let f = fake("127.0.0.1:0", Mode::CloseAfterEach, data_for(&metrics, 2.0)).await;
    let link = CarbonLink::new(&config(vec![format!("127.0.0.1:{}", f.addr.port())])).unwrap();
    for round in 1..=3 {
        let got = link.query_many(&metrics).await;
        assert_eq!(got.len(), 4, "round {round}");
        // Let the close reach us before the next round.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(f.record.connections(), 3);
    assert_eq!(link.hosts_for(&metrics[0]).len(), 1, "never marked failed");
}

#[tokio::test]
async fn garbage_answers_fail_the_cache() {
    let metrics = names(2);
    let f = fake("127.0.0.1:0", Mode::Garbage, data_for(&metrics, 2.0)).await;
    let link = CarbonLink::new(&config(vec![format!("127.0.0.1:{}", f.addr.port())])).unwrap();
    assert!(link.query_many(&metrics).await.is_empty());
    assert!(link.hosts_for(&metrics[0]).is_empty());
}

#[tokio::test]
async fn carbon_prefix_metrics_are_merged_from_every_cache() {
    let m = "carbon.agents.host-a.cache.size".to_owned();
    let d1: Data = Arc::new(HashMap::from([(m.clone(), vec![(10.0, 1.0), (20.0, 1.0)])]));
    let d2: Data = Arc::new(HashMap::from([(m.clone(), vec![(30.0, 2.0), (10.0, 2.0)])]));
    let d3: Data = Arc::new(HashMap::from([(m.clone(), vec![(40.0, 3.0)])]));
    let f1 = fake("127.0.0.1:0", Mode::Normal, d1).await;
    let f2 = fake("127.0.0.1:0", Mode::Normal, d2).await;
    let f3 = fake("127.0.0.1:0", Mode::Normal, d3).await;
    let down = closed_port().await;
    let hosts = vec![
        format!("127.0.0.1:{}:a", f1.addr.port()),
        format!("127.0.0.1:{down}:x"),
        format!("127.0.0.1:{}:b", f2.addr.port()),
        format!("127.0.0.1:{}:c", f3.addr.port()),
    ];
    let link = CarbonLink::new(&config(hosts)).unwrap();
    assert_eq!(link.hosts_for(&m).len(), 4);
    let got = link.query(&m).await;
    // dict.update in host order: 10 keeps its place with the later host's value.
    assert_eq!(
        got,
        vec![(10.0, 2.0), (20.0, 1.0), (30.0, 2.0), (40.0, 3.0)]
    );
    assert_eq!(
        link.hosts_for(&m).len(),
        3,
        "the down cache is skipped for a while"
    );
    // The prefix is a plain string prefix, as in the reference.
    assert_eq!(link.hosts_for("carbonara.x").len(), 3);
}

#[tokio::test]
async fn replication_factor_uses_another_replica_when_one_is_down() {
    let metrics = names(100);
    let a = fake("127.0.0.1:0", Mode::Normal, data_for(&metrics, 1.0)).await;
    let b = fake("127.0.0.2:0", Mode::Normal, data_for(&metrics, 2.0)).await;
    let hosts = vec![
        format!("127.0.0.1:{}", a.addr.port()),
        format!("127.0.0.2:{}", b.addr.port()),
    ];
    let mut cfg = config(hosts);
    cfg.replication_factor = 2;
    let link = CarbonLink::new(&cfg).unwrap();
    let got = link.query_many(&metrics).await;
    assert_eq!(got.len(), 100);
    // Both replicas hold every metric: each metric goes to one of them, the same one every
    // time, and both get some.
    let from_a = got.values().filter(|p| p[0].1 == 1.0).count();
    assert!(from_a > 10 && from_a < 90, "{from_a}");
    assert_eq!(link.query_many(&metrics).await, got);
    assert_eq!((a.record.bulk_requests(), b.record.bulk_requests()), (2, 2));

    // With one replica down, everything comes from the other.
    let down = closed_port().await;
    let mut cfg = config(vec![
        format!("127.0.0.1:{}", a.addr.port()),
        format!("127.0.0.2:{down}"),
    ]);
    cfg.replication_factor = 2;
    let link = CarbonLink::new(&cfg).unwrap();
    let first = link.query_many(&metrics).await;
    assert!(first.len() < 100 && !first.is_empty());
    let second = link.query_many(&metrics).await;
    assert_eq!(second.len(), 100);
    assert!(second.values().all(|p| p[0].1 == 1.0));
}

#[tokio::test]
async fn ipv6_cache() {
    let metrics = names(3);
    let Ok(probe) = TcpListener::bind("[::1]:0").await else {
        eprintln!("no IPv6 loopback here; nothing to test");
        return;
    };
    drop(probe);
    let f = fake("[::1]:0", Mode::Normal, data_for(&metrics, 6.0)).await;
    let link = CarbonLink::new(&config(vec![format!("[::1]:{}:v6", f.addr.port())])).unwrap();
    let got = link.query_many(&metrics).await;
    assert_eq!(got.len(), 3);
}

#[tokio::test]
async fn no_hosts_no_overlay() {
    let link = CarbonLink::new(&config(vec![])).unwrap();
    assert!(link.query_many(&names(3)).await.is_empty());
    assert!(link.query("carbon.x").await.is_empty());
}
