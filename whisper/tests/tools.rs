//! The `whisper-*` tools against the reference scripts of whisper 1.1.10.
//!
//! Each case runs our binary and the reference script (through `tests/reference/run_tool.py`,
//! which fixes Python's clock to `WHISPER_NOW`) in two directories holding identical copies of
//! the same input files, with the same arguments, stdin and environment (`WHISPER_NOW`, `TZ`),
//! and compares the exit status, stdout and every file left in the directory byte for byte.
//! Paths are relative to the directory so that outputs naming files are comparable.
//!
//! Where the reference prints optparse's help (ours is clap's) or crashes with a traceback (we
//! print `[ERROR] ...`; see docs/compatibility.md), only what is meant to be equal is compared.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use whisper::{AggregationMethod, ArchiveSpec, CreateOptions};

/// The fixed "now" of every case.
const NOW: i64 = 1_700_000_000;

fn our_bin(tool: &str) -> &'static str {
    match tool {
        "whisper-create" => env!("CARGO_BIN_EXE_whisper-create"),
        "whisper-info" => env!("CARGO_BIN_EXE_whisper-info"),
        "whisper-fetch" => env!("CARGO_BIN_EXE_whisper-fetch"),
        "whisper-update" => env!("CARGO_BIN_EXE_whisper-update"),
        "whisper-dump" => env!("CARGO_BIN_EXE_whisper-dump"),
        "whisper-resize" => env!("CARGO_BIN_EXE_whisper-resize"),
        "whisper-merge" => env!("CARGO_BIN_EXE_whisper-merge"),
        "whisper-fill" => env!("CARGO_BIN_EXE_whisper-fill"),
        "whisper-diff" => env!("CARGO_BIN_EXE_whisper-diff"),
        "whisper-set-aggregation-method" => env!("CARGO_BIN_EXE_whisper-set-aggregation-method"),
        "whisper-set-xfilesfactor" => env!("CARGO_BIN_EXE_whisper-set-xfilesfactor"),
        _ => panic!("unknown tool {tool}"),
    }
}

const TOOLS: [&str; 11] = [
    "whisper-create",
    "whisper-info",
    "whisper-fetch",
    "whisper-update",
    "whisper-dump",
    "whisper-resize",
    "whisper-merge",
    "whisper-fill",
    "whisper-diff",
    "whisper-set-aggregation-method",
    "whisper-set-xfilesfactor",
];

/// What one run left behind.
#[derive(Debug)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    files: BTreeMap<String, Vec<u8>>,
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// One comparison of our tool with the reference script.
struct Case {
    tool: String,
    args: Vec<String>,
    stdin: String,
    env: Vec<(String, String)>,
    files: Vec<(String, Vec<u8>)>,
    same_stdout: bool,
    same_stderr: bool,
    same_files: bool,
}

impl Case {
    fn new(tool: &str, args: &[&str]) -> Self {
        Case {
            tool: tool.to_string(),
            args: args.iter().map(|s| s.to_string()).collect(),
            stdin: String::new(),
            env: vec![
                ("WHISPER_NOW".into(), NOW.to_string()),
                ("TZ".into(), "UTC".into()),
            ],
            files: Vec::new(),
            same_stdout: true,
            same_stderr: false,
            same_files: true,
        }
    }

    fn file(mut self, name: &str, bytes: &[u8]) -> Self {
        self.files.push((name.to_string(), bytes.to_vec()));
        self
    }

    fn fixtures(mut self, f: &Fixtures) -> Self {
        for (name, bytes) in &f.files {
            self.files.push((name.clone(), bytes.clone()));
        }
        self
    }

    fn stdin(mut self, s: &str) -> Self {
        self.stdin = s.to_string();
        self
    }

    fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Stdout is not compared: the reference prints optparse's help text (ours is clap's), or
    /// progress lines before a crash we report up front.
    fn stdout_differs(mut self) -> Self {
        self.same_stdout = false;
        self
    }

    /// Also compare stderr (both sides end with the same message, no traceback).
    fn same_stderr(mut self) -> Self {
        self.same_stderr = true;
        self
    }

    /// The reference leaves debris (an empty file) that we do not; checked by the caller.
    fn files_differ(mut self) -> Self {
        self.same_files = false;
        self
    }

    fn exec(&self, mut cmd: Command, dir: &Path) -> Outcome {
        cmd.current_dir(dir)
            .args(&self.args)
            .env_remove("WHISPER_NOW")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(self.stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        Outcome {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
            files: snapshot(dir),
        }
    }

    /// Runs both sides and asserts what must be equal; returns (ours, reference).
    fn run(self) -> (Outcome, Outcome) {
        let tmp = tempfile::tempdir().unwrap();
        let ours_dir = tmp.path().join("ours");
        let ref_dir = tmp.path().join("ref");
        for dir in [&ours_dir, &ref_dir] {
            std::fs::create_dir(dir).unwrap();
            for (name, bytes) in &self.files {
                std::fs::write(dir.join(name), bytes).unwrap();
            }
        }
        let ours = self.exec(Command::new(our_bin(&self.tool)), &ours_dir);
        let mut reference_cmd = Command::new(common::reference_python());
        reference_cmd
            .arg(common::helper_scripts_dir().join("run_tool.py"))
            .arg(common::reference_bin_dir().join(format!("{}.py", self.tool)));
        let reference = self.exec(reference_cmd, &ref_dir);

        let context = format!(
            "{} {:?} (stdin {:?}, env {:?})\n--- ours stderr:\n{}\n--- reference stderr:\n{}",
            self.tool, self.args, self.stdin, self.env, ours.stderr, reference.stderr
        );
        assert_eq!(ours.code, reference.code, "exit status of {context}");
        if self.same_stdout {
            assert_eq!(ours.stdout, reference.stdout, "stdout of {context}");
        }
        if self.same_stderr {
            assert_eq!(ours.stderr, reference.stderr, "stderr of {context}");
        }
        if self.same_files {
            assert_eq!(
                ours.files.keys().collect::<Vec<_>>(),
                reference.files.keys().collect::<Vec<_>>(),
                "files left by {context}"
            );
            for (name, bytes) in &ours.files {
                assert!(
                    *bytes == reference.files[name],
                    "{name} differs after {context}"
                );
            }
        }
        if ours.code != Some(0) && !ours.stderr.is_empty() {
            // Our failures never show a Python-like traceback, only a message.
            assert!(!ours.stderr.contains("Traceback"), "{context}");
        }
        (ours, reference)
    }
}

/// Asserts that our stderr is one `[ERROR] ...` line (where the reference crashes or says the
/// same).
fn assert_error_line(ours: &Outcome, starts: &str) {
    assert!(
        ours.stderr.starts_with(&format!("[ERROR] {starts}")) && ours.stderr.lines().count() == 1,
        "stderr {:?} should be one line starting [ERROR] {starts}",
        ours.stderr
    );
}

/// The input files of the cases, made with our library (the interop tests prove those are the
/// bytes the reference writes).
struct Fixtures {
    files: Vec<(String, Vec<u8>)>,
}

impl Fixtures {
    fn get(&self, name: &str) -> &[u8] {
        &self.files.iter().find(|(n, _)| n == name).unwrap().1
    }
}

/// The standard layout: 20 minutes of minutes, 2 hours of 5 minutes, a day of hours.
const STANDARD: [(u32, u32); 3] = [(60, 20), (300, 24), (3600, 24)];

fn make_file(
    archives: &[(u32, u32)],
    xff: f64,
    method: AggregationMethod,
    points: &[(i64, f64)],
) -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("f.wsp");
    let specs: Vec<ArchiveSpec> = archives
        .iter()
        .map(|&(s, p)| ArchiveSpec::new(s, p))
        .collect();
    whisper::create(
        &path,
        &specs,
        &CreateOptions {
            x_files_factor: xff,
            aggregation_method: method,
            ..CreateOptions::default()
        },
    )
    .unwrap();
    // Written oldest first in a few batches, as carbon would over time.
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|p| p.0);
    for batch in sorted.chunks(7) {
        whisper::update_many(&path, batch, Some(NOW)).unwrap();
    }
    std::fs::read(&path).unwrap()
}

/// A value for minute `i` (ago) with every kind of float the outputs must format alike.
fn value_for(i: i64) -> f64 {
    match i {
        2 => f64::NAN,
        4 => f64::INFINITY,
        5 => -0.0,
        6 => 1e-7,
        8 => 123_456_789.123_456_79,
        9 => 1e20,
        10 => -2.5e-5,
        _ if i % 11 == 0 => 0.0,
        _ => i as f64 * 0.25 - 50.0,
    }
}

fn fixtures() -> Fixtures {
    // a: a day of minutes with small gaps; b: the same with other values, other gaps and two
    // long holes (for fill and diff).
    let a_points: Vec<(i64, f64)> = (0..1440)
        .filter(|i| i % 7 != 3 && !(30..34).contains(i))
        .map(|i| (NOW - i * 60 - 13, value_for(i)))
        .collect();
    let b_points: Vec<(i64, f64)> = (0..1440)
        .filter(|i| i % 5 != 2 && !(3..12).contains(i) && !(100..300).contains(i))
        .map(|i| {
            let v = value_for(i);
            (NOW - i * 60 - 29, if i % 13 == 0 { v + 1.0 } else { v })
        })
        .collect();
    let files = vec![
        (
            "a.wsp".to_string(),
            make_file(&STANDARD, 0.5, AggregationMethod::Average, &a_points),
        ),
        (
            "b.wsp".to_string(),
            make_file(&STANDARD, 0.5, AggregationMethod::Average, &b_points),
        ),
        (
            "empty.wsp".to_string(),
            make_file(&STANDARD, 0.5, AggregationMethod::Average, &[]),
        ),
        (
            "other.wsp".to_string(),
            make_file(&[(60, 60), (3600, 24)], 0.5, AggregationMethod::Sum, &[]),
        ),
        (
            "xff.wsp".to_string(),
            make_file(&STANDARD, 0.1, AggregationMethod::Max, &a_points[..50]),
        ),
    ];
    Fixtures { files }
}

#[test]
fn create() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-create", args).run();
    ok(&["new.wsp", "60:10", "5m:1h"]);
    ok(&["new.wsp", "1h:7d", "60:1440", "15m:8"]);
    ok(&[
        "--xFilesFactor=0.1",
        "--aggregationMethod=max",
        "n.wsp",
        "1s:1m",
    ]);
    ok(&[
        "n.wsp",
        "10:6",
        "--xFilesFactor",
        "0",
        "--aggregationMethod",
        "avg_zero",
    ]);
    ok(&["--xFiles=1", "--agg=absmin", "n.wsp", "60:5"]);
    ok(&["--sparse", "n.wsp", "60:100", "1h:2"]);
    ok(&["--fallocate", "n.wsp", "60:100", "1h:2"]);
    ok(&["n.wsp", "60:10", "--overwrite"]);
    let (ours, _) = Case::new("whisper-create", &["a.wsp", "60:10"])
        .fixtures(&f)
        .same_stderr()
        .run();
    assert_error_line(&ours, "File a.wsp already exists!");
    let (ours, _) = Case::new("whisper-create", &["--overwrite", "a.wsp", "60:10"])
        .fixtures(&f)
        .run();
    assert!(ours
        .stdout
        .starts_with("Overwriting existing file: a.wsp\nCreated: a.wsp"));

    // --estimate: one comma-separated argument or several.
    ok(&["--estimate", "60:1440,300:2016,3600:26280"]);
    ok(&["--estimate", "1s:1y", "1m:5y"]);
    ok(&["--estimate", "10s:6h"]);
    ok(&["--estimate", "60:1440", "--sparse"]);
    // Usage and help on missing arguments: exit 1.
    Case::new("whisper-create", &["--estimate"])
        .stdout_differs()
        .run();
    Case::new("whisper-create", &["n.wsp"])
        .stdout_differs()
        .run();
    Case::new("whisper-create", &[]).stdout_differs().run();

    // Invalid archives: the reference crashes on a bad definition (ValueError) and reports a
    // bad list; nothing is created either way.
    let (ours, _) = Case::new("whisper-create", &["n.wsp", "60:1x"]).run();
    assert_error_line(&ours, "Invalid unit 'x'");
    let (ours, _) = Case::new("whisper-create", &["--estimate", "60:10", "bogus"]).run();
    assert_error_line(&ours, "Invalid retention definition 'bogus'");
    for args in [
        &["n.wsp", "60:10", "60:20"][..],
        &["n.wsp", "60:10", "90:20"],
        &["n.wsp", "60:100", "120:50"],
        &["n.wsp", "60:2", "300:100"],
    ] {
        let (ours, _) = Case::new("whisper-create", args).same_stderr().run();
        assert_error_line(&ours, "");
    }
    // A bad method or xFilesFactor: same message, but the reference leaves an empty file.
    for (args, message) in [
        (
            &["n.wsp", "60:10", "--aggregationMethod=median"][..],
            "Unrecognized aggregation method: median",
        ),
        (
            &["n.wsp", "60:10", "--xFilesFactor=1.5"],
            "Invalid xFilesFactor 1.5, not between 0 and 1",
        ),
    ] {
        let (ours, reference) = Case::new("whisper-create", args)
            .same_stderr()
            .files_differ()
            .run();
        assert_error_line(&ours, message);
        assert!(ours.files.is_empty());
        assert_eq!(reference.files["n.wsp"].len(), 0);
    }
    // An option value optparse cannot convert: exit 2 on both sides.
    Case::new("whisper-create", &["n.wsp", "60:10", "--xFilesFactor=half"])
        .stdout_differs()
        .run();
}

#[test]
fn info() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-info", args).fixtures(&f).run();
    ok(&["a.wsp"]);
    ok(&["other.wsp"]);
    ok(&["--json", "a.wsp"]);
    ok(&["xff.wsp", "--json"]);
    ok(&["xff.wsp"]);
    for field in [
        "aggregationMethod",
        "maxRetention",
        "xFilesFactor",
        "archives",
        "fileSize",
    ] {
        ok(&["xff.wsp", field]);
        ok(&["--json", "a.wsp", field]);
    }
    ok(&["a.wsp", ""]);
    ok(&["a.wsp", "points", "extra"]);
    let (ours, _) = ok(&["a.wsp", "bogus"]);
    assert_eq!(ours.code, Some(1));
    Case::new("whisper-info", &[]).stdout_differs().run();
    // A missing file: the reference crashes (TypeError), we say why.
    let (ours, _) = ok(&["missing.wsp"]);
    assert_error_line(&ours, "[Errno 2] No such file or directory: 'missing.wsp'");
    let (ours, _) = Case::new("whisper-info", &["short.wsp"])
        .file("short.wsp", &f.get("a.wsp")[..10])
        .same_stderr()
        .run();
    assert_error_line(&ours, "Unable to read header (short.wsp)");
    let (ours, _) = Case::new("whisper-info", &["zero.wsp"])
        .file("zero.wsp", b"")
        .same_stderr()
        .run();
    assert_error_line(&ours, "Unable to read header (zero.wsp)");
}

#[test]
fn fetch() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-fetch", args).fixtures(&f).run();
    let from = (NOW - 600).to_string();
    let until = (NOW - 120).to_string();
    ok(&["a.wsp"]);
    ok(&["empty.wsp"]);
    ok(&["--from", &from, "a.wsp"]);
    ok(&[
        &format!("--from={from}"),
        &format!("--until={until}"),
        "a.wsp",
    ]);
    ok(&[
        "a.wsp",
        "--from",
        &(NOW - 3 * 3600).to_string(),
        "--until",
        &until,
    ]);
    ok(&["--from", &(NOW - 40 * 60).to_string(), "b.wsp"]);
    ok(&["--from", &from, "--until", &from, "a.wsp"]);
    ok(&["--from", &from, "--json", "a.wsp"]);
    ok(&["--json", "empty.wsp"]);
    ok(&["--json", "--from", &(NOW - 7200).to_string(), "b.wsp"]);
    // optparse integers: hexadecimal, octal, negative.
    ok(&["--from", &format!("{:#x}", NOW - 600), "a.wsp"]);
    ok(&["--from", &format!("0{:o}", NOW - 600), "a.wsp"]);
    ok(&["--from=-100", "a.wsp"]);
    ok(&["--from", "-100", "--until", "0x0", "a.wsp"]);
    // --drop filters the values and (the reference's bug) shifts the later timestamps.
    for drop in ["nulls", "zeroes", "empty"] {
        ok(&["--from", &(NOW - 1500).to_string(), "--drop", drop, "a.wsp"]);
        ok(&[
            &format!("--drop={drop}"),
            "--json",
            "--from",
            &from,
            "a.wsp",
        ]);
        ok(&["--drop", drop, "b.wsp"]);
    }
    // --pretty with ctime and with a format, in UTC and in a zone with daylight saving time.
    ok(&["--pretty", "--from", &from, "a.wsp"]);
    ok(&["--pretty", "-t", "%Y-%m-%d %H:%M:%S %Z", "a.wsp"]);
    ok(&[
        "--pretty",
        "--time-format=%s|%j|%Q|%%|%c",
        "--from",
        &from,
        "a.wsp",
    ]);
    ok(&["--pretty", "--time-format", "", "--from", &from, "a.wsp"]);
    ok(&["-t", "%H", "--from", &from, "a.wsp"]);
    for tz in ["EST5EDT,M3.2.0,M11.1.0", "UTC-5:30"] {
        Case::new("whisper-fetch", &["--pretty", "a.wsp"])
            .fixtures(&f)
            .env("TZ", tz)
            .run();
        Case::new("whisper-fetch", &["--pretty", "-t", "%c %Z %z", "a.wsp"])
            .fixtures(&f)
            .env("TZ", tz)
            .run();
    }
    // Ranges with no data and bad ranges.
    let (ours, _) = Case::new(
        "whisper-fetch",
        &[
            "--from",
            &(NOW + 10).to_string(),
            "--until",
            &(NOW + 20).to_string(),
            "a.wsp",
        ],
    )
    .fixtures(&f)
    .same_stderr()
    .run();
    assert_eq!(ours.stderr, "No data in selected timerange\n");
    let (ours, _) = Case::new("whisper-fetch", &["--until", "1000", "a.wsp"])
        .fixtures(&f)
        .same_stderr()
        .run();
    assert_eq!(ours.code, Some(1));
    let (ours, _) = Case::new(
        "whisper-fetch",
        &["--from", &(NOW + 10).to_string(), "a.wsp"],
    )
    .fixtures(&f)
    .same_stderr()
    .run();
    assert_error_line(&ours, "Invalid time interval: from time '1700000010'");
    let (ours, _) = Case::new("whisper-fetch", &["missing.wsp"])
        .same_stderr()
        .run();
    assert_error_line(&ours, "[Errno 2] No such file or directory: 'missing.wsp'");
    let (ours, _) = Case::new("whisper-fetch", &["zero.wsp"])
        .file("zero.wsp", b"")
        .same_stderr()
        .run();
    assert_error_line(&ours, "Unable to read header (zero.wsp)");
    // Usage errors.
    Case::new("whisper-fetch", &[]).stdout_differs().run();
    Case::new("whisper-fetch", &["a.wsp", "b.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
    Case::new("whisper-fetch", &["--drop=all", "a.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
    Case::new("whisper-fetch", &["--from=yesterday", "a.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
}

#[test]
fn update() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-update", args).fixtures(&f).run();
    let t = |ago: i64| (NOW - ago).to_string();
    ok(&["empty.wsp", &format!("{}:5.5", t(100))]);
    ok(&["a.wsp", &format!("{}:-1e3", t(30))]);
    ok(&["a.wsp", &format!("{}:7", t(5000))]);
    ok(&["b.wsp", "N:3"]);
    ok(&[
        "b.wsp",
        "N:3",
        &format!("{}:nan", t(61)),
        &format!("{}:inf", t(3000)),
    ]);
    ok(&[
        "empty.wsp",
        &format!("{}:1", t(50_000)),
        &format!("{}:2", t(1000)),
        &format!("{}:2.5", t(1000)),
        &format!("{}:3", t(200_000)),
        "0:4",
    ]);
    // From stdin, one point per line (N: works there too), or a single point.
    let lines = format!("{}:1\n{}: 2.5 \r\nN:4\n{}:5", t(10), t(400), t(9000));
    Case::new("whisper-update", &["empty.wsp"])
        .fixtures(&f)
        .stdin(&lines)
        .run();
    Case::new("whisper-update", &["a.wsp"])
        .fixtures(&f)
        .stdin(&format!("{}:42\n", t(70)))
        .run();
    // No points at all: nothing happens, even to a missing file.
    Case::new("whisper-update", &["missing.wsp"]).run();
    // A timestamp the file does not cover.
    let (ours, _) = Case::new("whisper-update", &["a.wsp", &format!("{}:1", t(90_000))])
        .fixtures(&f)
        .same_stderr()
        .run();
    assert_error_line(
        &ours,
        "Timestamp not covered by any archives in this database.",
    );
    Case::new("whisper-update", &["a.wsp", &format!("{}:1", NOW + 10)])
        .fixtures(&f)
        .same_stderr()
        .run();
    // Where the reference crashes: a float timestamp, a bad value, a bad point, a missing file.
    for point in [
        format!("{}.5:1", t(10)),
        format!("{}:one", t(10)),
        t(10),
        format!("{}:1:2", t(10)),
    ] {
        let (ours, _) = ok(&["a.wsp", &point]);
        assert_error_line(&ours, "Invalid");
        let (ours, _) = ok(&["a.wsp", &point, &format!("{}:1", t(20))]);
        assert_error_line(&ours, "Invalid");
    }
    let (ours, _) = Case::new("whisper-update", &["a.wsp"])
        .fixtures(&f)
        .stdin("1699999000:1\n\n")
        .run();
    assert_error_line(&ours, "Invalid datapoint");
    let (ours, _) = Case::new("whisper-update", &["missing.wsp", &format!("{}:1", t(10))]).run();
    assert_error_line(&ours, "[Errno 2] No such file or directory: 'missing.wsp'");
    Case::new("whisper-update", &[]).stdout_differs().run();
}

#[test]
fn dump() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-dump", args).fixtures(&f).run();
    ok(&["a.wsp"]);
    ok(&["b.wsp"]);
    ok(&["xff.wsp"]);
    ok(&["other.wsp"]);
    ok(&["-r", "a.wsp"]);
    ok(&["a.wsp", "--raw", "--pretty"]);
    ok(&["--pretty", "a.wsp"]);
    ok(&["--pretty", "-t", "%d/%m/%Y %H:%M %Z", "a.wsp"]);
    ok(&["--pretty", "--time-format=%c", "empty.wsp"]);
    Case::new("whisper-dump", &["--pretty", "-t", "%c %Z", "a.wsp"])
        .fixtures(&f)
        .env("TZ", "EST5EDT,M3.2.0,M11.1.0")
        .run();
    // No validation: an unknown method code shows as average, a truncated file is dumped up
    // to where it ends (the reference then crashes; we end with an error too).
    let mut odd = f.get("a.wsp").to_vec();
    odd[3] = 9;
    Case::new("whisper-dump", &["odd.wsp"])
        .file("odd.wsp", &odd)
        .run();
    let (ours, _) = Case::new("whisper-dump", &["short.wsp"])
        .file("short.wsp", &f.get("a.wsp")[..400])
        .run();
    assert!(ours.stdout.contains("Archive 0 data:\n"));
    assert_error_line(&ours, "Unable to read point");
    let (ours, _) = Case::new("whisper-dump", &["tiny.wsp"])
        .file("tiny.wsp", &f.get("a.wsp")[..10])
        .run();
    assert_error_line(&ours, "Unable to unpack header");
    let (ours, _) = Case::new("whisper-dump", &["zero.wsp"])
        .file("zero.wsp", b"")
        .run();
    assert_error_line(&ours, "Cannot dump an empty file");
    let (ours, _) = Case::new("whisper-dump", &["missing.wsp"])
        .same_stderr()
        .run();
    assert_error_line(&ours, "File \"missing.wsp\" does not exist!");
    // optparse's parser.error: exit 2.
    Case::new("whisper-dump", &[]).run();
    Case::new("whisper-dump", &["a.wsp", "b.wsp"])
        .fixtures(&f)
        .run();
}

#[test]
fn resize() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-resize", args).fixtures(&f).run();
    ok(&["a.wsp", "60:30", "1h:2d"]);
    ok(&["a.wsp", "5m:1d"]);
    ok(&["b.wsp", "30:40", "60:1440", "--nobackup"]);
    ok(&["a.wsp", "60:10", "300:24", "--newfile=new.wsp"]);
    ok(&[
        "a.wsp",
        "60:10",
        "300:24",
        "--newfile",
        "new.wsp",
        "--force",
    ]);
    ok(&["a.wsp", "60:30", "600:24", "--aggregate"]);
    ok(&["b.wsp", "120:30", "1h:2d", "--aggregate", "--nobackup"]);
    ok(&[
        "a.wsp",
        "60:30",
        "1h:1d",
        "--xFilesFactor=0.2",
        "--aggregationMethod=max",
    ]);
    ok(&[
        "xff.wsp",
        "--aggregate",
        "300:30",
        "--aggregationMethod",
        "last",
    ]);
    // A stale temporary file is removed first.
    Case::new("whisper-resize", &["a.wsp", "60:30"])
        .fixtures(&f)
        .file("a.wsp.tmp", b"stale")
        .run();
    // --newfile naming an existing file: the create fails after the first lines.
    let (ours, _) = ok(&["a.wsp", "60:30", "--newfile=b.wsp"]);
    assert_error_line(&ours, "File b.wsp already exists!");
    let (ours, _) = ok(&["a.wsp", "60:30", "60:40"]);
    assert_error_line(&ours, "A Whisper database may not be configured");
    let (ours, _) = ok(&["a.wsp", "60:1x"]);
    assert_error_line(&ours, "Invalid unit 'x'");
    // A bad xFilesFactor or method: the reference crashes creating the temporary file and
    // leaves it empty; we make no file.
    let (ours, reference) = Case::new("whisper-resize", &["a.wsp", "60:30", "--xFilesFactor=1.5"])
        .fixtures(&f)
        .files_differ()
        .run();
    assert_error_line(&ours, "Invalid xFilesFactor 1.5, not between 0 and 1");
    assert!(!ours.files.contains_key("a.wsp.tmp"));
    assert_eq!(reference.files["a.wsp.tmp"].len(), 0);
    let (ours, _) = Case::new(
        "whisper-resize",
        &["a.wsp", "60:30", "--aggregationMethod=median"],
    )
    .fixtures(&f)
    .stdout_differs()
    .files_differ()
    .run();
    assert_error_line(&ours, "Unrecognized aggregation method: median");
    assert_eq!(
        ours.files.keys().collect::<Vec<_>>(),
        f.files.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    assert_eq!(ours.stdout, "");
    let (ours, _) = Case::new("whisper-resize", &["missing.wsp", "60:30"])
        .stdout_differs()
        .same_stderr()
        .run();
    assert!(ours
        .stderr
        .starts_with("[ERROR] File 'missing.wsp' does not exist!\n\n"));
    Case::new("whisper-resize", &["a.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
}

#[test]
fn merge() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-merge", args).fixtures(&f).run();
    ok(&["a.wsp", "b.wsp"]);
    ok(&["b.wsp", "a.wsp"]);
    ok(&["a.wsp", "empty.wsp"]);
    ok(&["empty.wsp", "a.wsp"]);
    ok(&["a.wsp", "b.wsp", "--from", &(NOW - 3000).to_string()]);
    ok(&[
        "--from",
        &(NOW - 20_000).to_string(),
        "--until",
        &(NOW - 1000).to_string(),
        "a.wsp",
        "b.wsp",
    ]);
    ok(&["--until=0", "a.wsp", "b.wsp"]);
    ok(&["a.wsp", "b.wsp", "ignored"]);
    let (ours, _) = ok(&["a.wsp", "other.wsp"]);
    assert_error_line(
        &ours,
        "a.wsp and other.wsp archive configurations are unalike. Resize the input before merging",
    );
    let (ours, _) = ok(&["--from=2000", "--until=1000", "a.wsp", "b.wsp"]);
    assert_error_line(&ours, "time_to must be >= time_from");
    let (ours, _) = ok(&["a.wsp", "missing.wsp"]);
    assert_error_line(&ours, "File \"missing.wsp\" does not exist!");
    Case::new("whisper-merge", &["a.wsp", "missing.wsp"])
        .fixtures(&f)
        .same_stderr()
        .run();
    Case::new("whisper-merge", &["a.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
}

#[test]
fn fill() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-fill", args).fixtures(&f).run();
    ok(&["a.wsp", "b.wsp"]);
    ok(&["b.wsp", "a.wsp"]);
    ok(&["a.wsp", "empty.wsp"]);
    ok(&["--lock", "a.wsp", "b.wsp"]);
    ok(&["a.wsp", "xff.wsp", "--lock"]);
    let (ours, _) = ok(&["a.wsp", "missing.wsp"]);
    assert_error_line(&ours, "[Errno 2] No such file or directory: 'missing.wsp'");
    Case::new("whisper-fill", &["a.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
    Case::new("whisper-fill", &["a.wsp", "b.wsp", "c.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
}

#[test]
fn diff() {
    let f = fixtures();
    let ok = |args: &[&str]| Case::new("whisper-diff", args).fixtures(&f).run();
    for flags in [
        &[][..],
        &["--summary"],
        &["--columns"],
        &["--no-headers"],
        &["--columns", "--no-headers"],
        &["--summary", "--columns"],
        &["--summary", "--no-headers"],
        &["--summary", "--columns", "--no-headers"],
        &["--ignore-empty"],
        &["--ignore-empty", "--summary"],
        &["--json"],
        &["--json", "--ignore-empty"],
        &["--summary", "--json"],
        &["--until", "1699990000"],
        &["--until=0"],
        &["--until=1699999000", "--json", "--summary"],
    ] {
        let mut args = flags.to_vec();
        args.extend(["a.wsp", "b.wsp"]);
        ok(&args);
    }
    ok(&["a.wsp", "a.wsp"]);
    ok(&["--json", "a.wsp", "a.wsp"]);
    ok(&["empty.wsp", "empty.wsp", "--summary", "--json"]);
    ok(&["xff.wsp", "a.wsp"]);
    let (ours, _) = ok(&["a.wsp", "other.wsp"]);
    assert_error_line(
        &ours,
        "a.wsp and other.wsp archive configurations are unalike. Resize the input before diffing",
    );
    let (ours, _) = ok(&["missing.wsp", "a.wsp"]);
    assert_error_line(&ours, "[Errno 2] No such file or directory: 'missing.wsp'");
    Case::new("whisper-diff", &["a.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
}

#[test]
fn set_aggregation_method() {
    let f = fixtures();
    let tool = "whisper-set-aggregation-method";
    let ok = |args: &[&str]| Case::new(tool, args).fixtures(&f).run();
    ok(&["a.wsp", "max"]);
    ok(&["xff.wsp", "avg_zero"]);
    ok(&["a.wsp", "sum", "0.3"]);
    ok(&["a.wsp", "last", " 1 "]);
    ok(&["a.wsp", "min", "0.5", "ignored"]);
    for (args, message) in [
        (
            &["a.wsp", "median"][..],
            "Unrecognized aggregation method: median",
        ),
        (
            &["a.wsp", "max", "abc"],
            "Invalid xFilesFactor abc, not a float",
        ),
        (
            &["a.wsp", "max", "2"],
            "Invalid xFilesFactor 2.0, not between 0 and 1",
        ),
    ] {
        let (ours, _) = Case::new(tool, args).fixtures(&f).same_stderr().run();
        assert_error_line(&ours, message);
    }
    let (ours, _) = Case::new(tool, &["missing.wsp", "max"])
        .stdout_differs()
        .same_stderr()
        .run();
    assert_eq!(
        ours.stderr,
        "[ERROR] File 'missing.wsp' does not exist!\n\n"
    );
    Case::new(tool, &["a.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
}

#[test]
fn set_xfilesfactor() {
    let f = fixtures();
    let tool = "whisper-set-xfilesfactor";
    let ok = |args: &[&str]| Case::new(tool, args).fixtures(&f).run();
    ok(&["a.wsp", "0.25"]);
    let (ours, _) = ok(&["xff.wsp", "1"]);
    assert_eq!(
        ours.stdout,
        "Updated xFilesFactor: xff.wsp (0.10000000149011612 -> 1.0)\n"
    );
    ok(&["a.wsp", "1e-1"]);
    let (ours, _) = Case::new(tool, &["a.wsp", "-0.5"])
        .fixtures(&f)
        .same_stderr()
        .run();
    assert_error_line(&ours, "Invalid xFilesFactor -0.5, not between 0 and 1");
    let (ours, _) = Case::new(tool, &["missing.wsp", "0.5"])
        .stdout_differs()
        .same_stderr()
        .run();
    assert_eq!(
        ours.stderr,
        "[ERROR] File 'missing.wsp' does not exist!\n\n"
    );
    // argparse usage errors: exit 2.
    Case::new(tool, &["a.wsp", "half"])
        .fixtures(&f)
        .stdout_differs()
        .run();
    Case::new(tool, &["a.wsp"])
        .fixtures(&f)
        .stdout_differs()
        .run();
    Case::new(tool, &["a.wsp", "0.5", "extra"])
        .fixtures(&f)
        .stdout_differs()
        .run();
}

/// Ours only: every tool documents WHISPER_NOW, refuses a bad one, and without it reads the
/// clock.
#[test]
fn whisper_now() {
    for tool in TOOLS {
        let out = Command::new(our_bin(tool)).arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{tool}");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("WHISPER_NOW"), "{tool} --help: {help}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("e.wsp");
    std::fs::write(&path, fixtures().get("empty.wsp")).unwrap();
    let out = Command::new(our_bin("whisper-fetch"))
        .arg(&path)
        .env("WHISPER_NOW", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .starts_with("[ERROR] WHISPER_NOW must be an integer"));

    let out = Command::new(our_bin("whisper-fetch"))
        .args(["--json", "--from", &(NOW - 600).to_string()])
        .arg(&path)
        .env_remove("WHISPER_NOW")
        .output()
        .unwrap();
    // With the real clock, `--from` ten minutes before NOW lies in the past and `--until`
    // defaults to the real now, far later than NOW.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let end: i64 = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("\"end\" : "))
        .unwrap()
        .trim_end_matches(',')
        .parse()
        .unwrap();
    let clock = whisper::now_epoch_secs();
    assert!((clock - 3600..=clock + 3600).contains(&end), "{stdout}");
}
