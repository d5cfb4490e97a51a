//! The module flags of whisper as `Options`, and the create variants.

use std::sync::mpsc;
use std::time::Duration;

use whisper::{AggregationMethod, ArchiveSpec, CreateOptions, Options, Whisper};

const NOW: i64 = 1_700_000_000;

fn archives() -> Vec<ArchiveSpec> {
    vec![ArchiveSpec::new(10, 360), ArchiveSpec::new(60, 1440)]
}

#[test]
fn sparse_fallocate_and_plain_create_write_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, sparse, fallocate) in [("p", false, false), ("s", true, false), ("f", false, true)] {
        let path = dir.path().join(name);
        let opts = CreateOptions {
            sparse,
            fallocate,
            ..CreateOptions::default()
        };
        Whisper::new(Options {
            autoflush: true,
            fadvise_random: true,
            lock: true,
            ..Options::default()
        })
        .create(&path, &archives(), &opts)
        .unwrap();
        files.push(std::fs::read(&path).unwrap());
    }
    assert_eq!(files[0].len(), 16 + 2 * 12 + (360 + 1440) * 12);
    assert_eq!(files[0], files[1]);
    assert_eq!(files[0], files[2]);
}

#[test]
fn existing_file_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wsp");
    whisper::create(&path, &archives(), &CreateOptions::default()).unwrap();
    let before = std::fs::read(&path).unwrap();
    let e = whisper::create(&path, &archives(), &CreateOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("File {} already exists!", path.display())
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn invalid_xff_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wsp");
    for xff in [1.5, -0.1, f64::NAN] {
        let opts = CreateOptions {
            x_files_factor: xff,
            ..CreateOptions::default()
        };
        assert!(whisper::create(&path, &archives(), &opts).is_err());
        assert!(!path.exists());
    }
}

#[test]
fn locked_writes_wait_for_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wsp");
    whisper::create(&path, &archives(), &CreateOptions::default()).unwrap();
    let holder = std::fs::File::open(&path).unwrap();
    holder.lock().unwrap();
    let (tx, rx) = mpsc::channel();
    let p = path.clone();
    let writer = std::thread::spawn(move || {
        let w = Whisper::new(Options {
            lock: true,
            ..Options::default()
        });
        w.update(&p, 1.0, Some(NOW), Some(NOW)).unwrap();
        tx.send(()).unwrap();
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "the update did not wait for the lock"
    );
    holder.unlock().unwrap();
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    writer.join().unwrap();
    let f = whisper::fetch(&path, NOW - 20, Some(NOW), Some(NOW))
        .unwrap()
        .unwrap();
    assert_eq!(f.values, vec![None, Some(1.0)]);
}

#[test]
fn header_cache_is_used_until_set_metadata_invalidates_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wsp");
    whisper::create(&path, &archives(), &CreateOptions::default()).unwrap();
    let cached = Whisper::new(Options {
        cache_headers: true,
        ..Options::default()
    });
    assert_eq!(
        cached.info(&path).unwrap().aggregation_method,
        AggregationMethod::Average
    );
    // Changed behind the cache's back: the cached header is still served, as whisper does.
    whisper::Whisper::default()
        .set_aggregation_method(&path, AggregationMethod::Max, None)
        .unwrap();
    assert_eq!(
        cached.info(&path).unwrap().aggregation_method,
        AggregationMethod::Average
    );
    // Changed through the cache: invalidated.
    let old = cached
        .set_aggregation_method(&path, AggregationMethod::Sum, Some(0.25))
        .unwrap();
    // The old method comes from the (stale) cached header, as in whisper.
    assert_eq!(old, AggregationMethod::Average);
    let h = cached.info(&path).unwrap();
    assert_eq!(h.aggregation_method, AggregationMethod::Sum);
    assert_eq!(h.x_files_factor, 0.25);
    assert_eq!(cached.set_x_files_factor(&path, 0.1).unwrap(), 0.25);
    assert_eq!(
        f64::from(cached.info(&path).unwrap().x_files_factor),
        0.10000000149011612
    );
}
