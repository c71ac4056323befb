//! Property paths and their decoding, and header helpers.
//!
//! Envoy >= 1.33 serves node facts under `xds.node`; older versions under `node`.
//! Integers arrive as 8-byte little-endian values. A missing or unreadable property
//! is `None`: an unknown value, never a crash. The paths read on every request are
//! serialized here once (segments joined by NUL bytes), not on each read.

use proxy_wasm::hostcalls;
use proxy_wasm::types::{Bytes, LogLevel, MapType};

use super::abi;
use crate::policy::{NodeFacts, NodeInfo};

/// `["xds","listener_direction"]`, Envoy >= 1.33.
pub const LISTENER_DIRECTION: &[u8] = b"xds\0listener_direction";
/// `["listener_direction"]`, Envoy <= 1.32.
pub const LEGACY_LISTENER_DIRECTION: &[u8] = b"listener_direction";
/// Whether the downstream connection is mTLS.
pub const CONNECTION_MTLS: &[u8] = b"connection\0mtls";
/// The downstream peer's first URI SAN.
pub const PEER_URI_SAN: &[u8] = b"connection\0uri_san_peer_certificate";
/// Request bytes on the wire, headers and body.
pub const REQUEST_TOTAL_SIZE: &[u8] = b"request\0total_size";
/// Response bytes on the wire, headers and body.
pub const RESPONSE_TOTAL_SIZE: &[u8] = b"response\0total_size";
/// The HTTP protocol of the stream (`HTTP/1.1`, ...): present for an HTTP filter's
/// stream from its creation, absent for a network filter's connection (verified on
/// Envoy 1.40), so it tells the two apart.
pub const REQUEST_PROTOCOL: &[u8] = b"request\0protocol";
/// The connection's destination port, an 8-byte little-endian integer.
pub const DESTINATION_PORT: &[u8] = b"destination\0port";
/// The server name the client asked for in its TLS handshake.
pub const REQUESTED_SERVER_NAME: &[u8] = b"connection\0requested_server_name";

/// Reads a property, by its serialized path, as raw bytes.
pub fn property(path: &[u8]) -> Option<Bytes> {
    abi::property(path)
}

/// Reads a property as a UTF-8 string, by its path segments (configure time).
fn property_string(path: &[&str]) -> Option<String> {
    hostcalls::get_property(path.to_vec())
        .ok()
        .flatten()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

/// Reads an 8-byte little-endian integer property.
pub fn property_u64(path: &[u8]) -> Option<u64> {
    let bytes = property(path)?;
    <[u8; 8]>::try_from(bytes.as_slice())
        .ok()
        .map(u64::from_le_bytes)
}

/// Reads the node facts of both property generations.
pub fn node_facts() -> NodeFacts {
    NodeFacts {
        xds: node_info(&["xds"]),
        legacy: node_info(&[]),
    }
}

fn node_info(prefix: &[&str]) -> NodeInfo {
    let read = |tail: &[&str]| property_string(&[prefix, tail].concat());
    NodeInfo {
        cluster: read(&["node", "metadata", "CLUSTER_ID"]),
        region: read(&["node", "locality", "region"]),
        zone: read(&["node", "locality", "zone"]),
    }
}

/// All request headers in one host call, as the host serialized them (read them
/// with `Policy::read_headers`); empty when there are none.
pub fn request_headers() -> Bytes {
    abi::request_header_pairs().unwrap_or_default()
}

/// Replaces every value of a request header.
pub fn set_request_header(name: &str, value: &str) {
    if let Err(status) = hostcalls::set_map_value(MapType::HttpRequestHeaders, name, Some(value)) {
        log::warn!("could not set header {name}: {status:?}");
    }
}

/// Removes a request header.
pub fn remove_request_header(name: &str) {
    if let Err(status) = hostcalls::remove_map_value(MapType::HttpRequestHeaders, name) {
        log::warn!("could not remove header {name}: {status:?}");
    }
}

/// Logs a line the filter already rendered (a JSON decision line), straight to the
/// host: the `log` macros would format it into a second string first.
pub fn log_line(level: LogLevel, line: &str) {
    let _ignored = hostcalls::log(level, line);
}

/// The host's clock in nanoseconds since the Unix epoch; 0 when it cannot be read,
/// so a rate limit on it lets only the first line through.
pub fn now_nanos() -> u64 {
    hostcalls::get_current_time()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}
