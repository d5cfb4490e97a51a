//! Interop with the Python reference (carbon 1.1.10 on CPython 3.11, from `.venv-ref`): pickles
//! both ways at every protocol, byte-identical protocol-2 output, refusal of object-building
//! pickles, and the pickle, line and datagram receivers' parsing. The Python side is
//! `tests/reference/interop.py`. These tests fail (they do not skip) when the reference is
//! not installed: run `scripts/reference-venv.sh`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use carbon_proto::carbonlink::{Request, Response, TimestampKind};
use carbon_proto::pickle::{self, PickleError, Value};
use carbon_proto::{parse_line, split_datagram, LineError};

fn reference_python() -> PathBuf {
    reference_python::python()
}

/// Runs `interop.py <mode>` with `input` on stdin; returns its output lines.
fn run(mode: &str, input: &str) -> Vec<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/interop.py");
    // graphite-web's settings want a storage directory with a log directory in it.
    let storage = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("carbon-proto-graphite-storage");
    std::fs::create_dir_all(storage.join("log/webapp")).expect("graphite storage dir");
    let mut child = Command::new(reference_python())
        .arg(script)
        .env("GRAPHITE_STORAGE_DIR", &storage)
        .env("DJANGO_SETTINGS_MODULE", "graphite.settings")
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the reference python");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("reference python output");
    writer
        .join()
        .expect("writer thread")
        .expect("write to python");
    assert!(
        out.status.success(),
        "interop.py {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn f64_from_hex(s: &str) -> f64 {
    f64::from_be_bytes(unhex(s).try_into().expect("8 bytes"))
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const STRS: &[&str] = &[
    "",
    "a",
    "b",
    "\u{e9}",
    "\u{20ac}",
    "a.b.c",
    "datapoints",
    "it's",
    "\"q\"",
    "\\",
    "\n\r\t",
    "\u{1f600}x",
    "\u{0}",
];

fn gen_str(rng: &mut Rng) -> String {
    let n = rng.below(4);
    (0..n).map(|_| *rng.pick(STRS)).collect()
}

fn gen_scalar(rng: &mut Rng, allow_exotic: bool) -> Value {
    match rng.below(if allow_exotic { 10 } else { 8 }) {
        0 => Value::None,
        1 => Value::Bool(rng.below(2) == 0),
        2 => Value::Int(*rng.pick(&[
            0,
            1,
            255,
            256,
            65535,
            65536,
            -1,
            -129,
            i32::MAX as i64,
            i32::MIN as i64,
            1 << 31,
            i64::MAX,
            i64::MIN,
            -(1 << 40),
        ])),
        3 => Value::Int(rng.next() as i64 >> rng.below(64)),
        4 => Value::Float(*rng.pick(&[
            0.0,
            -0.0,
            1.5,
            1e300,
            -1e-300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1_700_000_000.0,
            0.1,
        ])),
        5 => Value::BigInt(
            rng.pick(&[
                "9223372036854775808",
                "-9223372036854775809",
                "123456789012345678901234567890",
                "-340282366920938463463374607431768211456",
            ])
            .to_string(),
        ),
        6 | 7 => Value::Str(gen_str(rng)),
        8 => Value::Bytes((0..rng.below(5)).map(|_| rng.next() as u8).collect()),
        _ => Value::Set(distinct_strs(rng, 1)),
    }
}

/// Up to `max` distinct strings. (Sets get at most one: Python re-orders a set's elements by
/// hash when it reads one, so a larger set does not come back in our order.)
fn distinct_strs(rng: &mut Rng, max: u64) -> Vec<Value> {
    let mut keys: Vec<String> = Vec::new();
    for _ in 0..rng.below(max + 1) {
        let k = gen_str(rng);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter().map(Value::Str).collect()
}

fn gen_value(rng: &mut Rng, depth: u32) -> Value {
    if depth == 0 || rng.below(3) == 0 {
        return gen_scalar(rng, true);
    }
    let n = if rng.below(20) == 0 {
        1001 + rng.below(30)
    } else {
        rng.below(5)
    };
    match rng.below(4) {
        0 => Value::List((0..n).map(|_| gen_value(rng, depth - 1)).collect()),
        1 => Value::Tuple((0..n.min(6)).map(|_| gen_value(rng, depth - 1)).collect()),
        2 => {
            let keys = distinct_strs(rng, 4);
            Value::Dict(
                keys.into_iter()
                    .map(|k| (k, gen_value(rng, depth - 1)))
                    .collect(),
            )
        }
        _ => Value::FrozenSet(distinct_strs(rng, 1)),
    }
}

/// Equality with NaN equal to NaN.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::List(x), Value::List(y))
        | (Value::Tuple(x), Value::Tuple(y))
        | (Value::Set(x), Value::Set(y))
        | (Value::FrozenSet(x), Value::FrozenSet(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| same(ka, kb) && same(va, vb))
        }
        _ => a == b,
    }
}

fn contains(v: &Value, pred: &dyn Fn(&Value) -> bool) -> bool {
    pred(v)
        || match v {
            Value::List(x) | Value::Tuple(x) | Value::Set(x) | Value::FrozenSet(x) => {
                x.iter().any(|i| contains(i, pred))
            }
            Value::Dict(x) => x
                .iter()
                .any(|(k, v)| contains(k, pred) || contains(v, pred)),
            _ => false,
        }
}

/// (a) Python's pickles of our values, at protocols 0 to 5, decode to the same values;
/// (b) Python reads our encoding and its own `dumps(v, 2)` of it is byte-identical to ours;
/// (c) bytes below protocol 3 and sets below 4 (written with GLOBAL/REDUCE) are refused.
#[test]
fn our_values_through_python() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let values: Vec<Value> = (0..400).map(|_| gen_value(&mut rng, 4)).collect();
    let input: String = values
        .iter()
        .map(|v| hex(&pickle::encode(v)) + "\n")
        .collect();
    let lines = run("redump", &input);
    assert_eq!(lines.len(), values.len());
    for (v, line) in values.iter().zip(&lines) {
        let dumps: Vec<Vec<u8>> = line.split(' ').map(unhex).collect();
        assert_eq!(
            hex(&dumps[2]),
            hex(&pickle::encode(v)),
            "protocol 2 bytes differ for {v:?}"
        );
        let has_bytes = contains(v, &|x| matches!(x, Value::Bytes(_)));
        let has_set = contains(v, &|x| matches!(x, Value::Set(_) | Value::FrozenSet(_)));
        for (p, data) in dumps.iter().enumerate().take(6) {
            let refused = (has_bytes && p < 3) || (has_set && p < 4);
            match pickle::decode_with_limits(data, pickle::Limits::for_frame_len(1 << 24)) {
                Ok(got) => {
                    assert!(!refused, "protocol {p} of {v:?} should be refused");
                    assert!(same(&got, v), "protocol {p}: got {got:?}, want {v:?}");
                }
                Err(e) => {
                    assert!(refused, "protocol {p} of {v:?}: {e}");
                    assert!(matches!(e, PickleError::Forbidden { .. }), "{e}");
                }
            }
        }
    }
}

/// Python's own values (shared and later-mutated references, big ints, every protocol)
/// decode, and our re-encoding reads back in Python as an equal value; object pickles
/// (datetime, `os.system` via `__reduce__`, class instances, bytearray, PickleBuffer, a
/// recursive list) are refused.
#[test]
fn python_values_through_us() {
    let mut check = String::new();
    let mut refused = 0;
    let mut ok = 0;
    for line in run("generate", "") {
        let mut parts = line.split(' ');
        let (kind, _protocol, data) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            unhex(parts.next().unwrap()),
        );
        let decoded = pickle::decode(&data);
        if kind == "refuse" {
            let e = decoded.expect_err(&line);
            assert!(
                matches!(e, PickleError::Forbidden { .. } | PickleError::TooDeep(_)),
                "{e}"
            );
            refused += 1;
        } else {
            let v = decoded.unwrap_or_else(|e| panic!("{e}: {line}"));
            check.push_str(&format!("{} {}\n", ok / 6, hex(&pickle::encode(&v))));
            ok += 1;
        }
    }
    assert!(refused >= 30 && ok >= 1800, "{refused} refused, {ok} ok");
    let bad: Vec<String> = run("check", &check)
        .into_iter()
        .filter(|l| l != "ok")
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `datapoints()` against the reference's `MetricPickleReceiver.stringReceived` on random
/// payloads (good, malformed and hostile elements, every protocol).
#[test]
fn pickle_receiver_matches_reference() {
    let frames: Vec<Vec<u8>> = run("payloads", "")
        .iter()
        .map(|l| unhex(l.split(' ').nth(1).unwrap()))
        .collect();
    let input: String = frames.iter().map(|f| hex(f) + "\n").collect();
    let outcomes = run("receive", &input);
    assert_eq!(outcomes.len(), frames.len());
    let (mut closes, mut invalid, mut points_seen) = (0, 0, 0);
    for (frame, outcome) in frames.iter().zip(&outcomes) {
        check_fast_path(frame, outcome);
        let mut parts = outcome.split(' ');
        let status = parts.next().unwrap();
        let value = match pickle::decode(frame) {
            Ok(v) => v,
            Err(e) => {
                assert_eq!(
                    status, "invalid",
                    "we refused ({e}) what the reference read: {outcome}"
                );
                invalid += 1;
                continue;
            }
        };
        match pickle::datapoints(&value) {
            Err(e) => {
                assert_eq!(status, "close", "{e} on {value:?}");
                closes += 1;
            }
            Ok((points, errors)) => {
                assert_eq!(status, "ok", "{value:?}");
                let shapes = errors
                    .iter()
                    .filter(|e| matches!(e, pickle::ElementError::Shape { .. }))
                    .count();
                assert_eq!(
                    parts.next().unwrap(),
                    shapes.to_string(),
                    "logged element errors for {value:?}"
                );
                let want: Vec<&str> = parts.collect();
                assert_eq!(points.len(), want.len(), "{value:?}");
                for (dp, w) in points.iter().zip(want) {
                    let f: Vec<&str> = w.split(':').collect();
                    assert_eq!(dp.metric.as_bytes(), unhex(f[0]), "{value:?}");
                    for (got, want) in [
                        (dp.timestamp, f64_from_hex(f[1])),
                        (dp.value, f64_from_hex(f[2])),
                    ] {
                        assert!(
                            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                            "{value:?}"
                        );
                    }
                    points_seen += 1;
                }
            }
        }
    }
    assert!(
        closes > 10 && invalid > 10 && points_seen > 1000,
        "{closes} {invalid} {points_seen}"
    );
}

/// When the fast carbon decoder accepts `frame`, the reference read it without errors and
/// got the same points (`outcome` as `interop.py receive` prints it). Returns whether it did.
fn check_fast_path(frame: &[u8], outcome: &str) -> bool {
    let Some(points) = pickle::carbon_points(frame, pickle::Limits::default()) else {
        return false;
    };
    let mut parts = outcome.split(' ');
    assert_eq!(
        parts.next(),
        Some("ok"),
        "fast path accepted {}",
        hex(frame)
    );
    assert_eq!(parts.next(), Some("0"), "fast path accepted {}", hex(frame));
    let want: Vec<&str> = parts.collect();
    assert_eq!(points.len(), want.len(), "{}", hex(frame));
    for ((m, t, v), w) in points.iter().zip(want) {
        let f: Vec<&str> = w.split(':').collect();
        assert_eq!(m.as_bytes(), unhex(f[0]), "{}", hex(frame));
        for (got, want) in [(*t, f64_from_hex(f[1])), (*v, f64_from_hex(f[2]))] {
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{}",
                hex(frame)
            );
        }
    }
    true
}

/// Carbon payloads as Python pickles them at every protocol (shared names and pairs through
/// memo references, every int and float opcode): the fast decoder accepts them (all but
/// protocol 0's escaped names and ints too large for 8 bytes) and matches the reference and
/// the generic path.
#[test]
fn fast_carbon_path_matches_reference() {
    let lines = run("carbon-payloads", "");
    let frames: Vec<(u8, Vec<u8>)> = lines
        .iter()
        .map(|l| {
            let (p, h) = l.split_once(' ').unwrap();
            (p.parse().unwrap(), unhex(h))
        })
        .collect();
    let input: String = frames.iter().map(|(_, f)| hex(f) + "\n").collect();
    let outcomes = run("receive", &input);
    assert_eq!(outcomes.len(), frames.len());
    let mut accepted = [0usize; 6];
    let mut points_seen = 0;
    for ((proto, frame), outcome) in frames.iter().zip(&outcomes) {
        let generic = pickle::datapoints(&pickle::decode(frame).unwrap()).unwrap();
        assert!(generic.1.is_empty());
        if check_fast_path(frame, outcome) {
            accepted[usize::from(*proto)] += 1;
            let fast = pickle::carbon_points(frame, pickle::Limits::default()).unwrap();
            points_seen += fast.len();
            assert_eq!(fast.len(), generic.0.len());
            for ((m, t, v), dp) in fast.iter().zip(&generic.0) {
                assert_eq!(*m, dp.metric);
                assert_eq!(t.to_bits(), dp.timestamp.to_bits());
                assert_eq!(v.to_bits(), dp.value.to_bits());
            }
        }
    }
    let per_proto = frames.len() / 6;
    // Protocol 0 escapes the long names' payloads rarely; most frames still qualify.
    assert!(accepted[0] > per_proto / 4, "{accepted:?}");
    for n in &accepted[1..] {
        // Only frames with an int of more than 8 bytes (none here) would be declined.
        assert_eq!(*n, per_proto, "{accepted:?}");
    }
    assert!(points_seen > 10_000, "{points_seen}");
}

const LINE_TABLE: &[&[u8]] = &[
    b"foo.bar 42 1700000000",
    b"foo.bar 42 1700000000\r",
    b"",
    b"   ",
    b"a 1",
    b"a 1 2 3",
    b"a nan 1",
    b"a 1 nan",
    b"a inf -inf",
    b"a -1 -1",
    b"a 1_0 2_0",
    b"a 1__0 2",
    b"a _1 2",
    b"a 1e5 1E-5",
    b"a .5 5.",
    b"a . 5",
    b"a 0x10 5",
    b"a 1e400 1",
    b"a 1 1e400",
    b"a Infinity NaN",
    b"a +1 -.5e+3",
    b"a\x1c1\x1d2",
    b"a\x1f1 2\x0b",
    b"a\x001 2",
    b"a 1\x00 2",
    b"\xff 1 2",
    b"a \xc3 2",
    "a\u{a0}1\u{3000}2".as_bytes(),
    "a\u{85}1 2".as_bytes(),
    "a\u{2028}1\u{2029}2".as_bytes(),
    "a\u{200b}1 2".as_bytes(),
    "\u{e9}t\u{e9} \u{661}\u{662} \u{ff13}".as_bytes(),
    "a \u{b2} 2".as_bytes(),
    "a 1 \u{2155}".as_bytes(),
    b"a 1,5 2",
    b"a 1 2 # comment",
    b"a.b;tag=v 1 2",
];

/// `parse_line` against the reference's `MetricLineReceiver.lineReceived`.
#[test]
fn line_parser_matches_reference() {
    let mut lines: Vec<Vec<u8>> = LINE_TABLE.iter().map(|l| l.to_vec()).collect();
    let pieces: &[&[u8]] = &[
        b"a",
        b" ",
        b"1",
        b"-1",
        b".",
        b"e",
        b"_",
        b"nan",
        b"inf",
        b"\t",
        b"\x1c",
        b"\xc2\xa0",
        b"\xd9\xa1",
        b"x",
        b"\r",
        b"\xe2\x80\xa8",
        b"\xff",
    ];
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let n = 1 + rng.below(9);
        lines.push((0..n).flat_map(|_| rng.pick(pieces).to_vec()).collect());
    }
    let input: String = lines.iter().map(|l| hex(l) + "\n").collect();
    let outcomes = run("lines", &input);
    assert_eq!(outcomes.len(), lines.len());
    for (line, outcome) in lines.iter().zip(&outcomes) {
        let ours = parse_line(line);
        let parts: Vec<&str> = outcome.split(' ').collect();
        match parts[0] {
            "utf8" => assert_eq!(ours, Err(LineError::InvalidUtf8), "{line:?}"),
            "invalid" => assert!(
                matches!(
                    ours,
                    Err(LineError::FieldCount { .. }
                        | LineError::InvalidTimestamp
                        | LineError::InvalidValue)
                ),
                "{line:?}: {ours:?}"
            ),
            "ok" => {
                let (ts, value) = (f64_from_hex(parts[2]), f64_from_hex(parts[3]));
                if !ts.is_finite() {
                    assert_eq!(ours, Err(LineError::NonFiniteTimestamp), "{line:?}");
                    continue;
                }
                let dp = ours.unwrap_or_else(|e| panic!("{line:?}: {e}"));
                assert_eq!(dp.metric.as_bytes(), unhex(parts[1]), "{line:?}");
                assert_eq!(dp.timestamp.to_bits(), ts.to_bits(), "{line:?}");
                assert!(
                    dp.value.to_bits() == value.to_bits() || (dp.value.is_nan() && value.is_nan()),
                    "{line:?}"
                );
            }
            other => panic!("unexpected outcome {other}"),
        }
    }
}

/// `split_datagram` against `bytes.decode('utf-8').splitlines()`.
#[test]
fn datagram_split_matches_reference() {
    let pieces: &[&[u8]] = &[
        b"a 1 2",
        b"\n",
        b"\r",
        b"\r\n",
        b"\x0b",
        b"\x0c",
        b"\x1c",
        b"\x1d",
        b"\x1e",
        b"\x1f",
        b"\xc2\x85",
        b"\xe2\x80\xa8",
        b"\xe2\x80\xa9",
        b"\xe2\x80\xa7",
        b"x",
        b"",
    ];
    let mut rng = Rng(7);
    let datagrams: Vec<Vec<u8>> = (0..1000)
        .map(|_| {
            (0..rng.below(8))
                .flat_map(|_| rng.pick(pieces).to_vec())
                .collect()
        })
        .collect();
    let input: String = datagrams.iter().map(|d| hex(d) + "\n").collect();
    let outcomes = run("datagrams", &input);
    for (d, outcome) in datagrams.iter().zip(&outcomes) {
        let want: Vec<Vec<u8>> = outcome.split(' ').skip(1).map(unhex).collect();
        let got: Vec<Vec<u8>> = split_datagram(d).map(<[u8]>::to_vec).collect();
        assert_eq!(got, want, "{d:?}");
    }
}

/// graphite-web 1.1.10's carbonlink requests (pickled at its `CARBONLINK_PICKLE_PROTOCOL`)
/// parse, and its client reads our responses as the dicts carbon sends.
#[test]
fn carbonlink_with_graphite_web() {
    let requests: Vec<Request> = run("carbonlink-requests", "")
        .iter()
        .map(|l| Request::decode(&unhex(l)).expect(l))
        .collect();
    assert_eq!(
        requests,
        vec![
            Request::CacheQuery {
                metric: "a.b.c".into()
            },
            Request::CacheQueryBulk {
                metrics: vec!["a".into(), "b;t=v".into(), "a".into()]
            },
            Request::GetMetadata {
                metric: "x.y".into(),
                key: "aggregationMethod".into()
            },
            Request::SetMetadata {
                metric: "x.y".into(),
                key: "aggregationMethod".into(),
                value: Value::Str("max".into())
            },
            Request::Invalid {
                request_type: "bogus".into()
            },
        ]
    );
    let responses = [
        (
            Response::Datapoints(vec![
                (1_700_000_000.5, 1.0),
                (1_699_999_990.0, f64::INFINITY),
            ]),
            TimestampKind::Float,
        ),
        (
            Response::Datapoints(vec![(1_700_000_000.0, -0.25)]),
            TimestampKind::Int,
        ),
        (Response::Datapoints(vec![]), TimestampKind::Float),
        (
            Response::DatapointsByMetric(vec![
                ("a".into(), vec![(60.0, 1e300)]),
                ("b;t=v".into(), vec![]),
                ("a".into(), vec![(60.0, 1e300)]),
            ]),
            TimestampKind::Float,
        ),
        (
            Response::Metadata(Value::Str("average".into())),
            TimestampKind::Float,
        ),
        (
            Response::MetadataSet {
                old_value: Value::Str("average".into()),
                new_value: Value::Str("max".into()),
            },
            TimestampKind::Float,
        ),
        (Response::invalid_type("bogus"), TimestampKind::Float),
        (
            Response::Error("Traceback (most recent call last):\n  ...\nKeyError: 'x'\n".into()),
            TimestampKind::Float,
        ),
    ];
    let input: String = responses
        .iter()
        .map(|(r, ts)| hex(&r.encode(*ts)) + "\n")
        .collect();
    let reprs = run("carbonlink-responses", &input);
    for ((r, ts), got) in responses.iter().zip(&reprs) {
        assert_eq!(got, &r.to_value(*ts).py_repr(), "{r:?}");
    }
}
