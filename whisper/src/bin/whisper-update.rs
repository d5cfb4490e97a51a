//! `whisper-update`: stores `timestamp:value` points given as arguments or on stdin.

use std::io::{Read, Write};
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult, Failure};

#[derive(Parser, Debug)]
#[command(
    name = "whisper-update",
    about = "Stores points in a whisper file. If no values are passed as arguments, they are \
             read one-per-line from stdin. A timestamp of N means now.",
    override_usage = "whisper-update [options] path [timestamp:value]*",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// The path, then the points as timestamp:value.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| update(&Args::parse(), out))
}

/// Splits `timestamp:value` as `tuple(point.split(':'))` unpacked into two names.
fn split_point(point: &str) -> CliResult<(&str, &str)> {
    let parts: Vec<&str> = point.split(':').collect();
    match parts.as_slice() {
        [t, v] => Ok((t, v)),
        _ => Err(Failure::error(format!(
            "Invalid datapoint {:?}: expected timestamp:value",
            point.trim_end_matches('\n')
        ))),
    }
}

fn parse_timestamp(s: &str) -> CliResult<i64> {
    cli::py_int(s).ok_or_else(|| {
        Failure::error(format!(
            "Invalid timestamp {:?}: expected an integer number of epoch seconds",
            s.trim()
        ))
    })
}

fn parse_value(s: &str) -> CliResult<f64> {
    cli::py_float(s)
        .ok_or_else(|| Failure::error(format!("Invalid value {:?}: expected a number", s.trim())))
}

/// Stdin's lines as Python's text-mode iteration gives them: universal newlines, each line
/// with its `\n`.
fn stdin_lines() -> CliResult<Vec<String>> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::error("stdin is not valid UTF-8"))?
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    Ok(text.split_inclusive('\n').map(str::to_string).collect())
}

fn update(args: &Args, out: &mut dyn Write) -> CliResult {
    let Some((path, points)) = args.args.split_first() else {
        return Err(cli::help_and_fail::<Args>(out));
    };
    let path = Path::new(path);
    let now = cli::now()?;
    let lines = if points.is_empty() {
        stdin_lines()?
    } else {
        points.to_vec()
    };
    let lines: Vec<String> = lines
        .iter()
        .map(|p| p.replace("N:", &format!("{now}:")))
        .collect();

    if let [point] = lines.as_slice() {
        // whisper.update converts the value, opens the file and reads its header, and only
        // then converts the timestamp; the errors come in that order.
        let (t, v) = split_point(point)?;
        let value = parse_value(v)?;
        whisper::info(path)?;
        let timestamp = parse_timestamp(t)?;
        whisper::update(path, value, Some(timestamp), Some(now))?;
    } else {
        let mut parsed = Vec::with_capacity(lines.len());
        for point in &lines {
            let (t, v) = split_point(point)?;
            let timestamp = parse_timestamp(t)?;
            parsed.push((timestamp, parse_value(v)?));
        }
        whisper::update_many(path, &parsed, Some(now))?;
    }
    Ok(())
}
