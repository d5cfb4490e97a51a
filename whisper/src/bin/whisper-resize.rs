//! `whisper-resize`: rebuilds a whisper file with new archives, keeping its data.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Parser;
use whisper::cli::{self, CliResult};
use whisper::tools::ResizeOptions;
use whisper::{AggregationMethod, ArchiveSpec, Whisper};

#[derive(Parser, Debug)]
#[command(
    name = "whisper-resize",
    about = "Rebuilds a whisper file with new archives, copying (or re-aggregating) its points. \
             The old file is kept as path.bak.",
    override_usage = "whisper-resize path timePerPoint:timeToStore [timePerPoint:timeToStore]*",
    after_help = format!("{}\n{}", cli::RETENTION_HELP, cli::ENV_HELP),
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// Change the xFilesFactor.
    #[arg(long = "xFilesFactor", value_parser = cli::optparse_float, allow_hyphen_values = true)]
    x_files_factor: Option<f64>,
    /// Change the aggregation function (average, sum, last, max, min, avg_zero, absmax, absmin).
    #[arg(long = "aggregationMethod", allow_hyphen_values = true)]
    aggregation_method: Option<String>,
    /// Perform a destructive change (accepted and ignored, as by the reference).
    #[arg(long)]
    force: bool,
    /// Create a new database file without removing the existing one.
    #[arg(long, allow_hyphen_values = true)]
    newfile: Option<String>,
    /// Delete the .bak file after successful execution.
    #[arg(long)]
    nobackup: bool,
    /// Try to aggregate the values to fit the new archive better. Note that this will make
    /// things slower and use more memory.
    #[arg(long)]
    aggregate: bool,
    /// The path, then the new archives.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| resize(&Args::parse(), out))
}

fn resize(args: &Args, out: &mut dyn Write) -> CliResult {
    let now = cli::now()?;
    if args.args.len() < 2 {
        return Err(cli::help_and_fail::<Args>(out));
    }
    let path = Path::new(&args.args[0]);
    if !path.exists() {
        return Err(cli::missing_file_and_help::<Args>(&args.args[0], out));
    }
    let w = Whisper::default();
    w.info(path)?;
    let archives = args.args[1..]
        .iter()
        .map(|def| whisper::parse_retention_def(def))
        .collect::<Result<Vec<ArchiveSpec>, _>>()?;
    let aggregation_method = args
        .aggregation_method
        .as_deref()
        .map(str::parse::<AggregationMethod>)
        .transpose()?;
    let opts = ResizeOptions {
        x_files_factor: args.x_files_factor,
        aggregation_method,
        new_file: args.newfile.as_ref().map(PathBuf::from),
        no_backup: args.nobackup,
        aggregate: args.aggregate,
    };
    whisper::tools::resize(&w, path, &archives, &opts, now, out)?;
    Ok(())
}
