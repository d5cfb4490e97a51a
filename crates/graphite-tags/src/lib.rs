//! Graphite tagged series names, exactly as Graphite 1.1.10 parses, normalises and stores them.
//!
//! # Overview
//! - [`TaggedSeries`]: a parsed name, from either the carbon form `name;tag=value;...` or the
//!   OpenMetrics form `name{tag="value",...}` ([`TaggedSeries::parse`]). Its [`path`] is the
//!   normalised name every daemon keys data by: the name tag first, then the `;tag=value`
//!   strings sorted as whole strings.
//! - [`ParseError`]: why a name is not a valid tagged series; its `Display` is the reference's
//!   message word for word (carbon's wording; [`ParseError::graphite_web_message`] gives the
//!   webapp's where it differs).
//! - [`encode`] / [`decode`] / [`relative_path`]: where a (normalised) name lives under the
//!   storage directory: `a.b.c` → `a/b/c.wsp`, a tagged name → `_tagged/xxx/yyy/<sha256>.wsp`
//!   (or the `_DOT_` form when `TAG_HASH_FILENAMES` is off).
//! - [`validate_metric_name`]: refuses names that are path tricks (`..` components, absolute
//!   paths, NUL bytes) before anything is written; the reference has no such check.
//!
//! The crate is pure (no I/O) and shared by carbon and the webapp.
//!
//! [`path`]: TaggedSeries::path
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// Characters a tag name may not contain.
const PROHIBITED_TAG_CHARS: [char; 4] = [';', '!', '^', '='];

/// Why a name could not be parsed as a tagged series. `Display` gives the reference's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The name part (before the first `;`, or before `{` in the OpenMetrics form) is empty.
    #[error("Cannot parse path {path}, no metric found")]
    NoMetric {
        /// The whole name as given.
        path: String,
    },
    /// A carbon-form segment has no `=` or an empty tag, or the OpenMetrics tag list does not
    /// match `tag="value"` at this point (the segment is the rest of the list).
    #[error("Cannot parse path {path}, invalid segment {segment}")]
    InvalidSegment {
        /// The whole name as given.
        path: String,
        /// The offending segment (OpenMetrics: the unparsed rest of the tag list).
        segment: String,
    },
    /// A tag name is empty (not reachable through [`TaggedSeries::parse`], which reports an
    /// invalid segment first; kept for [`validate_tag_and_value`]).
    #[error("Tag may not be empty")]
    EmptyTag,
    /// A tag's value is empty (`name;tag=`).
    #[error("Value for tag \"{tag}\" may not be empty")]
    EmptyValue {
        /// The tag name.
        tag: String,
    },
    /// A tag name contains one of `; ! ^ =` (the first of these, in that order, is reported).
    #[error("Character \"{ch}\" is not allowed in tag \"{tag}\"")]
    ProhibitedCharInTag {
        /// The prohibited character.
        ch: char,
        /// The tag name.
        tag: String,
    },
    /// A tag value contains `;` (only possible in the OpenMetrics form).
    #[error("Character \";\" is not allowed in value \"{value}\" of tag {tag}")]
    SemicolonInValue {
        /// The value.
        value: String,
        /// The tag name.
        tag: String,
    },
    /// A tag value starts with `~`.
    #[error("Tag values are not allowed to start with \"~\" in tag \"{tag}\"")]
    TildeValue {
        /// The tag name.
        tag: String,
    },
    /// The name consists only of `~` characters, which are stripped from the name tag.
    #[error("Cannot use metric name {name} as tag value, results in an empty string")]
    EmptyName {
        /// The name part as given.
        name: String,
    },
    /// The OpenMetrics form has more than one `{`: the reference fails unpacking its split with
    /// this Python `ValueError` message.
    #[error("too many values to unpack (expected 2)")]
    TooManyBraces,
}

impl ParseError {
    /// The message graphite-web 1.1.10 gives; it differs from carbon's (this type's `Display`)
    /// only in a typo for [`ParseError::EmptyName`].
    pub fn graphite_web_message(&self) -> String {
        match self {
            ParseError::EmptyName { name } => {
                format!("Cannot use metric name {name} as tag value, results in emptry string")
            }
            other => other.to_string(),
        }
    }
}

/// A parsed series name: the name as written and its tags, including the `name` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedSeries {
    /// The name part exactly as given (a leading `~` is kept here, stripped in the `name` tag).
    metric: String,
    /// Every tag, `name` included; a repeated tag keeps its last value.
    tags: BTreeMap<String, String>,
}

impl TaggedSeries {
    /// Parses `name;tag=value;...`, or `name{tag="value",...}` when the name contains `{` and
    /// ends with `"}`, with the reference's rules and errors.
    pub fn parse(path: &str) -> Result<Self, ParseError> {
        if path.ends_with("\"}") && path.contains('{') {
            Self::parse_openmetrics(path)
        } else {
            Self::parse_carbon(path)
        }
    }

    /// Parses the carbon form `name;tag=value;...` (segments split on `;`, then on the first
    /// `=`).
    pub fn parse_carbon(path: &str) -> Result<Self, ParseError> {
        let mut segments = path.split(';');
        let metric = segments.next().unwrap_or_default();
        if metric.is_empty() {
            return Err(ParseError::NoMetric { path: path.into() });
        }
        let mut tags = BTreeMap::new();
        for segment in segments {
            let (tag, value) = match segment.split_once('=') {
                Some((tag, value)) if !tag.is_empty() => (tag, value),
                _ => {
                    return Err(ParseError::InvalidSegment {
                        path: path.into(),
                        segment: segment.into(),
                    })
                }
            };
            validate_tag_and_value(tag, value)?;
            tags.insert(tag.to_owned(), value.to_owned());
        }
        Self::finish(metric, tags)
    }

    /// Parses the OpenMetrics form `name{tag="value",...}`. Values may contain `\"` and `\\`.
    /// As in the reference, a tag may be followed by `,` or `:,` (a typo in its pattern), and
    /// the escapes are undone by two successive replacements (`\"` → `"`, then `\\` → `\`).
    pub fn parse_openmetrics(path: &str) -> Result<Self, ParseError> {
        let body = path.strip_suffix('}').unwrap_or(path);
        let mut parts = body.splitn(3, '{');
        let metric = parts.next().unwrap_or_default();
        let Some(mut rawtags) = parts.next() else {
            // Python would fail unpacking a one-element list; `parse` never gets here.
            return Err(ParseError::NoMetric { path: path.into() });
        };
        if parts.next().is_some() {
            return Err(ParseError::TooManyBraces);
        }
        if metric.is_empty() {
            return Err(ParseError::NoMetric { path: path.into() });
        }
        let mut tags = BTreeMap::new();
        while !rawtags.is_empty() {
            let Some((tag, raw_value, consumed)) = match_openmetrics_tag(rawtags) else {
                return Err(ParseError::InvalidSegment {
                    path: path.into(),
                    segment: rawtags.into(),
                });
            };
            let value = raw_value.replace("\\\"", "\"").replace("\\\\", "\\");
            validate_tag_and_value(tag, &value)?;
            tags.insert(tag.to_owned(), value);
            rawtags = &rawtags[consumed..];
        }
        Self::finish(metric, tags)
    }

    fn finish(metric: &str, mut tags: BTreeMap<String, String>) -> Result<Self, ParseError> {
        let name = metric.trim_start_matches('~');
        if name.is_empty() {
            return Err(ParseError::EmptyName {
                name: metric.into(),
            });
        }
        tags.insert("name".into(), name.into());
        Ok(TaggedSeries {
            metric: metric.into(),
            tags,
        })
    }

    /// Builds a series from a name and tags without validating them (as the reference's
    /// constructor); the `name` tag is taken from `tags` when present.
    pub fn from_parts(metric: impl Into<String>, tags: BTreeMap<String, String>) -> Self {
        TaggedSeries {
            metric: metric.into(),
            tags,
        }
    }

    /// The name part as written (the reference's `.metric`).
    pub fn metric(&self) -> &str {
        &self.metric
    }

    /// All tags, the `name` tag included.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// The normalised name (the reference's `.path`): see [`format()`].
    pub fn path(&self) -> String {
        format(&self.tags)
    }
}

/// Matches `([^=]+)="((?:[\\]["\\]|[^"\\])+)"(:?,|$)` at the start of `raw`, returning the tag,
/// the still-escaped value and how many bytes the match covers. The pattern needs no
/// backtracking: the tag runs to the first `=`, and the value's tokens are unambiguous.
fn match_openmetrics_tag(raw: &str) -> Option<(&str, &str, usize)> {
    let eq = raw.find('=')?;
    if eq == 0 || raw.as_bytes().get(eq + 1) != Some(&b'"') {
        return None;
    }
    let bytes = raw.as_bytes();
    let start = eq + 2;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if matches!(bytes.get(i + 1), Some(b'"' | b'\\')) => i += 2,
            b'\\' | b'"' => break,
            // Only ASCII bytes are special, so stepping over a UTF-8 sequence byte by byte is
            // equivalent to stepping over the character.
            _ => i += 1,
        }
    }
    if i == start || bytes.get(i) != Some(&b'"') {
        return None;
    }
    let value = &raw[start..i];
    let rest = &raw[i + 1..];
    let tail = if rest.starts_with(":,") {
        2
    } else if rest.starts_with(',') {
        1
    } else if rest.is_empty() {
        0
    } else {
        return None;
    };
    Some((&raw[..eq], value, i + 1 + tail))
}

/// Checks a tag and its value as the reference does, in its order: tag not empty, value not
/// empty, no `; ! ^ =` in the tag, no `;` in the value, value not starting with `~`.
pub fn validate_tag_and_value(tag: &str, value: &str) -> Result<(), ParseError> {
    if tag.is_empty() {
        return Err(ParseError::EmptyTag);
    }
    if value.is_empty() {
        return Err(ParseError::EmptyValue { tag: tag.into() });
    }
    if let Some(&ch) = PROHIBITED_TAG_CHARS.iter().find(|&&c| tag.contains(c)) {
        return Err(ParseError::ProhibitedCharInTag {
            ch,
            tag: tag.into(),
        });
    }
    if value.contains(';') {
        return Err(ParseError::SemicolonInValue {
            value: value.into(),
            tag: tag.into(),
        });
    }
    if value.starts_with('~') {
        return Err(ParseError::TildeValue { tag: tag.into() });
    }
    Ok(())
}

/// The normalised name for a tag set: the `name` tag (empty when missing) followed by every
/// other tag as `;tag=value`, those strings sorted as whole strings by code point (so
/// `a.b=1` sorts before `a=2`, since `.` < `=`).
pub fn format(tags: &BTreeMap<String, String>) -> String {
    let mut parts: Vec<String> = tags
        .iter()
        .filter(|(k, _)| k.as_str() != "name")
        .map(|(k, v)| format!(";{k}={v}"))
        .collect();
    parts.sort_unstable();
    let mut out = tags.get("name").cloned().unwrap_or_default();
    for p in parts {
        out.push_str(&p);
    }
    out
}

/// Normalises a name: `TaggedSeries::parse(name)?.path()`.
pub fn normalize(name: &str) -> Result<String, ParseError> {
    TaggedSeries::parse(name).map(|s| s.path())
}

/// Whether a (normalised) name is stored as a tagged series: it contains `;`.
pub fn is_tagged(name: &str) -> bool {
    name.contains(';')
}

/// The lowercase hex SHA-256 of a name's UTF-8 bytes, which names tagged series on disk.
pub fn tag_hash(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// Encodes a name for storage with separator `sep`, as the reference's `TaggedSeries.encode`:
/// a tagged name becomes `_tagged<sep>h[0:3]<sep>h[3:6]<sep>x` where `h` is [`tag_hash`] and `x`
/// is `h` when `hash_only`, else the name with every `.` replaced by `_DOT_`; any other name
/// has its dots replaced by `sep` and leading `sep`s stripped. Nothing else is sanitised.
pub fn encode(name: &str, sep: char, hash_only: bool) -> String {
    if is_tagged(name) {
        let h = tag_hash(name);
        let last = if hash_only {
            h.clone()
        } else {
            name.replace('.', "_DOT_")
        };
        let mut out = String::with_capacity(16 + last.len());
        for part in ["_tagged", &h[0..3], &h[3..6]] {
            out.push_str(part);
            out.push(sep);
        }
        out.push_str(&last);
        out
    } else {
        let mut buf = [0u8; 4];
        let sep_str = sep.encode_utf8(&mut buf);
        name.replace('.', sep_str)
            .trim_start_matches(sep)
            .to_owned()
    }
}

/// The inverse of [`encode`] where one exists (the reference's `TaggedSeries.decode`): a
/// `_tagged` path yields its last part with `_DOT_` turned back into `.`; any other path has
/// its separators replaced by dots.
pub fn decode(path: &str, sep: char) -> String {
    if path.starts_with("_tagged") {
        let last = path.splitn(4, sep).last().unwrap_or(path);
        last.replace("_DOT_", ".")
    } else {
        let mut buf = [0u8; 4];
        path.replace(&*sep.encode_utf8(&mut buf), ".")
    }
}

/// The whisper file of a (normalised) name, relative to the storage directory:
/// `encode(name, '/', hash_only) + ".wsp"`. `hash_only` is carbon's `TAG_HASH_FILENAMES`.
///
/// The result never has a `..` component or a leading `/` (dots become separators or `_DOT_`,
/// leading separators are stripped, tagged paths start with `_tagged`); a NUL byte is passed
/// through, so check names with [`validate_metric_name`] first.
pub fn relative_path(name: &str, hash_only: bool) -> String {
    let mut p = encode(name, '/', hash_only);
    p.push_str(".wsp");
    p
}

/// Why a metric name is refused as a path trick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsafeNameError {
    /// The name contains a NUL byte, which no file name can hold.
    #[error("metric name contains a NUL byte")]
    NulByte,
    /// The name starts with `/`, as an absolute path would.
    #[error("metric name is an absolute path")]
    AbsolutePath,
    /// A `/`-separated part of the name is `..`.
    #[error("metric name has a '..' path component")]
    ParentComponent,
}

/// Refuses names that try to escape the storage directory: a NUL byte, a leading `/`, or a
/// `..` component between slashes (`a/../b`). The reference accepts these (its encoding
/// happens to keep them inside the directory, `/etc/x` → `etc/x.wsp`), so this is a deliberate
/// difference; ordinary names such as `..lead.dots` or `a..b` are accepted as the reference
/// does.
pub fn validate_metric_name(name: &str) -> Result<(), UnsafeNameError> {
    if name.contains('\0') {
        return Err(UnsafeNameError::NulByte);
    }
    if name.starts_with('/') {
        return Err(UnsafeNameError::AbsolutePath);
    }
    if name.split('/').any(|part| part == "..") {
        return Err(UnsafeNameError::ParentComponent);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
