//! Graph templates: glyph.py's `defaultGraphOptions` and, when `GRAPHTEMPLATES_CONF` exists,
//! its sections read as Python's `ConfigParser` reads them (`loadTemplate`).
//!
//! With a file, its `[default]` section overrides the built-in defaults, a known template's
//! section supplies the options it sets (and the defaults the rest), and an unknown template
//! gets the defaults. Without a file every template is the built-in defaults.

use indexmap::IndexMap;

use super::GraphError;

/// `defaultGraphOptions`, keys lower-case as `ConfigParser` stores them.
pub const DEFAULT_GRAPH_OPTIONS: &[(&str, &str)] = &[
    ("background", "white"),
    ("foreground", "black"),
    ("majorline", "rose"),
    ("minorline", "grey"),
    (
        "linecolors",
        "blue,green,red,purple,brown,yellow,aqua,grey,magenta,pink,gold,rose",
    ),
    ("fontname", "Sans"),
    ("fontsize", "10"),
    ("fontbold", "false"),
    ("fontitalic", "false"),
];

/// The templates a server knows: the built-in defaults and, optionally, a parsed file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Templates {
    /// The file's sections (lower-case keys, `[DEFAULT]` values merged in), in file order;
    /// `None` when there is no file.
    sections: Option<IndexMap<String, IndexMap<String, String>>>,
}

/// The options one template resolves to (`loadTemplate`'s locals).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// `background`.
    pub background: String,
    /// `foreground`.
    pub foreground: String,
    /// `majorline`: major grid line colour.
    pub major_line: String,
    /// `minorline`: minor grid line colour.
    pub minor_line: String,
    /// `linecolors`, split on commas and stripped.
    pub line_colors: Vec<String>,
    /// `fontname`.
    pub font_name: String,
    /// `float(fontsize)`.
    pub font_size: f64,
    /// `fontbold.lower() == 'true'`.
    pub font_bold: bool,
    /// `fontitalic.lower() == 'true'`.
    pub font_italic: bool,
}

impl Templates {
    /// No templates file: every template is `defaultGraphOptions`.
    pub fn builtin() -> Self {
        Self { sections: None }
    }

    /// A `graphTemplates.conf` file's text. Errors are the parse errors `ConfigParser`
    /// raises (the reference then fails every graph).
    pub fn from_conf(text: &str) -> Result<Self, GraphError> {
        Ok(Self {
            sections: Some(parse_ini(text)?),
        })
    }

    /// `loadTemplate(name)`.
    pub fn resolve(&self, name: &str) -> Result<Template, GraphError> {
        let mut defaults: IndexMap<String, String> = DEFAULT_GRAPH_OPTIONS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let opts = match &self.sections {
            Some(sections) => {
                let default = sections
                    .get("default")
                    .ok_or_else(|| GraphError::new("NoSectionError", "No section: 'default'"))?;
                for (k, v) in default {
                    defaults.insert(k.clone(), v.clone());
                }
                match sections.get(name) {
                    Some(section) => section.clone(),
                    None => defaults.clone(),
                }
            }
            None => defaults.clone(),
        };
        let get = |key: &str| -> String {
            opts.get(key)
                .or_else(|| defaults.get(key))
                .cloned()
                .unwrap_or_default()
        };
        let font_size_text = get("fontsize");
        let font_size = super::params::py_float_str(&font_size_text).ok_or_else(|| {
            GraphError::new(
                "ValueError",
                format!(
                    "could not convert string to float: {}",
                    super::params::py_repr(&font_size_text)
                ),
            )
        })?;
        Ok(Template {
            background: get("background"),
            foreground: get("foreground"),
            major_line: get("majorline"),
            minor_line: get("minorline"),
            line_colors: get("linecolors")
                .split(',')
                .map(|c| c.trim().to_owned())
                .collect(),
            font_name: get("fontname"),
            font_size,
            font_bold: get("fontbold").to_lowercase() == "true",
            font_italic: get("fontitalic").to_lowercase() == "true",
        })
    }
}

/// The subset of `ConfigParser` a templates file uses: `[section]` headers, `key = value`
/// or `key: value` (keys lower-cased), `#`/`;` comment lines, indented continuation lines,
/// `[DEFAULT]` values inherited by every section, and `%%` for a literal `%`.
fn parse_ini(text: &str) -> Result<IndexMap<String, IndexMap<String, String>>, GraphError> {
    let mut sections: IndexMap<String, IndexMap<String, String>> = IndexMap::new();
    let mut common: IndexMap<String, String> = IndexMap::new();
    let mut current: Option<String> = None;
    let mut last_key: Option<String> = None;
    for (lineno, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if indented {
            if let (Some(section), Some(key)) = (&current, &last_key) {
                let target = if section == "DEFAULT" {
                    &mut common
                } else {
                    sections.entry(section.clone()).or_default()
                };
                if let Some(v) = target.get_mut(key) {
                    v.push('\n');
                    v.push_str(trimmed);
                }
                continue;
            }
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            current = Some(name.to_owned());
            if name != "DEFAULT" {
                sections.entry(name.to_owned()).or_default();
            }
            last_key = None;
            continue;
        }
        let Some(section) = &current else {
            return Err(GraphError::new(
                "MissingSectionHeaderError",
                format!("File contains no section headers. line: {}", lineno + 1),
            ));
        };
        let split = trimmed.find(['=', ':']).ok_or_else(|| {
            GraphError::new(
                "ParsingError",
                format!("Source contains parsing errors: line {}", lineno + 1),
            )
        })?;
        let key = trimmed[..split].trim().to_lowercase();
        let value = trimmed[split + 1..].trim().replace("%%", "%");
        let target = if section == "DEFAULT" {
            &mut common
        } else {
            sections.entry(section.clone()).or_default()
        };
        target.insert(key.clone(), value);
        last_key = Some(key);
    }
    for section in sections.values_mut() {
        for (k, v) in &common {
            section.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Ok(sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_and_file() {
        let t = Templates::builtin().resolve("anything").ok();
        assert_eq!(t.as_ref().map(|t| t.line_colors.len()), Some(12));
        assert_eq!(t.map(|t| t.font_size), Some(10.0));
        let conf =
            "[default]\nbackground = black\nfontSize = 12\n\n[noc]\nlineColors = red, blue\n";
        let templates = Templates::from_conf(conf).ok();
        let noc = templates.as_ref().and_then(|t| t.resolve("noc").ok());
        assert_eq!(
            noc.as_ref().map(|t| t.line_colors.clone()),
            Some(vec!["red".to_owned(), "blue".to_owned()])
        );
        // A known section takes the defaults (file's [default] included) for missing keys.
        assert_eq!(noc.map(|t| t.background), Some("black".to_owned()));
        let other = templates.and_then(|t| t.resolve("zzz").ok());
        assert_eq!(other.map(|t| t.font_size), Some(12.0));
    }
}
