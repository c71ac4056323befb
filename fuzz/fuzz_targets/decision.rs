//! Fuzz target: one request decision with arbitrary headers, peer, SAN and direction,
//! on a fixed realistic configuration.
//!
//! Properties: no panic; a denial carries a SPEC-shaped JSON body naming a configured
//! rule; every header the filter sets carries a clean value; a tag is only believed
//! from a trusted mTLS peer.

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use meshborder_filter::policy::identity::SourceKind;
use meshborder_filter::policy::names::is_valid_name;
use meshborder_filter::policy::{Direction, HeaderOp, NodeFacts, NodeInfo, Peer, Policy, RequestFacts};

const CONFIG: &str = include_str!("../../filter/src/policy/tests/spec-example.json");

#[derive(Debug, Arbitrary)]
struct Request {
    outbound: bool,
    mtls: bool,
    san: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
}

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let node = NodeFacts {
            xds: NodeInfo {
                cluster: Some("eu-west".to_owned()),
                region: Some("eu-west-1".to_owned()),
                zone: None,
            },
            legacy: NodeInfo::default(),
        };
        match Policy::from_json(CONFIG.as_bytes(), &node) {
            Ok(policy) => policy,
            Err(error) => panic!("the fuzz config must compile: {error}"),
        }
    })
}

fuzz_target!(|request: Request| {
    let policy = policy();
    let direction = if request.outbound { Direction::Outbound } else { Direction::Inbound };
    let peer = Peer { mtls: request.mtls, uri_san: request.san.as_deref() };
    let verdict = policy.decide(&RequestFacts {
        direction,
        peer,
        headers: request.headers.as_slice(),
    });

    if let Some(denial) = &verdict.denial {
        assert!(policy.rule_names().any(|name| name == denial.rule));
        let body: serde_json::Value = serde_json::from_str(&denial.body).unwrap();
        let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["error", "rule", "sourceCluster", "sourceRegion", "cluster", "region"]);
    }
    if let Some(decision) = &verdict.decision {
        let line: serde_json::Value = serde_json::from_str(&decision.log_line).unwrap();
        assert!(line.get("rule").is_some());
    }
    for op in verdict.header_ops.iter() {
        if let HeaderOp::Set(_, value) = op {
            assert!(is_valid_name(value), "set header value {value:?}");
        }
    }
    if verdict.source.kind == SourceKind::Trusted {
        assert!(direction == Direction::Inbound && request.mtls && request.san.is_some());
    }
});
