//! Fuzz target: one L4 connection decision (`Policy::decide_connection`) with an
//! arbitrary destination port, server name bytes, peer SAN, mTLS flag and
//! direction, on a `tcp` layer whose rules match ports, server names and both.
//!
//! The facts are gathered the way the network-filter glue gathers them: the port is
//! an 8-byte property narrowed to `u16` (a larger value is no port), the server name
//! is read only when a rule needs it and only when it is non-empty UTF-8, and the
//! peer only inbound, with mTLS. The SAN is either arbitrary text or built under one
//! of the configuration's trust domains (the one bound to `us-east`, the
//! `{cluster}` capture, the tags-only `cluster.local`, the one bound to
//! `eu-central`) with arbitrary or well-formed segments, so the certificate-bound
//! entries are reached at once instead of by luck.
//!
//! Properties: no panic; a closed connection has an enforce decision, and every
//! enforce decision closes; the deciding rule is the first whose `ports` and `sni`
//! hold, by an independent reading of the configuration; the source is bound only
//! through a certificate-bound entry, its cluster is the entry's (named, or the
//! captured trust-domain label) and listed in `clusters`, its region the table's; a
//! well-formed SAN under a bound trust domain binds; an entry that believes tags
//! never establishes a connection's source, and shadows the bound entry after it;
//! an inbound connection whose peer matched no bound entry is an unknown source;
//! outbound, the source is the local node; metering is inbound and across a
//! cluster border; the decision's log line is one JSON object with exactly the
//! fields the contract names (the deny body's, `decision`, `reason`, `mode`,
//! `direction`, and `port` and `sni` when known, never host, path or method).

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use meshborder_filter::contract::{log_line, reply, value};
use meshborder_filter::policy::identity::SourceKind;
use meshborder_filter::policy::{
    ConnectionFacts, ConnectionVerdict, Direction, Mode, NodeFacts, NodeInfo, Peer, Policy,
};
use serde_json::Value as Json;

/// A `tcp` layer with rules on a port, on server names, and on both, in each mode,
/// and a bound entry shadowed by a tags entry before it.
const CONFIG: &str = r#"{
  "layer": "tcp",
  "clusters": {
    "us-east": { "region": "us-east-1" },
    "eu-west": { "region": "eu-west-1" },
    "eu-central": { "region": "eu-central-1" }
  },
  "regionGroups": { "eu": ["eu-west-1", "eu-central-1"], "us": ["us-east-1", "us-west-2"] },
  "trustedPeers": [
    { "peer": "spiffe://us-east.mesh.example/ns/*/sa/*", "cluster": "us-east" },
    "spiffe://{cluster}.mesh.example/ns/*/sa/*",
    "spiffe://cluster.local/ns/*/sa/*",
    { "peer": "spiffe://partner.example/ns/*/sa/*", "cluster": "eu-central" },
    { "peer": "spiffe://cluster.local/ns/db/sa/*", "cluster": "eu-central" }
  ],
  "residency": {
    "mode": "enforce",
    "rules": [
      { "name": "eu-database", "match": { "ports": [5432] },
        "allowSourceRegions": ["eu"], "unknownSource": "deny" },
      { "name": "replicas-audit", "match": { "sni": ["*.replica.example"] },
        "allowSourceClusters": ["eu-west"], "mode": "audit" },
      { "name": "us-brokers", "match": { "ports": [9092, 9093], "sni": ["broker.example"] },
        "allowLocalRegions": ["us"], "unknownSource": "allow" },
      { "name": "internal-names", "match": { "sni": ["kafka.example", "*.internal"] },
        "allowSourceRegions": ["eu", "us"], "unknownSource": "deny" }
    ]
  }
}"#;

/// The node the policy runs on.
const LOCAL_CLUSTER: &str = "eu-west";
const LOCAL_REGION: &str = "eu-west-1";

/// The trust domains of the configuration's `trustedPeers`, in order.
const BOUND_DOMAIN: &str = "us-east.mesh.example";
const CAPTURE_SUFFIX: &str = ".mesh.example";
const TAGS_DOMAIN: &str = "cluster.local";
const PARTNER_DOMAIN: &str = "partner.example";

/// Segment texts: listed clusters, an unlisted one, case variants, names the
/// counters give meaning to, and shapes a matcher may trip on.
const SEGMENTS: [&str; 14] = [
    "us-east",
    "eu-west",
    "eu-central",
    "ap-south",
    "US-EAST",
    "Eu-West",
    "db",
    "replica",
    "unknown",
    "other",
    "",
    "a/b",
    "*",
    "{cluster}",
];

/// Server names a rule may or may not match.
const SERVER_NAMES: [&str; 14] = [
    "db.replica.example",
    "DB.Replica.EXAMPLE",
    "replica.example",
    ".replica.example",
    "broker.example",
    "BROKER.example",
    "broker.example.",
    "kafka.example",
    "x.internal",
    "internal",
    ".internal",
    "eu-user-db",
    "",
    "é.internal",
];

/// Destination ports a rule may or may not match.
const PORTS: [u64; 8] = [5432, 5433, 9092, 9093, 0, 65535, 65536 + 5432, u64::MAX];

#[derive(Debug, Arbitrary)]
enum Segment {
    Known(u8),
    Raw(String),
}

impl Segment {
    fn text(&self) -> &str {
        match self {
            Self::Known(i) => SEGMENTS
                .get(usize::from(*i) % SEGMENTS.len())
                .copied()
                .unwrap_or(""),
            Self::Raw(raw) => raw,
        }
    }

    /// Whether `*` surely matches it: a plain lowercase name.
    fn well_formed(&self) -> bool {
        let text = self.text();
        !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }
}

#[derive(Debug, Arbitrary)]
enum San {
    /// Anything at all.
    Raw(String),
    /// `spiffe://us-east.mesh.example/ns/<ns>/sa/<sa>`.
    Bound { ns: Segment, sa: Segment },
    /// `spiffe://<cluster>.mesh.example/ns/<ns>/sa/<sa>`.
    Captured {
        cluster: Segment,
        ns: Segment,
        sa: Segment,
    },
    /// `spiffe://cluster.local/ns/<ns>/sa/<sa>`: the tags entry, and the bound entry
    /// it shadows when `ns` is `db`.
    Tags { ns: Segment, sa: Segment },
    /// `spiffe://partner.example/ns/<ns>/sa/<sa>`, bound to `eu-central`.
    Partner { ns: Segment, sa: Segment },
}

impl San {
    fn uri(&self) -> String {
        let path = |ns: &Segment, sa: &Segment| format!("/ns/{}/sa/{}", ns.text(), sa.text());
        match self {
            Self::Raw(raw) => raw.clone(),
            Self::Bound { ns, sa } => format!("spiffe://{BOUND_DOMAIN}{}", path(ns, sa)),
            Self::Captured { cluster, ns, sa } => {
                format!(
                    "spiffe://{}{CAPTURE_SUFFIX}{}",
                    cluster.text(),
                    path(ns, sa)
                )
            }
            Self::Tags { ns, sa } => format!("spiffe://{TAGS_DOMAIN}{}", path(ns, sa)),
            Self::Partner { ns, sa } => format!("spiffe://{PARTNER_DOMAIN}{}", path(ns, sa)),
        }
    }

    /// The entry a well-formed SAN surely matches first, and the cluster it binds
    /// (`None` for the tags entry).
    fn expected(&self) -> Option<(usize, Option<&str>)> {
        match self {
            Self::Raw(_) => None,
            Self::Bound { ns, sa } => {
                (ns.well_formed() && sa.well_formed()).then_some((0, Some("us-east")))
            }
            Self::Captured { cluster, ns, sa } => (cluster.well_formed()
                && cluster.text() != "us-east"
                && ns.well_formed()
                && sa.well_formed())
            .then(|| (1, Some(cluster.text()))),
            Self::Tags { ns, sa } => (ns.well_formed() && sa.well_formed()).then_some((2, None)),
            Self::Partner { ns, sa } => {
                (ns.well_formed() && sa.well_formed()).then_some((3, Some("eu-central")))
            }
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Port {
    Known(u8),
    Raw(u64),
}

#[derive(Debug, Arbitrary)]
enum ServerName {
    Known(u8),
    Raw(Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Connection {
    outbound: bool,
    mtls: bool,
    san: Option<San>,
    /// `destination.port`, when Envoy has one.
    port: Option<Port>,
    /// `connection.requested_server_name`, when the caller sent one.
    server_name: Option<ServerName>,
}

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let node = NodeFacts {
            xds: NodeInfo {
                cluster: Some(LOCAL_CLUSTER.to_owned()),
                region: Some(LOCAL_REGION.to_owned()),
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

/// The configuration, read independently of the engine.
fn config() -> &'static Json {
    static CONFIG_JSON: OnceLock<Json> = OnceLock::new();
    CONFIG_JSON.get_or_init(|| serde_json::from_str(CONFIG).unwrap())
}

fn cluster_region(cluster: &str) -> Option<&'static str> {
    config()["clusters"].get(cluster)?.get("region")?.as_str()
}

/// The cluster `trustedPeers[entry]` names, if it is an object entry.
fn named_cluster(entry: usize) -> Option<&'static str> {
    config()["trustedPeers"]
        .get(entry)?
        .get("cluster")?
        .as_str()
}

/// Whether `trustedPeers[entry]` binds a cluster: named, or a `{cluster}` capture.
fn binds(entry: usize) -> bool {
    match config()["trustedPeers"].get(entry) {
        Some(Json::String(pattern)) => pattern.contains("{cluster}"),
        Some(Json::Object(_)) => true,
        _ => false,
    }
}

/// A `sni` pattern as docs/configuration.md defines it: the whole name, or
/// `*.suffix`, case-insensitively.
fn sni_matches(pattern: &str, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix('*') {
        Some(suffix) => name.len() > suffix.len() && name.ends_with(suffix),
        None => name == pattern,
    }
}

/// The first rule whose `ports` and `sni` hold, read from the configuration.
fn first_matching_rule(port: Option<u16>, sni: Option<&str>) -> Option<(usize, &'static Json)> {
    config()["residency"]["rules"]
        .as_array()?
        .iter()
        .enumerate()
        .find(|(_, rule)| {
            let condition = &rule["match"];
            let ports_ok = condition["ports"].as_array().is_none_or(|ports| {
                port.is_some_and(|p| ports.iter().any(|q| q.as_u64() == Some(u64::from(p))))
            });
            let sni_ok = condition["sni"].as_array().is_none_or(|patterns| {
                sni.is_some_and(|name| {
                    patterns
                        .iter()
                        .filter_map(Json::as_str)
                        .any(|pattern| sni_matches(pattern, name))
                })
            });
            ports_ok && sni_ok
        })
}

fn check_log_line(
    verdict: &ConnectionVerdict<'_>,
    facts: &ConnectionFacts<'_>,
    rule: &Json,
    mode: Mode,
) {
    let Some(decision) = &verdict.decision else {
        return;
    };
    let line: Json = serde_json::from_str(&decision.log_line)
        .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {}", decision.log_line));
    let object = line.as_object().expect("a JSON object");
    let mut expected = vec![
        reply::ERROR,
        "decision",
        "reason",
        reply::RULE,
        reply::SOURCE_CLUSTER,
        reply::SOURCE_REGION,
        reply::CLUSTER,
        reply::REGION,
    ];
    if facts.port.is_some() {
        expected.push(log_line::PORT);
    }
    if facts.sni.is_some() {
        expected.push(log_line::SNI);
    }
    expected.extend([log_line::MODE, "direction"]);
    let mut fields: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut names = expected.clone();
    fields.sort_unstable();
    names.sort_unstable();
    assert_eq!(fields, names, "{}", decision.log_line);
    // In the contract's order: each field's key appears after the one before it
    // (no value can hold a quoted key: quotes in a value are escaped).
    let at: Vec<Option<usize>> = expected
        .iter()
        .map(|key| decision.log_line.find(&format!("\"{key}\":")))
        .collect();
    assert!(
        at.iter().all(Option::is_some) && at.windows(2).all(|pair| pair[0] < pair[1]),
        "fields out of order: {}",
        decision.log_line
    );
    for http_only in [
        log_line::HOST,
        log_line::PATH,
        log_line::METHOD,
        log_line::REQUEST_ID,
    ] {
        assert!(object.get(http_only).is_none());
    }

    let text = |key: &str| object.get(key).and_then(Json::as_str);
    let (error, decision_value, mode_value) = match mode {
        Mode::Enforce => (reply::RESIDENCY_DENIED, value::DENY, "enforce"),
        Mode::Audit => (log_line::RESIDENCY_AUDIT, value::AUDIT, "audit"),
    };
    assert_eq!(text(reply::ERROR), Some(error));
    assert_eq!(text("decision"), Some(decision_value));
    assert_eq!(text(log_line::MODE), Some(mode_value));
    assert_eq!(text(reply::RULE), rule["name"].as_str());
    assert!(
        text("reason").is_some_and(|r| !r.is_empty()),
        "{}",
        decision.log_line
    );
    assert_eq!(
        text(reply::SOURCE_CLUSTER),
        Some(verdict.source.cluster.unwrap_or(value::UNKNOWN))
    );
    assert_eq!(
        text(reply::SOURCE_REGION),
        Some(verdict.source.region.unwrap_or(value::UNKNOWN))
    );
    assert_eq!(text(reply::CLUSTER), Some(LOCAL_CLUSTER));
    assert_eq!(text(reply::REGION), Some(LOCAL_REGION));
    assert_eq!(text("direction"), Some(facts.direction.as_str()));
    if let Some(port) = facts.port {
        assert_eq!(
            object.get(log_line::PORT).and_then(Json::as_u64),
            Some(u64::from(port))
        );
    }
    if let Some(sni) = facts.sni {
        // Written whole, or cut at a character boundary when very long.
        let logged = text(log_line::SNI).expect("sni is a string");
        assert!(sni.starts_with(logged) && !logged.is_empty(), "{logged:?}");
        if sni.len() <= 256 {
            assert_eq!(logged, sni);
        }
    }
}

fuzz_target!(|connection: Connection| {
    let policy = policy();
    let needs = policy.needs();
    let direction = needs.fixed_direction().unwrap_or(if connection.outbound {
        Direction::Outbound
    } else {
        Direction::Inbound
    });
    let inbound = direction == Direction::Inbound;

    // The facts, as the glue reads them from Envoy's properties.
    let mtls = needs.peer(direction) && connection.mtls;
    let san = connection.san.as_ref().map(San::uri);
    let san = san.filter(|_| mtls);
    let raw_port = connection.port.as_ref().map(|port| match port {
        Port::Known(i) => PORTS
            .get(usize::from(*i) % PORTS.len())
            .copied()
            .unwrap_or(0),
        Port::Raw(raw) => *raw,
    });
    let port = raw_port
        .filter(|_| needs.port())
        .and_then(|p| u16::try_from(p).ok());
    let server_name = connection.server_name.as_ref().map(|name| match name {
        ServerName::Known(i) => SERVER_NAMES
            .get(usize::from(*i) % SERVER_NAMES.len())
            .copied()
            .unwrap_or("")
            .as_bytes()
            .to_vec(),
        ServerName::Raw(raw) => raw.clone(),
    });
    let sni = server_name
        .filter(|_| needs.sni())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|name| !name.is_empty());
    let facts = ConnectionFacts {
        direction,
        peer: Peer {
            mtls,
            uri_san: san.as_deref(),
        },
        port,
        sni: sni.as_deref(),
    };

    let verdict = policy.decide_connection(&facts);
    let source = verdict.source;

    // The rule that decides, and what it does to the connection.
    let rule = first_matching_rule(port, sni.as_deref());
    if let Some(decision) = &verdict.decision {
        let (index, rule) = rule.unwrap_or_else(|| panic!("no rule matches: {verdict:?}"));
        assert_eq!(decision.rule, index, "not the first matching rule");
        let mode = match rule["mode"].as_str() {
            Some("audit") => Mode::Audit,
            _ => Mode::Enforce,
        };
        assert_eq!(decision.mode, mode);
        assert_eq!(
            policy.rule_names().nth(decision.rule),
            rule["name"].as_str()
        );
        check_log_line(&verdict, &facts, rule, mode);
    }
    if verdict.close {
        let decision = verdict.decision.as_ref();
        assert_eq!(
            decision.map(|d| d.mode),
            Some(Mode::Enforce),
            "closed without an enforce decision: {verdict:?}"
        );
    }
    if verdict
        .decision
        .as_ref()
        .is_some_and(|d| d.mode == Mode::Enforce)
    {
        assert!(
            verdict.close,
            "an enforce decision left it open: {verdict:?}"
        );
    }

    // Who is calling.
    if !inbound {
        assert_eq!(source.kind, SourceKind::Local);
        assert_eq!(source.cluster, Some(LOCAL_CLUSTER));
        assert_eq!(source.region, Some(LOCAL_REGION));
        assert_eq!(verdict.peer, None);
        assert!(!verdict.unknown_source && !verdict.metered);
    }
    if inbound && !mtls {
        assert_eq!(verdict.peer, None);
    }
    assert_eq!(
        verdict.unknown_source,
        inbound && source.kind == SourceKind::Unknown
    );
    assert_ne!(source.kind, SourceKind::Trusted, "tags believed at L4");
    if let Some(matched) = verdict.peer {
        assert_eq!(matched.bound.is_some(), binds(matched.entry), "{verdict:?}");
        if let Some(cluster) = named_cluster(matched.entry) {
            assert_eq!(matched.bound, Some(cluster));
        }
        // The tags entry comes first for its trust domain: the bound entry after
        // it is never reached.
        assert_ne!(matched.entry, 4, "a shadowed entry matched: {verdict:?}");
    }
    match source.kind {
        SourceKind::Bound => {
            assert!(inbound && mtls);
            let matched = verdict
                .peer
                .unwrap_or_else(|| panic!("bound without an entry: {verdict:?}"));
            let bound = matched
                .bound
                .unwrap_or_else(|| panic!("bound through a tags entry: {verdict:?}"));
            assert_eq!(source.cluster, Some(bound));
            if matched.entry == 1 {
                let domain = san
                    .as_deref()
                    .and_then(|s| s.strip_prefix("spiffe://"))
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or_default();
                assert_eq!(
                    domain.split('.').next(),
                    Some(bound),
                    "captured from {san:?}"
                );
            }
            let region = cluster_region(bound)
                .unwrap_or_else(|| panic!("bound to an unlisted cluster {bound:?}"));
            assert_eq!(source.region, Some(region));
            assert_eq!(source.zone, None);
        }
        SourceKind::Unknown => {
            assert!(inbound);
            assert_eq!((source.cluster, source.region), (None, None));
            // No bound entry matched, or its cluster is not listed.
            if let Some(bound) = verdict.peer.and_then(|m| m.bound) {
                assert_eq!(cluster_region(bound), None, "listed {bound:?} left unknown");
            }
        }
        SourceKind::Local => assert!(!inbound),
        SourceKind::Trusted => {}
    }

    // A well-formed SAN under a trust domain of the configuration matches its entry.
    if inbound && mtls {
        if let Some(expected) = connection.san.as_ref().and_then(San::expected) {
            let matched = verdict.peer.map(|m| (m.entry, m.bound));
            assert_eq!(matched, Some(expected), "SAN {san:?}");
        }
    }

    // Metering: inbound, whenever the source is not the local cluster.
    assert_eq!(
        verdict.metered,
        inbound && source.cluster != Some(LOCAL_CLUSTER),
        "{verdict:?}"
    );
});
