//! The plaintext line protocol: `<metric> <value> <timestamp>` per line.
//!
//! [`LineCodec`] frames a TCP stream (Twisted's `LineOnlyReceiver`: `\n` delimiter, at most
//! 16384 bytes per line); [`split_datagram`] splits a UDP datagram as `str.splitlines()` does;
//! [`parse_line`] parses one line as carbon's `MetricLineReceiver.lineReceived` does; and
//! [`normalize`] applies the checks `MetricReceiver.metricReceived` makes before a point
//! enters the pipeline.

use bytes::{Buf, BytesMut};
use tokio_util::codec::Decoder;

use crate::python;
use crate::Datapoint;

/// Why [`parse_line`] refused a line. The reference logs every one of these as
/// `invalid line received from client …, ignoring [line]`, except where noted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// The line is not valid UTF-8 (the reference closes the connection; over UDP it drops the
    /// whole datagram).
    #[error("line is not valid UTF-8")]
    InvalidUtf8,
    /// The line does not split into exactly three whitespace-separated fields (an empty or
    /// blank line has zero).
    #[error("expected 3 fields (metric value timestamp), found {count}")]
    FieldCount {
        /// How many fields the line has (counting stops at 4).
        count: usize,
    },
    /// The timestamp field is not a number by Python's `float()` grammar.
    #[error("timestamp is not a number")]
    InvalidTimestamp,
    /// The value field is not a number by Python's `float()` grammar.
    #[error("value is not a number")]
    InvalidValue,
    /// The timestamp parses but is NaN or ±inf. The reference raises while converting it and
    /// closes the connection (over UDP, an inf aborts the rest of the datagram); we drop the
    /// line only.
    #[error("timestamp is not finite")]
    NonFiniteTimestamp,
}

/// Parses one line (without its `\n`) as the reference does: UTF-8, Python's
/// `line.strip().split()` (Unicode whitespace included, so `\r\n` endings work), exactly three
/// fields, then Python `float()` of the timestamp and of the value (underscores, `nan`, `inf`,
/// Unicode digits).
///
/// A NaN value is returned as is; dropping it, `-1` = now and timestamp resolution are
/// [`normalize`]'s job.
pub fn parse_line(line: &[u8]) -> Result<Datapoint, LineError> {
    let (metric, timestamp, value) = parse_line_fields(line)?;
    Ok(Datapoint {
        metric: metric.to_owned(),
        timestamp,
        value,
    })
}

/// [`parse_line`] without the allocation: `(metric, timestamp, value)`, the metric borrowed
/// from `line`. The same rules and errors.
pub fn parse_line_fields(line: &[u8]) -> Result<(&str, f64, f64), LineError> {
    let line = std::str::from_utf8(line).map_err(|_| LineError::InvalidUtf8)?;
    let mut fields = [""; 3];
    let count = if line.is_ascii() {
        split_ascii_fields(line, &mut fields)
    } else {
        let mut count = 0;
        for field in line
            .split(python::is_space)
            .filter(|f| !f.is_empty())
            .take(4)
        {
            if let Some(slot) = fields.get_mut(count) {
                *slot = field;
            }
            count += 1;
        }
        count
    };
    if count != 3 {
        return Err(LineError::FieldCount { count });
    }
    let [metric, value, timestamp] = fields;
    let timestamp = python::float_from_str(timestamp).ok_or(LineError::InvalidTimestamp)?;
    let value = python::float_from_str(value).ok_or(LineError::InvalidValue)?;
    if !timestamp.is_finite() {
        return Err(LineError::NonFiniteTimestamp);
    }
    Ok((metric, timestamp, value))
}

/// Python's `str.split()` of an ASCII line: fills `fields` with the first three non-empty
/// fields and returns how many there are (counting stops at 4).
fn split_ascii_fields<'a>(line: &'a str, fields: &mut [&'a str; 3]) -> usize {
    // The ASCII characters `str.isspace()` accepts: \t \n \v \f \r, \x1c-\x1f and space.
    let is_space = |b: u8| matches!(b, b'\t'..=b'\r' | 0x1c..=0x1f | b' ');
    let bytes = line.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() && count < 4 {
        if is_space(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_space(bytes[i]) {
            i += 1;
        }
        if let Some(slot) = fields.get_mut(count) {
            // ASCII, so every index is a character boundary.
            *slot = &line[start..i];
        }
        count += 1;
    }
    count
}

/// The receiver's checks after parsing (steps 3 to 5 of `MetricReceiver.metricReceived`):
///
/// - a NaN value is dropped (`None`); ±inf values are kept;
/// - a timestamp whose integer part is -1 (anything in (-2, -1]) becomes `now`;
/// - if `min_timestamp_resolution` is non-zero the timestamp becomes
///   `floor(trunc(ts) / res) * res`.
///
/// A non-finite timestamp (possible from pickle) is also dropped; the reference raises there
/// and closes the connection. `now` is epoch seconds, passed in so tests control the clock.
pub fn normalize(dp: Datapoint, now: f64, min_timestamp_resolution: u64) -> Option<Datapoint> {
    let timestamp = normalize_timestamp(dp.timestamp, dp.value, now, min_timestamp_resolution)?;
    Some(Datapoint { timestamp, ..dp })
}

/// [`normalize`] on the parts of a point: the timestamp to store, or `None` when the point is
/// dropped.
pub fn normalize_timestamp(
    timestamp: f64,
    value: f64,
    now: f64,
    min_timestamp_resolution: u64,
) -> Option<f64> {
    if value.is_nan() || !timestamp.is_finite() {
        return None;
    }
    let mut timestamp = timestamp;
    if timestamp.trunc() == -1.0 {
        timestamp = now;
    }
    if min_timestamp_resolution != 0 {
        let whole = timestamp.trunc();
        // i128 holds every integral f64 below 2^127 exactly; beyond that the point is absurd
        // anyway and we keep float arithmetic rather than fail.
        timestamp = if whole.abs() < 1e38 {
            let res = i128::from(min_timestamp_resolution);
            ((whole as i128).div_euclid(res) * res) as f64
        } else {
            (whole / min_timestamp_resolution as f64).floor() * min_timestamp_resolution as f64
        };
    }
    Some(timestamp)
}

/// Twisted `LineOnlyReceiver.MAX_LENGTH`, the reference's limit for one line.
pub const DEFAULT_MAX_LINE_LEN: usize = 16384;

/// Why [`LineCodec`] could not produce a line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LineCodecError {
    /// A line (or an unterminated buffer) longer than `max_line_len` bytes. The reference
    /// closes the connection silently. The codec itself recovers: the next `decode` call
    /// skips the rest of the long line and resumes after its `\n`. (`FramedRead` ends its
    /// stream after any error, so a daemon that wants to keep the connection drives the codec
    /// itself.)
    #[error("line longer than {max} bytes (at least {len})")]
    LineTooLong {
        /// Bytes seen so far in the long line, without the `\n`.
        len: usize,
        /// The codec's `max_line_len`.
        max: usize,
    },
    /// Reading the socket failed (required by `FramedRead`; the codec never makes one).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Splits a byte stream on `\n` (the `\n` is removed; a `\r` before it stays and is stripped by
/// [`parse_line`]). Each line is a zero-copy `split_to` of the read buffer, and bytes already
/// searched are not searched again.
///
/// At end of stream an unterminated last line is discarded, as Twisted does.
#[derive(Debug, Clone)]
pub struct LineCodec {
    max_line_len: usize,
    /// Bytes of the buffer already known to contain no `\n`.
    next_index: usize,
    /// After a [`LineCodecError::LineTooLong`]: drop bytes up to and including the next `\n`.
    discarding: bool,
}

impl LineCodec {
    /// A codec that accepts lines of at most `max_line_len` bytes (not counting the `\n`).
    pub fn new(max_line_len: usize) -> Self {
        Self {
            max_line_len,
            next_index: 0,
            discarding: false,
        }
    }

    /// The longest line accepted, in bytes.
    pub fn max_line_len(&self) -> usize {
        self.max_line_len
    }
}

impl Default for LineCodec {
    /// [`DEFAULT_MAX_LINE_LEN`] (16384), the reference's limit.
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINE_LEN)
    }
}

impl LineCodec {
    /// Finds the next line in `buf[*start..]` without splitting the buffer: returns the line's
    /// range in `buf` (without its `\n`) and moves `*start` past it. Errors and the discarding
    /// of long lines are as [`Decoder::decode`]'s, with "consumed" meaning "`*start` moved
    /// past". The caller drops `buf[..*start]` (e.g. `BytesMut::advance`) once done with the
    /// lines, and must then call this again with `*start == 0`, as `decode` does.
    pub fn next_line(
        &mut self,
        buf: &[u8],
        start: &mut usize,
    ) -> Result<Option<std::ops::Range<usize>>, LineCodecError> {
        loop {
            let from = *start + self.next_index;
            let Some(offset) = memchr::memchr(b'\n', &buf[from..]) else {
                let len = buf.len() - *start;
                if self.discarding {
                    *start = buf.len();
                    self.next_index = 0;
                } else if len > self.max_line_len {
                    *start = buf.len();
                    self.next_index = 0;
                    self.discarding = true;
                    return Err(LineCodecError::LineTooLong {
                        len,
                        max: self.max_line_len,
                    });
                } else {
                    self.next_index = len;
                }
                return Ok(None);
            };
            let end = self.next_index + offset;
            self.next_index = 0;
            let line_start = *start;
            *start += end + 1;
            if self.discarding {
                self.discarding = false;
                continue;
            }
            if end > self.max_line_len {
                return Err(LineCodecError::LineTooLong {
                    len: end,
                    max: self.max_line_len,
                });
            }
            return Ok(Some(line_start..line_start + end));
        }
    }
}

impl Decoder for LineCodec {
    type Item = BytesMut;
    type Error = LineCodecError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>, LineCodecError> {
        let mut start = 0;
        let found = self.next_line(buf, &mut start);
        match found {
            Ok(Some(range)) => {
                // Lines skipped as too long may precede this one.
                buf.advance(range.start);
                let mut line = buf.split_to(start - range.start);
                line.truncate(range.len());
                Ok(Some(line))
            }
            other => {
                buf.advance(start);
                other.map(|_| None)
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>, LineCodecError> {
        match self.decode(buf)? {
            Some(line) => Ok(Some(line)),
            None => {
                buf.clear();
                self.next_index = 0;
                self.discarding = false;
                Ok(None)
            }
        }
    }
}

/// Splits a UDP datagram into lines as Python's `str.splitlines()` does: breaks are `\n`,
/// `\r`, `\r\n`, `\v`, `\f`, `\x1c`-`\x1e`, U+0085, U+2028 and U+2029; a final break does not
/// make an empty last line; an empty datagram has no lines.
///
/// The reference decodes the whole datagram first and drops all of it if it is not UTF-8;
/// callers that want that check `std::str::from_utf8(datagram)` first. On valid UTF-8 this
/// split and Python's agree exactly (multi-byte breaks are matched whole).
pub fn split_datagram(datagram: &[u8]) -> DatagramLines<'_> {
    DatagramLines {
        rest: Some(datagram),
    }
}

/// The lines of a datagram; see [`split_datagram`].
#[derive(Debug, Clone)]
pub struct DatagramLines<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for DatagramLines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest.filter(|r| !r.is_empty())?;
        for i in 0..rest.len() {
            if let Some(len) = python::line_break_len(&rest[i..]) {
                self.rest = Some(&rest[i + len..]);
                return Some(&rest[..i]);
            }
        }
        self.rest = None;
        Some(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dp(metric: &str, timestamp: f64, value: f64) -> Datapoint {
        Datapoint {
            metric: metric.into(),
            timestamp,
            value,
        }
    }

    #[test]
    fn good_lines() {
        let cases: &[(&[u8], Datapoint)] = &[
            (b"foo.bar 42 1700000000", dp("foo.bar", 1.7e9, 42.0)),
            (b"foo.bar 42 1700000000\r", dp("foo.bar", 1.7e9, 42.0)),
            (b"  a\t-1.5e3   17.25  ", dp("a", 17.25, -1500.0)),
            (b"a 1_000 2", dp("a", 2.0, 1000.0)),
            (b"a inf 2", dp("a", 2.0, f64::INFINITY)),
            (b"a -Infinity 2", dp("a", 2.0, f64::NEG_INFINITY)),
            (b"a 1 -1", dp("a", -1.0, 1.0)),
            (b"a\x1c1\x1f2", dp("a", 2.0, 1.0)),
            ("a\u{3000}1\u{a0}2\u{2028}".as_bytes(), dp("a", 2.0, 1.0)),
            (
                "m\u{e9}tric \u{661} 2".as_bytes(),
                dp("m\u{e9}tric", 2.0, 1.0),
            ),
            (b"a;tag=x 1 2", dp("a;tag=x", 2.0, 1.0)),
            (b"a 1 2\x0b", dp("a", 2.0, 1.0)),
        ];
        for (line, want) in cases {
            assert_eq!(parse_line(line).as_ref(), Ok(want), "{line:?}");
        }
        let nan = parse_line(b"a nan 5").unwrap();
        assert!(nan.value.is_nan());
    }

    #[test]
    fn bad_lines() {
        use LineError::*;
        let cases: &[(&[u8], LineError)] = &[
            (b"", FieldCount { count: 0 }),
            (b" \r", FieldCount { count: 0 }),
            (b"a 1", FieldCount { count: 2 }),
            (b"a 1 2 3", FieldCount { count: 4 }),
            (b"a 1 2 3 4 5", FieldCount { count: 4 }),
            (b"a\x001 2", FieldCount { count: 2 }),
            (b"a 1\xa02", InvalidUtf8),
            (b"a \xff 2", InvalidUtf8),
            (b"a x 2", InvalidValue),
            (b"a 1 x", InvalidTimestamp),
            (b"a x x", InvalidTimestamp),
            (b"a 1 2s", InvalidTimestamp),
            (b"a 1,5 2", InvalidValue),
            (b"a 0x10 2", InvalidValue),
            (b"a _1 2", InvalidValue),
            (b"a 1 nan", NonFiniteTimestamp),
            (b"a 1 inf", NonFiniteTimestamp),
            (b"a 1 -1e999", NonFiniteTimestamp),
            ("a\u{200b}1 2".as_bytes(), FieldCount { count: 2 }),
        ];
        for (line, want) in cases {
            assert_eq!(parse_line(line).as_ref(), Err(want), "{line:?}");
        }
    }

    #[test]
    fn normalize_rules() {
        let now = 1_700_000_123.75;
        assert_eq!(
            normalize(dp("a", 5.5, 1.0), now, 0),
            Some(dp("a", 5.5, 1.0))
        );
        assert_eq!(normalize(dp("a", f64::NAN, f64::NAN), now, 0), None);
        assert_eq!(normalize(dp("a", 5.0, f64::NAN), now, 0), None);
        assert_eq!(normalize(dp("a", f64::INFINITY, 1.0), now, 0), None);
        let inf = normalize(dp("a", 5.0, f64::INFINITY), now, 0).unwrap();
        assert_eq!(inf.value, f64::INFINITY);
        assert_eq!(
            normalize(dp("a", -1.0, 1.0), now, 0).unwrap().timestamp,
            now
        );
        assert_eq!(
            normalize(dp("a", -1.9, 1.0), now, 0).unwrap().timestamp,
            now
        );
        assert_eq!(
            normalize(dp("a", -2.0, 1.0), now, 0).unwrap().timestamp,
            -2.0
        );
        assert_eq!(
            normalize(dp("a", -0.9, 1.0), now, 0).unwrap().timestamp,
            -0.9
        );
        assert_eq!(
            normalize(dp("a", 125.9, 1.0), now, 60).unwrap().timestamp,
            120.0
        );
        assert_eq!(
            normalize(dp("a", -5.5, 1.0), now, 10).unwrap().timestamp,
            -10.0
        );
        assert_eq!(
            normalize(dp("a", -1.0, 1.0), now, 60).unwrap().timestamp,
            1_700_000_100.0
        );
    }

    fn decode_all(codec: &mut LineCodec, buf: &mut BytesMut) -> Vec<Result<Vec<u8>, usize>> {
        let mut out = Vec::new();
        loop {
            match codec.decode(buf) {
                Ok(Some(line)) => out.push(Ok(line.to_vec())),
                Ok(None) => return out,
                Err(LineCodecError::LineTooLong { len, .. }) => out.push(Err(len)),
                Err(e) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn codec_lines_and_limits() {
        let mut codec = LineCodec::new(5);
        let mut buf = BytesMut::from(&b"ab\n\n12345\n123456\nxy"[..]);
        let got = decode_all(&mut codec, &mut buf);
        let want: Vec<Result<Vec<u8>, usize>> = vec![
            Ok(b"ab".to_vec()),
            Ok(vec![]),
            Ok(b"12345".to_vec()),
            Err(6),
        ];
        assert_eq!(got, want);
        // The partial "xy" waits for more bytes.
        buf.extend_from_slice(b"z\n");
        assert_eq!(decode_all(&mut codec, &mut buf), vec![Ok(b"xyz".to_vec())]);
        // An unterminated buffer over the limit is refused, and the rest of that line skipped.
        buf.extend_from_slice(b"1234567");
        assert_eq!(decode_all(&mut codec, &mut buf), vec![Err(7)]);
        buf.extend_from_slice(b"89\nok\n");
        assert_eq!(decode_all(&mut codec, &mut buf), vec![Ok(b"ok".to_vec())]);
        // Exactly the limit unterminated is still fine.
        buf.extend_from_slice(b"12345");
        assert_eq!(decode_all(&mut codec, &mut buf), vec![]);
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
        assert!(buf.is_empty());
    }

    #[test]
    fn ascii_fast_path_splits_as_python() {
        // \x0b, \x0c and \x1c-\x1f are Python whitespace; the non-ASCII line takes the slow path.
        assert_eq!(
            parse_line_fields(b"\x1c a.b\x0b1\x1f\x0c2 \r").unwrap(),
            ("a.b", 2.0, 1.0)
        );
        assert_eq!(
            parse_line_fields("a.\u{e9} 1\u{2003}2".as_bytes()).unwrap(),
            ("a.\u{e9}", 2.0, 1.0)
        );
        assert_eq!(
            parse_line_fields(b"a 1 2 3 4"),
            Err(LineError::FieldCount { count: 4 })
        );
        assert_eq!(
            parse_line_fields(b" \t "),
            Err(LineError::FieldCount { count: 0 })
        );
    }

    #[test]
    fn codec_byte_by_byte() {
        let input = b"a 1 2\r\nb 3 4\n";
        let mut codec = LineCodec::default();
        let mut buf = BytesMut::new();
        let mut lines = Vec::new();
        for &b in input {
            buf.extend_from_slice(&[b]);
            lines.extend(decode_all(&mut codec, &mut buf));
        }
        assert_eq!(lines, vec![Ok(b"a 1 2\r".to_vec()), Ok(b"b 3 4".to_vec())]);
    }

    #[test]
    fn datagram_lines() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"", &[]),
            (b"\n", &[b""]),
            (b"a", &[b"a"]),
            (b"a\n", &[b"a"]),
            (b"a\r\nb", &[b"a", b"b"]),
            (b"a\n\r\nb\r", &[b"a", b"", b"b"]),
            (b"a\r\rb", &[b"a", b"", b"b"]),
            (
                b"a\x0bb\x0cc\x1cd\x1de\x1ef\x1fg",
                &[b"a", b"b", b"c", b"d", b"e", b"f\x1fg"],
            ),
            (
                "a\u{85}b\u{2028}c\u{2029}d\u{2027}".as_bytes(),
                &[b"a", b"b", b"c", "d\u{2027}".as_bytes()],
            ),
        ];
        for (datagram, want) in cases {
            let got: Vec<&[u8]> = split_datagram(datagram).collect();
            assert_eq!(&got, want, "{datagram:?}");
        }
    }
}
