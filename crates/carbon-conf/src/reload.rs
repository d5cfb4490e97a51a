//! Noticing that a config file changed, for the periodic reloads.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Remembers a file's modification time; [`FileWatch::changed`] says whether it moved on.
///
/// The reference re-reads lists and rules when the mtime *increases* (and storage schemas
/// every 60 s regardless); a file that disappears counts as changed once, so the caller can
/// fall back to an empty list.
#[derive(Debug, Clone)]
pub struct FileWatch {
    path: PathBuf,
    last: Option<SystemTime>,
}

impl FileWatch {
    /// Watches `path`; the first [`FileWatch::changed`] is true when the file exists.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileWatch {
            path: path.into(),
            last: None,
        }
    }

    /// The watched file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the file's mtime is later than at the previous true answer, or when it
    /// vanished since then; records the new state.
    pub fn changed(&mut self) -> bool {
        let now = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let changed = match (self.last, now) {
            (None, None) => false,
            (Some(_), None) => true,
            (None, Some(_)) => true,
            (Some(a), Some(b)) => b > a,
        };
        if changed {
            self.last = now;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn notices_newer_mtime_and_removal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut w = FileWatch::new(&path);
        assert!(!w.changed());
        std::fs::write(&path, "a").unwrap();
        assert!(w.changed());
        assert!(!w.changed());
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::now() + Duration::from_secs(10))
            .unwrap();
        assert!(w.changed());
        std::fs::remove_file(&path).unwrap();
        assert!(w.changed());
        assert!(!w.changed());
    }
}
