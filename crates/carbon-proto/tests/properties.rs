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

/// The fast carbon-payload decoder either declines or gives exactly the generic path's points
/// (and only when the generic path reports no element errors).
fn fast_path_agrees(data: &[u8], limits: pickle::Limits) -> Result<(), TestCaseError> {
    let Some(fast) = pickle::carbon_points(data, limits) else {
        return Ok(());
    };
    let value = pickle::decode_with_limits(data, limits);
    prop_assert!(value.is_ok(), "fast path accepted {:?}: {:?}", data, value);
    let generic = pickle::datapoints(&value.unwrap());
    prop_assert!(generic.is_ok(), "fast path accepted {:?}", data);
    let (points, errors) = generic.unwrap();
    prop_assert!(errors.is_empty(), "{:?}: {:?}", data, errors);
    prop_assert_eq!(points.len(), fast.len());
    for (p, (m, t, v)) in points.iter().zip(&fast) {
        prop_assert_eq!(&p.metric, m);
        prop_assert_eq!(p.timestamp.to_bits(), t.to_bits());
        prop_assert_eq!(p.value.to_bits(), v.to_bits());
    }
    Ok(())
}

/// Mostly carbon-shaped payloads, with some odd elements.
fn carbon_value() -> impl Strategy<Value = Value> {
    let num = prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Str("1.5".into())),
        Just(Value::BigInt("123456789012345678901234567890".into())),
    ];
    let name = prop_oneof![
        "[a-z.]{0,12}".prop_map(Value::Str),
        "\\PC{0,4}".prop_map(Value::Str),
        Just(Value::Bytes(b"m".to_vec())),
    ];
    let pair = (num.clone(), num).prop_map(|(t, v)| Value::Tuple(vec![t, v]));
    let elem = prop_oneof![
        8 => (name.clone(), pair.clone()).prop_map(|(n, p)| Value::Tuple(vec![n, p])),
        1 => (name.clone(), pair.clone()).prop_map(|(n, p)| Value::List(vec![n, p])),
        1 => name,
        1 => pair,
    ];
    prop_oneof![
        8 => prop::collection::vec(elem.clone(), 0..12).prop_map(Value::List),
        1 => prop::collection::vec(elem, 0..4).prop_map(Value::Tuple),
        1 => value(),
    ]
}

/// Pieces of carbon pickles at protocols 0 to 5, to be strung together in any order.
fn pickle_piece() -> impl Strategy<Value = Vec<u8>> {
    let fixed: Vec<&'static [u8]> = vec![
        b"\x80\x02",
        b"\x80\x04",
        b"\x80\x06",
        b"\x95\x02\0\0\0\0\0\0\0",
        b"]",
        b"(",
        b"l",
        b"a",
        b"e",
        b"\x86",
        b"\x85",
        b"t",
        b".",
        b"0",
        b"2",
        b"\x8c\x03a.b",
        b"\x8c\x00",
        b"X\x01\0\0\0x",
        b"U\x01y",
        b"T\x01\0\0\0z",
        b"Va.b\n",
        b"V\\u00e9\n",
        b"S'q'\n",
        b"\x8c\x02\xc3\xa9",
        b"\x8c\x01\xff",
        b"C\x01b",
        b"G?\xf8\0\0\0\0\0\0",
        b"G\x7f\xf8\0\0\0\0\0\0",
        b"J\xff\xff\xff\xff",
        b"K\x07",
        b"M\x01\x02",
        b"\x8a\x06\0\0\0\0\0\x01",
        b"\x8a\x09\0\0\0\0\0\0\0\0\x01",
        b"\x8a\0",
        b"I12\n",
        b"I01\n",
        b"I1x\n",
        b"L99L\n",
        b"F2.5\n",
        b"F1e999\n",
        b"\x88",
        b"\x89",
        b"N",
        b"\x94",
        b"p3\n",
        b"g3\n",
        b"r\x01\0\0\0",
        b"j\x01\0\0\0",
        b")",
        b"}",
    ];
    prop_oneof![
        4 => prop::sample::select(fixed).prop_map(<[u8]>::to_vec),
        1 => (0u8..4).prop_map(|i| vec![b'q', i]),
        1 => (0u8..4).prop_map(|i| vec![b'h', i]),
    ]
}

/// Pickles built from [`pickle_piece`]s, most of them of the usual carbon shape.
fn pieced_pickle() -> impl Strategy<Value = Vec<u8>> {
    let point = prop::collection::vec(pickle_piece(), 0..4).prop_map(|extra| {
        let mut p = b"\x8c\x03a.bq\x01K\x01G?\xf8\0\0\0\0\0\0\x86q\x02\x86q\x03".to_vec();
        for e in extra {
            p.extend(e);
        }
        p
    });
    prop_oneof![
        prop::collection::vec(pickle_piece(), 0..24).prop_map(|v| v.concat()),
        prop::collection::vec(point, 0..6).prop_map(|v| {
            let mut p = b"\x80\x02]q\x00(".to_vec();
            for x in v {
                p.extend(x);
            }
            p.extend(b"e.");
            p
        }),
    ]
}

fn limits() -> impl Strategy<Value = pickle::Limits> {
    prop_oneof![
        3 => Just(pickle::Limits::default()),
        1 => (0usize..5, 0usize..40, 0usize..20).prop_map(|(max_depth, max_items, max_bytes)| {
            pickle::Limits { max_depth, max_items, max_bytes }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn fast_carbon_path_agrees_on_encoded_values(v in carbon_value(), lim in limits()) {
        let data = pickle::encode(&v);
        fast_path_agrees(&data, lim)?;
    }

    #[test]
    fn fast_carbon_path_agrees_on_mutated_pickles(v in carbon_value(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut data = pickle::encode(&v);
        for (i, b) in flips {
            let i = i.index(data.len());
            data[i] = b;
        }
        fast_path_agrees(&data, pickle::Limits::default())?;
    }

    #[test]
    fn fast_carbon_path_agrees_on_pieced_pickles(data in pieced_pickle(), lim in limits()) {
        fast_path_agrees(&data, lim)?;
    }

    #[test]
    fn fast_carbon_path_agrees_on_bytes(data in prop::collection::vec(any::<u8>(), 0..64)) {
        fast_path_agrees(&data, pickle::Limits::default())?;
    }
}
