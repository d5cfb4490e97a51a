//! Property tests: no panics on any nodes, keys, additions and removals, and the walk's
//! invariants (each node once, `get_node` first, diverse candidates on distinct servers).

use carbon_hashing::{py_str_repr, ConsistentHashRing, HashType, Node};
use proptest::prelude::*;

fn hash_type() -> impl Strategy<Value = HashType> {
    prop::sample::select(HashType::ALL.to_vec())
}

fn node() -> impl Strategy<Value = Node> {
    (
        "[a-c:\\[\\]'\"é]{0,4}",
        prop::option::of("[0-2'\\\\\u{2028}]{0,2}"),
    )
        .prop_map(|(server, instance)| Node { server, instance })
}

#[derive(Debug, Clone)]
enum Op {
    Add(Node),
    Remove(Node),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![3 => node().prop_map(Op::Add), 1 => node().prop_map(Op::Remove)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn walks_are_sound(
        hash_type in hash_type(),
        replicas in 0usize..8,
        ops in prop::collection::vec(op(), 0..12),
        keys in prop::collection::vec(any::<String>(), 1..8),
        rf in 0usize..5,
    ) {
        let mut ring = ConsistentHashRing::with_replica_count(hash_type, replicas);
        for op in ops {
            match op {
                Op::Add(n) => ring.add_node(n),
                Op::Remove(n) => {
                    ring.remove_node(&n);
                }
            }
        }
        // Positions are strictly increasing.
        let positions: Vec<i64> = ring.entries().map(|(p, _)| p).collect();
        prop_assert!(positions.windows(2).all(|w| w[0] < w[1]));
        for key in &keys {
            let walk: Vec<&Node> = ring.get_nodes(key).collect();
            prop_assert_eq!(ring.get_node(key), walk.first().copied());
            if !ring.is_empty() {
                // Every node with an entry is met exactly once.
                prop_assert_eq!(walk.len(), ring.nodes().len());
            }
            for (i, n) in walk.iter().enumerate() {
                prop_assert!(!walk[..i].contains(n));
            }
            let diverse = ring.get_diverse_nodes(key, rf);
            for (i, n) in diverse.iter().enumerate() {
                prop_assert!(diverse[..i].iter().all(|m| m.server != n.server));
            }
            prop_assert!(diverse.len() <= rf.max(1));
        }
    }

    #[test]
    fn positions_never_panic(hash_type in hash_type(), key in any::<String>()) {
        let p = hash_type.position(&key);
        match hash_type {
            HashType::CarbonCh | HashType::Fnv1aCh => prop_assert!((0..=65535).contains(&p)),
            HashType::Mmh3Ch => prop_assert!(i64::from(i32::MIN) <= p && p <= i64::from(i32::MAX)),
        }
    }

    #[test]
    fn repr_is_quoted(s in any::<String>()) {
        let r = py_str_repr(&s);
        prop_assert!(r.len() >= 2);
        let q = r.chars().next().unwrap();
        prop_assert!(q == '\'' || q == '"');
        prop_assert!(r.ends_with(q));
    }
}
