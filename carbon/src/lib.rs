//! carbon-cache: Graphite's ingestion daemon, a drop-in replacement for carbon 1.1.10 (and
//! later carbon-relay and carbon-aggregator).
//!
//! # Layout
//! - [`cache`]: the write-back cache ([`cache::MetricCache`]) between the receivers, which
//!   store points, and the writer, which pops whole metrics by a
//!   [`cache::WriteStrategy`] and writes them to whisper files; the cache query answers from
//!   it too.
//!
//! - [`receiver`]: what every received point goes through (lists, value and timestamp rules,
//!   name checks and normalisation) on its way into the cache, with flow control.
//! - [`listener`]: the plaintext (TCP, UDP) and pickle receivers: one accept loop, a codec per
//!   protocol, bad input counted and skipped without ending the connection.
//! - [`carbonlink`]: the cache query port graphite-web reads unflushed points from.
//! - [`writer`]: threads that pop metrics, create files by the storage schemas and write them,
//!   rate-limited by [`ratelimit::TokenBucket`]s, and flush everything on shutdown.
//! - [`daemon`]: binds the listeners and runs it all until the shutdown token fires.
//! - [`instrumentation`]: the daemon's own metrics (`carbon.agents.<host>-<instance>.*`).
//! - [`stats`]: counters and the log rate limit.
//! - [`tagdb`]: registration of new and updated series with the webapp's tag API (TagDB).
//! - [`log`]: the log files of LOG_DIR (or standard output), one per log type, rotated daily.
//! - [`privileges`]: the USER setting (root gives up its rights after binding).
//!
//! Names are normalised and mapped to files by the `graphite-tags` crate, configuration comes
//! from `carbon-conf`, wire formats from `carbon-proto`, and files are written with `whisper`.
#![forbid(unsafe_code)]

pub mod cache;
pub mod carbonlink;
pub mod daemon;
pub mod instrumentation;
pub mod listener;
pub mod log;
pub mod privileges;
pub mod ratelimit;
pub mod receiver;
pub mod stats;
pub mod tagdb;
pub mod writer;
