//! Issue 3 (carbon-cache), acceptance point 3: every point accepted before SIGTERM is on disk
//! when the daemon exits, and a kill -9 during heavy writing leaves every file readable by the
//! reference whisper.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::util::{now, points, python_client, wait_until, wsp_files, Daemon, Setup};

#[test]
fn sigterm_right_after_sending_loses_nothing() {
    const CONNECTIONS: usize = 4;
    const METRICS_PER_CONNECTION: usize = 5;
    const POINTS: i64 = 1000;
    let mut d = Daemon::start(&Setup::default());
    let base = now() - 1500;
    let addr = d.addr("line");
    let senders: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            std::thread::spawn(move || {
                let mut text = String::new();
                for k in 0..POINTS {
                    for m in 0..METRICS_PER_CONNECTION {
                        text.push_str(&format!("noloss.c{c}.m{m} {k}.{m} {}\n", base + k));
                    }
                }
                // As nc does: write everything, close, and do not wait for the daemon.
                let mut stream = TcpStream::connect(addr).expect("connect");
                stream.write_all(text.as_bytes()).expect("send");
                stream.shutdown(Shutdown::Write).expect("close");
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    let status = d.terminate();
    assert!(status.success(), "{status}");
    let mut total = 0;
    for c in 0..CONNECTIONS {
        for m in 0..METRICS_PER_CONNECTION {
            let name = format!("noloss.c{c}.m{m}");
            let got = points(&d.file(&name), base - 10);
            let expected: Vec<(i64, f64)> = (0..POINTS)
                .map(|k| (base + k, format!("{k}.{m}").parse().unwrap()))
                .collect();
            assert_eq!(got.len(), expected.len(), "{name}");
            assert_eq!(got, expected, "{name}");
            total += got.len();
        }
    }
    assert_eq!(total, 20_000);
}

#[test]
fn kill_9_during_heavy_writing_leaves_readable_files() {
    let mut d = Daemon::start(
        &Setup::default().schemas("[default]\npattern = .*\nretentions = 1s:10m,1m:1h\n"),
    );
    let addr = d.addr("line");
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let t = now() - 100;
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                // New metrics (creates) and more points for earlier ones (updates).
                let mut text = String::new();
                for i in 0..300 {
                    for k in 0..3 {
                        text.push_str(&format!("kill.r{round}.m{i} {k} {}\n", t + k));
                    }
                    if round > 0 {
                        text.push_str(&format!("kill.r{}.m{i} 9 {}\n", round - 1, t + 3));
                    }
                }
                let Ok(mut stream) = TcpStream::connect(addr) else {
                    return;
                };
                if stream.write_all(text.as_bytes()).is_err() {
                    return;
                }
                round += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    wait_until(Duration::from_secs(30), "1000 files", || {
        wsp_files(d.data_dir()).len() >= 1000
    });
    d.kill_9();
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();

    let files = wsp_files(d.data_dir());
    for f in &files {
        let header = whisper::info(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(header.archives.len(), 2, "{}", f.display());
    }
    let data_dir = d.data_dir().to_str().unwrap().to_owned();
    let out = python_client(&["check-whisper", &data_dir], "", d.root());
    assert_eq!(out.trim(), format!("ok {}", files.len()), "{out}");
}
