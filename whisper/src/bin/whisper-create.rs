//! `whisper-create`: creates a whisper file, or estimates the size of one (`--estimate`).

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult, Failure};
use whisper::pyfmt::percent_f;
use whisper::{AggregationMethod, ArchiveSpec, CreateOptions};

#[derive(Parser, Debug)]
#[command(
    name = "whisper-create",
    about = "Creates a whisper file with the given archives.",
    override_usage = "whisper-create path timePerPoint:timeToStore [timePerPoint:timeToStore]*
       whisper-create --estimate timePerPoint:timeToStore [timePerPoint:timeToStore]*",
    after_help = format!("{}\n{}", cli::RETENTION_HELP, cli::ENV_HELP),
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// Fraction of known points a lower archive's interval needs (0..1).
    #[arg(long = "xFilesFactor", default_value = "0.5", value_parser = cli::optparse_float, allow_hyphen_values = true)]
    x_files_factor: f64,
    /// Function to use when aggregating values (average, sum, last, max, min, avg_zero, absmax,
    /// absmin).
    #[arg(
        long = "aggregationMethod",
        default_value = "average",
        allow_hyphen_values = true
    )]
    aggregation_method: String,
    /// Replace an existing file.
    #[arg(long)]
    overwrite: bool,
    /// Don't create a whisper file, estimate storage requirements based on archive definitions.
    #[arg(long)]
    estimate: bool,
    /// Create new whisper as sparse file.
    #[arg(long)]
    sparse: bool,
    /// Create new whisper and use fallocate.
    #[arg(long)]
    fallocate: bool,
    /// The path, then the archives (with --estimate, only the archives).
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| create(&Args::parse(), out))
}

/// `byte_format` of the script: bytes, KB, MB or GB with three decimals.
fn byte_format(num: f64) -> String {
    let mut num = num;
    for unit in ["bytes", "KB", "MB"] {
        if num < 1024.0 {
            return format!("{}{unit}", percent_f(num, 3));
        }
        num /= 1024.0;
    }
    format!("{}GB", percent_f(num, 3))
}

fn estimate(args: &Args, out: &mut dyn Write) -> CliResult {
    if args.args.is_empty() {
        return Err(cli::usage_and_fail::<Args>(out));
    }
    let defs: Vec<&str> = match args.args.as_slice() {
        [one] if one.find(',').is_some_and(|i| i > 0) => one.split(',').collect(),
        many => many.iter().map(String::as_str).collect(),
    };
    let mut archives: u128 = 0;
    let mut total_points: u128 = 0;
    for def in defs {
        let spec = whisper::parse_retention_def(def)?;
        writeln!(
            out,
            "Archive {archives}: {} points of {}s precision",
            spec.points, spec.seconds_per_point
        )?;
        archives += 1;
        total_points += u128::from(spec.points);
    }
    let size = 16 + archives * 12 + total_points * 12;
    let disk_size = (size as f64 / 4096.0).ceil() as u128 * 4096;
    writeln!(
        out,
        "\nEstimated Whisper DB Size: {} ({disk_size} bytes on disk with 4k blocks)\n",
        byte_format(size as f64)
    )?;
    for x in [1u128, 5, 10, 50, 100, 500] {
        writeln!(
            out,
            "Estimated storage requirement for {x}k metrics: {}",
            byte_format((x * 1000 * disk_size) as f64)
        )?;
    }
    Ok(())
}

fn create(args: &Args, out: &mut dyn Write) -> CliResult {
    if args.estimate {
        return estimate(args, out);
    }
    if args.args.len() < 2 {
        return Err(cli::help_and_fail::<Args>(out));
    }
    let path = Path::new(&args.args[0]);
    let archives = args.args[1..]
        .iter()
        .map(|def| whisper::parse_retention_def(def))
        .collect::<Result<Vec<ArchiveSpec>, _>>()?;
    if args.overwrite && path.exists() {
        writeln!(out, "Overwriting existing file: {}", path.display())?;
        std::fs::remove_file(path).map_err(|e| whisper::Error::io(path, e))?;
    }
    // whisper.create checks in this order: the archives, that the file is new, the method.
    whisper::validate_archive_list(&mut archives.clone())?;
    if path.exists() {
        return Err(Failure::error(format!(
            "File {} already exists!",
            path.display()
        )));
    }
    let aggregation_method: AggregationMethod = args.aggregation_method.parse()?;
    whisper::create(
        path,
        &archives,
        &CreateOptions {
            x_files_factor: args.x_files_factor,
            aggregation_method,
            sparse: args.sparse,
            fallocate: args.fallocate,
        },
    )?;
    let size = std::fs::metadata(path)
        .map_err(|e| whisper::Error::io(path, e))?
        .len();
    writeln!(out, "Created: {} ({size} bytes)", path.display())?;
    Ok(())
}
