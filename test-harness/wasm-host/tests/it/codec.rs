//! The host's own formats and numbers, pinned against hand-written fixtures:
//! the header-map wire format, property paths, and the ABI's status codes and enums.

use proxy_wasm_host::abi::{BufferType, MapType, MetricType, StreamType};
use proxy_wasm_host::codec::{
    CodecError, MAX_PAIRS, decode_pairs, decode_path, encode_pairs, encode_path,
};
use proxy_wasm_host::{Action, Direction, LogLevel, PeerType, Status};

/// `[(":path", "/a"), ("x-empty", "")]` in the ABI's wire format.
#[rustfmt::skip]
const TWO_PAIRS: &[u8] = &[
    2, 0, 0, 0,             // two pairs
    5, 0, 0, 0, 2, 0, 0, 0, // ":path" is 5 bytes, "/a" 2
    7, 0, 0, 0, 0, 0, 0, 0, // "x-empty" is 7 bytes, "" 0
    b':', b'p', b'a', b't', b'h', 0, b'/', b'a', 0,
    b'x', b'-', b'e', b'm', b'p', b't', b'y', 0, 0,
];

#[test]
fn header_map_encodes_to_the_wire_fixture() {
    assert_eq!(encode_pairs(&[(":path", "/a"), ("x-empty", "")]), TWO_PAIRS);
}

#[test]
fn header_map_decodes_from_the_wire_fixture() {
    assert_eq!(
        decode_pairs(TWO_PAIRS),
        Ok(vec![
            (":path".to_owned(), b"/a".to_vec()),
            ("x-empty".to_owned(), Vec::new())
        ])
    );
}

#[test]
fn empty_header_map_is_a_zero_count_and_empty_input_is_no_pairs() {
    assert_eq!(encode_pairs::<&str, &str>(&[]), [0, 0, 0, 0]);
    assert_eq!(decode_pairs(&[0, 0, 0, 0]), Ok(Vec::new()));
    assert_eq!(decode_pairs(&[]), Ok(Vec::new()));
}

#[test]
fn header_values_are_bytes_and_survive_a_round_trip() {
    let pairs = [("x-bin", &[0xff_u8, 0x00, 0x80][..])];
    let decoded = decode_pairs(&encode_pairs(&pairs)).unwrap();
    assert_eq!(decoded, [("x-bin".to_owned(), vec![0xff, 0x00, 0x80])]);
}

#[test]
fn malformed_header_maps_are_refused_like_envoy_does() {
    let truncated = TWO_PAIRS.get(..TWO_PAIRS.len() - 1).unwrap();
    assert_eq!(decode_pairs(truncated), Err(CodecError::Truncated));

    let mut no_nul = TWO_PAIRS.to_vec();
    no_nul[25] = b'!'; // the NUL after ":path"
    assert_eq!(decode_pairs(&no_nul), Err(CodecError::MissingNul));

    let mut trailing = TWO_PAIRS.to_vec();
    trailing.push(0);
    assert_eq!(decode_pairs(&trailing), Err(CodecError::TrailingBytes));

    let count = u32::try_from(MAX_PAIRS + 1).unwrap().to_le_bytes();
    assert_eq!(decode_pairs(&count), Err(CodecError::TooLarge));

    let huge = vec![0; 1024 * 1024 + 1];
    assert_eq!(decode_pairs(&huge), Err(CodecError::TooLarge));

    assert_eq!(decode_pairs(&[1, 0]), Err(CodecError::Truncated));
}

#[test]
fn property_path_is_segments_joined_by_nul() {
    assert_eq!(
        encode_path(&["xds", "node", "metadata", "CLUSTER_ID"]),
        b"xds\0node\0metadata\0CLUSTER_ID"
    );
    assert_eq!(encode_path(&["listener_direction"]), b"listener_direction");
    assert_eq!(encode_path::<&str>(&[]), b"");
    assert_eq!(
        decode_path(b"connection\0uri_san_peer_certificate"),
        ["connection", "uri_san_peer_certificate"]
    );
    assert!(decode_path(b"").is_empty());
}

#[test]
fn status_codes_are_envoys() {
    let codes = [
        (Status::Ok, 0),
        (Status::NotFound, 1),
        (Status::BadArgument, 2),
        (Status::SerializationFailure, 3),
        (Status::ParseFailure, 4),
        (Status::BadExpression, 5),
        (Status::InvalidMemoryAccess, 6),
        (Status::Empty, 7),
        (Status::CasMismatch, 8),
        (Status::ResultMismatch, 9),
        (Status::InternalFailure, 10),
        (Status::BrokenConnection, 11),
        (Status::Unimplemented, 12),
    ];
    for (status, code) in codes {
        assert_eq!(status.code(), code, "{status:?}");
    }
}

#[test]
fn map_buffer_stream_and_metric_kinds_decode_from_their_numbers() {
    assert_eq!(MapType::from_code(0), Some(MapType::RequestHeaders));
    assert_eq!(MapType::from_code(1), Some(MapType::RequestTrailers));
    assert_eq!(MapType::from_code(2), Some(MapType::ResponseHeaders));
    assert_eq!(MapType::from_code(3), Some(MapType::ResponseTrailers));
    assert_eq!(
        MapType::from_code(7),
        Some(MapType::HttpCallResponseTrailers)
    );
    assert_eq!(MapType::from_code(8), None);
    assert_eq!(BufferType::from_code(0), Some(BufferType::RequestBody));
    assert_eq!(BufferType::from_code(6), Some(BufferType::VmConfiguration));
    assert_eq!(
        BufferType::from_code(7),
        Some(BufferType::PluginConfiguration)
    );
    assert_eq!(BufferType::from_code(9), None);
    assert_eq!(StreamType::from_code(0), Some(StreamType::Request));
    assert_eq!(StreamType::from_code(3), Some(StreamType::Upstream));
    assert_eq!(StreamType::from_code(4), None);
    assert_eq!(MetricType::from_code(2), Some(MetricType::Histogram));
    assert_eq!(MetricType::from_code(3), None);
}

#[test]
fn network_buffers_streams_and_peers_have_the_sdks_numbers() {
    assert_eq!(BufferType::from_code(2), Some(BufferType::DownstreamData));
    assert_eq!(BufferType::from_code(3), Some(BufferType::UpstreamData));
    assert_eq!(Direction::Downstream.buffer(), BufferType::DownstreamData);
    assert_eq!(Direction::Upstream.buffer(), BufferType::UpstreamData);
    assert_eq!(Direction::Downstream.stream_type(), StreamType::Downstream);
    assert_eq!(StreamType::from_code(2), Some(StreamType::Downstream));
    assert_eq!(
        [PeerType::Unknown, PeerType::Local, PeerType::Remote].map(PeerType::code),
        [0, 1, 2]
    );
}

#[test]
fn log_levels_and_actions_decode_from_their_numbers() {
    assert_eq!(LogLevel::from_code(0), Some(LogLevel::Trace));
    assert_eq!(LogLevel::from_code(5), Some(LogLevel::Critical));
    assert_eq!(LogLevel::from_code(6), None);
    assert_eq!(Action::from_code(0), Action::Continue);
    assert_eq!(Action::from_code(1), Action::Pause);
    assert_eq!(Action::from_code(7), Action::Other(7));
}
