//! The cache-query ("carbonlink") protocol of `CACHE_QUERY_PORT`: graphite-web sends a pickled
//! dict per frame (protocol 5 from graphite-web 1.1.10), carbon answers with a dict pickled at
//! protocol 2, both in [`LengthPrefixedCodec`](crate::LengthPrefixedCodec) frames.
//!
//! [`Request::from_value`] reads a decoded request as `CacheManagementHandler.stringReceived`
//! does; [`Response`] builds the answer dicts and [`Response::encode`] their bytes.

use crate::pickle::{self, Value};

/// A cache-query request.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `{'type': 'cache-query', 'metric': m}`: the cached points of one metric.
    CacheQuery {
        /// The name as sent (the reference does not normalise it).
        metric: String,
    },
    /// `{'type': 'cache-query-bulk', 'metrics': [m, ...]}`: the cached points of several.
    CacheQueryBulk {
        /// The names as sent, in order, repeats included.
        metrics: Vec<String>,
    },
    /// `{'type': 'get-metadata', 'metric': m, 'key': k}`: a whisper file's metadata
    /// (only `aggregationMethod` exists; anything else is answered with an error).
    GetMetadata {
        /// The metric whose file is read.
        metric: String,
        /// The metadata key.
        key: String,
    },
    /// `{'type': 'set-metadata', 'metric': m, 'key': k, 'value': v}`.
    SetMetadata {
        /// The metric whose file is changed.
        metric: String,
        /// The metadata key.
        key: String,
        /// The new value, as sent (echoed back as `new_value`).
        value: Value,
    },
    /// Any other `type`; answered with [`Response::invalid_type`].
    Invalid {
        /// Python's `str()` of the `type` value.
        request_type: String,
    },
}

/// A request the reference cannot answer: it raises and drops the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The frame did not unpickle.
    #[error("invalid request pickle: {0}")]
    Pickle(#[from] pickle::PickleError),
    /// The request is not a dict.
    #[error("request is a {0}, not a dict")]
    NotADict(&'static str),
    /// A key the request type needs is missing (KeyError in the reference).
    #[error("request has no {0:?} key")]
    MissingKey(&'static str),
    /// A metric name, metric list or metadata key that is not a `str` (or list of them). The
    /// reference would answer an empty result or an error dict; graphite-web never sends one.
    #[error("request field {0:?} has the wrong type")]
    FieldType(&'static str),
}

fn field<'a>(req: &'a Value, key: &'static str) -> Result<&'a Value, RequestError> {
    req.get(key).ok_or(RequestError::MissingKey(key))
}

fn str_field(req: &Value, key: &'static str) -> Result<String, RequestError> {
    field(req, key)?
        .as_str()
        .map(str::to_owned)
        .ok_or(RequestError::FieldType(key))
}

impl Request {
    /// Decodes a request frame (a pickle of any protocol) with the default limits.
    pub fn decode(frame: &[u8]) -> Result<Self, RequestError> {
        Self::from_value(&pickle::decode(frame)?)
    }

    /// Reads a decoded request dict.
    pub fn from_value(req: &Value) -> Result<Self, RequestError> {
        if !matches!(req, Value::Dict(_)) {
            return Err(RequestError::NotADict(req.type_name()));
        }
        let request_type = field(req, "type")?;
        Ok(match request_type.as_str() {
            Some("cache-query") => Request::CacheQuery {
                metric: str_field(req, "metric")?,
            },
            Some("cache-query-bulk") => {
                let metrics = match field(req, "metrics")? {
                    Value::List(items) | Value::Tuple(items) => items
                        .iter()
                        .map(|m| m.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or(RequestError::FieldType("metrics"))?,
                    _ => return Err(RequestError::FieldType("metrics")),
                };
                Request::CacheQueryBulk { metrics }
            }
            Some("get-metadata") => Request::GetMetadata {
                metric: str_field(req, "metric")?,
                key: str_field(req, "key")?,
            },
            Some("set-metadata") => Request::SetMetadata {
                metric: str_field(req, "metric")?,
                key: str_field(req, "key")?,
                value: field(req, "value")?.clone(),
            },
            _ => Request::Invalid {
                request_type: request_type.py_str(),
            },
        })
    }
}

/// How cached timestamps are pickled: carbon keeps floats, or ints when
/// `MIN_TIMESTAMP_RESOLUTION` is set (its `int(ts) // res * res`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampKind {
    /// `MIN_TIMESTAMP_RESOLUTION = 0` (the default): Python floats.
    #[default]
    Float,
    /// `MIN_TIMESTAMP_RESOLUTION` non-zero: Python ints.
    Int,
}

/// A cache-query answer; [`Response::to_value`] is the dict carbon pickles.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// `{'datapoints': [(ts, value), ...]}`, in the cache's order.
    Datapoints(Vec<(f64, f64)>),
    /// `{'datapointsByMetric': {metric: [(ts, value), ...], ...}}`. A metric repeated in the
    /// request appears once, at its first position (it is a Python dict).
    DatapointsByMetric(Vec<(String, Vec<(f64, f64)>)>),
    /// `{'value': v}` for get-metadata.
    Metadata(Value),
    /// `{'old_value': old, 'new_value': new}` for set-metadata.
    MetadataSet {
        /// The value before the change.
        old_value: Value,
        /// The value set (the request's `value`).
        new_value: Value,
    },
    /// `{'error': message}`; graphite-web raises `CarbonLinkRequestError(message)`.
    Error(String),
}

impl Response {
    /// The answer to a request of an unknown type: `Invalid request type "<type>"`.
    pub fn invalid_type(request_type: &str) -> Self {
        Response::Error(format!("Invalid request type \"{request_type}\""))
    }

    /// The dict carbon would pickle.
    pub fn to_value(&self, timestamps: TimestampKind) -> Value {
        let points = |pts: &[(f64, f64)]| {
            Value::List(
                pts.iter()
                    .map(|&(ts, v)| {
                        let ts = match timestamps {
                            TimestampKind::Float => Value::Float(ts),
                            TimestampKind::Int => int_value(ts),
                        };
                        Value::Tuple(vec![ts, Value::Float(v)])
                    })
                    .collect(),
            )
        };
        let key = |k: &str| Value::Str(k.to_owned());
        let pairs = match self {
            Response::Datapoints(pts) => vec![(key("datapoints"), points(pts))],
            Response::DatapointsByMetric(by_metric) => {
                let mut out: Vec<(Value, Value)> = Vec::with_capacity(by_metric.len());
                for (metric, pts) in by_metric {
                    let value = points(pts);
                    match out.iter_mut().find(|(k, _)| k.as_str() == Some(metric)) {
                        Some(slot) => slot.1 = value,
                        None => out.push((key(metric), value)),
                    }
                }
                vec![(key("datapointsByMetric"), Value::Dict(out))]
            }
            Response::Metadata(v) => vec![(key("value"), v.clone())],
            Response::MetadataSet {
                old_value,
                new_value,
            } => vec![
                (key("old_value"), old_value.clone()),
                (key("new_value"), new_value.clone()),
            ],
            Response::Error(msg) => vec![(key("error"), key(msg))],
        };
        Value::Dict(pairs)
    }

    /// The response frame's payload: `pickle.dumps(result, protocol=2)`.
    pub fn encode(&self, timestamps: TimestampKind) -> Vec<u8> {
        pickle::encode(&self.to_value(timestamps))
    }
}

/// A whole-number timestamp as a Python int.
fn int_value(ts: f64) -> Value {
    if ts.abs() < 9.2e18 {
        Value::Int(ts as i64)
    } else if ts.is_finite() {
        Value::BigInt(format!("{ts:.0}"))
    } else {
        Value::Float(ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }
    fn dict(pairs: &[(&str, Value)]) -> Value {
        Value::Dict(pairs.iter().map(|(k, v)| (s(k), v.clone())).collect())
    }

    #[test]
    fn requests() {
        let ok: &[(Value, Request)] = &[
            (
                dict(&[("type", s("cache-query")), ("metric", s("a.b"))]),
                Request::CacheQuery {
                    metric: "a.b".into(),
                },
            ),
            (
                dict(&[
                    ("type", s("cache-query-bulk")),
                    ("metrics", Value::List(vec![s("a"), s("a")])),
                ]),
                Request::CacheQueryBulk {
                    metrics: vec!["a".into(), "a".into()],
                },
            ),
            (
                dict(&[
                    ("metric", s("m")),
                    ("key", s("aggregationMethod")),
                    ("type", s("get-metadata")),
                ]),
                Request::GetMetadata {
                    metric: "m".into(),
                    key: "aggregationMethod".into(),
                },
            ),
            (
                dict(&[
                    ("type", s("set-metadata")),
                    ("metric", s("m")),
                    ("key", s("k")),
                    ("value", Value::None),
                ]),
                Request::SetMetadata {
                    metric: "m".into(),
                    key: "k".into(),
                    value: Value::None,
                },
            ),
            (
                dict(&[("type", s("nope"))]),
                Request::Invalid {
                    request_type: "nope".into(),
                },
            ),
            (
                dict(&[("type", Value::Int(5))]),
                Request::Invalid {
                    request_type: "5".into(),
                },
            ),
            (
                dict(&[("type", Value::Bytes(b"cache-query".to_vec()))]),
                Request::Invalid {
                    request_type: "b'cache-query'".into(),
                },
            ),
        ];
        for (v, want) in ok {
            assert_eq!(Request::from_value(v).as_ref(), Ok(want), "{v:?}");
        }
        let bad: &[(Value, RequestError)] = &[
            (Value::List(vec![]), RequestError::NotADict("list")),
            (
                dict(&[("metric", s("m"))]),
                RequestError::MissingKey("type"),
            ),
            (
                dict(&[("type", s("cache-query"))]),
                RequestError::MissingKey("metric"),
            ),
            (
                dict(&[("type", s("cache-query")), ("metric", Value::Int(1))]),
                RequestError::FieldType("metric"),
            ),
            (
                dict(&[
                    ("type", s("set-metadata")),
                    ("metric", s("m")),
                    ("key", s("k")),
                ]),
                RequestError::MissingKey("value"),
            ),
        ];
        for (v, want) in bad {
            assert_eq!(Request::from_value(v).as_ref(), Err(want), "{v:?}");
        }
    }

    #[test]
    fn responses() {
        let r = Response::DatapointsByMetric(vec![
            ("a".into(), vec![(1.0, 2.0)]),
            ("b".into(), vec![]),
            ("a".into(), vec![(1.0, 2.0)]),
        ]);
        assert_eq!(
            r.to_value(TimestampKind::Int),
            dict(&[(
                "datapointsByMetric",
                dict(&[
                    (
                        "a",
                        Value::List(vec![Value::Tuple(vec![Value::Int(1), Value::Float(2.0)])])
                    ),
                    ("b", Value::List(vec![])),
                ]),
            )])
        );
        assert_eq!(
            Response::invalid_type("x").to_value(TimestampKind::Float),
            dict(&[("error", s("Invalid request type \"x\""))])
        );
    }
}
