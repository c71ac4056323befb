//! Property test: the real filter under random header sets never traps, and every
//! request either passes with well-formed tags or is a contract-shaped 403.
//!
//! Header sets mix the names the filter reads (tags, routing, pseudo-headers) in
//! random case with random names; values are huge, non-UTF-8, duplicated or plain.
//! Direction and peer vary: outbound, inbound plaintext, trusted and untrusted mTLS.
//! The generator is shared with the differential suite (`envoy::differential`),
//! which sends the same kind of requests through real Envoy too.

use super::fixtures::{
    DENIED_BY, ROUTE_REGION, SOURCE_CLUSTER, SOURCE_REGION, TRUSTED_SAN, eu_west, from_peer,
    inbound, outbound,
};
use meshborder_e2e::differential::generator::{Side, headers, side};
use meshborder_filter::contract;
use proptest::prelude::*;
use proxy_wasm_host::HostResult;

/// Regions the SPEC configuration can route to.
const ROUTABLE: [&str; 4] = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"];

/// Every value of `name` in the header map, as bytes.
fn values<'a>(map: &'a [(String, Vec<u8>)], name: &str) -> Vec<&'a [u8]> {
    map.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
        .collect()
}

#[cfg(test)]
fn check(side: Side, headers: &[(String, Vec<u8>)]) -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = match side {
        Side::Outbound => outbound(&mut vm),
        Side::InboundPlaintext => inbound(&mut vm),
        Side::InboundTrusted => from_peer(&mut vm, TRUSTED_SAN),
        Side::InboundUntrusted => from_peer(&mut vm, "spiffe://evil.example/ns/x/sa/y"),
    };
    let pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    stream.request_headers(&pairs, true)?;

    if let Some(reply) = stream.local_response() {
        assert_eq!(reply.status, 403);
        let denied_by = values(&reply.headers, DENIED_BY);
        assert_eq!(denied_by, [b"eu-user-data".as_slice()]);
        assert_eq!(
            values(&reply.headers, "content-type"),
            [contract::reply::CONTENT_TYPE.as_bytes()]
        );
        let text = std::str::from_utf8(&reply.body).unwrap();
        let body: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut fields = contract::reply::FIELDS;
        fields.sort_unstable();
        assert_eq!(keys, fields);
        // The contract fixes the field order too; the parsed map does not keep it.
        assert!(
            text.starts_with(
                r#"{"error":"residency_denied","rule":"eu-user-data","sourceCluster":"#
            ),
            "{text}"
        );
        assert_eq!(
            body[contract::reply::ERROR],
            contract::reply::RESIDENCY_DENIED
        );
        assert_eq!(body[contract::reply::CLUSTER], "eu-west");
    } else {
        let map = stream.request_header_map().to_vec();
        let clusters = values(&map, SOURCE_CLUSTER);
        let regions = values(&map, SOURCE_REGION);
        match side {
            Side::Outbound => {
                assert_eq!(clusters, [b"eu-west".as_slice()]);
                assert_eq!(regions, [b"eu-west-1".as_slice()]);
            }
            Side::InboundPlaintext | Side::InboundUntrusted => {
                assert!(
                    clusters.is_empty(),
                    "a tag from an untrusted caller survived"
                );
                assert!(
                    regions.is_empty(),
                    "a region tag from an untrusted caller survived"
                );
            }
            Side::InboundTrusted => {
                assert!(clusters.len() <= 1 && regions.len() <= 1);
                for tag in clusters.iter().chain(&regions) {
                    let text = std::str::from_utf8(tag).unwrap();
                    assert!(
                        text.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                        "believed tag is not a plain name: {text:?}"
                    );
                }
            }
        }
        let routes = values(&map, ROUTE_REGION);
        assert_eq!(routes.len(), 1, "one route region: the default at least");
        let route = std::str::from_utf8(routes[0]).unwrap();
        assert!(ROUTABLE.contains(&route), "route to {route:?}");
    }
    stream.finish()?;
    Ok(())
}

/// 192 cases by default; `PROPTEST_CASES` asks for more when hunting.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(192)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_header_sets_pass_with_clean_tags_or_get_a_contract_403(
        side in side(),
        headers in headers(),
    ) {
        check(side, &headers).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
}
