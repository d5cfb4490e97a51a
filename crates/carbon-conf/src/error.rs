//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong reading carbon's configuration files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read (missing, unreadable, not UTF-8).
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// An INI file breaks Python ConfigParser's syntax: a line that is neither a section, an
    /// option nor a comment, an option before the first section, a duplicate section or option.
    #[error("{path}, line {line}: {message}")]
    Syntax {
        /// The file (empty when parsing a string).
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// `%` interpolation failed: a lone `%`, an unknown `%(key)s`, or a reference loop.
    #[error("bad interpolation in [{section}] {key}: {message}")]
    Interpolation {
        /// The section being read.
        section: String,
        /// The option whose value failed.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A carbon.conf value does not fit its key (a port that is not a number, a boolean that is
    /// not one of ConfigParser's words, an unknown write strategy...).
    #[error("invalid value for {key}: {value:?}: {reason}")]
    InvalidValue {
        /// The upper-cased key.
        key: String,
        /// The value as written (after interpolation).
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// A retention definition in storage-schemas.conf has bad syntax; carbon exits at start-up.
    #[error("{message} in section [{section}] in {path}")]
    Retention {
        /// The storage-schemas file.
        path: PathBuf,
        /// The section holding the definition.
        section: String,
        /// carbon's message (`Invalid unit 'x'`...).
        message: String,
    },
    /// storage-aggregation.conf has an xFilesFactor outside [0, 1] or an unknown
    /// aggregationMethod; carbon treats this as fatal (an AssertionError).
    #[error("invalid aggregation schema [{section}] in {path}: {message}")]
    Aggregation {
        /// The storage-aggregation file.
        path: PathBuf,
        /// The section.
        section: String,
        /// What is wrong.
        message: String,
    },
    /// A schema's `pattern` does not compile (Python's `re.compile` fails too, or the pattern
    /// uses Python syntax the `regex` crate lacks, such as look-around or back-references).
    #[error("bad pattern {pattern:?} in section [{section}] in {path}: {message}")]
    Pattern {
        /// The file.
        path: PathBuf,
        /// The section.
        section: String,
        /// The pattern as written.
        pattern: String,
        /// The regex compiler's message.
        message: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
