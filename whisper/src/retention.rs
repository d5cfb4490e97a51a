//! Retention definitions (`10s:6h`, `60:1440`) and the archive-list rules of `create`.

use crate::error::{Error, Result};

/// One archive as asked for at creation: precision and number of points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArchiveSpec {
    /// Seconds covered by one point.
    pub seconds_per_point: u32,
    /// Number of points kept.
    pub points: u32,
}

impl ArchiveSpec {
    /// A spec from precision and point count.
    pub fn new(seconds_per_point: u32, points: u32) -> Self {
        ArchiveSpec {
            seconds_per_point,
            points,
        }
    }

    /// Seconds covered by the archive.
    pub fn retention(&self) -> u64 {
        u64::from(self.seconds_per_point) * u64::from(self.points)
    }
}

const UNITS: [(&str, u64); 6] = [
    ("seconds", 1),
    ("minutes", 60),
    ("hours", 3600),
    ("days", 86_400),
    ("weeks", 604_800),
    ("years", 31_536_000),
];

/// Seconds in the first unit whose name starts with `s` (`m` is minutes, `mi` too, `h`...).
pub fn unit_multiplier(s: &str) -> Result<u64> {
    UNITS
        .iter()
        .find(|(name, _)| name.starts_with(s))
        .map(|&(_, mult)| mult)
        .ok_or_else(|| Error::InvalidRetention(format!("Invalid unit '{s}'")))
}

/// Splits `^(\d+)([a-z]+)$`.
fn split_number_unit(s: &str) -> Option<(&str, &str)> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(digits_end);
    let ok = !num.is_empty() && !unit.is_empty() && unit.bytes().all(|b| b.is_ascii_lowercase());
    ok.then_some((num, unit))
}

/// Python's `str.isdigit()` restricted to what can parse: non-empty ASCII digits.
fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_count(s: &str, what: &str, whole: &str) -> Result<u64> {
    s.parse::<u64>()
        .map_err(|_| Error::InvalidRetention(format!("Invalid {what} specification '{whole}'")))
}

/// Parses a retention definition exactly as `whisper.parseRetentionDef` does.
///
/// `precision:points` where each side is a plain number (seconds, a point count) or a number
/// with a unit that is a prefix of `seconds minutes hours days weeks years`; points given as a
/// duration are divided by the precision, rounding down.
pub fn parse_retention_def(def: &str) -> Result<ArchiveSpec> {
    let trimmed = def.trim();
    let (precision, points) = trimmed
        .split_once(':')
        .ok_or_else(|| Error::InvalidRetention(format!("Invalid retention definition '{def}'")))?;

    let precision_secs = if is_digits(precision) {
        parse_count(precision, "precision", precision)?
    } else if let Some((num, unit)) = split_number_unit(precision) {
        parse_count(num, "precision", precision)? * unit_multiplier(unit)?
    } else {
        return Err(Error::InvalidRetention(format!(
            "Invalid precision specification '{precision}'"
        )));
    };

    let point_count = if is_digits(points) {
        parse_count(points, "retention", points)?
    } else if let Some((num, unit)) = split_number_unit(points) {
        let seconds = parse_count(num, "retention", points)? * unit_multiplier(unit)?;
        if precision_secs == 0 {
            // Python raises ZeroDivisionError here; say what is wrong instead.
            return Err(Error::InvalidRetention(format!(
                "Invalid precision specification '{precision}'"
            )));
        }
        seconds / precision_secs
    } else {
        return Err(Error::InvalidRetention(format!(
            "Invalid retention specification '{points}'"
        )));
    };

    let to_u32 = |v: u64, what: &str, s: &str| {
        u32::try_from(v)
            .map_err(|_| Error::InvalidRetention(format!("Invalid {what} specification '{s}'")))
    };
    Ok(ArchiveSpec {
        seconds_per_point: to_u32(precision_secs, "precision", precision)?,
        points: to_u32(point_count, "retention", points)?,
    })
}

/// Sorts `archives` by precision and checks them as `whisper.validateArchiveList` does, in the
/// same order and with the same messages.
pub fn validate_archive_list(archives: &mut [ArchiveSpec]) -> Result<()> {
    if archives.is_empty() {
        return Err(Error::InvalidConfiguration(
            "You must specify at least one archive configuration!".into(),
        ));
    }
    // Python's sort is stable on the precision only; so is sort_by_key.
    archives.sort_by_key(|a| a.seconds_per_point);
    for (i, pair) in archives.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        let j = i + 1;
        if a.seconds_per_point >= b.seconds_per_point {
            return Err(Error::InvalidConfiguration(format!(
                "A Whisper database may not be configured having two archives with the same \
                 precision (archive{i}: ({}, {}), archive{j}: ({}, {}))",
                a.seconds_per_point, a.points, b.seconds_per_point, b.points
            )));
        }
        if a.seconds_per_point == 0 || b.seconds_per_point % a.seconds_per_point != 0 {
            return Err(Error::InvalidConfiguration(format!(
                "Higher precision archives' precision must evenly divide all lower precision \
                 archives' precision (archive{i}: {}, archive{j}: {})",
                a.seconds_per_point, b.seconds_per_point
            )));
        }
        if b.retention() <= a.retention() {
            return Err(Error::InvalidConfiguration(format!(
                "Lower precision archives must cover larger time intervals than higher precision \
                 archives (archive{i}: {} seconds, archive{j}: {} seconds)",
                a.retention(),
                b.retention()
            )));
        }
        let per_consolidation = b.seconds_per_point / a.seconds_per_point;
        if a.points < per_consolidation {
            return Err(Error::InvalidConfiguration(format!(
                "Each archive must have at least enough points to consolidate to the next \
                 archive (archive{j} consolidates {per_consolidation} of archive{i}'s points but \
                 it has only {} total points)",
                a.points
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> (u32, u32) {
        let a = parse_retention_def(s).unwrap();
        (a.seconds_per_point, a.points)
    }

    #[test]
    fn both_forms_and_long_units() {
        assert_eq!(spec("10s:6h"), (10, 2160));
        assert_eq!(spec("60:1440"), (60, 1440));
        assert_eq!(spec("1h:7d"), (3600, 168));
        assert_eq!(spec("7s:1m"), (7, 8));
        assert_eq!(spec("1min:2hours"), (60, 120));
        assert_eq!(spec("1sec:1w"), (1, 604_800));
        assert_eq!(spec(" 12h:2y "), (43200, 1460));
    }

    #[test]
    fn errors_match_whisper() {
        let msg = |s: &str| parse_retention_def(s).unwrap_err().to_string();
        assert_eq!(msg("60"), "Invalid retention definition '60'");
        assert_eq!(msg("1H:60"), "Invalid precision specification '1H'");
        assert_eq!(msg("60:1x"), "Invalid unit 'x'");
        assert_eq!(msg("60:1.5h"), "Invalid retention specification '1.5h'");
        assert_eq!(msg("1q:60"), "Invalid unit 'q'");
        assert_eq!(msg("10s:6h:1"), "Invalid retention specification '6h:1'");
    }

    #[test]
    fn validation_order_and_messages() {
        let v = |list: &[(u32, u32)]| {
            let mut l: Vec<_> = list.iter().map(|&(s, p)| ArchiveSpec::new(s, p)).collect();
            validate_archive_list(&mut l).err().map(|e| e.to_string())
        };
        assert_eq!(
            v(&[]).unwrap(),
            "You must specify at least one archive configuration!"
        );
        assert_eq!(
            v(&[(60, 10), (60, 20)]).unwrap(),
            "A Whisper database may not be configured having two archives with the same precision (archive0: (60, 10), archive1: (60, 20))"
        );
        assert_eq!(
            v(&[(60, 100), (90, 200)]).unwrap(),
            "Higher precision archives' precision must evenly divide all lower precision archives' precision (archive0: 60, archive1: 90)"
        );
        assert_eq!(
            v(&[(60, 100), (120, 50)]).unwrap(),
            "Lower precision archives must cover larger time intervals than higher precision archives (archive0: 6000 seconds, archive1: 6000 seconds)"
        );
        assert_eq!(
            v(&[(60, 2), (300, 100)]).unwrap(),
            "Each archive must have at least enough points to consolidate to the next archive (archive1 consolidates 5 of archive0's points but it has only 2 total points)"
        );
        assert!(v(&[(300, 1000), (60, 1440)]).is_none());
    }
}
