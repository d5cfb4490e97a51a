//! Log output as carbon 1.1.10 writes it: files per log type in LOG_DIR
//! (`dd/mm/YYYY HH:MM:SS :: message`), gated by the LOG_* settings; standard output with a
//! `[type]` tag under --nodaemon and --debug; daily rotation by the file's day.

use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::util::{now, send_tcp, wait_for_points, wait_until, Daemon, Setup};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every line is `dd/mm/YYYY HH:MM:SS :: ` followed by the message.
fn assert_reference_format(text: &str, file: &str) {
    for line in text.lines() {
        let stamp: String = line
            .chars()
            .take(23)
            .map(|c| if c.is_ascii_digit() { 'D' } else { c })
            .collect();
        assert_eq!(stamp, "DD/DD/DDDD DD:DD:DD :: ", "{file}: {line:?}");
    }
}

fn wait_for_text(path: &Path, needle: &str) {
    wait_until(
        Duration::from_secs(20),
        &format!("{needle:?} in {}", path.display()),
        || std::fs::read_to_string(path).is_ok_and(|t| t.contains(needle)),
    );
}

#[test]
fn log_files_per_type_in_log_dir() {
    let setup = Setup {
        log_to_dir: true,
        ..Setup::default()
    }
    .set("LOG_CREATES", "True")
    .set("LOG_UPDATES", "True")
    .set("LOG_CACHE_HITS", "True");
    let mut d = Daemon::start(&setup);
    let t = now() - 10;
    send_tcp(
        d.addr("line"),
        format!("logs.a 1 {t}\nnot a valid line at all\n").as_bytes(),
    );
    wait_for_points(&d, "logs.a", t - 10, 1);
    drop(TcpStream::connect(d.addr("cache_query")).expect("connect to the cache query port"));
    let dir = d.log_dir();
    wait_for_text(
        &dir.join("updates.log"),
        "wrote 1 datapoints for logs.a in ",
    );
    wait_for_text(&dir.join("query.log"), " disconnected");
    assert!(d.terminate().success());

    let creates = read(&dir.join("creates.log"));
    assert!(
        creates.contains(":: new metric logs.a matched schema default\n"),
        "{creates}"
    );
    assert!(
        creates.contains(":: creating database metric logs.a (archive=["),
        "{creates}"
    );
    let listener = read(&dir.join("listener.log"));
    assert!(
        listener.contains(":: MetricLineReceiver connection with 127.0.0.1:"),
        "{listener}"
    );
    assert!(listener.contains(" established\n"), "{listener}");
    assert!(listener.contains(" closed cleanly\n"), "{listener}");
    assert!(
        listener.contains("invalid line received from client 127.0.0.1:"),
        "{listener}"
    );
    assert!(
        listener.contains(", ignoring [not a valid line at all] ("),
        "{listener}"
    );
    let query = read(&dir.join("query.log"));
    assert!(query.contains(" connected\n"), "{query}");
    let console = read(&dir.join("console.log"));
    assert!(console.contains(":: shutdown complete"), "{console}");
    // Typed lines are in their own file only.
    assert!(!console.contains("new metric logs.a"), "{console}");
    for name in [
        "console.log",
        "creates.log",
        "updates.log",
        "listener.log",
        "query.log",
    ] {
        assert_reference_format(&read(&dir.join(name)), name);
    }
    // Only the reference's start line goes to the standard output, nothing to the error.
    assert_eq!(d.log(), "Starting carbon-cache (instance a)\n");
}

#[test]
fn the_log_settings_turn_their_files_off() {
    let setup = Setup {
        log_to_dir: true,
        ..Setup::default()
    }
    .set("LOG_CREATES", "False")
    .set("LOG_UPDATES", "False")
    .set("LOG_CACHE_HITS", "False")
    .set("LOG_LISTENER_CONN_SUCCESS", "False");
    let mut d = Daemon::start(&setup);
    let t = now() - 10;
    send_tcp(d.addr("line"), format!("quiet.a 1 {t}\n").as_bytes());
    wait_for_points(&d, "quiet.a", t - 10, 1);
    assert!(d.terminate().success());
    let dir = d.log_dir();
    assert!(read(&dir.join("console.log")).contains("shutdown complete"));
    for name in ["creates.log", "updates.log", "listener.log", "query.log"] {
        assert!(!dir.join(name).exists(), "{name} was written");
    }
}

#[test]
fn nodaemon_logs_to_stdout_with_the_type() {
    let setup = Setup::default().set("LOG_CREATES", "True");
    let mut d = Daemon::start(&setup);
    let t = now() - 10;
    send_tcp(d.addr("line"), format!("stdout.a 1 {t}\n").as_bytes());
    wait_for_points(&d, "stdout.a", t - 10, 1);
    assert!(d.terminate().success());
    let out = d.log();
    let lines = out
        .strip_prefix("Starting carbon-cache (instance a)\n")
        .unwrap_or_else(|| panic!("no start line first: {out}"));
    assert_reference_format(lines, "stdout");
    assert!(
        out.contains(":: [creates] new metric stdout.a matched schema default\n"),
        "{out}"
    );
    assert!(
        out.contains(":: [listener] MetricLineReceiver connection with "),
        "{out}"
    );
    assert!(out.contains(":: [console] shutdown complete"), "{out}");
    // Debug messages only with --debug.
    assert!(!out.contains("connection established"), "{out}");
    assert!(!d.root().join("storage/log").exists());
}

#[test]
fn debug_adds_the_debug_messages() {
    let setup = Setup {
        args: vec!["--debug".into()],
        ..Setup::default()
    };
    let mut d = Daemon::start(&setup);
    let t = now() - 10;
    send_tcp(d.addr("line"), format!("debug.a 1 {t}\n").as_bytes());
    wait_for_points(&d, "debug.a", t - 10, 1);
    assert!(d.terminate().success());
    let out = d.log();
    assert!(out.contains(":: [console] connection established"), "{out}");
    assert!(!d.root().join("storage/log").exists());
}

/// A console.log last written yesterday is renamed `console.log.<Y>_<M>_<D>` (yesterday,
/// unpadded) at the first line of today, as Twisted's DailyLogFile does.
#[test]
fn rotation_renames_yesterdays_file() {
    let setup = Setup {
        log_to_dir: true,
        ..Setup::default()
    };
    // LOG_DIR under a dir made before the start, with a console.log last written yesterday.
    let yesterday = chrono::Local::now() - chrono::Duration::days(1);
    let suffix = yesterday.format("%Y_%-m_%-d").to_string();
    let pre = tempfile::tempdir().expect("temp dir");
    let console = pre.path().join("console.log");
    std::fs::write(&console, "yesterday's line\n").expect("console.log");
    std::fs::File::options()
        .write(true)
        .open(&console)
        .and_then(|f| f.set_modified(yesterday.into()))
        .expect("set the mtime");
    let setup = Setup {
        args: vec!["--logdir".into(), pre.path().display().to_string()],
        ..setup
    };
    let mut d = Daemon::start(&setup);
    assert!(d.terminate().success());
    let rotated = pre.path().join(format!("console.log.{suffix}"));
    assert_eq!(read(&rotated), "yesterday's line\n");
    let today = read(&console);
    assert!(!today.contains("yesterday"), "{today}");
    assert!(today.contains("shutdown complete"), "{today}");
}

#[test]
fn without_rotation_yesterdays_file_goes_on() {
    let pre = tempfile::tempdir().expect("temp dir");
    let console = pre.path().join("console.log");
    std::fs::write(&console, "yesterday's line\n").expect("console.log");
    let yesterday = chrono::Local::now() - chrono::Duration::days(1);
    std::fs::File::options()
        .write(true)
        .open(&console)
        .and_then(|f| f.set_modified(yesterday.into()))
        .expect("set the mtime");
    let setup = Setup {
        log_to_dir: true,
        args: vec!["--logdir".into(), pre.path().display().to_string()],
        ..Setup::default()
    }
    .set("ENABLE_LOGROTATION", "False");
    let mut d = Daemon::start(&setup);
    assert!(d.terminate().success());
    let text = read(&console);
    assert!(text.starts_with("yesterday's line\n"), "{text}");
    assert!(text.contains("shutdown complete"), "{text}");
    assert_eq!(std::fs::read_dir(pre.path()).unwrap().count(), 1);
}
