//! [`webapp::carbonlink`] against graphite-web 1.1.10 and carbon 1.1.10 (the Python reference
//! in `.venv-ref`, driven by `tests/reference/carbonlink_ref.py`): `CARBONLINK_HOSTS` parsing,
//! the cache `CarbonLinkPool.select_host` picks for thousands of metrics over several host
//! lists (instances, IPv6, both hash types, replication factors 1 and 2), and carbon-cache's
//! unpickler reading the request frames we send. Fails (does not skip) without the reference.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carbon_proto::carbonlink::{Request, Response, TimestampKind};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use webapp::carbonlink::{parse_host, CarbonLink, CarbonLinkConfig};

fn run(mode: &str, input: &Value) -> Value {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/carbonlink_ref.py");
    let storage = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("carbonlink-ref-storage");
    std::fs::create_dir_all(storage.join("log/webapp")).expect("graphite storage dir");
    let out = reference_python::run_with_input(
        Command::new(reference_python::python())
            .arg(script)
            .arg(mode)
            .env("GRAPHITE_STORAGE_DIR", &storage)
            .env("DJANGO_SETTINGS_MODULE", "graphite.settings"),
        input.to_string().as_bytes(),
    );
    serde_json::from_slice(&out).expect("json")
}

fn keys(count: usize) -> Vec<String> {
    let mut x: u64 = 0x1234_5678_9abc_def1;
    (0..count)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match i % 4 {
                0 => format!("servers.web{}.cpu.{}", x % 97, x % 13),
                1 => format!("app.requests;dc=eu{};host=h{}", x % 5, x % 31),
                2 => format!("stats.é{}.→{}", x % 11, x % 1000),
                _ => format!("m{x}"),
            }
        })
        .collect()
}

fn host_lists() -> Vec<Vec<&'static str>> {
    vec![
        vec!["127.0.0.1:7002"],
        vec!["127.0.0.1:7102:a", "127.0.0.1:7202:b", "10.0.0.2:7002"],
        vec![
            "[::1]:7002",
            "[fe80::1]:7002:x",
            "[2001:db8::2]:7002:y",
            "cache-3:7002:",
            " cache-4:+7002:z ",
        ],
        vec![
            "c1:7002:a",
            "c1:7102:b",
            "c2:7002:a",
            "c2:7102:b",
            "c3:7002:a",
            "c3:7102:b",
        ],
    ]
}

#[test]
fn select_host_matches_graphite_web() {
    let keys = keys(2000);
    let mut checked = 0;
    for hosts in host_lists() {
        let servers = {
            let mut s: Vec<String> = hosts
                .iter()
                .map(|h| parse_host(h).unwrap().server)
                .collect();
            s.sort();
            s.dedup();
            s.len()
        };
        for hashing_type in ["carbon_ch", "fnv1a_ch"] {
            for rf in [1usize, 2] {
                if rf > servers {
                    continue;
                }
                let want = run(
                    "select",
                    &json!({
                        "hosts": hosts,
                        "hashing_type": hashing_type,
                        "replication_factor": rf,
                        "keys": keys,
                    }),
                );
                let config = CarbonLinkConfig {
                    hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
                    hashing_type: hashing_type.parse().unwrap(),
                    replication_factor: rf,
                    ..CarbonLinkConfig::default()
                };
                let link = CarbonLink::new(&config).unwrap();
                let parsed: Vec<Value> = link
                    .hosts()
                    .map(|h| json!([h.server, h.port, h.instance]))
                    .collect();
                assert_eq!(Value::from(parsed), want["parsed"], "{hosts:?}");
                for (k, key) in keys.iter().enumerate() {
                    let ours = link.hosts_for(key);
                    assert_eq!(ours.len(), 1, "{key}");
                    let ours = json!([ours[0].server, ours[0].instance]);
                    let candidates = want["candidates"][k].as_array().expect("candidates");
                    let what = format!("{key:?} {hosts:?} {hashing_type} rf={rf}");
                    if rf == 1 {
                        assert_eq!(candidates.len(), 1, "{what}");
                        assert_eq!(ours, candidates[0], "{what}");
                    } else {
                        // The reference picks at random among the candidates; we pick one.
                        assert!(
                            candidates.contains(&ours),
                            "{ours} not in {candidates:?}: {what}"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 20_000, "{checked}");
}

#[test]
fn host_parsing_matches_parse_host() {
    // (entry, whether we accept it where the reference does too)
    let entries = [
        "127.0.0.1:7002",
        "h:7002:a",
        "h:7002:",
        "h:7002:a:b",
        " h:7002 ",
        "[::1]:7002",
        "[::1]:7002:i",
        "[::1]:7002:x]:y",
        "h:+7002",
        "h: 7002",
        "h:x",
        "localhost",
        "[::1]",
        "::1:7002",
        "h:",
        // The reference accepts these; we refuse them (see the module docs).
        "7002",
        ":7002",
        "h:7_002",
        "h:0",
        "h:70000",
        "h:-1",
    ];
    let stricter = ["7002", ":7002", "h:7_002", "h:0", "h:70000", "h:-1"];
    let want = run("parse", &json!({ "hosts": entries }));
    for (entry, want) in entries.iter().zip(want.as_array().unwrap()) {
        let ours = parse_host(entry);
        match (&ours, want.get("error")) {
            (Ok(h), None) => assert_eq!(json!([h.server, h.port, h.instance]), *want, "{entry:?}"),
            (Err(_), Some(_)) => {}
            (Err(e), None) => assert!(stricter.contains(entry), "{entry:?}: {e} vs {want}"),
            (Ok(h), Some(err)) => panic!("{entry:?}: we accept {h:?}, the reference: {err}"),
        }
    }
}

/// The request frames a fake bulk-less cache receives are what carbon's unpickler reads as
/// graphite-web's requests.
#[tokio::test]
async fn carbon_reads_our_requests() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let frames: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let seen = Arc::clone(&frames);
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        loop {
            let mut len = [0u8; 4];
            if s.read_exact(&mut len).await.is_err() {
                return;
            }
            let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
            s.read_exact(&mut body).await.unwrap();
            seen.lock().unwrap().push(body.clone());
            let reply = match Request::decode(&body).unwrap() {
                Request::CacheQuery { .. } => Response::Datapoints(vec![(1.0, 2.0)]),
                _ => Response::invalid_type("cache-query-bulk"),
            };
            let payload = reply.encode(TimestampKind::Float);
            let mut out = (payload.len() as u32).to_be_bytes().to_vec();
            out.extend(payload);
            s.write_all(&out).await.unwrap();
        }
    });
    let link = CarbonLink::new(&CarbonLinkConfig {
        hosts: vec![format!("127.0.0.1:{port}")],
        timeout: Duration::from_secs(5),
        ..CarbonLinkConfig::default()
    })
    .unwrap();
    let metrics = vec!["a.b".to_owned(), "é.'x\"".to_owned(), "t;k=v".to_owned()];
    let got = link.query_many(&metrics).await;
    assert_eq!(got.len(), 3);
    assert!(got.values().all(|p| *p == vec![(1.0, 2.0)]));
    let hex: Vec<String> = frames
        .lock()
        .unwrap()
        .iter()
        .map(|f| f.iter().map(|b| format!("{b:02x}")).collect())
        .collect();
    let reprs = tokio::task::spawn_blocking(move || run("requests", &json!({ "frames": hex })))
        .await
        .unwrap();
    assert_eq!(
        reprs,
        json!([
            "{'type': 'cache-query-bulk', 'metrics': ['a.b', 'é.\\'x\"', 't;k=v']}",
            "{'type': 'cache-query', 'metric': 'a.b'}",
            "{'type': 'cache-query', 'metric': 'é.\\'x\"'}",
            "{'type': 'cache-query', 'metric': 't;k=v'}",
        ])
    );
}
