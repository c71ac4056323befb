//! Shared fixtures: the SPEC example configuration, node facts and request builders.

use crate::policy::{
    Direction, HeaderOp, NodeFacts, NodeInfo, Peer, Policy, RequestFacts, Verdict,
};

/// The configuration example of the product contract, with the local identity left
/// to the node facts. One file, shared with the wasm host tests and the fuzz target.
pub const SPEC_CONFIG: &str = include_str!("spec-example.json");

/// A trusted peer's SAN.
pub const TRUSTED_SAN: &str = "spiffe://cluster.local/ns/shop/sa/frontend";

/// Node facts as Envoy >= 1.33 serves them.
pub fn xds_node(cluster: &str, region: &str) -> NodeFacts {
    NodeFacts {
        xds: NodeInfo {
            cluster: Some(cluster.to_owned()),
            region: Some(region.to_owned()),
            zone: None,
        },
        legacy: NodeInfo::default(),
    }
}

/// Compiles `json` for a node in `cluster`/`region`/`zone`; panics if refused.
pub fn policy_in_zone(json: &str, cluster: &str, region: &str, zone: &str) -> Policy {
    let mut node = xds_node(cluster, region);
    node.xds.zone = Some(zone.to_owned());
    match Policy::from_json(json.as_bytes(), &node) {
        Ok(policy) => policy,
        Err(error) => panic!("configuration refused: {error}"),
    }
}

/// Compiles `json` for a node in `cluster`/`region`; panics with the error if refused.
pub fn policy_at(json: &str, cluster: &str, region: &str) -> Policy {
    match Policy::from_json(json.as_bytes(), &xds_node(cluster, region)) {
        Ok(policy) => policy,
        Err(error) => panic!("configuration refused: {error}"),
    }
}

/// The SPEC configuration running in `eu-west` (eu-west-1).
pub fn eu_west() -> Policy {
    policy_at(SPEC_CONFIG, "eu-west", "eu-west-1")
}

/// The SPEC configuration running in `us-east` (us-east-1).
pub fn us_east() -> Policy {
    policy_at(SPEC_CONFIG, "us-east", "us-east-1")
}

/// The refusal message for `json` at a node in `eu-west`.
pub fn refusal(json: &str) -> String {
    match Policy::from_json(json.as_bytes(), &xds_node("eu-west", "eu-west-1")) {
        Ok(_) => panic!("configuration was accepted: {json}"),
        Err(error) => error.to_string(),
    }
}

/// A GET with the given authority and path plus extra headers.
pub fn get(authority: &str, path: &str, extra: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
    let mut headers = vec![
        (":method".to_owned(), b"GET".to_vec()),
        (":authority".to_owned(), authority.as_bytes().to_vec()),
        (":path".to_owned(), path.as_bytes().to_vec()),
    ];
    headers.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec())),
    );
    headers
}

/// Decides an inbound request from a peer.
pub fn inbound<'a>(
    policy: &'a Policy,
    peer: Peer<'a>,
    headers: &'a [(String, Vec<u8>)],
) -> Verdict<'a> {
    policy.decide(&RequestFacts {
        direction: Direction::Inbound,
        peer,
        headers,
    })
}

/// Decides an outbound request.
pub fn outbound<'a>(policy: &'a Policy, headers: &'a [(String, Vec<u8>)]) -> Verdict<'a> {
    policy.decide(&RequestFacts {
        direction: Direction::Outbound,
        peer: Peer::default(),
        headers,
    })
}

/// An mTLS peer with this SAN.
pub fn mtls(san: &str) -> Peer<'_> {
    Peer {
        mtls: true,
        uri_san: Some(san),
    }
}

/// The value the verdict sets for `name`, if any.
pub fn set_value<'a>(verdict: &Verdict<'a>, name: &str) -> Option<&'a str> {
    verdict.header_ops.iter().find_map(|op| match op {
        HeaderOp::Set(n, v) if n == name => Some(v),
        _ => None,
    })
}

/// Whether the verdict removes `name`.
pub fn removes(verdict: &Verdict<'_>, name: &str) -> bool {
    verdict
        .header_ops
        .iter()
        .any(|op| matches!(op, HeaderOp::Remove(n) if n == name))
}
