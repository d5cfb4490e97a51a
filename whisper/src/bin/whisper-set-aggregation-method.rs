//! `whisper-set-aggregation-method`: changes a file's aggregation method (and xFilesFactor).

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult, Failure};
use whisper::{AggregationMethod, Whisper};

#[derive(Parser, Debug)]
#[command(
    name = "whisper-set-aggregation-method",
    about = "Changes the aggregation method of a whisper file, and its xFilesFactor if given.",
    override_usage = "whisper-set-aggregation-method path \
                      <average|sum|last|max|min|avg_zero|absmax|absmin> [xFilesFactor]",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// The path, the method, then optionally the xFilesFactor.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| set(&Args::parse(), out))
}

fn set(args: &Args, out: &mut dyn Write) -> CliResult {
    let [path_arg, method_arg, rest @ ..] = args.args.as_slice() else {
        return Err(cli::help_and_fail::<Args>(out));
    };
    let path = Path::new(path_arg);
    // An xFilesFactor only when exactly three arguments are given, as the script.
    let xff_arg = match rest {
        [xff] => Some(xff),
        _ => None,
    };
    // whisper opens the file for writing and reads its header before looking at the method
    // and the xFilesFactor; the errors come in that order.
    if std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .is_err()
    {
        return Err(cli::missing_file_and_help::<Args>(path_arg, out));
    }
    let w = Whisper::default();
    w.info(path)?;
    let method: AggregationMethod = method_arg.parse()?;
    let xff = match xff_arg {
        Some(s) => Some(
            cli::py_float(s)
                .ok_or_else(|| Failure::error(format!("Invalid xFilesFactor {s}, not a float")))?,
        ),
        None => None,
    };
    let old = match w.set_aggregation_method(path, method, xff) {
        Ok(old) => old,
        Err(whisper::Error::Io { .. }) => {
            return Err(cli::missing_file_and_help::<Args>(path_arg, out))
        }
        Err(e) => return Err(e.into()),
    };
    writeln!(
        out,
        "Updated aggregation method: {path_arg} ({old} -> {method_arg})"
    )?;
    Ok(())
}
