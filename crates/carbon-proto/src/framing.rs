//! Length-prefixed frames: a 4-byte big-endian unsigned length, then that many bytes (Twisted's
//! `Int32StringReceiver`). The pickle receiver and the cache-query port both use it.

use bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// The pickle receiver's default limit (`PICKLE_RECEIVER_MAX_LENGTH`, 2^20 bytes).
pub const DEFAULT_PICKLE_MAX_FRAME_LEN: usize = 1 << 20;

/// The cache-query port's limit in the reference (`1024 ** 3` bytes).
pub const CARBONLINK_MAX_FRAME_LEN: usize = 1 << 30;

/// Why [`LengthPrefixedCodec`] could not decode or encode a frame.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A length prefix above `max_frame_len` (decoding), or a payload above `max_frame_len`
    /// or `u32::MAX` (encoding). The reference closes the connection when it reads one. The
    /// decoder recovers: later calls skip the announced payload and go on with the next frame.
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    FrameTooLong {
        /// The announced (or attempted) payload length.
        len: u64,
        /// The codec's limit.
        max: u64,
    },
    /// Reading or writing the socket failed (required by `FramedRead`/`FramedWrite`).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Decodes and encodes length-prefixed frames. Decoded payloads are zero-copy `split_to`s of
/// the read buffer; once a prefix is read the buffer reserves room for the frame (up to 1 MiB
/// at a time).
///
/// At end of stream an incomplete frame is discarded, as Twisted does.
#[derive(Debug, Clone)]
pub struct LengthPrefixedCodec {
    max_frame_len: usize,
    /// Payload bytes of a refused frame still to be skipped.
    skip: u64,
}

impl LengthPrefixedCodec {
    /// A codec accepting payloads of at most `max_frame_len` bytes (a length equal to the
    /// limit is accepted, as in the reference).
    pub fn new(max_frame_len: usize) -> Self {
        Self {
            max_frame_len,
            skip: 0,
        }
    }

    /// The largest payload accepted, in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }
}

impl Default for LengthPrefixedCodec {
    /// [`DEFAULT_PICKLE_MAX_FRAME_LEN`].
    fn default() -> Self {
        Self::new(DEFAULT_PICKLE_MAX_FRAME_LEN)
    }
}

impl Decoder for LengthPrefixedCodec {
    type Item = BytesMut;
    type Error = FrameError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>, FrameError> {
        if self.skip > 0 {
            let n = usize::try_from(self.skip)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            buf.advance(n);
            self.skip -= n as u64;
            if self.skip > 0 {
                return Ok(None);
            }
        }
        let Some(prefix) = buf.first_chunk::<4>() else {
            return Ok(None);
        };
        let len = u32::from_be_bytes(*prefix) as usize;
        if len > self.max_frame_len {
            buf.advance(4);
            self.skip = len as u64;
            return Err(FrameError::FrameTooLong {
                len: len as u64,
                max: self.max_frame_len as u64,
            });
        }
        if buf.len() < 4 + len {
            // Room for the rest of the frame, but a hostile 4-byte prefix must not make us
            // allocate the whole limit up front: at most 1 MiB ahead of what has arrived.
            buf.reserve((4 + len - buf.len()).min(1 << 20));
            return Ok(None);
        }
        buf.advance(4);
        Ok(Some(buf.split_to(len)))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>, FrameError> {
        match self.decode(buf)? {
            Some(frame) => Ok(Some(frame)),
            None => {
                buf.clear();
                self.skip = 0;
                Ok(None)
            }
        }
    }
}

impl<T: AsRef<[u8]>> Encoder<T> for LengthPrefixedCodec {
    type Error = FrameError;

    fn encode(&mut self, payload: T, dst: &mut BytesMut) -> Result<(), FrameError> {
        let payload = payload.as_ref();
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|&l| l as usize <= self.max_frame_len)
            .ok_or(FrameError::FrameTooLong {
                len: payload.len() as u64,
                max: self.max_frame_len.min(u32::MAX as usize) as u64,
            })?;
        dst.reserve(4 + payload.len());
        dst.put_u32(len);
        dst.put_slice(payload);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        let mut codec = LengthPrefixedCodec::new(4);
        let mut buf = BytesMut::new();
        codec.encode(b"abcd", &mut buf).unwrap();
        codec.encode(b"", &mut buf).unwrap();
        assert!(matches!(
            codec.encode(b"abcde", &mut buf),
            Err(FrameError::FrameTooLong { len: 5, max: 4 })
        ));
        assert_eq!(&buf[..], b"\0\0\0\x04abcd\0\0\0\0");
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"abcd"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b""[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);

        // Too long: refused, its payload skipped even when it arrives in pieces.
        buf.extend_from_slice(b"\0\0\0\x06abc");
        assert!(matches!(
            codec.decode(&mut buf),
            Err(FrameError::FrameTooLong { len: 6, max: 4 })
        ));
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"def\0\0\0\x01z");
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"z"[..]);

        // Partial prefix and partial payload wait; EOF discards them.
        buf.extend_from_slice(b"\0\0");
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"\0\x03ab");
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
        assert!(buf.is_empty());
    }

    #[test]
    fn limit_is_inclusive_and_prefix_unsigned() {
        let mut codec = LengthPrefixedCodec::new(usize::MAX);
        let mut buf = BytesMut::from(&b"\xff\xff\xff\xff"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert!(
            buf.capacity() <= (1 << 21),
            "a bare prefix must not reserve the whole frame"
        );
        let mut codec = LengthPrefixedCodec::new(3);
        let mut buf = BytesMut::from(&b"\0\0\0\x03xyz"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"xyz"[..]);
    }
}
