//! The position functions of the three hash types (`carbonHash` in the reference).

use md5::{Digest, Md5};

/// carbon_ch: the first four hex digits of the md5 of the UTF-8 key, `0..=65535`.
pub(crate) fn md5_position(key: &str) -> i64 {
    let digest = Md5::digest(key.as_bytes());
    i64::from(u16::from_be_bytes([digest[0], digest[1]]))
}

/// 32-bit FNV-1a of `data` (offset basis 0x811c9dc5, prime 0x01000193).
pub fn fnv1a_32(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// fnv1a_ch: the FNV-1a hash of the UTF-8 key folded to 16 bits, `(h >> 16) ^ (h & 0xffff)`.
pub(crate) fn fnv1a_position(key: &str) -> i64 {
    let h = fnv1a_32(key.as_bytes());
    i64::from((h >> 16) ^ (h & 0xffff))
}

/// MurmurHash3 x86 32-bit of `data` with `seed`, as an unsigned value.
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        h ^= mix(k);
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let k = tail
            .iter()
            .rev()
            .fold(0u32, |k, &b| (k << 8) | u32::from(b));
        h ^= mix(k);
    }
    // The reference's mmh3 takes the length modulo 2^32 too.
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// mmh3_ch: `mmh3.hash(key)`, the signed 32-bit MurmurHash3 of the UTF-8 key with seed 0.
pub(crate) fn mmh3_position(key: &str) -> i64 {
    i64::from(murmur3_32(key.as_bytes(), 0) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        // From the reference's behaviour (carbon-whisper.md §B.11).
        assert_eq!(md5_position("('127.0.0.1', 'a'):0"), 24043);
        assert_eq!(md5_position("('127.0.0.1', None):0"), 52941);
        assert_eq!(md5_position("foo.bar"), 1273);
        assert_eq!(fnv1a_32(b"0-a"), 0x8883_4545);
        assert_eq!(fnv1a_position("0-a"), 52678);
        // mmh3 5.3.1: mmh3.hash('foo'), mmh3.hash(''), mmh3.hash('hello'), mmh3.hash('héllo').
        assert_eq!(mmh3_position("foo"), -156_908_512);
        assert_eq!(mmh3_position(""), 0);
        assert_eq!(mmh3_position("hello"), 613_153_351);
        assert_eq!(mmh3_position("héllo"), -1_130_389_400);
    }
}
