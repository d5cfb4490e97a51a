//! carbon's log output (carbon 1.1.10's `log.py`), as a `tracing` layer.
//!
//! Each event has a *type*: the tracing target when it is one of carbon's log types
//! ([`LOG_TYPES`]: `listener`, `creates`, `updates`, `query`, `tagdb`, ...), else `console`.
//! [`Output::Dir`] writes each type to its own file in LOG_DIR (`console.log`, opened at start,
//! and `<type>.log`, opened on its first line) as `dd/mm/YYYY HH:MM:SS :: message`;
//! [`Output::Stdout`] (`--debug`, `--nodaemon`) writes everything to standard output with the
//! type after the `::` (`... :: [creates] message`). Fields other than the message follow it as
//! `key=value`.
//!
//! [`LogFile`] is Twisted's `DailyLogFile` as carbon uses it: at the first line of a new local
//! day the file is renamed to `<name>.<Y>_<M>_<D>` (the day it was written, unpadded) and a new
//! one is started; old files are kept (the reference has no rotation count). With
//! ENABLE_LOGROTATION off it never rotates but reopens its path when the file was moved or
//! deleted (logrotate's `create` mode).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{Datelike, Local, NaiveDate};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// carbon's log types (the functions of `log.py`): a tracing target with one of these names
/// goes to `<name>.log`; any other target goes to `console.log`.
pub const LOG_TYPES: [&str; 9] = [
    "listener",
    "creates",
    "updates",
    "query",
    "cache",
    "clients",
    "relay",
    "aggregator",
    "tagdb",
];

/// Where the log goes.
#[derive(Debug, Clone)]
pub enum Output {
    /// Standard output, with a `[type]` tag (`--debug`, `--nodaemon`).
    Stdout,
    /// One file per type in a directory (LOG_DIR).
    Dir {
        /// LOG_DIR.
        dir: PathBuf,
        /// ENABLE_LOGROTATION: rotate daily; when off, reopen a moved or deleted file.
        rotation: bool,
    },
}

/// The `tracing` layer writing carbon's log lines to an [`Output`].
#[derive(Debug)]
pub struct CarbonLog {
    sink: Mutex<Sink>,
}

#[derive(Debug)]
enum Sink {
    Stdout,
    Dir(LogDir),
}

impl CarbonLog {
    /// Opens the output: for a directory, creates it if needed and opens `console.log` (an
    /// error here is a start-up error, as in the reference).
    pub fn open(output: &Output) -> std::io::Result<Self> {
        let sink = match output {
            Output::Stdout => Sink::Stdout,
            Output::Dir { dir, rotation } => {
                std::fs::create_dir_all(dir)?;
                Sink::Dir(LogDir {
                    console: LogFile::open(dir.join("console.log"), *rotation)?,
                    dir: dir.clone(),
                    rotation: *rotation,
                    custom: HashMap::new(),
                })
            }
        };
        Ok(CarbonLog {
            sink: Mutex::new(sink),
        })
    }

    /// Writes one message of `log_type` (`None`: console) as the reference formats it.
    pub fn write(&self, log_type: Option<&'static str>, message: &str) {
        let now = Local::now();
        let stamp = now.format("%d/%m/%Y %H:%M:%S");
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *sink {
            Sink::Stdout => {
                let line = format!("{stamp} :: [{}] {message}\n", log_type.unwrap_or("console"));
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(line.as_bytes());
                let _ = out.flush();
            }
            Sink::Dir(dir) => {
                let line = format!("{stamp} :: {message}\n");
                dir.write(log_type, line.as_bytes(), now.date_naive());
            }
        }
    }
}

/// The files of LOG_DIR.
#[derive(Debug)]
struct LogDir {
    dir: PathBuf,
    rotation: bool,
    console: LogFile,
    /// `None` when the file could not be opened: its lines go to console.log.
    custom: HashMap<&'static str, Option<LogFile>>,
}

impl LogDir {
    fn write(&mut self, log_type: Option<&'static str>, line: &[u8], today: NaiveDate) {
        let file = match log_type {
            None => &mut self.console,
            Some(t) => {
                let (dir, rotation) = (&self.dir, self.rotation);
                let custom = self.custom.entry(t).or_insert_with(|| {
                    LogFile::open(dir.join(format!("{t}.log")), rotation)
                        .map_err(|e| eprintln!("cannot open {t}.log in {}: {e}", dir.display()))
                        .ok()
                });
                match custom {
                    Some(f) => f,
                    None => &mut self.console,
                }
            }
        };
        if let Err(e) = file.write_on(line, today) {
            eprintln!("cannot write to {}: {e}", file.path.display());
        }
    }
}

/// One log file, rotated daily as Twisted's `DailyLogFile` (see the module docs).
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: File,
    /// The local day of the last line written (at open: of the file's mtime).
    last_date: NaiveDate,
    rotation: bool,
}

impl LogFile {
    /// Opens (appends to) or creates `path`.
    pub fn open(path: PathBuf, rotation: bool) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let last_date = file_date(&file)?;
        Ok(LogFile {
            path,
            file,
            last_date,
            rotation,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `line` on local day `today`, rotating first when the day has changed.
    pub fn write_on(&mut self, line: &[u8], today: NaiveDate) -> std::io::Result<()> {
        if self.rotation {
            // As Twisted's, a rotation that fails (a directory USER cannot write to) is given
            // up silently, and the lines go on to the file as it is.
            if today > self.last_date {
                let _ = self.rotate(today);
            }
        } else if self.moved() {
            self.reopen()?;
        }
        self.file.write_all(line)?;
        self.last_date = self.last_date.max(today);
        Ok(())
    }

    /// Renames the file after the day it was written and starts a new one, of `today` (Twisted
    /// takes the new file's mtime: the same day); as Twisted does, does nothing when that name
    /// is taken.
    fn rotate(&mut self, today: NaiveDate) -> std::io::Result<()> {
        let d = self.last_date;
        let rotated = PathBuf::from(format!(
            "{}.{}_{}_{}",
            self.path.display(),
            d.year(),
            d.month(),
            d.day()
        ));
        if rotated.exists() {
            return Ok(());
        }
        std::fs::rename(&self.path, &rotated)?;
        self.reopen()?;
        self.last_date = today;
        Ok(())
    }

    /// True when the path no longer names the open file (moved, deleted or replaced).
    fn moved(&self) -> bool {
        match (std::fs::metadata(&self.path), self.file.metadata()) {
            (Ok(p), Ok(f)) => p.ino() != f.ino() || p.dev() != f.dev(),
            _ => true,
        }
    }

    fn reopen(&mut self) -> std::io::Result<()> {
        *self = LogFile::open(std::mem::take(&mut self.path), self.rotation)?;
        Ok(())
    }
}

fn file_date(file: &File) -> std::io::Result<NaiveDate> {
    let modified = file.metadata()?.modified()?;
    Ok(chrono::DateTime::<Local>::from(modified).date_naive())
}

/// The log type of a tracing target: one of [`LOG_TYPES`], else `None` (console).
pub fn log_type(target: &str) -> Option<&'static str> {
    LOG_TYPES.iter().copied().find(|t| *t == target)
}

impl<S: Subscriber> Layer<S> for CarbonLog {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = Text::default();
        event.record(&mut text);
        self.write(log_type(event.metadata().target()), &text.finish());
    }
}

/// An event's message followed by its other fields as `key=value`.
#[derive(Debug, Default)]
struct Text {
    message: String,
    fields: String,
}

impl Text {
    fn finish(mut self) -> String {
        if self.message.is_empty() {
            self.fields.drain(..self.fields.len().min(1));
        }
        self.message.push_str(&self.fields);
        self.message
    }
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap()
    }

    #[test]
    fn rotates_at_the_first_line_of_a_new_day_and_keeps_the_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.log");
        let mut f = LogFile::open(path.clone(), true).unwrap();
        f.last_date = day(2026, 1, 5);
        f.write_on(b"a\n", day(2026, 1, 5)).unwrap();
        f.write_on(b"b\n", day(2026, 1, 6)).unwrap();
        f.write_on(b"c\n", day(2026, 1, 6)).unwrap();
        f.write_on(b"d\n", day(2026, 11, 30)).unwrap();
        // Twisted's suffix: the day the lines were written, "_"-joined, unpadded.
        assert_eq!(read(&dir.path().join("console.log.2026_1_5")), "a\n");
        assert_eq!(read(&dir.path().join("console.log.2026_1_6")), "b\nc\n");
        assert_eq!(read(&path), "d\n");
    }

    #[test]
    fn a_taken_rotation_name_leaves_the_file_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("updates.log");
        std::fs::write(dir.path().join("updates.log.2026_1_5"), "old\n").unwrap();
        let mut f = LogFile::open(path.clone(), true).unwrap();
        f.last_date = day(2026, 1, 5);
        f.write_on(b"a\n", day(2026, 1, 6)).unwrap();
        f.write_on(b"b\n", day(2026, 1, 6)).unwrap();
        assert_eq!(read(&dir.path().join("updates.log.2026_1_5")), "old\n");
        assert_eq!(read(&path), "a\nb\n");
    }

    #[test]
    fn without_rotation_a_moved_file_is_reopened_and_never_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.log");
        let mut f = LogFile::open(path.clone(), false).unwrap();
        f.write_on(b"a\n", day(2026, 1, 5)).unwrap();
        f.write_on(b"b\n", day(2026, 1, 9)).unwrap();
        std::fs::rename(&path, dir.path().join("console.log.1")).unwrap();
        f.write_on(b"c\n", day(2026, 1, 9)).unwrap();
        std::fs::remove_file(&path).unwrap();
        f.write_on(b"d\n", day(2026, 1, 9)).unwrap();
        assert_eq!(read(&dir.path().join("console.log.1")), "a\nb\n");
        assert_eq!(read(&path), "d\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn appends_to_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.log");
        std::fs::write(&path, "before\n").unwrap();
        let mut f = LogFile::open(path.clone(), true).unwrap();
        let today = Local::now().date_naive();
        f.write_on(b"after\n", today).unwrap();
        assert_eq!(read(&path), "before\nafter\n");
    }

    #[test]
    fn types_go_to_their_own_files_and_the_rest_to_console() {
        let dir = tempfile::tempdir().unwrap();
        let log_dir = dir.path().join("carbon-cache-a");
        let log = CarbonLog::open(&Output::Dir {
            dir: log_dir.clone(),
            rotation: true,
        })
        .unwrap();
        let subscriber =
            tracing_subscriber::layer::SubscriberExt::with(tracing_subscriber::registry(), log);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "creates", "new metric a.b matched schema default");
            tracing::info!(points = 3, path = %"x/y", "flushing");
            tracing::warn!(target: "listener", "invalid line received from client 1.2.3.4:5, ignoring");
        });
        let line = regex_like(&read(&log_dir.join("creates.log")));
        assert_eq!(
            line,
            "DD/DD/DDDD DD:DD:DD :: new metric a.b matched schema default\n"
        );
        let console = regex_like(&read(&log_dir.join("console.log")));
        assert_eq!(
            console,
            "DD/DD/DDDD DD:DD:DD :: flushing points=D path=x/y\n"
        );
        assert!(read(&log_dir.join("listener.log"))
            .ends_with(":: invalid line received from client 1.2.3.4:5, ignoring\n"));
        assert!(!log_dir.join("updates.log").exists());
    }

    /// Digits replaced by `D`, to compare lines carrying the current time.
    fn regex_like(s: &str) -> String {
        s.chars()
            .map(|c| if c.is_ascii_digit() { 'D' } else { c })
            .collect()
    }

    #[test]
    fn targets_map_to_types() {
        assert_eq!(log_type("creates"), Some("creates"));
        assert_eq!(log_type("tagdb"), Some("tagdb"));
        assert_eq!(log_type("carbon::daemon"), None);
        assert_eq!(log_type("console"), None);
    }

    #[test]
    fn a_message_without_text_keeps_its_fields() {
        let mut t = Text::default();
        t.fields.push_str(" a=1 b=2");
        assert_eq!(t.finish(), "a=1 b=2");
    }
}
