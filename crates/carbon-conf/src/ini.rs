//! An INI reader with the semantics of Python 3's `configparser.ConfigParser()` as carbon
//! creates it: `=` or `:` delimiters, full-line `#`/`;` comments only, indented continuation
//! lines, lower-cased option names, strict duplicates, a `[DEFAULT]` section merged into every
//! other one, and `BasicInterpolation` (`%(key)s`, `%%`) applied when a value is read.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// ConfigParser's `MAX_INTERPOLATION_DEPTH`.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// Options of one section, in file order, with lower-cased names and raw (uninterpolated)
/// values.
type Options = Vec<(String, String)>;

/// A parsed INI file.
#[derive(Debug, Clone, Default)]
pub struct Ini {
    path: PathBuf,
    defaults: Options,
    sections: Vec<(String, Options)>,
    /// Section names as `OrderedConfigParser` lists them: every stripped line that starts
    /// with `[` and ends with `]`, inner text, in file order (may include `DEFAULT`).
    header_lines: Vec<String>,
}

/// The section ConfigParser merges into every other one.
pub const DEFAULT_SECTION: &str = "DEFAULT";

impl Ini {
    /// Reads and parses `path` (UTF-8).
    pub fn read(path: &Path) -> Result<Ini> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Ini::parse_named(&text, path)
    }

    /// Parses INI text; errors name no file.
    pub fn parse(text: &str) -> Result<Ini> {
        Ini::parse_named(text, Path::new(""))
    }

    fn parse_named(text: &str, path: &Path) -> Result<Ini> {
        let mut ini = Ini {
            path: path.to_owned(),
            ..Ini::default()
        };
        let syntax = |line: usize, message: String| Error::Syntax {
            path: path.to_owned(),
            line,
            message,
        };
        // `None` = no section yet, `Some(None)` = DEFAULT, `Some(Some(i))` = sections[i].
        let mut current: Option<Option<usize>> = None;
        // The option that continuation lines extend, as (section, index in its options).
        let mut current_opt: Option<usize> = None;
        let mut indent_level = 0usize;
        let mut seen_sections: Vec<String> = Vec::new();
        for (idx, line) in text.lines().enumerate() {
            let lineno = idx + 1;
            let stripped = line.trim();
            if stripped.starts_with('[') && stripped.ends_with(']') && stripped.len() >= 2 {
                ini.header_lines
                    .push(stripped[1..stripped.len() - 1].to_owned());
            }
            let is_comment = stripped.starts_with('#') || stripped.starts_with(';');
            if stripped.is_empty() || is_comment {
                // A blank line inside a value becomes an empty line of it (trailing ones are
                // stripped when joining); a comment line is dropped. Neither ends the value.
                if !is_comment {
                    if let (Some(sec), Some(opt)) = (current, current_opt) {
                        ini.options_mut(sec)[opt].1.push('\n');
                    }
                }
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if let (Some(sec), Some(opt)) = (current, current_opt) {
                if indent > indent_level {
                    let value = &mut ini.options_mut(sec)[opt].1;
                    value.push('\n');
                    value.push_str(stripped);
                    continue;
                }
            }
            indent_level = indent;
            if let Some(header) = section_header(stripped) {
                if seen_sections.iter().any(|s| s == header) {
                    return Err(syntax(lineno, format!("section {header:?} already exists")));
                }
                current_opt = None;
                if header == DEFAULT_SECTION {
                    current = Some(None);
                } else {
                    seen_sections.push(header.to_owned());
                    ini.sections.push((header.to_owned(), Vec::new()));
                    current = Some(Some(ini.sections.len() - 1));
                }
                continue;
            }
            let Some(sec) = current else {
                return Err(syntax(lineno, "option before the first [section]".into()));
            };
            let Some(delim) = stripped.find(['=', ':']) else {
                return Err(syntax(
                    lineno,
                    format!("not an option or section: {stripped:?}"),
                ));
            };
            let name = stripped[..delim].trim_end().to_lowercase();
            if name.is_empty() {
                return Err(syntax(
                    lineno,
                    format!("option without a name: {stripped:?}"),
                ));
            }
            let value = stripped[delim + 1..].trim().to_owned();
            let options = ini.options_mut(sec);
            if options.iter().any(|(k, _)| *k == name) {
                return Err(syntax(lineno, format!("option {name:?} already exists")));
            }
            options.push((name, value));
            current_opt = Some(options.len() - 1);
        }
        // Join: trailing blank lines of multi-line values go (Python's `rstrip`).
        for opts in
            std::iter::once(&mut ini.defaults).chain(ini.sections.iter_mut().map(|s| &mut s.1))
        {
            for (_, v) in opts.iter_mut() {
                let keep = v.trim_end().len();
                v.truncate(keep);
            }
        }
        Ok(ini)
    }

    fn options_mut(&mut self, sec: Option<usize>) -> &mut Options {
        match sec {
            None => &mut self.defaults,
            Some(i) => &mut self.sections[i].1,
        }
    }

    /// The file this was read from (empty for [`Ini::parse`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `section` exists (`DEFAULT` never "exists", as in ConfigParser).
    pub fn has_section(&self, section: &str) -> bool {
        self.sections.iter().any(|(n, _)| n == section)
    }

    /// Section names in file order as carbon's `OrderedConfigParser.sections()` gives them.
    pub fn ordered_sections(&self) -> &[String] {
        &self.header_lines
    }

    /// Section names as ConfigParser parsed them, in file order (without `DEFAULT`).
    pub fn sections(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|(n, _)| n.as_str())
    }

    /// The options of `section` merged over `[DEFAULT]`, interpolated, in ConfigParser's
    /// `items()` order (defaults first, then the section's own new keys). `Ok(None)` when the
    /// section does not exist; `DEFAULT` gives the defaults alone.
    pub fn items(&self, section: &str) -> Result<Option<Vec<(String, String)>>> {
        let own: &[(String, String)] = if section == DEFAULT_SECTION {
            &[]
        } else {
            match self.sections.iter().find(|(n, _)| n == section) {
                Some((_, o)) => o,
                None => return Ok(None),
            }
        };
        let mut merged: Options = self.defaults.clone();
        for (k, v) in own {
            match merged.iter_mut().find(|(mk, _)| mk == k) {
                Some(slot) => slot.1 = v.clone(),
                None => merged.push((k.clone(), v.clone())),
            }
        }
        let mut out = Vec::with_capacity(merged.len());
        for (k, v) in &merged {
            let value = interpolate(section, k, v, &merged)?;
            out.push((k.clone(), value));
        }
        Ok(Some(out))
    }
}

/// ConfigParser's `\[(?P<header>.+)\]` matched at the start of the stripped line: the header
/// runs to the *last* `]`, and anything after it is ignored.
fn section_header(stripped: &str) -> Option<&str> {
    let rest = stripped.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// `BasicInterpolation.before_get`.
fn interpolate(section: &str, key: &str, raw: &str, map: &Options) -> Result<String> {
    let mut out = String::new();
    interpolate_into(section, key, raw, map, 1, &mut out)?;
    Ok(out)
}

fn interpolate_into(
    section: &str,
    key: &str,
    value: &str,
    map: &Options,
    depth: usize,
    out: &mut String,
) -> Result<()> {
    let err = |message: String| Error::Interpolation {
        section: section.to_owned(),
        key: key.to_owned(),
        message,
    };
    if depth > MAX_INTERPOLATION_DEPTH {
        return Err(err("recursion limit exceeded (a reference loop?)".into()));
    }
    let mut rest = value;
    while let Some(p) = rest.find('%') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let next = rest[1..].chars().next();
        match next {
            Some('%') => {
                out.push('%');
                rest = &rest[2..];
            }
            Some('(') => {
                // `%\(([^)]+)\)s`
                let close = rest[2..].find(')').map(|i| i + 2);
                let var = match close {
                    Some(c) if c > 2 && rest[c + 1..].starts_with('s') => &rest[2..c],
                    _ => {
                        return Err(err(format!(
                            "bad interpolation variable reference {rest:?}"
                        )))
                    }
                };
                let end = close.unwrap_or_default() + 2;
                let var = var.to_lowercase();
                let Some((_, v)) = map.iter().find(|(k, _)| *k == var) else {
                    return Err(err(format!("no option {var:?} to interpolate")));
                };
                if v.contains('%') {
                    interpolate_into(section, key, v, map, depth + 1, out)?;
                } else {
                    out.push_str(v);
                }
                rest = &rest[end..];
            }
            _ => {
                return Err(err(format!(
                    "'%' must be followed by '%' or '(', found: {rest:?}"
                )))
            }
        }
    }
    out.push_str(rest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str, section: &str) -> Vec<(String, String)> {
        Ini::parse(text).unwrap().items(section).unwrap().unwrap()
    }

    #[test]
    fn delimiters_case_and_comments() {
        let got = items(
            "# c\n; c\n[cache]\nFoo = 1\nbar: a=b\n  # indented comment\nbaz=x ; not a comment\n",
            "cache",
        );
        assert_eq!(
            got,
            vec![
                ("foo".into(), "1".into()),
                ("bar".into(), "a=b".into()),
                ("baz".into(), "x ; not a comment".into()),
            ]
        );
    }

    #[test]
    fn continuation_lines_and_blank_lines() {
        let got = items("[s]\na = 1\n  2\n\n  3\n\nb = x\n\n\n", "s");
        assert_eq!(got[0], ("a".into(), "1\n2\n\n3".into()));
        assert_eq!(got[1], ("b".into(), "x".into()));
    }

    #[test]
    fn defaults_merge_and_interpolation() {
        let text = "[DEFAULT]\nroot = /srv\nx = %(root)s/x\n[cache]\nROOT = /opt\ny = %(X)s/y%%\n";
        let got = items(text, "cache");
        assert_eq!(
            got,
            vec![
                ("root".into(), "/opt".into()),
                ("x".into(), "/opt/x".into()),
                ("y".into(), "/opt/x/y%".into()),
            ]
        );
        assert_eq!(items(text, "DEFAULT")[1].1, "/srv/x");
    }

    #[test]
    fn interpolation_errors() {
        for text in [
            "[s]\na = 50%\n",
            "[s]\na = %(b)s\n",
            "[s]\na = %(a)s\n",
            "[s]\na = %(b)d\nb = 1\n",
            "[s]\na = %()s\n",
        ] {
            let ini = Ini::parse(text).unwrap();
            assert!(
                matches!(ini.items("s"), Err(Error::Interpolation { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn syntax_errors() {
        for text in [
            "a = 1\n",
            "[s]\njunk\n",
            "[s]\n= 1\n",
            "[s]\n[s]\n",
            "[s]\na = 1\nA = 2\n",
        ] {
            assert!(
                matches!(Ini::parse(text), Err(Error::Syntax { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn headers() {
        let ini = Ini::parse("[a] trailing\n[b]]\n[c] ; x\n[DEFAULT]\n").unwrap();
        assert_eq!(ini.sections().collect::<Vec<_>>(), ["a", "b]", "c"]);
        assert_eq!(ini.ordered_sections(), ["b]", "DEFAULT"]);
        assert!(ini.items("nope").unwrap().is_none());
    }
}
