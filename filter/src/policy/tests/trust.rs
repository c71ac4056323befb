//! Tagging and trust: outbound tags from the local identity, inbound tags believed
//! only from a trusted mTLS peer.

use super::fixtures::{
    TRUSTED_SAN, eu_west, get, inbound, mtls, outbound, removes, set_value, us_east,
};
use crate::contract::header;
use crate::policy::Peer;
use crate::policy::identity::SourceKind;
use crate::policy::peer_pattern::PeerPattern;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const CLUSTER: &str = header::SOURCE_CLUSTER;
const REGION: &str = header::SOURCE_REGION;

#[test]
fn outbound_replaces_forged_tags_with_the_local_identity() {
    let policy = us_east();
    let headers = get("svc", "/", &[(CLUSTER, "eu-west"), (REGION, "eu-west-1")]);
    let verdict = outbound(&policy, &headers);
    assert_eq!(set_value(&verdict, CLUSTER), Some("us-east"));
    assert_eq!(set_value(&verdict, REGION), Some("us-east-1"));
    assert_eq!(verdict.source.kind, SourceKind::Local);
    assert!(
        !verdict.metered,
        "outbound traffic is metered on the inbound side"
    );
}

#[test]
fn inbound_believes_a_trusted_peer_and_takes_the_region_from_the_table() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "us-east"), (REGION, "us-east-1")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Trusted);
    assert_eq!(verdict.source.cluster, Some("us-east"));
    assert_eq!(verdict.source.region, Some("us-east-1"));
    assert_eq!(
        verdict.header_ops.iter().count(),
        1,
        "only the route header changes"
    );
    assert!(verdict.metered);
    assert!(!verdict.unknown_source);
}

#[test]
fn trusted_region_header_that_contradicts_the_table_is_rewritten() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "us-east"), (REGION, "eu-west-1")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.region, Some("us-east-1"));
    assert_eq!(set_value(&verdict, REGION), Some("us-east-1"));
}

#[test]
fn region_header_is_used_when_the_table_lacks_the_cluster() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "ap-south"), (REGION, "ap-south-1")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.cluster, Some("ap-south"));
    assert_eq!(verdict.source.region, Some("ap-south-1"));
}

#[test]
fn plaintext_request_is_unknown_and_its_tags_are_removed() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "eu-west"), (REGION, "eu-west-1")]);
    let verdict = inbound(&policy, Peer::default(), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
    assert!(removes(&verdict, CLUSTER));
    assert!(removes(&verdict, REGION));
    assert!(verdict.unknown_source);
    assert!(verdict.metered, "an unknown source is counted as `unknown`");
}

#[test]
fn mtls_peer_outside_trusted_peers_is_unknown() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "eu-west")]);
    let verdict = inbound(
        &policy,
        mtls("spiffe://evil.example/ns/shop/sa/x"),
        &headers,
    );
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
    assert!(removes(&verdict, CLUSTER));
}

#[test]
fn san_without_mtls_is_not_trusted() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "eu-west")]);
    let peer = Peer {
        mtls: false,
        uri_san: Some(TRUSTED_SAN),
    };
    assert_eq!(
        inbound(&policy, peer, &headers).source.kind,
        SourceKind::Unknown
    );
}

#[test]
fn default_trusts_nobody() {
    let policy = super::fixtures::policy_at("{}", "eu-west", "eu-west-1");
    let headers = get("svc", "/", &[(CLUSTER, "us-east")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
    assert!(removes(&verdict, CLUSTER));
}

#[test]
fn duplicated_cluster_tag_is_not_believed() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "eu-west"), (CLUSTER, "us-east")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
    assert!(removes(&verdict, CLUSTER));
}

#[test]
fn trusted_peer_without_a_cluster_tag_is_unknown() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(REGION, "eu-west-1")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
    assert!(removes(&verdict, REGION));
}

#[test]
fn cluster_tag_that_is_not_a_name_is_not_believed() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(CLUSTER, "us-east;.;rule=.=x")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
}

#[test]
fn non_utf8_tag_is_not_believed_and_does_not_fail() {
    let policy = eu_west();
    let mut headers = get("svc", "/", &[]);
    headers.push((CLUSTER.to_owned(), vec![0xff, 0xfe, b'a']));
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(verdict.source.kind, SourceKind::Unknown);
    assert!(removes(&verdict, CLUSTER));
}

#[test]
fn star_matches_exactly_one_path_segment() {
    let pattern = PeerPattern::parse("spiffe://cluster.local/ns/*/sa/*").unwrap();
    assert!(pattern.matches("spiffe://cluster.local/ns/shop/sa/frontend"));
    assert!(pattern.matches("spiffe://CLUSTER.local/ns/shop/sa/frontend"));
    assert!(!pattern.matches("spiffe://cluster.local/ns/shop/sa/frontend/extra"));
    assert!(!pattern.matches("spiffe://cluster.local/ns/shop/sa"));
    assert!(!pattern.matches("spiffe://cluster.local/ns//sa/frontend"));
    assert!(!pattern.matches("spiffe://other.local/ns/shop/sa/frontend"));
    assert!(!pattern.matches("https://cluster.local/ns/shop/sa/frontend"));
    assert!(!pattern.matches("spiffe://cluster.local/NS/shop/sa/frontend"));
}

#[test]
fn underscore_lookalikes_of_the_tags_are_removed_on_both_sides() {
    let forged = [
        ("x_meshborder_source_cluster", "eu-west"),
        ("x-meshborder_source-region", "eu-west-1"),
        ("X_MESHBORDER_SOURCE_CLUSTER", "eu-west"),
    ];
    let policy = eu_west();
    let headers = get("svc", "/", &forged);
    for verdict in [
        inbound(&policy, Peer::default(), &headers),
        inbound(&policy, mtls(TRUSTED_SAN), &headers),
        outbound(&policy, &headers),
    ] {
        assert_eq!(
            verdict.lookalikes,
            [
                "x_meshborder_source_cluster",
                "X_MESHBORDER_SOURCE_CLUSTER",
                "x-meshborder_source-region"
            ]
        );
    }
}

#[test]
fn the_real_tag_spelling_and_other_underscored_names_are_no_lookalikes() {
    let policy = eu_west();
    let headers = get(
        "svc",
        "/",
        &[
            (CLUSTER, "us-east"),
            ("x_meshborder_source_clusterx", "a"),
            ("x_other", "b"),
        ],
    );
    assert!(
        inbound(&policy, mtls(TRUSTED_SAN), &headers)
            .lookalikes
            .is_empty()
    );
}
