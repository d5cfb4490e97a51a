//! `from`/`until`/`now` parsing: graphite-web's `render/attime.py` (`parseATTime`,
//! `parseTimeReference`, `parseTimeOffset`) with its quirks, and pytz's time zone semantics.
//!
//! # Syntax (as the reference reads it)
//! The input is stripped, lowercased and loses every `_`, `,` and space. Then:
//! - all digits: a UNIX timestamp, except 8 digits that look like `YYYYMMDD` (year > 1900,
//!   month < 13, day < 32), which are a date;
//! - otherwise the text is split at the first `+` (or, when there is none, the first `-`) into a
//!   *reference* and an *offset*: `now-1d`, `midnight+1h`, `-5min`, `12:30_20240101`.
//!
//! A reference is `now` (or nothing), or an optional time of day (`H:MM`, `HH:MM`, `Ham`,
//! `HHpm`, `noon`, `midnight`, `teatime`; `12am` is 12:00 and `12pm` is 00:00, as in the
//! reference) followed by a day: `yesterday`, `today`, `tomorrow`, `MM/DD/YY[YY]`, `YYYYMMDD`, a
//! month name and day (`jan5`, `january05`) or a weekday (`monday`: the most recent one, today
//! included). An offset is a sign followed by `<number><unit>` terms; units are matched by
//! prefix: `s`, `min`, `h`, `d`, `w`, `mon` (30 days), `y` (365 days). `m` alone is an error.
//!
//! # Time zones
//! Date references are wall-clock times in the request's zone, converted the way pytz's
//! `localize(is_dst=False)` does: a time skipped by a DST jump uses the offset from before the
//! jump (`02:30` on a spring-forward day is `03:30` in summer time), an ambiguous time picks
//! standard time. Offsets are added to the instant (pytz's `normalize`), so `-1d` is always
//! 86400 s. Like pytz, offsets are rounded to whole minutes, local mean time is used before
//! 1901-12-13 and the last transition before 2038 stays in force afterwards.
//!
//! Inputs outside Python's `datetime` range (years 1..=9999) are errors; nothing panics.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike};
use chrono_tz::{OffsetComponents, Tz};

pub(crate) mod pyunicode;

/// Why a time expression was rejected; the message is meant for the HTTP 400 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtTimeError {
    /// The day part of a reference is not one the reference knows (`foo`, `2024-01-01`'s
    /// `2024`...).
    #[error("Unknown day reference: {0}")]
    UnknownDayReference(String),
    /// A month name without a day of month (`jan`).
    #[error("Day of month required after month name")]
    DayOfMonthRequired(String),
    /// An offset unit that is not a prefix-match of s/min/h/d/w/mon/y (`m`, `x`, or nothing).
    #[error("Invalid offset unit '{0}'")]
    InvalidOffsetUnit(String),
    /// An offset that does not start with a sign or a digit.
    #[error("Invalid offset \"{0}\": expected +, - or a number")]
    InvalidOffset(String),
    /// An offset term without its number (`-d`, `+1d-`).
    #[error("Invalid offset \"{0}\": a number must come before each unit")]
    MissingOffsetNumber(String),
    /// A number in a reference that does not parse (`1x:00`, `5:`, `jan²`).
    #[error("Invalid number \"{number}\" in time reference \"{reference}\"")]
    InvalidNumber {
        /// The text that should have been a number.
        number: String,
        /// The whole reference.
        reference: String,
    },
    /// An hour outside 0..=23 or a minute outside 0..=59.
    #[error("Invalid time of day in \"{0}\": hour must be 0-23 and minute 0-59")]
    InvalidTimeOfDay(String),
    /// A calendar date that does not exist (`02/30/2024`, `20240001`).
    #[error("Invalid date in \"{0}\"")]
    InvalidDate(String),
    /// The result, or a step on the way, is outside years 1..=9999 (or an offset is longer than
    /// Python's `timedelta` allows).
    #[error("Time out of range: \"{0}\"")]
    OutOfRange(String),
}

type Result<T> = std::result::Result<T, AtTimeError>;

/// Parses `s` (a `from`/`until`/`now` value or a `date` function parameter) relative to `now`,
/// in the zone `tz`, exactly as graphite-web's `parseATTime(s, tz, now)` does.
pub fn parse_at_time(s: &str, tz: Tz, now: DateTime<Tz>) -> Result<DateTime<Tz>> {
    let pytz = PyTz { tz };
    let range = || AtTimeError::OutOfRange(s.to_string());
    let normalized: String = pyunicode::strip(s)
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '_' | ',' | ' '))
        .collect();
    let chars: Vec<char> = normalized.chars().collect();

    if !chars.is_empty() && chars.iter().all(|&c| pyunicode::is_digit(c)) {
        let int = |part: &[char]| {
            pyunicode::int(part).ok_or_else(|| AtTimeError::InvalidNumber {
                number: part.iter().collect(),
                reference: normalized.clone(),
            })
        };
        let yyyymmdd = chars.len() == 8
            && int(&chars[..4])? > 1900
            && int(&chars[4..6])? < 13
            && int(&chars[6..])? < 32;
        if !yyyymmdd {
            // datetime.fromtimestamp(int(s), tz): the instant is the number itself.
            let ts = match pyunicode::int(&chars) {
                Some(ts) => ts,
                None if chars.iter().all(|&c| pyunicode::decimal_value(c).is_some()) => {
                    return Err(range());
                }
                None => int(&chars)?,
            };
            let utc = DateTime::from_timestamp(ts, 0)
                .map(|d| d.naive_utc())
                .ok_or_else(range)?;
            let utc = check_range(utc).ok_or_else(range)?;
            pytz.fromutc(utc).ok_or_else(range)?;
            return Ok(tz.from_utc_datetime(&utc));
        }
    }

    let split = chars
        .iter()
        .position(|&c| c == '+')
        .or_else(|| chars.iter().position(|&c| c == '-'));
    let (reference, offset) = match split {
        Some(i) => (&chars[..i], &chars[i..]),
        None => (&chars[..], &chars[chars.len()..]),
    };

    let now_utc = check_range(truncate_to_micros(now.naive_utc())).ok_or_else(range)?;
    let (now_local, _) = pytz.fromutc(now_utc).ok_or_else(range)?;
    let reference = parse_time_reference(&pytz, reference, now_local, s)?;
    let offset = parse_offset_chars(offset, &normalized)?;
    // pytz: (aware datetime + timedelta) then tz.normalize(...).
    let wall = add_seconds(reference.wall, offset).ok_or_else(range)?;
    let utc = add_seconds(wall, -reference.offset).ok_or_else(range)?;
    pytz.fromutc(utc).ok_or_else(range)?;
    Ok(tz.from_utc_datetime(&utc))
}

/// Parses an offset such as `-1d`, `+5min`, `1h30min` or `3weeks` into signed seconds, exactly
/// as graphite-web's `parseTimeOffset` (months are 30 days, years 365 days; the sign applies to
/// every term; the text is used as given, so units are case-sensitive here).
pub fn parse_time_offset(s: &str) -> Result<i64> {
    let chars: Vec<char> = s.chars().collect();
    parse_offset_chars(&chars, s)
}

/// The time zone a pytz name designates (`pytz.timezone(name)`): case-insensitive, `UTC` in any
/// case, and the old `_plus_`/`_minus_` spellings. `None` for unknown or non-ASCII names.
pub fn parse_tz(name: &str) -> Option<Tz> {
    if name.to_uppercase() == "UTC" {
        return Some(Tz::UTC);
    }
    if !name.is_ascii() {
        return None;
    }
    let name = name.replace("_plus_", "+").replace("_minus_", "-");
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    chrono_tz::TZ_VARIANTS
        .iter()
        .copied()
        .find(|tz| tz.name().eq_ignore_ascii_case(&name))
}

// ---------------------------------------------------------------------------------------------
// parseTimeReference

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn parse_time_reference(pytz: &PyTz, raw: &[char], now: Aware, input: &str) -> Result<Aware> {
    if raw.is_empty() || raw == ['n', 'o', 'w'] {
        return Ok(now);
    }
    let raw_text: String = raw.iter().collect();
    let range = || AtTimeError::OutOfRange(input.to_string());
    let int = |part: &[char]| {
        pyunicode::int(part).ok_or_else(|| AtTimeError::InvalidNumber {
            number: part.iter().collect(),
            reference: raw_text.clone(),
        })
    };

    let mut r = raw;
    let (mut hour, mut minute): (i64, i64) = (0, 0);

    // Time of day: H:MM or HH:MM, then am/pm.
    if let Some(i) = find(r, ":") {
        if 0 < i && i < 3 {
            hour = int(&r[..i])?;
            minute = int(&r[(i + 1).min(r.len())..(i + 3).min(r.len())])?;
            r = &r[(i + 3).min(r.len())..];
            if r.starts_with(&['a', 'm']) {
                r = &r[2..];
            } else if r.starts_with(&['p', 'm']) {
                hour = (hour + 12).rem_euclid(24);
                r = &r[2..];
            }
        }
    }
    // Xam or XXam (12am stays 12).
    if let Some(i) = find(r, "am") {
        if 0 < i && i < 3 {
            hour = int(&r[..i])?;
            r = &r[i + 2..];
        }
    }
    // Xpm or XXpm (12pm becomes 0).
    if let Some(i) = find(r, "pm") {
        if 0 < i && i < 3 {
            hour = (int(&r[..i])? + 12).rem_euclid(24);
            r = &r[i + 2..];
        }
    }
    for (word, h) in [("noon", 12), ("midnight", 0), ("teatime", 16)] {
        if starts_with(r, word) {
            (hour, minute) = (h, 0);
            r = &r[word.len()..];
            break;
        }
    }

    let (Ok(h), Ok(m)) = (u32::try_from(hour), u32::try_from(minute)) else {
        return Err(AtTimeError::InvalidTimeOfDay(raw_text));
    };
    let mut ref_date = now
        .wall
        .date()
        .and_hms_opt(h, m, 0)
        .ok_or_else(|| AtTimeError::InvalidTimeOfDay(raw_text.clone()))?;
    let at = |y: i64, mo: i64, d: i64| -> Result<NaiveDateTime> {
        let invalid = || AtTimeError::InvalidDate(raw_text.clone());
        let y = i32::try_from(y).map_err(|_| invalid())?;
        let mo = u32::try_from(mo).map_err(|_| invalid())?;
        let d = u32::try_from(d).map_err(|_| invalid())?;
        if !(1..=9999).contains(&y) {
            return Err(invalid());
        }
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_opt(h, m, 0))
            .ok_or_else(invalid)
    };

    let word: String = r.iter().collect();
    let head: String = r.iter().take(3).collect();
    if matches!(word.as_str(), "yesterday" | "today" | "tomorrow") {
        let days = match word.as_str() {
            "yesterday" => -1,
            "tomorrow" => 1,
            _ => 0,
        };
        ref_date = add_seconds(ref_date, days * 86400).ok_or_else(range)?;
    } else if r.iter().filter(|&&c| c == '/').count() == 2 {
        // MM/DD/YY[YY]
        let mut parts = r.split(|&c| c == '/');
        let (Some(mo), Some(d), Some(y)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(AtTimeError::InvalidDate(raw_text));
        };
        let (mo, d, mut y) = (int(mo)?, int(d)?, int(y)?);
        if y < 1900 {
            y += 1900;
        }
        if y < 1970 {
            y += 100;
        }
        ref_date = at(y, mo, d)?;
    } else if r.len() == 8 && r.iter().all(|&c| pyunicode::is_digit(c)) {
        // YYYYMMDD
        ref_date = at(int(&r[..4])?, int(&r[4..6])?, int(&r[6..8])?)?;
    } else if let Some(month) = MONTHS.iter().position(|&mo| mo == head) {
        // Month name and day of month: the last two characters if both are digits, else the
        // last one.
        let last2 = &r[r.len().saturating_sub(2)..];
        let last1 = &r[r.len().saturating_sub(1)..];
        let all_digits = |s: &[char]| !s.is_empty() && s.iter().all(|&c| pyunicode::is_digit(c));
        let day = if all_digits(last2) {
            int(last2)?
        } else if all_digits(last1) {
            int(last1)?
        } else {
            return Err(AtTimeError::DayOfMonthRequired(raw_text));
        };
        ref_date = at(i64::from(ref_date.year()), month as i64 + 1, day)?;
    } else if let Some(target) = WEEKDAYS.iter().position(|&wd| wd == head) {
        // The most recent such weekday, today included.
        let today = ref_date.weekday().num_days_from_sunday() as i64;
        let mut back = today - target as i64;
        if back < 0 {
            back += 7;
        }
        ref_date = add_seconds(ref_date, -back * 86400).ok_or_else(range)?;
    } else if !r.is_empty() {
        return Err(AtTimeError::UnknownDayReference(raw_text));
    }

    pytz.localize(ref_date).ok_or_else(range)
}

// ---------------------------------------------------------------------------------------------
// parseTimeOffset

/// Python's `timedelta` limit: |days| <= 999999999.
const TIMEDELTA_MAX_DAYS: i128 = 999_999_999;

fn parse_offset_chars(offset: &[char], input: &str) -> Result<i64> {
    let Some(&first) = offset.first() else {
        return Ok(0);
    };
    let (sign, mut rest): (i128, &[char]) = if pyunicode::is_digit(first) {
        (1, offset)
    } else {
        match first {
            '+' => (1, &offset[1..]),
            '-' => (-1, &offset[1..]),
            _ => return Err(AtTimeError::InvalidOffset(input.to_string())),
        }
    };
    let in_timedelta_range = |secs: i128| secs.div_euclid(86400).abs() <= TIMEDELTA_MAX_DAYS;
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let digits = rest.iter().take_while(|&&c| pyunicode::is_digit(c)).count();
        if digits == 0 {
            return Err(AtTimeError::MissingOffsetNumber(input.to_string()));
        }
        let num = pyunicode::int(&rest[..digits]).ok_or_else(|| {
            if rest[..digits]
                .iter()
                .all(|&c| pyunicode::decimal_value(c).is_some())
            {
                AtTimeError::OutOfRange(input.to_string())
            } else {
                AtTimeError::InvalidNumber {
                    number: rest[..digits].iter().collect(),
                    reference: input.to_string(),
                }
            }
        })?;
        rest = &rest[digits..];
        let letters = rest.iter().take_while(|&&c| pyunicode::is_alpha(c)).count();
        let unit = &rest[..letters];
        rest = &rest[letters..];
        let seconds_per_unit: i128 = if starts_with(unit, "s") {
            1
        } else if starts_with(unit, "min") {
            60
        } else if starts_with(unit, "h") {
            3600
        } else if starts_with(unit, "d") {
            86400
        } else if starts_with(unit, "w") {
            7 * 86400
        } else if starts_with(unit, "mon") {
            30 * 86400
        } else if starts_with(unit, "y") {
            365 * 86400
        } else {
            return Err(AtTimeError::InvalidOffsetUnit(unit.iter().collect()));
        };
        let term = sign * i128::from(num) * seconds_per_unit;
        total += term;
        if !in_timedelta_range(term) || !in_timedelta_range(total) {
            return Err(AtTimeError::OutOfRange(input.to_string()));
        }
    }
    // |total| <= 999999999 days, far inside i64.
    i64::try_from(total).map_err(|_| AtTimeError::OutOfRange(input.to_string()))
}

// ---------------------------------------------------------------------------------------------
// pytz emulation

/// An aware datetime as pytz builds it: a wall-clock time with the fixed UTC offset (seconds)
/// of the tzinfo attached to it.
#[derive(Debug, Clone, Copy)]
struct Aware {
    wall: NaiveDateTime,
    offset: i64,
}

/// A pytz `DstTzInfo` seen through chrono-tz's data: the transitions pytz has (the 32-bit
/// window 1901-12-13T20:45:52Z..2038-01-19T03:14:07Z of the compiled zone files; before it the
/// first standard type, usually LMT; after it the last transition's type), offsets rounded to
/// whole minutes.
struct PyTz {
    tz: Tz,
}

/// pytz's data window (the 32-bit section of the zone files).
const WINDOW_START: i64 = i32::MIN as i64;
const WINDOW_END: i64 = i32::MAX as i64;
/// An instant before every zone's first transition (its local mean time).
const BEFORE_ALL_TRANSITIONS: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z

impl PyTz {
    /// The (rounded offset, is-DST) pytz uses at a UTC instant (`bisect_right` over the UTC
    /// transition times, so a transition applies from its own instant on).
    fn info_at(&self, utc: NaiveDateTime) -> (i64, bool) {
        let secs = utc.and_utc().timestamp();
        let probe = if secs < WINDOW_START {
            BEFORE_ALL_TRANSITIONS
        } else {
            secs.min(WINDOW_END)
        };
        let probe = DateTime::from_timestamp(probe, 0)
            .map(|d| d.naive_utc())
            .unwrap_or(utc);
        let offset = self.tz.offset_from_utc_datetime(&probe);
        let seconds = i64::from(offset.fix().local_minus_utc());
        let dst = offset.dst_offset().num_seconds() != 0;
        // pytz: int((utcoffset + 30) // 60) * 60
        ((seconds + 30).div_euclid(60) * 60, dst)
    }

    /// `tz.fromutc(utc)`: the wall clock at a UTC instant; `None` where Python overflows.
    fn fromutc(&self, utc: NaiveDateTime) -> Option<(Aware, bool)> {
        let (offset, dst) = self.info_at(utc);
        let wall = add_seconds(utc, offset)?;
        Some((Aware { wall, offset }, dst))
    }

    /// `tz.localize(naive, is_dst=False)`.
    fn localize(&self, wall: NaiveDateTime) -> Option<Aware> {
        self.localize_depth(wall, 0)
    }

    fn localize_depth(&self, wall: NaiveDateTime, depth: u32) -> Option<Aware> {
        // Candidates: the tzinfos in force a day before and a day after (looked up as if the
        // local time were UTC), kept when they round-trip through normalize().
        let mut candidates: Vec<(NaiveDateTime, Aware, bool)> = Vec::with_capacity(2);
        for delta in [-86400, 86400] {
            let Some(probe) = add_seconds(wall, delta) else {
                continue; // OverflowError: skipped by pytz
            };
            let (offset, _) = self.info_at(probe);
            let utc = add_seconds(wall, -offset)?;
            let (local, dst) = self.fromutc(utc)?;
            if local.wall == wall && !candidates.iter().any(|c| c.0 == utc) {
                candidates.push((utc, local, dst));
            }
        }
        match candidates.len() {
            1 => Some(candidates[0].1),
            0 => {
                // Skipped by a DST jump: localize six hours earlier, then add six hours to the
                // wall clock keeping that offset.
                if depth >= 8 {
                    return None;
                }
                let earlier = self.localize_depth(add_seconds(wall, -6 * 3600)?, depth + 1)?;
                Some(Aware {
                    wall: add_seconds(earlier.wall, 6 * 3600)?,
                    offset: earlier.offset,
                })
            }
            _ => {
                // Ambiguous: prefer standard time; among equals the latest instant.
                let standard: Vec<_> = candidates.iter().filter(|c| !c.2).collect();
                let pool = if standard.is_empty() {
                    candidates.iter().collect()
                } else {
                    standard
                };
                pool.into_iter().max_by_key(|c| c.0).map(|c| c.1)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Python's `datetime` range: years 1..=9999.
fn check_range(dt: NaiveDateTime) -> Option<NaiveDateTime> {
    (1..=9999).contains(&dt.year()).then_some(dt)
}

/// `dt + timedelta(seconds=secs)`, `None` where Python raises `OverflowError`.
fn add_seconds(dt: NaiveDateTime, secs: i64) -> Option<NaiveDateTime> {
    check_range(dt.checked_add_signed(TimeDelta::try_seconds(secs)?)?)
}

fn truncate_to_micros(dt: NaiveDateTime) -> NaiveDateTime {
    let nanos = dt.nanosecond() / 1000 * 1000;
    dt.with_nanosecond(nanos).unwrap_or(dt)
}

/// `s.find(needle)` in characters.
fn find(s: &[char], needle: &str) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    s.windows(needle.len()).position(|w| w == needle.as_slice())
}

fn starts_with(s: &[char], prefix: &str) -> bool {
    let mut chars = s.iter();
    prefix.chars().all(|p| chars.next() == Some(&p))
}

#[cfg(test)]
mod tests;
