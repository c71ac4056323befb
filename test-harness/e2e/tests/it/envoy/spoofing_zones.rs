//! The spoofing matrix, zone tags, on real Envoys: a forged
//! `x-meshborder-source-zone` is replaced by us-east's own zone when sent to
//! us-east's outbound sidecar, and removed when sent straight to eu-west in
//! plaintext, with an untrusted SPIFFE ID, or with a certificate whose captured
//! cluster eu-west does not list. A zone tag is only believed together with a
//! believed cluster: alone, or beside a duplicated cluster tag, it is removed even
//! from the trusted peer; a certificate-bound peer needs no cluster tag, so its
//! zone is read. A duplicated zone tag is never believed (the source's zone is then
//! `unknown`), a mixed-case one is read like a lowercase one, and the underscore
//! lookalike is removed.
//!
//! By design, a trusted or certificate-bound peer's zone tag is believed:
//! certificates carry no zone, so a peer can claim eu-west's own zone and not be
//! metered across zones.

use super::border_support::{
    assert_nothing_metered_by_zone, entries_where, metered_by_zone, unknown_sources,
};
use super::spoofing_support::{
    CLUSTER_TAG, REGION_TAG, Side, ZONE_TAG, assert_denied, assert_reached_eu_west_zoned, get,
    mesh, seen, send,
};
use meshborder_e2e::client::Request;
use meshborder_e2e::topology::{EU_WEST_ZONE, US_EAST};
use meshborder_filter::contract::value;

#[test]
fn a_forged_zone_tag_sent_to_us_east_is_replaced_by_one_us_east_zone() {
    let mesh = mesh("spoof-zone-us-east");
    let forgeries = [
        get("/catalog").header(ZONE_TAG, EU_WEST_ZONE),
        get("/catalog").header("X-MeshBorder-Source-Zone", EU_WEST_ZONE),
        get("/catalog")
            .header(ZONE_TAG, EU_WEST_ZONE)
            .header(ZONE_TAG, "eu-west-1b"),
    ];
    for forged in &forgeries {
        let response = send(&mesh, Side::ViaUsEast, forged).unwrap();
        assert_reached_eu_west_zoned(
            &response,
            Some(US_EAST.cluster),
            Some(US_EAST.region),
            Some(US_EAST.zone),
        );
    }
}

#[test]
fn a_forged_zone_tag_without_an_established_source_is_removed_in_any_case() {
    let mesh = mesh("spoof-zone-unestablished");
    for side in Side::UNESTABLISHED {
        for name in [
            ZONE_TAG,
            "X-MESHBORDER-SOURCE-ZONE",
            "X-Meshborder-Source-Zone",
        ] {
            let forged = |path| {
                get(path)
                    .header(CLUSTER_TAG, "eu-west")
                    .header(REGION_TAG, "eu-west-1")
                    .header(name, EU_WEST_ZONE)
            };
            let catalog = send(&mesh, side, &forged("/catalog")).unwrap();
            let users = send(&mesh, side, &forged("/users/1")).unwrap();

            assert_reached_eu_west_zoned(&catalog, None, None, None);
            assert_denied(&users, "unknown", "unknown");
        }
    }
    entries_where(&mesh.eu_west.envoy, "path", "/users/1", 9);
    assert_eq!(unknown_sources(&mesh.eu_west.envoy), 18);
    assert_nothing_metered_by_zone(&mesh.eu_west.envoy);
}

#[test]
fn a_zone_tag_without_a_believed_cluster_is_removed_even_from_the_trusted_peer() {
    let mesh = mesh("spoof-zone-no-cluster");
    fn zone_only(path: &str) -> Request {
        get(path).header(ZONE_TAG, "us-east-1a")
    }
    fn beside_a_duplicate(path: &str) -> Request {
        zone_only(path)
            .header(CLUSTER_TAG, "us-east")
            .header(CLUSTER_TAG, "us-east")
    }
    for forged in [zone_only, beside_a_duplicate] {
        let catalog = send(&mesh, Side::TrustedPeer, &forged("/catalog")).unwrap();
        let users = send(&mesh, Side::TrustedPeer, &forged("/users/1")).unwrap();

        assert_reached_eu_west_zoned(&catalog, None, None, None);
        assert_denied(&users, "unknown", "unknown");
    }
    entries_where(&mesh.eu_west.envoy, "path", "/users/1", 2);
    assert_eq!(unknown_sources(&mesh.eu_west.envoy), 4);
    assert_nothing_metered_by_zone(&mesh.eu_west.envoy);
}

#[test]
fn a_certificate_bound_peer_needs_no_cluster_tag_for_its_zone_to_be_read() {
    let mesh = mesh("spoof-zone-bound");
    let zone_only = get("/catalog").header(ZONE_TAG, "us-east-1b");

    let response = send(&mesh, Side::BoundPeer, &zone_only).unwrap();

    assert_reached_eu_west_zoned(
        &response,
        Some("us-east"),
        Some("us-east-1"),
        Some("us-east-1b"),
    );
    assert_eq!(
        metered_by_zone(&mesh.eu_west.envoy, "us-east-1b", 1)
            .unwrap()
            .0,
        1
    );
}

#[test]
fn a_duplicated_zone_tag_is_not_believed_even_from_the_trusted_peer() {
    let mesh = mesh("spoof-zone-duplicate");
    let claims = [("us-east-1a", "us-east-1a"), ("us-east-1a", EU_WEST_ZONE)];
    for side in [Side::TrustedPeer, Side::BoundPeer] {
        for (first, second) in claims {
            let forged = get("/catalog")
                .header(CLUSTER_TAG, "us-east")
                .header(ZONE_TAG, first)
                .header("X-Meshborder-Source-Zone", second);

            let response = send(&mesh, side, &forged).unwrap();

            // The caller is established, its zone is not: removed, counted as unknown.
            assert_reached_eu_west_zoned(&response, Some("us-east"), Some("us-east-1"), None);
        }
    }
    let counted = metered_by_zone(&mesh.eu_west.envoy, value::UNKNOWN, 4).unwrap();
    assert_eq!(counted.0, 4);
}

#[test]
fn a_mixed_case_zone_tag_from_the_trusted_peer_is_read_like_a_lowercase_one() {
    let mesh = mesh("spoof-zone-mixed-case");
    for name in ["X-MeshBorder-Source-Zone", "X-MESHBORDER-SOURCE-ZONE"] {
        let tagged = get("/catalog")
            .header("X-MeshBorder-Source-Cluster", "us-east")
            .header(name, "us-east-1c");

        let response = send(&mesh, Side::TrustedPeer, &tagged).unwrap();

        assert_reached_eu_west_zoned(
            &response,
            Some("us-east"),
            Some("us-east-1"),
            Some("us-east-1c"),
        );
    }
    assert_eq!(
        metered_by_zone(&mesh.eu_west.envoy, "us-east-1c", 2)
            .unwrap()
            .0,
        2
    );
}

#[test]
fn a_zone_tag_spelt_with_underscores_is_removed() {
    let mesh = mesh("spoof-zone-underscore");
    for side in [
        Side::ViaUsEast,
        Side::Plaintext,
        Side::UntrustedSan,
        Side::TrustedPeer,
        Side::BoundPeer,
        Side::UnlistedCapture,
    ] {
        let forged = get("/catalog")
            .header(CLUSTER_TAG, "us-east")
            .header("x_meshborder_source_zone", EU_WEST_ZONE)
            .header("X_Meshborder_Source_Zone", EU_WEST_ZONE);
        let response = send(&mesh, side, &forged).unwrap();
        let seen = seen(&response).unwrap();
        let underscored: Vec<&String> = seen
            .header_names
            .iter()
            .filter(|name| name.contains("meshborder") && name.contains('_'))
            .collect();
        assert!(
            underscored.is_empty(),
            "{side:?}: the app saw {underscored:?}"
        );
        assert_ne!(
            seen.zone.as_deref(),
            Some(EU_WEST_ZONE),
            "{side:?}: {seen:?}"
        );
    }
}

#[test]
fn a_trusted_or_bound_peer_may_claim_eu_west_zone_by_design() {
    let mesh = mesh("spoof-zone-by-design");
    for side in [Side::TrustedPeer, Side::BoundPeer] {
        let claim = get("/catalog")
            .header(CLUSTER_TAG, "us-east")
            .header(ZONE_TAG, EU_WEST_ZONE);

        let response = send(&mesh, side, &claim).unwrap();

        assert_reached_eu_west_zoned(
            &response,
            Some("us-east"),
            Some("us-east-1"),
            Some(EU_WEST_ZONE),
        );
    }
    // Inside the trust boundary: from eu-west's own zone, not metered across zones.
    entries_where(&mesh.eu_west.envoy, "source_zone", EU_WEST_ZONE, 2);
    assert_nothing_metered_by_zone(&mesh.eu_west.envoy);
}
