//! Zones: the outbound zone tag from the local identity, the inbound one believed
//! with the cluster tag and removed otherwise, and which inbound requests cross a
//! zone border and are metered.

use super::fixtures::{
    SPEC_CONFIG, TRUSTED_SAN, get, inbound, mtls, outbound, policy_at, policy_in_zone, removes,
    set_value,
};
use crate::contract::header;
use crate::contract::value::{OTHER, UNKNOWN};
use crate::policy::{Peer, Source, SourceKind};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const CLUSTER: &str = header::SOURCE_CLUSTER;
const ZONE: &str = header::SOURCE_ZONE;

fn eu_west_1a() -> crate::policy::Policy {
    policy_in_zone(SPEC_CONFIG, "eu-west", "eu-west-1", "eu-west-1a")
}

#[test]
fn outbound_sets_the_local_zone_over_a_forged_one() {
    let policy = eu_west_1a();
    let headers = get("svc", "/", &[(ZONE, "us-east-1a")]);
    let verdict = outbound(&policy, &headers);
    assert_eq!(set_value(&verdict, ZONE), Some("eu-west-1a"));
    assert_eq!(verdict.source.zone, Some("eu-west-1a"));
}

#[test]
fn outbound_removes_the_zone_tag_when_the_local_zone_is_unknown() {
    let policy = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1");
    let headers = get("svc", "/", &[(ZONE, "forged")]);
    let verdict = outbound(&policy, &headers);
    assert!(removes(&verdict, ZONE));
}

#[test]
fn outbound_removes_an_absent_zone_tag_only_when_it_did_not_read_the_headers() {
    let reads = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1");
    let headers = get("svc", "/", &[]);
    assert!(
        !removes(&outbound(&reads, &headers), ZONE),
        "nothing there to remove"
    );
    let blind = policy_at("{}", "eu-west", "eu-west-1");
    let nothing_read = get("svc", "/", &[]);
    assert!(
        removes(&outbound(&blind, &nothing_read), ZONE),
        "without the headers, a forged tag may be there"
    );
}

#[test]
fn the_zone_field_overrides_the_node_zone() {
    let config = SPEC_CONFIG.replacen('{', r#"{ "zone": "eu-west-1c","#, 1);
    let policy = policy_in_zone(&config, "eu-west", "eu-west-1", "eu-west-1a");
    let headers = get("svc", "/", &[]);
    let verdict = outbound(&policy, &headers);
    assert_eq!(set_value(&verdict, ZONE), Some("eu-west-1c"));
}

#[test]
fn a_trusted_peers_zone_is_believed_with_its_cluster_tag() {
    let policy = eu_west_1a();
    let headers = get("svc", "/", &[(CLUSTER, "eu-west"), (ZONE, "eu-west-1b")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.zone, Some("eu-west-1b"));
    assert!(!removes(&verdict, ZONE) && set_value(&verdict, ZONE).is_none());
    assert!(
        verdict.zone_metered,
        "eu-west-1b to eu-west-1a crosses a zone"
    );
    assert!(!verdict.metered, "but not a cluster");
}

#[test]
fn a_request_within_the_local_zone_is_not_metered() {
    let policy = eu_west_1a();
    let headers = get("svc", "/", &[(CLUSTER, "eu-west"), (ZONE, "eu-west-1a")]);
    assert!(!inbound(&policy, mtls(TRUSTED_SAN), &headers).zone_metered);
}

#[test]
fn a_believed_source_without_a_zone_is_metered_as_unknown() {
    let policy = eu_west_1a();
    let headers = get("svc", "/", &[(CLUSTER, "us-east")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert!(verdict.zone_metered);
    let mut meter = policy.meter();
    let number = meter.zone_set(&verdict.source);
    let stats = meter.xzone_stats(number).unwrap();
    assert!(
        stats
            .requests
            .contains(&format!("source_zone=.={UNKNOWN};.;")),
        "{}",
        stats.requests
    );
}

#[test]
fn nothing_is_zone_metered_while_the_local_zone_is_unknown() {
    let policy = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1");
    let headers = get("svc", "/", &[(CLUSTER, "us-east"), (ZONE, "us-east-1a")]);
    assert!(!inbound(&policy, mtls(TRUSTED_SAN), &headers).zone_metered);
}

#[test]
fn an_untrusted_peers_zone_tag_is_removed_and_not_metered() {
    let policy = eu_west_1a();
    let headers = get("svc", "/", &[(CLUSTER, "us-east"), (ZONE, "us-east-1a")]);
    for peer in [Peer::default(), mtls("spiffe://evil.example/ns/x/sa/y")] {
        let verdict = inbound(&policy, peer, &headers);
        assert!(removes(&verdict, ZONE), "{peer:?}");
        assert!(!verdict.zone_metered, "{peer:?}");
    }
}

#[test]
fn a_zone_without_a_believed_cluster_is_removed() {
    let policy = eu_west_1a();
    let headers = get("svc", "/", &[(ZONE, "eu-west-1b")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
    assert!(removes(&verdict, ZONE));
}

#[test]
fn a_repeated_or_malformed_zone_tag_is_removed_and_the_zone_unknown() {
    let policy = eu_west_1a();
    for zone in [vec![(ZONE, "a"), (ZONE, "b")], vec![(ZONE, "bad zone")]] {
        let mut extra = vec![(CLUSTER, "eu-west")];
        extra.extend(zone);
        let headers = get("svc", "/", &extra);
        let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
        assert_eq!(verdict.source.zone, None, "{extra:?}");
        assert!(removes(&verdict, ZONE), "{extra:?}");
    }
}

#[test]
fn at_most_max_zones_get_their_own_label() {
    let config = SPEC_CONFIG.replacen('{', r#"{ "metrics": { "maxZones": 2 },"#, 1);
    let policy = policy_in_zone(&config, "eu-west", "eu-west-1", "eu-west-1a");
    let mut meter = policy.meter();
    let labels: Vec<String> = ["z1", "z2", "z3", "z1"]
        .into_iter()
        .map(|zone| {
            let source = Source {
                kind: SourceKind::Trusted,
                cluster: Some("eu-west"),
                region: None,
                zone: Some(zone),
            };
            let number = meter.zone_set(&source);
            meter.xzone_stats(number).unwrap().requests
        })
        .collect();
    for (label, zone) in labels.iter().zip(["z1", "z2", OTHER, "z1"]) {
        assert!(
            label.contains(&format!("source_zone=.={zone};.;")),
            "{label}"
        );
        assert!(
            label.contains("destination_zone=.=eu-west-1a;.;"),
            "{label}"
        );
    }
}
