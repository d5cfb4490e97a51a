//! The iteration order of a CPython 3.11 `set` of small non-negative integers.
//!
//! whisper's `update_many` propagates each distinct lower-archive interval of a batch in the
//! order `set(intervals)` yields them. That order shows in the file when a lower archive is still
//! empty: the first interval propagated lands in slot 0 and becomes the archive's base, and every
//! other slot is placed relative to it. To write the same bytes as the reference we reproduce
//! CPython's open-addressing table (`Objects/setobject.c`: linear probes of 9, perturbation shift
//! 5, resize at 3/5 full to four times the used count). An integer below 2^61 - 1 hashes to
//! itself, which holds for every whisper timestamp.

const MIN_SIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;

/// Returns the distinct values of `values` in the order `set(values)` iterates them.
pub fn set_iteration_order(values: impl IntoIterator<Item = u32>) -> Vec<u32> {
    let mut table: Vec<Option<u32>> = vec![None; MIN_SIZE];
    let mut used = 0usize;
    for value in values {
        if insert(&mut table, value) {
            used += 1;
            // `fill * 5 < mask * 3` keeps the table; there are no deletions, so fill == used.
            let mask = table.len() - 1;
            if used * 5 >= mask * 3 {
                table = resize(&table, if used > 50_000 { used * 2 } else { used * 4 });
            }
        }
    }
    table.into_iter().flatten().collect()
}

/// `set_add_entry`: probes for `value`, inserts it into the first free slot; false if present.
fn insert(table: &mut [Option<u32>], value: u32) -> bool {
    let mask = table.len() - 1;
    let hash = value as usize;
    let mut perturb = hash;
    let mut i = hash & mask;
    loop {
        let probes = if i + LINEAR_PROBES <= mask {
            LINEAR_PROBES
        } else {
            0
        };
        for slot in &mut table[i..=i + probes] {
            match *slot {
                None => {
                    *slot = Some(value);
                    return true;
                }
                Some(v) if v == value => return false,
                Some(_) => {}
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb)) & mask;
    }
}

/// `set_table_resize` + `set_insert_clean`: rehashes in old-table order into a table of the
/// smallest power of two above `min_used`.
fn resize(old: &[Option<u32>], min_used: usize) -> Vec<Option<u32>> {
    let mut size = MIN_SIZE;
    while size <= min_used {
        size <<= 1;
    }
    let mut table = vec![None; size];
    let mask = size - 1;
    for value in old.iter().flatten().copied() {
        let hash = value as usize;
        let mut perturb = hash;
        let mut i = hash & mask;
        'probe: loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            if let Some(slot) = table[i..=i + probes].iter_mut().find(|s| s.is_none()) {
                *slot = Some(value);
                break 'probe;
            }
            perturb >>= PERTURB_SHIFT;
            i = (i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb)) & mask;
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython_examples() {
        // Orders printed by CPython 3.11: list(set([...])).
        assert_eq!(set_iteration_order([3, 1, 2, 1]), vec![1, 2, 3]);
        assert_eq!(
            set_iteration_order([600, 0, 60, 120]),
            vec![600, 0, 60, 120]
        );
        assert_eq!(
            set_iteration_order([
                1700000000, 1700000060, 1700000120, 1700000180, 1700000240, 1700000300
            ]),
            vec![1700000000, 1700000300, 1700000240, 1700000180, 1700000120, 1700000060]
        );
    }
}
