//! The in-memory tag index: every tagged series, its tags, and per tag the sorted values with
//! the series that have each (posting lists). Queries pick the most selective expression to
//! find candidates and test the others on each candidate's own tags.
//!
//! Ids (`db_id`) are the database rows' (`tags_tag.id`, `tags_tagvalue.id`,
//! `tags_series.id`), which `/tags` shows; the index's own numbers (`SeriesId`, `TagId`,
//! `ValueId`) are positions in its vectors.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use super::query::{Operator, TagExpr};

type SeriesId = u32;
type TagId = u32;
type ValueId = u32;

/// One indexed series.
#[derive(Debug)]
struct SeriesEntry {
    /// The canonical path (`name;tag=value;...`).
    path: Arc<str>,
    /// Its tags, sorted by tag id.
    tags: Box<[(TagId, ValueId)]>,
}

/// One tag name.
#[derive(Debug)]
struct TagEntry {
    name: Arc<str>,
    db_id: i64,
    /// Value text → the series with that value, in ascending id order.
    values: BTreeMap<Arc<str>, Posting>,
    /// How many series have this tag.
    series_count: usize,
}

/// The series that have one value of one tag.
#[derive(Debug)]
struct Posting {
    value: ValueId,
    series: Vec<SeriesId>,
}

/// A tag and its database id (`/tags` entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    /// `tags_tag.id`.
    pub id: i64,
    /// The tag name.
    pub tag: String,
}

/// A value of a tag, its database id and how many series have it (`/tags/<tag>` entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueInfo {
    /// `tags_tagvalue.id`.
    pub id: i64,
    /// The value.
    pub value: String,
    /// Series with this value of the tag.
    pub count: usize,
}

/// Every tagged series, indexed by tag and value.
#[derive(Debug, Default)]
pub struct TagIndex {
    series: Vec<Option<SeriesEntry>>,
    free_series: Vec<SeriesId>,
    by_path: HashMap<Arc<str>, SeriesId>,
    tags: Vec<TagEntry>,
    tag_ids: BTreeMap<Arc<str>, TagId>,
    values: Vec<(Arc<str>, i64)>,
    value_ids: HashMap<Arc<str>, ValueId>,
    live_series: usize,
}

impl TagIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many series are indexed.
    pub fn len(&self) -> usize {
        self.live_series
    }

    /// Whether no series are indexed.
    pub fn is_empty(&self) -> bool {
        self.live_series == 0
    }

    /// Whether `path` (canonical) is indexed.
    pub fn contains(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }

    /// Records a tag name and its database id (tags outlive their series, as in the
    /// reference's `tags_tag` table).
    pub fn add_tag(&mut self, tag: &str, db_id: i64) -> TagId {
        if let Some(&id) = self.tag_ids.get(tag) {
            return id;
        }
        let id = self.tags.len() as TagId;
        let name: Arc<str> = Arc::from(tag);
        self.tags.push(TagEntry {
            name: name.clone(),
            db_id,
            values: BTreeMap::new(),
            series_count: 0,
        });
        self.tag_ids.insert(name, id);
        id
    }

    /// Records a value text and its database id.
    pub fn add_value(&mut self, value: &str, db_id: i64) -> ValueId {
        if let Some(&id) = self.value_ids.get(value) {
            return id;
        }
        let id = self.values.len() as ValueId;
        let text: Arc<str> = Arc::from(value);
        self.values.push((text.clone(), db_id));
        self.value_ids.insert(text, id);
        id
    }

    /// Whether the tag is known (so it has a database id).
    pub fn tag_db_id(&self, tag: &str) -> Option<i64> {
        self.tag_ids.get(tag).map(|&t| self.tags[t as usize].db_id)
    }

    /// The value's database id, when known.
    pub fn value_db_id(&self, value: &str) -> Option<i64> {
        self.value_ids
            .get(value)
            .map(|&v| self.values[v as usize].1)
    }

    /// Adds a series by its canonical path and tags (`name` included). The tags and values
    /// must have been added with their ids. Adding a path twice changes nothing.
    pub fn insert<'t>(&mut self, path: &str, tags: impl IntoIterator<Item = (&'t str, &'t str)>) {
        if self.by_path.contains_key(path) {
            return;
        }
        let mut pairs: Vec<(TagId, ValueId)> = tags
            .into_iter()
            .map(|(t, v)| {
                let tag = self.add_tag(t, 0);
                let value = self.add_value(v, 0);
                (tag, value)
            })
            .collect();
        pairs.sort_unstable();
        let path: Arc<str> = Arc::from(path);
        let id = match self.free_series.pop() {
            Some(id) => id,
            None => {
                self.series.push(None);
                (self.series.len() - 1) as SeriesId
            }
        };
        for &(tag, value) in &pairs {
            let text = self.values[value as usize].0.clone();
            let entry = &mut self.tags[tag as usize];
            entry.series_count += 1;
            let posting = entry.values.entry(text).or_insert_with(|| Posting {
                value,
                series: Vec::new(),
            });
            // Ids are mostly increasing; insert in order otherwise (a reused id).
            match posting.series.last() {
                Some(&last) if last > id => {
                    let at = posting.series.partition_point(|&s| s < id);
                    posting.series.insert(at, id);
                }
                _ => posting.series.push(id),
            }
        }
        self.series[id as usize] = Some(SeriesEntry {
            path: path.clone(),
            tags: pairs.into_boxed_slice(),
        });
        self.by_path.insert(path, id);
        self.live_series += 1;
    }

    /// Removes a series; unknown paths are ignored. Its tags and values stay known.
    pub fn remove(&mut self, path: &str) -> bool {
        let Some(id) = self.by_path.remove(path) else {
            return false;
        };
        let Some(entry) = self.series[id as usize].take() else {
            return false;
        };
        for &(tag, value) in entry.tags.iter() {
            let text = &self.values[value as usize].0;
            let tag_entry = &mut self.tags[tag as usize];
            tag_entry.series_count -= 1;
            if let Some(posting) = tag_entry.values.get_mut(text) {
                if let Ok(at) = posting.series.binary_search(&id) {
                    posting.series.remove(at);
                }
                if posting.series.is_empty() {
                    tag_entry.values.remove(text);
                }
            }
        }
        self.free_series.push(id);
        self.live_series -= 1;
        true
    }

    /// The canonical paths of the series matching every expression, sorted. The caller has
    /// checked that at least one expression does not match the empty value.
    pub fn find(&self, exprs: &[TagExpr]) -> Vec<String> {
        let mut paths: Vec<&Arc<str>> = self
            .find_ids(exprs)
            .into_iter()
            .filter_map(|id| self.series[id as usize].as_ref().map(|s| &s.path))
            .collect();
        paths.sort_unstable();
        paths.into_iter().map(|p| p.to_string()).collect()
    }

    /// The ids of the series matching every expression, unordered.
    fn find_ids(&self, exprs: &[TagExpr]) -> Vec<SeriesId> {
        // The driver: the expression (not matching empty) with the fewest candidates.
        let mut driver: Option<(usize, usize)> = None;
        for (i, expr) in exprs.iter().enumerate() {
            if expr.matches_empty {
                continue;
            }
            let Some(&tag) = self.tag_ids.get(expr.tag.as_str()) else {
                // Nothing has the tag, and the expression needs a value.
                return Vec::new();
            };
            let entry = &self.tags[tag as usize];
            let estimate = match expr.operator {
                Operator::Equal => entry
                    .values
                    .get(expr.spec.as_str())
                    .map_or(0, |p| p.series.len()),
                _ => entry.series_count,
            };
            if driver.is_none_or(|(_, best)| estimate < best) {
                driver = Some((i, estimate));
            }
        }
        let Some((driver, _)) = driver else {
            return Vec::new();
        };
        let candidates = self.candidates(&exprs[driver]);
        let others: Vec<(usize, &TagExpr)> = exprs
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != driver)
            .collect();
        if others.is_empty() {
            return candidates;
        }
        // Regex results per (expression, value): candidates share few values.
        let mut memo: Vec<HashMap<ValueId, bool>> = vec![HashMap::new(); exprs.len()];
        let empty_matches: Vec<bool> = exprs.iter().map(|e| e.matches_empty).collect();
        let tag_of: Vec<Option<TagId>> = exprs
            .iter()
            .map(|e| self.tag_ids.get(e.tag.as_str()).copied())
            .collect();
        candidates
            .into_iter()
            .filter(|&id| {
                let Some(series) = self.series[id as usize].as_ref() else {
                    return false;
                };
                others.iter().all(|&(i, expr)| {
                    let value = tag_of[i].and_then(|tag| {
                        series
                            .tags
                            .binary_search_by_key(&tag, |&(t, _)| t)
                            .ok()
                            .map(|at| series.tags[at].1)
                    });
                    match value {
                        None => empty_matches[i],
                        Some(value) => *memo[i]
                            .entry(value)
                            .or_insert_with(|| expr.matches(&self.values[value as usize].0)),
                    }
                })
            })
            .collect()
    }

    /// Every series with a value of the expression's tag that satisfies it.
    fn candidates(&self, expr: &TagExpr) -> Vec<SeriesId> {
        let Some(&tag) = self.tag_ids.get(expr.tag.as_str()) else {
            return Vec::new();
        };
        let entry = &self.tags[tag as usize];
        if expr.operator == Operator::Equal {
            return entry
                .values
                .get(expr.spec.as_str())
                .map(|p| p.series.clone())
                .unwrap_or_default();
        }
        let prefix = expr.literal_prefix();
        let range = entry
            .values
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|(value, _)| value.starts_with(prefix.as_str()));
        let mut out = Vec::new();
        for (value, posting) in range {
            if expr.matches(value) {
                out.extend_from_slice(&posting.series);
            }
        }
        out
    }

    /// Tag names (with ids), sorted, that satisfy `filter`, at most `limit`.
    pub fn list_tags(&self, filter: impl Fn(&str) -> bool, limit: Option<usize>) -> Vec<TagInfo> {
        self.tag_ids
            .iter()
            .filter(|(name, _)| filter(name))
            .take(limit.unwrap_or(usize::MAX))
            .map(|(name, &id)| TagInfo {
                id: self.tags[id as usize].db_id,
                tag: name.to_string(),
            })
            .collect()
    }

    /// Tag names starting with `prefix`, sorted, at most `limit`.
    pub fn tags_with_prefix(&self, prefix: &str, limit: Option<usize>) -> Vec<TagInfo> {
        self.tag_ids
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(name, _)| name.starts_with(prefix))
            .take(limit.unwrap_or(usize::MAX))
            .map(|(name, &id)| TagInfo {
                id: self.tags[id as usize].db_id,
                tag: name.to_string(),
            })
            .collect()
    }

    /// The values of `tag` that some series has and that satisfy `filter`, sorted, at most
    /// `limit`; `None` when the tag is unknown.
    pub fn list_values(
        &self,
        tag: &str,
        prefix: &str,
        filter: impl Fn(&str) -> bool,
        limit: Option<usize>,
    ) -> Vec<ValueInfo> {
        let Some(&id) = self.tag_ids.get(tag) else {
            return Vec::new();
        };
        self.tags[id as usize]
            .values
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(value, _)| value.starts_with(prefix))
            .filter(|(value, _)| filter(value))
            .take(limit.unwrap_or(usize::MAX))
            .map(|(value, posting)| ValueInfo {
                id: self.values[posting.value as usize].1,
                value: value.to_string(),
                count: posting.series.len(),
            })
            .collect()
    }

    /// The tag names the matching series have, sorted.
    pub fn tags_of_matches(&self, exprs: &[TagExpr]) -> Vec<String> {
        let mut seen: HashSet<TagId> = HashSet::new();
        for id in self.find_ids(exprs) {
            if let Some(series) = self.series[id as usize].as_ref() {
                seen.extend(series.tags.iter().map(|&(t, _)| t));
            }
        }
        let mut names: Vec<String> = seen
            .into_iter()
            .map(|t| self.tags[t as usize].name.to_string())
            .collect();
        names.sort_unstable();
        names
    }

    /// The values of `tag` the matching series have, sorted and distinct.
    pub fn values_of_matches(&self, exprs: &[TagExpr], tag: &str) -> Vec<String> {
        let Some(&tag) = self.tag_ids.get(tag) else {
            return Vec::new();
        };
        let mut seen: HashSet<ValueId> = HashSet::new();
        for id in self.find_ids(exprs) {
            if let Some(series) = self.series[id as usize].as_ref() {
                if let Ok(at) = series.tags.binary_search_by_key(&tag, |&(t, _)| t) {
                    seen.insert(series.tags[at].1);
                }
            }
        }
        let mut values: Vec<String> = seen
            .into_iter()
            .map(|v| self.values[v as usize].0.to_string())
            .collect();
        values.sort_unstable();
        values
    }

    /// Every indexed path, unordered.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_path.keys().map(|p| &**p)
    }
}

#[cfg(test)]
mod tests {
    use super::super::query::{parse_query, TagExpr};
    use super::*;

    fn index(paths: &[&str]) -> TagIndex {
        let mut index = TagIndex::new();
        for p in paths {
            let parsed = graphite_tags::TaggedSeries::parse(p).unwrap();
            index.insert(
                &parsed.path(),
                parsed.tags().iter().map(|(t, v)| (t.as_str(), v.as_str())),
            );
        }
        index
    }

    fn find(index: &TagIndex, exprs: &[&str]) -> Vec<String> {
        index.find(&parse_query(exprs).unwrap())
    }

    #[test]
    fn operators() {
        let ix = index(&["a;dc=eu;host=h1", "a;dc=us;host=h2", "b;host=h1", "c;dc=eu"]);
        assert_eq!(find(&ix, &["dc=eu"]), ["a;dc=eu;host=h1", "c;dc=eu"]);
        assert_eq!(find(&ix, &["host=h1", "dc!=eu"]), ["b;host=h1"]);
        assert_eq!(find(&ix, &["host!=", "dc="]), ["b;host=h1"]);
        assert_eq!(
            find(&ix, &["name=~a"]),
            ["a;dc=eu;host=h1", "a;dc=us;host=h2"]
        );
        assert_eq!(find(&ix, &["name=~[ab]", "host!=~h1"]), ["a;dc=us;host=h2"]);
        assert_eq!(find(&ix, &["dc!=~.*"]), Vec::<String>::new());
        assert_eq!(find(&ix, &["nope=x"]), Vec::<String>::new());
        assert_eq!(find(&ix, &["name=c", "nope="]), ["c;dc=eu"]);
    }

    #[test]
    fn remove_and_reinsert() {
        let mut ix = index(&["a;dc=eu", "b;dc=eu"]);
        assert!(ix.remove("a;dc=eu"));
        assert!(!ix.remove("a;dc=eu"));
        assert_eq!(find(&ix, &["dc=eu"]), ["b;dc=eu"]);
        assert_eq!(ix.len(), 1);
        let parsed = graphite_tags::TaggedSeries::parse("z;dc=eu").unwrap();
        ix.insert(
            &parsed.path(),
            parsed.tags().iter().map(|(t, v)| (t.as_str(), v.as_str())),
        );
        assert_eq!(find(&ix, &["dc=eu"]), ["b;dc=eu", "z;dc=eu"]);
        // The tag stays listed after its last series is gone.
        ix.remove("b;dc=eu");
        ix.remove("z;dc=eu");
        assert_eq!(ix.list_tags(|_| true, None).len(), 2);
        assert!(ix.list_values("dc", "", |_| true, None).is_empty());
    }

    /// The index agrees with testing every series against every expression.
    #[test]
    fn agrees_with_a_scan() {
        use proptest::prelude::*;
        let values = ["a", "b", "ab", "ba", "abc"];
        let ops = ["=", "!=", "=~", "!=~"];
        proptest!(ProptestConfig::with_cases(300), |(
            series in proptest::collection::vec(
                (0usize..5, proptest::option::of(0usize..5), proptest::option::of(0usize..5)), 0..20),
            exprs in proptest::collection::vec((0usize..3, 0usize..4, 0usize..6), 1..4),
        )| {
            let tags = ["name", "x", "y"];
            let mut names = Vec::new();
            for (n, x, y) in &series {
                let mut name = format!("m{}", values[*n]);
                if let Some(x) = x { name.push_str(&format!(";x={}", values[*x])); }
                if let Some(y) = y { name.push_str(&format!(";y={}", values[*y])); }
                names.push(name);
            }
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let ix = index(&refs);
            let texts: Vec<String> = exprs.iter().map(|(t, o, v)| {
                let v = if *v == 5 { "" } else { values[*v] };
                format!("{}{}{}", tags[*t], ops[*o], v)
            }).collect();
            let Ok(parsed) = parse_query(&texts) else { return Ok(()); };
            let mut expected: Vec<String> = names.iter().filter_map(|n| {
                let s = graphite_tags::TaggedSeries::parse(n).unwrap();
                parsed.iter().all(|e: &TagExpr| e.matches(s.tags().get(&e.tag).map_or("", String::as_str)))
                    .then(|| s.path())
            }).collect();
            expected.sort();
            expected.dedup();
            prop_assert_eq!(ix.find(&parsed), expected);
        });
    }
}
