//! `whisper-merge`: copies the points of one whisper file into another with the same archives.

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult, Failure};
use whisper::Whisper;

#[derive(Parser, Debug)]
#[command(
    name = "whisper-merge",
    about = "Copies every point of from_path into to_path (same archives), overwriting.",
    override_usage = "whisper-merge [options] from_path to_path",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// Beginning of interval, unix timestamp (default: epoch).
    #[arg(long = "from", value_parser = cli::optparse_int, allow_hyphen_values = true)]
    from: Option<i64>,
    /// End of interval, unix timestamp (default: now).
    #[arg(long, value_parser = cli::optparse_int, allow_hyphen_values = true)]
    until: Option<i64>,
    /// The source, then the destination.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| merge(&Args::parse(), out))
}

fn merge(args: &Args, out: &mut dyn Write) -> CliResult {
    let now = cli::now()?;
    let [from_path, to_path, ..] = args.args.as_slice() else {
        return Err(cli::help_and_fail::<Args>(out));
    };
    for path in [from_path, to_path] {
        if !Path::new(path).exists() {
            return Err(Failure::error(format!("File \"{path}\" does not exist!")));
        }
    }
    Whisper::default().merge(
        Path::new(from_path),
        Path::new(to_path),
        args.from,
        args.until,
        Some(now),
    )?;
    Ok(())
}
