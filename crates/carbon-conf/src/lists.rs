//! Whitelist and blacklist files: one Python regex per line, `re.search` semantics.

use std::path::Path;

use crate::error::{Error, Result};
use crate::pattern::PyRegex;

/// The patterns of a whitelist or blacklist file.
#[derive(Debug, Clone, Default)]
pub struct RegexList {
    /// The compiled patterns, in file order.
    pub patterns: Vec<PyRegex>,
    /// Lines that did not compile, as messages for the log.
    pub messages: Vec<String>,
}

impl RegexList {
    /// Reads a list file as `carbon.regexlist.RegexList.read_list` does: each line stripped;
    /// blank lines and lines whose *raw* text starts with `#` skipped (an indented `#` is a
    /// pattern); a bad pattern reported and skipped. A missing file is an empty list.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(RegexList::default()),
            Err(source) => {
                return Err(Error::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        Ok(Self::parse(&text, &path.display().to_string()))
    }

    /// Parses list text; `name` appears in the messages.
    pub fn parse(text: &str, name: &str) -> Self {
        let mut list = RegexList::default();
        for line in text.lines() {
            let pattern = line.trim();
            if line.starts_with('#') || pattern.is_empty() {
                continue;
            }
            match PyRegex::new(pattern) {
                Ok(re) => list.patterns.push(re),
                Err(_) => list.messages.push(format!(
                    "Failed to parse '{pattern}' in '{name}'. Ignoring line"
                )),
            }
        }
        list
    }

    /// Whether any pattern matches `name` (`name in RegexList`).
    pub fn matches(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| p.is_match(name))
    }

    /// Whether the list has no patterns (an empty whitelist lets everything through).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_and_bad_lines() {
        let l = RegexList::parse("# c\n\n  # not a comment\n^a\\.\n(bad\n\\.$\n", "f");
        assert_eq!(l.patterns.len(), 3);
        assert_eq!(l.messages, ["Failed to parse '(bad' in 'f'. Ignoring line"]);
        assert!(l.matches("a.b"));
        assert!(l.matches("x.# not a comment"));
        assert!(l.matches("b."));
        assert!(!l.matches("b.c"));
        assert!(RegexList::load(Path::new("/nonexistent/list"))
            .unwrap()
            .is_empty());
    }
}
