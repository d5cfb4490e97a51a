//! The X axis: glyph.py's `xAxisConfigs` table (chosen by seconds per pixel), `find_x_times`
//! and the label texts (`datetime.strftime` with glibc's conversions).
//!
//! The reference builds `start_dt = datetime.fromtimestamp(startTime, pytz_zone)` and steps it
//! with `timedelta`s; the stepped datetimes keep `start_dt`'s tzinfo, that is its fixed UTC
//! offset. So labels are wall-clock times in the offset in force at the start (a daylight
//! saving change inside the range does not move them), compared with the end in UTC. This
//! module does the same with a [`WallClock`]: a naive local time plus that fixed offset.

use chrono::{DateTime, Datelike, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::{OffsetName, Tz};

use super::GraphError;

/// Seconds in a minute, hour, day (glyph.py's `MIN`, `HOUR`, `DAY`).
const MIN: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86400;

/// One row of `xAxisConfigs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct XAxisConfig {
    /// The smallest seconds per pixel this row is for.
    pub seconds: f64,
    /// Minor grid unit in seconds.
    pub minor_grid_unit: i64,
    /// Minor grid step in units (3.5 days in one row).
    pub minor_grid_step: f64,
    /// Major grid unit in seconds.
    pub major_grid_unit: i64,
    /// Major grid step in units.
    pub major_grid_step: f64,
    /// Label unit in seconds.
    pub label_unit: i64,
    /// Label step in units.
    pub label_step: f64,
    /// strftime format; `{DATE}` stands for the `DATE_FORMAT` setting.
    pub format: &'static str,
    /// The longest time range this row is for (`None`: any).
    pub max_interval: Option<i64>,
}

/// Builds a row (keeps the table below readable).
#[allow(clippy::too_many_arguments)] // A table row, in the reference's column order.
const fn row(
    seconds: f64,
    minor_grid_unit: i64,
    minor_grid_step: f64,
    major_grid_unit: i64,
    major_grid_step: f64,
    label_unit: i64,
    label_step: f64,
    format: &'static str,
    max_interval: Option<i64>,
) -> XAxisConfig {
    XAxisConfig {
        seconds,
        minor_grid_unit,
        minor_grid_step,
        major_grid_unit,
        major_grid_step,
        label_unit,
        label_step,
        format,
        max_interval,
    }
}

/// glyph.py's `xAxisConfigs`, in order.
pub const X_AXIS_CONFIGS: &[XAxisConfig] = &[
    row(0.00, 1, 5.0, MIN, 1.0, 1, 5.0, "%H:%M:%S", Some(10 * MIN)),
    row(0.07, 1, 10.0, MIN, 1.0, 1, 10.0, "%H:%M:%S", Some(20 * MIN)),
    row(0.14, 1, 15.0, MIN, 1.0, 1, 15.0, "%H:%M:%S", Some(30 * MIN)),
    row(0.27, 1, 30.0, MIN, 2.0, MIN, 1.0, "%H:%M", Some(2 * HOUR)),
    row(0.5, MIN, 1.0, MIN, 2.0, MIN, 1.0, "%H:%M", Some(2 * HOUR)),
    row(1.2, MIN, 1.0, MIN, 4.0, MIN, 2.0, "%H:%M", Some(3 * HOUR)),
    row(2.0, MIN, 1.0, MIN, 10.0, MIN, 5.0, "%H:%M", Some(6 * HOUR)),
    row(
        5.0,
        MIN,
        2.0,
        MIN,
        10.0,
        MIN,
        10.0,
        "%H:%M",
        Some(12 * HOUR),
    ),
    row(10.0, MIN, 5.0, MIN, 20.0, MIN, 20.0, "%H:%M", Some(DAY)),
    row(
        30.0,
        MIN,
        10.0,
        HOUR,
        1.0,
        HOUR,
        1.0,
        "%H:%M",
        Some(2 * DAY),
    ),
    row(
        60.0,
        MIN,
        30.0,
        HOUR,
        2.0,
        HOUR,
        2.0,
        "%H:%M",
        Some(2 * DAY),
    ),
    row(
        100.0,
        HOUR,
        2.0,
        HOUR,
        4.0,
        HOUR,
        4.0,
        "%a %H:%M",
        Some(6 * DAY),
    ),
    row(
        255.0,
        HOUR,
        6.0,
        HOUR,
        12.0,
        HOUR,
        12.0,
        "{DATE} %H:%M",
        Some(10 * DAY),
    ),
    row(
        600.0,
        HOUR,
        6.0,
        DAY,
        1.0,
        DAY,
        1.0,
        "{DATE}",
        Some(14 * DAY),
    ),
    row(
        1000.0,
        HOUR,
        12.0,
        DAY,
        1.0,
        DAY,
        1.0,
        "{DATE}",
        Some(365 * DAY),
    ),
    row(
        2000.0,
        DAY,
        1.0,
        DAY,
        2.0,
        DAY,
        2.0,
        "{DATE}",
        Some(365 * DAY),
    ),
    row(
        4000.0,
        DAY,
        2.0,
        DAY,
        4.0,
        DAY,
        4.0,
        "{DATE}",
        Some(365 * DAY),
    ),
    row(
        8000.0,
        DAY,
        3.5,
        DAY,
        7.0,
        DAY,
        7.0,
        "{DATE}",
        Some(365 * DAY),
    ),
    row(
        16000.0,
        DAY,
        7.0,
        DAY,
        14.0,
        DAY,
        14.0,
        "{DATE}",
        Some(365 * DAY),
    ),
    row(
        32000.0,
        DAY,
        15.0,
        DAY,
        30.0,
        DAY,
        30.0,
        "{DATE}",
        Some(365 * DAY),
    ),
    row(64000.0, DAY, 30.0, DAY, 60.0, DAY, 60.0, "{DATE} %Y", None),
    row(
        100000.0,
        DAY,
        60.0,
        DAY,
        120.0,
        DAY,
        120.0,
        "{DATE} %Y",
        None,
    ),
    row(
        120000.0,
        DAY,
        120.0,
        DAY,
        240.0,
        DAY,
        240.0,
        "{DATE} %Y",
        None,
    ),
];

/// `setupXAxis`'s choice: the last row whose `seconds` is at most `seconds_per_pixel` and
/// whose `maxInterval` covers `time_range`, else the last row.
pub fn choose_config(seconds_per_pixel: f64, time_range: i64) -> (usize, &'static XAxisConfig) {
    let last = X_AXIS_CONFIGS.len() - 1;
    let index = X_AXIS_CONFIGS
        .iter()
        .rposition(|c| {
            c.seconds <= seconds_per_pixel
                && c.max_interval.unwrap_or(time_range.saturating_add(1)) >= time_range
        })
        .unwrap_or(last);
    (index, &X_AXIS_CONFIGS[index])
}

/// A `datetime` with a fixed pytz offset: local wall-clock seconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WallClock {
    /// Local time as seconds since 1970-01-01T00:00 (naive).
    pub local: i64,
    /// The UTC offset in seconds (rounded to minutes, as pytz does).
    pub offset: i64,
    /// Whether that offset is daylight saving time (`tm_isdst` for `%s`).
    pub dst: bool,
}

/// 0001-01-01T00:00:00 and 9999-12-31T23:59:59 UTC: Python's datetime range.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// The UTC offset pytz applies at `ts`: minutes-rounded, first (LMT) offset before 1901,
/// the 2038 offset after (pytz reads only the 32-bit transitions).
fn pytz_offset(ts: i64, tz: Tz) -> (i64, String, bool) {
    use chrono_tz::OffsetComponents;
    let probe = if ts < i64::from(i32::MIN) {
        MIN_SECONDS
    } else {
        ts.min(i64::from(i32::MAX))
    };
    let utc = DateTime::from_timestamp(probe, 0)
        .map(|d| d.naive_utc())
        .unwrap_or_default();
    let offset = tz.offset_from_utc_datetime(&utc);
    let secs = i64::from(offset.fix().local_minus_utc());
    let name = offset.abbreviation().unwrap_or("").to_owned();
    let dst = offset.dst_offset().num_seconds() != 0;
    ((secs + 30).div_euclid(60) * 60, name, dst)
}

impl WallClock {
    /// `datetime.fromtimestamp(ts, tz)`, with the zone's abbreviation for `%Z`.
    pub fn from_timestamp(ts: i64, tz: Tz) -> Result<(Self, String), GraphError> {
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&ts) {
            return Err(GraphError::new("ValueError", "year is out of range"));
        }
        let (offset, name, dst) = pytz_offset(ts, tz);
        Ok((
            Self {
                local: ts + offset,
                offset,
                dst,
            },
            name,
        ))
    }

    /// The instant in UTC seconds (what comparisons between datetimes use).
    pub fn utc(self) -> i64 {
        self.local - self.offset
    }

    /// The naive local date-time.
    fn naive(self) -> NaiveDateTime {
        DateTime::from_timestamp(self.local, 0)
            .map(|d| d.naive_utc())
            .unwrap_or_default()
    }
}

/// `find_x_times(start_dt, unit, step)`: the first boundary of `step` units at or after the
/// start, and the distance between boundaries in seconds.
pub fn find_x_times(
    start: WallClock,
    unit: i64,
    step: f64,
) -> Result<(WallClock, i64), GraphError> {
    let n = start.naive();
    let whole = step as i64;
    let truncated = match unit {
        1 => -(n.second() as i64).rem_euclid(whole.max(1)),
        MIN => -(n.second() as i64) - 60 * (n.minute() as i64).rem_euclid(whole.max(1)),
        HOUR => {
            -(n.second() as i64)
                - 60 * n.minute() as i64
                - 3600 * (n.hour() as i64).rem_euclid(whole.max(1))
        }
        DAY => -(n.second() as i64) - 60 * n.minute() as i64 - 3600 * n.hour() as i64,
        _ => {
            return Err(GraphError::new(
                "ValueError",
                format!("Invalid unit: {unit}"),
            ))
        }
    };
    if step <= 0.0 {
        return Err(GraphError::new(
            "ValueError",
            format!("Invalid step value: {step}"),
        ));
    }
    // timedelta(days=3.5) and the like: whole seconds for every row of the table.
    let delta = (unit as f64 * step).round() as i64;
    let mut dt = WallClock {
        local: start.local + truncated,
        ..start
    };
    while dt.local < start.local {
        dt.local += delta;
    }
    Ok((dt, delta))
}

/// glibc's `%s`: `mktime` of the wall-clock fields in the process's zone, with the
/// `tm_isdst` flag Python passes (the datetime's own DST status); a flag the zone does not
/// have at that time shifts the result by an hour, as glibc does.
fn epoch_seconds(dt: WallClock, process_tz: Tz) -> String {
    use chrono_tz::OffsetComponents;
    let naive = dt.naive();
    let Some(local) = process_tz.from_local_datetime(&naive).earliest() else {
        return dt.utc().to_string();
    };
    let zone_dst = local.offset().dst_offset().num_seconds() != 0;
    let shift = match (dt.dst, zone_dst) {
        (true, false) => -3600,
        (false, true) => 3600,
        _ => 0,
    };
    (local.timestamp() + shift).to_string()
}

/// English names, as the C locale prints them.
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `dt.strftime(format)` in the C locale: Python's own `%z`, `%Z`, `%f`, glibc's other
/// conversions (with the `-`, `_`, `0` and `^` flags); an unknown conversion is copied.
/// `process_tz` is the process's `TZ` (Django sets it to `TIME_ZONE`): glibc's `%s` runs
/// `mktime` on the wall-clock fields in that zone.
pub fn strftime(dt: WallClock, tz_name: &str, process_tz: Tz, format: &str) -> String {
    let n = dt.naive();
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flag = None;
        while let Some(&f) = chars.peek() {
            if matches!(f, '-' | '_' | '0' | '^' | '#') {
                flag = Some(f);
                chars.next();
            } else {
                break;
            }
        }
        let Some(conv) = chars.next() else {
            out.push('%');
            if let Some(f) = flag {
                out.push(f);
            }
            break;
        };
        let num = |v: i64, width: usize, pad: char| -> String {
            match flag {
                Some('-') => v.to_string(),
                Some('_') => format!("{v:>width$}"),
                Some('0') => format!("{v:0width$}"),
                _ if pad == ' ' => format!("{v:>width$}"),
                _ => format!("{v:0width$}"),
            }
        };
        let text = |s: &str| -> String {
            if flag == Some('^') {
                s.to_uppercase()
            } else {
                s.to_owned()
            }
        };
        let wd = n.weekday().num_days_from_sunday() as usize;
        let month = n.month0() as usize;
        let hour12 = match n.hour() % 12 {
            0 => 12,
            h => h,
        } as i64;
        let piece = match conv {
            'a' => text(&DAYS[wd][..3]),
            'A' => text(DAYS[wd]),
            'b' | 'h' => text(&MONTHS[month][..3]),
            'B' => text(MONTHS[month]),
            'c' => strftime(dt, tz_name, process_tz, "%a %b %e %H:%M:%S %Y"),
            'C' => num(i64::from(n.year()).div_euclid(100), 2, '0'),
            'd' => num(i64::from(n.day()), 2, '0'),
            'D' => strftime(dt, tz_name, process_tz, "%m/%d/%y"),
            'e' => num(i64::from(n.day()), 2, ' '),
            'f' => "000000".to_owned(),
            'F' => strftime(dt, tz_name, process_tz, "%Y-%m-%d"),
            'g' => num(i64::from(n.iso_week().year()).rem_euclid(100), 2, '0'),
            'G' => i64::from(n.iso_week().year()).to_string(),
            'H' => num(i64::from(n.hour()), 2, '0'),
            'I' => num(hour12, 2, '0'),
            'j' => num(i64::from(n.ordinal()), 3, '0'),
            'k' => num(i64::from(n.hour()), 2, ' '),
            'l' => num(hour12, 2, ' '),
            'm' => num(i64::from(n.month()), 2, '0'),
            'M' => num(i64::from(n.minute()), 2, '0'),
            'n' => "\n".to_owned(),
            'p' => text(if n.hour() < 12 { "AM" } else { "PM" }),
            'P' => (if n.hour() < 12 { "am" } else { "pm" }).to_owned(),
            'r' => strftime(dt, tz_name, process_tz, "%I:%M:%S %p"),
            'R' => strftime(dt, tz_name, process_tz, "%H:%M"),
            's' => epoch_seconds(dt, process_tz),
            'S' => num(i64::from(n.second()), 2, '0'),
            't' => "\t".to_owned(),
            'T' => strftime(dt, tz_name, process_tz, "%H:%M:%S"),
            'u' => i64::from(n.weekday().number_from_monday()).to_string(),
            'U' => num((i64::from(n.ordinal0()) + 7 - wd as i64) / 7, 2, '0'),
            'V' => num(i64::from(n.iso_week().week()), 2, '0'),
            'w' => wd.to_string(),
            'W' => num(
                (i64::from(n.ordinal0()) + 7 - i64::from(n.weekday().num_days_from_monday())) / 7,
                2,
                '0',
            ),
            'x' => strftime(dt, tz_name, process_tz, "%m/%d/%y"),
            'X' => strftime(dt, tz_name, process_tz, "%H:%M:%S"),
            'y' => num(i64::from(n.year()).rem_euclid(100), 2, '0'),
            'Y' => i64::from(n.year()).to_string(),
            'z' => {
                let sign = if dt.offset < 0 { '-' } else { '+' };
                let a = dt.offset.abs();
                format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
            }
            'Z' => text(tz_name),
            '%' => "%".to_owned(),
            other => {
                let mut s = String::from('%');
                if let Some(f) = flag {
                    s.push(f);
                }
                s.push(other);
                s
            }
        };
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_choice_and_times() {
        let (i, c) = choose_config(86400.0 / 300.0, 86400);
        assert_eq!((i, c.format), (12, "{DATE} %H:%M"));
        let (start, _) = WallClock::from_timestamp(1_700_000_123, chrono_tz::UTC).unwrap_or((
            WallClock {
                local: 0,
                offset: 0,
                dst: false,
            },
            String::new(),
        ));
        let (dt, delta) = find_x_times(start, HOUR, 4.0).unwrap_or((start, 0));
        assert_eq!(delta, 4 * 3600);
        assert_eq!(
            strftime(dt, "UTC", chrono_tz::UTC, "%a %H:%M %Z"),
            "Wed 00:00 UTC"
        );
    }

    #[test]
    fn strftime_conversions() {
        let dt = WallClock {
            local: 0,
            offset: 3600,
            dst: false,
        };
        assert_eq!(
            strftime(dt, "CET", chrono_tz::UTC, "%Y-%m-%d %l%p %z %-d %Q"),
            "1970-01-01 12AM +0100 1 %Q"
        );
    }
}
