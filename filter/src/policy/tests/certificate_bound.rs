//! Certificate-bound identity: a `trustedPeers` entry that names the peer's cluster,
//! or captures it from the certificate, decides the source whatever the tags say,
//! rewrites contradicting tags, and reports the contradiction.

use super::fixtures::{
    SPEC_CONFIG, TRUSTED_SAN, eu_west, get, inbound, mtls, refusal, removes, set_value,
};
use crate::contract::header;
use crate::policy::{OncePerSecond, SourceKind};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const CLUSTER: &str = header::SOURCE_CLUSTER;
const REGION: &str = header::SOURCE_REGION;
const ZONE: &str = header::SOURCE_ZONE;
/// The SPEC example binds this trust domain to us-east.
const US_EAST_SAN: &str = "spiffe://us-east.mesh.example/ns/shop/sa/frontend";
/// And captures the cluster from this one's first label.
const EU_CENTRAL_SAN: &str = "spiffe://eu-central.mesh.example/ns/shop/sa/frontend";

#[test]
fn a_named_cluster_overrules_a_contradicting_tag() {
    let policy = eu_west();
    let headers = get(
        "svc",
        "/",
        &[
            (CLUSTER, "eu-central"),
            (REGION, "eu-central-1"),
            ("x-request-id", "r1"),
        ],
    );
    let verdict = inbound(&policy, mtls(US_EAST_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Bound);
    assert_eq!(verdict.source.cluster, Some("us-east"));
    assert_eq!(verdict.source.region, Some("us-east-1"));
    assert_eq!(set_value(&verdict, CLUSTER), Some("us-east"));
    assert_eq!(set_value(&verdict, REGION), Some("us-east-1"));
    let mismatch = verdict.mismatch.unwrap();
    assert_eq!(mismatch.cluster, "us-east");
    assert_eq!(mismatch.claimed, Some("eu-central"));
    let line = policy.tag_mismatch_line(&mismatch, 3);
    assert_eq!(
        line,
        r#"{"event":"tag_mismatch","sourceCluster":"us-east","claimedCluster":"eu-central","peer":"spiffe://us-east.mesh.example/ns/shop/sa/frontend","cluster":"eu-west","suppressed":3,"x-request-id":"r1"}"#
    );
    let entry = verdict.peer.unwrap();
    assert_eq!((entry.entry, entry.bound), (0, Some("us-east")));
}

#[test]
fn a_bound_peer_without_tags_gets_them_and_no_mismatch() {
    let policy = eu_west();
    let headers = get("svc", "/", &[]);
    let verdict = inbound(&policy, mtls(US_EAST_SAN), &headers);
    assert_eq!(verdict.source.cluster, Some("us-east"));
    assert_eq!(set_value(&verdict, CLUSTER), Some("us-east"));
    assert_eq!(verdict.mismatch, None);
    assert!(verdict.metered);
}

#[test]
fn a_matching_tag_is_left_alone() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "us-east"), (REGION, "us-east-1")]);
    let verdict = inbound(&policy, mtls(US_EAST_SAN), &headers);
    assert_eq!(verdict.mismatch, None);
    assert_eq!(set_value(&verdict, CLUSTER), None);
    assert_eq!(set_value(&verdict, REGION), None);
}

#[test]
fn a_repeated_cluster_tag_is_a_mismatch_without_a_claim() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "us-east"), (CLUSTER, "eu-west")]);
    let verdict = inbound(&policy, mtls(US_EAST_SAN), &headers);
    assert_eq!(verdict.source.cluster, Some("us-east"));
    assert_eq!(verdict.mismatch.unwrap().claimed, None);
    assert_eq!(set_value(&verdict, CLUSTER), Some("us-east"));
}

#[test]
fn a_captured_cluster_is_the_source_and_its_zone_tag_is_read() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "us-east"), (ZONE, "eu-central-1b")]);
    let verdict = inbound(&policy, mtls(EU_CENTRAL_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Bound);
    assert_eq!(verdict.source.cluster, Some("eu-central"));
    assert_eq!(verdict.source.region, Some("eu-central-1"));
    assert_eq!(verdict.source.zone, Some("eu-central-1b"));
    assert_eq!(verdict.mismatch.unwrap().claimed, Some("us-east"));
    assert_eq!(verdict.peer.unwrap().entry, 1);
}

#[test]
fn a_captured_cluster_that_clusters_lacks_is_an_unknown_source() {
    let policy = eu_west();
    let san = "spiffe://ap-south.mesh.example/ns/shop/sa/frontend";
    let headers = get("svc", "/", &[(CLUSTER, "us-east"), (ZONE, "ap-south-1a")]);
    let verdict = inbound(&policy, mtls(san), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
    assert!(verdict.unknown_source);
    assert!(removes(&verdict, CLUSTER) && removes(&verdict, ZONE));
    assert_eq!(verdict.mismatch, None);
}

#[test]
fn a_string_entry_still_believes_the_tag() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "eu-central")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Trusted);
    assert_eq!(verdict.source.cluster, Some("eu-central"));
    let entry = verdict.peer.unwrap();
    assert_eq!((entry.entry, entry.bound), (2, None));
}

#[test]
fn the_first_matching_entry_decides() {
    let config = SPEC_CONFIG.replace(
        r#"{ "peer": "spiffe://us-east.mesh.example/ns/*/sa/*", "cluster": "us-east" },"#,
        r#""spiffe://us-east.mesh.example/ns/*/sa/*", { "peer": "spiffe://us-east.mesh.example/ns/*/sa/*", "cluster": "us-east" },"#,
    );
    let policy = super::fixtures::policy_at(&config, "eu-west", "eu-west-1");
    let headers = get("svc", "/", &[(CLUSTER, "eu-central")]);
    let verdict = inbound(&policy, mtls(US_EAST_SAN), &headers);
    assert_eq!(
        verdict.source.kind,
        SourceKind::Trusted,
        "the string entry comes first"
    );
}

#[test]
fn a_certificate_bound_source_never_takes_its_cluster_from_a_header() {
    let policy = eu_west();
    for claimed in ["eu-west", "eu-central", "ap-south", "", "us-east\u{0}x"] {
        let headers = get("svc", "/", &[(CLUSTER, claimed), (REGION, "eu-west-1")]);
        let verdict = inbound(&policy, mtls(US_EAST_SAN), &headers);
        assert_eq!(verdict.source.cluster, Some("us-east"), "{claimed:?}");
        assert_eq!(verdict.source.region, Some("us-east-1"), "{claimed:?}");
    }
}

#[test]
fn bad_certificate_bound_entries_are_refused_in_the_house_style() {
    let with = |entries: &str| {
        SPEC_CONFIG.replace(
            r#"{ "peer": "spiffe://us-east.mesh.example/ns/*/sa/*", "cluster": "us-east" },"#,
            entries,
        )
    };
    for (entries, expected) in [
        (
            r#"{ "peer": "spiffe://x.example/ns/*/sa/*", "cluster": "ap-south" },"#,
            "`trustedPeers[0].cluster`: unknown cluster `ap-south` (known clusters: eu-central, eu-west, us-east); list it in `clusters` with its region",
        ),
        (
            r#""spiffe://{cluster}.mesh.example/ns/{cluster}/sa/*","#,
            "`trustedPeers[0]`: bad peer pattern `spiffe://{cluster}.mesh.example/ns/{cluster}/sa/*` (expected at most one `{cluster}`: a peer has one cluster)",
        ),
        (
            r#""spiffe://x-{cluster}.mesh.example/ns/*/sa/*","#,
            "`trustedPeers[0]`: bad peer pattern `spiffe://x-{cluster}.mesh.example/ns/*/sa/*` (expected `{cluster}` as one whole trust-domain label or path segment, such as `spiffe://{cluster}.mesh.example/ns/*/sa/*`)",
        ),
        (
            r#""spiffe://mesh.example/ns/{cluster}-a/sa/*","#,
            "`trustedPeers[0]`: bad peer pattern `spiffe://mesh.example/ns/{cluster}-a/sa/*` (expected `{cluster}` as one whole trust-domain label or path segment, such as `spiffe://{cluster}.mesh.example/ns/*/sa/*`)",
        ),
        (
            r#"{ "peer": "spiffe://{cluster}.example/ns/*/sa/*", "cluster": "us-east" },"#,
            "`trustedPeers[0].peer`: a pattern with `{cluster}` cannot also have a `cluster`: use one or the other to say which cluster the peer is in",
        ),
        (
            r#"{ "peer": "spiffe://x.example/ns/*/sa/*", "clustr": "us-east" },"#,
            "`trustedPeers[0].clustr`: unknown field `clustr`, expected `peer` or `cluster`",
        ),
    ] {
        let message = refusal(&with(entries));
        assert!(
            message.starts_with(expected),
            "{message}\nexpected: {expected}"
        );
    }
}

#[test]
fn max_zones_above_its_limit_is_refused() {
    let config = SPEC_CONFIG.replacen('{', r#"{ "metrics": { "maxZones": 5000 },"#, 1);
    assert_eq!(
        refusal(&config),
        "`metrics.maxZones`: `5000` is too large (expected at most 1024)"
    );
}

#[test]
fn mismatch_lines_are_written_at_most_once_a_second_and_say_how_many_were_held_back() {
    let mut limiter = OncePerSecond::default();
    let second = 1_000_000_000;
    let admitted: Vec<Option<u64>> = [0, 1, 2, second - 1, second, second + 1, 3 * second]
        .into_iter()
        .map(|now| limiter.admit(now))
        .collect();
    assert_eq!(
        admitted,
        [Some(0), None, None, None, Some(3), None, Some(1)]
    );
}
