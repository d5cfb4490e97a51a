//! Interop with the Python reference (graphite-web 1.1.10): seeded random series lists are
//! written in every data format of `/render` by `webapp::output::render_data` and by the
//! reference's own views (`renderViewJson`, `renderViewCsv`, `renderViewRaw`,
//! `renderViewPickle`, `renderViewMsgPack`, `renderViewDygraph`, `renderViewRickshaw`, driven
//! by `tests/reference/output_driver.py`).
//!
//! Bodies and content types must be byte-identical (msgpack included); pickles (protocol 2
//! here, 5 in the reference) are unpickled by Python and compared structurally, floats bit for
//! bit. The one allowance: a NaN made by consolidation (`inf + -inf + nan`) may carry another
//! sign bit than CPython's (which NaN an IEEE addition returns depends on the operand order
//! the compiler chose); such NaNs still compare equal, and msgpack bodies holding one are
//! compared structurally instead of byte for byte. Where the reference raises (its 500), we
//! must fail with the same exception class.
//!
//! `OUTPUT_INTEROP_CASES=n` changes the number of cases (default 400);
//! `OUTPUT_INTEROP_SEEDS=3,17` runs only those cases.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use webapp::output::{render_data, Format, OutputOptions};
use webapp::series::{ConsolidationFunc, TimeSeries};

// ---------------------------------------------------------------------------------------------
// Random numbers: splitmix64, so a seed means the same case everywhere.

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

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (u128::from(self.next_u64()) % span) as i128) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

const NAMES: &[&str] = &[
    "a.b.c",
    "servers.web01.cpu.load",
    "sumSeries(a.*)",
    "cpu.load;host=a;dc=east",
    "é.ü.ß",
    "日本.メトリック",
    "emoji😀.x",
    "comma,name",
    "quote\"name",
    "NaN,",
    "xInfinity,y",
    "new\nline",
    "cr\rname",
    "tab\tname",
    "back\\slash",
    "",
    " space ",
    "ctl\u{1}\u{7f}\u{8}\u{c}",
    "a,\"b\"\r\n",
    "movingAverage(x.y,'1min')",
    "nul\u{0}\u{2028}\u{1c}",
];

const TAG_WORDS: &[&str] = &["host", "dc", "é", "v,1", "q\"", "NaN,", "😀", "Infinity,"];

const TZS: &[&str] = &[
    "UTC",
    "America/New_York",
    "Asia/Kolkata",
    "Europe/London",
    "Australia/Lord_Howe",
];

const FUNCS: &[ConsolidationFunc] = &[
    ConsolidationFunc::Sum,
    ConsolidationFunc::Average,
    ConsolidationFunc::AvgZero,
    ConsolidationFunc::Min,
    ConsolidationFunc::Max,
    ConsolidationFunc::First,
    ConsolidationFunc::Last,
];

const FORMATS: &[Format] = &[
    Format::Json,
    Format::Csv,
    Format::Raw,
    Format::Pickle,
    Format::Msgpack,
    Format::Dygraph,
    Format::Rickshaw,
];

fn gen_start(rng: &mut Rng) -> i64 {
    let roll = rng.unit();
    if roll < 0.35 {
        rng.range(1_600_000_000, 1_800_000_000)
    } else if roll < 0.5 {
        // Around daylight-saving transitions (New York, London, Lord Howe).
        let t = *rng.pick(&[1_710_054_000, 1_730_613_600, 1_711_846_800, 1_712_415_600]);
        t + rng.range(-4 * 3600, 4 * 3600)
    } else if roll < 0.58 {
        rng.range(0, 1000)
    } else if roll < 0.66 {
        rng.range(-600_000_000, 0)
    } else if roll < 0.71 {
        // Before 1901-12-13 (pytz's LMT era).
        rng.range(-4_000_000_000, -2_100_000_000)
    } else if roll < 0.76 {
        // After 2038-01-19 (pytz stops daylight saving time).
        rng.range(2_100_000_000, 5_000_000_000)
    } else if roll < 0.8 {
        // The end of year 9999.
        253_402_300_799 - rng.range(0, 200_000)
    } else if roll < 0.83 {
        rng.range(300_000_000_000, 400_000_000_000)
    } else {
        rng.range(0, i64::from(i32::MAX))
    }
}

fn gen_step(rng: &mut Rng) -> i64 {
    if rng.chance(0.02) {
        return 0;
    }
    if rng.chance(0.01) {
        return -10;
    }
    *rng.pick(&[1, 10, 60, 60, 300, 3600, 86400, 7, 13])
}

fn gen_len(rng: &mut Rng) -> usize {
    let roll = rng.unit();
    (if roll < 0.1 {
        0
    } else if roll < 0.5 {
        rng.range(1, 10)
    } else if roll < 0.85 {
        rng.range(10, 100)
    } else {
        rng.range(100, 600)
    }) as usize
}

fn gen_value(rng: &mut Rng, null_rate: f64) -> Option<f64> {
    if rng.chance(null_rate) {
        return None;
    }
    let roll = rng.unit();
    Some(if roll < 0.03 {
        f64::NAN
    } else if roll < 0.05 {
        f64::INFINITY
    } else if roll < 0.07 {
        f64::NEG_INFINITY
    } else if roll < 0.09 {
        -0.0
    } else if roll < 0.4 {
        rng.range(-5, 100) as f64
    } else if roll < 0.6 {
        rng.range(0, 999) as f64 / 10.0
    } else if roll < 0.7 {
        rng.unit() * 1e-7
    } else if roll < 0.8 {
        (rng.unit() - 0.5) * 1e20
    } else {
        rng.unit() * 1000.0
    })
}

fn gen_name(rng: &mut Rng) -> String {
    let mut name = rng.pick(NAMES).to_string();
    if rng.chance(0.2) {
        name.push('.');
        let extra = *rng.pick(NAMES);
        name.push_str(extra);
    }
    name
}

fn gen_series(rng: &mut Rng, shape: Option<(i64, i64, usize)>) -> TimeSeries {
    let (start, step, len) = shape.unwrap_or_else(|| {
        let step = gen_step(rng);
        let mut start = gen_start(rng);
        if step > 0 && rng.chance(0.6) {
            start -= start.rem_euclid(step);
        }
        (start, step, gen_len(rng))
    });
    let mut end = start + step * len as i64;
    if rng.chance(0.25) {
        end += rng.range(-2 * step.abs() - 1, 2 * step.abs() + 1);
    }
    let null_rate = *rng.pick(&[0.0, 0.0, 0.2, 0.5, 0.9, 1.0]);
    let values = (0..len).map(|_| gen_value(rng, null_rate)).collect();
    let xff = match rng.range(0, 6) {
        0 => 0.5,
        1 => 1.0,
        2 => 0.3,
        3 => 0.25,
        4 => rng.unit(),
        _ => 0.0,
    };
    let mut s = TimeSeries::new(gen_name(rng), start, end, step, values, xff);
    s.consolidation_func = *rng.pick(FUNCS);
    if rng.chance(0.3) {
        s.values_per_point = rng.range(2, 6) as usize;
    } else if rng.chance(0.02) {
        s.values_per_point = 0;
    }
    if rng.chance(0.3) {
        for _ in 0..rng.range(1, 3) {
            let k = rng.pick(TAG_WORDS).to_string();
            let v = rng.pick(TAG_WORDS).to_string();
            s.tags.insert(k, v);
        }
    } else if rng.chance(0.05) {
        s.tags.clear();
    }
    if rng.chance(0.3) {
        s.path_expression = "a.*".to_owned();
    }
    s
}

fn gen_case(seed: u64) -> (Vec<TimeSeries>, OutputOptions) {
    let mut rng = Rng::new(seed);
    let count = rng.range(0, 4) as usize;
    let shared = rng.chance(0.5).then(|| {
        let step = gen_step(&mut rng);
        let mut start = gen_start(&mut rng);
        if step > 0 {
            start -= start.rem_euclid(step);
        }
        (start, step, gen_len(&mut rng))
    });
    let series = (0..count).map(|_| gen_series(&mut rng, shared)).collect();
    let mut opts = OutputOptions::new(Format::Json);
    if rng.chance(0.6) {
        opts.max_data_points = Some(if rng.chance(0.03) {
            0
        } else if rng.chance(0.02) {
            u64::MAX
        } else {
            *rng.pick(&[1, 1, 2, 2, 3, 5, 7, 10, 50, 100, 1000, 1_000_000])
        });
    }
    opts.no_null_points = rng.chance(0.3);
    opts.pretty = rng.chance(0.3);
    if rng.chance(0.2) {
        opts.jsonp = Some(rng.pick(&["cb", "jQuery123_456", "fün"]).to_string());
    }
    opts.tz = rng.pick(TZS).parse().expect("known zone");
    (series, opts)
}

fn hex_float(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn series_json(s: &TimeSeries) -> Value {
    json!({
        "name": s.name,
        "start": s.start,
        "end": s.end,
        "step": s.step,
        "values": s.values.iter().map(|v| v.map(hex_float)).collect::<Vec<_>>(),
        "consolidationFunc": s.consolidation_func.name(),
        "valuesPerPoint": s.values_per_point,
        "xFilesFactor": hex_float(s.x_files_factor),
        "tags": s.tags.iter().map(|(k, v)| [k, v]).collect::<Vec<_>>(),
        "pathExpression": s.path_expression,
    })
}

/// Our answer for one format: the reply, or the exception class.
type Outcome = Result<(String, Vec<u8>), String>;

fn render(series: &[TimeSeries], opts: &OutputOptions, format: Format) -> Outcome {
    let mut data = series.to_vec();
    let opts = OutputOptions {
        format,
        ..opts.clone()
    };
    render_data(&mut data, &opts)
        .map(|reply| (reply.content_type, reply.body))
        .map_err(|e| e.kind.name().to_owned())
}

/// The first differing position of two bodies, with some context.
fn body_diff(ours: &[u8], theirs: &[u8]) -> String {
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let lo = at.saturating_sub(60);
    format!(
        "first difference at byte {at} (lengths {} vs {}):\n  ours:   {:?}\n  theirs: {:?}",
        ours.len(),
        theirs.len(),
        String::from_utf8_lossy(&ours[lo..(at + 60).min(ours.len())]),
        String::from_utf8_lossy(&theirs[lo..(at + 60).min(theirs.len())]),
    )
}

#[test]
fn render_formats_match_the_reference() {
    let seeds: Vec<u64> = match std::env::var("OUTPUT_INTEROP_SEEDS") {
        Ok(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("seed"))
            .collect(),
        Err(_) => {
            let n = std::env::var("OUTPUT_INTEROP_CASES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(400u64);
            (1..=n).collect()
        }
    };
    let cases: Vec<(u64, Vec<TimeSeries>, OutputOptions)> = seeds
        .iter()
        .map(|&seed| {
            let (series, opts) = gen_case(seed);
            (seed, series, opts)
        })
        .collect();
    let outcomes: Vec<Vec<Outcome>> = cases
        .iter()
        .map(|(_, series, opts)| FORMATS.iter().map(|&f| render(series, opts, f)).collect())
        .collect();

    let payload = json!({
        "cases": cases.iter().zip(&outcomes).map(|((_, series, opts), ours)| {
            let rust_body = |format: Format| {
                let i = FORMATS.iter().position(|&f| f == format).expect("format");
                ours[i].as_ref().ok().map(|(_, body)| hex(body))
            };
            json!({
                "options": {
                    "tz": opts.tz.name(),
                    "pretty": opts.pretty,
                    "jsonp": opts.jsonp,
                    "maxDataPoints": opts.max_data_points,
                    "noNullPoints": opts.no_null_points,
                },
                "series": series.iter().map(series_json).collect::<Vec<_>>(),
                "rust": {
                    "pickle": rust_body(Format::Pickle),
                    "msgpack": rust_body(Format::Msgpack),
                },
            })
        }).collect::<Vec<_>>(),
    });

    let driver =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/output_driver.py");
    let mut child = Command::new(reference_python::python())
        .arg(&driver)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the reference driver");
    let input = serde_json::to_vec(&payload).expect("payload");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("reference driver");
    writer.join().expect("writer").expect("write cases");
    assert!(
        output.status.success(),
        "the reference driver failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Value = serde_json::from_slice(&output.stdout).expect("driver output");
    let results = results["results"].as_array().expect("results");
    assert_eq!(results.len(), cases.len());

    let mut failures = Vec::new();
    let mut compared = 0usize;
    let mut errors_agreed = 0usize;
    let mut nan_bits_only = 0usize;
    let mut answered = std::collections::BTreeMap::<&str, usize>::new();
    let mut raised = std::collections::BTreeMap::<String, usize>::new();
    for (((seed, _, _), ours), theirs) in cases.iter().zip(&outcomes).zip(results) {
        for (format, our) in FORMATS.iter().zip(ours) {
            let their = &theirs[format.name()];
            compared += 1;
            let problem = match (their["ok"].as_bool() == Some(true), our) {
                (false, Err(kind)) => {
                    let error = their["error"].as_str().unwrap_or_default();
                    if error.starts_with(&format!("{kind}:")) {
                        errors_agreed += 1;
                        *raised
                            .entry(format!("{}/{kind}", format.name()))
                            .or_default() += 1;
                        None
                    } else {
                        Some(format!("we raise {kind}, the reference {error}"))
                    }
                }
                (false, Ok(_)) => Some(format!(
                    "the reference raises {}, we answer",
                    their["error"]
                )),
                (true, Err(kind)) => Some(format!("we raise {kind}, the reference answers")),
                (true, Ok((content_type, body))) => {
                    *answered.entry(format.name()).or_default() += 1;
                    let their_body = unhex(their["body"].as_str().unwrap_or_default());
                    if their["content_type"].as_str() != Some(content_type.as_str()) {
                        Some(format!(
                            "content type {content_type} vs {}",
                            their["content_type"]
                        ))
                    } else if *format == Format::Pickle {
                        (their["rust_matches"].as_bool() != Some(true))
                            .then(|| format!("unpickled values differ: {}", their["detail"]))
                    } else if *format == Format::Msgpack
                        && their["rust_matches"].as_bool() != Some(true)
                    {
                        Some(format!("unpacked values differ: {}", their["detail"]))
                    } else if *format == Format::Msgpack
                        && their["nan_bits_differ"].as_u64() != Some(0)
                    {
                        nan_bits_only += 1;
                        None
                    } else if *body != their_body {
                        Some(body_diff(body, &their_body))
                    } else {
                        None
                    }
                }
            };
            if let Some(problem) = problem {
                failures.push(format!("seed {seed}, format {}: {problem}", format.name()));
            }
        }
    }
    eprintln!(
        "{} cases, {compared} renders compared, {errors_agreed} raised in both, \
         {nan_bits_only} msgpack bodies equal but for NaN signs; answers per format: \
         {answered:?}; raised: {raised:?}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {compared} renders differ (rerun with OUTPUT_INTEROP_SEEDS=...):\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
