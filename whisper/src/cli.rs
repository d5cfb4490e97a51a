//! Code shared by the `whisper-*` command-line tools (`src/bin/`): the clock (`WHISPER_NOW`),
//! ending as the reference scripts end (`[ERROR] ...` and exit status 1), and Python's parsing
//! and printing of numbers, times and JSON, so that scripts written against the reference's
//! output read ours unchanged.
//!
//! A tool's `main` is `cli::run(|out| ...)`: it writes its normal output to `out` (buffered
//! stdout) and returns a [`Failure`] to stop early.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::process;

use clap::CommandFactory;

use crate::pyfmt::float_repr;
use crate::sys;

/// The `--help` epilogue of every tool.
pub const ENV_HELP: &str = "Environment:
  WHISPER_NOW  The current time as integer epoch seconds, used instead of the system clock
               wherever the tool needs \"now\" (reproducible runs and tests).";

/// The retention examples of `whisper-create` and `whisper-resize`.
pub const RETENTION_HELP: &str =
    "timePerPoint and timeToStore specify lengths of time, for example:

60:1440      60 seconds per datapoint, 1440 datapoints = 1 day of retention
15m:8        15 minutes per datapoint, 8 datapoints = 2 hours of retention
1h:7d        1 hour per datapoint, 7 days of retention
12h:2y       12 hours per datapoint, 2 years of retention
";

/// How a tool stops before the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `[ERROR] <message>` on stderr and exit status 1, as the scripts'
    /// `raise SystemExit('[ERROR] ...')`.
    Error(String),
    /// `stderr` printed as it is, then exit with `code`.
    Exit {
        /// Text for stderr (may be empty).
        stderr: String,
        /// The exit status.
        code: i32,
    },
}

impl Failure {
    /// `[ERROR] <message>`, exit status 1.
    pub fn error(message: impl Into<String>) -> Self {
        Failure::Error(message.into())
    }

    /// Exit with `code` after printing `stderr` as it is.
    pub fn exit(code: i32, stderr: impl Into<String>) -> Self {
        Failure::Exit {
            stderr: stderr.into(),
            code,
        }
    }
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Self {
        Failure::Error(e.to_string())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Error(e.to_string())
    }
}

/// The result of a tool's body.
pub type CliResult<T = ()> = Result<T, Failure>;

/// Runs a tool's body with buffered stdout and exits with its status: 0, or what the
/// [`Failure`] says. Like the scripts, a write to a closed pipe ends the process silently
/// (`SIGPIPE` is given back its default action).
pub fn run(body: impl FnOnce(&mut dyn Write) -> CliResult) -> ! {
    sys::default_sigpipe();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = body(&mut out);
    // Whatever was printed before a failure is shown, as Python flushes stdout at exit.
    let flushed = out.flush();
    drop(out);
    let (stderr, code) = match (result, flushed) {
        (Ok(()), Ok(())) => (String::new(), 0),
        (Ok(()), Err(e)) => (format!("[ERROR] {e}\n"), 1),
        (Err(Failure::Error(message)), _) => (format!("[ERROR] {message}\n"), 1),
        (Err(Failure::Exit { stderr, code }), _) => (stderr, code),
    };
    if !stderr.is_empty() {
        let _ = io::stderr().write_all(stderr.as_bytes());
    }
    process::exit(code)
}

/// Prints the tool's help on stdout and returns the exit-1 failure, as optparse's
/// `print_help(); sys.exit(1)` when the positional arguments do not fit.
pub fn help_and_fail<C: CommandFactory>(out: &mut dyn Write) -> Failure {
    match write!(out, "{}", C::command().render_help()) {
        Ok(()) => Failure::exit(1, ""),
        Err(e) => e.into(),
    }
}

/// The scripts' answer to a file they cannot open: `[ERROR] File '<path>' does not exist!` and a
/// blank line on stderr, the help on stdout, exit status 1.
pub fn missing_file_and_help<C: CommandFactory>(path: &str, out: &mut dyn Write) -> Failure {
    match help_and_fail::<C>(out) {
        Failure::Exit { code, .. } => {
            Failure::exit(code, format!("[ERROR] File '{path}' does not exist!\n\n"))
        }
        other => other,
    }
}

/// Prints the tool's usage line on stdout and returns the exit-1 failure (`print_usage()`).
pub fn usage_and_fail<C: CommandFactory>(out: &mut dyn Write) -> Failure {
    match writeln!(out, "{}", C::command().render_usage()) {
        Ok(()) => Failure::exit(1, ""),
        Err(e) => e.into(),
    }
}

/// The usage error optparse's `parser.error(message)` gives: usage and message on stderr, exit
/// status 2.
pub fn usage_error<C: CommandFactory>(message: &str) -> Failure {
    let mut cmd = C::command();
    let name = cmd.get_name().to_string();
    Failure::exit(
        2,
        format!("{}\n\n{name}: error: {message}\n", cmd.render_usage()),
    )
}

/// The current time in epoch seconds: `$WHISPER_NOW` when set (and not empty), else the clock.
pub fn now() -> CliResult<i64> {
    match std::env::var("WHISPER_NOW") {
        Ok(s) if !s.trim().is_empty() => s.trim().parse::<i64>().map_err(|_| {
            Failure::error(format!(
                "WHISPER_NOW must be an integer number of epoch seconds, not {s:?}"
            ))
        }),
        _ => Ok(crate::now_epoch_secs()),
    }
}

/// Python's `str.strip()` whitespace.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Integers beyond this magnitude (Python has no limit) are clamped to it: far outside
/// whisper's 32-bit timestamps either way, and still safe to add and subtract.
const INT_CLAMP: i64 = 1 << 62;

/// Python's `int(s, radix)` for radix 2, 8, 10 or 16: surrounding whitespace, a sign, the
/// radix's optional `0b`/`0o`/`0x` prefix, digits with single underscores between them.
fn parse_int_radix(s: &str, radix: u32) -> Option<i64> {
    let s = s.trim_matches(py_space);
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let prefix = match radix {
        16 => Some("0x"),
        8 => Some("0o"),
        2 => Some("0b"),
        _ => None,
    };
    let (body, after_prefix) = match prefix {
        Some(p) if body.len() >= 2 && body[..2].eq_ignore_ascii_case(p) => (&body[2..], true),
        _ => (body, false),
    };
    // After a prefix one underscore may come first ("0x_1f").
    let mut previous_digit = after_prefix;
    let mut any = false;
    let mut value: u128 = 0;
    for c in body.chars() {
        if c == '_' {
            if !previous_digit {
                return None;
            }
            previous_digit = false;
            continue;
        }
        let d = c.to_digit(radix)?;
        value = value
            .saturating_mul(u128::from(radix))
            .saturating_add(u128::from(d));
        previous_digit = true;
        any = true;
    }
    if !any || !previous_digit {
        return None;
    }
    let magnitude = value.min(INT_CLAMP as u128) as i64;
    Some(if negative { -magnitude } else { magnitude })
}

/// Python's `int(s)`: `" 42\n"`, `"-7"`, `"1_000"`; `None` where Python raises ValueError
/// (`"1.5"`, `"abc"`, `""`). Magnitudes beyond 2^62 are clamped to 2^62.
pub fn py_int(s: &str) -> Option<i64> {
    parse_int_radix(s, 10)
}

/// Python's `float(s)`: surrounding whitespace, `inf`, `nan`, exponents, underscores between
/// digits; `None` where Python raises ValueError.
pub fn py_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(py_space);
    let cleaned;
    let t = if t.contains('_') {
        let b = t.as_bytes();
        let ok = b.iter().enumerate().all(|(i, &c)| {
            c != b'_'
                || (i > 0
                    && b[i - 1].is_ascii_digit()
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        });
        if !ok {
            return None;
        }
        cleaned = t.replace('_', "");
        cleaned.as_str()
    } else {
        t
    };
    // Rust's grammar is Python's (sign, digits, point, exponent, inf/infinity/nan in any case)
    // once underscores are gone; Python also takes non-ASCII digits, which are not supported.
    if t.is_empty() || t.bytes().any(|c| !c.is_ascii()) {
        return None;
    }
    t.parse::<f64>().ok()
}

/// An optparse `type='int'` option value: `0x` hexadecimal, `0b` binary, a leading `0` octal,
/// else decimal, then Python's `int()` (clap value parser).
pub fn optparse_int(s: &str) -> Result<i64, String> {
    let head = s.get(..2).map(str::to_ascii_lowercase);
    let (body, radix) = match head.as_deref() {
        Some("0x") => (s, 16),
        Some("0b") => (if s.len() > 2 { &s[2..] } else { "0" }, 2),
        _ if s.starts_with('0') => (s, 8),
        _ => (s, 10),
    };
    parse_int_radix(body, radix).ok_or_else(|| format!("invalid integer value: {s:?}"))
}

/// An optparse `type='float'` (or argparse `type=float`) option value (clap value parser).
pub fn optparse_float(s: &str) -> Result<f64, String> {
    py_float(s).ok_or_else(|| format!("invalid floating-point value: {s:?}"))
}

/// `time.strftime(format, time.localtime(t))`: local time (`TZ`), C locale, unknown conversions
/// kept as they are.
pub fn strftime(format: &str, t: i64) -> CliResult<String> {
    sys::local_strftime(format, t)
        .ok_or_else(|| Failure::error(format!("timestamp {t} cannot be shown as a local time")))
}

/// `time.ctime(t)`: `Tue Nov 14 22:13:20 2023`, `Fri Nov  3 08:26:40 2023`, local time.
pub fn ctime(t: i64) -> CliResult<String> {
    strftime("%a %b %e %H:%M:%S %Y", t)
}

/// A timestamp as the scripts show it: `str(t)`, or with `--pretty` `time.ctime(t)` or
/// `strftime(format)` when a `--time-format` is given.
pub fn show_time(t: i64, pretty: bool, format: Option<&str>) -> CliResult<String> {
    match (pretty, format) {
        (false, _) => Ok(t.to_string()),
        (true, Some(f)) if !f.is_empty() => strftime(f, t),
        (true, _) => ctime(t),
    }
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`: everything outside
/// printable ASCII as `\uXXXX`).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

/// A float as `json.dumps` writes it: `repr`, with `NaN`, `Infinity` and `-Infinity`.
pub fn json_float(x: f64) -> String {
    if x.is_nan() {
        "NaN".to_string()
    } else if x == f64::INFINITY {
        "Infinity".to_string()
    } else if x == f64::NEG_INFINITY {
        "-Infinity".to_string()
    } else {
        float_repr(x)
    }
}

/// An optional float as `json.dumps` writes it (`null` for `None`).
pub fn json_opt_float(x: Option<f64>) -> String {
    x.map_or_else(|| "null".to_string(), json_float)
}

/// An optional float as Python's `str()`/`%s` shows it (`None` for `None`).
pub fn py_opt_str(x: Option<f64>) -> String {
    x.map_or_else(|| "None".to_string(), float_repr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_parse_like_python() {
        assert_eq!(py_int(" 42\n"), Some(42));
        assert_eq!(py_int("-7"), Some(-7));
        assert_eq!(py_int("+0007"), Some(7));
        assert_eq!(py_int("1_000"), Some(1000));
        for bad in ["1.5", "", " ", "abc", "1__0", "_1", "1_", "0x10", "--1"] {
            assert_eq!(py_int(bad), None, "{bad}");
        }
        assert_eq!(py_int("99999999999999999999999"), Some(INT_CLAMP));
        assert_eq!(py_int("-99999999999999999999999"), Some(-INT_CLAMP));
    }

    #[test]
    fn optparse_ints_take_prefixes() {
        assert_eq!(optparse_int("1700000000"), Ok(1_700_000_000));
        assert_eq!(optparse_int("0x1F"), Ok(31));
        assert_eq!(optparse_int("010"), Ok(8));
        assert_eq!(optparse_int("0"), Ok(0));
        assert_eq!(optparse_int("0b101"), Ok(5));
        assert_eq!(optparse_int("0b"), Ok(0));
        assert_eq!(optparse_int("0o17"), Ok(15));
        assert_eq!(optparse_int("-100"), Ok(-100));
        assert!(optparse_int("08").is_err());
        assert!(optparse_int("-0x10").is_err());
        assert!(optparse_int("1e3").is_err());
    }

    #[test]
    fn floats_parse_like_python() {
        assert_eq!(py_float(" 0.5\n"), Some(0.5));
        assert_eq!(py_float("1e-1"), Some(0.1));
        assert_eq!(py_float(".5"), Some(0.5));
        assert_eq!(py_float("5."), Some(5.0));
        assert_eq!(py_float("1_0.2_5"), Some(10.25));
        assert_eq!(py_float("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(py_float("Infinity"), Some(f64::INFINITY));
        assert!(py_float("nan").unwrap().is_nan());
        assert!(py_float("-NaN").unwrap().is_nan());
        for bad in ["", "abc", "1,5", "1_", "_1", "1__0", "0x10", "."] {
            assert_eq!(py_float(bad), None, "{bad}");
        }
    }

    #[test]
    fn json_like_python() {
        assert_eq!(
            json_string("a\"b\\c\n\u{7f}é😀"),
            r#""a\"b\\c\n\u007f\u00e9\ud83d\ude00""#
        );
        assert_eq!(json_float(0.5), "0.5");
        assert_eq!(json_float(f64::NAN), "NaN");
        assert_eq!(json_float(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(json_opt_float(None), "null");
        assert_eq!(py_opt_str(Some(1.0)), "1.0");
        assert_eq!(py_opt_str(None), "None");
    }

    #[test]
    fn times_like_python() {
        // The test process's TZ may be anything, so only the shape is checked here; the
        // integration tests compare with Python under fixed zones.
        let s = ctime(1_700_000_000).unwrap();
        assert_eq!(s.len(), "Tue Nov 14 22:13:20 2023".len());
        assert_eq!(strftime("", 0).unwrap(), "");
        assert_eq!(strftime("%Q%%", 0).unwrap(), "%Q%");
        assert_eq!(show_time(5, false, Some("%Y")).unwrap(), "5");
    }
}
