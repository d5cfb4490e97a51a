//! The cache query port ("carbonlink"): graphite-web asks for the points of a metric that are
//! still in the cache, and reads or sets a file's aggregation method. Frames are length-prefixed
//! pickles both ways; responses are pickled with protocol 2, as carbon 1.1.10 answers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::BytesMut;
use carbon_proto::carbonlink::{Request, Response, TimestampKind};
use carbon_proto::pickle::Value;
use carbon_proto::LengthPrefixedCodec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::cache::MetricCache;
use crate::stats::Stats;

/// Largest request accepted. graphite-web's requests are a few bytes per metric name; the
/// reference allows 1 GiB, which would let one client make us buffer that much.
pub const MAX_REQUEST_BYTES: usize = 64 << 20;

/// What the cache query handler reads from.
#[derive(Debug)]
pub struct CacheQuery {
    /// The cache.
    pub cache: Arc<MetricCache>,
    /// Counters.
    pub stats: Arc<Stats>,
    /// LOCAL_DATA_DIR, for the metadata requests.
    pub data_dir: PathBuf,
    /// TAG_HASH_FILENAMES, to find a tagged metric's file.
    pub tag_hash_filenames: bool,
    /// Timestamps are answered as ints when MIN_TIMESTAMP_RESOLUTION made them whole.
    pub timestamps: TimestampKind,
    /// LOG_CACHE_HITS.
    pub log_cache_hits: bool,
}

impl CacheQuery {
    /// Answers one request.
    pub async fn answer(&self, request: Request, peer: SocketAddr) -> Response {
        match request {
            Request::CacheQuery { metric } => {
                Stats::add(&self.stats.cache_queries, 1);
                let points = self.cache.get(&metric);
                if self.log_cache_hits {
                    info!(target: "query", "[{peer}] cache query for \"{metric}\" returned {} values", points.len());
                }
                Response::Datapoints(points)
            }
            Request::CacheQueryBulk { metrics } => {
                Stats::add(&self.stats.cache_bulk_queries, 1);
                Stats::add(&self.stats.cache_bulk_query_metrics, metrics.len() as u64);
                let found = self.cache.get_many(metrics.iter());
                if self.log_cache_hits {
                    let total: usize = found.iter().map(Vec::len).sum();
                    info!(target: "query", "[{peer}] cache query bulk for \"{}\" metrics returned {total} values", metrics.len());
                }
                Response::DatapointsByMetric(metrics.into_iter().zip(found).collect())
            }
            Request::GetMetadata { metric, key } => self.metadata(metric, key, None).await,
            Request::SetMetadata { metric, key, value } => {
                self.metadata(metric, key, Some(value)).await
            }
            Request::Invalid { request_type } => Response::invalid_type(&request_type),
        }
    }

    /// `getMetadata`/`setMetadata` of the whisper database: only `aggregationMethod` exists.
    async fn metadata(&self, metric: String, key: String, new: Option<Value>) -> Response {
        if key != "aggregationMethod" {
            return Response::Error(format!("Unsupported metadata key \"{key}\""));
        }
        if let Err(e) = graphite_tags::validate_metric_name(&metric) {
            return Response::Error(e.to_string());
        }
        let path = self.data_dir.join(graphite_tags::relative_path(
            &metric,
            self.tag_hash_filenames,
        ));
        let work = move || -> Result<Response, String> {
            match new {
                None => {
                    let header = whisper::info(&path).map_err(|e| e.to_string())?;
                    Ok(Response::Metadata(Value::Str(
                        header.aggregation_method.name().to_string(),
                    )))
                }
                Some(value) => {
                    let name = value.as_str().ok_or("the new value is not a string")?;
                    let method: whisper::AggregationMethod =
                        name.parse().map_err(|e: whisper::Error| e.to_string())?;
                    let old = whisper::Whisper::default()
                        .set_aggregation_method(&path, method, None)
                        .map_err(|e| e.to_string())?;
                    Ok(Response::MetadataSet {
                        old_value: Value::Str(old.name().to_string()),
                        new_value: value,
                    })
                }
            }
        };
        match tokio::task::spawn_blocking(work).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => Response::Error(e),
            Err(e) => Response::Error(e.to_string()),
        }
    }
}

/// Serves one cache query connection: many requests, each answered in turn.
pub async fn handle_queries(
    mut stream: TcpStream,
    peer: SocketAddr,
    query: Arc<CacheQuery>,
    shutdown: CancellationToken,
) {
    let mut codec = LengthPrefixedCodec::new(MAX_REQUEST_BYTES);
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        while let Some(frame) = match codec.decode(&mut buf) {
            Ok(f) => f,
            Err(e) => {
                warn!(%peer, error = %e, "bad cache query frame, closing");
                return;
            }
        } {
            let request = match Request::decode(&frame) {
                Ok(r) => r,
                Err(e) => {
                    // The reference drops the connection on a request it cannot read.
                    warn!(%peer, error = %e, "invalid cache query, closing");
                    return;
                }
            };
            let response = query.answer(request, peer).await.encode(query.timestamps);
            let mut out = Vec::with_capacity(4 + response.len());
            out.extend_from_slice(&(response.len() as u32).to_be_bytes());
            out.extend_from_slice(&response);
            if let Err(e) = stream.write_all(&out).await {
                debug!(%peer, error = %e, "write failed");
                return;
            }
        }
        let read = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = stream.read_buf(&mut buf) => r,
        };
        match read {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                debug!(%peer, error = %e, "read failed");
                return;
            }
        }
    }
}
