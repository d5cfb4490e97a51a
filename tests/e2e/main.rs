//! carbon-cache and graphite-web together: what is sent to carbon-cache is visible through
//! `/render` while it is still only in the cache, and after it has been written to disk.

use std::ffi::OsStr;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use system_tests::{wait_for_addresses, Process};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Starts carbon-cache in `root` with a writer so slow (one update every 5 s) that points
/// stay in its cache for the test's duration once the file exists.
fn start_carbon(root: &Path) -> (Process, SocketAddr, SocketAddr) {
    start_carbon_with(root, "MAX_UPDATES_PER_SECOND = 0.2\n")
}

/// Starts carbon-cache in `root` with `extra` lines in its `[cache]` section.
fn start_carbon_with(root: &Path, extra: &str) -> (Process, SocketAddr, SocketAddr) {
    let storage = root.join("storage");
    let conf = format!(
        "[cache]\nSTORAGE_DIR = {}\nLINE_RECEIVER_INTERFACE = 127.0.0.1\nPICKLE_RECEIVER_INTERFACE = 127.0.0.1\n\
         CACHE_QUERY_INTERFACE = 127.0.0.1\nENABLE_UDP_LISTENER = False\nMAX_CACHE_SIZE = inf\n\
         MAX_UPDATES_PER_SECOND_ON_SHUTDOWN = inf\nMAX_CREATES_PER_MINUTE = inf\nCARBON_METRIC_INTERVAL = 0\n{extra}",
        storage.display()
    );
    std::fs::write(root.join("carbon.conf"), conf).expect("carbon.conf");
    std::fs::write(
        root.join("storage-schemas.conf"),
        "[default]\npattern = .*\nretentions = 1s:1h\n",
    )
    .expect("storage-schemas.conf");
    let addr_file = root.join("carbon-listeners");
    let mut process = Process::spawn(
        "carbon-cache",
        &[
            OsStr::new("--config"),
            root.join("carbon.conf").as_os_str(),
            OsStr::new("--free-ports"),
            OsStr::new("--pidfile"),
            root.join("carbon.pid").as_os_str(),
            OsStr::new("--listener-addr-file"),
            addr_file.as_os_str(),
        ],
        &root.join("carbon.log"),
    );
    let addrs = wait_for_addresses(&addr_file, &["line", "cache_query"], &mut process);
    (process, addrs["line"], addrs["cache_query"])
}

fn start_web(root: &Path, cache_query: Option<SocketAddr>) -> (Process, SocketAddr) {
    start_web_on(root, cache_query, "127.0.0.1:0")
}

/// Starts graphite-web in `root` listening on `bind`.
fn start_web_on(root: &Path, cache_query: Option<SocketAddr>, bind: &str) -> (Process, SocketAddr) {
    let hosts = cache_query.map(|a| format!("'{a}'")).unwrap_or_default();
    let settings = format!(
        "STORAGE_DIR = '{}'\nCARBONLINK_HOSTS = [{hosts}]\nCARBONLINK_TIMEOUT = 2.0\n",
        root.join("storage").display(),
    );
    std::fs::write(root.join("graphite-web.conf"), settings).expect("graphite-web.conf");
    let addr_file = root.join("web-listener");
    let mut process = Process::spawn(
        "graphite-web",
        &[
            OsStr::new("--config"),
            root.join("graphite-web.conf").as_os_str(),
            OsStr::new("--bind"),
            OsStr::new(bind),
            OsStr::new("--listener-addr-file"),
            addr_file.as_os_str(),
        ],
        &root.join("web.log"),
    );
    let addrs = wait_for_addresses(&addr_file, &[""], &mut process);
    (process, addrs[""])
}

/// `(value, timestamp)` pairs of the first series of a json render, nulls dropped.
fn render(web: SocketAddr, target: &str, from: i64, until: i64) -> Vec<(f64, i64)> {
    let url = format!("http://{web}/render?target={target}&from={from}&until={until}&format=json");
    let body = ureq::get(&url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .into_body()
        .read_to_string()
        .expect("body");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    let Some(series) = json.as_array().and_then(|a| a.first()) else {
        return Vec::new();
    };
    series["datapoints"]
        .as_array()
        .expect("datapoints")
        .iter()
        .filter_map(|p| Some((p[0].as_f64()?, p[1].as_i64()?)))
        .collect()
}

fn on_disk(path: &Path, from: i64, until: i64) -> Vec<(f64, i64)> {
    let fetched = whisper::Whisper::default()
        .fetch(path, from, Some(until), None, None)
        .expect("fetch")
        .expect("data");
    fetched
        .points()
        .filter_map(|(ts, v)| v.map(|v| (v, ts)))
        .collect()
}

#[test]
fn points_are_rendered_before_and_after_they_are_flushed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let (mut carbon, line, cache_query) = start_carbon(root);
    let (_web, web) = start_web(root, Some(cache_query));
    let file = root.join("storage/whisper/e2e/metric.wsp");

    // The first point creates the file; the writer then waits ~5 s for each update token,
    // so the points sent after it stay in the cache.
    let t0 = now() - 30;
    let mut conn = TcpStream::connect(line).expect("connect");
    writeln!(conn, "e2e.metric 1 {t0}").expect("send");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !file.exists() {
        assert!(
            Instant::now() < deadline,
            "carbon-cache did not create {}",
            file.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let expected: Vec<(f64, i64)> = (1..=10).map(|i| (i as f64 * 10.0, t0 + i)).collect();
    for (value, ts) in &expected {
        writeln!(conn, "e2e.metric {value} {ts}").expect("send");
    }
    conn.flush().expect("flush");
    drop(conn);

    let (from, until) = (t0 - 1, t0 + 20);
    let deadline = Instant::now() + Duration::from_secs(10);
    let rendered = loop {
        let points = render(web, "e2e.metric", from, until);
        if expected.iter().all(|p| points.contains(p)) || Instant::now() > deadline {
            break points;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let disk = on_disk(&file, from, until);
    assert!(
        expected.iter().all(|p| !disk.contains(p)),
        "the points were already written ({disk:?}): the cache overlay is not what is tested"
    );
    for point in &expected {
        assert!(
            rendered.contains(point),
            "{point:?} missing from the render {rendered:?}"
        );
    }

    // SIGTERM flushes the cache; the same render now reads the file (the cache is gone).
    assert!(
        carbon.terminate(),
        "carbon-cache did not exit cleanly:\n{}",
        carbon.log()
    );
    let disk = on_disk(&file, from, until);
    for point in &expected {
        assert!(
            disk.contains(point),
            "{point:?} not on disk after SIGTERM: {disk:?}"
        );
    }
    let rendered = render(web, "e2e.metric", from, until);
    for point in &expected {
        assert!(
            rendered.contains(point),
            "{point:?} missing after the flush: {rendered:?}"
        );
    }
}

/// GET `path_and_query` from the webapp as JSON.
fn get_json(web: SocketAddr, path_and_query: &str) -> serde_json::Value {
    let url = format!("http://{web}{path_and_query}");
    let body = ureq::get(&url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .into_body()
        .read_to_string()
        .expect("body");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{url}: {e}: {body}"))
}

#[test]
fn tagged_points_are_registered_found_and_rendered_with_their_tags() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let (_web, web) = start_web(root, None);
    let (_carbon, line, _) = start_carbon_with(
        root,
        &format!("MAX_UPDATES_PER_SECOND = inf\nENABLE_TAGS = True\nGRAPHITE_URL = http://{web}\n"),
    );

    let t0 = now() - 10;
    let mut conn = TcpStream::connect(line).expect("connect");
    writeln!(conn, "disk.used;host=web01;dc=eu 42 {t0}").expect("send");
    writeln!(conn, "disk.used;host=db01;dc=us 7 {t0}").expect("send");
    conn.flush().expect("flush");
    drop(conn);

    // carbon-cache registers new series with the webapp as it creates their files.
    let started = Instant::now();
    let found = loop {
        let found = get_json(web, "/tags/findSeries?expr=dc%3Deu");
        if found.as_array().is_some_and(|a| !a.is_empty()) {
            break found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the tagged series was not registered"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!("registered after {:?}", started.elapsed());
    assert_eq!(found, serde_json::json!(["disk.used;dc=eu;host=web01"]));
    assert_eq!(
        get_json(web, "/tags/autoComplete/tags?expr=name%3Ddisk.used"),
        serde_json::json!(["dc", "host"])
    );
    // Both series are registered by now or shortly after.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let values = get_json(web, "/tags/autoComplete/values?tag=host");
        if values == serde_json::json!(["db01", "web01"]) {
            break;
        }
        assert!(Instant::now() < deadline, "host values: {values}");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The point is rendered under its canonical name, with its tags, once on disk.
    let url = format!(
        "/render?target=seriesByTag(%27dc%3Deu%27)&from={}&until={}&format=json",
        t0 - 1,
        t0 + 1
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let series = loop {
        let json = get_json(web, &url);
        let has_point = json[0]["datapoints"]
            .as_array()
            .is_some_and(|d| d.iter().any(|p| p[0].as_f64() == Some(42.0)));
        if has_point {
            break json;
        }
        assert!(Instant::now() < deadline, "not rendered: {json}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(series.as_array().map(Vec::len), Some(1));
    assert_eq!(series[0]["target"], "disk.used;dc=eu;host=web01");
    assert_eq!(
        series[0]["tags"],
        serde_json::json!({"dc": "eu", "host": "web01", "name": "disk.used"})
    );
}

#[test]
fn registrations_wait_for_a_webapp_that_is_down() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    // A free port for the webapp, which starts only after the point was sent.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let (_carbon, line, _) = start_carbon_with(
        root,
        &format!("MAX_UPDATES_PER_SECOND = inf\nENABLE_TAGS = True\nGRAPHITE_URL = http://127.0.0.1:{port}\n"),
    );
    let mut conn = TcpStream::connect(line).expect("connect");
    writeln!(conn, "late.metric;host=a 1 {}", now() - 5).expect("send");
    conn.flush().expect("flush");
    drop(conn);
    // carbon-cache creates the file and fails to register it meanwhile.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !root.join("storage/whisper/_tagged").exists() {
        assert!(
            Instant::now() < deadline,
            "carbon-cache created no tagged file"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let (_web, web) = start_web_on(root, None, &format!("127.0.0.1:{port}"));
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let found = get_json(web, "/tags/findSeries?expr=host%3Da");
        if found == serde_json::json!(["late.metric;host=a"]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not registered after the webapp started: {found}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
