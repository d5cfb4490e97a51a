//! A decoder specialised for the pickle receiver's usual payload, `[(str, (num, num)), ...]`
//! as `pickle.dumps(points, protocol)` (0 to 5) and carbon-relay write it, yielding borrowed
//! points without building a [`Value`](super::Value) tree.
//!
//! It runs the same stack machine as [`decode`](super::decode) over a typed stack that can
//! only hold a metric name, a number, a `(num, num)` pair, a `(name, pair)` point and the one
//! payload list, and it declines (returns `None`) at the first opcode or shape outside that:
//! the caller then takes the generic path, which stays the only one for unusual or hostile
//! input. Whenever it does return points, they are exactly what
//! `datapoints(&decode_with_limits(data, limits)?)` returns, with no element errors.

use super::decode::{int_from_le_bytes, int_from_text, Limits, DENSE_MEMO};
use super::Value;
use crate::python;

/// One point as received: `(metric, timestamp, value)`, the name borrowed from the pickle.
pub type BorrowedPoint<'a> = (&'a str, f64, f64);

#[derive(Clone, Copy)]
enum Item<'a> {
    Str(&'a str),
    Num(f64),
    Pair(f64, f64),
    Point(&'a str, f64, f64),
    /// The payload list; its items are in `Fast::out`.
    List,
}

struct Fast<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Item<'a>>,
    marks: Vec<usize>,
    memo: Vec<Option<Item<'a>>>,
    memo_len: u64,
    out: Vec<BorrowedPoint<'a>>,
    has_list: bool,
    name_bytes: usize,
}

/// The points of a carbon pickle payload, if `data` has the usual shape; `None` means "use
/// [`decode_with_limits`](super::decode_with_limits) and [`datapoints`](super::datapoints)",
/// which give the same points when this gives any.
pub fn carbon_points(data: &[u8], limits: Limits) -> Option<Vec<BorrowedPoint<'_>>> {
    // The tree is list > tuple > tuple: containers at depths 0, 1 and 2.
    if limits.max_depth < 3 {
        return None;
    }
    let mut f = Fast {
        data,
        pos: 0,
        stack: Vec::with_capacity(64),
        marks: Vec::new(),
        memo: Vec::new(),
        memo_len: 0,
        out: Vec::with_capacity(data.len() / 24),
        has_list: false,
        name_bytes: 0,
    };
    f.run()?;
    // What the generic builder counts: the list, then per point two tuples, a str and two
    // numbers (memo-shared points are copied, so counted again).
    let items = f.out.len().checked_mul(5)?.checked_add(1)?;
    if items > limits.max_items || f.name_bytes > limits.max_bytes {
        return None;
    }
    Some(f.out)
}

impl<'a> Fast<'a> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        let end = self.pos.checked_add(n)?;
        let s = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn take_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N as u64)?.try_into().ok()
    }

    fn line(&mut self) -> Option<&'a [u8]> {
        let rest = &self.data[self.pos..];
        let n = memchr::memchr(b'\n', rest)?;
        self.pos += n + 1;
        Some(&rest[..n])
    }

    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Option<Item<'a>> {
        if self.stack.len() <= self.fence() {
            return None;
        }
        self.stack.pop()
    }

    fn push_str(&mut self, raw: &'a [u8]) -> Option<()> {
        let s = std::str::from_utf8(raw).ok()?;
        self.stack.push(Item::Str(s));
        Some(())
    }

    fn push_int(&mut self, v: &Value) -> Option<()> {
        let x = match *v {
            Value::Int(i) => i as f64,
            Value::Bool(b) => f64::from(u8::from(b)),
            _ => return None,
        };
        self.stack.push(Item::Num(x));
        Some(())
    }

    /// A two-item tuple of `a` and `b`.
    fn tuple2(&mut self, a: Item<'a>, b: Item<'a>) -> Option<()> {
        let t = match (a, b) {
            (Item::Num(t), Item::Num(v)) => Item::Pair(t, v),
            (Item::Str(m), Item::Pair(t, v)) => Item::Point(m, t, v),
            _ => return None,
        };
        self.stack.push(t);
        Some(())
    }

    /// Moves `stack[from..]` (all points) into the payload list.
    fn append_from(&mut self, from: usize) -> Option<()> {
        for item in self.stack.drain(from..) {
            let Item::Point(m, t, v) = item else {
                return None;
            };
            self.name_bytes = self.name_bytes.checked_add(m.len())?;
            self.out.push((m, t, v));
        }
        Some(())
    }

    fn memo_index_text(&mut self) -> Option<u64> {
        std::str::from_utf8(self.line()?).ok()?.parse().ok()
    }

    fn put(&mut self, idx: u64) -> Option<()> {
        if self.stack.len() <= self.fence() || idx >= DENSE_MEMO {
            return None;
        }
        let top = *self.stack.last()?;
        let i = idx as usize;
        if self.memo.len() <= i {
            self.memo.resize(i + 1, None);
        }
        if self.memo[i].replace(top).is_none() {
            self.memo_len += 1;
        }
        Some(())
    }

    fn get(&mut self, idx: u64) -> Option<()> {
        let item = (*self.memo.get(usize::try_from(idx).ok()?)?)?;
        if matches!(item, Item::List) {
            return None;
        }
        self.stack.push(item);
        Some(())
    }

    fn run(&mut self) -> Option<()> {
        loop {
            match self.u8()? {
                b'(' => self.marks.push(self.stack.len()),
                b'.' => {
                    return (self.marks.is_empty() && matches!(self.stack[..], [Item::List]))
                        .then_some(());
                }
                0x80 => {
                    if self.u8()? > 5 {
                        return None;
                    }
                }
                0x95 => {
                    let len = u64::from_le_bytes(self.take_array()?);
                    if len > (self.data.len() - self.pos) as u64 {
                        return None;
                    }
                }
                b']' => {
                    if std::mem::replace(&mut self.has_list, true) {
                        return None;
                    }
                    self.stack.push(Item::List);
                }
                b'l' => {
                    if std::mem::replace(&mut self.has_list, true) {
                        return None;
                    }
                    let m = self.marks.pop()?;
                    self.append_from(m.min(self.stack.len()))?;
                    self.stack.push(Item::List);
                }
                b'a' => {
                    let n = self.stack.len();
                    if n < self.fence() + 2 || !matches!(self.stack[n - 2], Item::List) {
                        return None;
                    }
                    self.append_from(n - 1)?;
                }
                b'e' => {
                    let m = self.marks.pop()?;
                    if m == 0 || m > self.stack.len() {
                        return None;
                    }
                    if m < self.stack.len() {
                        if !matches!(self.stack[m - 1], Item::List) {
                            return None;
                        }
                        self.append_from(m)?;
                    }
                }
                0x86 => {
                    let b = self.pop()?;
                    let a = self.pop()?;
                    self.tuple2(a, b)?;
                }
                b't' => {
                    let m = self.marks.pop()?;
                    if self.stack.len() != m + 2 {
                        return None;
                    }
                    let b = self.stack.pop()?;
                    let a = self.stack.pop()?;
                    self.tuple2(a, b)?;
                }
                // SHORT_BINUNICODE, BINUNICODE, BINUNICODE8, SHORT_BINSTRING, BINSTRING.
                0x8c | b'U' => {
                    let n = self.u8()?;
                    let raw = self.take(n.into())?;
                    self.push_str(raw)?;
                }
                b'X' => {
                    let n = u32::from_le_bytes(self.take_array()?);
                    let raw = self.take(n.into())?;
                    self.push_str(raw)?;
                }
                0x8d => {
                    let n = u64::from_le_bytes(self.take_array()?);
                    let raw = self.take(n)?;
                    self.push_str(raw)?;
                }
                b'T' => {
                    let n = u64::try_from(i32::from_le_bytes(self.take_array()?)).ok()?;
                    let raw = self.take(n)?;
                    self.push_str(raw)?;
                }
                // UNICODE and STRING without escapes (or, for UNICODE, Latin-1 bytes).
                b'V' => {
                    let line = self.line()?;
                    if !line.iter().all(|&b| b.is_ascii() && b != b'\\') {
                        return None;
                    }
                    self.push_str(line)?;
                }
                b'S' => {
                    let inner = match self.line()? {
                        [q, inner @ .., q2] if q == q2 && matches!(q, b'\'' | b'"') => inner,
                        _ => return None,
                    };
                    if inner.contains(&b'\\') {
                        return None;
                    }
                    self.push_str(inner)?;
                }
                b'G' => {
                    let x = f64::from_be_bytes(self.take_array()?);
                    self.stack.push(Item::Num(x));
                }
                b'J' => {
                    let v = i32::from_le_bytes(self.take_array()?);
                    self.stack.push(Item::Num(v.into()));
                }
                b'K' => {
                    let v = self.u8()?;
                    self.stack.push(Item::Num(v.into()));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.take_array()?);
                    self.stack.push(Item::Num(v.into()));
                }
                0x8a => {
                    let n = self.u8()?;
                    if n > 8 {
                        return None;
                    }
                    let bytes = self.take(n.into())?;
                    self.push_int(&int_from_le_bytes(bytes).ok()?)?;
                }
                b'I' => {
                    let v = match self.line()? {
                        b"00" => Value::Bool(false),
                        b"01" => Value::Bool(true),
                        text => int_from_text(text, "INT").ok()?,
                    };
                    self.push_int(&v)?;
                }
                b'L' => {
                    let line = self.line()?;
                    let text = line.strip_suffix(b"L").unwrap_or(line);
                    self.push_int(&int_from_text(text, "LONG").ok()?)?;
                }
                b'F' => {
                    let x = python::float_strict(self.line()?).ok()??;
                    self.stack.push(Item::Num(x));
                }
                0x88 => self.stack.push(Item::Num(1.0)),
                0x89 => self.stack.push(Item::Num(0.0)),
                b'p' => {
                    let idx = self.memo_index_text()?;
                    self.put(idx)?;
                }
                b'q' => {
                    let idx = self.u8()?;
                    self.put(idx.into())?;
                }
                b'r' => {
                    let idx = u32::from_le_bytes(self.take_array()?);
                    self.put(idx.into())?;
                }
                0x94 => self.put(self.memo_len)?,
                b'g' => {
                    let idx = self.memo_index_text()?;
                    self.get(idx)?;
                }
                b'h' => {
                    let idx = self.u8()?;
                    self.get(idx.into())?;
                }
                b'j' => {
                    let idx = u32::from_le_bytes(self.take_array()?);
                    self.get(idx.into())?;
                }
                _ => return None,
            }
        }
    }
}
