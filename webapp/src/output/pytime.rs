//! `datetime.fromtimestamp(ts, pytz.timezone(name)).strftime("%Y-%m-%d %H:%M:%S")`, the CSV
//! timestamp, with pytz's reading of the zone data:
//!
//! * offsets are rounded to the nearest minute (`(offset + 30) // 60 * 60`), so local mean
//!   times such as New York's −4:56:02 become −4:56;
//! * pytz reads only the 32-bit part of the zone files: before 1901-12-13 20:45:52 UTC
//!   (−2³¹) it uses the zone's first (LMT) offset, and after 2038-01-19 03:14:07 UTC (2³¹−1)
//!   it keeps the offset in force then (no daylight saving time after 2037);
//! * Python's datetime holds years 1 to 9999 only, so other instants are errors; and `%Y`
//!   is not zero-padded (glibc's `strftime`), so year 5 prints as `5`.

use chrono::{DateTime, Datelike, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

use super::{OutputError, PyException};

/// 0001-01-01T00:00:00 UTC, Python's `datetime.min`.
const MIN_SECONDS: i128 = -62_135_596_800;
/// 9999-12-31T23:59:59 UTC, the last whole second of `datetime.max`.
const MAX_SECONDS: i128 = 253_402_300_799;

/// The local wall-clock time of `ts` in `tz` as `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn local_timestamp(ts: i128, tz: Tz) -> Result<String, OutputError> {
    if i64::try_from(ts).is_err() {
        return Err(OutputError::new(
            PyException::OverflowError,
            "timestamp out of range for platform time_t",
        ));
    }
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&ts) {
        return Err(OutputError::new(
            PyException::ValueError,
            "year is out of range",
        ));
    }
    let local = ts + i128::from(pytz_offset(ts, tz));
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&local) {
        return Err(OutputError::new(
            PyException::OverflowError,
            "date value out of range",
        ));
    }
    let naive = naive_utc(local);
    Ok(format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        naive.year(),
        naive.month(),
        naive.day(),
        naive.hour(),
        naive.minute(),
        naive.second()
    ))
}

/// The UTC offset in seconds pytz applies to the UTC instant `ts` (within Python's range).
fn pytz_offset(ts: i128, tz: Tz) -> i32 {
    let probe = if ts < i128::from(i32::MIN) {
        MIN_SECONDS
    } else {
        ts.min(i128::from(i32::MAX))
    };
    let offset = tz
        .offset_from_utc_datetime(&naive_utc(probe))
        .fix()
        .local_minus_utc();
    (offset + 30).div_euclid(60) * 60
}

/// The naive UTC date-time of `seconds` (always within chrono's range here).
fn naive_utc(seconds: i128) -> NaiveDateTime {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .map(|dt| dt.naive_utc())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ts: i128, tz: Tz) -> String {
        local_timestamp(ts, tz).unwrap()
    }

    #[test]
    fn matches_pytz() {
        // Values printed by the reference's pytz.
        let ny = chrono_tz::America::New_York;
        let kolkata = chrono_tz::Asia::Kolkata;
        assert_eq!(fmt(0, ny), "1969-12-31 19:00:00");
        assert_eq!(fmt(1_710_054_000, ny), "2024-03-10 03:00:00");
        assert_eq!(fmt(2_163_035_648, ny), "2038-07-17 22:14:08");
        assert_eq!(fmt(4_117_996_800, ny), "2100-06-29 19:00:00");
        assert_eq!(fmt(-2_147_570_048, ny), "1901-12-12 15:49:52");
        assert_eq!(fmt(-5_000_000_000, ny), "1811-07-23 10:10:40");
        assert_eq!(fmt(253_402_300_799, ny), "9999-12-31 18:59:59");
        assert_eq!(fmt(-2_147_570_048, kolkata), "1901-12-13 02:38:52");
        assert_eq!(fmt(0, kolkata), "1970-01-01 05:30:00");
        assert!(local_timestamp(253_402_300_799, kolkata).is_err());
        assert!(local_timestamp(253_402_300_800, chrono_tz::UTC).is_err());
        assert_eq!(
            fmt(-62_135_596_800 + 1461 * 86400, chrono_tz::UTC),
            "5-01-01 00:00:00"
        );
    }
}
