//! Python pickles, safely: [`decode`] reads protocols 0 to 5 into a plain [`Value`] tree and
//! refuses every opcode that would import a name or construct an object; [`encode`] writes a
//! [`Value`] as `pickle.dumps(value, protocol=2)` does, byte for byte; [`datapoints`] applies
//! the pickle receiver's rules to a decoded payload; [`carbon_points`] reads the usual carbon
//! payload directly into borrowed points, declining anything else.
//!
//! Decoding is bounded by [`Limits`] (nesting depth, number of values, bytes of strings), so
//! a small hostile pickle cannot expand into a large tree through memo references.

mod datapoints;
mod decode;
mod encode;
mod fast;
mod value;

pub use datapoints::{datapoints, ElementError, PayloadError};
pub use decode::{decode, decode_with_limits, Limits, PickleError};
pub use encode::encode;
pub use fast::{carbon_points, BorrowedPoint};
pub use value::Value;
