use super::*;

fn cache(strategy: WriteStrategy) -> MetricCache {
    MetricCache::new(CacheOptions {
        strategy,
        ..CacheOptions::default()
    })
}

fn names(c: &MetricCache, now: f64) -> Vec<String> {
    std::iter::from_fn(|| c.pop(now).map(|(m, _)| m)).collect()
}

/// Stores `counts[i]` points for metric `m<i>`, metrics added in index order.
fn fill(c: &MetricCache, counts: &[usize]) {
    for (i, &n) in counts.iter().enumerate() {
        for t in 0..n {
            c.store(&format!("m{i}"), 1000.0 + t as f64, 1.0);
        }
    }
}

#[test]
fn duplicate_timestamp_overwrites_without_growing() {
    let c = cache(WriteStrategy::Sorted);
    assert_eq!(c.store("a", 100.0, 1.0), StoreOutcome::Stored);
    assert_eq!(c.store("a", 100.5, 2.0), StoreOutcome::Stored);
    assert_eq!(c.store("a", 100.0, 3.0), StoreOutcome::Updated);
    assert_eq!(c.store("a", -0.0, 4.0), StoreOutcome::Stored);
    assert_eq!(c.store("a", 0.0, 5.0), StoreOutcome::Updated);
    assert_eq!(c.size(), 3);
    assert_eq!(c.len(), 1);
    // Insertion order, a replaced value keeping its place.
    assert_eq!(c.get("a"), vec![(100.0, 3.0), (100.5, 2.0), (-0.0, 5.0)]);
    // Popped sorted by timestamp.
    let (m, pts) = c.pop(0.0).unwrap();
    assert_eq!(m, "a");
    assert_eq!(pts, vec![(-0.0, 5.0), (100.0, 3.0), (100.5, 2.0)]);
    assert!(c.is_empty());
    assert_eq!(c.pop(0.0), None);
}

#[test]
fn out_of_order_points_use_the_index_past_the_threshold() {
    let c = cache(WriteStrategy::Sorted);
    let ts: Vec<f64> = (0..200).map(|i| ((i * 37) % 200) as f64 / 2.0).collect();
    for &t in &ts {
        assert_eq!(c.store("x", t, t), StoreOutcome::Stored);
    }
    for &t in &ts {
        assert_eq!(c.store("x", t, -t), StoreOutcome::Updated);
    }
    assert_eq!(c.size(), 200);
    let got = c.get("x");
    assert_eq!(got.iter().map(|p| p.0).collect::<Vec<_>>(), ts);
    let (_, pts) = c.pop(0.0).unwrap();
    assert!(pts.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(pts.iter().all(|p| p.1 == -p.0));
}

#[test]
fn nan_and_infinite_timestamps_do_not_panic() {
    let c = cache(WriteStrategy::TimeSorted);
    assert_eq!(c.store("n", f64::NAN, 1.0), StoreOutcome::Stored);
    // NaN never equals NaN, so a second one is a second point, as in the reference.
    assert_eq!(c.store("n", f64::NAN, 1.0), StoreOutcome::Stored);
    assert_eq!(c.store("n", f64::INFINITY, 1.0), StoreOutcome::Stored);
    assert_eq!(c.store("n", f64::INFINITY, 2.0), StoreOutcome::Updated);
    assert_eq!(c.store("n", 5.0, 1.0), StoreOutcome::Stored);
    assert_eq!(c.size(), 4);
    let (_, pts) = c.pop(f64::INFINITY).unwrap();
    assert_eq!(pts.len(), 4);
}

#[test]
fn full_cache_refuses_new_points_but_updates_duplicates() {
    let c = MetricCache::new(CacheOptions {
        max_size_points: Some(3),
        ..CacheOptions::default()
    });
    for t in 0..3 {
        assert_eq!(c.store("a", t as f64, 0.0), StoreOutcome::Stored);
    }
    assert!(c.is_full());
    assert!(!c.is_too_full());
    assert_eq!(c.store("a", 1.0, 9.0), StoreOutcome::Updated);
    assert_eq!(c.store("a", 7.0, 0.0), StoreOutcome::Full);
    // Deliberately unlike the reference: no empty entry for the refused metric.
    assert_eq!(c.store("b", 7.0, 0.0), StoreOutcome::Full);
    assert_eq!(c.len(), 1);
    assert_eq!(c.get("b"), vec![]);
    assert!(c.is_too_full());
    assert!(!c.take_space_available());
    assert_eq!(
        c.store_many([("a", 8.0, 0.0), ("a", 2.0, 5.0)]),
        StoreCounts {
            stored: 0,
            updated: 1,
            full: 1
        }
    );
    c.pop(0.0).unwrap();
    assert!(!c.is_too_full());
    assert!(c.take_space_available());
    assert!(!c.take_space_available());
}

#[test]
fn low_watermark_is_95_percent() {
    let c = MetricCache::new(CacheOptions {
        max_size_points: Some(100),
        strategy: WriteStrategy::Max,
        ..CacheOptions::default()
    });
    // 96 points in "big", 4 in "small": full.
    for t in 0..96 {
        c.store("big", t as f64, 0.0);
    }
    for t in 0..4 {
        c.store("small", t as f64, 0.0);
    }
    for t in 0..4 {
        c.store("a", t as f64, 0.0);
    }
    assert!(c.is_too_full());
    // Popping "big" leaves 4 < 95: space available.
    assert_eq!(c.pop(0.0).unwrap().0, "big");
    assert!(c.take_space_available());
    assert!(!c.is_full());

    let c = MetricCache::new(CacheOptions {
        max_size_points: Some(100),
        strategy: WriteStrategy::InsertionOrder,
        ..CacheOptions::default()
    });
    c.store("tiny", 0.0, 0.0);
    for t in 0..99 {
        c.store("big", t as f64, 0.0);
    }
    assert_eq!(c.store("x", 0.0, 0.0), StoreOutcome::Full);
    // Popping "tiny" leaves 99 >= 95: still too full.
    assert_eq!(c.pop(0.0).unwrap().0, "tiny");
    assert!(c.is_too_full());
    assert!(!c.take_space_available());
    assert_eq!(c.pop(0.0).unwrap().0, "big");
    assert!(!c.is_too_full());
    assert!(c.take_space_available());
}

#[test]
fn unlimited_cache_is_never_full() {
    let c = cache(WriteStrategy::Sorted);
    fill(&c, &[1000]);
    assert!(!c.is_full());
    assert!(!c.is_too_full());
}

#[test]
fn sorted_takes_largest_first_and_latest_added_among_equals() {
    let c = cache(WriteStrategy::Sorted);
    fill(&c, &[2, 5, 2, 1, 5]);
    assert_eq!(names(&c, 0.0), ["m4", "m1", "m2", "m0", "m3"]);
}

#[test]
fn sorted_snapshot_is_kept_until_used_up() {
    let c = cache(WriteStrategy::Sorted);
    fill(&c, &[1, 3]);
    assert_eq!(c.pop(0.0).unwrap().0, "m1");
    // A new, bigger metric waits for the next snapshot; m0 is still in this one.
    for t in 0..10 {
        c.store("big", t as f64, 0.0);
    }
    // m1 is back with one point: it was already taken from this snapshot.
    c.store("m1", 0.0, 0.0);
    assert_eq!(c.pop(0.0).unwrap().0, "m0");
    assert_eq!(names(&c, 0.0), ["big", "m1"]);
}

#[test]
fn max_takes_largest_each_time_earliest_added_among_equals() {
    let c = cache(WriteStrategy::Max);
    fill(&c, &[2, 5, 2, 1, 5]);
    assert_eq!(c.pop(0.0).unwrap().0, "m1");
    for t in 0..9 {
        c.store("late", t as f64, 0.0);
    }
    assert_eq!(names(&c, 0.0), ["late", "m4", "m0", "m2", "m3"]);
}

#[test]
fn naive_takes_latest_added_first() {
    let c = cache(WriteStrategy::Naive);
    fill(&c, &[2, 5, 2, 1]);
    assert_eq!(names(&c, 0.0), ["m3", "m2", "m1", "m0"]);
}

#[test]
fn timesorted_takes_oldest_first_and_honours_the_lag() {
    let c = MetricCache::new(CacheOptions {
        strategy: WriteStrategy::TimeSorted,
        min_timestamp_lag_secs: 10.0,
        ..CacheOptions::default()
    });
    c.store("new", 995.0, 0.0);
    c.store("old", 900.0, 0.0);
    c.store("old", 800.0, 0.0); // out of order: oldest is 800
    c.store("mid", 850.0, 0.0);
    c.store("tie", 850.0, 0.0);
    // now=1000: "new" (lag 5) is not eligible.
    assert_eq!(names(&c, 1000.0), ["old", "tie", "mid"]);
    assert_eq!(c.len(), 1);
    assert_eq!(c.pop(1000.0), None);
    assert_eq!(c.pop(1006.0).unwrap().0, "new");
}

#[test]
fn timesorted_without_lag_takes_everything() {
    let c = cache(WriteStrategy::TimeSorted);
    c.store("b", 2.0, 0.0);
    c.store("a", 1.0, 0.0);
    assert_eq!(names(&c, f64::NEG_INFINITY), ["a", "b"]);
}

#[test]
fn random_takes_every_metric_once() {
    let c = cache(WriteStrategy::Random);
    fill(&c, &[1, 2, 3, 4, 5, 6]);
    let mut got = names(&c, 0.0);
    got.sort();
    assert_eq!(got, ["m0", "m1", "m2", "m3", "m4", "m5"]);
}

#[test]
fn unknown_strategy_takes_insertion_order() {
    assert_eq!(
        WriteStrategy::from_config("bucketmax"),
        WriteStrategy::InsertionOrder
    );
    assert_eq!(WriteStrategy::from_config("sorted"), WriteStrategy::Sorted);
    let c = cache(WriteStrategy::from_config("bucketmax"));
    fill(&c, &[2, 5, 2]);
    assert_eq!(c.pop(0.0).unwrap().0, "m0");
    c.store("m0", 1.0, 1.0); // re-added: now last
    assert_eq!(names(&c, 0.0), ["m1", "m2", "m0"]);
}

#[test]
fn requeue_keeps_points_visible_and_newer_values_win() {
    let c = cache(WriteStrategy::Sorted);
    c.store("a", 1.0, 1.0);
    c.store("a", 2.0, 2.0);
    let (m, pts) = c.pop(0.0).unwrap();
    c.store("a", 2.0, 20.0);
    c.store("a", 3.0, 30.0);
    c.requeue(&m, pts);
    assert_eq!(c.size(), 3);
    assert_eq!(c.get("a"), vec![(1.0, 1.0), (2.0, 20.0), (3.0, 30.0)]);
    // Requeue into an absent metric, beyond a full cache.
    let full = MetricCache::new(CacheOptions {
        max_size_points: Some(1),
        ..CacheOptions::default()
    });
    full.store("x", 1.0, 1.0);
    full.requeue("y", vec![(5.0, 5.0), (6.0, 6.0)]);
    assert_eq!(full.size(), 3);
    assert_eq!(
        full.get_many(["y", "x", "z"]),
        vec![vec![(5.0, 5.0), (6.0, 6.0)], vec![(1.0, 1.0)], vec![]]
    );
}

#[test]
fn concurrent_stores_and_pops_lose_nothing() {
    let c = Arc::new(cache(WriteStrategy::Sorted));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..5000 {
                    c.store(&format!("w{w}.m{}", i % 50), i as f64, 1.0);
                }
            })
        })
        .collect();
    let popper = {
        let c = c.clone();
        std::thread::spawn(move || {
            let mut n = 0;
            for _ in 0..2000 {
                if let Some((_, p)) = c.pop(0.0) {
                    n += p.len();
                }
            }
            n
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    let mut popped = popper.join().unwrap();
    while let Some((_, p)) = c.pop(0.0) {
        popped += p.len();
    }
    assert_eq!(popped, 20_000);
    assert_eq!(c.size(), 0);
}

mod model {
    //! The cache against a literal transcription of the reference's algorithm: a dict-ordered
    //! list of metrics, each a dict-ordered list of points, and the strategies' snapshots.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Default)]
    struct Model {
        entries: Vec<(String, Vec<(f64, f64)>)>,
        size: usize,
        queue: Vec<String>,
    }

    impl Model {
        fn pos(&self, m: &str) -> Option<usize> {
            self.entries.iter().position(|e| e.0 == m)
        }

        fn store(&mut self, max: Option<usize>, m: &str, ts: f64, v: f64) -> StoreOutcome {
            if let Some(i) = self.pos(m) {
                if let Some(p) = self.entries[i].1.iter_mut().find(|p| p.0 == ts) {
                    p.1 = v;
                    return StoreOutcome::Updated;
                }
            }
            if max.is_some_and(|max| self.size >= max) {
                return StoreOutcome::Full;
            }
            match self.pos(m) {
                Some(i) => self.entries[i].1.push((ts, v)),
                None => self.entries.push((m.into(), vec![(ts, v)])),
            }
            self.size += 1;
            StoreOutcome::Stored
        }

        fn requeue(&mut self, m: &str, pts: Vec<(f64, f64)>) {
            if pts.is_empty() {
                return;
            }
            match self.pos(m) {
                Some(i) => {
                    let newer = std::mem::take(&mut self.entries[i].1);
                    let mut merged: Vec<(f64, f64)> = Vec::new();
                    for p in pts {
                        if !newer.iter().chain(&merged).any(|q| q.0 == p.0) {
                            merged.push(p);
                            self.size += 1;
                        }
                    }
                    merged.extend(newer);
                    self.entries[i].1 = merged;
                }
                None => {
                    self.size += pts.len();
                    self.entries.push((m.into(), pts));
                }
            }
        }

        fn oldest(pts: &[(f64, f64)]) -> f64 {
            pts.iter().map(|p| p.0).fold(f64::NAN, f64::min) + 0.0
        }

        /// `None`: nothing to pop; `Some(None)`: any metric (random); else the metric.
        fn choose(&mut self, s: WriteStrategy, lag: f64, now: f64) -> Option<Option<String>> {
            if self.entries.is_empty() {
                return None;
            }
            let pick = match s {
                WriteStrategy::Max => {
                    let mut best = 0;
                    for (i, e) in self.entries.iter().enumerate() {
                        if e.1.len() > self.entries[best].1.len() {
                            best = i;
                        }
                    }
                    self.entries[best].0.clone()
                }
                WriteStrategy::InsertionOrder => self.entries[0].0.clone(),
                WriteStrategy::Random => return Some(None),
                _ => {
                    let mut refilled = false;
                    loop {
                        match self.queue.pop() {
                            Some(n) if self.pos(&n).is_some() => break n,
                            Some(_) => continue,
                            None if refilled => return None,
                            None => {
                                refilled = true;
                                let mut snap = self.entries.clone();
                                match s {
                                    // Python's sorted() is stable, as is sort_by.
                                    WriteStrategy::Sorted => snap.sort_by_key(|e| e.1.len()),
                                    WriteStrategy::Naive => {}
                                    _ => {
                                        if lag != 0.0 {
                                            snap.retain(|e| now - Self::oldest(&e.1) > lag);
                                        }
                                        snap.sort_by(|a, b| {
                                            Self::oldest(&b.1).total_cmp(&Self::oldest(&a.1))
                                        });
                                    }
                                }
                                self.queue = snap.into_iter().map(|e| e.0).collect();
                                if self.queue.is_empty() {
                                    return None;
                                }
                            }
                        }
                    }
                }
            };
            Some(Some(pick))
        }

        fn remove(&mut self, m: &str) -> Vec<(f64, f64)> {
            let i = self.pos(m).expect("popped metric is in the model");
            let mut pts = self.entries.remove(i).1;
            self.size -= pts.len();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            pts
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Store(usize, f64, f64),
        Pop(f64),
        Get(usize),
        PopRequeue(f64),
    }

    fn op() -> impl Strategy<Value = Op> {
        let ts = prop_oneof![
            (0i32..48).prop_map(|t| f64::from(t) / 2.0),
            Just(-0.0),
            Just(0.0),
        ];
        prop_oneof![
            8 => (0usize..5, ts, -5i32..5).prop_map(|(m, t, v)| Op::Store(m, t, f64::from(v))),
            2 => (0i32..40).prop_map(|n| Op::Pop(f64::from(n))),
            1 => (0usize..6).prop_map(Op::Get),
            1 => (0i32..40).prop_map(|n| Op::PopRequeue(f64::from(n))),
        ]
    }

    fn strategy() -> impl Strategy<Value = WriteStrategy> {
        prop_oneof![
            Just(WriteStrategy::Sorted),
            Just(WriteStrategy::Max),
            Just(WriteStrategy::Naive),
            Just(WriteStrategy::TimeSorted),
            Just(WriteStrategy::Random),
            Just(WriteStrategy::InsertionOrder),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn matches_model(
            strat in strategy(),
            max in proptest::option::of(0usize..40),
            lag in prop_oneof![Just(0.0), Just(5.0)],
            ops in proptest::collection::vec(op(), 0..200),
        ) {
            let c = MetricCache::new(CacheOptions {
                max_size_points: max,
                strategy: strat,
                min_timestamp_lag_secs: lag,
            });
            let mut model = Model::default();
            for op in ops {
                match op {
                    Op::Store(m, ts, v) => {
                        let name = format!("m{m}");
                        prop_assert_eq!(c.store(&name, ts, v), model.store(max, &name, ts, v));
                    }
                    Op::Get(m) => {
                        let name = format!("m{m}");
                        let want = model.pos(&name).map(|i| model.entries[i].1.clone());
                        prop_assert_eq!(c.get(&name), want.unwrap_or_default());
                    }
                    Op::Pop(now) | Op::PopRequeue(now) => {
                        let got = c.pop(now);
                        match model.choose(strat, lag, now) {
                            None => prop_assert_eq!(&got, &None),
                            Some(None) => {
                                // Random: any metric will do.
                                let (m, pts) = got.clone().expect("a metric");
                                prop_assert_eq!(pts, model.remove(&m));
                            }
                            Some(Some(want)) => {
                                let (m, pts) = got.clone().expect("a metric");
                                prop_assert_eq!(&m, &want);
                                prop_assert_eq!(pts, model.remove(&m));
                            }
                        }
                        if let (Op::PopRequeue(_), Some((m, pts))) = (op, got) {
                            c.requeue(&m, pts.clone());
                            model.requeue(&m, pts);
                        }
                    }
                }
                prop_assert_eq!(c.size(), model.size);
                prop_assert_eq!(c.len(), model.entries.len());
                if let Some(max) = max {
                    prop_assert_eq!(c.is_full(), model.size >= max);
                }
            }
        }
    }
}
