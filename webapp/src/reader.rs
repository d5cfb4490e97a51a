//! Reading one whisper leaf, as graphite-web 1.1.10's `readers/whisper.py` (`WhisperReader`)
//! and `readers/utils.py` (`merge_with_cache`) do: [`fetch_whisper`] reads the file and
//! [`merge_with_cache`] lays carbon-cache's unflushed points (from
//! [`carbonlink`](crate::carbonlink)) over the values.
//!
//! # Fetch
//! `from` is clamped to the oldest retained point and `until` to `now`; a range entirely in
//! the future or older than the file gives `None`. The archive read is the first (finest) whose
//! retention covers `now - from`. Timestamps are `(from - from % step) + step` and the same for
//! `until` (at least one point). See [`whisper::Whisper::fetch`].
//!
//! # Merge
//! 1. When the file's finest step (`raw_step`) is above 1 s, only the **last** cached value
//!    (in the cache's order) of each raw-step bucket is kept, as whisper would store it.
//! 2. When the fetched archive's step differs from the raw step, the cached points are
//!    consolidated into `step` buckets with the file's aggregation method.
//! 3. Each resulting value **overwrites** the whisper value at `(ts - start) // step` (Python's
//!    `int()` truncation, then floor division), even a known one; points before `start` or past
//!    the end are ignored.
//!
//! # Differences from the reference
//! - A file whose aggregation method is `absmax` or `absmin` makes the reference raise
//!   ("Invalid consolidation function") when cached points need consolidating, which fails the
//!   whole fetch; here they are consolidated as whisper aggregates (the value of largest or
//!   smallest magnitude).

use std::path::Path;

use whisper::{AggregationMethod, Whisper};

/// One cached point as carbon-cache answers it: `(timestamp, value)`. Timestamps are the
/// floats the cache holds (whole numbers unless a client sent fractions).
pub type CachedPoint = (f64, f64);

/// A leaf read from a whisper file.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Timestamp of the first value.
    pub start: i64,
    /// One step past the last value.
    pub end: i64,
    /// Seconds between values.
    pub step: i64,
    /// The values, `None` where the file has no point.
    pub values: Vec<Option<f64>>,
    /// The finest archive's step (`archives[0].secondsPerPoint`).
    pub raw_step: i64,
    /// The file's aggregation method.
    pub aggregation_method: AggregationMethod,
}

impl Fetched {
    /// Lays `cached` over the values ([`merge_with_cache`] with this file's raw step and
    /// aggregation method).
    pub fn merge_cache(&mut self, cached: &[CachedPoint]) {
        merge_with_cache(
            &mut self.values,
            self.start,
            self.step,
            cached,
            self.raw_step,
            self.aggregation_method,
        );
    }
}

/// Why a leaf could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReaderError {
    /// The file is corrupt, or `from` is after `until` (whisper's `InvalidTimeInterval`), or
    /// another whisper error that is not plain I/O.
    #[error(transparent)]
    Whisper(#[from] whisper::Error),
}

/// Reads `(from, until]` of a whisper file as the reference's `WhisperReader.fetch` does,
/// before the cache merge. `Ok(None)` when the range holds no data (entirely in the future or
/// older than the file) and, as in the reference, when the file cannot be read (an I/O error,
/// such as a file removed since it was found, is logged and the leaf skipped).
pub fn fetch_whisper(
    path: &Path,
    from: i64,
    until: i64,
    now: i64,
) -> Result<Option<Fetched>, ReaderError> {
    fetch_whisper_with(&Whisper::default(), path, from, until, now)
}

/// [`fetch_whisper`] with a given [`Whisper`] handle (for its header cache and options).
pub fn fetch_whisper_with(
    db: &Whisper,
    path: &Path,
    from: i64,
    until: i64,
    now: i64,
) -> Result<Option<Fetched>, ReaderError> {
    let read = db
        .fetch(path, from, Some(until), Some(now), None)
        .and_then(|data| match data {
            Some(data) => db.info(path).map(|header| Some((data, header))),
            None => Ok(None),
        });
    let (data, header) = match read {
        Ok(Some(x)) => x,
        Ok(None) => return Ok(None),
        Err(e @ whisper::Error::Io { .. }) => {
            tracing::warn!("Failed fetch of whisper file '{}': {e}", path.display());
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let raw_step = header
        .archives
        .first()
        .map_or(data.step, |a| i64::from(a.seconds_per_point));
    Ok(Some(Fetched {
        start: data.start,
        end: data.end,
        step: data.step,
        values: data.values,
        raw_step,
        aggregation_method: header.aggregation_method,
    }))
}

/// Python's `x % m` for a float `x` and a positive int `m`: the result has `m`'s sign.
fn py_mod(x: f64, m: f64) -> f64 {
    let r = x % m;
    if r != 0.0 && r < 0.0 {
        r + m
    } else if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// A Python dict keyed by float timestamps: buckets in order of first appearance.
#[derive(Default)]
struct Buckets<T> {
    keys: Vec<f64>,
    items: Vec<T>,
    index: std::collections::HashMap<u64, usize>,
}

impl<T> Buckets<T> {
    /// The slot for `key`, made with `make` if new.
    fn slot(&mut self, key: f64, make: impl FnOnce() -> T) -> &mut T {
        // -0.0 and 0.0 are one dict key in Python.
        let bits = (key + 0.0).to_bits();
        let i = *self.index.entry(bits).or_insert_with(|| {
            self.keys.push(key);
            self.items.push(make());
            self.items.len() - 1
        });
        &mut self.items[i]
    }

    fn into_pairs(self) -> impl Iterator<Item = (f64, T)> {
        self.keys.into_iter().zip(self.items)
    }
}

/// `merge_with_cache(cached, start, step, values, func=aggregation_method, raw_step=raw_step)`:
/// writes the cached points (in the cache's order) over `values`, which start at `start` and
/// are `step` apart. See the [module documentation](self) for the three rules.
pub fn merge_with_cache(
    values: &mut [Option<f64>],
    start: i64,
    step: i64,
    cached: &[CachedPoint],
    raw_step: i64,
    aggregation_method: AggregationMethod,
) {
    if cached.is_empty() || step <= 0 {
        return;
    }
    // 1. The last value of each raw-step bucket, buckets in order of first appearance.
    let deduped: Vec<CachedPoint>;
    let points: &[CachedPoint] = if raw_step > 1 {
        let mut buckets: Buckets<f64> = Buckets::default();
        let m = raw_step as f64;
        for &(ts, v) in cached {
            *buckets.slot(ts - py_mod(ts, m), || v) = v;
        }
        deduped = buckets.into_pairs().collect();
        &deduped
    } else {
        cached
    };
    // 2. Consolidation into the fetched step.
    let consolidated: Vec<CachedPoint>;
    let points: &[CachedPoint] = if step != raw_step {
        let mut buckets: Buckets<Vec<Option<f64>>> = Buckets::default();
        let m = step as f64;
        for &(ts, v) in points {
            buckets.slot(ts - py_mod(ts, m), Vec::new).push(Some(v));
        }
        consolidated = buckets
            .into_pairs()
            .filter_map(|(ts, window)| {
                whisper::aggregate(aggregation_method, &window).map(|v| (ts, v))
            })
            .collect();
        &consolidated
    } else {
        points
    };
    // 3. Overwrite: i = int(ts - start) // step; negative skipped, past the end ignored.
    let len = values.len() as f64;
    for &(ts, v) in points {
        let offset = (ts - start as f64).trunc();
        // NaN and infinite timestamps raise in Python and are skipped by its `except`.
        if !offset.is_finite() || offset < 0.0 {
            continue;
        }
        let i = (offset / step as f64).floor();
        if i >= len {
            continue;
        }
        // `offset` is below len * step here, so the integer division is exact.
        let i = (offset as i64) / step;
        if let Some(slot) = values.get_mut(i as usize) {
            *slot = Some(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AggregationMethod::*;

    #[test]
    fn overwrite_and_bounds() {
        let mut values = vec![Some(1.0), None, Some(3.0)];
        merge_with_cache(
            &mut values,
            100,
            10,
            &[(110.0, 7.0), (99.0, 8.0), (130.0, 9.0), (100.0, 5.0)],
            10,
            Average,
        );
        assert_eq!(values, vec![Some(5.0), Some(7.0), Some(3.0)]);
    }

    #[test]
    fn last_per_raw_bucket_then_consolidate() {
        // raw step 10, archive step 60: 61 and 65 share a raw bucket (65's value wins), then
        // the 60 bucket averages 2.0 and 4.0.
        let mut values = vec![None; 2];
        let cached = [(61.0, 1.0), (75.0, 4.0), (65.0, 2.0), (125.0, 9.0)];
        merge_with_cache(&mut values, 60, 60, &cached, 10, Average);
        assert_eq!(values, vec![Some(3.0), Some(9.0)]);
        let mut values = vec![None; 2];
        merge_with_cache(&mut values, 60, 60, &cached, 10, Last);
        assert_eq!(values, vec![Some(4.0), Some(9.0)]);
    }

    #[test]
    fn truncation_quirk() {
        // int(-0.5) is 0: a point half a second before start lands on index 0.
        let mut values = vec![None; 2];
        merge_with_cache(&mut values, 100, 1, &[(99.5, 1.0), (98.5, 2.0)], 1, Sum);
        assert_eq!(values, vec![Some(1.0), None]);
    }
}
