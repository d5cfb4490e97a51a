//! The in-memory index: one cached listing per directory, validated by one `stat` per visit.
//!
//! A listing is keyed by the directory's `(device, inode)` and stamped with the directory's
//! modification time as seen *before* it was read. A visit stats the directory; the listing is
//! reused when the stamp is unchanged, and re-read otherwise, so a file carbon-cache has just
//! created (which changes its directory's mtime) is seen on the next query. A directory whose
//! mtime is within [`RACY_WINDOW`] of the moment it was read could be changed again within the
//! same timestamp tick without its mtime moving, so such a listing is marked racy and re-read on
//! every visit until its mtime is old enough (the "racy git" rule).

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How recent a directory's mtime may be before its listing is not trusted.
pub(crate) const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Number of lock shards of the cache.
const SHARDS: usize = 32;

/// Names in one directory, sorted by bytes (the order of Python's `sorted` on `str`), packed
/// into one buffer.
#[derive(Debug, Default)]
pub(crate) struct Names {
    buf: String,
    /// Start of each name in `buf`; name `i` ends where name `i + 1` starts.
    starts: Vec<u32>,
    /// Per name: bit 0 = the entry is a symbolic link; bit 1 = it is a file (following links).
    flags: Vec<u8>,
}

pub(crate) const SYMLINK: u8 = 1;
pub(crate) const IS_FILE: u8 = 2;

impl Names {
    fn from_sorted(mut items: Vec<(String, u8)>) -> Self {
        items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let total: usize = items.iter().map(|(n, _)| n.len()).sum();
        let mut buf = String::with_capacity(total);
        let mut starts = Vec::with_capacity(items.len());
        let mut flags = Vec::with_capacity(items.len());
        for (name, f) in items {
            starts.push(u32::try_from(buf.len()).unwrap_or(u32::MAX));
            buf.push_str(&name);
            flags.push(f);
        }
        Self { buf, starts, flags }
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len()
    }

    pub(crate) fn name(&self, i: usize) -> &str {
        let start = self.starts[i] as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.buf.len(), |&e| e as usize);
        &self.buf[start..end]
    }

    pub(crate) fn flags(&self, i: usize) -> u8 {
        self.flags[i]
    }

    /// The index of `name`, by binary search.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.name(mid).cmp(name) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The index range of the names starting with `prefix`.
    pub(crate) fn prefix_range(&self, prefix: &str) -> std::ops::Range<usize> {
        if prefix.is_empty() {
            return 0..self.len();
        }
        let lower = self.partition_point(|n| n < prefix);
        let upper = lower + {
            let (mut lo, mut hi) = (lower, self.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                if self.name(mid).starts_with(prefix) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo - lower
        };
        lower..upper
    }

    fn partition_point(&self, pred: impl Fn(&str) -> bool) -> usize {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pred(self.name(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    fn heap_bytes(&self) -> usize {
        self.buf.capacity() + self.starts.capacity() * 4 + self.flags.capacity()
    }
}

/// The cached listing of one directory.
#[derive(Debug)]
pub(crate) struct Listing {
    /// The directory's mtime (seconds, nanoseconds) before it was read.
    stamp: (i64, i64),
    /// The mtime was too close to the read: re-read on the next visit.
    racy: bool,
    /// Entries that are directories (following symbolic links), hidden ones included.
    pub(crate) dirs: Names,
    /// Entries that are not directories and whose name ends in `.wsp` (hidden ones included);
    /// [`IS_FILE`] tells the regular files (following links) from the rest (broken links, ...).
    pub(crate) files: Names,
    /// Last use, in seconds since the cache was created (for eviction).
    last_used: AtomicU64,
}

/// One lock shard of the cache: listings by (device, inode).
type Shard = RwLock<HashMap<(u64, u64), Arc<Listing>>>;

/// The cache of listings, shared by every query.
#[derive(Debug)]
pub(crate) struct DirCache {
    shards: Vec<Shard>,
    created: std::time::Instant,
    inserts: AtomicU64,
}

/// Listings unused for this long are dropped by the occasional sweep.
const IDLE_EVICT: Duration = Duration::from_secs(600);

impl Default for DirCache {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            created: std::time::Instant::now(),
            inserts: AtomicU64::new(0),
        }
    }
}

impl DirCache {
    fn elapsed_secs(&self) -> u64 {
        self.created.elapsed().as_secs()
    }

    /// The listing of `dir`, or `None` if it is not a readable directory.
    pub(crate) fn listing(&self, dir: &Path) -> Option<Arc<Listing>> {
        let md = fs::metadata(dir).ok()?;
        if !md.is_dir() {
            return None;
        }
        let key = (md.dev(), md.ino());
        let stamp = (md.mtime(), md.mtime_nsec());
        let shard = &self.shards[shard_of(key)];
        let now_secs = self.elapsed_secs();
        {
            let map = shard.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(l) = map.get(&key) {
                if l.stamp == stamp && !l.racy {
                    l.last_used.store(now_secs, Ordering::Relaxed);
                    return Some(Arc::clone(l));
                }
            }
        }
        let read_at = SystemTime::now();
        let (dirs, files) = read_dir(dir).ok()?;
        let racy = is_racy(stamp, read_at);
        let listing = Arc::new(Listing {
            stamp,
            racy,
            dirs,
            files,
            last_used: AtomicU64::new(now_secs),
        });
        shard
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, Arc::clone(&listing));
        let n = self.inserts.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(4096) {
            self.sweep(now_secs);
        }
        Some(listing)
    }

    /// Drops listings not used for [`IDLE_EVICT`] (directories that were removed, or that no
    /// query visits any more).
    fn sweep(&self, now_secs: u64) {
        let idle = IDLE_EVICT.as_secs();
        for shard in &self.shards {
            shard
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|_, l| now_secs.saturating_sub(l.last_used.load(Ordering::Relaxed)) < idle);
        }
    }

    /// Number of cached listings and their approximate heap size in bytes.
    pub(crate) fn stats(&self) -> (usize, usize) {
        let mut count = 0;
        let mut bytes = 0;
        for shard in &self.shards {
            let map = shard.read().unwrap_or_else(PoisonError::into_inner);
            count += map.len();
            bytes += map
                .values()
                .map(|l| l.dirs.heap_bytes() + l.files.heap_bytes() + 64)
                .sum::<usize>();
        }
        (count, bytes)
    }

    /// Forgets every listing.
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            shard
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
    }
}

fn shard_of(key: (u64, u64)) -> usize {
    let h = key.1.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ key.0;
    (h >> 32) as usize % SHARDS
}

/// Whether an mtime is recent enough, relative to when the directory was read, that a later
/// change could have left it unchanged.
fn is_racy(stamp: (i64, i64), read_at: SystemTime) -> bool {
    let Ok(read) = read_at.duration_since(UNIX_EPOCH) else {
        return true;
    };
    let limit = read.saturating_sub(RACY_WINDOW);
    let limit = (limit.as_secs() as i64, i64::from(limit.subsec_nanos()));
    stamp >= limit
}

/// Reads a directory: its subdirectories and its `*.wsp` non-directories. Names that are not
/// UTF-8 are skipped.
fn read_dir(dir: &Path) -> std::io::Result<(Names, Names)> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(ft) = entry.file_type() else { continue };
        let (is_dir, is_file, link) = if ft.is_symlink() {
            match fs::metadata(entry.path()) {
                Ok(m) => (m.is_dir(), m.is_file(), true),
                Err(_) => (false, false, true),
            }
        } else {
            (ft.is_dir(), ft.is_file(), false)
        };
        let link_flag = if link { SYMLINK } else { 0 };
        if is_dir {
            dirs.push((name, link_flag));
        } else if name.ends_with(".wsp") {
            files.push((name, link_flag | if is_file { IS_FILE } else { 0 }));
        }
    }
    Ok((Names::from_sorted(dirs), Names::from_sorted(files)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_search() {
        let n = Names::from_sorted(
            ["b", "a", "ab", "abc", "b1", "c"]
                .iter()
                .map(|s| ((*s).to_owned(), 0))
                .collect(),
        );
        assert_eq!(n.len(), 6);
        assert_eq!(n.name(0), "a");
        assert_eq!(n.find("abc"), Some(2));
        assert_eq!(n.find("zz"), None);
        assert_eq!(n.prefix_range("a"), 0..3);
        assert_eq!(n.prefix_range("b"), 3..5);
        assert_eq!(n.prefix_range("ab"), 1..3);
        assert_eq!(n.prefix_range("x"), 6..6);
        assert_eq!(n.prefix_range(""), 0..6);
    }

    #[test]
    fn racy_rule() {
        let now = SystemTime::now();
        let secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!(is_racy((secs, 0), now));
        assert!(!is_racy((secs - 10, 0), now));
    }
}
