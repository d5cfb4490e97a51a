//! A replay of CPython 3.11's `list.sort` (timsort with the powersort merge policy, as in
//! `Objects/listobject.c`), comparing only with `<`.
//!
//! With a consistent order every stable sort gives the same result, so this matters only
//! when keys include NaN: every comparison with NaN is false, the order is no longer
//! consistent, and where a NaN ends up depends on exactly which comparisons the algorithm
//! makes. Runs, minimum run length, binary insertion, the merge policy, `gallop_left` /
//! `gallop_right` and the adaptive `min_gallop` are followed step by step; where CPython
//! guards against an inconsistent order (`na == 0` after galloping) so does this.

/// CPython's `MIN_GALLOP`: consecutive wins before a merge starts galloping.
const MIN_GALLOP: usize = 7;

/// One pending run: where it starts, how long it is, and its powersort power.
#[derive(Debug, Clone, Copy)]
struct Run {
    base: usize,
    len: usize,
    power: u32,
}

/// How a merge loop ended (the `goto` targets of CPython's `merge_lo`/`merge_hi`).
enum Exit {
    /// Copy what remains of the run in the temporary buffer.
    Succeed,
    /// One element of the buffered run is left; it goes at the far end.
    CopyLast,
}

/// Sorts `items` by `keys[item]` as CPython sorts a list of such keys (floats, strings).
pub(crate) fn sort<K: PartialOrd>(items: &mut [usize], keys: &[K]) {
    let mut state = State {
        keys,
        min_gallop: MIN_GALLOP,
        runs: Vec::new(),
    };
    state.sort(items);
}

struct State<'k, K> {
    keys: &'k [K],
    min_gallop: usize,
    runs: Vec<Run>,
}

impl<K: PartialOrd> State<'_, K> {
    /// `ISLT(a, b)`.
    fn lt(&self, a: usize, b: usize) -> bool {
        self.keys[a] < self.keys[b]
    }

    fn sort(&mut self, v: &mut [usize]) {
        let n = v.len();
        if n < 2 {
            return;
        }
        let min_run = compute_min_run(n);
        let mut lo = 0;
        while lo < n {
            let mut run = self.count_run(v, lo, n);
            if run < min_run {
                let force = min_run.min(n - lo);
                self.binary_sort(v, lo, lo + force, lo + run);
                run = force;
            }
            self.found_new_run(v, run, n);
            self.runs.push(Run {
                base: lo,
                len: run,
                power: 0,
            });
            lo += run;
        }
        // merge_force_collapse
        while self.runs.len() > 1 {
            let mut i = self.runs.len() - 2;
            if i > 0 && self.runs[i - 1].len < self.runs[i + 1].len {
                i -= 1;
            }
            self.merge_at(v, i);
        }
    }

    /// `count_run`: the length of the run starting at `lo`; a strictly descending run is
    /// reversed in place.
    fn count_run(&self, v: &mut [usize], lo: usize, hi: usize) -> usize {
        if lo + 1 == hi {
            return 1;
        }
        let mut n = 2;
        if self.lt(v[lo + 1], v[lo]) {
            while lo + n < hi && self.lt(v[lo + n], v[lo + n - 1]) {
                n += 1;
            }
            v[lo..lo + n].reverse();
        } else {
            while lo + n < hi && !self.lt(v[lo + n], v[lo + n - 1]) {
                n += 1;
            }
        }
        n
    }

    /// `binarysort`: `v[lo..start]` is sorted; inserts `v[start..hi]` one by one.
    fn binary_sort(&self, v: &mut [usize], lo: usize, hi: usize, start: usize) {
        let start = if start == lo { start + 1 } else { start };
        for i in start..hi {
            let pivot = v[i];
            let (mut l, mut r) = (lo, i);
            while l < r {
                let p = l + ((r - l) >> 1);
                if self.lt(pivot, v[p]) {
                    r = p;
                } else {
                    l = p + 1;
                }
            }
            v.copy_within(l..i, l + 1);
            v[l] = pivot;
        }
    }

    /// `found_new_run`: merges pending runs whose power exceeds the new boundary's.
    fn found_new_run(&mut self, v: &mut [usize], n2: usize, list_len: usize) {
        let Some(last) = self.runs.last() else {
            return;
        };
        let power = power_loop(last.base, last.len, n2, list_len);
        while self.runs.len() > 1 && self.runs[self.runs.len() - 2].power > power {
            self.merge_at(v, self.runs.len() - 2);
        }
        if let Some(last) = self.runs.last_mut() {
            last.power = power;
        }
    }

    /// `merge_at`: merges pending runs `i` and `i + 1`.
    fn merge_at(&mut self, v: &mut [usize], i: usize) {
        let (a, b) = (self.runs[i], self.runs[i + 1]);
        self.runs[i].len = a.len + b.len;
        self.runs.remove(i + 1);
        let (mut base_a, mut na) = (a.base, a.len);
        let (base_b, mut nb) = (b.base, b.len);
        let k = self.gallop_right(v[base_b], &v[base_a..base_a + na], 0);
        base_a += k;
        na -= k;
        if na == 0 {
            return;
        }
        nb = self.gallop_left(v[base_a + na - 1], &v[base_b..base_b + nb], nb - 1);
        if nb == 0 {
            return;
        }
        if na <= nb {
            self.merge_lo(v, base_a, na, base_b, nb);
        } else {
            self.merge_hi(v, base_a, na, base_b, nb);
        }
    }

    /// `gallop_left`: the leftmost place for `key` in sorted `a`, searching from `hint`.
    fn gallop_left(&self, key: usize, a: &[usize], hint: usize) -> usize {
        let n = a.len();
        let (mut last, mut ofs);
        if self.lt(a[hint], key) {
            let max = n - hint;
            last = 0;
            ofs = 1;
            while ofs < max && self.lt(a[hint + ofs], key) {
                last = ofs;
                ofs = (ofs << 1) + 1;
            }
            ofs = ofs.min(max);
            last += hint + 1;
            ofs += hint;
        } else {
            let max = hint + 1;
            last = 0;
            ofs = 1;
            while ofs < max && !self.lt(a[hint - ofs], key) {
                last = ofs;
                ofs = (ofs << 1) + 1;
            }
            ofs = ofs.min(max);
            // In CPython's terms lastofs = hint - ofs (possibly -1), then ++lastofs.
            let k = last;
            last = hint + 1 - ofs;
            ofs = hint - k;
        }
        while last < ofs {
            let m = last + ((ofs - last) >> 1);
            if self.lt(a[m], key) {
                last = m + 1;
            } else {
                ofs = m;
            }
        }
        ofs
    }

    /// `gallop_right`: the rightmost place for `key` in sorted `a`, searching from `hint`.
    fn gallop_right(&self, key: usize, a: &[usize], hint: usize) -> usize {
        let n = a.len();
        let (mut last, mut ofs);
        if self.lt(key, a[hint]) {
            let max = hint + 1;
            last = 0;
            ofs = 1;
            while ofs < max && self.lt(key, a[hint - ofs]) {
                last = ofs;
                ofs = (ofs << 1) + 1;
            }
            ofs = ofs.min(max);
            let k = last;
            last = hint + 1 - ofs;
            ofs = hint - k;
        } else {
            let max = n - hint;
            last = 0;
            ofs = 1;
            while ofs < max && !self.lt(key, a[hint + ofs]) {
                last = ofs;
                ofs = (ofs << 1) + 1;
            }
            ofs = ofs.min(max);
            last += hint + 1;
            ofs += hint;
        }
        while last < ofs {
            let m = last + ((ofs - last) >> 1);
            if self.lt(key, a[m]) {
                ofs = m;
            } else {
                last = m + 1;
            }
        }
        ofs
    }

    /// `merge_lo`: merges `v[base_a..+na]` and the adjacent `v[base_b..+nb]` (`na <= nb`)
    /// from the left, with run A buffered.
    fn merge_lo(&mut self, v: &mut [usize], base_a: usize, na: usize, base_b: usize, nb: usize) {
        let tmp: Vec<usize> = v[base_a..base_a + na].to_vec();
        let (mut na, mut nb) = (na, nb);
        let (mut pa, mut pb, mut dest) = (0, base_b, base_a);
        let mut min_gallop = self.min_gallop;
        v[dest] = v[pb];
        dest += 1;
        pb += 1;
        nb -= 1;
        let exit = 'merge: {
            if nb == 0 {
                break 'merge Exit::Succeed;
            }
            if na == 1 {
                break 'merge Exit::CopyLast;
            }
            loop {
                let (mut acount, mut bcount) = (0, 0);
                loop {
                    if self.lt(v[pb], tmp[pa]) {
                        v[dest] = v[pb];
                        dest += 1;
                        pb += 1;
                        bcount += 1;
                        acount = 0;
                        nb -= 1;
                        if nb == 0 {
                            break 'merge Exit::Succeed;
                        }
                        if bcount >= min_gallop {
                            break;
                        }
                    } else {
                        v[dest] = tmp[pa];
                        dest += 1;
                        pa += 1;
                        acount += 1;
                        bcount = 0;
                        na -= 1;
                        if na == 1 {
                            break 'merge Exit::CopyLast;
                        }
                        if acount >= min_gallop {
                            break;
                        }
                    }
                }
                min_gallop += 1;
                loop {
                    min_gallop -= usize::from(min_gallop > 1);
                    self.min_gallop = min_gallop;
                    let k = self.gallop_right(v[pb], &tmp[pa..pa + na], 0);
                    acount = k;
                    if k > 0 {
                        v[dest..dest + k].copy_from_slice(&tmp[pa..pa + k]);
                        dest += k;
                        pa += k;
                        na -= k;
                        if na == 1 {
                            break 'merge Exit::CopyLast;
                        }
                        if na == 0 {
                            break 'merge Exit::Succeed;
                        }
                    }
                    v[dest] = v[pb];
                    dest += 1;
                    pb += 1;
                    nb -= 1;
                    if nb == 0 {
                        break 'merge Exit::Succeed;
                    }
                    let k = self.gallop_left(tmp[pa], &v[pb..pb + nb], 0);
                    bcount = k;
                    if k > 0 {
                        v.copy_within(pb..pb + k, dest);
                        dest += k;
                        pb += k;
                        nb -= k;
                        if nb == 0 {
                            break 'merge Exit::Succeed;
                        }
                    }
                    v[dest] = tmp[pa];
                    dest += 1;
                    pa += 1;
                    na -= 1;
                    if na == 1 {
                        break 'merge Exit::CopyLast;
                    }
                    if acount < MIN_GALLOP && bcount < MIN_GALLOP {
                        break;
                    }
                }
                min_gallop += 1;
                self.min_gallop = min_gallop;
            }
        };
        match exit {
            Exit::Succeed => v[dest..dest + na].copy_from_slice(&tmp[pa..pa + na]),
            Exit::CopyLast => {
                v.copy_within(pb..pb + nb, dest);
                v[dest + nb] = tmp[pa];
            }
        }
    }

    /// `merge_hi`: merges `v[base_a..+na]` and the adjacent `v[base_b..+nb]` (`na > nb`)
    /// from the right, with run B buffered. Positions count down, so they are kept one
    /// past the element they denote (CPython's pointers may reach one before the start).
    fn merge_hi(&mut self, v: &mut [usize], base_a: usize, na: usize, base_b: usize, nb: usize) {
        let tmp: Vec<usize> = v[base_b..base_b + nb].to_vec();
        let (mut na, mut nb) = (na, nb);
        // `dest`, `pa` (in v) and `pb` (in tmp) are one past the current element.
        let (mut dest, mut pa, mut pb) = (base_b + nb, base_a + na, nb);
        let mut min_gallop = self.min_gallop;
        v[dest - 1] = v[pa - 1];
        dest -= 1;
        pa -= 1;
        na -= 1;
        let exit = 'merge: {
            if na == 0 {
                break 'merge Exit::Succeed;
            }
            if nb == 1 {
                break 'merge Exit::CopyLast;
            }
            loop {
                let (mut acount, mut bcount) = (0, 0);
                loop {
                    if self.lt(tmp[pb - 1], v[pa - 1]) {
                        v[dest - 1] = v[pa - 1];
                        dest -= 1;
                        pa -= 1;
                        acount += 1;
                        bcount = 0;
                        na -= 1;
                        if na == 0 {
                            break 'merge Exit::Succeed;
                        }
                        if acount >= min_gallop {
                            break;
                        }
                    } else {
                        v[dest - 1] = tmp[pb - 1];
                        dest -= 1;
                        pb -= 1;
                        bcount += 1;
                        acount = 0;
                        nb -= 1;
                        if nb == 1 {
                            break 'merge Exit::CopyLast;
                        }
                        if bcount >= min_gallop {
                            break;
                        }
                    }
                }
                min_gallop += 1;
                loop {
                    min_gallop -= usize::from(min_gallop > 1);
                    self.min_gallop = min_gallop;
                    let k = na - self.gallop_right(tmp[pb - 1], &v[base_a..base_a + na], na - 1);
                    acount = k;
                    if k > 0 {
                        dest -= k;
                        pa -= k;
                        v.copy_within(pa..pa + k, dest);
                        na -= k;
                        if na == 0 {
                            break 'merge Exit::Succeed;
                        }
                    }
                    v[dest - 1] = tmp[pb - 1];
                    dest -= 1;
                    pb -= 1;
                    nb -= 1;
                    if nb == 1 {
                        break 'merge Exit::CopyLast;
                    }
                    let k = nb - self.gallop_left(v[pa - 1], &tmp[..nb], nb - 1);
                    bcount = k;
                    if k > 0 {
                        dest -= k;
                        pb -= k;
                        v[dest..dest + k].copy_from_slice(&tmp[pb..pb + k]);
                        nb -= k;
                        if nb == 1 {
                            break 'merge Exit::CopyLast;
                        }
                        if nb == 0 {
                            break 'merge Exit::Succeed;
                        }
                    }
                    v[dest - 1] = v[pa - 1];
                    dest -= 1;
                    pa -= 1;
                    na -= 1;
                    if na == 0 {
                        break 'merge Exit::Succeed;
                    }
                    if acount < MIN_GALLOP && bcount < MIN_GALLOP {
                        break;
                    }
                }
                min_gallop += 1;
                self.min_gallop = min_gallop;
            }
        };
        match exit {
            Exit::Succeed => v[dest - nb..dest].copy_from_slice(&tmp[..nb]),
            Exit::CopyLast => {
                dest -= na;
                pa -= na;
                v.copy_within(pa..pa + na, dest);
                v[dest - 1] = tmp[pb - 1];
            }
        }
    }
}

/// `merge_compute_minrun`.
fn compute_min_run(mut n: usize) -> usize {
    let mut r = 0;
    while n >= 64 {
        r |= n & 1;
        n >>= 1;
    }
    n + r
}

/// `powerloop`: the powersort power of the boundary between a run `[s1, s1 + n1)` and the
/// next run of `n2` items in a list of `n`.
fn power_loop(s1: usize, n1: usize, n2: usize, n: usize) -> u32 {
    let mut result = 0;
    let mut a = 2 * s1 + n1;
    let mut b = a + n1 + n2;
    loop {
        result += 1;
        if a >= n {
            a -= n;
            b -= n;
        } else if b >= n {
            break;
        }
        a <<= 1;
        b <<= 1;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any mix of NaN and numbers sorts to a permutation without panicking (the order itself
    /// is checked against CPython in `pyorder`'s tests).
    #[test]
    fn always_a_permutation() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            seed >> 33
        };
        for round in 0..300 {
            let n = (next() % 3000) as usize;
            let nan_every = 1 + next() % 5;
            let keys: Vec<f64> = (0..n)
                .map(|i| match next() % nan_every {
                    0 => f64::NAN,
                    _ if round % 3 == 0 => (i % 13) as f64,
                    _ => (next() % 1000) as f64,
                })
                .collect();
            let mut items: Vec<usize> = (0..n).collect();
            sort(&mut items, &keys);
            let mut seen = items.clone();
            seen.sort_unstable();
            assert!(seen.iter().copied().eq(0..n), "round {round}");
        }
    }

    #[test]
    fn min_run_and_power() {
        assert_eq!(compute_min_run(63), 63);
        assert_eq!(compute_min_run(64), 32);
        assert_eq!(compute_min_run(65), 33);
        assert_eq!(compute_min_run(2112), 33);
        assert_eq!(power_loop(0, 32, 32, 64), 1);
        assert_eq!(power_loop(0, 16, 16, 64), 2);
    }
}
