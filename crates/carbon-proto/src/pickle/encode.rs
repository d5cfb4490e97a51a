//! The protocol-2 encoder: the bytes CPython 3.11's `pickle.dumps(value, protocol=2)` writes.
//!
//! Python's pickler memoizes by object identity, so its output depends on which equal values
//! are the same object. A [`Value`] tree has no identity; we write what Python writes for a
//! value whose containers and strings are all distinct objects, except for the objects
//! CPython always shares: the empty string and one-character Latin-1 strings (interned
//! singletons), `bytes` of length 0 and 1 (also cached), the `latin1` codec name and the
//! globals used for `bytes`, `set` and `frozenset`. Values unpickled from the wire and carbon's responses are like that.

use std::collections::HashMap;

use super::Value;

/// Python's `pickle.dumps(value, protocol=2)` of `value`. `bytes`, `set` and `frozenset` are
/// written as Python does at protocol 2 (a `GLOBAL` and `REDUCE`), which Python reads back
/// but [`decode`](super::decode) refuses; carbonlink responses never contain them.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut p = Pickler::default();
    p.out.extend_from_slice(b"\x80\x02");
    p.save(value);
    p.out.push(b'.');
    p.out
}

/// Python writes long lists and dicts in batches of this many items.
const BATCH: usize = 1000;

#[derive(Default)]
struct Pickler {
    out: Vec<u8>,
    next_memo: u32,
    /// Memo slots of the shared singleton strings ("" and one Latin-1 character).
    singletons: HashMap<char, u32>,
    empty_str: Option<u32>,
    latin1: Option<u32>,
    /// Memo slots of globals, by `module\nname\n`.
    globals: HashMap<&'static str, u32>,
    /// Memo slots of the shared singleton `bytes` (empty, or one byte; CPython caches them).
    byte_singletons: HashMap<Vec<u8>, u32>,
}

impl Pickler {
    fn put(&mut self) -> u32 {
        let idx = self.next_memo;
        self.next_memo += 1;
        if idx < 256 {
            self.out.extend_from_slice(&[b'q', idx as u8]);
        } else {
            self.out.push(b'r');
            self.out.extend_from_slice(&idx.to_le_bytes());
        }
        idx
    }

    fn get(&mut self, idx: u32) {
        if idx < 256 {
            self.out.extend_from_slice(&[b'h', idx as u8]);
        } else {
            self.out.push(b'j');
            self.out.extend_from_slice(&idx.to_le_bytes());
        }
    }

    fn save(&mut self, v: &Value) {
        match v {
            Value::None => self.out.push(b'N'),
            Value::Bool(true) => self.out.push(0x88),
            Value::Bool(false) => self.out.push(0x89),
            Value::Int(i) => self.save_int(*i),
            Value::BigInt(digits) => self.save_long_bytes(&bigint_to_le(digits)),
            Value::Float(f) => {
                self.out.push(b'G');
                self.out.extend_from_slice(&f.to_be_bytes());
            }
            Value::Str(s) => self.save_str(s),
            Value::Bytes(b) => self.save_bytes(b),
            Value::Tuple(items) => self.save_tuple(items),
            Value::List(items) => {
                self.out.push(b']');
                self.put();
                self.save_batched(items.len(), b'a', b'e', |p, i| p.save(&items[i]));
            }
            Value::Dict(pairs) => {
                self.out.push(b'}');
                self.put();
                self.save_batched(pairs.len(), b's', b'u', |p, i| {
                    p.save(&pairs[i].0);
                    p.save(&pairs[i].1);
                });
            }
            Value::Set(items) => self.save_reduce_list("__builtin__\nset\n", items),
            Value::FrozenSet(items) => self.save_reduce_list("__builtin__\nfrozenset\n", items),
        }
    }

    /// One item with the single opcode, more in `MARK ... multi` batches of [`BATCH`].
    fn save_batched(
        &mut self,
        len: usize,
        single: u8,
        multi: u8,
        mut item: impl FnMut(&mut Self, usize),
    ) {
        if len == 1 {
            item(self, 0);
            self.out.push(single);
            return;
        }
        let mut i = 0;
        while i < len {
            self.out.push(b'(');
            let end = (i + BATCH).min(len);
            for j in i..end {
                item(self, j);
            }
            self.out.push(multi);
            i = end;
        }
    }

    fn save_int(&mut self, i: i64) {
        match i {
            0..=0xff => self.out.extend_from_slice(&[b'K', i as u8]),
            0x100..=0xffff => {
                self.out.push(b'M');
                self.out.extend_from_slice(&(i as u16).to_le_bytes());
            }
            _ => match i32::try_from(i) {
                Ok(small) => {
                    self.out.push(b'J');
                    self.out.extend_from_slice(&small.to_le_bytes());
                }
                Err(_) => {
                    let mut bytes = i.to_le_bytes().to_vec();
                    trim_twos_complement(&mut bytes);
                    self.save_long_bytes(&bytes);
                }
            },
        }
    }

    fn save_long_bytes(&mut self, bytes: &[u8]) {
        match u8::try_from(bytes.len()) {
            Ok(n) => self.out.extend_from_slice(&[0x8a, n]),
            Err(_) => {
                self.out.push(0x8b);
                self.out
                    .extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            }
        }
        self.out.extend_from_slice(bytes);
    }

    fn save_str(&mut self, s: &str) {
        let mut chars = s.chars();
        let singleton = match (chars.next(), chars.next()) {
            (None, _) => Some(None),
            (Some(c), None) if (c as u32) < 256 => Some(Some(c)),
            _ => None,
        };
        let known = match singleton {
            Some(None) => self.empty_str,
            Some(Some(c)) => self.singletons.get(&c).copied(),
            None => None,
        };
        if let Some(idx) = known {
            self.get(idx);
            return;
        }
        self.out.push(b'X');
        self.out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.out.extend_from_slice(s.as_bytes());
        let idx = self.put();
        match singleton {
            Some(None) => self.empty_str = Some(idx),
            Some(Some(c)) => {
                self.singletons.insert(c, idx);
            }
            None => {}
        }
    }

    fn save_global(&mut self, global: &'static str) {
        if let Some(&idx) = self.globals.get(global) {
            self.get(idx);
            return;
        }
        self.out.push(b'c');
        self.out.extend_from_slice(global.as_bytes());
        let idx = self.put();
        self.globals.insert(global, idx);
    }

    fn save_tuple(&mut self, items: &[Value]) {
        if items.is_empty() {
            self.out.push(b')');
            return;
        }
        if items.len() > 3 {
            self.out.push(b'(');
        }
        for item in items {
            self.save(item);
        }
        self.out.push(match items.len() {
            1 => 0x85,
            2 => 0x86,
            3 => 0x87,
            _ => b't',
        });
        self.put();
    }

    /// Protocol 2's `bytes`: `_codecs.encode(latin1_text, 'latin1')`, or `bytes()` if empty.
    fn save_bytes(&mut self, b: &[u8]) {
        if let Some(&idx) = self.byte_singletons.get(b) {
            self.get(idx);
            return;
        }
        if b.is_empty() {
            self.save_global("__builtin__\nbytes\n");
            self.out.extend_from_slice(b")R");
            let idx = self.put();
            self.byte_singletons.insert(Vec::new(), idx);
            return;
        }
        self.save_global("_codecs\nencode\n");
        let text: String = b.iter().map(|&c| char::from(c)).collect();
        self.save_str(&text);
        match self.latin1 {
            Some(idx) => self.get(idx),
            None => {
                self.out.extend_from_slice(b"X\x06\x00\x00\x00latin1");
                self.latin1 = Some(self.put());
            }
        }
        self.out.push(0x86);
        self.put();
        self.out.push(b'R');
        let idx = self.put();
        if b.len() == 1 {
            self.byte_singletons.insert(b.to_vec(), idx);
        }
    }

    /// Protocol 2's `set`/`frozenset`: `set(list_of_items)` through `REDUCE`.
    fn save_reduce_list(&mut self, global: &'static str, items: &[Value]) {
        self.save_global(global);
        self.out.push(b']');
        self.put();
        if !items.is_empty() {
            self.save_batched(items.len(), b'a', b'e', |p, i| p.save(&items[i]));
        }
        self.out.push(0x85);
        self.put();
        self.out.push(b'R');
        self.put();
    }
}

/// Drops redundant sign bytes from little-endian two's complement (what Python writes).
fn trim_twos_complement(bytes: &mut Vec<u8>) {
    while bytes.len() > 1 {
        let last = bytes[bytes.len() - 1];
        let sign_of_prev = bytes[bytes.len() - 2] & 0x80;
        if (last == 0 && sign_of_prev == 0) || (last == 0xff && sign_of_prev != 0) {
            bytes.pop();
        } else {
            break;
        }
    }
}

/// Little-endian two's complement of a decimal integer (`[-]digits`).
fn bigint_to_le(text: &str) -> Vec<u8> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    // Magnitude as little-endian u32 limbs: multiply by 10 and add, digit by digit.
    let mut limbs: Vec<u32> = vec![0];
    for d in digits.bytes().filter(u8::is_ascii_digit) {
        let mut carry = u64::from(d - b'0');
        for limb in &mut limbs {
            let cur = u64::from(*limb) * 10 + carry;
            *limb = cur as u32;
            carry = cur >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    let mut bytes: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    bytes.push(0); // room for the sign bit
    if neg {
        let mut carry = true;
        for b in &mut bytes {
            *b = !*b;
            if carry {
                let (v, c) = b.overflowing_add(1);
                *b = v;
                carry = c;
            }
        }
    }
    trim_twos_complement(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    /// Expected bytes taken from CPython 3.11's `pickle.dumps(v, 2)`.
    #[test]
    fn matches_python() {
        let cases: &[(Value, &[u8])] = &[
            (Value::None, b"\x80\x02N."),
            (Value::Int(2i64.pow(31)), b"\x80\x02\x8a\x05\x00\x00\x00\x80\x00."),
            (Value::Int(-1), b"\x80\x02J\xff\xff\xff\xff."),
            (Value::Int(300), b"\x80\x02M,\x01."),
            (Value::BigInt("9223372036854775808".into()), b"\x80\x02\x8a\t\x00\x00\x00\x00\x00\x00\x00\x80\x00."),
            (Value::BigInt("-9223372036854775809".into()), b"\x80\x02\x8a\t\xff\xff\xff\xff\xff\xff\xff\x7f\xff."),
            (
                Value::List(vec![s("a"), s("a"), s("bb"), s("bb"), s("")]),
                b"\x80\x02]q\x00(X\x01\x00\x00\x00aq\x01h\x01X\x02\x00\x00\x00bbq\x02X\x02\x00\x00\x00bbq\x03X\x00\x00\x00\x00q\x04e.",
            ),
            (Value::Bytes(b"ab".to_vec()), b"\x80\x02c_codecs\nencode\nq\x00X\x02\x00\x00\x00abq\x01X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04."),
            (Value::Bytes(vec![]), b"\x80\x02c__builtin__\nbytes\nq\x00)Rq\x01."),
            (
                Value::List(vec![Value::Bytes(b"ab".to_vec()), Value::Bytes(b"cd".to_vec())]),
                b"\x80\x02]q\x00(c_codecs\nencode\nq\x01X\x02\x00\x00\x00abq\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05h\x01X\x02\x00\x00\x00cdq\x06h\x03\x86q\x07Rq\x08e.",
            ),
            (Value::Set(vec![Value::Int(1), Value::Int(2)]), b"\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03."),
            (Value::FrozenSet(vec![]), b"\x80\x02c__builtin__\nfrozenset\nq\x00]q\x01\x85q\x02Rq\x03."),
            (
                Value::Dict(vec![(s("datapoints"), Value::List(vec![Value::Tuple(vec![Value::Float(1.0), Value::Float(2.5)])]))]),
                b"\x80\x02}q\x00X\n\x00\x00\x00datapointsq\x01]q\x02G?\xf0\x00\x00\x00\x00\x00\x00G@\x04\x00\x00\x00\x00\x00\x00\x86q\x03as.",
            ),
        ];
        for (v, want) in cases {
            assert_eq!(encode(v), *want, "{v:?}");
        }
    }
}
