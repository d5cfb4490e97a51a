//! `whisper-set-xfilesfactor`: changes a file's xFilesFactor.

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult};
use whisper::pyfmt::float_repr;
use whisper::Whisper;

#[derive(Parser, Debug)]
#[command(
    name = "whisper-set-xfilesfactor",
    about = "Set xFilesFactor for existing whisper file",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true,
    allow_negative_numbers = true
)]
struct Args {
    /// Path to whisper file.
    path: String,
    /// New xFilesFactor, a float between 0 and 1.
    #[arg(value_name = "xFilesFactor", value_parser = cli::optparse_float)]
    xff: f64,
}

fn main() {
    cli::run(|out| set(&Args::parse(), out))
}

fn set(args: &Args, out: &mut dyn Write) -> CliResult {
    let old = match Whisper::default().set_x_files_factor(Path::new(&args.path), args.xff) {
        Ok(old) => old,
        Err(whisper::Error::Io { .. }) => {
            return Err(cli::missing_file_and_help::<Args>(&args.path, out))
        }
        Err(e) => return Err(e.into()),
    };
    writeln!(
        out,
        "Updated xFilesFactor: {} ({} -> {})",
        args.path,
        float_repr(old),
        float_repr(args.xff)
    )?;
    Ok(())
}
