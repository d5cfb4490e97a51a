//! Property test: random operation sequences applied to a real file and to an in-memory model
//! of the round-robin archives must fetch the same values.
//!
//! The model knows nothing of bytes, offsets, bases or wrap-around splits: an archive is a map
//! from ring slot (`interval / secondsPerPoint mod points`, which is where any base puts it up to
//! rotation) to the `(interval, value)` last written there. Propagation and `update_many`'s
//! grouping and de-duplication follow whisper's documented rules.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use whisper::{aggregate, AggregationMethod, ArchiveSpec, CreateOptions, Error, Whisper};

const START: i64 = 1_700_000_000;

#[derive(Debug, Clone)]
struct ModelArchive {
    spp: i64,
    points: i64,
    slots: BTreeMap<i64, (i64, f64)>,
}

impl ModelArchive {
    fn retention(&self) -> i64 {
        self.spp * self.points
    }
    fn put(&mut self, interval: i64, value: f64) {
        let slot = (interval / self.spp).rem_euclid(self.points);
        self.slots.insert(slot, (interval, value));
    }
    fn get(&self, interval: i64) -> Option<f64> {
        let slot = (interval / self.spp).rem_euclid(self.points);
        match self.slots.get(&slot) {
            Some(&(t, v)) if t == interval => Some(v),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Model {
    archives: Vec<ModelArchive>,
    method: AggregationMethod,
    xff: f32,
}

impl Model {
    fn new(specs: &[(u32, u32)], method: AggregationMethod, xff: f32) -> Self {
        Model {
            archives: specs
                .iter()
                .map(|&(s, p)| ModelArchive {
                    spp: s.into(),
                    points: p.into(),
                    slots: BTreeMap::new(),
                })
                .collect(),
            method,
            xff,
        }
    }

    fn max_retention(&self) -> i64 {
        self.archives.last().unwrap().retention()
    }

    fn propagate(&mut self, timestamp: i64, higher: usize, lower: usize) -> bool {
        let (hi_spp, lo_spp) = (self.archives[higher].spp, self.archives[lower].spp);
        let start = timestamp - timestamp % lo_spp;
        let window: Vec<Option<f64>> = (0..lo_spp / hi_spp)
            .map(|i| self.archives[higher].get(start + i * hi_spp))
            .collect();
        let known = window.iter().flatten().count();
        if known == 0 || (known as f64 / window.len() as f64) < f64::from(self.xff) {
            return false;
        }
        let value = aggregate(self.method, &window).unwrap();
        self.archives[lower].put(start, value);
        true
    }

    fn update(&mut self, value: f64, timestamp: i64, now: i64) -> Result<(), ()> {
        let age = now - timestamp;
        if age < 0 || age >= self.max_retention() {
            return Err(());
        }
        let index = self
            .archives
            .iter()
            .position(|a| a.retention() >= age)
            .unwrap();
        let interval = timestamp - timestamp % self.archives[index].spp;
        self.archives[index].put(interval, value);
        for lower in index + 1..self.archives.len() {
            if !self.propagate(interval, lower - 1, lower) {
                break;
            }
        }
        Ok(())
    }

    fn update_many(&mut self, points: &[(i64, f64)], now: i64) {
        let mut sorted = points.to_vec();
        sorted.sort_by_key(|p| std::cmp::Reverse(p.0));
        let mut groups: Vec<(usize, Vec<(i64, f64)>)> = Vec::new();
        for (t, v) in sorted {
            let age = now - t;
            let Some(index) = self.archives.iter().position(|a| a.retention() >= age) else {
                continue; // too old for every archive: dropped
            };
            match groups.last_mut() {
                Some((i, g)) if *i == index => g.push((t, v)),
                _ => groups.push((index, vec![(t, v)])),
            }
        }
        for (index, mut group) in groups {
            group.reverse();
            let spp = self.archives[index].spp;
            let aligned: Vec<(i64, f64)> = group.iter().map(|&(t, v)| (t - t % spp, v)).collect();
            for (i, &(interval, value)) in aligned.iter().enumerate() {
                // The last of equal intervals in this order is the one kept.
                if aligned.get(i + 1).is_some_and(|n| n.0 == interval) {
                    continue;
                }
                self.archives[index].put(interval, value);
            }
            let mut higher = index;
            for lower in index + 1..self.archives.len() {
                let lo_spp = self.archives[lower].spp;
                let mut intervals: Vec<i64> = aligned.iter().map(|p| p.0 - p.0 % lo_spp).collect();
                intervals.sort_unstable();
                intervals.dedup();
                let mut any = false;
                for interval in intervals {
                    any |= self.propagate(interval, higher, lower);
                }
                if !any {
                    break;
                }
                higher = lower;
            }
        }
    }

    fn fetch(&self, from: i64, until: i64, now: i64) -> Option<(i64, i64, i64, Vec<Option<f64>>)> {
        let oldest = now - self.max_retention();
        if from > now || until < oldest {
            return None;
        }
        let (from, until) = (from.max(oldest), until.min(now));
        let age = now - from;
        let a = self.archives.iter().find(|a| a.retention() >= age).unwrap();
        let step = a.spp;
        let start = from - from % step + step;
        let mut end = until - until % step + step;
        if start == end {
            end += step;
        }
        let values = (start..end)
            .step_by(step as usize)
            .map(|t| a.get(t))
            .collect();
        Some((start, end, step, values))
    }
}

#[derive(Debug, Clone)]
enum Op {
    Update { age: i64, value: f64 },
    UpdateMany { points: Vec<(i64, f64)> },
    Fetch { from_age: i64, len: i64 },
    Advance { secs: i64 },
}

const LAYOUTS: &[&[(u32, u32)]] = &[
    &[(1, 10), (5, 12), (60, 10)],
    &[(10, 6), (30, 6)],
    &[(60, 5)],
    &[(2, 30), (6, 20), (12, 15)],
    &[(10, 360), (60, 100), (600, 20)],
];

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -1000.0..1000.0f64,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => (0i32..5).prop_map(f64::from),
    ]
}

fn ops(max_retention: i64, finest: i64) -> impl Strategy<Value = Vec<Op>> {
    // Future points stay within half the finest archive so they cannot lap the ring.
    let age = -(finest / 2)..=max_retention + 5;
    let op = prop_oneof![
        3 => (age.clone(), value()).prop_map(|(age, value)| Op::Update { age, value }),
        4 => prop::collection::vec((age.clone(), value()), 1..40)
            .prop_map(|points| Op::UpdateMany { points }),
        2 => (-5..=max_retention + 5, 0..=max_retention)
            .prop_map(|(from_age, len)| Op::Fetch { from_age, len }),
        2 => prop_oneof![1..=finest, 1..=max_retention * 2]
            .prop_map(|secs| Op::Advance { secs }),
    ];
    prop::collection::vec(op, 1..60)
}

fn scenario() -> impl Strategy<Value = (usize, AggregationMethod, f32, Vec<Op>)> {
    (
        0..LAYOUTS.len(),
        prop::sample::select(AggregationMethod::ALL.to_vec()),
        prop::sample::select(vec![0.0f32, 0.1, 0.3, 0.5, 0.7, 1.0]),
    )
        .prop_flat_map(|(layout, method, xff)| {
            let specs = LAYOUTS[layout];
            let max_ret = specs.iter().map(|&(s, p)| i64::from(s * p)).max().unwrap();
            let finest = i64::from(specs[0].0 * specs[0].1);
            (Just(layout), Just(method), Just(xff), ops(max_ret, finest))
        })
}

fn same(a: &[Option<f64>], b: &[Option<f64>]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.map(f64::to_bits) == y.map(f64::to_bits))
}

fn check_all(w: &Whisper, path: &Path, model: &Model, now: i64) -> Result<(), TestCaseError> {
    // Every archive in full, as fetch would choose it for ranges of each retention.
    for a in &model.archives {
        let from = now - a.retention();
        let got = w.fetch(path, from, Some(now), Some(now), None).unwrap();
        let want = model.fetch(from, now, now);
        match (got, want) {
            (Some(g), Some((s, e, st, v))) => {
                prop_assert_eq!((g.start, g.end, g.step), (s, e, st));
                prop_assert!(
                    same(&g.values, &v),
                    "archive {}: {:?} vs {:?}",
                    a.spp,
                    g.values,
                    v
                );
            }
            (g, w) => prop_assert_eq!(g.is_none(), w.is_none()),
        }
    }
    Ok(())
}

fn run(
    layout: usize,
    method: AggregationMethod,
    xff: f32,
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wsp");
    let specs = LAYOUTS[layout];
    let archives: Vec<ArchiveSpec> = specs.iter().map(|&(s, p)| ArchiveSpec::new(s, p)).collect();
    let w = Whisper::default();
    w.create(
        &path,
        &archives,
        &CreateOptions {
            x_files_factor: f64::from(xff),
            aggregation_method: method,
            sparse: layout.is_multiple_of(2),
            ..CreateOptions::default()
        },
    )
    .unwrap();
    let mut model = Model::new(specs, method, xff);
    let mut now = START;
    for op in ops {
        match op {
            Op::Update { age, value } => {
                let real = w.update(&path, value, Some(now - age), Some(now));
                let modeled = model.update(value, now - age, now);
                match (real, modeled) {
                    (Ok(()), Ok(())) | (Err(Error::TimestampNotCovered), Err(())) => {}
                    (r, m) => prop_assert!(false, "update {age}: {r:?} vs {m:?}"),
                }
            }
            Op::UpdateMany { points } => {
                let points: Vec<(i64, f64)> = points.iter().map(|&(a, v)| (now - a, v)).collect();
                w.update_many(&path, &points, Some(now)).unwrap();
                model.update_many(&points, now);
            }
            Op::Fetch { from_age, len } => {
                let from = now - from_age;
                let until = from + len;
                let got = w.fetch(&path, from, Some(until), Some(now), None).unwrap();
                let want = model.fetch(from, until, now);
                match (got, want) {
                    (Some(g), Some((s, e, st, v))) => {
                        prop_assert_eq!((g.start, g.end, g.step), (s, e, st));
                        prop_assert!(same(&g.values, &v));
                    }
                    (g, w) => prop_assert_eq!(g.is_none(), w.is_none()),
                }
            }
            Op::Advance { secs } => now += secs,
        }
        check_all(&w, &path, &model, now)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn file_matches_model((layout, method, xff, ops) in scenario()) {
        run(layout, method, xff, ops)?;
    }
}
