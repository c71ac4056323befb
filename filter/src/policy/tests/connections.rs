//! L4: a `tcp` layer's configuration, and one connection's verdict: the source from
//! the certificate only, rules on ports and server names, the close, and metering.

use super::fixtures::{TRUSTED_SAN, mtls, policy_at, refusal};
use crate::contract::metric::{XCLUSTER_TCP_BYTES, XCLUSTER_TCP_CONNECTIONS};
use crate::contract::value::{RECEIVED, SENT};
use crate::policy::{ConnectionFacts, Direction, Mode, Peer, Policy, SourceKind};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const US_EAST_SAN: &str = "spiffe://us-east.mesh.example/ns/db/sa/replica";
const EU_CENTRAL_SAN: &str = "spiffe://eu-central.mesh.example/ns/db/sa/replica";

/// A `tcp` layer keeping the PostgreSQL port (and `*.db.example`) in the EU.
const TCP_CONFIG: &str = r#"{
  "layer": "tcp",
  "clusters": { "us-east": { "region": "us-east-1" }, "eu-west": { "region": "eu-west-1" },
                "eu-central": { "region": "eu-central-1" } },
  "regionGroups": { "eu": ["eu-west-1", "eu-central-1"], "us": ["us-east-1"] },
  "trustedPeers": [
    { "peer": "spiffe://us-east.mesh.example/ns/*/sa/*", "cluster": "us-east" },
    "spiffe://{cluster}.mesh.example/ns/*/sa/*",
    "spiffe://cluster.local/ns/*/sa/*"
  ],
  "residency": { "rules": [
    { "name": "eu-database", "match": { "ports": [5432] }, "allowSourceRegions": ["eu"] },
    { "name": "eu-brokers", "match": { "sni": ["*.brokers.example"] },
      "allowSourceRegions": ["eu"], "mode": "audit" }
  ] }
}"#;

fn eu_west() -> Policy {
    policy_at(TCP_CONFIG, "eu-west", "eu-west-1")
}

fn inbound<'a>(peer: Peer<'a>, port: u16, sni: Option<&'a str>) -> ConnectionFacts<'a> {
    ConnectionFacts {
        direction: Direction::Inbound,
        peer,
        port: Some(port),
        sni,
    }
}

#[test]
fn a_certificate_bound_caller_from_the_eu_reaches_the_database_and_is_metered() {
    let policy = eu_west();
    let verdict = policy.decide_connection(&inbound(mtls(EU_CENTRAL_SAN), 5432, None));
    assert_eq!(verdict.source.kind, SourceKind::Bound);
    assert_eq!(verdict.source.cluster, Some("eu-central"));
    assert!(!verdict.close);
    assert!(verdict.metered);
    assert_eq!(verdict.decision, None);
}

#[test]
fn a_us_caller_is_closed_on_the_eu_database_port_and_the_decision_logged() {
    let policy = eu_west();
    let verdict = policy.decide_connection(&inbound(mtls(US_EAST_SAN), 5432, None));
    assert!(verdict.close);
    let decision = verdict.decision.unwrap();
    assert_eq!((decision.rule, decision.mode), (0, Mode::Enforce));
    assert_eq!(
        decision.log_line,
        r#"{"error":"residency_denied","decision":"deny","reason":"source_region_not_allowed","rule":"eu-database","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"eu-west","region":"eu-west-1","port":5432,"mode":"enforce","direction":"inbound"}"#
    );
}

#[test]
fn other_ports_are_not_covered_by_the_rule() {
    let policy = eu_west();
    let verdict = policy.decide_connection(&inbound(mtls(US_EAST_SAN), 6379, None));
    assert!(!verdict.close);
    assert_eq!(verdict.decision, None);
}

#[test]
fn a_server_name_rule_matches_case_insensitively_and_audits() {
    let policy = eu_west();
    let facts = inbound(mtls(US_EAST_SAN), 9093, Some("Kafka-1.Brokers.Example"));
    let verdict = policy.decide_connection(&facts);
    assert!(!verdict.close, "audit lets the connection through");
    let decision = verdict.decision.unwrap();
    assert_eq!((decision.rule, decision.mode), (1, Mode::Audit));
    assert!(
        decision
            .log_line
            .contains(r#""sni":"Kafka-1.Brokers.Example""#)
    );
}

#[test]
fn a_string_entry_or_a_plaintext_caller_is_an_unknown_source_at_l4() {
    let policy = eu_west();
    for peer in [mtls(TRUSTED_SAN), Peer::default()] {
        let verdict = policy.decide_connection(&inbound(peer, 5432, None));
        assert_eq!(verdict.source.kind, SourceKind::Unknown, "{peer:?}");
        assert!(verdict.unknown_source);
        assert!(verdict.close, "the rule denies unknown sources by default");
    }
}

#[test]
fn the_metering_stats_of_a_tcp_layer_are_the_tcp_counters() {
    let policy = eu_west();
    let stats = policy.meter().xcluster_tcp_stats(0).unwrap();
    let received = format!("{}_direction=.={RECEIVED};.;", XCLUSTER_TCP_BYTES.stat);
    assert!(
        stats.request_bytes.starts_with(&received),
        "{}",
        stats.request_bytes
    );
    let sent = format!("direction=.={SENT};.;");
    assert!(
        stats.response_bytes.contains(&sent),
        "{}",
        stats.response_bytes
    );
    let connections = format!("{}_", XCLUSTER_TCP_CONNECTIONS.stat);
    assert!(
        stats.requests.starts_with(&connections),
        "{}",
        stats.requests
    );
}

#[test]
fn the_policy_reads_the_port_and_the_server_name_only_when_a_rule_needs_them() {
    let needs = eu_west().needs();
    assert!(needs.port() && needs.sni());
    let http = policy_at("{}", "eu-west", "eu-west-1").needs();
    assert!(!http.port() && !http.sni());
}

#[test]
fn conditions_of_the_other_layer_are_refused_saying_which_layer_takes_what() {
    assert_eq!(
        refusal(r#"{"residency":{"rules":[{"name":"r","match":{"ports":[5432]}}]}}"#),
        "rule `r`: `match.ports`: `ports` is matched by a network filter (`\"layer\": \"tcp\"`); an `http` layer matches `hosts`, `paths`, `methods` and `headers`"
    );
    assert_eq!(
        refusal(r#"{"layer":"tcp","residency":{"rules":[{"name":"r","match":{"hosts":["db"]}}]}}"#),
        "rule `r`: `match.hosts`: `hosts` is matched by an HTTP filter (`\"layer\": \"http\"`); a `tcp` layer matches `ports` and `sni`"
    );
    assert_eq!(
        refusal(r#"{"layer":"tcp","routing":{"default":"eu-west-1"}}"#),
        "`routing`: routing is HTTP only: a `tcp` layer has no requests to route; remove `routing`, or use `\"layer\": \"http\"`"
    );
    assert!(
        refusal(r#"{"layer":"udp"}"#)
            .starts_with("`layer`: unknown variant `udp`, expected `http` or `tcp`"),
        "{}",
        refusal(r#"{"layer":"udp"}"#)
    );
    assert!(
        refusal(r#"{"layer":"tcp","residency":{"rules":[{"name":"r","match":{"sni":["a*b"]}}]}}"#)
            .contains("bad server name pattern `a*b`")
    );
}
