//! Carbon's wire formats, as carbon 1.1.10 and graphite-web 1.1.10 speak them, with no
//! networking: pure parsers, encoders and `tokio_util` codecs that the daemons plug into their
//! listeners.
//!
//! # Overview
//! - [`plaintext`]: the line protocol (`metric value timestamp\n`). [`LineCodec`] frames a TCP
//!   stream into lines, [`split_datagram`] splits a UDP datagram, [`parse_line`] turns one line
//!   into a [`Datapoint`], and [`normalize`] applies the receiver's value and timestamp rules
//!   (NaN dropped, `-1` = now, `MIN_TIMESTAMP_RESOLUTION`).
//! - [`framing`]: [`LengthPrefixedCodec`], the 4-byte big-endian length prefix shared by the
//!   pickle receiver and the cache-query (carbonlink) port.
//! - [`pickle`]: a safe unpickler ([`pickle::decode`]) that builds only plain [`pickle::Value`]s
//!   and refuses every opcode that imports or constructs objects, [`pickle::datapoints`] for
//!   the pickle receiver's payload rules, and a protocol-2 encoder ([`pickle::encode`]) that
//!   writes what Python's `pickle.dumps(v, 2)` writes.
//! - [`carbonlink`]: cache-query requests ([`carbonlink::Request`]) and responses
//!   ([`carbonlink::Response`]).
//!
//! A framed payload flows: codec → `BytesMut` → `parse_line` or `pickle::decode` →
//! `Datapoint`s → `normalize` → the daemon's cache. Every parser returns a typed error and none
//! panics on any input (proptested).
#![forbid(unsafe_code)]

pub mod carbonlink;
pub mod framing;
pub mod pickle;
pub mod plaintext;
mod python;

pub use framing::{FrameError, LengthPrefixedCodec};
pub use plaintext::{
    normalize, normalize_timestamp, parse_line, parse_line_fields, split_datagram, LineCodec,
    LineCodecError, LineError,
};

/// One received point, as the receivers hand it to the cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    /// The metric name exactly as received (not yet sanitised or tag-normalised).
    pub metric: String,
    /// Epoch seconds. A float because carbon keeps sub-second timestamps unless
    /// `MIN_TIMESTAMP_RESOLUTION` is set.
    pub timestamp: f64,
    /// The value; may be ±inf, and NaN until [`normalize`] drops it.
    pub value: f64,
}
