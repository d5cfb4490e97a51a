//! The safe unpickler.
//!
//! It follows CPython 3.11's C unpickler (`_pickle.c`), which is what carbon's `SafeUnpickler`
//! subclasses: one object stack with a stack of marks (an opcode cannot pop below the latest
//! mark), a memo of references, and `STOP` returning the top of the stack (whatever follows is
//! ignored). Objects live in an arena while loading, so memo references see later mutations as
//! Python's shared references do (`l = [1]; [l, l]` pickles `l` once). The tree is built at
//! `STOP`; values referenced once are moved into it, shared ones copied within [`Limits`].

use std::collections::HashMap;

use super::Value;
use crate::python;

/// Why a pickle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PickleError {
    /// An opcode that imports a global or builds an object (`GLOBAL`, `STACK_GLOBAL`,
    /// `REDUCE`, `BUILD`, `INST`, `OBJ`, `NEWOBJ`, `NEWOBJ_EX`, `EXT1/2/4`, `PERSID`,
    /// `BINPERSID`) or an out-of-band buffer or bytearray (`BYTEARRAY8`, `NEXT_BUFFER`,
    /// `READONLY_BUFFER`). The reference's `SafeUnpickler` refuses every global on Python 3,
    /// so no legitimate carbon client sends these.
    #[error("refused opcode {name} at byte {pos}")]
    Forbidden {
        /// The opcode's name in `pickletools`.
        name: &'static str,
        /// Its offset in the pickle.
        pos: usize,
    },
    /// A byte that is not an opcode of protocols 0 to 5.
    #[error("invalid load key, {byte:#04x} at byte {pos}")]
    UnknownOpcode {
        /// The byte.
        byte: u8,
        /// Its offset.
        pos: usize,
    },
    /// The input ended before `STOP` (or inside an opcode's argument or a `FRAME`).
    #[error("pickle data was truncated")]
    Truncated,
    /// `PROTO` with a protocol above 5.
    #[error("unsupported pickle protocol: {0}")]
    UnsupportedProtocol(u8),
    /// An opcode needed more items above the latest mark than the stack holds, or `STOP` on
    /// an empty stack.
    #[error("unpickling stack underflow")]
    StackUnderflow,
    /// An opcode that consumes a mark (`LIST`, `TUPLE`, `DICT`, `APPENDS`, ...) with none set.
    #[error("could not find MARK")]
    NoMark,
    /// `GET`/`BINGET`/`LONG_BINGET` of an index never stored.
    #[error("memo value not found at index {0}")]
    MemoMissing(u64),
    /// `APPEND(S)` to a non-list, `SETITEM(S)` on a non-dict, `ADDITEMS` on a non-set.
    #[error("{op} on a {found}")]
    WrongType {
        /// The opcode.
        op: &'static str,
        /// Python's name of the type found.
        found: &'static str,
    },
    /// A dict key or set element that Python cannot hash (a list, dict or set, or a tuple
    /// holding one); Python raises TypeError.
    #[error("unhashable type as dict key or set element")]
    Unhashable,
    /// `DICT` or `SETITEMS` with an odd number of items.
    #[error("odd number of items for {0}")]
    OddItems(&'static str),
    /// An opcode argument that does not parse: a bad `INT`/`LONG`/`FLOAT`/memo index text, an
    /// unquoted `STRING`, a bad escape, a negative length.
    #[error("invalid argument for {op}: {reason}")]
    BadArgument {
        /// The opcode.
        op: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A `FLOAT` argument that overflows (Python raises OverflowError).
    #[error("float argument out of range")]
    FloatOverflow,
    /// A `str` that is not valid UTF-8, or holds a lone surrogate (Python accepts those;
    /// Rust strings cannot hold them).
    #[error("string is not valid UTF-8 (or holds a surrogate)")]
    InvalidString,
    /// An `int` longer than we convert: more than 4300 decimal digits (Python 3.11's own
    /// limit) or 2048 bytes in `LONG1`/`LONG4`.
    #[error("integer too large")]
    IntTooLarge,
    /// A container nested deeper than [`Limits::max_depth`], or a value that contains itself
    /// (Python allows cycles; a tree cannot hold them).
    #[error("values nested deeper than {0} levels (or recursive)")]
    TooDeep(usize),
    /// More values than [`Limits::max_items`], or more string bytes than
    /// [`Limits::max_bytes`], in the decoded tree.
    #[error("pickle expands beyond the configured limits")]
    TooLarge,
}

/// Bounds on what one pickle may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest container nesting accepted (carbon payloads use 3 levels, carbonlink 4).
    pub max_depth: usize,
    /// Most values (containers and scalars) in the decoded tree.
    pub max_items: usize,
    /// Most bytes of `str` and `bytes` data in the decoded tree.
    pub max_bytes: usize,
}

impl Default for Limits {
    /// 64 levels, 2^22 values, 256 MiB of string data: far above what a 1 MiB frame can hold
    /// without memo sharing, and a bound on what sharing can blow up to.
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_items: 1 << 22,
            max_bytes: 256 << 20,
        }
    }
}

impl Limits {
    /// Limits scaled for frames of up to `max_frame_len` bytes: the defaults, raised to 4
    /// values and 4 string bytes per input byte when the frames are larger.
    pub fn for_frame_len(max_frame_len: usize) -> Self {
        let d = Self::default();
        Self {
            max_depth: d.max_depth,
            max_items: d.max_items.max(max_frame_len.saturating_mul(4)),
            max_bytes: d.max_bytes.max(max_frame_len.saturating_mul(4)),
        }
    }
}

/// Decodes a pickle with the default [`Limits`].
pub fn decode(data: &[u8]) -> Result<Value, PickleError> {
    decode_with_limits(data, Limits::default())
}

/// Decodes a pickle of protocol 0 to 5 into a [`Value`], refusing anything but plain data.
/// Never panics.
pub fn decode_with_limits(data: &[u8], limits: Limits) -> Result<Value, PickleError> {
    let mut m = Machine::new(data);
    let root = m.run()?;
    Builder::new(&mut m.nodes, limits).build(root, 0, false)
}

type Id = usize;

enum Node {
    Leaf(Value),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Set(Vec<Id>),
    FrozenSet(Vec<Id>),
}

struct NodeSlot {
    node: Node,
    /// How many containers (or the root) hold this node; 1 means it can be moved into the
    /// tree rather than copied.
    refs: u32,
    hashable: bool,
    /// Set while the node is being built, to detect cycles.
    visiting: bool,
}

/// Memo indices below this are kept in a vector; larger ones (never written by Python's
/// pickler, but legal) in a map, so `LONG_BINPUT 0xffffffff` cannot allocate gigabytes.
pub(super) const DENSE_MEMO: u64 = 1 << 16;

#[derive(Default)]
struct Memo {
    dense: Vec<Option<Id>>,
    sparse: HashMap<u64, Id>,
    len: u64,
}

impl Memo {
    fn put(&mut self, idx: u64, id: Id) {
        let fresh = if idx < DENSE_MEMO {
            let i = idx as usize;
            if self.dense.len() <= i {
                self.dense.resize(i + 1, None);
            }
            self.dense[i].replace(id).is_none()
        } else {
            self.sparse.insert(idx, id).is_none()
        };
        if fresh {
            self.len += 1;
        }
    }

    fn get(&self, idx: u64) -> Option<Id> {
        if idx < DENSE_MEMO {
            self.dense.get(idx as usize).copied().flatten()
        } else {
            self.sparse.get(&idx).copied()
        }
    }
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    nodes: Vec<NodeSlot>,
    stack: Vec<Id>,
    marks: Vec<usize>,
    memo: Memo,
}

fn bad(op: &'static str, reason: &'static str) -> PickleError {
    PickleError::BadArgument { op, reason }
}

impl<'a> Machine<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            nodes: Vec::new(),
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or(PickleError::Truncated)?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], PickleError> {
        let s = self.take(N)?;
        let mut a = [0; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.take_array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, PickleError> {
        Ok(u16::from_le_bytes(self.take_array()?))
    }

    fn u32(&mut self) -> Result<u32, PickleError> {
        Ok(u32::from_le_bytes(self.take_array()?))
    }

    fn u64(&mut self) -> Result<u64, PickleError> {
        Ok(u64::from_le_bytes(self.take_array()?))
    }

    /// A length that must fit in what is left of the input (so nothing is allocated for a
    /// length the data cannot back).
    fn take_len(&mut self, len: u64) -> Result<&'a [u8], PickleError> {
        let len = usize::try_from(len).map_err(|_| PickleError::Truncated)?;
        self.take(len)
    }

    /// A text argument up to (not including) the next `\n`.
    fn line(&mut self) -> Result<&'a [u8], PickleError> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(PickleError::Truncated)?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn alloc(&mut self, node: Node) -> Id {
        let hashable = match &node {
            Node::Leaf(_) | Node::FrozenSet(_) => true,
            Node::Tuple(items) => items.iter().all(|&i| self.nodes[i].hashable),
            Node::List(_) | Node::Dict(_) | Node::Set(_) => false,
        };
        self.nodes.push(NodeSlot {
            node,
            refs: 0,
            hashable,
            visiting: false,
        });
        self.nodes.len() - 1
    }

    fn push(&mut self, node: Node) {
        let id = self.alloc(node);
        self.stack.push(id);
    }

    fn push_leaf(&mut self, v: Value) {
        self.push(Node::Leaf(v));
    }

    /// Adds a reference from a container (or the root) to each node.
    fn hold(&mut self, ids: impl IntoIterator<Item = Id>) {
        for id in ids {
            let r = &mut self.nodes[id].refs;
            *r = r.saturating_add(1);
        }
    }

    fn pop(&mut self) -> Result<Id, PickleError> {
        if self.stack.len() <= self.fence() {
            return Err(PickleError::StackUnderflow);
        }
        self.stack.pop().ok_or(PickleError::StackUnderflow)
    }

    fn top(&self) -> Result<Id, PickleError> {
        if self.stack.len() <= self.fence() {
            return Err(PickleError::StackUnderflow);
        }
        self.stack
            .last()
            .copied()
            .ok_or(PickleError::StackUnderflow)
    }

    /// Pops the latest mark and returns its stack position.
    fn marker(&mut self) -> Result<usize, PickleError> {
        self.marks.pop().ok_or(PickleError::NoMark)
    }

    fn pop_to_mark(&mut self) -> Result<Vec<Id>, PickleError> {
        let m = self.marker()?;
        let items = self.stack.split_off(m.min(self.stack.len()));
        self.hold(items.iter().copied());
        Ok(items)
    }

    fn pop_n(&mut self, n: usize) -> Result<Vec<Id>, PickleError> {
        if self.stack.len() < self.fence() + n {
            return Err(PickleError::StackUnderflow);
        }
        let items = self.stack.split_off(self.stack.len() - n);
        self.hold(items.iter().copied());
        Ok(items)
    }

    fn check_hashable(&self, ids: impl IntoIterator<Item = Id>) -> Result<(), PickleError> {
        if ids.into_iter().all(|i| self.nodes[i].hashable) {
            Ok(())
        } else {
            Err(PickleError::Unhashable)
        }
    }

    /// APPEND/APPENDS: the list is at `at - 1`, the items from `at` on.
    fn do_append(&mut self, at: usize, op: &'static str) -> Result<(), PickleError> {
        if at == 0 || at > self.stack.len() {
            return Err(PickleError::StackUnderflow);
        }
        if at == self.stack.len() {
            return Ok(());
        }
        let target = self.stack[at - 1];
        let items = self.stack.split_off(at);
        self.hold(items.iter().copied());
        match &mut self.nodes[target].node {
            Node::List(list) => {
                list.extend(items);
                Ok(())
            }
            other => Err(PickleError::WrongType {
                op,
                found: node_type(other),
            }),
        }
    }

    /// SETITEM/SETITEMS: the dict is at `at - 1`, key/value pairs from `at` on.
    fn do_setitems(&mut self, at: usize, op: &'static str) -> Result<(), PickleError> {
        if at == 0 || at > self.stack.len() {
            return Err(PickleError::StackUnderflow);
        }
        if at == self.stack.len() {
            return Ok(());
        }
        if !(self.stack.len() - at).is_multiple_of(2) {
            return Err(PickleError::OddItems("SETITEMS"));
        }
        let target = self.stack[at - 1];
        if !matches!(self.nodes[target].node, Node::Dict(_)) {
            return Err(PickleError::WrongType {
                op,
                found: node_type(&self.nodes[target].node),
            });
        }
        let items = self.stack.split_off(at);
        self.check_hashable(items.iter().step_by(2).copied())?;
        self.hold(items.iter().copied());
        if let Node::Dict(pairs) = &mut self.nodes[target].node {
            pairs.extend(items.chunks_exact(2).map(|kv| (kv[0], kv[1])));
        }
        Ok(())
    }

    fn memo_index_text(&mut self, op: &'static str) -> Result<u64, PickleError> {
        let line = self.line()?;
        let s = std::str::from_utf8(line).map_err(|_| bad(op, "not a number"))?;
        s.parse::<u64>()
            .map_err(|_| bad(op, "not a non-negative integer"))
    }

    fn put(&mut self, idx: u64) -> Result<(), PickleError> {
        let id = self.top()?;
        self.memo.put(idx, id);
        Ok(())
    }

    fn get(&mut self, idx: u64) -> Result<(), PickleError> {
        let id = self.memo.get(idx).ok_or(PickleError::MemoMissing(idx))?;
        self.stack.push(id);
        Ok(())
    }

    fn run(&mut self) -> Result<Id, PickleError> {
        loop {
            let pos = self.pos;
            let op = self.u8()?;
            match op {
                b'(' => self.marks.push(self.stack.len()),
                b'.' => {
                    let root = self.pop()?;
                    self.hold([root]);
                    return Ok(root);
                }
                b'0' => {
                    if self.marks.last() == Some(&self.stack.len()) {
                        self.marks.pop();
                    } else {
                        self.pop()?;
                    }
                }
                b'1' => {
                    let m = self.marker()?;
                    self.stack.truncate(m);
                }
                b'2' => {
                    let id = self.top()?;
                    self.stack.push(id);
                }
                b'F' => {
                    let line = self.line()?;
                    let x = python::float_strict(line)
                        .map_err(|()| PickleError::FloatOverflow)?
                        .ok_or(bad("FLOAT", "not a float"))?;
                    self.push_leaf(Value::Float(x));
                }
                b'G' => {
                    let x = f64::from_be_bytes(self.take_array()?);
                    self.push_leaf(Value::Float(x));
                }
                b'I' => {
                    let line = self.line()?;
                    let v = match line {
                        b"00" => Value::Bool(false),
                        b"01" => Value::Bool(true),
                        text => int_from_text(text, "INT")?,
                    };
                    self.push_leaf(v);
                }
                b'L' => {
                    let line = self.line()?;
                    let text = line.strip_suffix(b"L").unwrap_or(line);
                    let v = int_from_text(text, "LONG")?;
                    self.push_leaf(v);
                }
                b'J' => {
                    let v = i32::from_le_bytes(self.take_array()?);
                    self.push_leaf(Value::Int(v.into()));
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push_leaf(Value::Int(v.into()));
                }
                b'M' => {
                    let v = self.u16()?;
                    self.push_leaf(Value::Int(v.into()));
                }
                0x8a => {
                    let n = self.u8()?;
                    let bytes = self.take(n.into())?;
                    self.push_leaf(int_from_le_bytes(bytes)?);
                }
                0x8b => {
                    let n = i32::from_le_bytes(self.take_array()?);
                    let n = u64::try_from(n).map_err(|_| bad("LONG4", "negative byte count"))?;
                    let bytes = self.take_len(n)?;
                    self.push_leaf(int_from_le_bytes(bytes)?);
                }
                b'S' => {
                    let line = self.line()?;
                    let inner = match line {
                        [q, inner @ .., q2] if q == q2 && matches!(q, b'\'' | b'"') => inner,
                        _ => return Err(bad("STRING", "argument must be quoted")),
                    };
                    let raw = escape_decode(inner)?;
                    let s = String::from_utf8(raw).map_err(|_| PickleError::InvalidString)?;
                    self.push_leaf(Value::Str(s));
                }
                b'T' => {
                    let n = i32::from_le_bytes(self.take_array()?);
                    let n =
                        u64::try_from(n).map_err(|_| bad("BINSTRING", "negative byte count"))?;
                    let raw = self.take_len(n)?;
                    self.push_str(raw)?;
                }
                b'U' => {
                    let n = self.u8()?;
                    let raw = self.take(n.into())?;
                    self.push_str(raw)?;
                }
                b'V' => {
                    let line = self.line()?;
                    let s = raw_unicode_escape_decode(line)?;
                    self.push_leaf(Value::Str(s));
                }
                b'X' => {
                    let n = self.u32()?;
                    let raw = self.take_len(n.into())?;
                    self.push_str(raw)?;
                }
                0x8c => {
                    let n = self.u8()?;
                    let raw = self.take(n.into())?;
                    self.push_str(raw)?;
                }
                0x8d => {
                    let n = self.u64()?;
                    let raw = self.take_len(n)?;
                    self.push_str(raw)?;
                }
                b'B' => {
                    let n = self.u32()?;
                    let raw = self.take_len(n.into())?;
                    self.push_leaf(Value::Bytes(raw.to_vec()));
                }
                b'C' => {
                    let n = self.u8()?;
                    let raw = self.take(n.into())?;
                    self.push_leaf(Value::Bytes(raw.to_vec()));
                }
                0x8e => {
                    let n = self.u64()?;
                    let raw = self.take_len(n)?;
                    self.push_leaf(Value::Bytes(raw.to_vec()));
                }
                b'N' => self.push_leaf(Value::None),
                0x88 => self.push_leaf(Value::Bool(true)),
                0x89 => self.push_leaf(Value::Bool(false)),
                b')' => self.push(Node::Tuple(Vec::new())),
                b't' => {
                    let items = self.pop_to_mark()?;
                    self.push(Node::Tuple(items));
                }
                0x85..=0x87 => {
                    let items = self.pop_n(usize::from(op - 0x84))?;
                    self.push(Node::Tuple(items));
                }
                b']' => self.push(Node::List(Vec::new())),
                b'l' => {
                    let items = self.pop_to_mark()?;
                    self.push(Node::List(items));
                }
                b'a' => {
                    if self.stack.len() < self.fence() + 2 {
                        return Err(PickleError::StackUnderflow);
                    }
                    self.do_append(self.stack.len() - 1, "APPEND")?;
                }
                b'e' => {
                    let m = self.marker()?;
                    self.do_append(m, "APPENDS")?;
                }
                b'}' => self.push(Node::Dict(Vec::new())),
                b'd' => {
                    let m = self.marker()?;
                    let items = self.stack.split_off(m.min(self.stack.len()));
                    if !items.len().is_multiple_of(2) {
                        return Err(PickleError::OddItems("DICT"));
                    }
                    self.check_hashable(items.iter().step_by(2).copied())?;
                    self.hold(items.iter().copied());
                    let pairs = items.chunks_exact(2).map(|kv| (kv[0], kv[1])).collect();
                    self.push(Node::Dict(pairs));
                }
                b's' => {
                    let at = self
                        .stack
                        .len()
                        .checked_sub(2)
                        .ok_or(PickleError::StackUnderflow)?;
                    self.do_setitems(at, "SETITEM")?;
                }
                b'u' => {
                    let m = self.marker()?;
                    self.do_setitems(m, "SETITEMS")?;
                }
                0x8f => self.push(Node::Set(Vec::new())),
                0x90 => {
                    let m = self.marker()?;
                    if m == 0 || m > self.stack.len() {
                        return Err(PickleError::StackUnderflow);
                    }
                    if m < self.stack.len() {
                        let target = self.stack[m - 1];
                        if !matches!(self.nodes[target].node, Node::Set(_)) {
                            let found = node_type(&self.nodes[target].node);
                            return Err(PickleError::WrongType {
                                op: "ADDITEMS",
                                found,
                            });
                        }
                        let items = self.stack.split_off(m);
                        self.check_hashable(items.iter().copied())?;
                        self.hold(items.iter().copied());
                        if let Node::Set(set) = &mut self.nodes[target].node {
                            set.extend(items);
                        }
                    }
                }
                0x91 => {
                    let m = self.marker()?;
                    let items = self.stack.split_off(m.min(self.stack.len()));
                    self.check_hashable(items.iter().copied())?;
                    self.hold(items.iter().copied());
                    self.push(Node::FrozenSet(items));
                }
                b'p' => {
                    let idx = self.memo_index_text("PUT")?;
                    self.put(idx)?;
                }
                b'q' => {
                    let idx = self.u8()?;
                    self.put(idx.into())?;
                }
                b'r' => {
                    let idx = self.u32()?;
                    self.put(idx.into())?;
                }
                0x94 => {
                    let idx = self.memo.len;
                    self.put(idx)?;
                }
                b'g' => {
                    let idx = self.memo_index_text("GET")?;
                    self.get(idx)?;
                }
                b'h' => {
                    let idx = self.u8()?;
                    self.get(idx.into())?;
                }
                b'j' => {
                    let idx = self.u32()?;
                    self.get(idx.into())?;
                }
                0x80 => {
                    let proto = self.u8()?;
                    if proto > 5 {
                        return Err(PickleError::UnsupportedProtocol(proto));
                    }
                }
                0x95 => {
                    let len = self.u64()?;
                    let left = (self.data.len() - self.pos) as u64;
                    if len > left {
                        return Err(PickleError::Truncated);
                    }
                }
                _ => {
                    return Err(match forbidden_name(op) {
                        Some(name) => PickleError::Forbidden { name, pos },
                        None => PickleError::UnknownOpcode { byte: op, pos },
                    })
                }
            }
        }
    }

    fn push_str(&mut self, raw: &[u8]) -> Result<(), PickleError> {
        let s = std::str::from_utf8(raw).map_err(|_| PickleError::InvalidString)?;
        self.push_leaf(Value::Str(s.to_owned()));
        Ok(())
    }
}

fn forbidden_name(op: u8) -> Option<&'static str> {
    Some(match op {
        b'c' => "GLOBAL",
        0x93 => "STACK_GLOBAL",
        b'R' => "REDUCE",
        b'b' => "BUILD",
        b'i' => "INST",
        b'o' => "OBJ",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => return None,
    })
}

fn node_type(node: &Node) -> &'static str {
    match node {
        Node::Leaf(v) => v.type_name(),
        Node::List(_) => "list",
        Node::Tuple(_) => "tuple",
        Node::Dict(_) => "dict",
        Node::Set(_) => "set",
        Node::FrozenSet(_) => "frozenset",
    }
}

/// Python 3.11 refuses to convert decimal text of more than 4300 digits to an int.
const MAX_INT_DIGITS: usize = 4300;

/// Decimal text of `INT`/`LONG`: an optional sign and digits. (Python also takes `0x`, `0o`,
/// `0b` prefixes and underscores here, which no pickler writes.)
pub(super) fn int_from_text(text: &[u8], op: &'static str) -> Result<Value, PickleError> {
    let (neg, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad(op, "not a decimal integer"));
    }
    if digits.len() > 1 && digits[0] == b'0' && digits.iter().any(|&d| d != b'0') {
        return Err(bad(op, "leading zeros"));
    }
    if digits.len() > MAX_INT_DIGITS {
        return Err(PickleError::IntTooLarge);
    }
    let digits = std::str::from_utf8(digits).map_err(|_| bad(op, "not ASCII"))?;
    Ok(int_from_decimal(neg, digits))
}

/// An int from a sign and decimal digits (any leading zeros are dropped).
fn int_from_decimal(neg: bool, digits: &str) -> Value {
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Value::Int(0);
    }
    let signed = if neg {
        format!("-{digits}")
    } else {
        digits.to_owned()
    };
    match signed.parse::<i64>() {
        Ok(i) => Value::Int(i),
        Err(_) => Value::BigInt(signed),
    }
}

/// Most bytes accepted in `LONG1`/`LONG4` (about 4900 decimal digits).
const MAX_LONG_BYTES: usize = 2048;

/// A little-endian two's-complement int (`LONG1`, `LONG4`; empty means 0).
pub(super) fn int_from_le_bytes(bytes: &[u8]) -> Result<Value, PickleError> {
    if bytes.len() <= 8 {
        let neg = bytes.last().is_some_and(|&b| b & 0x80 != 0);
        let mut buf = if neg { [0xff; 8] } else { [0; 8] };
        buf[..bytes.len()].copy_from_slice(bytes);
        return Ok(Value::Int(i64::from_le_bytes(buf)));
    }
    if bytes.len() > MAX_LONG_BYTES {
        return Err(PickleError::IntTooLarge);
    }
    let neg = bytes.last().is_some_and(|&b| b & 0x80 != 0);
    // Magnitude, little-endian bytes.
    let mut mag = bytes.to_vec();
    if neg {
        // Negate: invert and add one.
        let mut carry = true;
        for b in &mut mag {
            *b = !*b;
            if carry {
                let (v, c) = b.overflowing_add(1);
                *b = v;
                carry = c;
            }
        }
    }
    Ok(int_from_decimal(neg, &magnitude_to_decimal(&mag)))
}

/// Decimal digits of a little-endian magnitude (schoolbook division by 10^9).
fn magnitude_to_decimal(le: &[u8]) -> String {
    let mut limbs: Vec<u32> = le
        .chunks(4)
        .map(|c| {
            let mut a = [0u8; 4];
            a[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(a)
        })
        .collect();
    let mut chunks = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u64;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        chunks.push(rem as u32);
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut out = String::new();
    for (i, c) in chunks.iter().rev().enumerate() {
        if i == 0 {
            out.push_str(&c.to_string());
        } else {
            out.push_str(&format!("{c:09}"));
        }
    }
    out
}

/// Python's `codecs.escape_decode` (the `STRING` opcode's argument).
fn escape_decode(s: &[u8]) -> Result<Vec<u8>, PickleError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = s.get(i) else {
            return Err(bad("STRING", "trailing \\ in string"));
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' | b'\'' | b'"' => out.push(e),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b't' => out.push(9),
            b'n' => out.push(10),
            b'r' => out.push(13),
            b'v' => out.push(11),
            b'a' => out.push(7),
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let hex = s.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                let v = hex
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(bad("STRING", "invalid \\x escape"))?;
                out.push(v);
                i += 2;
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// Python's `raw-unicode-escape` decoding (the `UNICODE` opcode's argument): bytes are
/// Latin-1 characters except `\uXXXX` and `\UXXXXXXXX`.
fn raw_unicode_escape_decode(s: &[u8]) -> Result<String, PickleError> {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' || i >= s.len() {
            out.push(char::from(c));
            continue;
        }
        let e = s[i];
        i += 1;
        let count = match e {
            b'u' => 4,
            b'U' => 8,
            other => {
                out.push('\\');
                out.push(char::from(other));
                continue;
            }
        };
        let hex = s
            .get(i..i + count)
            .ok_or(bad("UNICODE", "truncated escape"))?;
        let hex = std::str::from_utf8(hex).map_err(|_| bad("UNICODE", "bad escape"))?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("UNICODE", "bad escape"));
        }
        let cp = u32::from_str_radix(hex, 16).map_err(|_| bad("UNICODE", "bad escape"))?;
        if cp > 0x10ffff {
            return Err(bad("UNICODE", "\\Uxxxxxxxx out of range"));
        }
        out.push(char::from_u32(cp).ok_or(PickleError::InvalidString)?);
        i += count;
    }
    Ok(out)
}

/// Turns the arena into a tree within the limits.
struct Builder<'n> {
    nodes: &'n mut [NodeSlot],
    limits: Limits,
    items: usize,
    bytes: usize,
}

impl<'n> Builder<'n> {
    fn new(nodes: &'n mut [NodeSlot], limits: Limits) -> Self {
        Self {
            nodes,
            limits,
            items: 0,
            bytes: 0,
        }
    }

    fn count(&mut self, bytes: usize) -> Result<(), PickleError> {
        self.items += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        if self.items > self.limits.max_items || self.bytes > self.limits.max_bytes {
            return Err(PickleError::TooLarge);
        }
        Ok(())
    }

    /// `shared`: some ancestor is referenced more than once, so nothing below may be moved
    /// out (it will be built again).
    fn build(&mut self, id: Id, depth: usize, shared: bool) -> Result<Value, PickleError> {
        let shared = shared || self.nodes[id].refs > 1;
        if let Node::Leaf(v) = &mut self.nodes[id].node {
            let len = match v {
                Value::Str(s) => s.len(),
                Value::Bytes(b) => b.len(),
                Value::BigInt(s) => s.len(),
                _ => 0,
            };
            let v = if shared {
                v.clone()
            } else {
                std::mem::replace(v, Value::None)
            };
            self.count(len)?;
            return Ok(v);
        }
        if depth >= self.limits.max_depth || self.nodes[id].visiting {
            return Err(PickleError::TooDeep(self.limits.max_depth));
        }
        self.count(0)?;
        self.nodes[id].visiting = true;
        let node = if shared {
            match &self.nodes[id].node {
                Node::Leaf(_) => unreachable_leaf(),
                Node::List(c) => Node::List(c.clone()),
                Node::Tuple(c) => Node::Tuple(c.clone()),
                Node::Dict(c) => Node::Dict(c.clone()),
                Node::Set(c) => Node::Set(c.clone()),
                Node::FrozenSet(c) => Node::FrozenSet(c.clone()),
            }
        } else {
            std::mem::replace(&mut self.nodes[id].node, Node::List(Vec::new()))
        };
        let d = depth + 1;
        let value = match node {
            Node::Leaf(_) => unreachable_leaf(),
            Node::List(c) => Value::List(self.build_all(&c, d, shared)?),
            Node::Tuple(c) => Value::Tuple(self.build_all(&c, d, shared)?),
            Node::Set(c) => Value::Set(self.build_all(&c, d, shared)?),
            Node::FrozenSet(c) => Value::FrozenSet(self.build_all(&c, d, shared)?),
            Node::Dict(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((self.build(k, d, shared)?, self.build(v, d, shared)?));
                }
                Value::Dict(out)
            }
        };
        self.nodes[id].visiting = false;
        Ok(value)
    }

    fn build_all(
        &mut self,
        ids: &[Id],
        depth: usize,
        shared: bool,
    ) -> Result<Vec<Value>, PickleError> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            out.push(self.build(id, depth, shared)?);
        }
        Ok(out)
    }
}

/// Leaves return before containers are matched; this documents the impossible arm without a
/// panic path reachable from input.
fn unreachable_leaf() -> ! {
    unreachable!("leaf nodes are handled before containers")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn good_pickles() {
        let cases: &[(&[u8], Value)] = &[
            (b"N.", Value::None),
            (b"I00\n.", Value::Bool(false)),
            (b"I01\n.", Value::Bool(true)),
            (b"I-42\n.", Value::Int(-42)),
            (
                b"L12345678901234567890123L\n.",
                Value::BigInt("12345678901234567890123".into()),
            ),
            (b"L-5L\n.", Value::Int(-5)),
            (b"F1.5\n.", Value::Float(1.5)),
            (b"F-inf\n.", Value::Float(f64::NEG_INFINITY)),
            (b"S'a\\'b\\x41\\101\\n'\n.", s("a'bAA\n")),
            (b"S\"\xc3\xa9\"\n.", s("\u{e9}")),
            (
                b"V\\u20ac\\U0001F600\xe9\\x\n.",
                s("\u{20ac}\u{1f600}\u{e9}\\x"),
            ),
            (b"\x80\x02J\xff\xff\xff\xff.", Value::Int(-1)),
            (b"\x80\x02\x8a\x00.", Value::Int(0)),
            (b"\x80\x02\x8a\x01\xff.", Value::Int(-1)),
            (
                b"\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.",
                Value::BigInt("9223372036854775808".into()),
            ),
            (
                b"\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xff.",
                Value::BigInt("-9223372036854775809".into()),
            ),
            (
                b"\x80\x02\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.",
                Value::Int(i64::MIN),
            ),
            (b"\x80\x03C\x02ab.", Value::Bytes(b"ab".to_vec())),
            (
                b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8c\x01a\x94.",
                s("a"),
            ),
            (
                b"(I1\nI2\nt.",
                Value::Tuple(vec![Value::Int(1), Value::Int(2)]),
            ),
            (
                b"\x80\x02K\x01K\x02\x86.",
                Value::Tuple(vec![Value::Int(1), Value::Int(2)]),
            ),
            (
                b"(lp0\nI1\naI2\na.",
                Value::List(vec![Value::Int(1), Value::Int(2)]),
            ),
            (
                b"(dp0\nS'a'\np1\nI1\nsg1\nI2\ns.",
                Value::Dict(vec![(s("a"), Value::Int(1)), (s("a"), Value::Int(2))]),
            ),
            (
                b"\x80\x04\x8f(K\x01K\x02\x90.",
                Value::Set(vec![Value::Int(1), Value::Int(2)]),
            ),
            (
                b"\x80\x04(K\x01\x91.",
                Value::FrozenSet(vec![Value::Int(1)]),
            ),
            (b"N(N2.", Value::None),
            (b"K\x01K\x020.", Value::Int(1)),
            (b"K\x01(0.", Value::Int(1)),
            (b"K\x01(K\x021.", Value::Int(1)),
            (b"N.trailing garbage", Value::None),
        ];
        for (data, want) in cases {
            assert_eq!(decode(data).as_ref(), Ok(want), "{data:?}");
        }
    }

    #[test]
    fn shared_references_see_later_appends() {
        // l = []; x = [l, l]; l.append(1) as Python would memoize it: the list is memoized
        // empty, referenced by GET, and filled afterwards.
        let data = b"\x80\x02]q\x00(]q\x01h\x01eh\x01K\x01a0.";
        let inner = Value::List(vec![Value::Int(1)]);
        assert_eq!(decode(data), Ok(Value::List(vec![inner.clone(), inner])));
    }

    #[test]
    fn bad_pickles() {
        use PickleError::*;
        let cases: &[(&[u8], PickleError)] = &[
            (b"", Truncated),
            (b"N", Truncated),
            (b".", StackUnderflow),
            (b"(.", StackUnderflow),
            (
                b"cos\nsystem\n.",
                Forbidden {
                    name: "GLOBAL",
                    pos: 0,
                },
            ),
            (
                b"\x80\x04\x8c\x02os\x8c\x06system\x93.",
                Forbidden {
                    name: "STACK_GLOBAL",
                    pos: 14,
                },
            ),
            (
                b"NNR.",
                Forbidden {
                    name: "REDUCE",
                    pos: 2,
                },
            ),
            (
                b"\x80\x05\x96\x00\x00\x00\x00\x00\x00\x00\x00.",
                Forbidden {
                    name: "BYTEARRAY8",
                    pos: 2,
                },
            ),
            (b"\xff", UnknownOpcode { byte: 0xff, pos: 0 }),
            (b"\x80\x06N.", UnsupportedProtocol(6)),
            (b"t.", NoMark),
            (b"h\x05.", MemoMissing(5)),
            (
                b"NK\x01a.",
                WrongType {
                    op: "APPEND",
                    found: "NoneType",
                },
            ),
            (b"(]K\x01s.", StackUnderflow),
            (b"}(K\x01u.", OddItems("SETITEMS")),
            (b"}]K\x01s.", Unhashable),
            (b"(]K\x01d.", Unhashable),
            (b"(K\x01d.", OddItems("DICT")),
            (b"\x80\x04\x8f(]\x90.", Unhashable),
            (
                b"S'abc\n.",
                BadArgument {
                    op: "STRING",
                    reason: "argument must be quoted",
                },
            ),
            (
                b"S'\\x4'\n.",
                BadArgument {
                    op: "STRING",
                    reason: "invalid \\x escape",
                },
            ),
            (
                b"S'\\'\n.",
                BadArgument {
                    op: "STRING",
                    reason: "trailing \\ in string",
                },
            ),
            (b"S'\xff'\n.", InvalidString),
            (b"X\x01\x00\x00\x00\xff.", InvalidString),
            (b"V\\ud800\n.", InvalidString),
            (
                b"V\\u12\n.",
                BadArgument {
                    op: "UNICODE",
                    reason: "truncated escape",
                },
            ),
            (b"F1e400\n.", FloatOverflow),
            (
                b"Fx\n.",
                BadArgument {
                    op: "FLOAT",
                    reason: "not a float",
                },
            ),
            (
                b"I010\n.",
                BadArgument {
                    op: "INT",
                    reason: "leading zeros",
                },
            ),
            (b"X\xff\xff\xff\xff.", Truncated),
            (b"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.", Truncated),
            (
                b"T\xff\xff\xff\xff.",
                BadArgument {
                    op: "BINSTRING",
                    reason: "negative byte count",
                },
            ),
            (b"K\x01(K\x02\x86.", StackUnderflow),
            (b"K\x01(2.", StackUnderflow),
            (b"]q\x00h\x00a.", TooDeep(64)),
        ];
        for (data, want) in cases {
            assert_eq!(decode(data).as_ref(), Err(want), "{data:?}");
        }
    }

    #[test]
    fn limits_stop_memo_bombs() {
        // Each level is a list holding the previous one twice: 2^40 leaves from 300 bytes.
        let mut data = b"\x80\x02K\x00q\x00".to_vec();
        for _ in 0..40 {
            data.extend_from_slice(b"(h\x00h\x00lq\x00");
        }
        data.push(b'.');
        assert_eq!(decode(&data), Err(PickleError::TooLarge));
        // Deep nesting.
        let mut deep = b"N".to_vec();
        deep.extend(std::iter::repeat_n(0x85, 100_000));
        deep.push(b'.');
        assert_eq!(decode(&deep), Err(PickleError::TooDeep(64)));
        // A huge memo index is fine and allocates nothing big.
        assert_eq!(
            decode(b"Nr\xff\xff\xff\xffj\xff\xff\xff\xff."),
            Ok(Value::None)
        );
    }

    #[test]
    fn big_long4() {
        let mut data = b"\x80\x02\x8b\x00\x10\x00\x00".to_vec();
        data.extend(std::iter::repeat_n(0x11, 4096));
        data.push(b'.');
        assert_eq!(decode(&data), Err(PickleError::IntTooLarge));
    }
}
