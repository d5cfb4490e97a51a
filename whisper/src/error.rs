//! The one error type of the crate.
//!
//! Each variant corresponds to an exception class of whisper 1.1.10 and its `Display` is the
//! exception's `str()`, because the tools print it after `[ERROR] ` and scripts match on it.

use std::io;
use std::path::{Path, PathBuf};

/// Result with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong reading, writing or creating a whisper file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An archive list that `validate_archive_list` rejects, or `create` on an existing path.
    #[error("{0}")]
    InvalidConfiguration(String),

    /// An aggregation method name (or on-disk code) that is not one of the eight.
    #[error("{0}")]
    InvalidAggregationMethod(String),

    /// `fetch` with `from` after `until`.
    #[error("Invalid time interval: from time '{from}' is after until time '{until}'")]
    InvalidTimeInterval {
        /// The requested start, epoch seconds.
        from: i64,
        /// The requested end, epoch seconds.
        until: i64,
    },

    /// An xFilesFactor that is not a number in [0, 1].
    #[error("{0}")]
    InvalidXFilesFactor(String),

    /// `update` of a point in the future or older than the file's retention.
    #[error("Timestamp not covered by any archives in this database.")]
    TimestampNotCovered,

    /// The file's header or data cannot be read, or describes an impossible layout. Nothing is
    /// written to a file once this is seen.
    #[error("{reason} ({})", path.display())]
    CorruptFile {
        /// What is wrong, worded as whisper 1.1.10 words it where it detects the same problem.
        reason: String,
        /// The file.
        path: PathBuf,
    },

    /// A retention definition such as `10s:6h` that does not parse (Python's `ValueError`).
    #[error("{0}")]
    InvalidRetention(String),

    /// `fetch` asked for an archive precision the file does not have.
    #[error("Invalid granularity: {0}")]
    InvalidGranularity(u64),

    /// `merge` or `diff` of two files whose archive layouts differ.
    #[error("{} and {} archive configurations are unalike. Resize the input before {verb}", from.display(), to.display())]
    UnalikeArchives {
        /// The source file.
        from: PathBuf,
        /// The destination file.
        to: PathBuf,
        /// `merging` or `diffing`.
        verb: &'static str,
    },

    /// `merge` with `time_to` before `time_from`.
    #[error("time_to must be >= time_from")]
    InvalidMergeRange,

    /// A point whose aligned timestamp does not fit whisper's unsigned 32-bit field.
    #[error("timestamp {0} is outside whisper's range 0..2^32")]
    TimestampOutOfRange(i64),

    /// An operating-system error on a path; shown as Python shows an `OSError`.
    #[error("[Errno {}] {}: '{}'", errno(source), strerror(source), path.display())]
    Io {
        /// The file the call was about.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: &Path, source: io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A [`Error::CorruptFile`] for `path`.
    pub fn corrupt(path: &Path, reason: impl Into<String>) -> Self {
        Error::CorruptFile {
            reason: reason.into(),
            path: path.to_path_buf(),
        }
    }

    /// True when the error is "no such file or directory".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// The C library's message without Rust's ` (os error N)` suffix, as Python prints it.
fn strerror(e: &io::Error) -> String {
    let text = match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code).to_string(),
        None => e.to_string(),
    };
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_reads_like_python() {
        let e = Error::io(
            Path::new("a.wsp"),
            io::Error::from_raw_os_error(libc::ENOENT),
        );
        assert_eq!(
            e.to_string(),
            "[Errno 2] No such file or directory: 'a.wsp'"
        );
        assert!(e.is_not_found());
    }

    #[test]
    fn corrupt_reads_like_python() {
        let e = Error::corrupt(Path::new("x.wsp"), "Unable to read header");
        assert_eq!(e.to_string(), "Unable to read header (x.wsp)");
    }
}
