//! The spoofing matrix, certificate-bound peers, on real Envoys: a peer whose
//! certificate `trustedPeers` binds to us-east (`spiffe://us-east.mesh.example/...`)
//! cannot be moved to another cluster by any spelling of the cluster tag. A
//! contradicting tag, in any case, is overruled and counted; a duplicated one
//! (even twice its own cluster) is replaced by one tag of the certificate's
//! cluster and counted; a region tag cannot move it either. A certificate whose
//! captured cluster eu-west does not list (`spiffe://eu-central.mesh.example/...`)
//! gets no source at all: its tags are removed and EU user data is denied.

use super::border_support::{mismatch_lines_once, tag_mismatches, unknown_sources};
use super::spoofing_support::{
    CLUSTER_TAG, REGION_TAG, Side, assert_denied, assert_reached_eu_west_tagged,
    assert_reached_eu_west_zoned, get, mesh, send,
};
use meshborder_e2e::client::Request;
use meshborder_filter::contract::log_line;
use serde_json::Value;

#[test]
fn a_contradicting_cluster_tag_in_any_case_is_overruled_by_the_certificate_and_counted() {
    let mesh = mesh("spoof-bound-contradicting");
    let spellings = [
        CLUSTER_TAG,
        "X-MeshBorder-Source-Cluster",
        "X-MESHBORDER-SOURCE-CLUSTER",
    ];
    for name in spellings {
        for (cluster, region) in [("eu-west", "eu-west-1"), ("eu-central", "eu-central-1")] {
            let forged = |path| get(path).header(name, cluster).header(REGION_TAG, region);

            let catalog = send(&mesh, Side::BoundPeer, &forged("/catalog")).unwrap();
            let users = send(&mesh, Side::BoundPeer, &forged("/users/1")).unwrap();

            assert_reached_eu_west_zoned(&catalog, Some("us-east"), Some("us-east-1"), None);
            assert_denied(&users, "us-east", "us-east-1");
        }
    }
    assert_eq!(tag_mismatches(&mesh.eu_west.envoy, "us-east"), Some(12));
    assert_eq!(unknown_sources(&mesh.eu_west.envoy), 0);
    let lines = mismatch_lines_once(&mesh.eu_west.envoy, 1);
    let first = &lines.first().unwrap().json;
    assert_eq!(first[log_line::CLAIMED_CLUSTER], "eu-west", "{first}");
    assert_eq!(first["sourceCluster"], "us-east", "{first}");
}

#[test]
fn a_duplicated_cluster_tag_from_a_bound_peer_becomes_one_tag_of_its_certificate() {
    let mesh = mesh("spoof-bound-duplicate");
    let claims = [("eu-west", "us-east"), ("us-east", "us-east")];
    for (first, second) in claims {
        let forged = |path| {
            get(path)
                .header(CLUSTER_TAG, first)
                .header("X-Meshborder-Source-Cluster", second)
                .header(REGION_TAG, "eu-west-1")
        };

        let catalog = send(&mesh, Side::BoundPeer, &forged("/catalog")).unwrap();
        let users = send(&mesh, Side::BoundPeer, &forged("/users/1")).unwrap();

        // One value, not `eu-west, us-east`: the tag was replaced, not appended to.
        assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
        assert_denied(&users, "us-east", "us-east-1");
    }
    // A repeated tag is ambiguous, so it contradicts the certificate, and the line
    // names no one claimed cluster (`null`).
    assert_eq!(tag_mismatches(&mesh.eu_west.envoy, "us-east"), Some(4));
    let lines = mismatch_lines_once(&mesh.eu_west.envoy, 1);
    let line = &lines.first().unwrap().json;
    assert_eq!(
        line.get(log_line::CLAIMED_CLUSTER),
        Some(&Value::Null),
        "{line}"
    );
    assert_eq!(line["sourceCluster"], "us-east");
}

#[test]
fn a_region_tag_cannot_move_a_certificate_bound_peer() {
    let mesh = mesh("spoof-bound-region");
    fn lying(path: &str) -> Request {
        get(path)
            .header(CLUSTER_TAG, "us-east")
            .header(REGION_TAG, "eu-west-1")
    }
    fn region_only(path: &str) -> Request {
        get(path).header(REGION_TAG, "eu-central-1")
    }
    for forged in [lying, region_only] {
        let catalog = send(&mesh, Side::BoundPeer, &forged("/catalog")).unwrap();
        let users = send(&mesh, Side::BoundPeer, &forged("/users/1")).unwrap();

        assert_reached_eu_west_tagged(&catalog, Some("us-east"), Some("us-east-1"));
        assert_denied(&users, "us-east", "us-east-1");
    }
    // The cluster tag agreed with the certificate, or was absent: no mismatch.
    assert_eq!(tag_mismatches(&mesh.eu_west.envoy, "us-east"), Some(0));
}

#[test]
fn a_captured_cluster_that_clusters_does_not_list_is_removed_and_denied() {
    let mesh = mesh("spoof-bound-unlisted");
    let claims = [
        ("eu-central", "eu-central-1"),
        ("eu-west", "eu-west-1"),
        ("us-east", "us-east-1"),
    ];
    for (cluster, region) in claims {
        let forged = |path| {
            get(path)
                .header(CLUSTER_TAG, cluster)
                .header(REGION_TAG, region)
        };

        let catalog = send(&mesh, Side::UnlistedCapture, &forged("/catalog")).unwrap();
        let users = send(&mesh, Side::UnlistedCapture, &forged("/users/1")).unwrap();

        assert_reached_eu_west_tagged(&catalog, None, None);
        assert_denied(&users, "unknown", "unknown");
    }
    assert_eq!(unknown_sources(&mesh.eu_west.envoy), 6);
}
