//! Interop: `webapp::attime::parse_at_time` against graphite-web's own `parseATTime` (run by
//! `tests/reference/attime_driver.py` in the reference virtualenv), over a few hundred
//! hand-written and generated inputs x nine time zones (half-hour offsets and DST, negative DST,
//! a skipped day) x several `now` values, DST transition days included. Compares the epoch seconds, or error with error.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use webapp::attime::{parse_at_time, parse_tz};

const ZONES: [&str; 9] = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/St_Johns",
];

fn epoch(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .unwrap()
        .timestamp()
}

fn nows() -> Vec<i64> {
    vec![
        // The inventory's reference now (a Friday).
        epoch(2024, 3, 15, 10, 30, 45),
        // New York: just after spring forward (03:30 EDT), in the repeated hour (01:30 EDT and
        // 01:30 EST).
        epoch(2024, 3, 10, 7, 30, 0),
        epoch(2024, 11, 3, 5, 30, 0),
        epoch(2024, 11, 3, 6, 30, 0),
        // Berlin: after spring forward (03:30 CEST), in the repeated hour (02:30 CEST).
        epoch(2024, 3, 31, 1, 30, 0),
        epoch(2024, 10, 27, 0, 30, 0),
        // Sydney: in the repeated hour (02:30 AEDT), after spring forward (03:30 AEDT).
        epoch(2024, 4, 6, 15, 30, 0),
        epoch(2024, 10, 5, 16, 30, 0),
        // Outside pytz's data window (LMT before 1901, frozen offsets after 2037), the epoch,
        // a leap day.
        epoch(1890, 6, 1, 12, 0, 0),
        epoch(2040, 7, 1, 12, 0, 0),
        0,
        epoch(2024, 2, 29, 23, 59, 59),
    ]
}

/// Hand-written inputs: the documented syntax, the quirks, DST-sensitive times and errors.
const HAND_WRITTEN: &[&str] = &[
    "",
    "now",
    "NOW",
    " now ",
    "now-1d",
    "now+1h",
    "now-",
    "-1d",
    "-1h",
    "+1h",
    "-2h30min",
    "-1d12h",
    "-90s",
    "-5min",
    "-5mins",
    "-1mon",
    "-3months",
    "-1y",
    "-2years",
    "-1w",
    "-2weeks",
    "-1m",
    "-1M",
    "-1",
    "-",
    "+",
    "-d",
    "-1d-1h",
    "-1d+2h",
    "1d",
    "-0s",
    "-00001d",
    "+1sec",
    "-10seconds",
    "-1hour",
    "-1hours",
    "-1day",
    "-1days",
    "-1minute",
    "-1mo",
    "-1ms",
    "-1x",
    "midnight",
    "noon",
    "teatime",
    "midnight+1h",
    "noon-1d",
    "teatime_tomorrow",
    "noon yesterday",
    "noon_yesterday",
    "6pm today",
    "6pmtoday",
    "12am",
    "12pm",
    "1am",
    "11pm",
    "0am",
    "13pm",
    "99pm",
    "am",
    "pm",
    "9:15",
    "9:15pm",
    "09:15am",
    "23:59",
    "0:00",
    "24:00",
    "12:60",
    "5:5",
    "5:",
    ":30",
    "123:00",
    "2:30am",
    "02:30",
    "1:30am",
    "01:30",
    "3:00",
    "2:00",
    "2:59am",
    "yesterday",
    "today",
    "tomorrow",
    "YESTERDAY",
    "yesterday-1h",
    "tomorrow+1d",
    "20240101",
    "20240310",
    "20241103",
    "20240331",
    "20241027",
    "20241006",
    "20240407",
    "20240229",
    "20230229",
    "20240000",
    "20241301",
    "19000101",
    "19010101",
    "99991231",
    "12:30_20240101",
    "02:30_20240310",
    "01:30_20241103",
    "02:30_20240331",
    "02:30_20241027",
    "02:30_20241006",
    "02:30_20240407",
    "2:30am_20240310",
    "23:59_99991231",
    "00:00_00010101",
    "01/31/24",
    "01/31/2024",
    "01/31/69",
    "01/31/70",
    "1/1/1",
    "03/10/2024",
    "11/03/24",
    "02/29/2023",
    "13/01/2024",
    "1/2",
    "1/2/3/4",
    "//",
    "a/b/c",
    "01/31/1890",
    "jan5",
    "january05",
    "jan31",
    "feb29",
    "feb30",
    "mar10",
    "nov3",
    "october27",
    "dec25",
    "jan",
    "may",
    "jan0",
    "jan99",
    "janfoo12",
    "jan5+1d",
    "noon_jan5",
    "2am_apr7",
    "monday",
    "sunday",
    "sat",
    "saturday",
    "fri",
    "thursday-1w",
    "noon_monday",
    "mon",
    "tuesx",
    "foo",
    "2024-01-01",
    "1e5",
    "now1",
    "nowish",
    "yesterdayam",
    "x",
    "10",
    "1700000000",
    "1_700_000_000",
    "1,700,000,000",
    "0",
    "253402300799",
    "253402300800",
    "99999999999999999999999",
    "999999999d",
    "-999999999d",
    "-1000000000d",
    "+9999999999w",
    "-99999999999999999999s",
    "١٧٠٠٠٠٠٠٠٠",
    "²",
    "jan²1",
    "-5d²",
    "-5dé",
    "İ",
    "now\t",
    "\tnow",
    "_\t5:30",
    "-5:00pm+1h",
    "12:00pm_yesterday",
    "midnight_20240310",
    "4am_20241006",
    "noon_02/29/2024",
];

/// A tiny deterministic generator (xorshift) so the generated inputs are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn generated(count: usize) -> Vec<String> {
    const TIMES: &[&str] = &[
        "", "", "noon", "midnight", "teatime", "1am", "12am", "12pm", "11pm", "0:00", "9:15",
        "23:59", "2:30am", "02:30", "1:30am", "01:30pm", "3pm", "24:00", "5:5", "2:00",
    ];
    const DAYS: &[&str] = &[
        "",
        "",
        "today",
        "yesterday",
        "tomorrow",
        "20240310",
        "20241103",
        "20240331",
        "20241027",
        "20241006",
        "20240407",
        "03/10/2024",
        "11/03/24",
        "mar10",
        "nov3",
        "october27",
        "monday",
        "sunday",
        "sat",
        "feb29",
        "feb30",
        "foo",
    ];
    const OFFSETS: &[&str] = &[
        "", "", "", "-1d", "+1h", "-2h30min", "-1mon", "+1y", "-1w", "-90s", "-25h", "-1m", "+1d",
        "-7d", "+30min",
    ];
    const SEPARATORS: &[&str] = &["", "_", " ", ","];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..count)
        .map(|_| {
            let mut s = String::new();
            s.push_str(rng.pick(TIMES));
            s.push_str(rng.pick(SEPARATORS));
            s.push_str(rng.pick(DAYS));
            s.push_str(rng.pick(OFFSETS));
            if rng.next().is_multiple_of(5) {
                s = s.to_uppercase();
            }
            s
        })
        .collect()
}

/// Short random strings over the characters the syntax uses (and a few it does not).
fn random_strings(count: usize) -> Vec<String> {
    const ALPHABET: &[char] = &[
        '0', '1', '2', '3', '5', '9', ':', '/', '+', '-', '_', ' ', ',', 'a', 'm', 'p', 'n', 'o',
        'w', 'd', 'h', 's', 'y', 'i', 'e', 't', 'j', 'u', 'M', 'é', '²', '١',
    ];
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    (0..count)
        .map(|_| {
            let len = 1 + (rng.next() % 9) as usize;
            (0..len)
                .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize])
                .collect()
        })
        .collect()
}

#[test]
fn parse_at_time_matches_reference() {
    let mut inputs: Vec<String> = HAND_WRITTEN.iter().map(|s| s.to_string()).collect();
    inputs.extend(generated(300));
    // ATTIME_REFERENCE_COUNT=<n> for a longer run.
    let random = std::env::var("ATTIME_REFERENCE_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    inputs.extend(random_strings(random));

    let mut cases = Vec::new();
    for s in &inputs {
        for zone in ZONES {
            for now in nows() {
                cases.push((s.clone(), zone, now));
            }
        }
    }

    let driver = webapp_tests_dir().join("reference/attime_driver.py");
    let mut child = Command::new(reference_python::python())
        .arg(&driver)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the reference driver");
    let mut stdin = child.stdin.take().unwrap();
    let payload: String = cases
        .iter()
        .map(|(s, zone, now)| {
            let line = serde_json::json!({"s": s, "tz": zone, "now": now});
            format!("{line}\n")
        })
        .collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(payload.as_bytes()).unwrap();
    });
    let outputs: Vec<serde_json::Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success(), "the driver failed");
    assert_eq!(outputs.len(), cases.len(), "one answer per case");

    let mut mismatches = Vec::new();
    let (mut ok, mut err) = (0, 0);
    for ((s, zone, now), reference) in cases.iter().zip(&outputs) {
        let tz: Tz = parse_tz(zone).unwrap();
        let now_dt = tz.timestamp_opt(*now, 0).unwrap();
        let ours = parse_at_time(s, tz, now_dt).map(|d| d.timestamp());
        let theirs = reference.get("ok").and_then(serde_json::Value::as_i64);
        match (&ours, theirs) {
            (Ok(a), Some(b)) if *a == b => ok += 1,
            (Err(_), None) => err += 1,
            _ => mismatches.push(format!(
                "{s:?} tz={zone} now={now}: ours {ours:?}, reference {reference}"
            )),
        }
    }
    eprintln!(
        "{} cases ({} inputs): {ok} equal times, {err} errors on both sides",
        cases.len(),
        inputs.len()
    );
    assert!(
        ok > 20_000 && err > 20_000,
        "the inputs exercise both outcomes"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(40)].join("\n")
    );
}

fn webapp_tests_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}
