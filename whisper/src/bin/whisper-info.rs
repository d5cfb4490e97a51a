//! `whisper-info`: prints a whisper file's header, as text, as JSON or one field of it.

use std::io::Write;
use std::path::Path;

use clap::Parser;
use whisper::cli::{self, CliResult, Failure};
use whisper::pyfmt::float_repr;
use whisper::{ArchiveInfo, Header};

#[derive(Parser, Debug)]
#[command(
    name = "whisper-info",
    about = "Prints the header of a whisper file (all of it, or one field).",
    override_usage = "whisper-info [options] path [field]",
    after_help = cli::ENV_HELP,
    infer_long_args = true,
    args_override_self = true
)]
struct Args {
    /// Output results in JSON form.
    #[arg(long)]
    json: bool,
    /// The path, then optionally one field (aggregationMethod, maxRetention, xFilesFactor,
    /// archives, fileSize).
    #[arg(value_name = "ARG")]
    args: Vec<String>,
}

fn main() {
    cli::run(|out| info(&Args::parse(), out))
}

const FIELDS: [&str; 5] = [
    "aggregationMethod",
    "maxRetention",
    "xFilesFactor",
    "archives",
    "fileSize",
];

/// An archive's fields in the reference's order.
fn archive_fields(a: &ArchiveInfo) -> [(&'static str, u64); 5] {
    [
        ("offset", u64::from(a.offset)),
        ("secondsPerPoint", u64::from(a.seconds_per_point)),
        ("points", u64::from(a.points)),
        ("retention", a.retention()),
        ("size", a.size_bytes()),
    ]
}

/// `str()` of the archives list: `[{'offset': 28, 'secondsPerPoint': 60, ...}, ...]`.
fn archives_repr(header: &Header) -> String {
    let dicts: Vec<String> = header
        .archives
        .iter()
        .map(|a| {
            let items: Vec<String> = archive_fields(a)
                .iter()
                .map(|(k, v)| format!("'{k}': {v}"))
                .collect();
            format!("{{{}}}", items.join(", "))
        })
        .collect();
    format!("[{}]", dicts.join(", "))
}

/// `json.dumps(info, indent=2, separators=(',', ': '))`.
fn json(header: &Header, file_size: u64) -> String {
    let archives: Vec<String> = header
        .archives
        .iter()
        .map(|a| {
            let items: Vec<String> = archive_fields(a)
                .iter()
                .map(|(k, v)| format!("      \"{k}\": {v}"))
                .collect();
            format!("    {{\n{}\n    }}", items.join(",\n"))
        })
        .collect();
    format!(
        "{{\n  \"aggregationMethod\": {},\n  \"maxRetention\": {},\n  \"xFilesFactor\": {},\n  \"archives\": [\n{}\n  ],\n  \"fileSize\": {file_size}\n}}",
        cli::json_string(header.aggregation_method.name()),
        header.max_retention,
        cli::json_float(f64::from(header.x_files_factor)),
        archives.join(",\n"),
    )
}

fn info(args: &Args, out: &mut dyn Write) -> CliResult {
    let Some(path) = args.args.first() else {
        return Err(cli::help_and_fail::<Args>(out));
    };
    let path = Path::new(path);
    let field = args.args.get(1).filter(|f| !f.is_empty());
    let header = whisper::info(path)?;
    let file_size = std::fs::metadata(path)
        .map_err(|e| whisper::Error::io(path, e))?
        .len();
    let xff = float_repr(f64::from(header.x_files_factor));

    if let Some(field) = field {
        let value = match field.as_str() {
            "aggregationMethod" => header.aggregation_method.name().to_string(),
            "maxRetention" => header.max_retention.to_string(),
            "xFilesFactor" => xff,
            "archives" => archives_repr(&header),
            "fileSize" => file_size.to_string(),
            _ => {
                writeln!(
                    out,
                    "Unknown field \"{field}\". Valid fields are {}",
                    FIELDS.join(",")
                )?;
                return Err(Failure::exit(1, ""));
            }
        };
        writeln!(out, "{value}")?;
        return Ok(());
    }

    if args.json {
        writeln!(out, "{}", json(&header, file_size))?;
        return Ok(());
    }
    writeln!(out, "aggregationMethod: {}", header.aggregation_method)?;
    writeln!(out, "maxRetention: {}", header.max_retention)?;
    writeln!(out, "xFilesFactor: {xff}")?;
    writeln!(out, "fileSize: {file_size}")?;
    writeln!(out)?;
    for (i, archive) in header.archives.iter().enumerate() {
        writeln!(out, "Archive {i}")?;
        for (key, value) in archive_fields(archive) {
            writeln!(out, "{key}: {value}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
