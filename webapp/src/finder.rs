//! The standard finder: graphite-web's `StandardFinder` over whisper trees, answered from an
//! in-memory index of directory listings.
//!
//! # Path expressions
//!
//! A query is split at `.` into nodes, after every `\` has been removed (an escaped node still
//! globs, but its text replaces the matched name in the returned path, as the reference does).
//! Each node is brace-expanded ([`glob::expand_braces`]: `{a,b}`, nested groups) and each
//! variant is either
//! - a name without `[`, `*` or `?`: looked up directly (a directory of that name, and for the
//!   last node the file `<name>.wsp`); an empty name stands for the current directory, so
//!   `a..b` finds `a.b` as in the reference;
//! - `**`: the directory itself and every directory below it (symbolic links to directories
//!   are not descended, as `os.walk` does not); a last `**` is followed by an implicit `*`;
//! - anything else: an `fnmatch` pattern ([`glob::Glob`]) over the subdirectories, and for the
//!   last node over the file names with `.*` appended (so `cpu` matches `cpu.wsp`).
//!
//! Directories are branches, `*.wsp` files leaves (their metric name is the file name up to its
//! first `.`). A result whose last component starts with `.` is skipped; hidden directories on
//! the way are not. Symbolic links are followed; for a leaf reached through one, the real path
//! and the metric path of the real file (for carbonlink queries) are kept in the [`Node`].
//!
//! A query containing `;` that does not start with `_tagged.` is a tagged series name, looked
//! up at its encoded places (`_tagged/<h[0:3]>/<h[3:6]>/<sha256>.wsp`, then
//! `_tagged/.../<name with . as _DOT_>.wsp`), with the query itself as the returned path.
//!
//! # Index
//!
//! Queries never walk the tree. Each visited directory costs one `stat`: its listing (sorted
//! subdirectory and `*.wsp` names) is cached by device and inode and re-read only when the
//! directory's mtime changed (see the `index` module for the racy-timestamp rule), so files that
//! carbon-cache creates show up on the next query. Literal nodes are binary searches in the
//! sorted names; a glob with a literal prefix only scans the names with that prefix. The cache
//! is sharded behind `RwLock`s, so a [`Finder`] is shared by all request threads in an `Arc`.

pub mod glob;
mod index;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use glob::{expand_braces, has_wildcard, Glob};
use index::{DirCache, Listing, IS_FILE, SYMLINK};

/// Why a find failed.
#[derive(Debug, thiserror::Error)]
pub enum FinderError {
    /// A node's brace expansion yields too many variants (a guard the reference lacks).
    #[error("{0}")]
    TooManyVariants(#[from] glob::TooManyVariants),
    /// An escaped node's index is past the end of a matched path (the reference raises an
    /// `IndexError` here, e.g. for `a.**.b\*` matching `a.bc`).
    #[error("list assignment index out of range")]
    EscapedFieldOutOfRange,
}

/// One match: a branch (directory) or a leaf (whisper file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The metric path (`a.b.c`), or the query itself for a tagged series.
    pub path: String,
    /// Whether this is a leaf (a whisper file).
    pub is_leaf: bool,
    /// The directory, or the whisper file; for a leaf reached through a symbolic link below the
    /// storage directory, the file's canonical path.
    pub fs_path: PathBuf,
    /// The metric name of the real file, for carbonlink queries: the path of the file the
    /// symbolic links lead to when one was crossed, else [`Node::path`] before escaped nodes
    /// were substituted.
    pub real_metric_path: String,
}

impl Node {
    /// The last component of the path (`node.name` in the reference).
    pub fn name(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or("")
    }
}

/// The time span a leaf covers: `[now - maxRetention, max(mtime, start)]`, as the reference's
/// `WhisperReader.get_intervals`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Start (epoch seconds).
    pub start: f64,
    /// End (epoch seconds).
    pub end: f64,
}

/// The interval of a leaf at time `now` (epoch seconds, fractional as Python's `time.time()`):
/// reads the whisper header for `maxRetention` and stats the file for its mtime.
pub fn leaf_intervals(node: &Node, now: f64) -> std::io::Result<Interval> {
    use std::os::unix::fs::MetadataExt;
    let header = whisper::info(&node.fs_path).map_err(std::io::Error::other)?;
    let start = now - f64::from(header.max_retention);
    let md = std::fs::metadata(&node.fs_path)?;
    let mtime = md.mtime() as f64 + md.mtime_nsec() as f64 * 1e-9;
    Ok(Interval {
        start,
        end: mtime.max(start),
    })
}

/// One brace-expanded variant of a node pattern.
#[derive(Debug)]
enum Variant {
    /// No wildcard: a direct lookup.
    Literal(String),
    /// `**`.
    GlobStar,
    /// A glob: `dir` for subdirectories, `file` (the pattern with `.*` appended) for files.
    Glob { dir: Glob, file: Glob },
}

impl Variant {
    fn compile(v: String) -> Self {
        if v == "**" {
            Variant::GlobStar
        } else if has_wildcard(&v) {
            let file = Glob::new(&format!("{v}.*"));
            Variant::Glob {
                dir: Glob::new(&v),
                file,
            }
        } else {
            Variant::Literal(v)
        }
    }
}

/// The variants of one node.
#[derive(Debug)]
struct Element {
    variants: Vec<Variant>,
}

impl Element {
    fn compile(part: &str) -> Result<Self, FinderError> {
        Ok(Self {
            variants: expand_braces(part)?
                .into_iter()
                .map(Variant::compile)
                .collect(),
        })
    }
}

/// A relative path found under one root.
#[derive(Debug)]
struct Hit {
    /// The relative path as Python's `os.path.join` builds it.
    rel: String,
    is_dir: bool,
    /// A symbolic link below the root was crossed (or is the entry itself).
    symlink: bool,
}

/// The standard finder over one or more storage directories (`STANDARD_DIRS`); `Send + Sync`.
#[derive(Debug)]
pub struct Finder {
    dirs: Vec<PathBuf>,
    index_dir: Option<PathBuf>,
    cache: DirCache,
    /// The implicit last node after a final `**`.
    star: Arc<[Element]>,
}

impl Finder {
    /// A finder over `dirs`, searched in order (for a path found in several, the first
    /// directory's node is returned). [`Finder::index`] walks the first directory unless
    /// [`Finder::with_index_dir`] names another.
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        let star: Arc<[Element]> = Arc::from(vec![Element {
            variants: vec![Variant::compile("*".to_owned())],
        }]);
        Self {
            index_dir: dirs.first().cloned(),
            dirs,
            cache: DirCache::default(),
            star,
        }
    }

    /// Sets the directory [`Finder::index`] walks (the reference walks `WHISPER_DIR`, whatever
    /// `STANDARD_DIRS` holds).
    pub fn with_index_dir(mut self, dir: PathBuf) -> Self {
        self.index_dir = Some(dir);
        self
    }

    /// The storage directories.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Number of cached directory listings and their approximate heap size in bytes.
    pub fn cache_stats(&self) -> (usize, usize) {
        self.cache.stats()
    }

    /// Forgets every cached listing (the next queries re-read what they visit).
    pub fn clear_cache(&self) {
        self.cache.clear();
    }

    /// The nodes matching `pattern`, sorted by path (a branch before a leaf of the same path),
    /// each path once per kind. With `leaves_only`, branches are left out.
    pub fn find(&self, pattern: &str, leaves_only: bool) -> Result<Vec<Node>, FinderError> {
        let tagged = !pattern.starts_with("_tagged.") && pattern.contains(';');
        let mut nodes: Vec<Node> = Vec::new();
        if tagged {
            for root in &self.dirs {
                self.find_tagged(root, pattern, &mut nodes);
            }
        } else {
            let clean = pattern.replace('\\', "");
            let parts: Vec<&str> = clean.split('.').collect();
            let elements = parts
                .iter()
                .map(|p| Element::compile(p))
                .collect::<Result<Vec<_>, _>>()?;
            let escaped: Vec<usize> = escaped_pattern_fields(pattern).collect();
            for root in &self.dirs {
                let mut hits = Vec::new();
                self.find_paths(
                    root,
                    "",
                    &elements,
                    false,
                    &mut |parent, tail, is_dir, symlink| {
                        hits.push(Hit {
                            rel: python_join(parent, tail),
                            is_dir,
                            symlink,
                        });
                    },
                );
                let root_str = root.to_string_lossy();
                for hit in hits {
                    if let Some(node) = hit_to_node(&root_str, &hit, &parts, &escaped)? {
                        nodes.push(node);
                    }
                }
            }
        }
        if leaves_only {
            nodes.retain(|n| n.is_leaf);
        }
        // Sorted listings usually yield path order already; check before sorting.
        if !nodes.is_sorted_by(|a, b| (&a.path, a.is_leaf) <= (&b.path, b.is_leaf)) {
            nodes.sort_by(|a, b| (&a.path, a.is_leaf).cmp(&(&b.path, b.is_leaf)));
        }
        nodes.dedup_by(|b, a| a.path == b.path && a.is_leaf == b.is_leaf);
        Ok(nodes)
    }

    /// What the browser tree (`/metrics/find`'s treejson) needs of `find(pattern,
    /// leaves_only)`, without building every node: per distinct name (the last component of
    /// the path), whether its first node in path order is a leaf; plus the node counts. Broad
    /// finds match many nodes with few names (`a.*.*`), and building and sorting every node
    /// dominated them.
    pub fn find_names(&self, pattern: &str, leaves_only: bool) -> Result<FoundNames, FinderError> {
        let tagged = !pattern.starts_with("_tagged.") && pattern.contains(';');
        if tagged || escaped_pattern_fields(pattern).next().is_some() {
            // Rare shapes: the full nodes.
            return Ok(FoundNames::from_nodes(&self.find(pattern, leaves_only)?));
        }
        let clean = pattern.replace('\\', "");
        let parts: Vec<&str> = clean.split('.').collect();
        let elements = parts
            .iter()
            .map(|p| Element::compile(p))
            .collect::<Result<Vec<_>, _>>()?;
        // Per name, the smallest hit in (metric path, kind) order, as find() sorts; hits are
        // looked at where the traversal reports them, without building their paths.
        let mut first: std::collections::HashMap<String, OwnedKey, FnvBuild> =
            std::collections::HashMap::default();
        let mut order: Vec<String> = Vec::new();
        let mut leaves = 0;
        let mut any_branch = false;
        let mut head: Option<OwnedKey> = None;
        let mut several = false;
        let mut sink = |parent: &str, tail: &str, is_dir: bool, _symlink: bool| {
            if leaves_only && is_dir {
                return;
            }
            let joined;
            let (dir, file) = if tail.as_bytes().contains(&b'/') || parent.ends_with('/') {
                joined = python_join(parent, tail);
                (dirname_slice(&joined), python_basename(&joined))
            } else {
                (parent, tail)
            };
            let Some(key) = MetricKey::new(dir, file, is_dir) else {
                return;
            };
            if is_dir {
                any_branch = true;
            } else {
                leaves += 1;
            }
            match &head {
                None => head = Some(OwnedKey::of(&key)),
                Some(h) => several = several || key.cmp(&h.key()).is_ne(),
            }
            match first.get_mut(key.stem) {
                None => {
                    first.insert(key.stem.to_owned(), OwnedKey::of(&key));
                    order.push(key.stem.to_owned());
                }
                Some(best) => {
                    if key.cmp(&best.key()).is_lt() {
                        *best = OwnedKey::of(&key);
                    }
                }
            }
        };
        for root in &self.dirs {
            self.find_paths(root, "", &elements, false, &mut sink);
        }
        Ok(FoundNames {
            names: order
                .into_iter()
                .map(|name| {
                    let leaf = !first[&name].is_dir;
                    (name, leaf)
                })
                .collect(),
            several: several || first.len() > 1,
            leaves,
            any_branch,
        })
    }

    fn find_tagged(&self, root: &Path, pattern: &str, nodes: &mut Vec<Node>) {
        for hash_only in [true, false] {
            let rel = format!("{}.wsp", graphite_tags::encode(pattern, '/', hash_only));
            // The reference joins the name into a path as it is; refuse what would leave the
            // storage directory.
            if graphite_tags::validate_metric_name(&rel).is_err() {
                continue;
            }
            if python_basename(&rel).starts_with('.') {
                continue;
            }
            let abs = root.join(&rel);
            if std::fs::metadata(&abs).is_ok_and(|m| m.is_file()) {
                nodes.push(Node {
                    path: pattern.to_owned(),
                    is_leaf: true,
                    fs_path: abs,
                    real_metric_path: pattern.to_owned(),
                });
            }
        }
    }

    /// `StandardFinder._find_paths`: the relative paths under `dir` matching `elements`,
    /// appended to `out` with `rel` (the path of `dir` relative to the root) in front.
    fn find_paths(
        &self,
        dir: &Path,
        rel: &str,
        elements: &[Element],
        crossed: bool,
        out: &mut dyn FnMut(&str, &str, bool, bool),
    ) {
        let Some((first, rest)) = elements.split_first() else {
            return;
        };
        let listing = self.cache.listing(dir);
        for variant in &first.variants {
            // (relative path of the subdirectory from `dir`, is a symbolic link)
            let mut subdirs: Vec<(String, bool)> = Vec::new();
            let mut next: &[Element] = rest;
            let star_tail;
            match variant {
                Variant::Literal(name) => {
                    star_tail = false;
                    if let Some(l) = &listing {
                        if name.is_empty() {
                            subdirs.push((String::new(), false));
                        } else if let Some(i) = l.dirs.find(name) {
                            subdirs.push((name.clone(), l.dirs.flags(i) & SYMLINK != 0));
                        }
                    }
                }
                Variant::GlobStar => {
                    if listing.is_some() {
                        self.walk(dir, "", &mut subdirs);
                    }
                    star_tail = rest.is_empty();
                    if star_tail {
                        next = &self.star;
                    }
                }
                Variant::Glob { dir: g, .. } => {
                    star_tail = false;
                    if let Some(l) = &listing {
                        for i in l.dirs.prefix_range(g.literal_prefix()) {
                            let name = l.dirs.name(i);
                            if g.is_match(name) {
                                subdirs.push((name.to_owned(), l.dirs.flags(i) & SYMLINK != 0));
                            }
                        }
                    }
                }
            }
            if !rest.is_empty() || star_tail {
                for (sub, link) in subdirs {
                    let sub_dir = dir.join(&sub);
                    let sub_rel = python_join(rel, &sub);
                    self.find_paths(&sub_dir, &sub_rel, next, crossed || link, out);
                }
                continue;
            }
            // The last node: matching files, then matching directories.
            if let Some(l) = &listing {
                match variant {
                    Variant::Literal(name) => {
                        if !name.contains('/') && !name.contains('\0') {
                            let file = format!("{name}.wsp");
                            if let Some(i) = l.files.find(&file) {
                                push_file(out, rel, l, i, crossed);
                            }
                        }
                    }
                    Variant::Glob { file, .. } => {
                        for i in l.files.prefix_range(file.literal_prefix()) {
                            if file.is_match(l.files.name(i)) {
                                push_file(out, rel, l, i, crossed);
                            }
                        }
                    }
                    Variant::GlobStar => {}
                }
            }
            for (sub, link) in subdirs {
                out(rel, &sub, true, crossed || link);
            }
        }
    }

    /// `os.walk(dir)` without following links: the relative paths of `dir` itself (`""`) and
    /// of every directory below it.
    fn walk(&self, dir: &Path, rel: &str, out: &mut Vec<(String, bool)>) {
        let Some(listing) = self.cache.listing(dir) else {
            return;
        };
        out.push((rel.to_owned(), false));
        for i in 0..listing.dirs.len() {
            if listing.dirs.flags(i) & SYMLINK != 0 {
                continue;
            }
            let name = listing.dirs.name(i);
            self.walk(&dir.join(name), &python_join(rel, name), out);
        }
    }

    /// Every leaf metric name under the index directory (`/metrics/index.json`), sorted and
    /// without duplicates, built as the reference's `StandardFinder.get_index`: every non-
    /// directory named `*.wsp` (hidden ones too) in every directory reachable without following
    /// directory links, its relative path with every `.wsp` removed, `/` turned into `.`, and
    /// leading dots stripped.
    pub fn index(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(root) = &self.index_dir {
            self.index_walk(root, "", &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn index_walk(&self, dir: &Path, rel: &str, out: &mut Vec<String>) {
        let Some(listing) = self.cache.listing(dir) else {
            return;
        };
        for i in 0..listing.files.len() {
            let path = python_join(rel, listing.files.name(i));
            let m = path.replace(".wsp", "").replace('/', ".");
            out.push(m.trim_start_matches('.').to_owned());
        }
        for i in 0..listing.dirs.len() {
            if listing.dirs.flags(i) & SYMLINK != 0 {
                continue;
            }
            let name = listing.dirs.name(i);
            self.index_walk(&dir.join(name), &python_join(rel, name), out);
        }
    }
}

/// FNV-1a: node names are short, and SipHash's per-key setup showed in broad finds. The
/// keys come from the storage tree, not from requests, so flooding is not a concern.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

/// A hit's metric path (`fs_to_metric`) in parts, for ordering hits without building it.
#[derive(Debug, Clone, Copy)]
struct MetricKey<'a> {
    /// The directory part (`/`-separated; compared as if `.`-separated).
    dir: &'a str,
    /// Whether a `.` joins `dir` and `stem` (as fs_to_metric adds it).
    sep: bool,
    /// The last component.
    stem: &'a str,
    is_dir: bool,
    /// Whether `dir` contains a `.` (then `/` and `.` compare equal after the mapping).
    dir_has_dot: bool,
}

impl<'a> MetricKey<'a> {
    /// The key of the entry `file` in `dir` (`dirname`/`basename` of its relative path);
    /// `None` for hidden names, which find() leaves out.
    fn new(dir: &'a str, file: &'a str, is_dir: bool) -> Option<Self> {
        if file.starts_with('.') {
            return None;
        }
        Some(MetricKey {
            dir,
            sep: !dir.is_empty() && !dir.ends_with('/'),
            stem: file
                .as_bytes()
                .iter()
                .position(|&b| b == b'.')
                .map_or(file, |i| &file[..i]),
            is_dir,
            dir_has_dot: dir.as_bytes().contains(&b'.'),
        })
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + 'a {
        let sep: &'static [u8] = if self.sep { b"." } else { b"" };
        self.dir
            .bytes()
            .map(|b| if b == b'/' { b'.' } else { b })
            .chain(sep.iter().copied())
            .chain(self.stem.bytes())
    }

    /// The order find() sorts nodes in: by metric path, a branch before a leaf.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let plain = self.dir.len() == other.dir.len()
            && self.sep == other.sep
            && !self.dir_has_dot
            && !other.dir_has_dot;
        let by_path = if plain {
            // Equal-length directories without `.`: mapping `/` to `.` (adjacent bytes) keeps
            // their order, and a difference in them decides before the stems.
            self.dir
                .cmp(other.dir)
                .then_with(|| self.stem.cmp(other.stem))
        } else {
            self.bytes().cmp(other.bytes())
        };
        by_path.then((!self.is_dir).cmp(&!other.is_dir))
    }
}

/// A [`MetricKey`] kept beyond the traversal's borrow.
#[derive(Debug, Clone)]
struct OwnedKey {
    dir: String,
    sep: bool,
    stem: String,
    is_dir: bool,
    dir_has_dot: bool,
}

impl OwnedKey {
    fn of(key: &MetricKey<'_>) -> Self {
        OwnedKey {
            dir: key.dir.to_owned(),
            sep: key.sep,
            stem: key.stem.to_owned(),
            is_dir: key.is_dir,
            dir_has_dot: key.dir_has_dot,
        }
    }

    fn key(&self) -> MetricKey<'_> {
        MetricKey {
            dir: &self.dir,
            sep: self.sep,
            stem: &self.stem,
            is_dir: self.is_dir,
            dir_has_dot: self.dir_has_dot,
        }
    }
}

/// [`Finder::find_names`]'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundNames {
    /// Each distinct name with whether its first node in path order is a leaf, unordered.
    pub names: Vec<(String, bool)>,
    /// Whether `find` would return more than one node.
    pub several: bool,
    /// How many of them are leaves (a file counts once per spelling: `a.wsp` and `a.x.wsp`,
    /// one node for `find`, count twice here; only the failure threshold reads this).
    pub leaves: usize,
    /// Whether any of them is a branch.
    pub any_branch: bool,
}

impl FoundNames {
    /// The same from full nodes (sorted by path, as `find` returns them).
    pub fn from_nodes(nodes: &[Node]) -> Self {
        let mut seen = std::collections::HashSet::new();
        let mut names = Vec::new();
        for node in nodes {
            if seen.insert(node.name()) {
                names.push((node.name().to_owned(), node.is_leaf));
            }
        }
        FoundNames {
            names,
            several: nodes.len() > 1,
            leaves: nodes.iter().filter(|n| n.is_leaf).count(),
            any_branch: nodes.iter().any(|n| !n.is_leaf),
        }
    }
}

/// Reports a matching file (a regular file, links followed) to `out`.
fn push_file(
    out: &mut dyn FnMut(&str, &str, bool, bool),
    rel: &str,
    l: &Listing,
    i: usize,
    crossed: bool,
) {
    let flags = l.files.flags(i);
    if flags & IS_FILE == 0 {
        return;
    }
    out(rel, l.files.name(i), false, crossed || flags & SYMLINK != 0);
}

/// Turns a hit into a node as `StandardFinder.find_nodes` does; `None` for hidden names.
fn hit_to_node(
    root: &str,
    hit: &Hit,
    parts: &[&str],
    escaped: &[usize],
) -> Result<Option<Node>, FinderError> {
    if python_basename(&hit.rel).starts_with('.') {
        return Ok(None);
    }
    let abs = python_join(root, &hit.rel);
    let metric_path = fs_to_metric(&hit.rel);
    let (fs_path, real_metric_path) = if hit.symlink && !hit.is_dir {
        real_paths(&abs, &metric_path)
    } else {
        (PathBuf::from(abs), metric_path.clone())
    };
    let path = if escaped.is_empty() {
        metric_path
    } else {
        let mut comps: Vec<&str> = metric_path.split('.').collect();
        for &f in escaped {
            let slot = comps
                .get_mut(f)
                .ok_or(FinderError::EscapedFieldOutOfRange)?;
            *slot = parts[f];
        }
        comps.join(".")
    };
    Ok(Some(Node {
        path,
        is_leaf: !hit.is_dir,
        fs_path,
        real_metric_path,
    }))
}

/// `get_real_metric_path`, plus the canonical file path.
fn real_paths(abs: &str, metric_path: &str) -> (PathBuf, String) {
    let Ok(real) = std::fs::canonicalize(abs) else {
        return (PathBuf::from(abs), metric_path.to_owned());
    };
    let real_abs = real.to_string_lossy().into_owned();
    if real_abs == abs {
        return (real, metric_path.to_owned());
    }
    let relative_fs_path = metric_path.replace('.', "/");
    let no_ext = python_splitext_root(abs);
    let no_ext_chars: Vec<char> = no_ext.chars().collect();
    let n = relative_fs_path.chars().count();
    // Python's s[:-n] (empty for n == 0).
    let cut: String = if n == 0 || n > no_ext_chars.len() {
        String::new()
    } else {
        no_ext_chars[..no_ext_chars.len() - n].iter().collect()
    };
    let base_fs_path = python_dirname(&cut);
    let real_base = std::fs::canonicalize(&base_fs_path)
        .map_or(base_fs_path.clone(), |p| p.to_string_lossy().into_owned());
    let skip = real_base.chars().count();
    let real_rel: String = real_abs.chars().skip(skip).collect();
    let real_metric = fs_to_metric(real_rel.trim_start_matches('/'));
    (real, real_metric)
}

/// `os.path.join(a, b)` for a relative `b`.
fn python_join(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        return b.to_owned();
    }
    let mut out = String::with_capacity(a.len() + 1 + b.len());
    out.push_str(a);
    if !a.ends_with('/') {
        out.push('/');
    }
    out.push_str(b);
    out
}

/// `os.path.basename`.
fn python_basename(p: &str) -> &str {
    // A byte search: `/` is ASCII, so the index is a character boundary.
    p.as_bytes()
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(p, |i| &p[i + 1..])
}

/// `os.path.dirname`.
fn python_dirname(p: &str) -> String {
    dirname_slice(p).to_owned()
}

/// `os.path.dirname` as a prefix of `p`.
fn dirname_slice(p: &str) -> &str {
    let head = p
        .as_bytes()
        .iter()
        .rposition(|&b| b == b'/')
        .map_or("", |i| &p[..=i]);
    if !head.is_empty() && head.bytes().any(|b| b != b'/') {
        head.trim_end_matches('/')
    } else {
        head
    }
}

/// `os.path.splitext(p)[0]`.
fn python_splitext_root(p: &str) -> &str {
    let sep = p.rfind('/').map_or(0, |i| i + 1);
    let Some(dot) = p.rfind('.').filter(|&d| d >= sep) else {
        return p;
    };
    // Leading dots of the file name do not start an extension.
    if p[sep..dot].bytes().all(|b| b == b'.') {
        return p;
    }
    &p[..dot]
}

/// `fs_to_metric`: the directory part, then the file name up to its first `.`, with `/` as `.`
/// (`os.path.join(dirname, stem).replace('/', '.')`, in one allocation).
fn fs_to_metric(path: &str) -> String {
    let dir = dirname_slice(path);
    let file = python_basename(path);
    let stem = file.split('.').next().unwrap_or("");
    let mut out = String::with_capacity(dir.len() + 1 + stem.len());
    if !dir.is_empty() {
        out.extend(dir.chars().map(|c| if c == '/' { '.' } else { c }));
        if !dir.ends_with('/') {
            out.push('.');
        }
    }
    out.push_str(stem);
    out
}

/// `find_escaped_pattern_fields`: the indexes of the `.`-separated parts in which the first
/// `*`, `?`, `[` or `{` (whichever is checked first and present) follows a `\`.
fn escaped_pattern_fields(pattern: &str) -> impl Iterator<Item = usize> + '_ {
    pattern
        .split('.')
        .enumerate()
        .filter(|(_, part)| {
            ['*', '?', '[', '{'].iter().any(|&sym| {
                part.find(sym)
                    .is_some_and(|i| i > 0 && part.as_bytes()[i - 1] == b'\\')
            })
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finder_is_shareable() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<Finder>();
        shareable::<Node>();
    }

    #[test]
    fn python_paths() {
        assert_eq!(python_join("", "a"), "a");
        assert_eq!(python_join("a", ""), "a/");
        assert_eq!(python_join("a/", "b"), "a/b");
        assert_eq!(python_join("a", "b"), "a/b");
        assert_eq!(python_dirname("a/b/c.wsp"), "a/b");
        assert_eq!(python_dirname("a/"), "a");
        assert_eq!(python_dirname("c.wsp"), "");
        assert_eq!(python_dirname("/x"), "/");
        assert_eq!(fs_to_metric("a/b/c.wsp"), "a.b.c");
        assert_eq!(fs_to_metric("a/b.c.wsp"), "a.b");
        assert_eq!(fs_to_metric("a.b/c.wsp"), "a.b.c");
        assert_eq!(fs_to_metric("a/"), "a.");
        assert_eq!(fs_to_metric(""), "");
        assert_eq!(python_splitext_root("/w/a/b.wsp"), "/w/a/b");
        assert_eq!(python_splitext_root("/w/a/.wsp"), "/w/a/.wsp");
        assert_eq!(python_splitext_root("/w.x/a"), "/w.x/a");
    }

    #[test]
    fn escaped_fields() {
        let f = |p: &str| escaped_pattern_fields(p).collect::<Vec<_>>();
        assert_eq!(f("a.b\\*.c"), vec![1]);
        assert_eq!(f("\\*.b"), vec![0]);
        assert_eq!(f("*\\*.b"), Vec::<usize>::new());
        assert_eq!(f("a*\\*"), Vec::<usize>::new());
        assert_eq!(f("x\\{a,b}.y\\?"), vec![0, 1]);
    }
}
