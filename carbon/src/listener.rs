//! The receivers: plaintext over TCP and UDP, pickle over TCP. One accept loop serves every TCP
//! protocol; a protocol is a connection handler that frames bytes with its codec and hands the
//! points to the [`Receiver`].
//!
//! Bad input never ends a connection: a malformed line, an over-long line, an oversize frame or
//! a hostile pickle is counted, logged (rate-limited) and skipped, and what follows on the same
//! connection is read as usual. On shutdown the loops stop accepting, and each connection keeps
//! reading what its client already sent until the client is quiet, so no point sent before the
//! signal is lost.

use std::borrow::Cow;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use carbon_proto::pickle::{self, Limits};
use carbon_proto::{
    parse_line, parse_line_fields, split_datagram, FrameError, LengthPrefixedCodec, LineCodec,
    LineError,
};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::receiver::Receiver;
use crate::stats::Stats;

/// Limits shared by the receivers.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest plaintext line, in bytes (the reference: 16384).
    pub max_line_len_bytes: usize,
    /// Largest pickle frame, in bytes (PICKLE_RECEIVER_MAX_LENGTH).
    pub max_frame_len_bytes: usize,
    /// Close a connection that sends nothing for this long (METRIC_CLIENT_IDLE_TIMEOUT).
    pub idle_timeout: Option<Duration>,
}

/// After shutdown, how long a connection may stay quiet before it is closed.
const DRAIN_QUIET: Duration = Duration::from_millis(500);
/// After shutdown, the longest a connection is read.
const DRAIN_MAX: Duration = Duration::from_secs(5);

/// Accepts connections until `shutdown`, running `handler` for each on `tracker`. With a
/// `limit`, at most that many connections are served at once; others wait in the backlog.
pub async fn serve_tcp<H, F>(
    listener: TcpListener,
    protocol: &'static str,
    limit: Option<Arc<Semaphore>>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
    handler: H,
) where
    H: Fn(TcpStream, SocketAddr) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let spawn = |stream: TcpStream, peer: SocketAddr, permit: Option<OwnedSemaphorePermit>| {
        debug!(%peer, protocol, "connection established");
        let _ = stream.set_nodelay(true);
        let conn = handler(stream, peer);
        tracker.spawn(async move {
            conn.await;
            drop(permit);
            debug!(%peer, protocol, "connection closed");
        });
    };
    loop {
        let permit = match &limit {
            Some(sem) => tokio::select! {
                _ = shutdown.cancelled() => break,
                p = Arc::clone(sem).acquire_owned() => Some(p.expect("semaphore never closed")),
            },
            None => None,
        };
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => spawn(stream, peer, permit),
            Err(e) => {
                // Out of descriptors and the like: wait a little rather than spin.
                warn!(protocol, error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    // Connections the kernel completed before the shutdown but not accepted yet carry data
    // their clients consider sent: take them too (straight from the kernel's queue, whatever
    // the reactor has seen), so that the drain reads it.
    match listener.into_std() {
        Ok(listener) => {
            let _ = listener.set_nonblocking(true);
            while let Ok((stream, peer)) = listener.accept() {
                match stream
                    .set_nonblocking(true)
                    .and_then(|()| TcpStream::from_std(stream))
                {
                    Ok(stream) => spawn(stream, peer, None),
                    Err(e) => {
                        warn!(%peer, protocol, error = %e, "cannot take a pending connection")
                    }
                }
            }
        }
        Err(e) => warn!(protocol, error = %e, "cannot take the pending connections"),
    }
    info!(protocol, "listener stopped");
}

/// Reads more bytes into `buf`: `Ok(0)` at end of stream, at the idle timeout, or once a drain
/// after shutdown is over.
async fn read_more<R: AsyncRead + Unpin>(
    stream: &mut R,
    buf: &mut BytesMut,
    idle_timeout: Option<Duration>,
    shutdown: &CancellationToken,
    drain_deadline: &mut Option<tokio::time::Instant>,
) -> std::io::Result<usize> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(64 * 1024);
    }
    if drain_deadline.is_none() {
        tokio::select! {
            r = read_with_timeout(stream, buf, idle_timeout) => return r,
            _ = shutdown.cancelled() => {
                *drain_deadline = Some(tokio::time::Instant::now() + DRAIN_MAX);
            }
        }
    }
    let deadline = drain_deadline.expect("set above");
    let quiet = DRAIN_QUIET.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
    read_with_timeout(stream, buf, Some(quiet)).await
}

async fn read_with_timeout<R: AsyncRead + Unpin>(
    stream: &mut R,
    buf: &mut BytesMut,
    timeout: Option<Duration>,
) -> std::io::Result<usize> {
    match timeout {
        Some(t) => match tokio::time::timeout(t, stream.read_buf(buf)).await {
            Ok(r) => r,
            Err(_) => Ok(0),
        },
        None => stream.read_buf(buf).await,
    }
}

/// How a receiver connection reads: flow control first, the idle timeout, and the drain after
/// shutdown.
struct Reads {
    idle_timeout: Option<Duration>,
    shutdown: CancellationToken,
    drain_deadline: Option<tokio::time::Instant>,
    /// The read error that ended the connection, if one did.
    error: Option<std::io::Error>,
}

impl Reads {
    fn new(limits: ConnectionLimits, shutdown: CancellationToken) -> Self {
        Reads {
            idle_timeout: limits.idle_timeout,
            shutdown,
            drain_deadline: None,
            error: None,
        }
    }

    /// Waits while flow control holds the receivers, then reads more into `buf`; false when the
    /// connection is done (end of stream, idle, drained after shutdown, or a read error).
    async fn read_next(
        &mut self,
        stream: &mut TcpStream,
        buf: &mut BytesMut,
        receiver: &Receiver,
    ) -> bool {
        receiver.wait_until_accepting().await;
        match read_more(
            stream,
            buf,
            self.idle_timeout,
            &self.shutdown,
            &mut self.drain_deadline,
        )
        .await
        {
            Ok(n) => n > 0,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}

/// Serves one plaintext connection (`metric value timestamp\n` lines). Returns the read error
/// that ended it, `None` when it ended cleanly (end of stream, idle, drained).
pub async fn handle_lines(
    mut stream: TcpStream,
    peer: SocketAddr,
    receiver: Arc<Receiver>,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) -> Option<std::io::Error> {
    let mut codec = LineCodec::new(limits.max_line_len_bytes);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut reads = Reads::new(limits, shutdown);
    loop {
        // Every complete line read so far goes to the cache as one batch, borrowed from `buf`.
        let mut start = 0;
        let mut batch = Vec::new();
        loop {
            match codec.next_line(&buf, &mut start) {
                Ok(Some(range)) => {
                    let line = &buf[range];
                    match parse_line_fields(line) {
                        Ok((metric, ts, value)) => batch.push((Cow::Borrowed(metric), ts, value)),
                        Err(e) => invalid_line(&receiver, peer, line, &e),
                    }
                }
                Ok(None) => break,
                Err(e) => invalid(&receiver, || {
                    format!("invalid line received from client {peer}, ignoring: {e}")
                }),
            }
        }
        if !batch.is_empty() {
            receiver.accept_many(batch).await;
        }
        buf.advance(start);
        if !reads.read_next(&mut stream, &mut buf, &receiver).await {
            break;
        }
    }
    // A last line without its newline is discarded, as Twisted does.
    reads.error
}

async fn accept_line(receiver: &Receiver, line: &[u8], peer: SocketAddr) {
    match parse_line(line) {
        Ok(point) => receiver.accept(point).await,
        Err(e) => invalid_line(receiver, peer, line, &e),
    }
}

/// The reference's line: `invalid line received from client <peer>, ignoring [<line>]` (the
/// line stripped, escaped, cut at 400 characters), and here the reason too.
fn invalid_line(receiver: &Receiver, peer: SocketAddr, line: &[u8], e: &LineError) {
    invalid(receiver, || {
        let text = String::from_utf8_lossy(line);
        let mut shown: String = text.trim().chars().take(400).collect();
        if text.chars().nth(400).is_some() {
            shown.push_str("...");
        }
        let shown = shown.escape_debug();
        format!("invalid line received from client {peer}, ignoring [{shown}] ({e})")
    });
}

/// Counts bad input and logs `message` to listener.log, rate-limited (the reference logs every
/// one).
fn invalid(receiver: &Receiver, message: impl FnOnce() -> String) {
    Stats::add(&receiver.stats.invalid_input, 1);
    if let Some(held) = receiver.log_limit.allow() {
        let message = message();
        if held > 0 {
            warn!(target: "listener", "{message} ({held} more bad inputs not logged)");
        } else {
            warn!(target: "listener", "{message}");
        }
    }
}

/// Serves one pickle connection (length-prefixed pickled lists of `(metric, (ts, value))`).
/// Returns the read error that ended it, as [`handle_lines`].
pub async fn handle_pickles(
    mut stream: TcpStream,
    peer: SocketAddr,
    receiver: Arc<Receiver>,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) -> Option<std::io::Error> {
    let mut codec = LengthPrefixedCodec::new(limits.max_frame_len_bytes);
    let pickle_limits = Limits::for_frame_len(limits.max_frame_len_bytes);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut reads = Reads::new(limits, shutdown);
    loop {
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => accept_pickle(&receiver, &frame, pickle_limits, peer).await,
                Ok(None) => break,
                Err(FrameError::FrameTooLong { len, max }) => invalid_pickle(
                    &receiver,
                    peer,
                    &format!("frame of {len} bytes exceeds the limit of {max}; skipped"),
                ),
                Err(e) => invalid_pickle(&receiver, peer, &e),
            }
        }
        if !reads.read_next(&mut stream, &mut buf, &receiver).await {
            break;
        }
    }
    reads.error
}

/// The reference's `invalid pickle received from <peer>, error: "<error>", ignoring`.
fn invalid_pickle(receiver: &Receiver, peer: SocketAddr, error: &dyn std::fmt::Display) {
    invalid(receiver, || {
        format!("invalid pickle received from {peer}, error: \"{error}\", ignoring")
    });
}

async fn accept_pickle(receiver: &Receiver, frame: &[u8], limits: Limits, peer: SocketAddr) {
    // The usual `[(str, (num, num)), ...]` payload is read straight into borrowed points;
    // anything else (or anything wrong) takes the generic decoder, which gives the same points
    // for what the fast path accepts and is the only one that reports errors.
    if let Some(points) = pickle::carbon_points(frame, limits) {
        receiver
            .accept_many(points.into_iter().map(|(m, t, v)| (Cow::Borrowed(m), t, v)))
            .await;
        return;
    }
    let value = match pickle::decode_with_limits(frame, limits) {
        Ok(v) => v,
        Err(e) => return invalid_pickle(receiver, peer, &e),
    };
    let (points, element_errors) = match pickle::datapoints(&value) {
        Ok(r) => r,
        Err(e) => return invalid_pickle(receiver, peer, &e),
    };
    for e in element_errors {
        invalid(receiver, || {
            format!("Error decoding pickle from {peer}: {e}")
        });
    }
    receiver
        .accept_many(
            points
                .into_iter()
                .map(|p| (Cow::Owned(p.metric), p.timestamp, p.value)),
        )
        .await;
}

/// Serves plaintext datagrams until `shutdown`.
pub async fn serve_udp(socket: UdpSocket, receiver: Arc<Receiver>, shutdown: CancellationToken) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (len, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok(r) => r,
                Err(e) => {
                    warn!(error = %e, "udp receive failed");
                    continue;
                }
            },
        };
        let datagram = &buf[..len];
        // The reference decodes the whole datagram first and drops all of it when it is not UTF-8.
        if std::str::from_utf8(datagram).is_err() {
            invalid(&receiver, || {
                format!("invalid datagram received from {peer}, ignoring: not UTF-8")
            });
            continue;
        }
        for line in split_datagram(datagram) {
            accept_line(&receiver, line, peer).await;
        }
    }
    info!(protocol = "udp", "listener stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{CacheOptions, MetricCache};
    use tokio::io::AsyncWriteExt;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            max_line_len_bytes: 64,
            max_frame_len_bytes: 1024,
            idle_timeout: None,
        }
    }

    async fn run_lines(input: Vec<u8>) -> Arc<Receiver> {
        let receiver = Arc::new(Receiver::new(
            Arc::new(MetricCache::new(CacheOptions::default())),
            Arc::default(),
        ));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let tracker = TaskTracker::new();
        let r = Arc::clone(&receiver);
        let s = shutdown.clone();
        let server = tokio::spawn(serve_tcp(
            listener,
            "line",
            None,
            shutdown.clone(),
            tracker.clone(),
            move |stream, peer| {
                let (r, s) = (Arc::clone(&r), s.clone());
                async move {
                    handle_lines(stream, peer, r, limits(), s).await;
                }
            },
        ));
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(&input).await.unwrap();
        client.shutdown().await.unwrap();
        drop(client);
        // Wait until the connection task has seen the end of the stream.
        tokio::time::sleep(Duration::from_millis(100)).await;
        shutdown.cancel();
        server.await.unwrap();
        tracker.close();
        tracker.wait().await;
        receiver
    }

    #[tokio::test]
    async fn bad_lines_are_skipped_and_the_rest_stored() {
        let mut input = b"a.b 1 100\ngarbage\n\xff\xfe 1 2\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 200));
        input.extend(b"\nc.d 2 200\r\n\n../x 1 1\ne.f nan 1\ng.h 3 nan\ni.j 4 300");
        let r = run_lines(input).await;
        assert_eq!(r.cache.get("a.b"), vec![(100.0, 1.0)]);
        assert_eq!(r.cache.get("c.d"), vec![(200.0, 2.0)]);
        // The unterminated last line is discarded.
        assert!(r.cache.get("i.j").is_empty());
        assert_eq!(r.cache.size(), 2);
        // garbage, invalid UTF-8, too long, empty, nan timestamp.
        assert_eq!(Stats::get(&r.stats.invalid_input), 5);
        assert_eq!(Stats::get(&r.stats.unsafe_names), 1);
    }
}
