//! [`webapp::carbonlink`] against our real `carbon-cache` (two instances on free ports):
//! points sent with the line protocol and held in the caches are read back with one bulk
//! request per cache, each metric from the cache the ring picks, tagged metrics under their
//! normalised name, carbon-prefix metrics merged from both.
//!
//! The daemon binary is the one `cargo test --workspace` builds; when it is missing or older
//! than its sources, `cargo build -p carbon --bin carbon-cache` makes it first.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use carbon_hashing::{ConsistentHashRing, HashType};
use webapp::carbonlink::{parse_host, CarbonLink, CarbonLinkConfig};

/// Newest modification time of the files under `dir`.
fn newest(dir: &Path) -> Option<SystemTime> {
    let mut latest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let t = if path.is_dir() {
            newest(&path)
        } else {
            entry.metadata().ok().and_then(|m| m.modified().ok())
        };
        latest = latest.max(t);
    }
    latest
}

/// The `carbon-cache` binary of this test's profile, built first when it is missing or older
/// than the sources it is made of. (`cargo test --workspace` has already built it; building it
/// again from here with other features would only cost time.)
fn carbon_cache_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/<test>
    let profile_dir = exe.parent().and_then(Path::parent).expect("profile dir");
    let target_dir = profile_dir.parent().expect("target dir");
    let bin = profile_dir.join("carbon-cache");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let sources = [
        "carbon/src",
        "carbon/Cargo.toml",
        "crates/carbon-proto/src",
        "crates/carbon-conf/src",
        "crates/graphite-tags/src",
        "whisper/src",
        "Cargo.lock",
    ];
    let sources_time = sources
        .iter()
        .map(|s| root.join(s))
        .filter_map(|p| {
            if p.is_dir() {
                newest(&p)
            } else {
                std::fs::metadata(&p).and_then(|m| m.modified()).ok()
            }
        })
        .max();
    let bin_time = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
    if bin_time.is_none() || bin_time < sources_time {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "carbon", "--bin", "carbon-cache"])
            .env("CARGO_TARGET_DIR", target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p carbon failed");
    }
    assert!(bin.exists(), "{} missing", bin.display());
    bin
}

/// A running carbon-cache in its own temp dir, killed when dropped.
struct Daemon {
    child: Child,
    line: SocketAddr,
    cache_query: SocketAddr,
    whisper_dir: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Daemon {
    fn start(bin: &Path) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("carbonlink-e2e-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path();
        let storage = root.join("storage");
        let conf = format!(
            "[cache]\n\
             STORAGE_DIR = {}\n\
             LINE_RECEIVER_INTERFACE = 127.0.0.1\n\
             LINE_RECEIVER_PORT = 2003\n\
             ENABLE_UDP_LISTENER = False\n\
             PICKLE_RECEIVER_INTERFACE = 127.0.0.1\n\
             PICKLE_RECEIVER_PORT = 2004\n\
             CACHE_QUERY_INTERFACE = 127.0.0.1\n\
             CACHE_QUERY_PORT = 7002\n\
             MAX_CACHE_SIZE = inf\n\
             MAX_UPDATES_PER_SECOND = inf\n\
             MAX_CREATES_PER_MINUTE = 1\n\
             CARBON_METRIC_INTERVAL = 0\n\
             LOG_UPDATES = False\n\
             LOG_CREATES = False\n",
            storage.display()
        );
        std::fs::write(root.join("carbon.conf"), conf).expect("carbon.conf");
        std::fs::write(
            root.join("storage-schemas.conf"),
            "[default]\npattern = .*\nretentions = 1s:1h\n",
        )
        .expect("storage-schemas.conf");
        let addr_file = root.join("listeners");
        let log = root.join("daemon.log");
        let child = Command::new(bin)
            .arg("--config")
            .arg(root.join("carbon.conf"))
            .args(["--instance", "a", "--free-ports"])
            .arg("--pidfile")
            .arg(root.join("carbon-cache.pid"))
            .arg("--listener-addr-file")
            .arg(&addr_file)
            .env_remove("GRAPHITE_CONF_DIR")
            .env_remove("GRAPHITE_STORAGE_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start carbon-cache");
        let mut daemon = Daemon {
            child,
            line: "0.0.0.0:0".parse().unwrap(),
            cache_query: "0.0.0.0:0".parse().unwrap(),
            whisper_dir: storage.join("whisper"),
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(&addr_file) {
                let find = |name: &str| {
                    text.lines()
                        .filter_map(|l| l.split_once(' '))
                        .find(|(n, _)| *n == name)
                        .and_then(|(_, a)| a.parse::<SocketAddr>().ok())
                };
                if let (Some(line), Some(cq)) = (find("line"), find("cache_query")) {
                    daemon.line = line;
                    daemon.cache_query = cq;
                    return daemon;
                }
            }
            if let Some(status) = daemon.child.try_wait().expect("try_wait") {
                panic!("carbon-cache exited at start ({status}):\n{}", daemon.log());
            }
            assert!(Instant::now() < deadline, "no addresses:\n{}", daemon.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends lines; returns once the daemon has read them all (it closes after our half-close).
    fn send(&self, text: &str) {
        let mut s = TcpStream::connect(self.line).expect("connect");
        s.write_all(text.as_bytes()).expect("send");
        s.shutdown(Shutdown::Write).expect("half-close");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).expect("closed after reading");
    }

    /// Spends the minute's one create on a metric of its own, so the others stay cached.
    fn use_up_creates(&self, now: i64) {
        self.send(&format!("zz.sacrifice 1 {now}\n"));
        let file = self.whisper_dir.join("zz/sacrifice.wsp");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !file.exists() {
            assert!(Instant::now() < deadline, "no create:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- carbon-cache log ---\n{}", self.log());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_the_real_caches() {
    let bin = tokio::task::spawn_blocking(carbon_cache_binary)
        .await
        .unwrap();
    let (a, b) = (Daemon::start(&bin), Daemon::start(&bin));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    a.use_up_creates(now);
    b.use_up_creates(now);

    // Every metric goes to both caches with a value naming the cache, so the answer shows
    // which cache was asked.
    let metrics: Vec<String> = (0..300).map(|i| format!("e2e.m{i}.value")).collect();
    let mut to_a = String::new();
    let mut to_b = String::new();
    for (i, m) in metrics.iter().enumerate() {
        let t = now - 100 + (i % 50) as i64;
        to_a.push_str(&format!("{m} 1 {t}\n{m} 1.5 {}\n", t + 1));
        to_b.push_str(&format!("{m} 2 {t}\n{m} 2.5 {}\n", t + 1));
    }
    to_a.push_str(&format!(
        "e2e.tagged;dc=x;a=b 7 {now}\ncarbon.agents.x.size 10 {}\ncarbon.agents.x.size 11 {}\n",
        now - 2,
        now - 1
    ));
    to_b.push_str(&format!(
        "e2e.tagged;dc=x;a=b 8 {now}\ncarbon.agents.x.size 20 {}\ncarbon.agents.x.size 22 {now}\n",
        now - 1
    ));
    a.send(&to_a);
    b.send(&to_b);

    let hosts = vec![
        format!("127.0.0.1:{}:a", a.cache_query.port()),
        format!("127.0.0.1:{}:b", b.cache_query.port()),
    ];
    let link = CarbonLink::new(&CarbonLinkConfig {
        hosts: hosts.clone(),
        timeout: Duration::from_secs(5),
        ..CarbonLinkConfig::default()
    })
    .unwrap();
    let ring = ConsistentHashRing::from_nodes(
        hosts.iter().map(|h| parse_host(h).unwrap().node()),
        HashType::CarbonCh,
    );

    let mut asked = metrics.clone();
    asked.extend(
        [
            "e2e.tagged;a=b;dc=x",
            "e2e.tagged;dc=x;a=b",
            "carbon.agents.x.size",
            "e2e.unknown",
        ]
        .map(str::to_owned),
    );
    let started = Instant::now();
    let got = link.query_many(&asked).await;
    eprintln!(
        "{} metrics from 2 carbon-caches in {:?}",
        asked.len(),
        started.elapsed()
    );

    let value_of = |metric: &str| -> f64 {
        match ring.get_node(metric).unwrap().instance.as_deref() {
            Some("a") => 1.0,
            _ => 2.0,
        }
    };
    let mut per_cache = [0, 0];
    for (i, m) in metrics.iter().enumerate() {
        let t = (now - 100 + (i % 50) as i64) as f64;
        let v = value_of(m);
        per_cache[(v as usize) - 1] += 1;
        assert_eq!(got[m], vec![(t, v), (t + 1.0, v + 0.5)], "{m}");
    }
    assert!(per_cache[0] > 0 && per_cache[1] > 0, "{per_cache:?}");
    // The cache keeps tagged metrics under their normalised name, and looks names up as given.
    let tagged = "e2e.tagged;a=b;dc=x";
    assert_eq!(got[tagged], vec![(now as f64, 6.0 + value_of(tagged))]);
    assert_eq!(got["e2e.tagged;dc=x;a=b"], vec![]);
    assert_eq!(got["e2e.unknown"], vec![]);
    // Carbon's own metrics come from both caches, b's values winning.
    assert_eq!(
        got["carbon.agents.x.size"],
        vec![
            ((now - 2) as f64, 10.0),
            ((now - 1) as f64, 20.0),
            (now as f64, 22.0)
        ]
    );
}
