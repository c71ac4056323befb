//! Fuzz target: one request decision with arbitrary headers, peer, SAN and direction,
//! on the contract's example configuration, on a node with or without a zone.
//!
//! The SAN is either arbitrary text or built under one of the example's trust
//! domains (the one bound to `us-east`, the `{cluster}` capture, `cluster.local`)
//! with arbitrary segments, so the certificate-bound entries are reached at once
//! instead of by luck; the cluster, region and zone tags are arbitrary values, known
//! names or raw bytes, repeated or not, in any case of header name.
//!
//! Properties: no panic; a denial carries a SPEC-shaped JSON body naming a configured
//! rule; every header the filter sets carries a clean value; a tag is only believed
//! from a trusted mTLS peer; a certificate-bound source takes its cluster from the
//! matched entry, never from a header, and the application sees that cluster; a
//! captured cluster the `clusters` table lacks is an unknown source whose tags are
//! stripped; the zone tag is believed only with the cluster tag; nothing is metered
//! across zones while the local zone is unknown.

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use meshborder_filter::contract::header;
use meshborder_filter::policy::identity::SourceKind;
use meshborder_filter::policy::names::is_valid_name;
use meshborder_filter::policy::{
    Direction, HeaderOp, Lookup, NodeFacts, NodeInfo, Peer, Policy, RequestFacts, RequestHeaders,
    Verdict,
};

const CONFIG: &str = include_str!("../../filter/src/policy/tests/spec-example.json");

/// The node the policies run on.
const LOCAL_CLUSTER: &str = "eu-west";
const LOCAL_REGION: &str = "eu-west-1";
const LOCAL_ZONE: &str = "eu-west-1a";

/// The example's `trustedPeers`, in order: bound to `us-east`, captured, tags.
const BOUND_DOMAIN: &str = "us-east.mesh.example";
const CAPTURE_SUFFIX: &str = ".mesh.example";
const TAGS_DOMAIN: &str = "cluster.local";
const BOUND_CLUSTER: &str = "us-east";

/// Names a header or a SAN is likely to hold: listed clusters, an unlisted one, case
/// variants, zones, and the label values that mean something to the counters.
const KNOWN: [&str; 12] = [
    "us-east",
    "eu-west",
    "eu-central",
    "ap-south",
    "US-EAST",
    "Eu-West",
    "eu-west-1a",
    "eu-west-1b",
    "us-east-1a",
    "unknown",
    "other",
    "",
];

#[derive(Debug, Arbitrary)]
enum Text {
    Known(u8),
    Raw(String),
}

impl Text {
    fn text(&self) -> &str {
        match self {
            Self::Known(i) => KNOWN
                .get(usize::from(*i) % KNOWN.len())
                .copied()
                .unwrap_or(""),
            Self::Raw(raw) => raw,
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Value {
    Text(Text),
    Bytes(Vec<u8>),
}

impl Value {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Self::Text(text) => text.text().as_bytes().to_vec(),
            Self::Bytes(bytes) => bytes.clone(),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum San {
    /// Anything at all.
    Raw(String),
    /// `spiffe://us-east.mesh.example/ns/<ns>/sa/<sa>`, with a case variant of the
    /// trust domain.
    Bound { upper: bool, ns: Text, sa: Text },
    /// `spiffe://<cluster>.mesh.example/ns/<ns>/sa/<sa>`.
    Captured { cluster: Text, ns: Text, sa: Text },
    /// `spiffe://cluster.local/ns/<ns>/sa/<sa>`.
    Tags { ns: Text, sa: Text },
}

impl San {
    fn uri(&self) -> String {
        let path = |ns: &Text, sa: &Text| format!("/ns/{}/sa/{}", ns.text(), sa.text());
        match self {
            Self::Raw(raw) => raw.clone(),
            Self::Bound { upper, ns, sa } => {
                let domain = if *upper {
                    BOUND_DOMAIN.to_ascii_uppercase()
                } else {
                    BOUND_DOMAIN.to_owned()
                };
                format!("spiffe://{domain}{}", path(ns, sa))
            }
            Self::Captured { cluster, ns, sa } => {
                format!(
                    "spiffe://{}{CAPTURE_SUFFIX}{}",
                    cluster.text(),
                    path(ns, sa)
                )
            }
            Self::Tags { ns, sa } => format!("spiffe://{TAGS_DOMAIN}{}", path(ns, sa)),
        }
    }
}

/// One tag header: which one, its value, where it goes among the others, and
/// whether its name is written in capitals.
#[derive(Debug, Arbitrary)]
struct Tag {
    which: u8,
    value: Value,
    at: u8,
    capitals: bool,
}

const TAGS: [&str; 3] = [
    header::SOURCE_CLUSTER,
    header::SOURCE_REGION,
    header::SOURCE_ZONE,
];

#[derive(Debug, Arbitrary)]
struct Request {
    outbound: bool,
    mtls: bool,
    /// Whether the node has a zone.
    node_zone: bool,
    san: Option<San>,
    tags: Vec<Tag>,
    headers: Vec<(String, Vec<u8>)>,
}

/// The policy on a node without a zone, and on one in [`LOCAL_ZONE`].
fn policies() -> &'static [Policy; 2] {
    static POLICIES: OnceLock<[Policy; 2]> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let compile = |zone: Option<&str>| {
            let node = NodeFacts {
                xds: NodeInfo {
                    cluster: Some(LOCAL_CLUSTER.to_owned()),
                    region: Some(LOCAL_REGION.to_owned()),
                    zone: zone.map(str::to_owned),
                },
                legacy: NodeInfo::default(),
            };
            match Policy::from_json(CONFIG.as_bytes(), &node) {
                Ok(policy) => policy,
                Err(error) => panic!("the fuzz config must compile: {error}"),
            }
        };
        [compile(None), compile(Some(LOCAL_ZONE))]
    })
}

/// The `clusters` table, read from the configuration independently of the engine.
fn cluster_region(cluster: &str) -> Option<String> {
    static TABLE: OnceLock<serde_json::Value> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let config: serde_json::Value = serde_json::from_str(CONFIG).unwrap();
        config["clusters"].clone()
    });
    table
        .get(cluster)?
        .get("region")?
        .as_str()
        .map(str::to_owned)
}

/// The request headers as the application sees them once the verdict is applied
/// the way the glue applies it: lookalikes removed, then the header operations, each
/// replacing or removing every value of its header (names compare case-insensitively,
/// as in Envoy).
fn applied(headers: &[(String, Vec<u8>)], verdict: &Verdict<'_>) -> Vec<(String, Vec<u8>)> {
    let mut out = headers.to_vec();
    for name in &verdict.lookalikes {
        out.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }
    for op in verdict.header_ops.iter() {
        match op {
            HeaderOp::Set(name, value) => {
                out.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                out.push((name.to_owned(), value.as_bytes().to_vec()));
            }
            HeaderOp::Remove(name) => out.retain(|(k, _)| !k.eq_ignore_ascii_case(name)),
        }
    }
    out
}

/// Every value of `name`, case-insensitively.
fn values<'h>(headers: &'h [(String, Vec<u8>)], name: &str) -> Vec<&'h [u8]> {
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
        .collect()
}

fuzz_target!(|request: Request| {
    let policy = &policies()[usize::from(request.node_zone)];
    let local_zone = request.node_zone.then_some(LOCAL_ZONE);
    let direction = if request.outbound {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let inbound = direction == Direction::Inbound;
    let san = request.san.as_ref().map(San::uri);
    let peer = Peer {
        mtls: request.mtls,
        uri_san: san.as_deref(),
    };

    let mut headers = request.headers.clone();
    for tag in &request.tags {
        let name = TAGS[usize::from(tag.which) % TAGS.len()];
        let name = if tag.capitals {
            name.to_ascii_uppercase()
        } else {
            name.to_owned()
        };
        let at = usize::from(tag.at) % (headers.len() + 1);
        headers.insert(at, (name, tag.value.bytes()));
    }

    let verdict = policy.decide(&RequestFacts {
        direction,
        peer,
        headers: headers.as_slice(),
    });

    if let Some(denial) = &verdict.denial {
        assert!(policy.rule_names().any(|name| name == denial.rule));
        let body: serde_json::Value = serde_json::from_str(&denial.body).unwrap();
        let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(
            fields,
            [
                "error",
                "rule",
                "sourceCluster",
                "sourceRegion",
                "cluster",
                "region"
            ]
        );
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

    let source = verdict.source;
    let incoming = |name: &str| headers.as_slice().single(name);
    let app = applied(&headers, &verdict);
    let app_sees = |name: &str| values(&app, name);
    let forwarded = verdict.denial.is_none();

    // Only an inbound mTLS peer with a SAN is ever believed, and only through an
    // entry it matched.
    if source.is_established_inbound() {
        assert!(inbound && request.mtls && san.is_some(), "{source:?}");
        assert!(
            verdict.peer.is_some(),
            "established without an entry: {verdict:?}"
        );
    }
    if !inbound {
        assert_eq!(source.kind, SourceKind::Local);
        assert_eq!(verdict.peer, None);
        assert_eq!(verdict.mismatch, None);
    }
    if inbound && !request.mtls {
        assert_eq!(verdict.peer, None);
    }

    match source.kind {
        SourceKind::Bound => {
            let matched = verdict.peer.unwrap();
            let bound = matched
                .bound
                .unwrap_or_else(|| panic!("bound without a binding: {verdict:?}"));
            let san = san.as_deref().unwrap();
            // The cluster is the one the matched entry binds, and that entry says it.
            assert_eq!(source.cluster, Some(bound), "{verdict:?}");
            match matched.entry {
                0 => assert_eq!(bound, BOUND_CLUSTER),
                1 => {
                    let domain = san
                        .strip_prefix("spiffe://")
                        .and_then(|rest| rest.split('/').next())
                        .unwrap_or_default();
                    assert_eq!(
                        Some(bound),
                        domain.split('.').next(),
                        "captured from {san:?}"
                    );
                }
                other => panic!("entry {other} binds no cluster: {verdict:?}"),
            }
            // A listed cluster, its region from the table, never from a header.
            let region = cluster_region(bound)
                .unwrap_or_else(|| panic!("bound to an unlisted cluster {bound:?}"));
            assert_eq!(source.region, Some(region.as_str()));
            // The cluster tag op sets that cluster, or leaves a tag that already says it.
            for op in verdict.header_ops.iter() {
                match op {
                    HeaderOp::Set(name, value) if name == header::SOURCE_CLUSTER => {
                        assert_eq!(value, bound, "cluster tag set to another cluster")
                    }
                    HeaderOp::Remove(name) => assert_ne!(name, header::SOURCE_CLUSTER),
                    _ => {}
                }
            }
            if forwarded {
                assert_eq!(
                    app_sees(header::SOURCE_CLUSTER),
                    [bound.as_bytes()],
                    "{verdict:?}"
                );
                assert_eq!(app_sees(header::SOURCE_REGION), [region.as_bytes()]);
            }
            // A tag that said otherwise is a reported mismatch; one that agreed is not.
            match incoming(header::SOURCE_CLUSTER) {
                Lookup::Missing => assert_eq!(verdict.mismatch, None),
                Lookup::One(value) if value == bound.as_bytes() => {
                    assert_eq!(verdict.mismatch, None)
                }
                Lookup::One(value) => {
                    let mismatch = verdict.mismatch.unwrap();
                    assert_eq!(mismatch.cluster, bound);
                    assert_eq!(mismatch.claimed, std::str::from_utf8(value).ok());
                    assert_eq!(mismatch.peer, san);
                }
                Lookup::Repeated => {
                    let mismatch = verdict.mismatch.unwrap();
                    assert_eq!((mismatch.cluster, mismatch.claimed), (bound, None));
                }
            }
        }
        SourceKind::Trusted => {
            let matched = verdict.peer.unwrap();
            assert_eq!(
                matched.bound, None,
                "a binding entry fell back to tags: {verdict:?}"
            );
            assert_eq!(source.cluster, incoming(header::SOURCE_CLUSTER).as_str());
            assert_eq!(verdict.mismatch, None);
            if forwarded {
                let cluster = source.cluster.unwrap_or_default();
                assert_eq!(app_sees(header::SOURCE_CLUSTER), [cluster.as_bytes()]);
            }
        }
        SourceKind::Unknown => {
            assert!(inbound);
            assert!(verdict.unknown_source);
            assert_eq!(verdict.mismatch, None);
            assert_eq!(
                (source.cluster, source.region, source.zone),
                (None, None, None)
            );
            // A captured cluster the table lacks leaves the caller unknown; a listed
            // one never does.
            if let Some(bound) = verdict.peer.and_then(|m| m.bound) {
                assert_eq!(cluster_region(bound), None, "listed {bound:?} left unknown");
            }
            if forwarded {
                for name in TAGS {
                    assert!(app_sees(name).is_empty(), "{name} reached the app: {app:?}");
                }
            }
        }
        SourceKind::Local => {
            assert!(!inbound);
            if forwarded {
                assert_eq!(app_sees(header::SOURCE_CLUSTER), [LOCAL_CLUSTER.as_bytes()]);
                assert_eq!(app_sees(header::SOURCE_REGION), [LOCAL_REGION.as_bytes()]);
            }
        }
    }

    // The zone: believed with the cluster tag (when it is a clean name), the local
    // zone outbound, and what the application sees.
    let zone_tag = incoming(header::SOURCE_ZONE)
        .as_str()
        .filter(|z| is_valid_name(z));
    match source.kind {
        SourceKind::Bound | SourceKind::Trusted => assert_eq!(source.zone, zone_tag),
        SourceKind::Local => assert_eq!(source.zone, local_zone),
        SourceKind::Unknown => assert_eq!(source.zone, None),
    }
    if forwarded {
        let expected: Vec<&[u8]> = source.zone.map(str::as_bytes).into_iter().collect();
        assert_eq!(app_sees(header::SOURCE_ZONE), expected, "{verdict:?}");
    }
    if verdict.zone_metered {
        assert!(inbound && source.is_established_inbound());
        assert!(
            local_zone.is_some(),
            "metered across zones with no local zone"
        );
        assert_ne!(source.zone, local_zone);
    } else if inbound && source.is_established_inbound() && local_zone.is_some() {
        assert_eq!(source.zone, local_zone, "a zone crossing was not metered");
    }
    if verdict.metered {
        assert!(inbound);
        assert_ne!(source.cluster, Some(LOCAL_CLUSTER));
    }
});
