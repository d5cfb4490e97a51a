//! Shared by the finder tests: a storage tree with every shape the finder has to handle, and
//! a runner for the Python reference drivers.
#![allow(dead_code, unreachable_pub)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A whisper file with `points` one-minute points (maxRetention `60 * points`).
pub fn wsp(path: &Path, points: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    whisper::create(
        path,
        &[whisper::ArchiveSpec {
            seconds_per_point: 60,
            points,
        }],
        &whisper::CreateOptions::default(),
    )
    .unwrap();
}

/// The tagged series stored by the tree, hash-named ("cpu.load;..."), name-encoded
/// ("mem.free;...") or both ("disk.used;...").
pub const TAGGED: [(&str, bool, bool); 3] = [
    ("cpu.load;dc=east;host=a", true, false),
    ("mem.free;host=b", false, true),
    ("disk.used;host=c;x=y.z", true, true),
];

/// Builds the test tree under `whisper` (the storage's `whisper/` directory).
pub fn build_tree(whisper: &Path) {
    let leaves = [
        "a/b/c",
        "a/b/d",
        "a/b/e/f",
        "a/bc",
        "a/b",
        "a/x.y",
        "a/.hidden",
        "a/.hdir/z",
        "d1/d2/d3/d4/leaf",
        "d1/leaf",
        "d1/d2/other",
        "v1.2/m",
        "odd/a-b",
        "odd/a_b",
        "odd/[x]",
        "odd/!x",
        "odd/^x",
        "odd/é",
        "odd/sp ace",
        "odd/plus+sign",
        "odd/pct%20x",
        "odd/caf%C3%A9",
        "odd/back\\slash",
        "odd/quote\"q",
        "odd/{brace}",
        "odd/star*",
        "top",
        ".top",
    ];
    for (i, leaf) in leaves.iter().enumerate() {
        wsp(&whisper.join(format!("{leaf}.wsp")), 100 + i as u32);
    }
    for h in 1..=12 {
        for m in ["load", "idle"] {
            wsp(&whisper.join(format!("cpu/host{h}/{m}.wsp")), 1440);
        }
    }
    for i in 0..200 {
        wsp(&whisper.join(format!("big/m{i:04}.wsp")), 10);
    }
    for dir in ["a/bd", "empty", "a/b/e/deep/er"] {
        std::fs::create_dir_all(whisper.join(dir)).unwrap();
    }
    std::fs::write(whisper.join("odd/readme.txt"), "x").unwrap();
    std::fs::write(whisper.join("odd/data.wsp.bak"), "x").unwrap();
    std::os::unix::fs::symlink("../host3/load.wsp", whisper.join("cpu/host2/alias.wsp")).unwrap();
    std::os::unix::fs::symlink("../nope.wsp", whisper.join("cpu/host2/broken.wsp")).unwrap();
    std::os::unix::fs::symlink("cpu/host1", whisper.join("linkdir")).unwrap();
    for (name, hash, plain) in TAGGED {
        for (on, hash_only) in [(hash, true), (plain, false)] {
            if on {
                let rel = graphite_tags::relative_path(name, hash_only);
                wsp(&whisper.join(rel), 60);
            }
        }
    }
}

/// A second storage directory overlapping the first.
pub fn build_second(dir: &Path) {
    for leaf in ["a/b/c", "a/b/z", "second/only", "cpu/host1/steal"] {
        wsp(&dir.join(format!("{leaf}.wsp")), 30);
    }
}

/// A scratch storage directory laid out as graphite-web expects (`whisper/`, `log/webapp/`).
pub struct Storage {
    pub tmp: tempfile::TempDir,
}

impl Storage {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("storage/whisper")).unwrap();
        std::fs::create_dir_all(tmp.path().join("storage/log/webapp")).unwrap();
        Self { tmp }
    }

    pub fn storage(&self) -> PathBuf {
        self.tmp.path().join("storage")
    }

    /// `WHISPER_DIR`, with the trailing slash graphite-web's default has.
    pub fn whisper(&self) -> PathBuf {
        PathBuf::from(format!("{}/", self.storage().join("whisper").display()))
    }
}

/// Runs a driver from `tests/reference` with `input` on stdin and the storage's settings;
/// returns its stdout parsed as JSON. Panics with stderr on failure.
pub fn run_driver(script: &str, storage: &Path, input: &serde_json::Value) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(script);
    let mut child = Command::new(reference_python::python())
        .arg(&script)
        .env("GRAPHITE_STORAGE_DIR", storage)
        .env("DJANGO_SETTINGS_MODULE", "graphite.settings")
        .env("PYTHONHASHSEED", "0")
        .env("TZ", "UTC")
        .current_dir(storage)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the reference python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad driver output ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}
