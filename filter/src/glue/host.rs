//! Property paths and their decoding, and header helpers.
//!
//! Envoy >= 1.33 serves node facts under `xds.node`; older versions under `node`.
//! Integers arrive as 8-byte little-endian values. A missing or unreadable property
//! is `None`: an unknown value, never a crash.

use proxy_wasm::hostcalls;
use proxy_wasm::types::{Bytes, MapType};

use crate::policy::{NodeFacts, NodeInfo};

/// `["xds","listener_direction"]`, Envoy >= 1.33.
pub const LISTENER_DIRECTION: &[&str] = &["xds", "listener_direction"];
/// `["listener_direction"]`, Envoy <= 1.32.
pub const LEGACY_LISTENER_DIRECTION: &[&str] = &["listener_direction"];
/// Whether the downstream connection is mTLS.
pub const CONNECTION_MTLS: &[&str] = &["connection", "mtls"];
/// The downstream peer's first URI SAN.
pub const PEER_URI_SAN: &[&str] = &["connection", "uri_san_peer_certificate"];
/// Request bytes on the wire, headers and body.
pub const REQUEST_TOTAL_SIZE: &[&str] = &["request", "total_size"];
/// Response bytes on the wire, headers and body.
pub const RESPONSE_TOTAL_SIZE: &[&str] = &["response", "total_size"];

/// Reads a property as raw bytes.
pub fn property(path: &[&str]) -> Option<Bytes> {
    hostcalls::get_property(path.to_vec()).ok().flatten()
}

/// Reads a property as a UTF-8 string.
fn property_string(path: &[&str]) -> Option<String> {
    property(path).and_then(|bytes| String::from_utf8(bytes).ok())
}

/// Reads an 8-byte little-endian integer property.
pub fn property_u64(path: &[&str]) -> Option<u64> {
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

/// All request headers in one host call, values as bytes (a value need not be UTF-8).
pub fn request_headers() -> Vec<(String, Bytes)> {
    hostcalls::get_map_bytes(MapType::HttpRequestHeaders).unwrap_or_default()
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

/// Asks Envoy to pick the route again after the routing header changed.
pub fn clear_route_cache() {
    if let Err(status) = hostcalls::call_foreign_function("clear_route_cache", None) {
        log::debug!("clear_route_cache unavailable: {status:?}");
    }
}
