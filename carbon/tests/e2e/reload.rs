//! Runtime behaviour: SIGHUP reloads the list and schema files at once (a blacklist written
//! while the daemon runs stops its metrics, a new storage schema applies to the files created
//! after the signal), and flow control holds the senders back instead of dropping points.

use std::time::Duration;

use crate::util::{now, send_tcp, wait_for_points, Daemon, Setup};

#[test]
fn sighup_reloads_the_blacklist_and_the_schemas() {
    let d = Daemon::start(&Setup::default().set("USE_WHITELIST", "True"));
    let t = now() - 60;
    send_tcp(d.addr("line"), format!("secret.before 1 {t}\n").as_bytes());
    wait_for_points(&d, "secret.before", t - 10, 1);

    std::fs::write(d.root().join("blacklist.conf"), "^secret\\.\n").expect("blacklist.conf");
    std::fs::write(
        d.root().join("storage-schemas.conf"),
        "[reloaded]\npattern = ^reloaded\\.\nretentions = 10s:1d\n\n[default]\npattern = .*\nretentions = 1s:1h\n",
    )
    .expect("storage-schemas.conf");
    d.hangup();
    // The reload happens in the daemon's own time; give it a moment, then show it took.
    std::thread::sleep(Duration::from_millis(500));

    send_tcp(
        d.addr("line"),
        format!("secret.after 1 {t}\npublic.after 2 {t}\nreloaded.metric 3 {t}\n").as_bytes(),
    );
    wait_for_points(&d, "public.after", t - 10, 1);
    wait_for_points(&d, "reloaded.metric", t - 20, 1);
    let header = whisper::info(&d.file("reloaded.metric")).expect("whisper info");
    assert_eq!(header.archives[0].seconds_per_point, 10, "{header:?}");
    // public.after was written after secret.after was received: a blacklisted point that had
    // been accepted would be on disk by now.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !d.file("secret.after").exists(),
        "a blacklisted metric was stored after SIGHUP:\n{}",
        d.log()
    );
}

/// With USE_FLOW_CONTROL a full cache pauses the receivers instead of dropping: every one of
/// many more points than MAX_CACHE_SIZE holds reaches the disk.
#[test]
fn flow_control_waits_instead_of_dropping() {
    let d = Daemon::start(
        &Setup::default()
            .set("USE_FLOW_CONTROL", "True")
            .set("MAX_CACHE_SIZE", "50")
            .set("MAX_UPDATES_PER_SECOND", "200"),
    );
    let t = now() - 3000;
    let mut input = String::new();
    for i in 0..2000 {
        // Ten metrics, so the writer's batches stay small and the cache fills up.
        input.push_str(&format!("flow.m{} {i} {}\n", i % 10, t + i));
    }
    send_tcp(d.addr("line"), input.as_bytes());
    for m in 0..10 {
        wait_for_points(&d, &format!("flow.m{m}"), t - 10, 200);
    }
}
