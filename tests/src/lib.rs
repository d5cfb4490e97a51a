//! Helpers for the end-to-end tests: find the daemons' binaries, start them in a temp dir on
//! free ports, and stop them (and remove their files) when dropped.
//!
//! The binaries are those `cargo build --workspace --bins` wrote next to the test executable
//! (`target/<profile>/`); `scripts/test.sh` builds them before the tests run.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The path of a workspace binary built in the same profile as the running test.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable under target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (scripts/test.sh does)",
        path.display()
    );
    path
}

/// A running daemon, killed when dropped; its log is printed if the test failed.
#[derive(Debug)]
pub struct Process {
    child: Child,
    log: PathBuf,
    name: String,
}

impl Process {
    /// Starts `binary` with `args`, logging to `log`.
    pub fn spawn(name: &str, args: &[&std::ffi::OsStr], log: &Path) -> Process {
        let child = Command::new(binary(name))
            .args(args)
            .env_remove("GRAPHITE_CONF_DIR")
            .env_remove("GRAPHITE_STORAGE_DIR")
            .env_remove("GRAPHITE_ROOT")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Process {
            child,
            log: log.to_owned(),
            name: name.to_owned(),
        }
    }

    /// Sends SIGTERM and waits for the exit (up to 30 s); returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- {} log ---\n{}", self.name, self.log());
        }
    }
}

/// Waits until `file` holds `name address` lines (or one bare address, named `""`) with every
/// name in `names`.
pub fn wait_for_addresses(
    file: &Path,
    names: &[&str],
    process: &mut Process,
) -> HashMap<String, SocketAddr> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            let addrs: HashMap<String, SocketAddr> = text
                .lines()
                .filter_map(|l| match l.split_once(' ') {
                    Some((name, addr)) => Some((name.to_owned(), addr.trim().parse().ok()?)),
                    None => Some((String::new(), l.trim().parse().ok()?)),
                })
                .collect();
            if names.iter().all(|n| addrs.contains_key(*n)) {
                return addrs;
            }
        }
        assert!(
            process.is_running(),
            "{} exited:\n{}",
            process.name,
            process.log()
        );
        assert!(
            Instant::now() < deadline,
            "{} did not start:\n{}",
            process.name,
            process.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
