//! `whisper-fill`: fills the gaps of one whisper file with the points of another.

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult};
use whisper::{Options, Whisper};

#[derive(Parser, Debug)]
#[command(
    name = "whisper-fill",
    about = "Copies data from src in dst, if missing: fills the gaps of dst from the finest \
             archives of src, never overwriting a value (a value of 0 counts as a gap, and gaps \
             of one step are left alone, as by the reference).",
    override_usage = "whisper-fill [--lock] src dst",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// Lock whisper files.
    #[arg(long)]
    lock: bool,
    /// The source, then the destination.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| fill(&Args::parse(), out))
}

fn fill(args: &Args, out: &mut dyn Write) -> CliResult {
    let now = cli::now()?;
    let [src, dst] = args.args.as_slice() else {
        return Err(cli::help_and_fail::<Args>(out));
    };
    let w = Whisper::new(Options {
        lock: args.lock,
        ..Options::default()
    });
    whisper::tools::fill(&w, Path::new(src), Path::new(dst), now)?;
    Ok(())
}
