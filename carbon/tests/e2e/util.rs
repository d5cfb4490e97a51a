//! Shared helpers: start the real `carbon-cache` in a temp dir on free ports, send it data,
//! read the whisper files it wrote, and run the Python reference clients (`clients.py`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The schemas most tests use: one-second points for an hour, so every test point is kept as
/// sent and read back exactly.
pub(crate) const ONE_SECOND_FOR_AN_HOUR: &str = "[default]\npattern = .*\nretentions = 1s:1h\n";

/// Seconds since the epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// The Python of the reference virtualenv: `$GRAPHITE_REFERENCE_PYTHON`, else
/// `$GRAPHITE_REFERENCE_VENV/bin/python`, else `<workspace>/.venv-ref/bin/python`. Tests that
/// need it fail, rather than skip, when it is missing.
pub(crate) fn reference_python() -> PathBuf {
    reference_python::python()
}

/// Runs `clients.py <args>` with `stdin`; returns its standard output (it must succeed).
pub(crate) fn python_client(args: &[&str], stdin: &str, log_dir: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/clients.py");
    let mut child = Command::new(reference_python())
        .arg(script)
        .args(args)
        .env("E2E_LOG_DIR", log_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the reference python");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_owned();
    let writer = std::thread::spawn(move || input.write_all(stdin.as_bytes()));
    let out = child.wait_with_output().expect("run the reference python");
    writer.join().expect("stdin writer").expect("write stdin");
    assert!(
        out.status.success(),
        "clients.py {args:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// What to put in the daemon's configuration directory.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    /// `[cache]` keys of carbon.conf, after the defaults below (a key set here replaces the
    /// default).
    pub(crate) conf: Vec<(String, String)>,
    /// storage-schemas.conf.
    pub(crate) schemas: String,
    /// storage-aggregation.conf, if any.
    pub(crate) aggregation: Option<String>,
    /// Other files of the configuration directory (whitelist.conf...): `(name, text)`.
    pub(crate) files: Vec<(String, String)>,
    /// Logs in LOG_DIR as a daemon (no `--nodaemon`); otherwise the standard output, where
    /// `--nodaemon` sends them, is [`Daemon::log`].
    pub(crate) log_to_dir: bool,
    /// Environment variables of the daemon.
    pub(crate) env: Vec<(String, String)>,
    /// Makes the temp dir readable by every user (for a daemon that switches to USER).
    pub(crate) world_readable: bool,
    /// More command-line arguments.
    pub(crate) args: Vec<String>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            conf: Vec::new(),
            schemas: ONE_SECOND_FOR_AN_HOUR.to_owned(),
            aggregation: None,
            files: Vec::new(),
            log_to_dir: false,
            env: Vec::new(),
            world_readable: false,
            args: Vec::new(),
        }
    }
}

impl Setup {
    /// Sets a `[cache]` key.
    pub(crate) fn set(mut self, key: &str, value: &str) -> Self {
        self.conf.retain(|(k, _)| k != key);
        self.conf.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Replaces storage-schemas.conf.
    pub(crate) fn schemas(mut self, text: &str) -> Self {
        self.schemas = text.to_owned();
        self
    }

    /// Writes storage-aggregation.conf.
    pub(crate) fn aggregation(mut self, text: &str) -> Self {
        self.aggregation = Some(text.to_owned());
        self
    }

    /// Writes another file into the configuration directory.
    pub(crate) fn file(mut self, name: &str, text: &str) -> Self {
        self.files.push((name.to_owned(), text.to_owned()));
        self
    }

    /// Sets an environment variable of the daemon.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// A running `carbon-cache`, killed (and its temp dir removed) when dropped.
#[derive(Debug)]
pub(crate) struct Daemon {
    child: Child,
    addrs: HashMap<String, SocketAddr>,
    data_dir: PathBuf,
    log: PathBuf,
    // Dropped last: the files outlive the process.
    dir: tempfile::TempDir,
}

impl Daemon {
    /// Writes the config files into a new temp dir and starts the daemon with every listener on
    /// a free port; returns once it has written its addresses.
    pub(crate) fn start(setup: &Setup) -> Daemon {
        let dir = tempfile::Builder::new()
            .prefix("carbon-e2e-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path();
        if setup.world_readable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))
                .expect("chmod the temp dir");
        }
        let storage = root.join("storage");
        let mut conf: Vec<(String, String)> = [
            ("STORAGE_DIR", storage.to_str().expect("utf-8 temp dir")),
            ("LINE_RECEIVER_INTERFACE", "127.0.0.1"),
            ("LINE_RECEIVER_PORT", "2003"),
            ("ENABLE_UDP_LISTENER", "True"),
            ("UDP_RECEIVER_INTERFACE", "127.0.0.1"),
            ("UDP_RECEIVER_PORT", "2003"),
            ("PICKLE_RECEIVER_INTERFACE", "127.0.0.1"),
            ("PICKLE_RECEIVER_PORT", "2004"),
            ("CACHE_QUERY_INTERFACE", "127.0.0.1"),
            ("CACHE_QUERY_PORT", "7002"),
            ("MAX_CACHE_SIZE", "inf"),
            ("MAX_UPDATES_PER_SECOND", "inf"),
            ("MAX_CREATES_PER_MINUTE", "inf"),
            // No self-metrics: tests count files and create tokens.
            ("CARBON_METRIC_INTERVAL", "0"),
            ("LOG_UPDATES", "False"),
            ("LOG_CREATES", "False"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in &setup.conf {
            conf.retain(|(key, _)| key != k);
            conf.push((k.clone(), v.clone()));
        }
        let mut text = String::from("[cache]\n");
        for (k, v) in &conf {
            text.push_str(&format!("{k} = {v}\n"));
        }
        std::fs::write(root.join("carbon.conf"), text).expect("write carbon.conf");
        std::fs::write(root.join("storage-schemas.conf"), &setup.schemas)
            .expect("write storage-schemas.conf");
        if let Some(agg) = &setup.aggregation {
            std::fs::write(root.join("storage-aggregation.conf"), agg)
                .expect("write storage-aggregation.conf");
        }
        for (name, text) in &setup.files {
            std::fs::write(root.join(name), text).expect("write a configuration file");
        }
        let addr_file = root.join("listeners");
        let log = root.join("daemon.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_carbon-cache"));
        command
            .arg("--config")
            .arg(root.join("carbon.conf"))
            .args(["--instance", "a", "--free-ports"])
            .arg("--pidfile")
            .arg(root.join("carbon-cache.pid"))
            .arg("--listener-addr-file")
            .arg(&addr_file)
            .env_remove("GRAPHITE_CONF_DIR")
            .env_remove("GRAPHITE_STORAGE_DIR")
            .env("RUST_LOG", "info")
            .envs(setup.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file);
        if !setup.log_to_dir {
            command.arg("--nodaemon");
        }
        command.args(&setup.args);
        let child = command.spawn().expect("start carbon-cache");
        let mut daemon = Daemon {
            child,
            addrs: HashMap::new(),
            data_dir: storage.join("whisper"),
            log,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(&addr_file) {
                let addrs: HashMap<String, SocketAddr> = text
                    .lines()
                    .filter_map(|l| {
                        let (name, addr) = l.split_once(' ')?;
                        Some((name.to_owned(), addr.parse().ok()?))
                    })
                    .collect();
                if ["line", "pickle", "cache_query", "udp"]
                    .iter()
                    .all(|n| addrs.contains_key(*n))
                {
                    daemon.addrs = addrs;
                    return daemon;
                }
            }
            if let Some(status) = daemon.child.try_wait().expect("try_wait") {
                panic!("carbon-cache exited at start ({status}):\n{}", daemon.log());
            }
            assert!(
                Instant::now() < deadline,
                "carbon-cache wrote no addresses:\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The address of a listener: `line`, `pickle`, `udp` or `cache_query`.
    pub(crate) fn addr(&self, listener: &str) -> SocketAddr {
        self.addrs[listener]
    }

    /// LOCAL_DATA_DIR.
    pub(crate) fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The temp dir holding the configs and the storage.
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// What the daemon wrote to its standard output and error so far (its log, unless
    /// [`Setup::log_to_dir`]).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// LOG_DIR of instance a (the default: STORAGE_DIR/log/carbon-cache/carbon-cache-a).
    pub(crate) fn log_dir(&self) -> PathBuf {
        self.root().join("storage/log/carbon-cache/carbon-cache-a")
    }

    /// The whisper file of a (normalised) metric name.
    pub(crate) fn file(&self, metric: &str) -> PathBuf {
        self.data_dir
            .join(graphite_tags::relative_path(metric, true))
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} failed");
    }

    /// Sends SIGHUP (reload the schema and list files).
    pub(crate) fn hangup(&self) {
        self.signal("-HUP");
    }

    /// Sends SIGTERM and waits (at most 30 s) for the daemon to exit.
    pub(crate) fn terminate(&mut self) -> ExitStatus {
        self.signal("-TERM");
        self.wait_exit(Duration::from_secs(30))
    }

    /// Sends SIGKILL and reaps the process.
    pub(crate) fn kill_9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("wait");
    }

    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "carbon-cache did not exit in {timeout:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- carbon-cache log (last lines, newest first) ---");
            for line in tail {
                eprintln!("{line}");
            }
        }
    }
}

/// Sends `data` over TCP as `nc` does (write, close), then waits until the daemon has read it
/// all and closed its end.
pub(crate) fn send_tcp(addr: SocketAddr, data: &[u8]) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(data).expect("send");
    stream.shutdown(Shutdown::Write).expect("half-close");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the daemon closes the connection after reading it all");
}

/// Sends one UDP datagram.
pub(crate) fn send_udp(addr: SocketAddr, datagram: &[u8]) {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("udp socket");
    socket.send_to(datagram, addr).expect("send datagram");
}

/// Polls `done` every 10 ms until it holds; panics with `what` after `timeout`.
pub(crate) fn wait_until(timeout: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the file exists and holds at least `count` points since `from`.
pub(crate) fn wait_for_points(daemon: &Daemon, metric: &str, from: i64, count: usize) {
    let path = daemon.file(metric);
    let what = format!("{count} points of {metric} in {}", path.display());
    wait_until(Duration::from_secs(20), &what, || {
        path.exists() && points(&path, from).len() >= count
    });
}

/// The points of a file since `from` (exclusive), as `(timestamp, value)`, empty slots left out.
pub(crate) fn points(path: &Path, from: i64) -> Vec<(i64, f64)> {
    match whisper::fetch(path, from, None, None) {
        Ok(Some(fetched)) => fetched
            .points()
            .filter_map(|(t, v)| v.map(|v| (t, v)))
            .collect(),
        Ok(None) => Vec::new(),
        // A file being created may be read before its header is complete.
        Err(_) => Vec::new(),
    }
}

/// Every `.wsp` file under `dir`, sorted.
pub(crate) fn wsp_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "wsp") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
