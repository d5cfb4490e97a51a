//! carbon's consistent-hash rings, as carbon 1.1.10 (`carbon/hashing.py`) and graphite-web
//! 1.1.10 (`graphite/render/hashing.py`) build them: which cache (or relay destination) owns
//! a metric.
//!
//! The two reference files are the same code (graphite-web's `get_node` only adds an
//! `assert self.ring`), so one [`ConsistentHashRing`] serves carbon-relay's
//! `consistent-hashing` router and graphite-web's `CARBONLINK_HOSTS` client, and both place
//! every metric as the reference does.
//!
//! # The ring
//! Each [`Node`] (a `(server, instance)` pair; the port is not part of its identity) is put
//! on the ring [`DEFAULT_REPLICA_COUNT`] times, in the order nodes are added. Replica `i` of
//! a node sits at the position of a replica key (see [`HashType`]); a position already taken
//! moves up by one until it is free (no wrap), so the outcome of collisions depends on the
//! order nodes were added. A metric's position is the same hash of the metric name; its nodes
//! are found walking the ring from the first entry at or after that position, wrapping.
//!
//! # Differences from the reference
//! - [`ConsistentHashRing::get_nodes`] yields each node once. The reference yields a ring's
//!   only node twice (every caller puts the result in a set or stops at the first).
//! - The walk covers the whole ring; the reference stops one entry short, which can only hide
//!   a node when the replica count is 1.
//! - An empty ring gives no node where the reference raises.
#![forbid(unsafe_code)]

mod hash;
mod nonprintable;
mod pyrepr;

use std::fmt;
use std::str::FromStr;

pub use hash::{fnv1a_32, murmur3_32};
pub use pyrepr::{py_node_repr, py_str_repr};

/// Replicas per node, as both references use.
pub const DEFAULT_REPLICA_COUNT: usize = 100;

/// How ring positions are computed (`CARBONLINK_HASHING_TYPE`, `ROUTER_HASH_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HashType {
    /// `carbon_ch` (the default): the first 16 bits of the md5 of the key. Replica keys are
    /// `"%s:%d" % ((server, instance), i)`, e.g. `('127.0.0.1', 'a'):0` or
    /// `('127.0.0.1', None):0`.
    #[default]
    CarbonCh,
    /// `fnv1a_ch`: FNV-1a 32 folded to 16 bits. Replica keys are `"%d-%s" % (i, instance)`,
    /// e.g. `0-a` or `0-None`: the server is not part of it, so nodes that share an instance
    /// name collide and sit next to each other.
    Fnv1aCh,
    /// `mmh3_ch`: `mmh3.hash(key)` (MurmurHash3 x86 32-bit, seed 0, signed). Replica keys as
    /// `carbon_ch`. The reference needs the `mmh3` Python module for it.
    Mmh3Ch,
}

impl HashType {
    /// Every hash type.
    pub const ALL: [HashType; 3] = [HashType::CarbonCh, HashType::Fnv1aCh, HashType::Mmh3Ch];

    /// The setting's value for this type.
    pub fn name(self) -> &'static str {
        match self {
            HashType::CarbonCh => "carbon_ch",
            HashType::Fnv1aCh => "fnv1a_ch",
            HashType::Mmh3Ch => "mmh3_ch",
        }
    }

    /// The type the reference uses for a setting's value: any name other than `fnv1a_ch` and
    /// `mmh3_ch` hashes as `carbon_ch` there. Use [`str::parse`] to refuse unknown names.
    pub fn from_reference_name(name: &str) -> HashType {
        name.parse().unwrap_or(HashType::CarbonCh)
    }

    /// The ring position of `key` (`carbonHash(key, hash_type)`).
    pub fn position(self, key: &str) -> i64 {
        match self {
            HashType::CarbonCh => hash::md5_position(key),
            HashType::Fnv1aCh => hash::fnv1a_position(key),
            HashType::Mmh3Ch => hash::mmh3_position(key),
        }
    }

    /// The key hashed for replica `i` of `node`.
    pub fn replica_key(self, node: &Node, i: usize) -> String {
        match self {
            HashType::Fnv1aCh => format!("{i}-{}", node.instance.as_deref().unwrap_or("None")),
            HashType::CarbonCh | HashType::Mmh3Ch => {
                format!(
                    "{}:{i}",
                    py_node_repr(&node.server, node.instance.as_deref())
                )
            }
        }
    }
}

impl fmt::Display for HashType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A hash type name that is not `carbon_ch`, `fnv1a_ch` or `mmh3_ch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHashType(pub String);

impl fmt::Display for UnknownHashType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown hashing type {:?} (expected carbon_ch, fnv1a_ch or mmh3_ch)",
            self.0
        )
    }
}

impl std::error::Error for UnknownHashType {}

impl FromStr for HashType {
    type Err = UnknownHashType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HashType::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownHashType(s.to_owned()))
    }
}

/// A ring member: `(server, instance)`. `instance` is `None` for `host:port` and `Some("")`
/// for `host:port:`, which hash differently, as in the reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    /// The host name or address (without IPv6 brackets).
    pub server: String,
    /// The instance name, if one was given.
    pub instance: Option<String>,
}

impl Node {
    /// A node.
    pub fn new(server: impl Into<String>, instance: Option<&str>) -> Self {
        Node {
            server: server.into(),
            instance: instance.map(str::to_owned),
        }
    }
}

impl fmt::Display for Node {
    /// Python's `str((server, instance))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&py_node_repr(&self.server, self.instance.as_deref()))
    }
}

/// A consistent-hash ring of [`Node`]s.
#[derive(Debug, Clone)]
pub struct ConsistentHashRing {
    hash_type: HashType,
    replica_count: usize,
    /// `(position, index into nodes)`, sorted by position; positions are unique.
    entries: Vec<(i64, usize)>,
    /// The distinct nodes, in the order they were first added.
    nodes: Vec<Node>,
}

impl ConsistentHashRing {
    /// An empty ring with [`DEFAULT_REPLICA_COUNT`] replicas per node.
    pub fn new(hash_type: HashType) -> Self {
        Self::with_replica_count(hash_type, DEFAULT_REPLICA_COUNT)
    }

    /// An empty ring with `replica_count` replicas per node.
    pub fn with_replica_count(hash_type: HashType, replica_count: usize) -> Self {
        ConsistentHashRing {
            hash_type,
            replica_count,
            entries: Vec::new(),
            nodes: Vec::new(),
        }
    }

    /// A ring of `nodes`, added in order (`ConsistentHashRing(nodes, hash_type=...)`).
    pub fn from_nodes(nodes: impl IntoIterator<Item = Node>, hash_type: HashType) -> Self {
        let mut ring = Self::new(hash_type);
        for node in nodes {
            ring.add_node(node);
        }
        ring
    }

    /// The hash type.
    pub fn hash_type(&self) -> HashType {
        self.hash_type
    }

    /// Replicas per node.
    pub fn replica_count(&self) -> usize {
        self.replica_count
    }

    /// The distinct nodes, in the order they were first added.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Number of ring entries (`ring_len`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the ring has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ring entries in position order: `(position, node)`.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (i64, &Node)> + '_ {
        self.entries.iter().map(|&(p, n)| (p, &self.nodes[n]))
    }

    /// The ring position of `key` under this ring's hash type.
    pub fn position(&self, key: &str) -> i64 {
        self.hash_type.position(key)
    }

    /// Adds `replica_count` entries for `node`. As in the reference, adding a node that is
    /// already there adds another set of entries for it (it is still one node).
    pub fn add_node(&mut self, node: Node) {
        let index = match self.nodes.iter().position(|n| *n == node) {
            Some(i) => i,
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        self.entries.reserve(self.replica_count);
        for i in 0..self.replica_count {
            let key = self.hash_type.replica_key(&self.nodes[index], i);
            let mut position = self.hash_type.position(&key);
            // Positions are unique and sorted: the first taken position at or after this one
            // is found by binary search, then the run of consecutive taken positions is
            // skipped.
            let mut at = self.entries.partition_point(|&(p, _)| p < position);
            while at < self.entries.len() && self.entries[at].0 == position {
                position += 1;
                at += 1;
            }
            self.entries.insert(at, (position, index));
        }
    }

    /// Removes `node` and all its entries; false when it was not on the ring.
    pub fn remove_node(&mut self, node: &Node) -> bool {
        let Some(index) = self.nodes.iter().position(|n| n == node) else {
            return false;
        };
        self.nodes.remove(index);
        self.entries.retain(|&(_, n)| n != index);
        for entry in &mut self.entries {
            if entry.1 > index {
                entry.1 -= 1;
            }
        }
        true
    }

    /// Index of the first entry at or after `key`'s position, wrapping to 0.
    fn start_index(&self, key: &str) -> usize {
        let position = self.position(key);
        let at = self.entries.partition_point(|&(p, _)| p < position);
        if at == self.entries.len() {
            0
        } else {
            at
        }
    }

    /// The node owning `key`: the first entry at or after its position. `None` on an empty
    /// ring.
    pub fn get_node(&self, key: &str) -> Option<&Node> {
        if self.entries.is_empty() {
            return None;
        }
        Some(&self.nodes[self.entries[self.start_index(key)].1])
    }

    /// Every node, each once, in the order met walking the ring from `key`'s position.
    pub fn get_nodes(&self, key: &str) -> Nodes<'_> {
        let start = if self.entries.is_empty() {
            0
        } else {
            self.start_index(key)
        };
        Nodes {
            ring: self,
            start,
            step: 0,
            seen: Seen::new(self.nodes.len()),
            found: 0,
        }
    }

    /// The first nodes of [`get_nodes`](Self::get_nodes) that are on distinct servers, up to
    /// `count` of them (at least one). This is graphite-web's `select_host` candidate list for
    /// `REPLICATION_FACTOR` and carbon-relay's `DIVERSE_REPLICAS = True`.
    pub fn get_diverse_nodes(&self, key: &str, count: usize) -> Vec<&Node> {
        let mut out: Vec<&Node> = Vec::new();
        for node in self.get_nodes(key) {
            if out.iter().any(|n| n.server == node.server) {
                continue;
            }
            out.push(node);
            if out.len() >= count {
                break;
            }
        }
        out
    }
}

/// Which nodes a walk has yielded: a bit mask for up to 128 nodes, else a vector.
#[derive(Debug, Clone)]
enum Seen {
    Mask(u128),
    Vec(Vec<bool>),
}

impl Seen {
    fn new(nodes: usize) -> Self {
        if nodes <= 128 {
            Seen::Mask(0)
        } else {
            Seen::Vec(vec![false; nodes])
        }
    }

    /// Marks `i`; true if it was not marked before.
    fn insert(&mut self, i: usize) -> bool {
        match self {
            Seen::Mask(m) => {
                let bit = 1u128 << i;
                let new = *m & bit == 0;
                *m |= bit;
                new
            }
            Seen::Vec(v) => !std::mem::replace(&mut v[i], true),
        }
    }
}

/// The iterator of [`ConsistentHashRing::get_nodes`].
#[derive(Debug, Clone)]
pub struct Nodes<'a> {
    ring: &'a ConsistentHashRing,
    start: usize,
    step: usize,
    seen: Seen,
    found: usize,
}

impl<'a> Iterator for Nodes<'a> {
    type Item = &'a Node;

    fn next(&mut self) -> Option<&'a Node> {
        let len = self.ring.entries.len();
        while self.found < self.ring.nodes.len() && self.step < len {
            let index = (self.start + self.step) % len;
            self.step += 1;
            let node = self.ring.entries[index].1;
            if self.seen.insert(node) {
                self.found += 1;
                return Some(&self.ring.nodes[node]);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_example() {
        let ring = ConsistentHashRing::from_nodes(
            [
                Node::new("127.0.0.1", Some("a")),
                Node::new("127.0.0.1", Some("b")),
                Node::new("10.0.0.2", None),
            ],
            HashType::CarbonCh,
        );
        assert_eq!(ring.len(), 300);
        assert_eq!(ring.get_node("foo.bar"), Some(&Node::new("10.0.0.2", None)));
        let all: Vec<_> = ring.get_nodes("foo.bar").collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], &Node::new("10.0.0.2", None));
        let diverse = ring.get_diverse_nodes("foo.bar", 5);
        assert_eq!(diverse.len(), 2);
        assert_ne!(diverse[0].server, diverse[1].server);
    }

    #[test]
    fn add_remove() {
        let mut ring = ConsistentHashRing::new(HashType::Fnv1aCh);
        assert_eq!(ring.get_node("x"), None);
        assert_eq!(ring.get_nodes("x").count(), 0);
        let a = Node::new("a", Some("1"));
        let b = Node::new("b", Some("1"));
        ring.add_node(a.clone());
        ring.add_node(b.clone());
        assert_eq!(ring.len(), 200);
        assert_eq!(ring.get_nodes("x").count(), 2);
        assert!(ring.remove_node(&a));
        assert!(!ring.remove_node(&a));
        assert_eq!(ring.len(), 100);
        assert_eq!(ring.get_node("x"), Some(&b));
        assert_eq!(ring.get_nodes("x").collect::<Vec<_>>(), vec![&b]);
        // Re-adding an existing node adds entries, not a node.
        ring.add_node(b.clone());
        assert_eq!((ring.len(), ring.nodes().len()), (200, 1));
    }

    #[test]
    fn many_nodes_use_the_vector_set() {
        let nodes = (0..200).map(|i| Node::new(format!("h{i}"), None));
        let mut ring = ConsistentHashRing::from_nodes(nodes, HashType::CarbonCh);
        assert_eq!(ring.get_nodes("m").count(), 200);
        ring.remove_node(&Node::new("h7", None));
        assert_eq!(ring.get_nodes("m").count(), 199);
    }

    #[test]
    fn names() {
        for t in HashType::ALL {
            assert_eq!(t.name().parse::<HashType>(), Ok(t));
        }
        assert!("md5".parse::<HashType>().is_err());
        assert_eq!(HashType::from_reference_name("md5"), HashType::CarbonCh);
        assert_eq!(
            HashType::CarbonCh.replica_key(&Node::new("h", None), 3),
            "('h', None):3"
        );
        assert_eq!(
            HashType::Fnv1aCh.replica_key(&Node::new("h", None), 3),
            "3-None"
        );
    }
}
