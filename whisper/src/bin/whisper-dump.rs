//! `whisper-dump`: prints a whisper file's header and every slot of every archive, as stored.

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult, Failure};
use whisper::format::{decode_point, ARCHIVE_INFO_SIZE, METADATA_SIZE, POINT_SIZE};
use whisper::pyfmt::percent_g;
use whisper::AggregationMethod;

#[derive(Parser, Debug)]
#[command(
    name = "whisper-dump",
    about = "Prints the header and every stored slot of a whisper file, without validating it.",
    override_usage = "whisper-dump [options] path",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// Show human-readable timestamps instead of unix times.
    #[arg(long)]
    pretty: bool,
    /// Time format to use with --pretty; see strftime(3).
    #[arg(short = 't', long = "time-format", allow_hyphen_values = true)]
    time_format: Option<String>,
    /// Dump value only in the same format for whisper-update (UTC timestamps).
    #[arg(short = 'r', long)]
    raw: bool,
    /// The whisper file.
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| dump(&Args::parse(), out))
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes[..4].try_into().expect("4 bytes"))
}

/// One archive entry, as read (nothing checked).
struct Archive {
    offset: u64,
    seconds_per_point: u32,
    points: u32,
}

fn dump(args: &Args, out: &mut dyn Write) -> CliResult {
    let [path] = args.args.as_slice() else {
        return Err(cli::usage_error::<Args>("require one input file name"));
    };
    let path = Path::new(path);
    if !path.exists() {
        return Err(Failure::error(format!(
            "File \"{}\" does not exist!",
            path.display()
        )));
    }
    let corrupt = |what: String| Failure::error(format!("{what} ({})", path.display()));
    let data = std::fs::read(path).map_err(|e| whisper::Error::io(path, e))?;
    if data.is_empty() {
        return Err(corrupt("Cannot dump an empty file".into()));
    }

    let meta = data
        .get(..METADATA_SIZE as usize)
        .ok_or_else(|| corrupt("Unable to unpack header".into()))?;
    // The script shows an unknown method code as average.
    let method =
        AggregationMethod::from_code(be_u32(&meta[0..4])).unwrap_or(AggregationMethod::Average);
    let max_retention = be_u32(&meta[4..8]);
    let xff = f32::from_be_bytes(meta[8..12].try_into().expect("4 bytes"));
    let count = be_u32(&meta[12..16]);
    let mut archives = Vec::new();
    for i in 0..count as usize {
        let start = METADATA_SIZE as usize + i * ARCHIVE_INFO_SIZE as usize;
        let entry = data
            .get(start..start + ARCHIVE_INFO_SIZE as usize)
            .ok_or_else(|| corrupt(format!("Unable to read archive {i} metadata")))?;
        archives.push(Archive {
            offset: u64::from(be_u32(&entry[0..4])),
            seconds_per_point: be_u32(&entry[4..8]),
            points: be_u32(&entry[8..12]),
        });
    }

    if !args.raw {
        writeln!(out, "Meta data:")?;
        writeln!(out, "  aggregation method: {method}")?;
        writeln!(out, "  max retention: {max_retention}")?;
        writeln!(out, "  xFilesFactor: {}", percent_g(f64::from(xff), 6))?;
        writeln!(out)?;
        for (i, a) in archives.iter().enumerate() {
            writeln!(out, "Archive {i} info:")?;
            writeln!(out, "  offset: {}", a.offset)?;
            writeln!(out, "  seconds per point: {}", a.seconds_per_point)?;
            writeln!(out, "  points: {}", a.points)?;
            writeln!(
                out,
                "  retention: {}",
                u64::from(a.seconds_per_point) * u64::from(a.points)
            )?;
            writeln!(out, "  size: {}", u64::from(a.points) * POINT_SIZE)?;
            writeln!(out)?;
        }
    }

    // As the reference (a Python 2 `print` left over), no blank line between archives.
    for (i, a) in archives.iter().enumerate() {
        if !args.raw {
            writeln!(out, "Archive {i} data:")?;
        }
        for point in 0..u64::from(a.points) {
            let start = a.offset + point * POINT_SIZE;
            let bytes = usize::try_from(start)
                .ok()
                .and_then(|s| data.get(s..s + POINT_SIZE as usize))
                .ok_or_else(|| {
                    corrupt(format!(
                        "Unable to read point {point} of archive {i}: file too short"
                    ))
                })?;
            let (timestamp, value) = decode_point(bytes);
            if args.raw {
                writeln!(out, "{timestamp}:{}", percent_g(value, 35))?;
            } else {
                let time = cli::show_time(
                    i64::from(timestamp),
                    args.pretty,
                    args.time_format.as_deref(),
                )?;
                writeln!(out, "{point}: {time}, {:>10}", percent_g(value, 35))?;
            }
        }
    }
    Ok(())
}
