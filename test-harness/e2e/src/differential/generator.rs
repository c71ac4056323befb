//! Random requests, shared by the property test on the host and the differential
//! suite: header sets that mix the names the filter reads (tags, routing,
//! pseudo-headers) in random case with random names, and values that are
//! meaningful, arbitrary bytes, or huge; sent from each side a request can come
//! from (outbound, inbound plaintext, trusted and untrusted mTLS).
//!
//! [`wire_case`] turns one into a request Envoy can receive: the first `:method`
//! and `:path` become the request line (when they hold no space or line break,
//! else `GET` and `/`; later ones are dropped, a request line has one of each);
//! every `:authority` becomes a `host` line, in place (`host: eu-west-app` first
//! when there is none); a CR or LF in a value is sent as NUL, which Envoy refuses
//! as it refuses the line break, without the value splitting into two lines;
//! the headers that frame the message or the connection are left out; and an
//! `x-request-id` unique to the request is added when the set has none that is
//! not empty (Envoy would make up a random one).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use meshborder_filter::contract::header::{ROUTE_REGION, SOURCE_CLUSTER, SOURCE_REGION};

use super::case::{Case, Entry};
use crate::certs::ClientCert;
use crate::topology::US_EAST;

/// Where a generated request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// From the local app, through the outbound listener.
    Outbound,
    /// Inbound, in plaintext.
    InboundPlaintext,
    /// Inbound over mTLS from a peer `trustedPeers` trusts.
    InboundTrusted,
    /// Inbound over mTLS from a peer it does not.
    InboundUntrusted,
}

/// Any side.
pub fn side() -> impl Strategy<Value = Side> {
    prop_oneof![
        Just(Side::Outbound),
        Just(Side::InboundPlaintext),
        Just(Side::InboundTrusted),
        Just(Side::InboundUntrusted),
    ]
}

/// A header name: one the filter reads, in random case, or any token.
pub fn name() -> impl Strategy<Value = String> {
    let known = prop_oneof![
        Just(SOURCE_CLUSTER),
        Just(SOURCE_REGION),
        Just(ROUTE_REGION),
        Just("x-user-region"),
        Just("cf-ipcountry"),
        Just("x-request-id"),
        Just(":authority"),
        Just(":path"),
        Just(":method"),
    ];
    prop_oneof![
        3 => (known, any::<u64>()).prop_map(|(n, mask)| random_case(n, mask)),
        1 => "[a-z][a-z0-9-]{0,20}",
    ]
}

/// A header name that is not a pseudo-header: one the filter reads, in random
/// case, or any token.
fn regular_name() -> impl Strategy<Value = String> {
    let known = prop_oneof![
        Just(SOURCE_CLUSTER),
        Just(SOURCE_REGION),
        Just(ROUTE_REGION),
        Just("x-user-region"),
        Just("cf-ipcountry"),
        Just("x-request-id"),
    ];
    prop_oneof![
        3 => (known, any::<u64>()).prop_map(|(n, mask)| random_case(n, mask)),
        1 => "[a-z][a-z0-9-]{0,20}",
    ]
}

/// `name` with the letters whose bit is set in `mask` in upper case.
pub fn random_case(name: &str, mask: u64) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// A value the filter or the route table acts on.
fn meaningful() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just("us-east"),
        Just("eu-west"),
        Just("eu-central"),
        Just("eu"),
        Just("US"),
        Just("DE"),
        Just("de"),
        Just("eu-west-1"),
        Just("eu-user-data"),
        Just("eu-user-data.shop:8080"),
        Just("/users/1"),
        Just("/users%2F1"),
        Just("//users/../users/1"),
        Just("GET"),
        Just("us-east;.;rule=.=x"),
    ]
    .prop_map(|v| v.as_bytes().to_vec())
}

/// A header value: meaningful, arbitrary bytes, or huge.
pub fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => meaningful(),
        2 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => (any::<u8>(), 1_000..70_000_usize).prop_map(|(b, n)| vec![b; n]),
    ]
}

/// Up to 40 headers.
pub fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    proptest::collection::vec((name(), value()), 0..40)
}

/// A header value Envoy's codec accepts: meaningful, bytes without a control byte
/// (most of them not UTF-8), or long (up to 8,000 bytes).
pub fn receivable_value() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![0x20_u8..0x7f, 0x80_u8..=0xff];
    prop_oneof![
        4 => meaningful(),
        2 => proptest::collection::vec(byte, 0..64),
        1 => (0x21_u8..0x7f, 1_000..8_000_usize).prop_map(|(b, n)| vec![b; n]),
    ]
}

/// A method Envoy's codec knows, or a name it does not.
fn method() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => Just("GET"),
        1 => Just("POST"),
        1 => Just("DELETE"),
        1 => Just("PATCH"),
        1 => Just("OPTIONS"),
        1 => Just("get"),
        1 => Just("us-east"),
    ]
    .prop_map(|v| v.as_bytes().to_vec())
}

/// A request target: the rule's paths, dot segments, doubled and escaped slashes,
/// or any path.
fn path() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop_oneof![
            Just("/users/1"),
            Just("/users%2F1"),
            Just("//users/../users/1"),
            Just("/users/7?page=2"),
            Just("/catalog"),
            Just("/users/./1/"),
        ]
        .prop_map(|v| v.as_bytes().to_vec()),
        1 => "/[a-z0-9._/-]{0,30}(\\?[a-z=&/.]{0,12})?".prop_map(String::into_bytes),
    ]
}

/// An authority: the hosts the route tables and rules match, in any case, or any
/// name, with or without a port, and long ones (up to 8,000 bytes).
fn authority() -> impl Strategy<Value = Vec<u8>> {
    let known = prop_oneof![
        Just("eu-user-data"),
        Just("eu-user-data.shop:8080"),
        Just("eu-user-data:80"),
        Just("eu-west-app"),
        Just("us-east"),
    ];
    prop_oneof![
        4 => (known, any::<u64>()).prop_map(|(n, mask)| random_case(n, mask).into_bytes()),
        2 => "[a-zA-Z0-9.-]{1,40}(:[0-9]{1,5})?".prop_map(String::into_bytes),
        1 => (1_000..8_000_usize).prop_map(|n| "eu-user-data.".repeat(n / 13).into_bytes()),
    ]
}

/// A pseudo-header name in random case.
fn pseudo(name: &'static str) -> impl Strategy<Value = String> {
    any::<u64>().prop_map(move |mask| random_case(name, mask))
}

/// Up to 20 headers with values Envoy's codec accepts, pseudo-headers with values
/// of their kind, so that most such requests reach the filter.
pub fn receivable_headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let header = prop_oneof![
        8 => (regular_name(), receivable_value()),
        2 => (pseudo(":authority"), authority()),
        2 => (pseudo(":path"), path()),
        1 => (pseudo(":method"), method()),
    ];
    proptest::collection::vec(header, 0..20)
}

/// A generated request: its side and its header set.
pub type Generated = (Side, Vec<(String, Vec<u8>)>);

/// `count` requests of [`headers`], the same ones on every run (proptest's fixed
/// seed).
pub fn sample(count: usize) -> Vec<Generated> {
    draw((side(), headers()), count)
}

/// `count` requests of [`receivable_headers`], the same ones on every run.
pub fn sample_receivable(count: usize) -> Vec<Generated> {
    draw((side(), receivable_headers()), count)
}

fn draw<S: Strategy>(strategy: S, count: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..count)
        .filter_map(|_| {
            strategy
                .new_tree(&mut runner)
                .ok()
                .map(|tree| tree.current())
        })
        .collect()
}

/// Headers of the message's framing and of the connection, which a generated set
/// does not get to send.
const FRAMING: [&str; 8] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "expect",
    "te",
];

/// The default `host` when a set has no `:authority`.
const DEFAULT_HOST: &str = "eu-west-app";

/// The generated request number `index` from `side` with `headers`, as sent.
pub fn wire_case(index: usize, side: Side, headers: &[(String, Vec<u8>)]) -> Case {
    let entry = match side {
        Side::Outbound => Entry::Outbound(US_EAST),
        Side::InboundPlaintext => Entry::Plaintext,
        Side::InboundTrusted => Entry::Mtls(ClientCert::MeshWide),
        Side::InboundUntrusted => Entry::Mtls(ClientCert::Untrusted),
    };
    let mut case = Case::new(&format!("generated #{index}"), entry, "GET", "/");
    let (mut method, mut path) = (None, None);
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let on_the_line = !value.is_empty()
            && !value
                .iter()
                .any(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        match lower.as_str() {
            ":method" => {
                if method.is_none() && on_the_line {
                    method = Some(value.clone());
                }
            }
            ":path" => {
                if path.is_none() && on_the_line {
                    path = Some(value.clone());
                }
            }
            ":authority" => case.headers.push(("host".to_owned(), sendable(value))),
            other if FRAMING.contains(&other) => {}
            _ => case.headers.push((name.clone(), sendable(value))),
        }
    }
    if let Some(method) = method {
        case.method = method;
    }
    if let Some(path) = path {
        case.target = path;
    }
    if case.value("host").is_none() {
        case.headers
            .insert(0, ("host".to_owned(), DEFAULT_HOST.as_bytes().to_vec()));
    }
    // Envoy replaces a missing or empty id with a random one.
    let has_id = case.headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("x-request-id")
            && !proxy_wasm_host::admission::trimmed(value).is_empty()
    });
    if !has_id {
        case.headers.push((
            "x-request-id".to_owned(),
            format!("differential-{index}").into_bytes(),
        ));
    }
    case
}

/// `value` with CR and LF as NUL.
fn sendable(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { 0 } else { b })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_the_same_on_every_call() {
        assert_eq!(sample(5), sample(5));
    }

    #[test]
    fn pseudo_headers_become_the_request_line_and_host_lines() {
        let headers: Vec<(String, Vec<u8>)> = [
            (":Path", "/users/1"),
            (":AUTHORITY", "eu-user-data"),
            (":method", "POST"),
            (":path", "/ignored"),
            ("Content-Length", "3"),
            ("x-a", "1\r\n2"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
        .collect();
        let case = wire_case(7, Side::Outbound, &headers);
        assert_eq!(case.method, b"POST");
        assert_eq!(case.target, b"/users/1");
        assert_eq!(
            case.headers,
            [
                ("host".to_owned(), b"eu-user-data".to_vec()),
                ("x-a".to_owned(), b"1\x00\x002".to_vec()),
                ("x-request-id".to_owned(), b"differential-7".to_vec()),
            ]
        );
    }
}
