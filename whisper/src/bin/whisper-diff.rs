//! `whisper-diff`: compares two whisper files with the same archives, point by point.

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult};
use whisper::{ArchiveDiff, Whisper};

#[derive(Parser, Debug)]
#[command(
    name = "whisper-diff",
    about = "Compares two whisper files with the same archives and prints the points that differ.",
    override_usage = "whisper-diff [options] path_a path_b",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// Show summary of differences.
    #[arg(long)]
    summary: bool,
    /// Skip comparison if either value is undefined.
    #[arg(long = "ignore-empty")]
    ignore_empty: bool,
    /// Print output in simple columns.
    #[arg(long)]
    columns: bool,
    /// Do not print column headers.
    #[arg(long = "no-headers")]
    no_headers: bool,
    /// Unix epoch time of the end of your requested interval (default: None).
    #[arg(long, value_parser = cli::optparse_int, allow_hyphen_values = true)]
    until: Option<i64>,
    /// Output results in JSON form.
    #[arg(long)]
    json: bool,
    /// The two files.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| diff(&Args::parse(), out))
}

fn print_diffs(
    out: &mut dyn Write,
    diffs: &[ArchiveDiff],
    pretty: bool,
    headers: bool,
) -> CliResult {
    let header = |a: &str, b: &str, c: &str, d: &str| {
        if pretty {
            format!("{a:>7} {b:>11} {c:>13} {d:>13}\n")
        } else {
            format!("{a} {b} {c} {d}\n")
        }
    };
    if headers {
        out.write_all(header("archive", "timestamp", "value_a", "value_b").as_bytes())?;
    }
    for d in diffs {
        if pretty {
            writeln!(
                out,
                "Archive {} ({} of {} datapoints differ)",
                d.index,
                d.diffs.len(),
                d.total
            )?;
            out.write_all(header("", "timestamp", "value_a", "value_b").as_bytes())?;
        }
        for &(t, a, b) in &d.diffs {
            let (a, b) = (cli::py_opt_str(a), cli::py_opt_str(b));
            if pretty {
                writeln!(out, "{:>7} {t:>11} {a:>13} {b:>13}", "")?;
            } else {
                writeln!(out, "{} {t} {a} {b}", d.index)?;
            }
        }
    }
    Ok(())
}

fn print_summary(
    out: &mut dyn Write,
    diffs: &[ArchiveDiff],
    pretty: bool,
    headers: bool,
) -> CliResult {
    let line = |a: &str, b: &str, c: &str| {
        if pretty {
            format!("{a:>7} {b:>9} {c:>9}\n")
        } else {
            format!("{a} {b} {c}\n")
        }
    };
    if headers {
        out.write_all(line("archive", "total", "differing").as_bytes())?;
    }
    for d in diffs {
        let row = line(
            &d.index.to_string(),
            &d.total.to_string(),
            &d.diffs.len().to_string(),
        );
        out.write_all(row.as_bytes())?;
    }
    Ok(())
}

/// `json.dumps({...}, sort_keys=True, indent=2, separators=(',', ' : '))` of the diffs (the
/// points themselves unless `summary`).
fn json(diffs: &[ArchiveDiff], path_a: &str, path_b: &str, summary: bool) -> String {
    let archives: Vec<String> = diffs
        .iter()
        .map(|d| {
            let mut fields = vec![format!("      \"archive\" : {}", d.index)];
            if !summary {
                let points: Vec<String> = d
                    .diffs
                    .iter()
                    .map(|&(t, a, b)| {
                        format!(
                            "        {{\n          \"timestamp\" : {t},\n          \"value_a\" : {},\n          \"value_b\" : {}\n        }}",
                            cli::json_opt_float(a),
                            cli::json_opt_float(b)
                        )
                    })
                    .collect();
                fields.push(if points.is_empty() {
                    "      \"datapoint\" : []".to_string()
                } else {
                    format!("      \"datapoint\" : [\n{}\n      ]", points.join(",\n"))
                });
            }
            fields.push(format!("      \"points\" : {}", d.diffs.len()));
            fields.push(format!("      \"total\" : {}", d.total));
            format!("    {{\n{}\n    }}", fields.join(",\n"))
        })
        .collect();
    let archives = if archives.is_empty() {
        "[]".to_string()
    } else {
        format!("[\n{}\n  ]", archives.join(",\n"))
    };
    format!(
        "{{\n  \"archives\" : {archives},\n  \"path_a\" : {},\n  \"path_b\" : {}\n}}",
        cli::json_string(path_a),
        cli::json_string(path_b)
    )
}

fn diff(args: &Args, out: &mut dyn Write) -> CliResult {
    let now = cli::now()?;
    let [path_a, path_b] = args.args.as_slice() else {
        return Err(cli::help_and_fail::<Args>(out));
    };
    let diffs = Whisper::default().diff(
        Path::new(path_a),
        Path::new(path_b),
        args.ignore_empty,
        args.until,
        Some(now),
    )?;
    let (pretty, headers) = (!args.columns, !args.no_headers);
    if args.json {
        writeln!(out, "{}", json(&diffs, path_a, path_b, args.summary))?;
    } else if args.summary {
        print_summary(out, &diffs, pretty, headers)?;
    } else {
        print_diffs(out, &diffs, pretty, headers)?;
    }
    Ok(())
}
