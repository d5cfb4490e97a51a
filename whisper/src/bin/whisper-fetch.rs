//! `whisper-fetch`: prints the points of a whisper file in a time range.

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult, Failure};
use whisper::pyfmt::{list_repr, percent_f};

#[derive(Parser, Debug)]
#[command(
    name = "whisper-fetch",
    about = "Prints the points of a whisper file in a time range, from the finest archive that \
             covers its start.",
    override_usage = "whisper-fetch [options] path",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// Unix epoch time of the beginning of your requested interval (default: 24 hours ago).
    #[arg(long = "from", value_parser = cli::optparse_int, allow_hyphen_values = true)]
    from: Option<i64>,
    /// Unix epoch time of the end of your requested interval (default: now).
    #[arg(long, value_parser = cli::optparse_int, allow_hyphen_values = true)]
    until: Option<i64>,
    /// Output results in JSON form.
    #[arg(long)]
    json: bool,
    /// Show human-readable timestamps instead of unix times.
    #[arg(long)]
    pretty: bool,
    /// Time format to use with --pretty; see strftime(3).
    #[arg(short = 't', long = "time-format", allow_hyphen_values = true)]
    time_format: Option<String>,
    /// Specify 'nulls' to drop all null values. Specify 'zeroes' to drop all zero values.
    /// Specify 'empty' to drop both null and zero values. As the reference, the timestamps of
    /// the values that follow a dropped one are shifted.
    #[arg(long, value_parser = ["nulls", "zeroes", "empty"])]
    drop: Option<String>,
    /// The whisper file.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| fetch(&Args::parse(), out))
}

fn fetch(args: &Args, out: &mut dyn Write) -> CliResult {
    let now = cli::now()?;
    let [path] = args.args.as_slice() else {
        return Err(cli::help_and_fail::<Args>(out));
    };
    let from = args.from.unwrap_or(now - 86_400);
    let until = args.until.unwrap_or(now);
    let Some(fetched) = whisper::fetch(Path::new(path), from, Some(until), Some(now))? else {
        return Err(Failure::exit(1, "No data in selected timerange\n"));
    };

    let keep: fn(&Option<f64>) -> bool = match args.drop.as_deref() {
        Some("nulls") => |v| v.is_some(),
        Some("zeroes") => |v| *v != Some(0.0),
        Some("empty") => |v| v.is_some_and(|x| x != 0.0),
        _ => |_| true,
    };
    let values: Vec<Option<f64>> = fetched.values.iter().copied().filter(keep).collect();

    if args.json {
        writeln!(
            out,
            "{{\n    \"start\" : {},\n    \"end\" : {},\n    \"step\" : {},\n    \"values\" : {}\n  }}",
            fetched.start,
            fetched.end,
            fetched.step,
            list_repr(&values).replace("None", "null")
        )?;
        return Ok(());
    }
    let mut t = fetched.start;
    for value in values {
        let time = cli::show_time(t, args.pretty, args.time_format.as_deref())?;
        match value {
            Some(v) => writeln!(out, "{time}\t{}", percent_f(v, 6))?,
            None => writeln!(out, "{time}\tNone")?,
        }
        t += fetched.step;
    }
    Ok(())
}
