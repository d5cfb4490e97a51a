//! Interop with the Python reference (whisper 1.1.10): seeded random operation sequences are
//! applied by this crate to one directory and by `tests/reference/ops.py` (the reference library
//! and its whisper-fill / whisper-resize scripts) to another. Every operation must give the same
//! result (fetched values bit for bit, errors by exception class and message), every file must end
//! byte-identical, and each implementation must read the other's files exactly as its own.
//!
//! Operations travel to Python as JSON with floats as the hex of their bit pattern, so NaN
//! payloads, infinities and -0.0 round-trip exactly.
//!
//! A failure names its seed; `WHISPER_INTEROP_SEEDS=17,42 cargo test -p whisper --test interop`
//! reruns just those sequences, and the failing run's directories are kept for inspection
//! (`WHISPER_INTEROP_KEEP=1` keeps them after a success too, `WHISPER_INTEROP_OPS=n` runs only
//! the first n operations of each sequence, to find the first one that differs), and
//! `WHISPER_INTEROP_SEQUENCES=n` runs seeds 1..=n instead of the usual 400.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use whisper::tools::{fill, resize, ResizeOptions};
use whisper::{
    set_iteration_order, AggregationMethod, ArchiveSpec, CreateOptions, Error, Header, Options,
    Whisper,
};

// ---------------------------------------------------------------------------------------------
// Random numbers: splitmix64, so a seed means the same sequence on every platform and version.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "{lo} > {hi}");
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON encoding shared with ops.py.

fn hex(v: f64) -> Value {
    Value::String(format!("{:016x}", v.to_bits()))
}

fn opt_hex(v: Option<f64>) -> Value {
    v.map_or(Value::Null, hex)
}

fn unhex(v: &Value) -> Option<f64> {
    v.as_str()
        .map(|s| f64::from_bits(u64::from_str_radix(s, 16).expect("hex float")))
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn specs(v: &Value) -> Vec<ArchiveSpec> {
    v.as_array()
        .expect("archives")
        .iter()
        .map(|a| ArchiveSpec::new(a[0].as_u64().unwrap() as u32, a[1].as_u64().unwrap() as u32))
        .collect()
}

fn header_json(h: &Header) -> Value {
    json!({
        "aggregationMethod": h.aggregation_method.name(),
        "maxRetention": h.max_retention,
        "xFilesFactor": hex(f64::from(h.x_files_factor)),
        "archives": h.archives.iter().map(|a| json!({
            "offset": a.offset,
            "secondsPerPoint": a.seconds_per_point,
            "points": a.points,
            "retention": a.retention(),
            "size": a.size_bytes(),
        })).collect::<Vec<_>>(),
    })
}

/// The Python exception class each error corresponds to.
fn error_class(e: &Error) -> &'static str {
    match e {
        Error::InvalidConfiguration(_) => "InvalidConfiguration",
        Error::InvalidAggregationMethod(_) => "InvalidAggregationMethod",
        Error::InvalidTimeInterval { .. } => "InvalidTimeInterval",
        Error::InvalidXFilesFactor(_) => "InvalidXFilesFactor",
        Error::TimestampNotCovered => "TimestampNotCovered",
        Error::CorruptFile { .. } => "CorruptWhisperFile",
        Error::InvalidRetention(_) | Error::InvalidGranularity(_) | Error::InvalidMergeRange => {
            "ValueError"
        }
        Error::UnalikeArchives { .. } => "NotImplementedError",
        // struct.error, where the reference gets that far (a deliberate deviation).
        Error::TimestampOutOfRange(_) => "error",
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => "FileNotFoundError",
            std::io::ErrorKind::PermissionDenied => "PermissionError",
            std::io::ErrorKind::AlreadyExists => "FileExistsError",
            _ => "OSError",
        },
        _ => "unmapped error variant",
    }
}

// ---------------------------------------------------------------------------------------------
// Applying an operation with this crate, giving the result ops.py gives.

fn apply_rs(w: &Whisper, op: &Value, dir: &Path) -> Value {
    match run_rs(w, op, dir) {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "error": error_class(&e), "message": e.to_string() }),
    }
}

fn run_rs(w: &Whisper, op: &Value, dir: &Path) -> whisper::Result<Value> {
    let dir = op["dir"].as_str().map_or(dir, Path::new);
    let path = |key: &str| dir.join(op[key].as_str().expect("file name"));
    let now = int(&op["now"]);
    let method = |v: &Value| -> whisper::Result<Option<AggregationMethod>> {
        v.as_str().map(str::parse).transpose()
    };
    Ok(match op["op"].as_str().expect("op") {
        "create" => {
            let mut opts = CreateOptions::default();
            if let Some(x) = unhex(&op["xff"]) {
                opts.x_files_factor = x;
            }
            if let Some(m) = method(&op["method"])? {
                opts.aggregation_method = m;
            }
            opts.sparse = op["sparse"].as_bool().unwrap_or(false);
            w.create(&path("file"), &specs(&op["archives"]), &opts)?;
            Value::Null
        }
        "update" => {
            let value = unhex(&op["value"]).expect("value");
            w.update(&path("file"), value, int(&op["timestamp"]), now)?;
            Value::Null
        }
        "update_many" => {
            let points: Vec<(i64, f64)> = op["points"]
                .as_array()
                .expect("points")
                .iter()
                .map(|p| (p[0].as_i64().unwrap(), unhex(&p[1]).unwrap()))
                .collect();
            w.update_many(&path("file"), &points, now)?;
            Value::Null
        }
        "fetch" => {
            let from = int(&op["from"]).expect("from");
            match w.fetch(
                &path("file"),
                from,
                int(&op["until"]),
                now,
                op["archive"].as_str(),
            )? {
                None => Value::Null,
                Some(f) => json!({
                    "start": f.start,
                    "end": f.end,
                    "step": f.step,
                    "values": f.values.iter().map(|v| opt_hex(*v)).collect::<Vec<_>>(),
                }),
            }
        }
        // whisper.info returns None on any OSError; the crate returns the error.
        "info" => match w.info(&path("file")) {
            Ok(h) => header_json(&h),
            Err(Error::Io { .. }) => Value::Null,
            Err(e) => return Err(e),
        },
        "set_aggregation_method" => {
            let m = method(&op["method"])?.expect("method");
            let old = w.set_aggregation_method(&path("file"), m, unhex(&op["xff"]))?;
            json!(old.name())
        }
        "set_xfilesfactor" => {
            let old = w.set_x_files_factor(&path("file"), unhex(&op["xff"]).expect("xff"))?;
            hex(old)
        }
        "merge" => {
            let (from, to) = (path("from"), path("to"));
            w.merge(&from, &to, int(&op["time_from"]), int(&op["time_to"]), now)?;
            Value::Null
        }
        "diff" => {
            let ignore_empty = op["ignore_empty"].as_bool().unwrap_or(false);
            let diffs = w.diff(
                &path("from"),
                &path("to"),
                ignore_empty,
                int(&op["until"]),
                now,
            )?;
            diffs
                .iter()
                .map(|d| {
                    let rows: Vec<Value> = d
                        .diffs
                        .iter()
                        .map(|&(t, a, b)| json!([t, opt_hex(a), opt_hex(b)]))
                        .collect();
                    json!([d.index, rows, d.total])
                })
                .collect()
        }
        "fill" => {
            fill(w, &path("from"), &path("to"), now.expect("now"))?;
            Value::Null
        }
        "resize" => {
            let opts = ResizeOptions {
                x_files_factor: unhex(&op["xff"]),
                aggregation_method: method(&op["method"])?,
                new_file: op["newfile"].as_str().map(|_| path("newfile")),
                no_backup: op["nobackup"].as_bool().unwrap_or(false),
                aggregate: op["aggregate"].as_bool().unwrap_or(false),
            };
            let mut log = Vec::new();
            let archives = specs(&op["archives"]);
            resize(
                w,
                &path("file"),
                &archives,
                &opts,
                now.expect("now"),
                &mut log,
            )?;
            json!({ "log": String::from_utf8(log).expect("utf-8 log") })
        }
        "pyset" => {
            let values = op["values"]
                .as_array()
                .expect("values")
                .iter()
                .map(|v| v.as_u64().unwrap() as u32);
            json!(set_iteration_order(values))
        }
        other => panic!("unknown op {other}"),
    })
}

// ---------------------------------------------------------------------------------------------
// Running sequences on both sides and comparing.

/// One sequence of operations, run in its own pair of directories.
struct Case {
    label: String,
    ops: Vec<Value>,
    /// The clock for the final cross-reads.
    now: i64,
    /// Files written identically into both directories before the operations run.
    prepare: Vec<(String, Vec<u8>)>,
    /// Files left out of the final byte comparison (known deviations, checked by the caller).
    skip_files: Vec<String>,
    /// whisper's module flags for the operations (the cross-reads use the defaults).
    options: Options,
}

impl Case {
    fn new(label: impl Into<String>, ops: Vec<Value>, now: i64) -> Self {
        Case {
            label: label.into(),
            ops,
            now,
            prepare: Vec::new(),
            skip_files: Vec::new(),
            options: Options::default(),
        }
    }
}

struct Outcome {
    rs: Vec<Value>,
    py: Vec<Value>,
    rs_dir: PathBuf,
    py_dir: PathBuf,
}

fn normalize(v: &mut Value, dir: &Path) {
    match v {
        Value::String(s) => {
            let d = dir.to_str().expect("utf-8 dir");
            if s.contains(d) {
                *s = s.replace(d, "<dir>");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| normalize(i, dir)),
        Value::Object(map) => map.values_mut().for_each(|i| normalize(i, dir)),
        _ => {}
    }
}

fn list_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .collect();
    names.sort();
    names
}

/// Read operations covering every archive of every file in `dir` (as this crate reads them).
fn read_ops(w: &Whisper, dir: &Path, now: i64) -> Vec<Value> {
    let mut ops = Vec::new();
    for name in list_files(dir) {
        ops.push(json!({"op": "info", "file": name}));
        let Ok(h) = w.info(&dir.join(&name)) else {
            continue;
        };
        let max = i64::from(h.max_retention);
        ops.push(json!({"op": "fetch", "file": name, "from": now - max - 1, "now": now}));
        let spp0 = i64::from(h.archives[0].seconds_per_point);
        let (from, until) = (now - 3 * spp0, now - spp0);
        ops.push(json!({"op": "fetch", "file": name, "from": from, "until": until, "now": now}));
        for a in &h.archives {
            let from = now - a.retention() as i64;
            let spp = a.seconds_per_point.to_string();
            ops.push(
                json!({"op": "fetch", "file": name, "from": from, "now": now, "archive": spp}),
            );
        }
    }
    ops
}

fn with_dir(ops: &[Value], dir: &Path) -> Vec<Value> {
    ops.iter()
        .map(|op| {
            let mut op = op.clone();
            op["dir"] = json!(dir.to_str().expect("utf-8 dir"));
            op
        })
        .collect()
}

fn run_python(ops: &[Value], scratch: &Path) -> Vec<Value> {
    let input = scratch.join("ops.json");
    std::fs::write(&input, serde_json::to_vec(ops).unwrap()).expect("write ops.json");
    let script = common::helper_scripts_dir().join("ops.py");
    let out = Command::new(common::reference_python())
        .arg(&script)
        .arg(scratch)
        .arg(&input)
        .output()
        .expect("run the Python reference");
    assert!(
        out.status.success(),
        "ops.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).expect("ops.py output");
    assert_eq!(results.len(), ops.len(), "ops.py result count");
    results
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!("first differing byte at offset {i}"),
        None => format!("lengths {} and {}", a.len(), b.len()),
    }
}

/// Runs every case with both implementations (one Python process for all of them) and returns
/// the outcomes and the list of differences found.
fn run_cases(cases: &[Case]) -> (tempfile::TempDir, Vec<Outcome>, Vec<String>) {
    let root = tempfile::tempdir().expect("temp dir");
    let w = Whisper::default();
    let mut failures = Vec::new();
    let mut py_ops = Vec::new();
    let mut plan = Vec::new();
    let mut outcomes = Vec::new();

    // This crate first, then Python on its own directory and on ours.
    for (n, case) in cases.iter().enumerate() {
        let rs_dir = root.path().join(format!("{n}-rs"));
        let py_dir = root.path().join(format!("{n}-py"));
        for d in [&rs_dir, &py_dir] {
            std::fs::create_dir(d).expect("mkdir");
            for (name, bytes) in &case.prepare {
                std::fs::write(d.join(name), bytes).expect("prepare file");
            }
        }
        let flagged = Whisper::new(case.options);
        let rs: Vec<Value> = case
            .ops
            .iter()
            .map(|op| apply_rs(&flagged, op, &rs_dir))
            .collect();
        let reads = read_ops(&w, &rs_dir, case.now);
        let start = py_ops.len();
        let mut ops = with_dir(&case.ops, &py_dir);
        if case.options != Options::default() {
            let o = case.options;
            let flags = json!({
                "lock": o.lock, "cache_headers": o.cache_headers, "autoflush": o.autoflush,
                "fadvise_random": o.fadvise_random,
            });
            ops.iter_mut().for_each(|op| op["options"] = flags.clone());
        }
        py_ops.extend(ops);
        py_ops.extend(with_dir(&reads, &rs_dir));
        py_ops.extend(with_dir(&reads, &py_dir));
        plan.push((start, reads));
        outcomes.push(Outcome {
            rs,
            py: Vec::new(),
            rs_dir,
            py_dir,
        });
    }
    let py_results = run_python(&py_ops, root.path());

    for ((case, (start, reads)), outcome) in cases.iter().zip(plan).zip(&mut outcomes) {
        let label = &case.label;
        let (rs_dir, py_dir) = (&outcome.rs_dir, &outcome.py_dir);
        let n_ops = case.ops.len();
        let n_reads = reads.len();
        let mut py = py_results[start..start + n_ops].to_vec();
        py.iter_mut().for_each(|v| normalize(v, py_dir));
        outcome.rs.iter_mut().for_each(|v| normalize(v, rs_dir));
        for (i, ((op, ours), theirs)) in case.ops.iter().zip(&outcome.rs).zip(&py).enumerate() {
            if ours != theirs {
                failures.push(format!(
                    "{label}: op #{i} {op}\n    ours:      {ours}\n    reference: {theirs}"
                ));
            }
        }
        outcome.py = py;

        // Cross-reading: the reference reads our files, we read the reference's, and both
        // read their own; all four must agree.
        let py_reads_rs = &py_results[start + n_ops..start + n_ops + n_reads];
        let py_reads_py = &py_results[start + n_ops + n_reads..start + n_ops + 2 * n_reads];
        for (i, op) in reads.iter().enumerate() {
            let mut views = [
                ("reference reading ours", py_reads_rs[i].clone(), rs_dir),
                ("reference reading its own", py_reads_py[i].clone(), py_dir),
                (
                    "ours reading the reference's",
                    apply_rs(&w, op, py_dir),
                    py_dir,
                ),
                ("ours reading ours", apply_rs(&w, op, rs_dir), rs_dir),
            ];
            for (_, v, d) in &mut views {
                normalize(v, d);
            }
            if views.iter().any(|(_, v, _)| *v != views[0].1) {
                let mut msg = format!("{label}: cross-read {op} differs:");
                for (who, v, _) in &views {
                    let _ = write!(msg, "\n    {who}: {v}");
                }
                failures.push(msg);
            }
        }

        // Byte-identical files (and the same set of files).
        let ours: Vec<String> = list_files(rs_dir)
            .into_iter()
            .filter(|f| !case.skip_files.contains(f))
            .collect();
        let theirs: Vec<String> = list_files(py_dir)
            .into_iter()
            .filter(|f| !case.skip_files.contains(f))
            .collect();
        if ours != theirs {
            failures.push(format!(
                "{label}: files differ: ours {ours:?}, reference {theirs:?}"
            ));
        }
        for name in ours.iter().filter(|f| theirs.contains(f)) {
            let a = std::fs::read(rs_dir.join(name)).expect("read ours");
            let b = std::fs::read(py_dir.join(name)).expect("read reference");
            if a != b {
                failures.push(format!(
                    "{label}: {name} is not byte-identical ({})",
                    first_difference(&a, &b)
                ));
            }
        }
    }
    (root, outcomes, failures)
}

fn check(root: tempfile::TempDir, failures: &[String]) {
    if failures.is_empty() {
        if std::env::var_os("WHISPER_INTEROP_KEEP").is_some() {
            println!("directories kept in {}", root.keep().display());
        }
        return;
    }
    let kept = root.keep();
    let shown: Vec<&str> = failures.iter().take(15).map(String::as_str).collect();
    panic!(
        "{} difference(s) from the reference (directories kept in {}):\n{}",
        failures.len(),
        kept.display(),
        shown.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The random sequence generator.

type Layout = Vec<(u32, u32)>;

fn retention(a: (u32, u32)) -> i64 {
    i64::from(a.0) * i64::from(a.1)
}

fn max_retention(layout: &Layout) -> i64 {
    layout.iter().map(|&a| retention(a)).max().unwrap()
}

const METHODS: [&str; 8] = [
    "average", "sum", "last", "max", "min", "avg_zero", "absmax", "absmin",
];

/// A valid archive list, sorted finest first.
fn random_layout(rng: &mut Rng) -> Layout {
    match rng.below(20) {
        0 => rng.pick(&[
            vec![(60, 1440), (300, 2016), (3600, 26280)],
            vec![(10, 360), (60, 1440)],
            vec![(1, 60), (60, 60)],
            vec![(10, 8640), (60, 10080), (600, 4464)],
        ]),
        1 | 2 => vec![(1, 10), (5, 20), (60, 10)],
        _ => {
            let count = rng.range(1, 4) as usize;
            let mut spp = rng.pick(&[1u32, 1, 1, 2, 3, 5, 10, 60]);
            let mut points = rng.range(2, 30) as u32;
            let mut layout = vec![(spp, points)];
            for _ in 1..count {
                let factors: Vec<u32> = [2u32, 3, 4, 5, 6, 10, 12]
                    .into_iter()
                    .filter(|&f| f <= points)
                    .collect();
                if factors.is_empty() {
                    break;
                }
                let factor = rng.pick(&factors);
                let min_points = points / factor + 1;
                spp *= factor;
                points = min_points + rng.range(0, 20) as u32;
                layout.push((spp, points));
            }
            layout
        }
    }
}

/// An archive list `validateArchiveList` refuses (each of its rules, and the empty list).
fn invalid_layout(rng: &mut Rng) -> Layout {
    rng.pick(&[
        vec![],
        vec![(60, 10), (60, 20)],
        vec![(60, 100), (90, 200)],
        vec![(60, 100), (120, 50)],
        vec![(60, 2), (300, 100)],
        vec![(1, 10), (5, 20), (5, 30)],
        vec![(1, 10), (10, 1), (20, 100)],
        vec![(1, 60), (60, 60), (120, 20)],
    ])
}

fn random_method(rng: &mut Rng) -> Value {
    if rng.chance(15) {
        Value::Null
    } else {
        json!(rng.pick(&METHODS))
    }
}

/// A valid xFilesFactor. NaN is left out: the reference accepts it and writes a file it then
/// cannot read, which we refuse (see docs/compatibility.md).
fn random_xff(rng: &mut Rng) -> f64 {
    match rng.below(10) {
        0 => 0.0,
        1 => 0.1,
        2 => 0.3,
        3 => 0.5,
        4 => 1.0,
        5 => rng.pick(&[0.25, 0.75, 2.0 / 3.0, 1.0 / 3.0, 0.2, 1e-9, 0.999_999_9]),
        _ => rng.unit(),
    }
}

fn random_value(rng: &mut Rng) -> f64 {
    match rng.below(24) {
        0..=8 => rng.range(-100, 100) as f64,
        9..=13 => (rng.unit() - 0.5) * 10f64.powi(rng.range(-6, 12) as i32),
        14 => 0.0,
        15 => -0.0,
        16 => f64::NAN,
        17 => rng.pick(&[f64::INFINITY, f64::NEG_INFINITY]),
        18 => rng.pick(&[1e308, -1e308, f64::MAX, -f64::MAX]),
        19 => rng.pick(&[f64::MIN_POSITIVE, 5e-324, -5e-324]),
        20 => f64::from_bits(0xfff8_0000_0000_0000 | rng.below(1 << 20)), // NaN with a payload
        _ => rng.range(-1_000_000_000, 1_000_000_000) as f64 / 8.0,
    }
}

struct Gen {
    rng: Rng,
    now: i64,
    files: BTreeMap<String, Layout>,
    ops: Vec<Value>,
}

impl Gen {
    fn file(&mut self) -> (String, Layout) {
        let names: Vec<String> = self.files.keys().cloned().collect();
        let name = self.rng.pick(&names);
        let layout = self.files[&name].clone();
        (name, layout)
    }

    /// Two distinct existing files, preferring a pair with the same layout.
    fn pair(&mut self) -> Option<(String, String)> {
        let names: Vec<String> = self.files.keys().cloned().collect();
        if names.len() < 2 {
            return None;
        }
        let alike: Vec<(String, String)> = names
            .iter()
            .flat_map(|a| names.iter().map(move |b| (a.clone(), b.clone())))
            .filter(|(a, b)| a != b && self.files[a] == self.files[b])
            .collect();
        if !alike.is_empty() && self.rng.chance(80) {
            return Some(self.rng.pick(&alike));
        }
        let mut two = names;
        self.rng.shuffle(&mut two);
        Some((two[0].clone(), two[1].clone()))
    }

    /// How old a generated timestamp is; negative means the future, never as far as the finest
    /// archive's retention.
    fn age(&mut self, layout: &Layout, future: bool) -> i64 {
        let ret0 = retention(layout[0]);
        let max = max_retention(layout);
        match self.rng.below(12) {
            0 => 0,
            1 | 2 => {
                let a = self.rng.pick(layout);
                retention(a) + self.rng.range(-1, 1)
            }
            3 if future => -self.rng.range(1, (ret0 - 1).max(1)),
            4 => max + self.rng.range(0, max),
            5..=7 => self.rng.range(0, ret0),
            _ => self.rng.range(0, max + 1),
        }
    }

    /// A timestamp `age` seconds before now. Negative timestamps are left out: they do not fit
    /// whisper's u32 field, and the reference fails with struct.error after partial writes.
    fn timestamp(&self, age: i64) -> i64 {
        (self.now - age).max(0)
    }

    fn advance(&mut self) {
        let (_, layout) = self.file();
        let spp0 = i64::from(layout[0].0);
        let ret0 = retention(layout[0]);
        let max = max_retention(&layout);
        self.now += match self.rng.below(20) {
            0..=5 => self.rng.range(0, 2),
            6..=11 => self.rng.range(1, 3 * spp0),
            12..=16 => self.rng.range(1, ret0),
            17 | 18 => self.rng.range(ret0, max),
            _ => max + self.rng.range(0, max),
        };
    }

    fn push(&mut self, op: Value) {
        self.ops.push(op);
    }

    fn create(&mut self, name: &str, layout: &Layout) {
        let mut archives = layout.clone();
        if self.rng.chance(20) {
            // whisper sorts the list itself.
            self.rng.shuffle(&mut archives);
        }
        let xff = if self.rng.chance(15) {
            Value::Null
        } else {
            hex(random_xff(&mut self.rng))
        };
        let op = json!({
            "op": "create", "file": name, "archives": archives, "xff": xff,
            "method": random_method(&mut self.rng), "sparse": self.rng.chance(30),
        });
        self.push(op);
        if !self.files.contains_key(name) {
            self.files.insert(name.to_string(), layout.clone());
        }
    }

    fn update(&mut self) {
        let (name, layout) = self.file();
        let future = self.rng.chance(10);
        let age = self.age(&layout, future);
        let ts = if self.rng.chance(10) {
            Value::Null
        } else {
            json!(self.timestamp(age))
        };
        let value = hex(random_value(&mut self.rng));
        self.push(
            json!({"op": "update", "file": name, "value": value, "timestamp": ts, "now": self.now}),
        );
    }

    fn update_many(&mut self) {
        let (name, layout) = self.file();
        let rng_layout = layout.clone();
        let mut points: Vec<(i64, f64)> = Vec::new();
        if self.rng.chance(35) {
            // A contiguous run, possibly reaching into the future and round the ring.
            let stride = i64::from(
                self.rng
                    .pick(&rng_layout)
                    .0
                    .min(self.rng.pick(&rng_layout).0),
            );
            let stride = if self.rng.chance(30) { 1 } else { stride };
            let start_age = self.age(&layout, true);
            let count = self.rng.range(1, (i64::from(layout[0].1) + 3).min(80));
            for k in 0..count {
                points.push((
                    self.timestamp(start_age - k * stride),
                    random_value(&mut self.rng),
                ));
            }
        } else {
            let count = self.rng.range(0, 20);
            for _ in 0..count {
                let age = self.age(&layout, true);
                points.push((self.timestamp(age), random_value(&mut self.rng)));
            }
        }
        if !points.is_empty() && self.rng.chance(40) {
            // Duplicates: the same second, or another second of the same slot.
            for _ in 0..self.rng.range(1, 5) {
                let (t, _) = self.rng.pick(&points);
                let t = if self.rng.chance(50) {
                    t
                } else {
                    let spp = i64::from(self.rng.pick(&rng_layout).0);
                    (t - t.rem_euclid(spp) + self.rng.range(0, spp - 1)).max(0)
                };
                let v = random_value(&mut self.rng);
                let at = self.rng.range(0, points.len() as i64) as usize;
                points.insert(at, (t, v));
            }
        }
        match self.rng.below(4) {
            0 => points.sort_by_key(|p| p.0),
            1 => points.sort_by_key(|p| std::cmp::Reverse(p.0)),
            2 => self.rng.shuffle(&mut points),
            _ => {}
        }
        drop_overlong_future_runs(&layout, &mut points, self.now);
        let points: Vec<Value> = points.iter().map(|&(t, v)| json!([t, hex(v)])).collect();
        self.push(json!({"op": "update_many", "file": name, "points": points, "now": self.now}));
    }

    fn fetch(&mut self) {
        let (name, layout) = self.file();
        let age = self.age(&layout, true);
        let from = self.now - age;
        let until = match self.rng.below(20) {
            0..=5 => Value::Null,
            6..=13 => json!(from + self.rng.range(0, max_retention(&layout))),
            14..=16 => json!(self.now),
            17 | 18 => json!(from - self.rng.range(1, 10)),
            _ => json!(from),
        };
        let archive = match self.rng.below(40) {
            0..=27 => Value::Null,
            28..=35 => {
                let spp = self.rng.pick(&layout).0;
                let s = if spp.is_multiple_of(3600) && self.rng.chance(50) {
                    format!("{}h", spp / 3600)
                } else if spp.is_multiple_of(60) && self.rng.chance(50) {
                    format!("{}min", spp / 60)
                } else {
                    spp.to_string()
                };
                json!(s)
            }
            36 => json!((layout.last().unwrap().0 * 7).to_string()),
            37 => json!(self.rng.pick(&["1x", "abc", "10S"])),
            38 => json!("0"),
            _ => json!(""),
        };
        self.push(json!({
            "op": "fetch", "file": name, "from": from, "until": until, "now": self.now,
            "archive": archive,
        }));
    }

    fn maybe_xff(&mut self, percent: u64) -> Value {
        if self.rng.chance(percent) {
            if self.rng.chance(10) {
                hex(self.rng.pick(&[1.5, -0.25, 1.000_000_1]))
            } else {
                hex(random_xff(&mut self.rng))
            }
        } else {
            Value::Null
        }
    }

    fn set_metadata(&mut self) {
        let (name, _) = self.file();
        if self.rng.chance(50) {
            let method = if self.rng.chance(5) {
                "median"
            } else {
                self.rng.pick(&METHODS)
            };
            let xff = self.maybe_xff(30);
            self.push(
                json!({"op": "set_aggregation_method", "file": name, "method": method, "xff": xff}),
            );
        } else {
            let xff = self.maybe_xff(100);
            self.push(json!({"op": "set_xfilesfactor", "file": name, "xff": xff}));
        }
    }

    fn merge(&mut self) {
        // Never a file into itself: the reference then reads the source through a read buffer
        // filled before its own writes (a deliberate deviation, see docs/compatibility.md).
        let Some((from, to)) = self.pair() else {
            return;
        };
        let layout = self.files[&to].clone();
        let max = max_retention(&layout);
        let ret0 = retention(layout[0]);
        let time_from = if self.rng.chance(60) {
            Value::Null
        } else {
            json!(self.now - self.rng.range(0, max + 5))
        };
        let time_to = match self.rng.below(10) {
            0..=5 => Value::Null,
            6..=8 => json!(self.now - self.rng.range(0, max + 5)),
            _ => json!(self.now + self.rng.range(1, ret0)),
        };
        self.push(json!({
            "op": "merge", "from": from, "to": to, "time_from": time_from, "time_to": time_to,
            "now": self.now,
        }));
    }

    fn diff(&mut self) {
        let Some((a, b)) = self.pair() else {
            return;
        };
        let max = max_retention(&self.files[&a]);
        // An until time after now makes the reference raise IndexError whenever either file has
        // data in the range (a deliberate deviation), so it stays at or before now here.
        let until = match self.rng.below(10) {
            0..=4 => Value::Null,
            5 => json!(0),
            _ => json!(self.now - self.rng.range(0, max + 5)),
        };
        let ignore_empty = self.rng.chance(40);
        self.push(json!({
            "op": "diff", "from": a, "to": b, "ignore_empty": ignore_empty, "until": until,
            "now": self.now,
        }));
    }

    fn fill(&mut self) {
        if let Some((a, b)) = self.pair() {
            self.push(json!({"op": "fill", "from": a, "to": b, "now": self.now}));
        }
    }

    fn resize(&mut self) {
        let name = if self.files.contains_key("c.wsp") && self.rng.chance(60) {
            "c.wsp".to_string()
        } else {
            self.file().0
        };
        let layout = random_layout(&mut self.rng);
        let newfile = (!self.files.contains_key("n.wsp") && self.rng.chance(25)).then_some("n.wsp");
        let xff = self.maybe_xff(30);
        // Only valid values: the reference would leave a 0-byte .tmp file behind on an invalid
        // method or xFilesFactor (see the create deviation).
        let xff = if unhex(&xff).is_some_and(|x| !(0.0..=1.0).contains(&x)) {
            Value::Null
        } else {
            xff
        };
        let method = if self.rng.chance(30) {
            json!(self.rng.pick(&METHODS))
        } else {
            Value::Null
        };
        // Re-aggregating near the epoch makes points with negative timestamps, which the
        // reference fails to pack (struct.error) and we refuse (TimestampOutOfRange) with another
        // message: a deliberate deviation, so only when every new archive starts after 0.
        let spp_last = i64::from(layout.last().unwrap().0);
        let aggregate_ok = self.now - max_retention(&layout) - spp_last >= 0;
        let (aggregate, nobackup) = (aggregate_ok && self.rng.chance(50), self.rng.chance(30));
        self.push(json!({
            "op": "resize", "file": name, "archives": layout, "xff": xff, "method": method,
            "aggregate": aggregate, "newfile": newfile, "nobackup": nobackup, "now": self.now,
        }));
        let target = newfile.map_or(name, str::to_string);
        self.files.insert(target, layout);
    }

    fn pyset(&mut self) {
        let count = self.rng.range(0, 400);
        let base = self.now.max(0) as u64;
        let step = self.rng.pick(&[1u64, 5, 10, 60, 300, 3600, 7]);
        let values: Vec<u64> = (0..count)
            .map(|_| match self.rng.below(3) {
                0 => (base + step * self.rng.below(500)) % (1 << 32),
                1 => self.rng.below(1 << 32),
                _ => self.rng.below(1000),
            })
            .collect();
        self.push(json!({"op": "pyset", "values": values}));
    }
}

/// Keeps a batch from holding, for the finest archive, a run of contiguous intervals longer
/// than the ring plus one by dropping its latest future points. Such a run (only possible with
/// future points) makes the reference write past the archive's end, corrupting the file; we
/// write only the last ring's worth (a deliberate deviation, see docs/compatibility.md).
fn drop_overlong_future_runs(layout: &Layout, points: &mut Vec<(i64, f64)>, now: i64) {
    let (spp, slots) = (i64::from(layout[0].0), i64::from(layout[0].1));
    // Future points stay less than the finest archive's retention ahead.
    points.retain(|p| p.0 - now < spp * slots);
    loop {
        let mut intervals: Vec<i64> = points
            .iter()
            .filter(|p| now - p.0 <= spp * slots)
            .map(|p| p.0 - p.0.rem_euclid(spp))
            .collect();
        intervals.sort_unstable();
        intervals.dedup();
        // Runs as __archive_update_many forms them (an interval of 0 never ends a run).
        let (mut longest, mut run, mut previous) = (0, 0, None::<i64>);
        for &i in &intervals {
            run = match previous {
                Some(p) if p != 0 && i != p + spp => 1,
                _ => run + 1,
            };
            longest = longest.max(run);
            previous = Some(i);
        }
        if longest <= slots + 1 {
            return;
        }
        let latest = points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.0 > now)
            .max_by_key(|(_, p)| p.0)
            .map(|(i, _)| i)
            .expect("without future points a run cannot exceed the ring plus one");
        points.remove(latest);
    }
}

fn random_sequence(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let now = if rng.chance(8) {
        // Near the epoch: timestamps of 0 and clamped ranges.
        rng.range(0, 300)
    } else {
        1_700_000_000 + rng.range(0, 1_000_000)
    };
    let mut g = Gen {
        rng,
        now,
        files: BTreeMap::new(),
        ops: Vec::new(),
    };
    let l1 = random_layout(&mut g.rng);
    let l2 = if g.rng.chance(40) {
        l1.clone()
    } else {
        random_layout(&mut g.rng)
    };
    if g.rng.chance(10) {
        let bad = invalid_layout(&mut g.rng);
        let op =
            json!({"op": "create", "file": "a.wsp", "archives": bad, "xff": null, "method": null});
        g.push(op);
    }
    g.create("a.wsp", &l1);
    if g.rng.chance(90) {
        g.create("b.wsp", &l1);
    }
    if g.rng.chance(70) {
        g.create("c.wsp", &l2);
    }
    if g.rng.chance(5) {
        let layout = g.files["a.wsp"].clone();
        g.create("a.wsp", &layout); // already exists
    }
    let count = g.rng.range(10, 60);
    for _ in 0..count {
        if g.rng.chance(40) {
            g.advance();
        }
        match g.rng.below(100) {
            0..=19 => g.update(),
            20..=54 => g.update_many(),
            55..=69 => g.fetch(),
            70..=72 => {
                let name = if g.rng.chance(90) {
                    g.file().0
                } else {
                    "missing.wsp".to_string()
                };
                g.push(json!({"op": "info", "file": name}));
            }
            73..=77 => g.set_metadata(),
            78..=83 => g.merge(),
            84..=89 => g.diff(),
            90..=94 => g.fill(),
            95..=97 => g.resize(),
            _ => g.pyset(),
        }
    }
    if let Ok(n) = std::env::var("WHISPER_INTEROP_OPS") {
        g.ops
            .truncate(n.parse().expect("WHISPER_INTEROP_OPS: a number"));
    }
    let mut case = Case::new(format!("seed {seed}"), g.ops, g.now);
    // whisper's module flags change no byte. The header cache is only safe without resize:
    // whisper-resize sorts the cached archive list in place and replaces the file under it.
    let resizes = case.ops.iter().any(|op| op["op"] == "resize");
    case.options = Options {
        lock: g.rng.chance(30),
        cache_headers: !resizes && g.rng.chance(30),
        autoflush: g.rng.chance(10),
        fadvise_random: g.rng.chance(20),
    };
    case
}

/// Seeds 1..=400 in four chunks (run in parallel by the test harness), or only the ones in
/// `WHISPER_INTEROP_SEEDS`; `WHISPER_INTEROP_SEQUENCES=n` runs seeds 1..=n instead (a soak run).
fn run_seed_chunk(chunk: u64) {
    let total: u64 = std::env::var("WHISPER_INTEROP_SEQUENCES").map_or(400, |n| {
        n.parse().expect("WHISPER_INTEROP_SEQUENCES: a number")
    });
    let per_chunk = total.div_ceil(4);
    let wanted: Option<Vec<u64>> = std::env::var("WHISPER_INTEROP_SEEDS").ok().map(|s| {
        s.split(',')
            .map(|x| x.trim().parse().expect("WHISPER_INTEROP_SEEDS: numbers"))
            .collect()
    });
    let seeds = (chunk * per_chunk + 1..=((chunk + 1) * per_chunk).min(total))
        .filter(|s| wanted.as_ref().is_none_or(|w| w.contains(s)));
    let cases: Vec<Case> = seeds.map(random_sequence).collect();
    if cases.is_empty() {
        return;
    }
    let (root, outcomes, failures) = run_cases(&cases);
    print_coverage(chunk, &cases, &outcomes);
    if !failures.is_empty() {
        eprintln!("rerun with WHISPER_INTEROP_SEEDS=<seed> to narrow it down");
    }
    check(root, &failures);
}

/// What the sequences exercised, by operation and result (shown with `--nocapture`).
fn print_coverage(chunk: u64, cases: &[Case], outcomes: &[Outcome]) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (case, outcome) in cases.iter().zip(outcomes) {
        for (op, result) in case.ops.iter().zip(&outcome.py) {
            let kind = op["op"].as_str().unwrap_or("?");
            let how = match (result.get("error"), &result["ok"]) {
                (Some(e), _) => e.as_str().unwrap_or("?").to_string(),
                (None, Value::Null) => "ok/None".to_string(),
                (None, _) => "ok".to_string(),
            };
            *counts.entry(format!("{kind} {how}")).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    let mut line = format!(
        "chunk {chunk}: {} sequences, {total} operations:",
        cases.len()
    );
    for (k, n) in &counts {
        let _ = write!(line, " [{k}: {n}]");
    }
    println!("{line}");
}

#[test]
fn random_sequences_1_to_100() {
    run_seed_chunk(0);
}

#[test]
fn random_sequences_101_to_200() {
    run_seed_chunk(1);
}

#[test]
fn random_sequences_201_to_300() {
    run_seed_chunk(2);
}

#[test]
fn random_sequences_301_to_400() {
    run_seed_chunk(3);
}

// ---------------------------------------------------------------------------------------------
// Error parity and deliberate deviations.

/// Marks an operation that must fail on both sides (ops.py ignores the extra key).
fn failing(mut op: Value) -> Value {
    op["expect_error"] = json!(true);
    op
}

fn assert_expected_errors(case: &Case, outcome: &Outcome) {
    for (i, op) in case.ops.iter().enumerate() {
        if op["expect_error"] == json!(true) {
            for (who, r) in [("ours", &outcome.rs[i]), ("reference", &outcome.py[i])] {
                assert!(
                    r.get("error").is_some(),
                    "{}: op #{i} {op} should fail, {who} gave {r}",
                    case.label
                );
            }
        }
    }
}

const NOW: i64 = 1_700_000_000;

fn errors_case() -> Case {
    let mut ops = Vec::new();
    let create = |file: &str, archives: Value| json!({"op": "create", "file": file, "archives": archives, "xff": null, "method": null});
    for (i, bad) in [
        json!([]),
        json!([[60, 10], [60, 20]]),
        json!([[60, 100], [90, 200]]),
        json!([[60, 100], [120, 50]]),
        json!([[120, 50], [60, 100]]),
        json!([[60, 2], [300, 100]]),
        json!([[1, 10], [5, 20], [5, 30]]),
        json!([[1, 10], [10, 1], [20, 100]]),
        json!([[300, 10], [60, 100], [1, 20]]),
    ]
    .into_iter()
    .enumerate()
    {
        ops.push(failing(create(&format!("bad{i}.wsp"), bad)));
    }
    let layout = json!([[60, 10], [300, 20]]);
    ops.push(create("a.wsp", layout.clone()));
    ops.push(failing(create("a.wsp", layout.clone())));
    // An existing file is reported before an invalid xFilesFactor.
    ops.push(failing(json!({
        "op": "create", "file": "a.wsp", "archives": layout, "xff": hex(1.5), "method": null,
    })));
    ops.push(create("b.wsp", layout.clone()));
    ops.push(create("c.wsp", json!([[60, 10], [600, 20]])));
    ops.push(create("d.wsp", json!([[60, 20], [300, 20]])));
    let update = |ts: i64| json!({"op": "update", "file": "a.wsp", "value": hex(1.0), "timestamp": ts, "now": NOW});
    ops.push(failing(update(NOW + 1)));
    ops.push(failing(update(NOW - 6000)));
    ops.push(failing(update(NOW - 10_000)));
    ops.push(update(NOW - 5999));
    ops.push(update(NOW));
    let fetch = |from: i64, until: i64, archive: &str| json!({"op": "fetch", "file": "a.wsp", "from": from, "until": until, "now": NOW, "archive": archive});
    ops.push(failing(fetch(NOW, NOW - 1, "")));
    for bad in ["7", "1x", "abc", "60:1", "1H", "2hours"] {
        ops.push(failing(fetch(NOW - 600, NOW, bad)));
    }
    let two =
        |op: &str, from: &str, to: &str| json!({"op": op, "from": from, "to": to, "now": NOW});
    for (from, to) in [("a.wsp", "c.wsp"), ("a.wsp", "d.wsp"), ("d.wsp", "a.wsp")] {
        ops.push(failing(two("merge", from, to)));
        ops.push(failing(two("diff", from, to)));
    }
    ops.push(failing(json!({
        "op": "merge", "from": "a.wsp", "to": "b.wsp", "time_from": NOW, "time_to": NOW - 10,
        "now": NOW,
    })));
    let set_method = |method: &str, xff: Value| json!({"op": "set_aggregation_method", "file": "a.wsp", "method": method, "xff": xff});
    ops.push(failing(set_method("median", Value::Null)));
    ops.push(failing(set_method("Sum", Value::Null)));
    ops.push(failing(set_method("sum", hex(1.5))));
    for xff in [-0.5, 1.000_000_1, 2.0, f64::INFINITY] {
        ops.push(failing(
            json!({"op": "set_xfilesfactor", "file": "a.wsp", "xff": hex(xff)}),
        ));
    }
    // Missing files: Python's OSError text, and info's None.
    let missing = "missing.wsp";
    ops.push(failing(
        json!({"op": "fetch", "file": missing, "from": NOW - 60, "now": NOW}),
    ));
    ops.push(failing(
        json!({"op": "update", "file": missing, "value": hex(1.0), "now": NOW}),
    ));
    ops.push(failing(json!({
        "op": "update_many", "file": missing, "points": [[NOW, hex(1.0)]], "now": NOW,
    })));
    ops.push(json!({"op": "update_many", "file": missing, "points": [], "now": NOW}));
    ops.push(json!({"op": "info", "file": missing}));
    ops.push(failing(
        json!({"op": "set_xfilesfactor", "file": missing, "xff": hex(0.5)}),
    ));
    ops.push(failing(two("merge", missing, "a.wsp")));
    ops.push(failing(two("merge", "a.wsp", missing)));
    ops.push(failing(two("diff", "a.wsp", missing)));
    // Resizing to an invalid layout, or onto an existing file.
    let resize = |archives: Value, newfile: Value| json!({"op": "resize", "file": "a.wsp", "archives": archives, "newfile": newfile, "now": NOW});
    ops.push(failing(resize(json!([[60, 10], [90, 100]]), Value::Null)));
    ops.push(failing(resize(json!([[60, 10]]), json!("b.wsp"))));
    // The file a failed resize leaves is the same on both sides.
    ops.push(json!({"op": "fetch", "file": "a.wsp", "from": NOW - 6000, "now": NOW}));
    Case::new("error parity", ops, NOW)
}

/// Header bytes for a file with one or two archives, to be damaged by the tests.
fn header_bytes(method: u32, xff: f32, count: u32, entries: &[(u32, u32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [method, 600, xff.to_bits(), count] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    for &(offset, spp, points) in entries {
        for v in [offset, spp, points] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    out
}

fn corrupt_case() -> Case {
    let whole = |mut header: Vec<u8>| {
        header.resize(header.len() + 12 * 30, 0);
        header
    };
    let one = [(28, 60, 10)];
    let files: Vec<(String, Vec<u8>)> = vec![
        ("empty.wsp".into(), vec![]),
        (
            "short.wsp".into(),
            header_bytes(1, 0.5, 1, &[])[..10].to_vec(),
        ),
        ("type0.wsp".into(), whole(header_bytes(0, 0.5, 1, &one))),
        ("type9.wsp".into(), whole(header_bytes(9, 0.5, 1, &one))),
        ("xff15.wsp".into(), whole(header_bytes(1, 1.5, 1, &one))),
        ("xffneg.wsp".into(), whole(header_bytes(1, -0.5, 1, &one))),
        (
            "xffnan.wsp".into(),
            whole(header_bytes(1, f32::NAN, 1, &one)),
        ),
        (
            "archive1.wsp".into(),
            header_bytes(1, 0.5, 2, &[(40, 60, 10), (160, 300, 20)])[..16 + 12 + 5].to_vec(),
        ),
        (
            "archive2.wsp".into(),
            header_bytes(1, 0.5, 3, &[(52, 60, 10)]),
        ),
    ];
    let mut ops = vec![json!({
        "op": "create", "file": "good.wsp", "archives": [[60, 10]], "xff": null, "method": null,
    })];
    for (name, _) in &files {
        let name = name.as_str();
        ops.push(failing(json!({"op": "info", "file": name})));
        ops.push(failing(
            json!({"op": "fetch", "file": name, "from": NOW - 300, "now": NOW}),
        ));
        ops.push(failing(
            json!({"op": "update", "file": name, "value": hex(1.0), "now": NOW}),
        ));
        ops.push(failing(json!({
            "op": "update_many", "file": name, "points": [[NOW, hex(1.0)]], "now": NOW,
        })));
        ops.push(failing(
            json!({"op": "set_xfilesfactor", "file": name, "xff": hex(0.5)}),
        ));
        ops.push(failing(json!({
            "op": "set_aggregation_method", "file": name, "method": "sum", "xff": null,
        })));
        for (from, to) in [(name, "good.wsp"), ("good.wsp", name)] {
            ops.push(failing(
                json!({"op": "merge", "from": from, "to": to, "now": NOW}),
            ));
            ops.push(failing(
                json!({"op": "diff", "from": from, "to": to, "now": NOW}),
            ));
        }
    }
    let mut case = Case::new("corrupt headers", ops, NOW);
    case.prepare = files;
    case
}

#[test]
fn errors_match_the_reference() {
    let cases = [errors_case(), corrupt_case()];
    let (root, outcomes, failures) = run_cases(&cases);
    for (case, outcome) in cases.iter().zip(&outcomes) {
        assert_expected_errors(case, outcome);
    }
    check(root, &failures);
}

/// `create` with an unknown method or an out-of-range xFilesFactor: the same error, but the
/// reference leaves a 0-byte file behind and we make none (docs/compatibility.md).
#[test]
fn create_leaves_no_empty_file() {
    let ops = vec![
        failing(json!({
            "op": "create", "file": "method.wsp", "archives": [[60, 10]], "method": "median",
        })),
        failing(
            json!({"op": "create", "file": "xff.wsp", "archives": [[60, 10]], "xff": hex(1.5)}),
        ),
        failing(
            json!({"op": "create", "file": "neg.wsp", "archives": [[60, 10]], "xff": hex(-0.1)}),
        ),
    ];
    let mut case = Case::new("create deviation", ops, NOW);
    case.skip_files = vec!["method.wsp".into(), "xff.wsp".into(), "neg.wsp".into()];
    let cases = [case];
    let (root, outcomes, failures) = run_cases(&cases);
    assert_expected_errors(&cases[0], &outcomes[0]);
    for name in &cases[0].skip_files {
        let theirs = std::fs::metadata(outcomes[0].py_dir.join(name)).expect("reference file");
        assert_eq!(theirs.len(), 0, "{name}");
        assert!(!outcomes[0].rs_dir.join(name).exists(), "{name}");
    }
    check(root, &failures);
}

/// `set_iteration_order` against `list(set(...))`, including tables past CPython's 50000-entry
/// growth switch.
#[test]
fn set_order_matches_cpython() {
    let mut rng = Rng::new(7);
    let mut ops = Vec::new();
    for size in [
        0usize, 1, 2, 5, 8, 9, 50, 100, 1000, 5000, 20_000, 60_000, 120_000,
    ] {
        for kind in 0..3 {
            let values: Vec<u64> = (0..size as u64)
                .map(|i| match kind {
                    0 => 1_700_000_000 + 60 * rng.below(2 * size as u64 + 1),
                    1 => rng.below(1 << 32),
                    _ => (1_700_000_000 + 300 * i) % (1 << 32),
                })
                .collect();
            ops.push(json!({"op": "pyset", "values": values}));
        }
    }
    let cases = [Case::new("set order", ops, NOW)];
    let (root, _, failures) = run_cases(&cases);
    check(root, &failures);
}
