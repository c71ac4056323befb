//! The spoofing matrix, tags, on real Envoys: a forged `x-meshborder-source-*` tag
//! is never believed unless the trusted peer sent it. Sent to us-east's outbound
//! sidecar it is replaced by us-east's own; sent straight to eu-west in plaintext
//! or with an untrusted SPIFFE ID it is removed before the app sees it, and EU user
//! data is denied to the unknown caller. The same holds for a tag in mixed case
//! (HTTP/1.1 header names are case-insensitive; Envoy lowercases them), a
//! duplicated tag (never believed, even from the trusted peer), a region tag
//! without a cluster tag, and a cluster that is not in eu-west's `clusters` table.
//! Trust comes from the TLS connection alone: a forged `x-forwarded-client-cert`
//! naming the trusted SPIFFE ID changes nothing.
//!
//! The trusted peer's tags are believed by design: a compromised but trusted
//! workload can claim any cluster. What it cannot do is give a cluster that
//! eu-west's table knows another region.

use super::spoofing_support::{
    CLUSTER_TAG, REGION_TAG, Side, assert_denied, assert_reached_eu_west_tagged, get, mesh, seen,
    send,
};

#[test]
fn a_forged_tag_sent_to_us_east_is_replaced_by_us_east() {
    let mesh = mesh("spoof-forged-us-east");
    let forged = |path| {
        get(path)
            .header(CLUSTER_TAG, "eu-west")
            .header(REGION_TAG, "eu-west-1")
    };

    let catalog = send(&mesh, Side::ViaUsEast, &forged("/catalog")).unwrap();
    let users = send(&mesh, Side::ViaUsEast, &forged("/users/1")).unwrap();

    assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
    assert_denied(&users, "us-east", "us-east-1");
}

#[test]
fn a_forged_tag_over_plaintext_or_an_untrusted_san_is_removed_and_eu_user_data_denied() {
    let mesh = mesh("spoof-forged-untrusted");
    let forged = |path| {
        get(path)
            .header(CLUSTER_TAG, "eu-west")
            .header(REGION_TAG, "eu-west-1")
    };
    for side in Side::UNTRUSTED {
        let catalog = send(&mesh, side, &forged("/catalog")).unwrap();
        let users = send(&mesh, side, &forged("/users/1")).unwrap();

        assert_reached_eu_west_tagged(&catalog, None, None);
        assert_denied(&users, "unknown", "unknown");
    }
}

#[test]
fn a_mixed_case_tag_sent_to_us_east_is_replaced_by_one_us_east_tag() {
    let mesh = mesh("spoof-mixed-case-us-east");
    let forged = |path| {
        get(path)
            .header("X-MeshBorder-Source-Cluster", "eu-west")
            .header("X-MESHBORDER-SOURCE-REGION", "eu-west-1")
    };

    let catalog = send(&mesh, Side::ViaUsEast, &forged("/catalog")).unwrap();
    let users = send(&mesh, Side::ViaUsEast, &forged("/users/1")).unwrap();

    assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
    assert_denied(&users, "us-east", "us-east-1");
}

#[test]
fn a_mixed_case_tag_over_plaintext_or_an_untrusted_san_is_removed_and_eu_user_data_denied() {
    let mesh = mesh("spoof-mixed-case-untrusted");
    let forged = |path| {
        get(path)
            .header("X-Meshborder-Source-Cluster", "eu-west")
            .header("x-MESHBORDER-source-REGION", "eu-west-1")
    };
    for side in Side::UNTRUSTED {
        let catalog = send(&mesh, side, &forged("/catalog")).unwrap();
        let users = send(&mesh, side, &forged("/users/1")).unwrap();

        let seen = seen(&catalog).unwrap();
        assert!(
            !seen
                .header_names
                .iter()
                .any(|name| name.contains("meshborder")),
            "{side:?}: {seen:?}"
        );
        assert_denied(&users, "unknown", "unknown");
    }
}

#[test]
fn a_mixed_case_tag_from_the_trusted_peer_is_read_like_a_lowercase_one() {
    let mesh = mesh("spoof-mixed-case-trusted");
    let tagged = |path| {
        get(path)
            .header("X-MeshBorder-Source-Cluster", "us-east")
            .header("X-MeshBorder-Source-Region", "us-east-1")
    };

    let catalog = send(&mesh, Side::TrustedPeer, &tagged("/catalog")).unwrap();
    let users = send(&mesh, Side::TrustedPeer, &tagged("/users/1")).unwrap();

    assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
    assert_denied(&users, "us-east", "us-east-1");
}

#[test]
fn a_duplicated_tag_sent_to_us_east_is_replaced_by_one_us_east_tag() {
    let mesh = mesh("spoof-duplicate-us-east");
    let forged = |path| {
        get(path)
            .header(CLUSTER_TAG, "eu-west")
            .header("X-Meshborder-Source-Cluster", "eu-central")
            .header(REGION_TAG, "eu-west-1")
            .header(REGION_TAG, "eu-west-1")
    };

    let catalog = send(&mesh, Side::ViaUsEast, &forged("/catalog")).unwrap();
    let users = send(&mesh, Side::ViaUsEast, &forged("/users/1")).unwrap();

    assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
    assert_denied(&users, "us-east", "us-east-1");
}

#[test]
fn a_duplicated_tag_is_not_believed_even_from_the_trusted_peer_and_is_removed() {
    let mesh = mesh("spoof-duplicate-eu-west");
    let claims = [("eu-central", "eu-west"), ("eu-central", "eu-central")];
    for side in [Side::TrustedPeer, Side::Plaintext, Side::UntrustedSan] {
        for (first, second) in claims {
            let forged = |path| {
                get(path)
                    .header(CLUSTER_TAG, first)
                    .header(CLUSTER_TAG, second)
                    .header(REGION_TAG, "eu-central-1")
            };

            let catalog = send(&mesh, side, &forged("/catalog")).unwrap();
            let users = send(&mesh, side, &forged("/users/1")).unwrap();

            assert_reached_eu_west_tagged(&catalog, None, None);
            assert_denied(&users, "unknown", "unknown");
        }
    }
}

#[test]
fn a_region_tag_without_a_cluster_tag_sent_to_us_east_is_replaced() {
    let mesh = mesh("spoof-region-only-us-east");
    let forged = |path| get(path).header(REGION_TAG, "eu-west-1");

    let catalog = send(&mesh, Side::ViaUsEast, &forged("/catalog")).unwrap();
    let users = send(&mesh, Side::ViaUsEast, &forged("/users/1")).unwrap();

    assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
    assert_denied(&users, "us-east", "us-east-1");
}

#[test]
fn a_region_tag_without_a_cluster_tag_is_not_believed_even_from_the_trusted_peer() {
    let mesh = mesh("spoof-region-only-eu-west");
    let forged = |path| get(path).header(REGION_TAG, "eu-west-1");
    for side in [Side::TrustedPeer, Side::Plaintext, Side::UntrustedSan] {
        let catalog = send(&mesh, side, &forged("/catalog")).unwrap();
        let users = send(&mesh, side, &forged("/users/1")).unwrap();

        assert_reached_eu_west_tagged(&catalog, None, None);
        assert_denied(&users, "unknown", "unknown");
    }
}

#[test]
fn a_cluster_missing_from_the_clusters_table_sent_to_us_east_is_replaced() {
    let mesh = mesh("spoof-unlisted-us-east");
    let forged = |path| {
        get(path)
            .header(CLUSTER_TAG, "mars")
            .header(REGION_TAG, "eu-west-1")
    };

    let catalog = send(&mesh, Side::ViaUsEast, &forged("/catalog")).unwrap();
    let users = send(&mesh, Side::ViaUsEast, &forged("/users/1")).unwrap();

    assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
    assert_denied(&users, "us-east", "us-east-1");
}

#[test]
fn a_cluster_missing_from_the_clusters_table_without_a_trusted_peer_is_removed() {
    let mesh = mesh("spoof-unlisted-untrusted");
    let forged = |path| {
        get(path)
            .header(CLUSTER_TAG, "mars")
            .header(REGION_TAG, "eu-west-1")
    };
    for side in Side::UNTRUSTED {
        let catalog = send(&mesh, side, &forged("/catalog")).unwrap();
        let users = send(&mesh, side, &forged("/users/1")).unwrap();

        assert_reached_eu_west_tagged(&catalog, None, None);
        assert_denied(&users, "unknown", "unknown");
    }
}

#[test]
fn a_cluster_missing_from_the_clusters_table_from_the_trusted_peer_needs_a_region_tag() {
    let mesh = mesh("spoof-unlisted-trusted");
    let unlisted = get("/users/1").header(CLUSTER_TAG, "mars");
    let with_us_region = unlisted.clone().header(REGION_TAG, "us-east-1");
    let with_eu_region = unlisted.clone().header(REGION_TAG, "eu-west-1");

    let without_region = send(&mesh, Side::TrustedPeer, &unlisted).unwrap();
    let us = send(&mesh, Side::TrustedPeer, &with_us_region).unwrap();
    let eu = send(&mesh, Side::TrustedPeer, &with_eu_region).unwrap();

    // Believed, but its region is unknown: denied like an unknown caller.
    assert_denied(&without_region, "mars", "unknown");
    assert_denied(&us, "mars", "us-east-1");
    // By design: the trusted peer may claim any cluster and, for one the table
    // does not know, its region.
    assert_reached_eu_west_tagged(&eu, Some("mars"), Some("eu-west-1"));
}

#[test]
fn a_region_tag_cannot_move_a_cluster_the_table_knows_even_from_the_trusted_peer() {
    let mesh = mesh("spoof-region-lie-trusted");
    let lying = |path| {
        get(path)
            .header(CLUSTER_TAG, "us-east")
            .header(REGION_TAG, "eu-west-1")
    };

    let catalog = send(&mesh, Side::TrustedPeer, &lying("/catalog")).unwrap();
    let users = send(&mesh, Side::TrustedPeer, &lying("/users/1")).unwrap();

    assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
    assert_denied(&users, "us-east", "us-east-1");
}

#[test]
fn a_forged_client_certificate_header_does_not_make_a_caller_trusted() {
    let mesh = mesh("spoof-forged-xfcc");
    // The peer's identity comes from the TLS connection, never from a header.
    let forged = |path| {
        get(path)
            .header(
                "x-forwarded-client-cert",
                "By=spiffe://cluster.local/ns/shop/sa/users;\
                 URI=spiffe://cluster.local/ns/shop/sa/frontend",
            )
            .header(CLUSTER_TAG, "eu-west")
            .header(REGION_TAG, "eu-west-1")
    };
    for side in Side::UNTRUSTED {
        let catalog = send(&mesh, side, &forged("/catalog")).unwrap();
        let users = send(&mesh, side, &forged("/users/1")).unwrap();

        assert_reached_eu_west_tagged(&catalog, None, None);
        assert_denied(&users, "unknown", "unknown");
    }
}
