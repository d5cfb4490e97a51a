//! Property tests: no input panics a parser or codec, and encode → decode round-trips.

use bytes::BytesMut;
use carbon_proto::pickle::{self, Value};
use carbon_proto::{parse_line, split_datagram, LengthPrefixedCodec, LineCodec};
use proptest::prelude::*;
use tokio_util::codec::Decoder;

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("NaN != NaN", |f| !f.is_nan())
            .prop_map(Value::Float),
        "\\PC{0,8}".prop_map(Value::Str),
        Just(Value::BigInt("-123456789012345678901234567890".into())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::List),
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Tuple),
            prop::collection::vec(("\\PC{0,4}".prop_map(Value::Str), inner), 0..6)
                .prop_map(Value::Dict),
        ]
    })
}

/// Drives a decoder over `data` fed in chunks, stopping at the first error as `FramedRead`
/// would, then at EOF.
fn drive<D: Decoder>(mut codec: D, data: &[u8], chunk: usize) {
    let mut buf = BytesMut::new();
    for piece in data.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => break,
            }
        }
    }
    let _ = codec.decode_eof(&mut buf);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn unpickler_never_panics(data in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = pickle::decode(&data);
    }

    #[test]
    fn unpickler_never_panics_on_mutated_pickles(v in value(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut data = pickle::encode(&v);
        for (i, b) in flips {
            let i = i.index(data.len());
            data[i] = b;
        }
        if let Ok(v) = pickle::decode(&data) {
            let _ = pickle::datapoints(&v);
        }
    }

    #[test]
    fn encode_decode_round_trips(v in value()) {
        prop_assert_eq!(pickle::decode(&pickle::encode(&v)), Ok(v));
    }

    #[test]
    fn line_parsing_never_panics(data in prop::collection::vec(any::<u8>(), 0..64), s in "\\PC{0,32}") {
        let _ = parse_line(&data);
        let _ = parse_line(s.as_bytes());
        let _ = split_datagram(&data).count();
    }

    #[test]
    fn codecs_never_panic(data in prop::collection::vec(any::<u8>(), 0..512), chunk in 1usize..64, max in 0usize..64) {
        drive(LineCodec::new(max), &data, chunk);
        drive(LengthPrefixedCodec::new(max), &data, chunk);
    }
}
