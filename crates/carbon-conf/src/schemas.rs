//! `storage-schemas.conf` and `storage-aggregation.conf`: ordered sections, first match wins,
//! with carbon's own retention syntax and its skip-or-fail rules.

use std::path::{Path, PathBuf};

use whisper::{AggregationMethod, ArchiveSpec};

use crate::error::{Error, Result};
use crate::ini::Ini;
use crate::pattern::PyRegex;
use crate::settings::py_float;

/// carbon's unit letters (`carbon.util.UnitMultipliers`): single lowercase letters only.
fn unit_seconds(unit: &str) -> std::result::Result<u64, String> {
    Ok(match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        "y" => 31_536_000,
        _ => return Err(format!("Invalid unit '{unit}'")),
    })
}

/// `^(\d+)([a-z]+)$`.
fn number_and_unit(s: &str) -> Option<(u64, &str)> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    if n.is_empty() || !unit.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    Some((n.parse().ok()?, unit))
}

fn all_digits(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Parses one retention definition as `carbon.util.parseRetentionDef` does (not whisper's):
/// exactly one `:`, units `s m h d w y` only, points given as a duration divided by the
/// precision and truncated. Returns (seconds per point, points); the error is carbon's message.
///
/// A duration over a precision of 0 (`0:1d`) is refused here, where the reference crashes with
/// ZeroDivisionError; a plain `0:10` parses (the schema is rejected later by validation).
pub fn parse_retention_def(def: &str) -> std::result::Result<(u64, u64), String> {
    let parts: Vec<&str> = def.trim().split(':').collect();
    let [precision, points] = parts[..] else {
        return Err(if parts.len() < 2 {
            format!(
                "not enough values to unpack (expected 2, got {})",
                parts.len()
            )
        } else {
            "too many values to unpack (expected 2)".to_owned()
        });
    };
    let precision_secs = match all_digits(precision) {
        Some(n) => n,
        None => match number_and_unit(precision) {
            Some((n, unit)) => n.saturating_mul(unit_seconds(unit)?),
            None => return Err(format!("Invalid precision specification '{precision}'")),
        },
    };
    let point_count = match all_digits(points) {
        Some(n) => n,
        None => match number_and_unit(points) {
            Some((n, unit)) => {
                let secs = n.saturating_mul(unit_seconds(unit)?);
                if precision_secs == 0 {
                    return Err("float division by zero".to_owned());
                }
                // Python computes this in floating point before `int()`; exact for any
                // realistic value, and the same truncation.
                secs / precision_secs
            }
            None => return Err(format!("Invalid retention specification '{points}'")),
        },
    };
    Ok((precision_secs, point_count))
}

/// One storage schema: the archives a new metric's file gets.
#[derive(Debug, Clone)]
pub struct StorageSchema {
    /// The section name (`default` for the built-in fallback).
    pub name: String,
    /// The pattern; `None` for the built-in fallback, which matches everything.
    pub pattern: Option<PyRegex>,
    /// The archives, as written (whisper sorts them by precision at creation).
    pub archives: Vec<ArchiveSpec>,
}

impl StorageSchema {
    /// Whether this schema applies to `metric` (`re.search` semantics: anywhere in the name).
    pub fn matches(&self, metric: &str) -> bool {
        self.pattern.as_ref().is_none_or(|p| p.is_match(metric))
    }
}

/// The schemas in file order, the built-in fallback last.
#[derive(Debug, Clone)]
pub struct StorageSchemas {
    /// The schemas; the last one is always the fallback `default` (60 s for 7 days).
    pub schemas: Vec<StorageSchema>,
    /// Sections skipped, with the reason (for the daemon's log).
    pub messages: Vec<String>,
}

impl StorageSchemas {
    /// Only the fallback schema.
    pub fn fallback_only() -> Self {
        StorageSchemas {
            schemas: vec![fallback_schema()],
            messages: Vec::new(),
        }
    }

    /// Reads storage-schemas.conf as `carbon.storage.loadStorageSchemas` does.
    ///
    /// A section without `retentions`, without a (non-empty) `pattern`, or whose archives
    /// fail whisper's validation is skipped with a message. A bad retention syntax or a bad
    /// pattern is an error (the reference exits). A missing file is an error.
    pub fn load(path: &Path) -> Result<Self> {
        let ini = Ini::read(path)?;
        let mut schemas = Vec::new();
        let mut messages = Vec::new();
        for section in ini.ordered_sections() {
            let options = section_items(&ini, section)?;
            let get = |k: &str| {
                options
                    .iter()
                    .find(|(ok, _)| ok == k)
                    .map(|(_, v)| v.as_str())
            };
            let Some(retentions) = get("retentions") else {
                messages.push(format!("Schema {section} missing 'retentions', skipping"));
                continue;
            };
            let mut parsed = Vec::new();
            for def in retentions.split(',') {
                let archive = parse_retention_def(def).map_err(|message| Error::Retention {
                    path: path.to_owned(),
                    section: section.clone(),
                    message,
                })?;
                parsed.push(archive);
            }
            let pattern = match get("pattern") {
                Some(p) if !p.is_empty() => p,
                _ => {
                    messages.push(format!("Schema {section} missing 'pattern', skipping"));
                    continue;
                }
            };
            let regex = compile(path, section, pattern)?;
            match to_archives(&parsed) {
                Ok(archives) => schemas.push(StorageSchema {
                    name: section.clone(),
                    pattern: Some(regex),
                    archives,
                }),
                Err(e) => messages.push(format!("Invalid schemas found in {section}: {e}")),
            }
        }
        schemas.push(fallback_schema());
        Ok(StorageSchemas { schemas, messages })
    }

    /// The first schema matching `metric` (the fallback at worst).
    pub fn match_metric(&self, metric: &str) -> &StorageSchema {
        self.schemas
            .iter()
            .find(|s| s.matches(metric))
            .unwrap_or_else(|| self.schemas.last().expect("the fallback is always present"))
    }
}

/// `defaultSchema`: 60-second points for 7 days.
fn fallback_schema() -> StorageSchema {
    StorageSchema {
        name: "default".into(),
        pattern: None,
        archives: vec![ArchiveSpec::new(60, 10_080)],
    }
}

/// Converts to whisper's types and validates as `WhisperDatabase.validateArchiveList` does.
/// Zero precision or points, or values beyond 32 bits, are refused here too: whisper would
/// make an unusable file (or fail to make one) for every metric matching the schema.
fn to_archives(parsed: &[(u64, u64)]) -> std::result::Result<Vec<ArchiveSpec>, String> {
    let mut archives = Vec::with_capacity(parsed.len());
    for &(spp, points) in parsed {
        let (Ok(s), Ok(p)) = (u32::try_from(spp), u32::try_from(points)) else {
            return Err(format!(
                "Archive ({spp}, {points}) does not fit whisper's 32-bit header"
            ));
        };
        if s == 0 || p == 0 {
            return Err(format!(
                "Archive ({spp}, {points}) must have a non-zero precision and number of points"
            ));
        }
        archives.push(ArchiveSpec::new(s, p));
    }
    let mut sorted = archives.clone();
    whisper::validate_archive_list(&mut sorted).map_err(|e| e.to_string())?;
    Ok(archives)
}

fn section_items(ini: &Ini, section: &str) -> Result<Vec<(String, String)>> {
    ini.items(section)?.ok_or_else(|| Error::Syntax {
        path: ini.path().to_owned(),
        line: 0,
        message: format!("no section {section:?} (a header ConfigParser reads differently)"),
    })
}

fn compile(path: &Path, section: &str, pattern: &str) -> Result<PyRegex> {
    PyRegex::new(pattern).map_err(|message| Error::Pattern {
        path: path.to_owned(),
        section: section.to_owned(),
        pattern: pattern.to_owned(),
        message,
    })
}

/// One aggregation schema. Either field may be unset; whisper's default (0.5, average) then
/// applies at creation.
#[derive(Debug, Clone)]
pub struct AggregationSchema {
    /// The section name (`default` for the built-in fallback).
    pub name: String,
    /// The pattern; `None` for the fallback.
    pub pattern: Option<PyRegex>,
    /// `xFilesFactor`, in [0, 1].
    pub x_files_factor: Option<f64>,
    /// `aggregationMethod`.
    pub aggregation_method: Option<AggregationMethod>,
}

impl AggregationSchema {
    /// Whether this schema applies to `metric` (`re.search` semantics).
    pub fn matches(&self, metric: &str) -> bool {
        self.pattern.as_ref().is_none_or(|p| p.is_match(metric))
    }
}

/// The aggregation schemas in file order, the fallback (None, None) last.
#[derive(Debug, Clone)]
pub struct AggregationSchemas {
    /// The schemas; the last is always the fallback.
    pub schemas: Vec<AggregationSchema>,
    /// Sections skipped (or a missing file), with the reason.
    pub messages: Vec<String>,
}

impl AggregationSchemas {
    /// Reads storage-aggregation.conf as `carbon.storage.loadAggregationSchemas` does.
    ///
    /// A missing file gives only the fallback (with a message). A non-numeric xFilesFactor
    /// skips the section; an xFilesFactor outside [0, 1] (or NaN) or an unknown
    /// aggregationMethod is an error (fatal in the reference), checked before `pattern`; a
    /// section without a pattern is skipped.
    pub fn load(path: &Path) -> Result<Self> {
        let mut schemas = Vec::new();
        let mut messages = Vec::new();
        let ini = match Ini::read(path) {
            Ok(ini) => ini,
            Err(Error::Io { .. }) => {
                messages.push(format!(
                    "{} not found or wrong perms, ignoring.",
                    path.display()
                ));
                schemas.push(fallback_aggregation());
                return Ok(AggregationSchemas { schemas, messages });
            }
            Err(e) => return Err(e),
        };
        let fatal = |section: &str, message: String| Error::Aggregation {
            path: PathBuf::from(path),
            section: section.to_owned(),
            message,
        };
        for section in ini.ordered_sections() {
            let options = section_items(&ini, section)?;
            let get = |k: &str| {
                options
                    .iter()
                    .find(|(ok, _)| ok == k)
                    .map(|(_, v)| v.as_str())
            };
            let x_files_factor = match get("xfilesfactor") {
                None => None,
                Some(raw) => match py_float(raw) {
                    None => {
                        messages.push(format!("Invalid schemas found in {section}."));
                        continue;
                    }
                    Some(x) if (0.0..=1.0).contains(&x) => Some(x),
                    Some(_) => {
                        return Err(fatal(
                            section,
                            format!("xFilesFactor value {raw} out of [0,1] bounds"),
                        ))
                    }
                },
            };
            let aggregation_method = match get("aggregationmethod") {
                None => None,
                Some(m) => Some(m.parse::<AggregationMethod>().map_err(|_| {
                    fatal(
                        section,
                        format!("aggregationMethod {m:?} is not a whisper method"),
                    )
                })?),
            };
            let pattern = match get("pattern") {
                Some(p) if !p.is_empty() => p,
                _ => {
                    messages.push(format!("Section missing 'pattern': {section}"));
                    continue;
                }
            };
            schemas.push(AggregationSchema {
                name: section.clone(),
                pattern: Some(compile(path, section, pattern)?),
                x_files_factor,
                aggregation_method,
            });
        }
        schemas.push(fallback_aggregation());
        Ok(AggregationSchemas { schemas, messages })
    }

    /// The first schema matching `metric` (the fallback at worst), even if it sets only one
    /// of the two fields.
    pub fn match_metric(&self, metric: &str) -> &AggregationSchema {
        self.schemas
            .iter()
            .find(|s| s.matches(metric))
            .unwrap_or_else(|| self.schemas.last().expect("the fallback is always present"))
    }
}

fn fallback_aggregation() -> AggregationSchema {
    AggregationSchema {
        name: "default".into(),
        pattern: None,
        x_files_factor: None,
        aggregation_method: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carbon_retention_syntax() {
        assert_eq!(parse_retention_def("10s:6h"), Ok((10, 2160)));
        assert_eq!(parse_retention_def("60:1440"), Ok((60, 1440)));
        assert_eq!(parse_retention_def(" 1h:7d "), Ok((3600, 168)));
        assert_eq!(parse_retention_def("7s:1m"), Ok((7, 8)));
        assert_eq!(parse_retention_def("60:90d"), Ok((60, 129_600)));
        assert_eq!(parse_retention_def("1h:30m"), Ok((3600, 0)));
        assert_eq!(parse_retention_def("0:10"), Ok((0, 10)));
        let err = |s: &str| parse_retention_def(s).unwrap_err();
        assert_eq!(err("1min:1d"), "Invalid unit 'min'");
        assert_eq!(err("60:1sec"), "Invalid unit 'sec'");
        assert_eq!(err("1H:60"), "Invalid precision specification '1H'");
        assert_eq!(err("60:1.5h"), "Invalid retention specification '1.5h'");
        assert_eq!(err("60 :60"), "Invalid precision specification '60 '");
        assert!(err("10s:6h:1").contains("too many"));
        assert!(err("").contains("not enough"));
        assert!(err("0:1d").contains("division by zero"));
    }

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.conf");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn schemas_skip_and_first_match() {
        let (_d, path) = write(
            "[noret]\npattern = x\n[nopat]\nretentions = 60:10\n\
             [invalid]\npattern = ^bad\nretentions = 60:10,90:10\n\
             [zero]\npattern = ^zero\nretentions = 1h:30m\n\
             [carbon]\npattern = ^carbon\\.\nretentions = 60:90d\n\
             [all]\npattern = .*\nretentions = 10s:6h,1m:7d\n",
        );
        let s = StorageSchemas::load(&path).unwrap();
        let names: Vec<_> = s.schemas.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["carbon", "all", "default"]);
        assert_eq!(s.messages.len(), 4, "{:?}", s.messages);
        assert_eq!(s.match_metric("carbon.agents.x").name, "carbon");
        assert_eq!(s.match_metric("xcarbon.y").name, "all");
        assert_eq!(
            s.match_metric("bad.thing").archives,
            [ArchiveSpec::new(10, 2160), ArchiveSpec::new(60, 10_080)]
        );
    }

    #[test]
    fn schema_errors_are_fatal() {
        let (_d, path) = write("[a]\npattern = x\nretentions = 1min:1d\n");
        assert!(matches!(
            StorageSchemas::load(&path),
            Err(Error::Retention { .. })
        ));
        let (_d, path) = write("[a]\npattern = (x\nretentions = 60:1d\n");
        assert!(matches!(
            StorageSchemas::load(&path),
            Err(Error::Pattern { .. })
        ));
        assert!(StorageSchemas::load(Path::new("/nonexistent/s.conf")).is_err());
        let s = StorageSchemas::fallback_only();
        assert_eq!(
            s.match_metric("anything").archives,
            [ArchiveSpec::new(60, 10_080)]
        );
    }

    #[test]
    fn aggregation_rules() {
        let (_d, path) = write(
            "[badxff]\npattern = .*\nxFilesFactor = half\n\
             [nopat]\nxFilesFactor = 0.3\n\
             [min]\npattern = \\.min$\nxFilesFactor = 0.1\naggregationMethod = min\n\
             [onlyxff]\npattern = ^only\\.\nxFilesFactor = 0\n",
        );
        let a = AggregationSchemas::load(&path).unwrap();
        assert_eq!(a.messages.len(), 2);
        let m = a.match_metric("x.min");
        assert_eq!((m.name.as_str(), m.x_files_factor), ("min", Some(0.1)));
        assert_eq!(m.aggregation_method, Some(AggregationMethod::Min));
        let o = a.match_metric("only.x");
        assert_eq!((o.x_files_factor, o.aggregation_method), (Some(0.0), None));
        assert_eq!(a.match_metric("other").name, "default");

        for text in [
            "[a]\npattern = x\nxFilesFactor = 1.5\n",
            "[a]\npattern = x\nxFilesFactor = nan\n",
            "[a]\naggregationMethod = Average\n",
        ] {
            let (_d, path) = write(text);
            assert!(
                matches!(
                    AggregationSchemas::load(&path),
                    Err(Error::Aggregation { .. })
                ),
                "{text}"
            );
        }
        let missing = AggregationSchemas::load(Path::new("/nonexistent/a.conf")).unwrap();
        assert_eq!(missing.schemas.len(), 1);
    }
}
