//! Whitelist and blacklist files (USE_WHITELIST, CONF_DIR/whitelist.conf and blacklist.conf,
//! `--whitelist`/`--blacklist`): one Python regex per line, searched in the raw received name;
//! `#` lines and blank lines skipped; the blacklist wins; without USE_WHITELIST both files are
//! ignored.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::util::{now, send_tcp, wait_for_points, Daemon, Setup};

const WHITELIST: &str = "# only the app and sys trees\n^app\\.\n\n  sys\\.cpu[0-9]+$\n#other\n";
const BLACKLIST: &str = "# no secrets\n\\.secret\\.\n";

/// Sends one point of each name, then a final `marker` point, and returns the metric files
/// once the marker is on disk (points sent before it were handled before it).
fn store(d: &Daemon, names: &[&str], marker: &str) -> BTreeSet<String> {
    let t = now() - 10;
    let mut data = String::new();
    for name in names.iter().chain([&marker]) {
        data.push_str(&format!("{name} 1 {t}\n"));
    }
    send_tcp(d.addr("line"), data.as_bytes());
    wait_for_points(d, marker, t - 10, 1);
    // The writer may still be on the files popped just before the marker's.
    std::thread::sleep(Duration::from_millis(300));
    names
        .iter()
        .filter(|n| d.file(n).exists())
        .map(|n| (*n).to_owned())
        .collect()
}

const NAMES: [&str; 7] = [
    "app.web.requests",
    "app.db.secret.password",
    "sys.cpu0",
    "sys.cpu0.idle",
    "other.metric",
    "#other.metric",
    "xapp.web",
];

#[test]
fn whitelist_and_blacklist_filter_the_received_names() {
    let d = Daemon::start(
        &Setup::default()
            .set("USE_WHITELIST", "True")
            .file("whitelist.conf", WHITELIST)
            .file("blacklist.conf", BLACKLIST),
    );
    let stored = store(&d, &NAMES, "app.marker");
    let expected: BTreeSet<String> = ["app.web.requests", "sys.cpu0"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(stored, expected, "{}", d.log());
}

#[test]
fn the_lists_are_ignored_without_use_whitelist() {
    let d = Daemon::start(
        &Setup::default()
            .file("whitelist.conf", WHITELIST)
            .file("blacklist.conf", BLACKLIST),
    );
    let stored = store(&d, &NAMES, "app.marker");
    assert_eq!(stored.len(), NAMES.len(), "{stored:?}");
}

#[test]
fn an_empty_whitelist_lets_everything_but_the_blacklist_through() {
    let d = Daemon::start(
        &Setup::default()
            .set("USE_WHITELIST", "True")
            .file("whitelist.conf", "# nothing\n\n")
            .file("blacklist.conf", BLACKLIST),
    );
    let stored = store(&d, &NAMES, "app.marker");
    let expected: BTreeSet<String> = NAMES
        .iter()
        .filter(|n| !n.contains(".secret."))
        .map(|n| (*n).to_owned())
        .collect();
    assert_eq!(stored, expected);
}

#[test]
fn list_files_given_on_the_command_line() {
    let extra = tempfile::tempdir().expect("temp dir");
    let white = extra.path().join("allow.txt");
    let black = extra.path().join("deny.txt");
    std::fs::write(&white, "^other\\.\n^app\\.\n").expect("allow.txt");
    std::fs::write(&black, "^app\\.web\\.\n").expect("deny.txt");
    let d = Daemon::start(&Setup {
        args: vec![
            "--whitelist".into(),
            white.display().to_string(),
            "--blacklist".into(),
            black.display().to_string(),
        ],
        // The files in CONF_DIR would let only sys.* through: they are not read.
        ..Setup::default()
            .set("USE_WHITELIST", "True")
            .file("whitelist.conf", "^sys\\.\n")
    });
    let stored = store(&d, &NAMES, "app.marker");
    let expected: BTreeSet<String> = ["app.db.secret.password", "other.metric"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(stored, expected);
}
