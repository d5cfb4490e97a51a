//! The pickle receiver's payload rules (`MetricPickleReceiver.stringReceived`).
//!
//! The payload is iterated as Python iterates it; each element is unpacked as
//! `(metric, (timestamp, value))` (any two-item iterable works, as in Python: lists, tuples,
//! two-character strings, dicts by key), and the numbers go through Python's `float()`, so
//! `'2.5'`, `b'2.5'`, ints, bools and huge ints are accepted.

use crate::python;
use crate::Datapoint;

use super::Value;

/// A payload the reference cannot process at all: it raises an exception it does not catch
/// and closes the connection. Points of earlier elements have been delivered by then; we
/// refuse the whole frame instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload is not iterable (`None`, a number): TypeError in the reference.
    #[error("payload is a {type_name}, not a list of datapoints")]
    NotIterable {
        /// Python's name of the payload's type.
        type_name: &'static str,
    },
    /// An element with valid numbers whose metric name is not a `str` (`bytes` from a
    /// protocol-3+ client, a number, ...): AttributeError in the reference.
    #[error("element {index}: metric name is a {type_name}, not a str")]
    MetricNotStr {
        /// The element's position in the payload.
        index: usize,
        /// Python's name of the metric's type.
        type_name: &'static str,
    },
    /// A timestamp or value that is an int too large for a float: OverflowError in the
    /// reference.
    #[error("element {index}: integer too large to convert to float")]
    Overflow {
        /// The element's position in the payload.
        index: usize,
    },
}

/// An element skipped while the rest of the payload is processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ElementError {
    /// The element is not `(metric, (timestamp, value))`-shaped. The reference logs
    /// `Error decoding pickle: <reason>`.
    #[error("element {index}: {reason}")]
    Shape {
        /// The element's position in the payload.
        index: usize,
        /// Python's exception message.
        reason: String,
    },
    /// The timestamp or value is not a number for `float()`. The reference skips the element
    /// silently.
    #[error("element {index}: timestamp or value is not a number")]
    NotANumber {
        /// The element's position in the payload.
        index: usize,
    },
}

/// The datapoints of a decoded pickle payload, in order, and the elements skipped.
///
/// The points are as received: a NaN value or the `-1` timestamp is left to
/// [`normalize`](crate::normalize), which the caller applies next.
pub fn datapoints(payload: &Value) -> Result<(Vec<Datapoint>, Vec<ElementError>), PayloadError> {
    let mut points = Vec::new();
    let mut errors = Vec::new();
    let mut each = |index: usize, raw: Item<'_>| -> Result<(), PayloadError> {
        match element(index, raw)? {
            Ok(dp) => points.push(dp),
            Err(e) => errors.push(e),
        }
        Ok(())
    };
    match payload {
        Value::List(items) | Value::Tuple(items) | Value::Set(items) | Value::FrozenSet(items) => {
            for (i, v) in items.iter().enumerate() {
                each(i, Item::V(v))?;
            }
        }
        Value::Dict(pairs) => {
            for (i, (k, _)) in pairs.iter().enumerate() {
                each(i, Item::V(k))?;
            }
        }
        Value::Str(s) => {
            for (i, c) in s.chars().enumerate() {
                each(i, Item::Char(c))?;
            }
        }
        Value::Bytes(b) => {
            for (i, &c) in b.iter().enumerate() {
                each(i, Item::Byte(c))?;
            }
        }
        other => {
            return Err(PayloadError::NotIterable {
                type_name: other.type_name(),
            })
        }
    }
    Ok((points, errors))
}

/// One item of an iteration: a value, or what iterating a `str` or `bytes` yields.
#[derive(Clone, Copy)]
enum Item<'a> {
    V(&'a Value),
    /// A one-character `str`.
    Char(char),
    /// An `int` from iterating `bytes`.
    Byte(u8),
}

impl Item<'_> {
    fn type_name(self) -> &'static str {
        match self {
            Item::V(v) => v.type_name(),
            Item::Char(_) => "str",
            Item::Byte(_) => "int",
        }
    }
}

/// Python's `a, b = item`.
fn unpack2(item: Item<'_>) -> Result<(Item<'_>, Item<'_>), String> {
    let wrong = |got: usize| {
        if got > 2 {
            "too many values to unpack (expected 2)".to_owned()
        } else {
            format!("not enough values to unpack (expected 2, got {got})")
        }
    };
    match item {
        Item::V(Value::List(v) | Value::Tuple(v) | Value::Set(v) | Value::FrozenSet(v)) => {
            match v.as_slice() {
                [a, b] => Ok((Item::V(a), Item::V(b))),
                other => Err(wrong(other.len())),
            }
        }
        Item::V(Value::Dict(pairs)) => match pairs.as_slice() {
            [(a, _), (b, _)] => Ok((Item::V(a), Item::V(b))),
            other => Err(wrong(other.len())),
        },
        Item::V(Value::Str(s)) => {
            let mut chars = s.chars();
            match (chars.next(), chars.next(), chars.next()) {
                (Some(a), Some(b), None) => Ok((Item::Char(a), Item::Char(b))),
                _ => Err(wrong(s.chars().take(3).count())),
            }
        }
        Item::V(Value::Bytes(b)) => match b.as_slice() {
            [x, y] => Ok((Item::Byte(*x), Item::Byte(*y))),
            other => Err(wrong(other.len())),
        },
        Item::Char(_) => Err(wrong(1)),
        other => Err(format!(
            "cannot unpack non-iterable {} object",
            other.type_name()
        )),
    }
}

enum Conv {
    NotANumber,
    Overflow,
}

/// Python's `float(item)`.
fn to_float(item: Item<'_>) -> Result<f64, Conv> {
    match item {
        Item::V(Value::Float(f)) => Ok(*f),
        Item::V(Value::Int(i)) => Ok(*i as f64),
        Item::V(Value::Bool(b)) => Ok(f64::from(u8::from(*b))),
        Item::V(Value::BigInt(digits)) => match digits.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err(Conv::Overflow),
        },
        Item::V(Value::Str(s)) => python::float_from_str(s).ok_or(Conv::NotANumber),
        Item::V(Value::Bytes(b)) => python::float_from_bytes(b).ok_or(Conv::NotANumber),
        Item::Char(c) => python::float_from_str(c.encode_utf8(&mut [0; 4])).ok_or(Conv::NotANumber),
        Item::Byte(b) => Ok(f64::from(b)),
        Item::V(_) => Err(Conv::NotANumber),
    }
}

fn element(index: usize, raw: Item<'_>) -> Result<Result<Datapoint, ElementError>, PayloadError> {
    let unpacked = unpack2(raw).and_then(|(metric, pair)| Ok((metric, unpack2(pair)?)));
    let (metric, (ts, value)) = match unpacked {
        Ok(x) => x,
        Err(reason) => return Ok(Err(ElementError::Shape { index, reason })),
    };
    let convert = |item| match to_float(item) {
        Ok(f) => Ok(Ok(f)),
        Err(Conv::NotANumber) => Ok(Err(ElementError::NotANumber { index })),
        Err(Conv::Overflow) => Err(PayloadError::Overflow { index }),
    };
    let timestamp = match convert(ts)? {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let value = match convert(value)? {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let metric = match metric {
        Item::V(Value::Str(s)) => s.clone(),
        Item::Char(c) => c.to_string(),
        other => {
            return Err(PayloadError::MetricNotStr {
                index,
                type_name: other.type_name(),
            })
        }
    };
    Ok(Ok(Datapoint {
        metric,
        timestamp,
        value,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }
    fn t(items: Vec<Value>) -> Value {
        Value::Tuple(items)
    }
    fn dp(metric: &str, timestamp: f64, value: f64) -> Datapoint {
        Datapoint {
            metric: metric.into(),
            timestamp,
            value,
        }
    }

    #[test]
    fn elements() {
        let payload = Value::List(vec![
            t(vec![s("a"), t(vec![Value::Int(10), Value::Float(1.5)])]),
            Value::List(vec![
                s("b"),
                Value::List(vec![s("20"), Value::Bytes(b"2.5".to_vec())]),
            ]),
            t(vec![s("c"), s("12")]),
            t(vec![
                s("d"),
                t(vec![
                    Value::Bool(true),
                    Value::BigInt("100000000000000000000".into()),
                ]),
            ]),
            t(vec![s("e")]),
            t(vec![s("f"), t(vec![Value::None, Value::Int(1)])]),
            t(vec![s("g"), t(vec![Value::Int(1), s("x")])]),
            Value::Int(5),
            t(vec![
                Value::Bytes(b"h".to_vec()),
                t(vec![s("bad"), Value::Int(1)]),
            ]),
            s("ab"),
        ]);
        let (points, errors) = datapoints(&payload).unwrap();
        assert_eq!(
            points,
            vec![
                dp("a", 10.0, 1.5),
                dp("b", 20.0, 2.5),
                dp("c", 1.0, 2.0),
                dp("d", 1.0, 1e20)
            ]
        );
        let shape = |index: usize, reason: &str| ElementError::Shape {
            index,
            reason: reason.into(),
        };
        assert_eq!(
            errors,
            vec![
                shape(4, "not enough values to unpack (expected 2, got 1)"),
                ElementError::NotANumber { index: 5 },
                ElementError::NotANumber { index: 6 },
                shape(7, "cannot unpack non-iterable int object"),
                ElementError::NotANumber { index: 8 },
                shape(9, "not enough values to unpack (expected 2, got 1)"),
            ]
        );
    }

    #[test]
    fn frame_errors() {
        assert_eq!(
            datapoints(&Value::None),
            Err(PayloadError::NotIterable {
                type_name: "NoneType"
            })
        );
        let bytes_metric = Value::List(vec![t(vec![
            Value::Bytes(b"m".to_vec()),
            t(vec![Value::Int(1), Value::Int(2)]),
        ])]);
        assert_eq!(
            datapoints(&bytes_metric),
            Err(PayloadError::MetricNotStr {
                index: 0,
                type_name: "bytes"
            })
        );
        let huge = Value::List(vec![t(vec![
            s("m"),
            t(vec![Value::BigInt(format!("1{}", "0".repeat(400))), s("x")]),
        ])]);
        assert_eq!(datapoints(&huge), Err(PayloadError::Overflow { index: 0 }));
        // Strings, dicts and bytes are iterable, so they are not frame errors.
        assert_eq!(datapoints(&s("")), Ok((vec![], vec![])));
        assert_eq!(datapoints(&Value::Dict(vec![])), Ok((vec![], vec![])));
        let (points, errors) = datapoints(&Value::Bytes(b"x".to_vec())).unwrap();
        assert!(points.is_empty() && errors.len() == 1);
    }
}
