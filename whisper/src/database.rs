//! The operations on whisper files: create, info, update, update_many, fetch, set metadata,
//! merge and diff, each reproducing whisper 1.1.10's reads, writes and results.
//!
//! Every operation opens the file, reads and validates its header (see
//! [`Header::parse`](crate::format::Header::parse)) and only then reads or writes points, with
//! positioned I/O (`pread`/`pwrite`) so the sequence of writes is the reference's. A per-call
//! cache of archive bases (the timestamp in each archive's first slot) saves re-reading what this
//! call has just read or written.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::aggregate::aggregate;
use crate::error::{Error, Result};
use crate::format::{
    decode_point, encode_point, AggregationMethod, ArchiveInfo, Header, POINT_SIZE,
};
use crate::pyset::set_iteration_order;
use crate::retention::{validate_archive_list, ArchiveSpec};
use crate::sys;

/// whisper's module-level switches, per [`Whisper`] instead of global.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Take an exclusive `flock` for every write (`whisper.LOCK`, carbon's WHISPER_LOCK_WRITES).
    pub lock: bool,
    /// Keep parsed headers in memory by path (`whisper.CACHE_HEADERS`). Only the set-metadata
    /// calls and `create` invalidate an entry, so files must not be replaced behind our back.
    pub cache_headers: bool,
    /// `fsync` after every write operation (`whisper.AUTOFLUSH`, WHISPER_AUTOFLUSH).
    pub autoflush: bool,
    /// Advise the kernel that access is random (`whisper.FADVISE_RANDOM`).
    pub fadvise_random: bool,
}

/// How to create a file; the defaults are whisper's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreateOptions {
    /// Fraction of known points needed to propagate, 0..=1 (stored as f32).
    pub x_files_factor: f64,
    /// How points propagate to lower archives.
    pub aggregation_method: AggregationMethod,
    /// Make a sparse file instead of writing zeros.
    pub sparse: bool,
    /// Reserve the data region with `posix_fallocate` (no fallback on failure, as whisper).
    pub fallocate: bool,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            x_files_factor: 0.5,
            aggregation_method: AggregationMethod::Average,
            sparse: false,
            fallocate: false,
        }
    }
}

/// A fetched series: values for `[start, end)` every `step` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Timestamp of the first value.
    pub start: i64,
    /// One step past the last value.
    pub end: i64,
    /// Seconds between values.
    pub step: i64,
    /// The values; `None` where the slot holds no point for that time. Its length is
    /// `(end - start) / step` except when a forced archive is read past its retention, where
    /// whisper returns one ring's worth.
    pub values: Vec<Option<f64>>,
}

impl Fetched {
    /// `(timestamp, value)` pairs, as `zip(range(start, end, step), values)`.
    pub fn points(&self) -> impl Iterator<Item = (i64, Option<f64>)> + '_ {
        (self.start..self.end)
            .step_by(self.step.max(1) as usize)
            .zip(self.values.iter().copied())
    }
}

/// Rows of `diff` for one archive.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveDiff {
    /// Archive number, in order of retention.
    pub index: usize,
    /// `(timestamp, from_value, to_value)` where the values differ.
    pub diffs: Vec<(i64, Option<f64>, Option<f64>)>,
    /// Number of rows compared (rows where either, or with `ignore_empty` both, have a value).
    pub total: usize,
}

/// Reads and writes whisper files with one set of [`Options`] (and one header cache).
#[derive(Debug, Default)]
pub struct Whisper {
    options: Options,
    headers: Mutex<HashMap<PathBuf, Arc<Header>>>,
}

/// Seconds since the epoch now, as `int(time.time())`.
pub fn now_epoch_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Whisper {
    /// A handle with these options.
    pub fn new(options: Options) -> Self {
        Whisper {
            options,
            headers: Mutex::new(HashMap::new()),
        }
    }

    /// The options in effect.
    pub fn options(&self) -> Options {
        self.options
    }

    /// Creates a file with the given archives (sorted and validated as whisper does).
    ///
    /// Unlike whisper 1.1.10, an invalid xFilesFactor (or a NaN) is refused before the file is
    /// made, so no empty file is left behind, and an archive with zero points or precision is
    /// refused rather than written.
    pub fn create(
        &self,
        path: &Path,
        archives: &[ArchiveSpec],
        opts: &CreateOptions,
    ) -> Result<()> {
        let mut archives = archives.to_vec();
        validate_archive_list(&mut archives)?;
        if let Some(bad) = archives
            .iter()
            .find(|a| a.seconds_per_point == 0 || a.points == 0)
        {
            return Err(Error::InvalidConfiguration(format!(
                "Archive ({}, {}) must have a non-zero precision and number of points",
                bad.seconds_per_point, bad.points
            )));
        }
        // whisper checks for an existing file before it looks at the xFilesFactor.
        if path.exists() {
            return Err(already_exists(path));
        }
        let xff = checked_xff(opts.x_files_factor)?;
        let header = layout(&archives, opts.aggregation_method, xff)?;
        let file = match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(already_exists(path)),
            Err(e) => return Err(Error::io(path, e)),
        };
        self.invalidate(path);
        let written = self.write_new_file(&file, &header, opts);
        if let Err(e) = written {
            drop(file);
            let _ = std::fs::remove_file(path);
            return Err(Error::io(path, e));
        }
        Ok(())
    }

    fn write_new_file(
        &self,
        file: &File,
        header: &Header,
        opts: &CreateOptions,
    ) -> std::io::Result<()> {
        if self.options.lock {
            file.lock()?;
        }
        if self.options.fadvise_random {
            sys::fadvise_random(file);
        }
        let header_bytes = header.encode();
        file.write_all_at(&header_bytes, 0)?;
        let header_len = header_bytes.len() as u64;
        let total = header.file_size();
        if opts.fallocate {
            sys::fallocate(file, header_len, total - header_len)?;
        } else if opts.sparse {
            file.set_len(total)?;
        } else {
            const CHUNK: u64 = 1 << 20;
            let zeros = vec![0u8; CHUNK.min(total - header_len) as usize];
            let mut offset = header_len;
            while offset < total {
                let n = CHUNK.min(total - offset) as usize;
                file.write_all_at(&zeros[..n], offset)?;
                offset += n as u64;
            }
        }
        if self.options.autoflush {
            file.sync_all()?;
        }
        Ok(())
    }

    /// Reads a file's header.
    pub fn info(&self, path: &Path) -> Result<Header> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let (header, _) = self.read_header(&file, path)?;
        Ok(Header::clone(&header))
    }

    /// Stores one point (`whisper.update`): refuses future points and points at or beyond the
    /// file's retention, writes the finest archive that covers the point and propagates down.
    pub fn update(
        &self,
        path: &Path,
        value: f64,
        timestamp: Option<i64>,
        now: Option<i64>,
    ) -> Result<()> {
        let mut db = self.open_for_write(path)?;
        let now = now.unwrap_or_else(now_epoch_secs);
        let timestamp = timestamp.unwrap_or(now);
        let age = now.saturating_sub(timestamp);
        if !(age < i64::from(db.header.max_retention) && age >= 0) {
            return Err(Error::TimestampNotCovered);
        }
        let index = db
            .header
            .archives
            .iter()
            .position(|a| a.retention() as i64 >= age)
            .ok_or(Error::TimestampNotCovered)?;
        let archive = db.header.archives[index];
        let interval = align(timestamp, archive.seconds_per_point);
        let interval_u32 = to_u32(interval)?;
        let base = db.base(index)?;
        let offset = if base == 0 {
            u64::from(archive.offset)
        } else {
            archive.slot_offset(i64::from(base), interval)
        };
        db.write(index, offset, &encode_point(interval_u32, value))?;
        for lower in index + 1..db.header.archives.len() {
            if !db.propagate(interval, lower - 1, lower)? {
                break;
            }
        }
        db.finish(self.options.autoflush)
    }

    /// Stores many points (`whisper.update_many`), as carbon does: newest first, each run of
    /// points into the finest archive that still covers it; points older than the whole file
    /// are dropped silently and future points go to the finest archive.
    ///
    /// Of several points for the same slot the one with the latest timestamp wins; of several
    /// with the same timestamp, the first given.
    pub fn update_many(&self, path: &Path, points: &[(i64, f64)], now: Option<i64>) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        let mut db = self.open_for_write(path)?;
        let now = now.unwrap_or_else(now_epoch_secs);
        let runs = assign_archives(&db.header.archives, points, now);
        // Check everything that will be written before writing any of it.
        for (index, run) in &runs {
            let spp = db.header.archives[*index].seconds_per_point;
            for &(t, _) in run {
                to_u32(align(t, spp))?;
            }
        }
        for (index, run) in runs {
            db.archive_update_many(index, &run)?;
        }
        db.finish(self.options.autoflush)
    }

    /// Reads `(from, until]` from the finest archive covering `from` (`whisper.fetch`), or from
    /// the archive of precision `archive_to_select` (`"60"`, `"1m"`...). `None` when the range
    /// is entirely in the future or older than the file.
    pub fn fetch(
        &self,
        path: &Path,
        from: i64,
        until: Option<i64>,
        now: Option<i64>,
        archive_to_select: Option<&str>,
    ) -> Result<Option<Fetched>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let (header, base0) = self.read_header(&file, path)?;
        let mut db = OpenDb::new(file, path, header, base0);
        let now = now.unwrap_or_else(now_epoch_secs);
        let mut from = from;
        let mut until = until.unwrap_or(now);
        if from > until {
            return Err(Error::InvalidTimeInterval { from, until });
        }
        let oldest = now.saturating_sub(i64::from(db.header.max_retention));
        if from > now || until < oldest {
            return Ok(None);
        }
        from = from.max(oldest);
        until = until.min(now);
        let age = now - from;

        let wanted_spp = match archive_to_select {
            Some(s) if !s.is_empty() => {
                let spec = crate::retention::parse_retention_def(&format!("{s}:1"))?;
                // whisper tests the parsed precision for truth, so "0" means "choose".
                (spec.seconds_per_point != 0).then_some(spec.seconds_per_point)
            }
            _ => None,
        };
        let archives = &db.header.archives;
        let index = match wanted_spp {
            Some(spp) => archives
                .iter()
                .position(|a| a.seconds_per_point == spp)
                .ok_or(Error::InvalidGranularity(u64::from(spp)))?,
            // Python's loop variable is left on the last archive when none covers the range.
            None => archives
                .iter()
                .position(|a| a.retention() as i64 >= age)
                .unwrap_or(archives.len() - 1),
        };
        db.archive_fetch(index, from, until).map(Some)
    }

    /// Rewrites the aggregation method (and the xFilesFactor when given); returns the old method.
    pub fn set_aggregation_method(
        &self,
        path: &Path,
        method: AggregationMethod,
        x_files_factor: Option<f64>,
    ) -> Result<AggregationMethod> {
        self.set_metadata(path, Some(method), x_files_factor)
            .map(|(m, _)| m)
    }

    /// Rewrites the xFilesFactor; returns the old one (the stored f32, widened).
    pub fn set_x_files_factor(&self, path: &Path, x_files_factor: f64) -> Result<f64> {
        self.set_metadata(path, None, Some(x_files_factor))
            .map(|(_, x)| x)
    }

    fn set_metadata(
        &self,
        path: &Path,
        method: Option<AggregationMethod>,
        x_files_factor: Option<f64>,
    ) -> Result<(AggregationMethod, f64)> {
        let db = self.open_for_write(path)?;
        let old_method = db.header.aggregation_method;
        let old_xff = f64::from(db.header.x_files_factor);
        let xff = match x_files_factor {
            Some(x) => checked_xff(x)?,
            None => db.header.x_files_factor,
        };
        let meta = Header::encode_metadata(
            method.unwrap_or(old_method),
            db.header.max_retention,
            xff,
            db.header.archives.len() as u32,
        );
        db.file
            .write_all_at(&meta, 0)
            .map_err(|e| Error::io(path, e))?;
        db.finish(self.options.autoflush)?;
        self.invalidate(path);
        Ok((old_method, old_xff))
    }

    /// Copies every point of `from_path` in `[time_from, time_to]` into `to_path`, overwriting
    /// (`whisper.merge`). Both files must have the same archives.
    pub fn merge(
        &self,
        from_path: &Path,
        to_path: &Path,
        time_from: Option<i64>,
        time_to: Option<i64>,
        now: Option<i64>,
    ) -> Result<()> {
        let src_file = File::open(from_path).map_err(|e| Error::io(from_path, e))?;
        let (src_header, src_base0) = self.read_header(&src_file, from_path)?;
        let mut src = OpenDb::new(src_file, from_path, src_header, src_base0);
        // whisper's merge opens the destination without locking.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(to_path)
            .map_err(|e| Error::io(to_path, e))?;
        let (dst_header, dst_base0) = self.read_header(&file, to_path)?;
        let mut dst = OpenDb::new(file, to_path, dst_header, dst_base0);
        if src.header.archives != dst.header.archives {
            return Err(unalike(from_path, to_path, "merging"));
        }
        let now = now.unwrap_or_else(now_epoch_secs);
        let until = time_to.unwrap_or(now);
        let from = time_from.unwrap_or(0);
        if until < from {
            return Err(Error::InvalidMergeRange);
        }
        for index in by_retention(&src.header.archives) {
            let retention = src.header.archives[index].retention() as i64;
            if until < now - retention {
                continue;
            }
            let archive_from = from.max(now - retention);
            let fetched = src.archive_fetch(index, archive_from, until)?;
            let points: Vec<(i64, f64)> = fetched
                .points()
                .filter_map(|(t, v)| v.map(|v| (t, v)))
                .collect();
            if points.is_empty() {
                continue;
            }
            let spp = dst.header.archives[index].seconds_per_point;
            for &(t, _) in &points {
                to_u32(align(t, spp))?;
            }
            dst.archive_update_many(index, &points)?;
        }
        Ok(())
    }

    /// Compares two files archive by archive (`whisper.diff`).
    pub fn diff(
        &self,
        from_path: &Path,
        to_path: &Path,
        ignore_empty: bool,
        until_time: Option<i64>,
        now: Option<i64>,
    ) -> Result<Vec<ArchiveDiff>> {
        let a_file = File::open(from_path).map_err(|e| Error::io(from_path, e))?;
        let (a_header, a_base0) = self.read_header(&a_file, from_path)?;
        let mut a = OpenDb::new(a_file, from_path, a_header, a_base0);
        let b_file = File::open(to_path).map_err(|e| Error::io(to_path, e))?;
        let (b_header, b_base0) = self.read_header(&b_file, to_path)?;
        let mut b = OpenDb::new(b_file, to_path, b_header, b_base0);
        if a.header.archives != b.header.archives {
            return Err(unalike(from_path, to_path, "diffing"));
        }
        let now = now.unwrap_or_else(now_epoch_secs);
        let mut until = match until_time {
            Some(t) if t != 0 => t,
            _ => now,
        };
        let mut out = Vec::new();
        for (number, index) in by_retention(&a.header.archives).into_iter().enumerate() {
            let start_time = now - a.header.archives[index].retention() as i64;
            let fa = a.archive_fetch(index, start_time, until)?;
            let fb = b.archive_fetch(index, start_time, until)?;
            let start = fa.start.min(fb.start);
            let end = fa.end.max(fb.end);
            let step = fa.step.min(fb.step);
            let rows = if end > start { (end - start) / step } else { 0 };
            // whisper indexes both lists by row and raises IndexError when one of the files has
            // never been written and the other has (their lengths then differ by one); a
            // missing row is compared as empty instead.
            let mut kept = Vec::new();
            for s in 0..rows as usize {
                let va = fa.values.get(s).copied().flatten();
                let vb = fb.values.get(s).copied().flatten();
                let keep = if ignore_empty {
                    va.is_some() && vb.is_some()
                } else {
                    va.is_some() || vb.is_some()
                };
                if keep {
                    kept.push((s as i64 * step + start, va, vb));
                }
            }
            let total = kept.len();
            let diffs = kept.into_iter().filter(|(_, x, y)| x != y).collect();
            out.push(ArchiveDiff {
                index: number,
                diffs,
                total,
            });
            until = until.min(start_time);
        }
        Ok(out)
    }

    fn invalidate(&self, path: &Path) {
        if self.options.cache_headers {
            self.headers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(path);
        }
    }

    fn open_for_write<'p>(&self, path: &'p Path) -> Result<OpenDb<'p>> {
        // The reads an update makes right after its own writes would each update the access
        // time; O_NOATIME spares that when we own the file, and is refused (EPERM) otherwise.
        let mut open = OpenOptions::new();
        open.read(true).write(true);
        let file = match open.clone().custom_flags(libc::O_NOATIME).open(path) {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => open.open(path),
            other => other,
        }
        .map_err(|e| Error::io(path, e))?;
        if self.options.fadvise_random {
            sys::fadvise_random(&file);
        }
        if self.options.lock {
            file.lock().map_err(|e| Error::io(path, e))?;
        }
        let (header, base0) = self.read_header(&file, path)?;
        Ok(OpenDb::new(file, path, header, base0))
    }

    /// Reads and validates the header, or takes it from the cache. Also returns archive 0's
    /// base when the same read happened to cover it.
    fn read_header(&self, file: &File, path: &Path) -> Result<(Arc<Header>, Option<u32>)> {
        if self.options.cache_headers {
            let cache = self.headers.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(h) = cache.get(path) {
                return Ok((Arc::clone(h), None));
            }
        }
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        // One read normally covers the header and the first archive's base point.
        let mut buf = vec![0u8; 512.min(file_len) as usize];
        read_full_at(file, &mut buf, 0).map_err(|e| Error::io(path, e))?;
        if let Some(count) = Header::archive_count(&buf) {
            let count = count.min(crate::format::MAX_ARCHIVES);
            let needed = (Header::size_for(count as usize) + POINT_SIZE).min(file_len) as usize;
            if needed > buf.len() {
                let have = buf.len();
                buf.resize(needed, 0);
                read_full_at(file, &mut buf[have..], have as u64)
                    .map_err(|e| Error::io(path, e))?;
            }
        }
        let header = Arc::new(Header::parse(&buf, file_len, path)?);
        let first = u64::from(header.archives[0].offset) as usize;
        let base0 = buf
            .get(first..first + 12)
            .map(|point| decode_point(point).0);
        if self.options.cache_headers {
            self.headers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(path.to_path_buf(), Arc::clone(&header));
        }
        Ok((header, base0))
    }
}

/// An open file with its header, for the length of one operation.
struct OpenDb<'p> {
    file: File,
    path: &'p Path,
    header: Arc<Header>,
    /// Each archive's base (timestamp in slot 0) once read or written in this operation.
    bases: Vec<Option<u32>>,
}

impl<'p> OpenDb<'p> {
    fn new(file: File, path: &'p Path, header: Arc<Header>, base0: Option<u32>) -> Self {
        let mut bases = vec![None; header.archives.len()];
        bases[0] = base0;
        OpenDb {
            file,
            path,
            header,
            bases,
        }
    }

    fn read(&self, buf: &mut [u8], offset: u64, what: &str) -> Result<()> {
        match read_full_at(&self.file, buf, offset) {
            Ok(n) if n == buf.len() => Ok(()),
            Ok(_) => Err(Error::corrupt(self.path, what)),
            Err(e) => Err(Error::io(self.path, e)),
        }
    }

    fn base(&mut self, index: usize) -> Result<u32> {
        if let Some(b) = self.bases[index] {
            return Ok(b);
        }
        let mut point = [0u8; 12];
        let offset = u64::from(self.header.archives[index].offset);
        self.read(&mut point, offset, "Unable to read base datapoint")?;
        let base = decode_point(&point).0;
        self.bases[index] = Some(base);
        Ok(base)
    }

    /// Writes points at `offset` inside archive `index`, keeping the base cache true.
    fn write(&mut self, index: usize, offset: u64, bytes: &[u8]) -> Result<()> {
        let archive = self.header.archives[index];
        debug_assert!(offset >= u64::from(archive.offset));
        debug_assert!(offset + bytes.len() as u64 <= archive.end_offset());
        self.file
            .write_all_at(bytes, offset)
            .map_err(|e| Error::io(self.path, e))?;
        if offset == u64::from(archive.offset) {
            self.bases[index] = Some(decode_point(&bytes[..12]).0);
        }
        Ok(())
    }

    fn finish(&self, autoflush: bool) -> Result<()> {
        if autoflush {
            self.file.sync_all().map_err(|e| Error::io(self.path, e))?;
        }
        Ok(())
    }

    /// Reads `len` bytes of archive `index` from `offset`, wrapping to the archive's start.
    fn read_ring(&self, index: usize, first: u64, last: u64, what: &str) -> Result<Vec<u8>> {
        let archive = self.header.archives[index];
        let start = u64::from(archive.offset);
        if first < last {
            let mut buf = vec![0u8; (last - first) as usize];
            self.read(&mut buf, first, what)?;
            Ok(buf)
        } else {
            let head = archive.end_offset() - first;
            let mut buf = vec![0u8; (head + last - start) as usize];
            let (a, b) = buf.split_at_mut(head as usize);
            self.read(a, first, what)?;
            self.read(b, start, what)?;
            Ok(buf)
        }
    }

    /// `__archive_fetch`: the values of archive `index` for `(from, until]`, unclamped.
    fn archive_fetch(&mut self, index: usize, from: i64, until: i64) -> Result<Fetched> {
        let archive = self.header.archives[index];
        let step = i64::from(archive.seconds_per_point);
        let from_interval = align(from, archive.seconds_per_point).saturating_add(step);
        let mut until_interval = align(until, archive.seconds_per_point).saturating_add(step);
        if from_interval == until_interval {
            until_interval = until_interval.saturating_add(step);
        }
        let base = self.base(index)?;
        if base == 0 {
            let count = until_interval
                .saturating_sub(from_interval)
                .div_euclid(step)
                .max(0) as usize;
            return Ok(Fetched {
                start: from_interval,
                end: until_interval,
                step,
                values: vec![None; count],
            });
        }
        let base = i64::from(base);
        let first = archive.slot_offset(base, from_interval);
        let last = archive.slot_offset(base, until_interval);
        let bytes = self.read_ring(index, first, last, "Unable to read datapoints")?;
        let mut expected = from_interval;
        let values = bytes
            .chunks_exact(12)
            .map(|chunk| {
                let (ts, value) = decode_point(chunk);
                let v = (i64::from(ts) == expected).then_some(value);
                expected = expected.saturating_add(step);
                v
            })
            .collect();
        Ok(Fetched {
            start: from_interval,
            end: until_interval,
            step,
            values,
        })
    }

    /// `__propagate`: aggregates the window of `higher` under the `lower` interval containing
    /// `timestamp` and writes it to `lower` if enough of the window is known.
    fn propagate(&mut self, timestamp: i64, higher: usize, lower: usize) -> Result<bool> {
        let mut point = Vec::with_capacity(1);
        let propagated = self.propagate_into(timestamp, higher, lower, None, &mut point)?;
        for (offset, bytes) in point {
            self.write(lower, offset, &bytes)?;
        }
        Ok(propagated)
    }

    /// One level of `__archive_update_many`'s propagation: `__propagate(interval, higher,
    /// lower)` for each of `intervals` (aligned to `lower`, in set order), with the results and
    /// final bytes of [`Self::propagate`] called for each but fewer system calls. The level
    /// writes only to `lower`, so when the windows lie close together they are cut from one
    /// read of `higher`, and the points are written once all are computed, one write per run
    /// of adjacent slots (of two points for one slot the later still wins).
    fn propagate_level(&mut self, intervals: &[u32], higher: usize, lower: usize) -> Result<bool> {
        let hi = self.header.archives[higher];
        let lo = self.header.archives[lower];
        let hi_base = self.base(higher)?;
        let step = i64::from(hi.seconds_per_point);
        let window_points = i64::from(lo.seconds_per_point / hi.seconds_per_point);
        let min = intervals.iter().copied().min().map_or(0, i64::from);
        let max = intervals.iter().copied().max().map_or(0, i64::from);
        let span_points = (max - min) / step + window_points;
        let span = if intervals.len() > 1
            && hi_base != 0
            && window_points > 0
            && lo.seconds_per_point.is_multiple_of(hi.seconds_per_point)
            && span_points <= i64::from(hi.points)
            && span_points <= 2 * window_points * intervals.len() as i64
        {
            let first = hi.slot_offset(i64::from(hi_base), min);
            let relative_last =
                (first - u64::from(hi.offset) + span_points as u64 * POINT_SIZE) % hi.size_bytes();
            let last = relative_last + u64::from(hi.offset);
            Some(self.read_ring(higher, first, last, "Unable to read datapoints")?)
        } else {
            None
        };
        let mut points = Vec::with_capacity(intervals.len());
        let mut computed = Ok(false);
        for &interval in intervals {
            let span = span.as_deref().map(|s| (min, s));
            match self.propagate_into(i64::from(interval), higher, lower, span, &mut points) {
                Ok(true) => computed = Ok(true),
                Ok(false) => {}
                Err(e) => {
                    computed = Err(e);
                    break;
                }
            }
        }
        // Whatever was computed is written, as whisper would have written it already.
        let written = self.write_points(lower, points);
        let propagated = computed?;
        written?;
        Ok(propagated)
    }

    /// Writes `(offset, point)` pairs into archive `index` with the result of writing them one
    /// by one in order, in one write per run of adjacent slots.
    fn write_points(&mut self, index: usize, mut points: Vec<(u64, [u8; 12])>) -> Result<()> {
        // Stable: of equal offsets the later stays later, and overwrites the earlier below.
        points.sort_by_key(|&(offset, _)| offset);
        let mut i = 0;
        while i < points.len() {
            let start = points[i].0;
            let mut bytes: Vec<u8> = Vec::with_capacity(12 * (points.len() - i));
            while i < points.len() && points[i].0 <= start + bytes.len() as u64 {
                let (offset, point) = points[i];
                if offset == start + bytes.len() as u64 {
                    bytes.extend_from_slice(&point);
                } else {
                    let len = bytes.len();
                    bytes[len - 12..].copy_from_slice(&point);
                }
                i += 1;
            }
            self.write(index, start, &bytes)?;
        }
        Ok(())
    }

    /// `__propagate` up to the write: the point for `lower` and its offset, pushed onto
    /// `points` (the base cache already knowing about it). The window comes from `span`, the
    /// higher archive's points from interval `span.0` on, when given, else from the file.
    fn propagate_into(
        &mut self,
        timestamp: i64,
        higher: usize,
        lower: usize,
        span: Option<(i64, &[u8])>,
        points: &mut Vec<(u64, [u8; 12])>,
    ) -> Result<bool> {
        let hi = self.header.archives[higher];
        let lo = self.header.archives[lower];
        let lower_interval = align(timestamp, lo.seconds_per_point);
        let window_bytes = u64::from(lo.seconds_per_point / hi.seconds_per_point) * POINT_SIZE;
        let bytes = if let Some((span_start, span)) = span {
            let at = (lower_interval - span_start) / i64::from(hi.seconds_per_point);
            let at = at as usize * POINT_SIZE as usize;
            span[at..at + window_bytes as usize].to_vec()
        } else {
            let hi_base = self.base(higher)?;
            let first = if hi_base == 0 {
                u64::from(hi.offset)
            } else {
                hi.slot_offset(i64::from(hi_base), lower_interval)
            };
            let relative_last = (first - u64::from(hi.offset) + window_bytes) % hi.size_bytes();
            let last = relative_last + u64::from(hi.offset);
            self.read_ring(higher, first, last, "Unable to read datapoints")?
        };

        let step = i64::from(hi.seconds_per_point);
        let mut expected = lower_interval;
        let mut known = 0usize;
        let window: Vec<Option<f64>> = bytes
            .chunks_exact(12)
            .map(|chunk| {
                let (ts, value) = decode_point(chunk);
                let v = (i64::from(ts) == expected).then_some(value);
                known += usize::from(v.is_some());
                expected = expected.saturating_add(step);
                v
            })
            .collect();
        if known == 0 {
            return Ok(false);
        }
        // The xFilesFactor is compared as the stored f32 widened to f64 (0.1 is 0.10000000149).
        let known_fraction = known as f64 / window.len() as f64;
        if known_fraction < f64::from(self.header.x_files_factor) {
            return Ok(false);
        }
        let value = aggregate(self.header.aggregation_method, &window).expect("known > 0");
        let interval = to_u32(lower_interval)?;
        let point = encode_point(interval, value);
        let lo_base = self.base(lower)?;
        let offset = if lo_base == 0 {
            u64::from(lo.offset)
        } else {
            lo.slot_offset(i64::from(lo_base), lower_interval)
        };
        if offset == u64::from(lo.offset) {
            self.bases[lower] = Some(interval);
        }
        points.push((offset, point));
        Ok(true)
    }

    /// `__archive_update_many`: writes chronologically ordered points into archive `index` and
    /// propagates them down. Every aligned timestamp must already be known to fit in u32.
    fn archive_update_many(&mut self, index: usize, points: &[(i64, f64)]) -> Result<()> {
        let archive = self.header.archives[index];
        let spp = archive.seconds_per_point;
        let step = i64::from(spp);
        let aligned: Vec<(i64, f64)> = points.iter().map(|&(t, v)| (align(t, spp), v)).collect();

        // Runs of contiguous intervals, keeping the last of equal intervals. Python tests
        // `not previousInterval`, so an interval of 0 does not end a run either.
        let mut runs: Vec<(i64, Vec<u8>)> = Vec::new();
        let mut current: Vec<u8> = Vec::new();
        let mut previous: Option<i64> = None;
        for (i, &(interval, value)) in aligned.iter().enumerate() {
            if aligned.get(i + 1).is_some_and(|next| next.0 == interval) {
                continue;
            }
            let point = encode_point(interval as u32, value);
            match previous {
                Some(p) if p != 0 && interval != p + step => {
                    let n = (current.len() / 12) as i64;
                    runs.push((p - step * (n - 1), std::mem::take(&mut current)));
                }
                _ => {}
            }
            current.extend_from_slice(&point);
            previous = Some(interval);
        }
        if let Some(p) = previous {
            let n = (current.len() / 12) as i64;
            runs.push((p - step * (n - 1), current));
        }

        let stored_base = self.base(index)?;
        let base = if stored_base == 0 {
            runs[0].0
        } else {
            i64::from(stored_base)
        };
        let archive_start = u64::from(archive.offset);
        let archive_end = archive.end_offset();
        for (start_interval, bytes) in runs {
            // A run longer than the ring only leaves its last ring's worth; whisper would write
            // the excess past the archive's end into the next archive.
            let excess = (bytes.len() as u64).saturating_sub(archive.size_bytes()) as usize;
            let bytes = &bytes[excess..];
            let start_interval = start_interval + (excess / 12) as i64 * step;
            let offset = archive.slot_offset(base, start_interval);
            let beyond = (offset + bytes.len() as u64).saturating_sub(archive_end) as usize;
            if beyond > 0 {
                let split = bytes.len() - beyond;
                self.write(index, offset, &bytes[..split])?;
                self.write(index, archive_start, &bytes[split..])?;
            } else {
                self.write(index, offset, bytes)?;
            }
        }

        let mut higher = index;
        let lowers: Vec<usize> = (0..self.header.archives.len())
            .filter(|&i| self.header.archives[i].seconds_per_point > spp)
            .collect();
        for lower in lowers {
            let lower_spp = self.header.archives[lower].seconds_per_point;
            let intervals =
                set_iteration_order(aligned.iter().map(|&(t, _)| align(t, lower_spp) as u32));
            if !self.propagate_level(&intervals, higher, lower)? {
                break;
            }
            higher = lower;
        }
        Ok(())
    }
}

/// Splits points (any order) into per-archive runs as `file_update_many` does: sorted newest
/// first (stably), each archive taking the points it covers, the rest dropped. Each run is
/// returned in the chronological order `__archive_update_many` receives.
fn assign_archives(
    archives: &[ArchiveInfo],
    points: &[(i64, f64)],
    now: i64,
) -> Vec<(usize, Vec<(i64, f64)>)> {
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.0));
    let mut runs = Vec::new();
    let mut index = 0usize;
    let mut current: Vec<(i64, f64)> = Vec::new();
    for point in sorted {
        let age = now.saturating_sub(point.0);
        while (archives[index].retention() as i64) < age {
            if !current.is_empty() {
                current.reverse();
                runs.push((index, std::mem::take(&mut current)));
            }
            index += 1;
            if index == archives.len() {
                return runs;
            }
        }
        current.push(point);
    }
    if !current.is_empty() {
        current.reverse();
        runs.push((index, current));
    }
    runs
}

/// `ts - ts % spp` with Python's floor modulo.
fn align(timestamp: i64, seconds_per_point: u32) -> i64 {
    // Saturating: absurd timestamps (near i64's ends) are refused later, never overflow here.
    timestamp.saturating_sub(timestamp.rem_euclid(i64::from(seconds_per_point)))
}

fn to_u32(timestamp: i64) -> Result<u32> {
    u32::try_from(timestamp).map_err(|_| Error::TimestampOutOfRange(timestamp))
}

fn checked_xff(x: f64) -> Result<f32> {
    if !(0.0..=1.0).contains(&x) {
        return Err(Error::InvalidXFilesFactor(format!(
            "Invalid xFilesFactor {}, not between 0 and 1",
            crate::pyfmt::float_repr(x)
        )));
    }
    Ok(x as f32)
}

fn layout(archives: &[ArchiveSpec], method: AggregationMethod, xff: f32) -> Result<Header> {
    let too_big = || {
        Error::InvalidConfiguration(
            "The archives describe a file larger than whisper's 32-bit offsets allow".into(),
        )
    };
    let max_retention = archives
        .iter()
        .map(ArchiveSpec::retention)
        .max()
        .unwrap_or(0);
    let mut offset = Header::size_for(archives.len());
    let mut infos = Vec::with_capacity(archives.len());
    for a in archives {
        infos.push(ArchiveInfo {
            offset: u32::try_from(offset).map_err(|_| too_big())?,
            seconds_per_point: a.seconds_per_point,
            points: a.points,
        });
        offset += u64::from(a.points) * POINT_SIZE;
    }
    Ok(Header {
        aggregation_method: method,
        max_retention: u32::try_from(max_retention).map_err(|_| {
            Error::InvalidConfiguration(format!(
                "A retention of {max_retention} seconds does not fit whisper's 32-bit field"
            ))
        })?,
        x_files_factor: xff,
        archives: infos,
    })
}

/// Archive indexes in order of retention (a stable sort, as Python's).
fn by_retention(archives: &[ArchiveInfo]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..archives.len()).collect();
    order.sort_by_key(|&i| archives[i].retention());
    order
}

fn already_exists(path: &Path) -> Error {
    Error::InvalidConfiguration(format!("File {} already exists!", path.display()))
}

fn unalike(from: &Path, to: &Path, verb: &'static str) -> Error {
    Error::UnalikeArchives {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        verb,
    }
}

/// `pread` until `buf` is full or the file ends; returns the bytes read.
fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_reports_an_existing_file_before_a_bad_x_files_factor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.wsp");
        let w = Whisper::default();
        let archives = [ArchiveSpec::new(60, 10)];
        w.create(&path, &archives, &CreateOptions::default())
            .unwrap();
        let bad = CreateOptions {
            x_files_factor: 1.5,
            ..CreateOptions::default()
        };
        let e = w.create(&path, &archives, &bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("File {} already exists!", path.display())
        );
        let e = w
            .create(&dir.path().join("b.wsp"), &archives, &bad)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Invalid xFilesFactor 1.5, not between 0 and 1"
        );
        assert!(!dir.path().join("b.wsp").exists());
    }
}
