//! The USER setting. Started as root, carbon-cache becomes USER once bound, with its pid and log
//! files created and the directories it made handed over; started as another user it refuses
//! to start (the reference fails in setgid); USER naming the current user changes nothing.
//!
//! The refusal is tested as an unprivileged user: directly when the tests do not run as root,
//! else through `setpriv` as nobody. The switch itself is tested only when running as root.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};

use nix::unistd::{Uid, User};

use crate::util::{now, send_tcp, wait_for_points, Daemon, Setup, ONE_SECOND_FOR_AN_HOUR};

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    Uid::current().is_root()
}

/// Runs carbon-cache in a fresh dir with `USER = user` in carbon.conf, as nobody when the
/// tests run as root; returns (success, stderr, whether it bound anything).
fn run_with_user(user: &str) -> (bool, String, bool) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let conf = format!(
        "[cache]\nSTORAGE_DIR = {}\nUSER = {user}\nLINE_RECEIVER_INTERFACE = 127.0.0.1\n\
         PICKLE_RECEIVER_INTERFACE = 127.0.0.1\nCACHE_QUERY_INTERFACE = 127.0.0.1\n",
        root.join("storage").display()
    );
    std::fs::write(root.join("carbon.conf"), conf).expect("carbon.conf");
    std::fs::write(root.join("storage-schemas.conf"), ONE_SECOND_FOR_AN_HOUR).expect("schemas");
    let bin = env!("CARGO_BIN_EXE_carbon-cache");
    let mut command = if is_root() {
        // nobody may not reach the build directory (a checkout under /root): run a copy.
        let copy = root.join("carbon-cache");
        std::fs::copy(bin, &copy).expect("copy the binary");
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(copy);
        c
    } else {
        Command::new(bin)
    };
    let addr_file = root.join("listeners");
    let out = command
        .arg("--config")
        .arg(root.join("carbon.conf"))
        .args(["--free-ports", "--pidfile"])
        .arg(root.join("carbon-cache.pid"))
        .arg("--listener-addr-file")
        .arg(&addr_file)
        .env_remove("GRAPHITE_CONF_DIR")
        .env_remove("GRAPHITE_STORAGE_DIR")
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .expect("run carbon-cache");
    let started = addr_file.exists() || root.join("carbon-cache.pid").exists();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started,
    )
}

#[test]
fn another_user_without_root_is_refused_at_start() {
    // Unprivileged (nobody, or the user running the tests), asking for root.
    let (ok, stderr, started) = run_with_user("root");
    assert!(!ok, "carbon-cache started: {stderr}");
    assert!(
        !started,
        "carbon-cache bound or wrote its pidfile before refusing"
    );
    assert!(
        stderr.contains("USER = root") && stderr.contains("cannot switch users"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_user_is_refused_at_start() {
    let (ok, stderr, started) = run_with_user("no-such-user-carbon-e2e");
    assert!(!ok && !started, "{stderr}");
    assert!(stderr.contains("no such user"), "{stderr}");
}

#[test]
fn user_naming_the_current_user_changes_nothing() {
    let me = User::from_uid(Uid::current())
        .expect("getpwuid")
        .expect("the current user has an account");
    let d = Daemon::start(&Setup::default().set("USER", &me.name));
    let t = now() - 10;
    send_tcp(d.addr("line"), format!("user.same 1 {t}\n").as_bytes());
    wait_for_points(&d, "user.same", t - 10, 1);
    assert_eq!(uids(d.pid()), [Uid::current().as_raw(); 4]);
}

/// The real, effective, saved and filesystem uids of a process.
fn uids(pid: u32) -> [u32; 4] {
    ids(pid, "Uid:")
}

fn ids(pid: u32, key: &str) -> [u32; 4] {
    ids_in(Path::new(&format!("/proc/{pid}/status")), key)
}

fn ids_in(status: &Path, key: &str) -> [u32; 4] {
    let v = ids_line(&std::fs::read_to_string(status).expect("status"), key);
    [v[0], v[1], v[2], v[3]]
}

/// The numbers of the `key` line of a /proc status file.
fn ids_line(status: &str, key: &str) -> Vec<u32> {
    let line = status
        .lines()
        .find(|l| l.starts_with(key))
        .expect("the id line");
    line[key.len()..]
        .split_whitespace()
        .map(|x| x.parse().expect("an id"))
        .collect()
}

fn owner(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .uid()
}

#[test]
fn root_becomes_user_after_binding() {
    if !is_root() {
        eprintln!("skipped: switching users needs root");
        return;
    }
    let setup = Setup {
        log_to_dir: true,
        world_readable: true,
        ..Setup::default()
    }
    .set("USER", "nobody")
    .set("LOG_CREATES", "True");
    let mut d = Daemon::start(&setup);
    let t = now() - 10;
    send_tcp(d.addr("line"), format!("user.switched 1 {t}\n").as_bytes());
    wait_for_points(&d, "user.switched", t - 10, 1);
    // Every thread, the runtime's workers started before the switch included.
    let tasks = std::fs::read_dir(format!("/proc/{}/task", d.pid())).expect("tasks");
    let mut threads = 0;
    for task in tasks {
        let status = task.expect("task").path().join("status");
        assert_eq!(ids_in(&status, "Uid:"), [NOBODY; 4], "{}", status.display());
        assert_eq!(ids_in(&status, "Gid:"), [NOBODY; 4], "{}", status.display());
        threads += 1;
    }
    assert!(threads > 1, "only {threads} thread");
    let groups = ids_line(
        &std::fs::read_to_string(format!("/proc/{}/status", d.pid())).unwrap(),
        "Groups:",
    );
    assert!(!groups.contains(&0), "still in group root: {groups:?}");
    // Files written after the switch belong to USER; the directories made before it too.
    assert_eq!(owner(&d.file("user.switched")), NOBODY);
    assert_eq!(owner(d.data_dir()), NOBODY);
    assert_eq!(owner(&d.log_dir()), NOBODY);
    assert_eq!(owner(&d.log_dir().join("creates.log")), NOBODY);
    // The pid and console.log files were made as root, before the switch.
    assert_eq!(owner(&d.root().join("carbon-cache.pid")), 0);
    assert_eq!(owner(&d.log_dir().join("console.log")), 0);
    assert!(d.terminate().success());
    let console = std::fs::read_to_string(d.log_dir().join("console.log")).expect("console.log");
    assert!(
        console.contains("dropped privileges to nobody (uid 65534, gid 65534)"),
        "{console}"
    );
    assert!(console.contains("shutdown complete"), "{console}");
}
