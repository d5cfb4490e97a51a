//! The logic of `whisper-fill` and `whisper-resize`, as the reference scripts do it, with the
//! clock passed in.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::aggregate::aggregate;
use crate::database::{Fetched, Whisper};
use crate::error::{Error, Result};
use crate::format::{AggregationMethod, ArchiveInfo};
use crate::retention::ArchiveSpec;
use crate::CreateOptions;

fn sorted_by_retention(mut archives: Vec<ArchiveInfo>) -> Vec<ArchiveInfo> {
    archives.sort_by_key(ArchiveInfo::retention);
    archives
}

/// Python's truth value of an optional float: `None` and zero are false (NaN is true).
fn truthy(v: Option<f64>) -> bool {
    v.is_some_and(|v| v != 0.0)
}

/// Copies the points of `src` in `(tstart, tstop]` into `dst`, finest archive first, without
/// caring what `dst` holds (`fill()` of whisper-fill).
fn fill_range(
    w: &Whisper,
    src: &Path,
    dst: &Path,
    tstart: i64,
    mut tstop: i64,
    now: i64,
) -> Result<()> {
    let header = w.info(src)?;
    let src_time = now - i64::from(header.max_retention);
    if tstart < src_time && tstop < src_time {
        return Ok(());
    }
    for archive in sorted_by_retention(header.archives) {
        let rtime = now - archive.retention() as i64;
        if tstop <= rtime {
            continue;
        }
        let from = rtime.max(tstart);
        // The script would crash unpacking None here; nothing to copy is the sensible reading.
        if let Some(fetched) = w.fetch(src, from, Some(tstop), Some(now), None)? {
            let mut points: Vec<(i64, f64)> = fetched
                .points()
                .filter_map(|(t, v)| v.map(|v| (t, v)))
                .collect();
            points.reverse();
            w.update_many(dst, &points, Some(now))?;
        }
        tstop = from;
        if tstart == tstop {
            return Ok(());
        }
    }
    Ok(())
}

/// `whisper-fill src dst`: fills the gaps of `dst` from `src`, never overwriting a value.
///
/// As the reference, a value of 0.0 counts as a gap and gaps of a single step are left alone.
pub fn fill(w: &Whisper, src: &Path, dst: &Path, now: i64) -> Result<()> {
    let header = w.info(dst)?;
    let mut start_from = now;
    for archive in sorted_by_retention(header.archives) {
        let from = now - archive.retention() as i64;
        if from >= start_from {
            continue;
        }
        let Some(Fetched {
            start,
            end,
            step,
            values,
        }) = w.fetch(dst, from, Some(start_from), Some(now), None)?
        else {
            start_from = from;
            continue;
        };
        let mut t = start;
        // Python tests `gapstart` for truth, so a gap starting at time 0 is never seen.
        let mut gap_start: i64 = 0;
        for v in values {
            if !truthy(v) && gap_start == 0 {
                gap_start = t;
            } else if truthy(v) && gap_start != 0 {
                if t - gap_start > i64::from(archive.seconds_per_point) {
                    fill_range(w, src, dst, gap_start - step, t, now)?;
                }
                gap_start = 0;
            } else if gap_start != 0 && t == end - step {
                fill_range(w, src, dst, gap_start - step, t, now)?;
            }
            t += step;
        }
        start_from = from;
    }
    Ok(())
}

/// What `whisper-resize` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct ResizeOptions {
    /// New xFilesFactor; the file's own when `None`.
    pub x_files_factor: Option<f64>,
    /// New aggregation method; the file's own when `None`.
    pub aggregation_method: Option<AggregationMethod>,
    /// Write the result to this file and leave the original alone.
    pub new_file: Option<PathBuf>,
    /// Delete the `.bak` copy of the original at the end.
    pub no_backup: bool,
    /// Re-aggregate old points into the new archives instead of copying them.
    pub aggregate: bool,
}

/// `bisect.bisect_left(a, x, lo)`.
fn bisect_left(a: &[i64], x: i64, mut lo: usize) -> usize {
    let mut hi = a.len();
    while lo < hi {
        let mid = (lo + hi) / 2;
        if a[mid] < x {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

fn py_int_list(values: &[i64]) -> String {
    let items: Vec<String> = values.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn py_range(start: i64, stop: i64, step: i64) -> String {
    if step == 1 {
        format!("range({start}, {stop})")
    } else {
        format!("range({start}, {stop}, {step})")
    }
}

/// `whisper-resize path archives...`: rebuilds `path` with new archives, printing the
/// reference's progress lines to `log`. The old file becomes `path.bak` unless `no_backup`.
pub fn resize(
    w: &Whisper,
    path: &Path,
    new_archives: &[ArchiveSpec],
    opts: &ResizeOptions,
    now: i64,
    log: &mut dyn Write,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io(path, e);
    let info = w.info(path)?;
    // Lowest precision first.
    let mut old_archives = info.archives.clone();
    old_archives.sort_by_key(|a| std::cmp::Reverse(a.seconds_per_point));
    let xff = opts
        .x_files_factor
        .unwrap_or(f64::from(info.x_files_factor));
    let method = opts.aggregation_method.unwrap_or(info.aggregation_method);

    writeln!(log, "Retrieving all data from the archives").map_err(io)?;
    let mut old_data = Vec::with_capacity(old_archives.len());
    for archive in &old_archives {
        let from = now - archive.retention() as i64 + i64::from(archive.seconds_per_point);
        let fetched = w.fetch(path, from, Some(now), Some(now), None)?;
        old_data.push((*archive, fetched));
    }

    let new_file = match &opts.new_file {
        Some(p) => p.clone(),
        None => {
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".tmp");
            let tmp = PathBuf::from(tmp);
            if tmp.exists() {
                writeln!(
                    log,
                    "Removing previous temporary database file: {}",
                    tmp.display()
                )
                .map_err(io)?;
                std::fs::remove_file(&tmp).map_err(|e| Error::io(&tmp, e))?;
            }
            tmp
        }
    };
    writeln!(log, "Creating new whisper database: {}", new_file.display()).map_err(io)?;
    w.create(
        &new_file,
        new_archives,
        &CreateOptions {
            x_files_factor: xff,
            aggregation_method: method,
            ..CreateOptions::default()
        },
    )?;
    let size = std::fs::metadata(&new_file)
        .map_err(|e| Error::io(&new_file, e))?
        .len();
    writeln!(log, "Created: {} ({size} bytes)", new_file.display()).map_err(io)?;

    if opts.aggregate {
        writeln!(log, "Migrating data with aggregation...").map_err(io)?;
        migrate_with_aggregation(w, &new_file, &old_data, method, xff, now, log)?;
    } else {
        writeln!(log, "Migrating data without aggregation...").map_err(io)?;
        for (_, fetched) in &old_data {
            let points: Vec<(i64, f64)> = fetched
                .iter()
                .flat_map(Fetched::points)
                .filter_map(|(t, v)| v.map(|v| (t, v)))
                .collect();
            w.update_many(&new_file, &points, Some(now))?;
        }
    }

    if opts.new_file.is_some() {
        return Ok(());
    }
    let mut backup = path.as_os_str().to_owned();
    backup.push(".bak");
    let backup = PathBuf::from(backup);
    writeln!(log, "Renaming old database to: {}", backup.display()).map_err(io)?;
    std::fs::rename(path, &backup).map_err(io)?;
    writeln!(log, "Renaming new database to: {}", path.display()).map_err(io)?;
    if let Err(e) = std::fs::rename(&new_file, path) {
        writeln!(log, "\nOperation failed, restoring backup").map_err(io)?;
        std::fs::rename(&backup, path).map_err(io)?;
        return Err(io(e));
    }
    if opts.no_backup {
        writeln!(log, "Unlinking backup: {}", backup.display()).map_err(io)?;
        std::fs::remove_file(&backup).map_err(|e| Error::io(&backup, e))?;
    }
    Ok(())
}

/// The `--aggregate` branch of whisper-resize: merges the old archives into one series (finest
/// data wins where they overlap) and re-buckets it for each new archive.
fn migrate_with_aggregation(
    w: &Whisper,
    new_file: &Path,
    old_data: &[(ArchiveInfo, Option<Fetched>)],
    method: AggregationMethod,
    xff: f64,
    now: i64,
    log: &mut dyn Write,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io(new_file, e);
    let mut finest_first: Vec<&(ArchiveInfo, Option<Fetched>)> = old_data.iter().collect();
    finest_first.sort_by_key(|(a, _)| a.seconds_per_point);
    // Newest first while merging, as the script builds it.
    let mut all: Vec<(i64, Option<f64>)> = Vec::new();
    for (_, fetched) in finest_first {
        let mut points: Vec<(i64, Option<f64>)> =
            fetched.iter().flat_map(Fetched::points).collect();
        points.reverse();
        let slice_end = match all.last() {
            Some(&(last_ts, _)) => points.iter().position(|&(t, _)| t < last_ts).unwrap_or(0),
            None => 0,
        };
        all.extend_from_slice(&points[slice_end..]);
    }
    all.reverse();
    let old_timestamps: Vec<i64> = all.iter().map(|p| p.0).collect();
    let old_values: Vec<Option<f64>> = all.iter().map(|p| p.1).collect();
    writeln!(log, "oldtimestamps: {}", py_int_list(&old_timestamps)).map_err(io)?;

    for archive in w.info(new_file)?.archives {
        let step = i64::from(archive.seconds_per_point);
        let from = now - archive.retention() as i64 + now.rem_euclid(step);
        let until = now + now.rem_euclid(step) + step;
        writeln!(log, "({from},{until},{step})").map_err(io)?;
        writeln!(log, "timepoints_to_update: {}", py_range(from, until, step)).map_err(io)?;
        let bounds: Vec<i64> = (from..until).step_by(step as usize).collect();
        let mut new_points = Vec::new();
        for pair in bounds.windows(2) {
            let left = bisect_left(&old_timestamps, pair[0], 0);
            let right = bisect_left(&old_timestamps, pair[1], left);
            let window = &old_values[left..right];
            let known = window.iter().flatten().count();
            if known > 0 && known as f64 / window.len() as f64 >= xff {
                if let Some(v) = aggregate(method, window) {
                    new_points.push((pair[0], v));
                }
            }
        }
        w.update_many(new_file, &new_points, Some(now))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reprs() {
        assert_eq!(py_int_list(&[1, 2]), "[1, 2]");
        assert_eq!(py_int_list(&[]), "[]");
        assert_eq!(py_range(0, 10, 5), "range(0, 10, 5)");
        assert_eq!(py_range(0, 10, 1), "range(0, 10)");
    }

    #[test]
    fn bisect_matches_python() {
        let a = [1, 2, 2, 4];
        assert_eq!(bisect_left(&a, 2, 0), 1);
        assert_eq!(bisect_left(&a, 3, 0), 3);
        assert_eq!(bisect_left(&a, 5, 2), 4);
        assert_eq!(bisect_left(&a, 0, 2), 2);
    }
}
