//! Certificate-bound identity on real Envoys. eu-west's `trustedPeers` binds
//! `spiffe://us-east.mesh.example/ns/*/sa/*` to cluster us-east, takes the cluster
//! of `spiffe://{cluster}.mesh.example/ns/*/sa/*` from the trust domain, and keeps
//! believing the tags of `spiffe://cluster.local/ns/*/sa/*`. For a bound peer the
//! certificate's cluster, and the `clusters` table's region, are what the app sees,
//! whatever the tags say; a cluster tag naming another cluster is counted in
//! `meshborder_tag_mismatch_total` and logged as one `tag_mismatch` line, at most
//! one a second however many arrive. A captured cluster that `clusters` does not
//! list is an unknown source. The first matching entry decides, and a bound
//! cluster that `clusters` does not list is refused as a configuration.

use std::thread;
use std::time::{Duration, Instant};

use super::border_support::{
    all_tag_mismatches, mismatch_lines, mismatch_lines_once, tag_mismatches, unknown_sources,
};
use super::spoofing_support::{
    CLUSTER_TAG, REGION_TAG, ZONE_TAG, assert_denied, assert_reached_eu_west_zoned,
};
use meshborder_e2e::certs::{ClientCert, US_EAST_FRONTEND_ID};
use meshborder_e2e::client::{Request, Response};
use meshborder_e2e::ecds::Verdict;
use meshborder_e2e::keep_alive::KeptAlive;
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::plugin_config;
use meshborder_e2e::topology::ResidencyMode;
use meshborder_filter::contract::{header, log_line};
use serde_json::{Value, json};

/// How many contradicting requests the flood sends.
const FLOOD: u64 = 200;

/// A request for `path` on eu-west's rule host, claiming cluster eu-west.
fn claiming_eu_west(path: &str) -> Request {
    Request::get(path)
        .header("host", "eu-user-data")
        .header(CLUSTER_TAG, "eu-west")
        .header(REGION_TAG, "eu-west-1")
}

/// Sends `request` straight to eu-west's mTLS listener presenting `cert`.
fn send_as(mesh: &Mesh, cert: ClientCert, request: &Request) -> Response {
    let tls = mesh.client(cert).unwrap();
    request.send_tls(mesh.eu_west.mtls, &tls).unwrap()
}

/// The shipped eu-west plugin config with `trusted_peers` in place of its list.
fn shipped_with_trusted_peers(trusted_peers: Value) -> Value {
    let mut config = plugin_config::shipped(ResidencyMode::Enforce.plugin_config()).unwrap();
    config["trustedPeers"] = trusted_peers;
    config
}

#[test]
fn a_certificate_bound_peer_is_tagged_with_its_certificate_cluster_whatever_its_tag_claims() {
    let mesh = Mesh::start("bound-overrules", ResidencyMode::Enforce, &[]).unwrap();
    let eu_west = &mesh.eu_west.envoy;
    assert_eq!(tag_mismatches(eu_west, "us-east"), Some(0));

    let catalog = claiming_eu_west("/catalog")
        .header(ZONE_TAG, "us-east-1b")
        .header(header::REQUEST_ID, "mismatch-1");
    let catalog = send_as(&mesh, ClientCert::UsEast, &catalog);
    let users = send_as(&mesh, ClientCert::UsEast, &claiming_eu_west("/users/1"));

    // The certificate's cluster and the table's region; the zone is the tag's.
    assert_reached_eu_west_zoned(
        &catalog,
        Some("us-east"),
        Some("us-east-1"),
        Some("us-east-1b"),
    );
    assert_denied(&users, "us-east", "us-east-1");
    assert_eq!(tag_mismatches(eu_west, "us-east"), Some(2));
    assert_eq!(tag_mismatches(eu_west, "eu-west"), Some(0));
    assert_eq!(unknown_sources(eu_west), 0);
    // The second mismatch came within a second of the first: one line.
    let lines = mismatch_lines_once(eu_west, 1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = lines.first().unwrap();
    assert_eq!(line.level, "warning");
    assert_eq!(
        line.json,
        json!({
            "event": "tag_mismatch",
            "sourceCluster": "us-east",
            "claimedCluster": "eu-west",
            "peer": US_EAST_FRONTEND_ID,
            "cluster": "eu-west",
            "suppressed": 0,
            "x-request-id": "mismatch-1",
        })
    );
}

#[test]
fn a_certificate_bound_peer_that_claims_its_own_cluster_or_none_is_no_mismatch() {
    let mesh = Mesh::start("bound-agrees", ResidencyMode::Enforce, &[]).unwrap();
    let untagged = Request::get("/catalog").header("host", "eu-user-data");
    let own = untagged.clone().header(CLUSTER_TAG, "us-east");

    for request in [untagged, own] {
        let response = send_as(&mesh, ClientCert::UsEast, &request);
        assert_reached_eu_west_zoned(&response, Some("us-east"), Some("us-east-1"), None);
    }

    let eu_west = &mesh.eu_west.envoy;
    assert_eq!(tag_mismatches(eu_west, "us-east"), Some(0));
    assert!(mismatch_lines(eu_west).is_empty());
}

#[test]
fn a_flood_of_contradicting_tags_is_counted_in_full_and_logged_at_most_once_a_second() {
    let mesh = Mesh::start("bound-flood", ResidencyMode::Enforce, &[]).unwrap();
    let eu_west = &mesh.eu_west.envoy;
    let tls = mesh.client(ClientCert::UsEast).unwrap();
    let mut connection = KeptAlive::connect_tls(mesh.eu_west.mtls, &tls).unwrap();
    let request = claiming_eu_west("/catalog");

    let started = Instant::now();
    for _ in 0..FLOOD {
        let response = connection.send(&request).unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let elapsed = started.elapsed();

    assert_eq!(tag_mismatches(eu_west, "us-east"), Some(FLOOD));
    let flood_lines = mismatch_lines_once(eu_west, 1);
    let allowed = elapsed.as_secs() + 1;
    println!(
        "{FLOOD} mismatching requests in {elapsed:?}: {} tag_mismatch line(s), at most \
         {allowed} allowed",
        flood_lines.len()
    );
    assert!(
        u64::try_from(flood_lines.len()).unwrap() <= allowed,
        "{} lines in {elapsed:?}: {flood_lines:?}",
        flood_lines.len()
    );

    // A second on, the next mismatch is logged, with how many were held back.
    thread::sleep(Duration::from_millis(1100));
    connection.send(&request).unwrap();
    let lines = mismatch_lines_once(eu_west, flood_lines.len() + 1);
    assert_eq!(lines.len(), flood_lines.len() + 1, "{lines:?}");
    let suppressed: Vec<u64> = lines
        .iter()
        .map(|line| line.json[log_line::SUPPRESSED].as_u64().unwrap())
        .collect();
    println!("suppressed per line: {suppressed:?}");
    assert_eq!(suppressed.first(), Some(&0));
    let written = u64::try_from(lines.len()).unwrap();
    assert_eq!(written + suppressed.iter().sum::<u64>(), FLOOD + 1);
    assert_eq!(tag_mismatches(eu_west, "us-east"), Some(FLOOD + 1));
}

#[test]
fn a_cluster_captured_from_the_trust_domain_is_the_source() {
    let mesh = Mesh::start("bound-captured", ResidencyMode::Enforce, &[]).unwrap();
    let claiming_us_east = |path| {
        Request::get(path)
            .header("host", "eu-user-data")
            .header(CLUSTER_TAG, "us-east")
            .header(REGION_TAG, "us-east-1")
    };

    let catalog = send_as(&mesh, ClientCert::EuWest, &claiming_us_east("/catalog"));
    let users = send_as(&mesh, ClientCert::EuWest, &claiming_us_east("/users/1"));

    // `spiffe://eu-west.mesh.example/...`: eu-west, whose EU user data it may read.
    for response in [catalog, users] {
        assert_reached_eu_west_zoned(&response, Some("eu-west"), Some("eu-west-1"), None);
    }
    let eu_west = &mesh.eu_west.envoy;
    assert_eq!(tag_mismatches(eu_west, "eu-west"), Some(2));
    assert_eq!(tag_mismatches(eu_west, "us-east"), Some(0));
    let lines = mismatch_lines_once(eu_west, 1);
    assert_eq!(lines.first().unwrap().json["claimedCluster"], "us-east");
}

#[test]
fn a_captured_cluster_missing_from_clusters_makes_the_source_unknown() {
    let mesh = Mesh::start("bound-unlisted", ResidencyMode::Enforce, &[]).unwrap();
    let claiming_eu_central = |path| {
        Request::get(path)
            .header("host", "eu-user-data")
            .header(CLUSTER_TAG, "eu-central")
            .header(REGION_TAG, "eu-central-1")
            .header(ZONE_TAG, "eu-central-1a")
    };

    let catalog = send_as(
        &mesh,
        ClientCert::EuCentral,
        &claiming_eu_central("/catalog"),
    );
    let users = send_as(
        &mesh,
        ClientCert::EuCentral,
        &claiming_eu_central("/users/1"),
    );

    assert_reached_eu_west_zoned(&catalog, None, None, None);
    assert_denied(&users, "unknown", "unknown");
    let eu_west = &mesh.eu_west.envoy;
    assert_eq!(unknown_sources(eu_west), 2);
    let counted: Vec<_> = all_tag_mismatches(eu_west)
        .into_iter()
        .filter(|sample| sample.value > 0)
        .collect();
    assert!(counted.is_empty(), "{counted:?}");
}

#[test]
fn a_string_entry_still_believes_the_peer_tags() {
    let mesh = Mesh::start("bound-string-entry", ResidencyMode::Enforce, &[]).unwrap();
    let claiming = |cluster, region| {
        Request::get("/catalog")
            .header("host", "eu-user-data")
            .header(CLUSTER_TAG, cluster)
            .header(REGION_TAG, region)
    };

    // `spiffe://cluster.local/...`: the tags are believed, as before.
    for (cluster, region) in [("us-east", "us-east-1"), ("eu-central", "eu-central-1")] {
        let response = send_as(&mesh, ClientCert::MeshWide, &claiming(cluster, region));
        assert_reached_eu_west_zoned(&response, Some(cluster), Some(region), None);
    }
    let eu_west = &mesh.eu_west.envoy;
    assert_eq!(unknown_sources(eu_west), 0);
    for sample in all_tag_mismatches(eu_west) {
        assert_eq!(sample.value, 0, "{sample:?}");
    }
    assert!(mismatch_lines(eu_west).is_empty());
}

#[test]
fn the_first_matching_entry_decides() {
    let mut mesh = Mesh::start_watched("bound-order", ResidencyMode::Enforce, &[]).unwrap();
    let claim = claiming_eu_west("/catalog");

    // A string entry for us-east's trust domain ahead of the bound one: believed.
    let shipped = plugin_config::shipped(ResidencyMode::Enforce.plugin_config()).unwrap();
    let mut peers = vec![json!("spiffe://us-east.mesh.example/ns/*/sa/*")];
    peers.extend(shipped["trustedPeers"].as_array().unwrap().iter().cloned());
    let string_first = shipped_with_trusted_peers(Value::Array(peers));
    let update = mesh.eu_west.reconfigure(&string_first).unwrap();
    assert_eq!(update.verdict, Verdict::Accepted, "{update:?}");
    let believed = send_as(&mesh, ClientCert::UsEast, &claim);
    assert_reached_eu_west_zoned(&believed, Some("eu-west"), Some("eu-west-1"), None);

    // The shipped order: the bound entry comes first.
    let update = mesh.eu_west.reconfigure(&shipped).unwrap();
    assert_eq!(update.verdict, Verdict::Accepted, "{update:?}");
    let bound = send_as(&mesh, ClientCert::UsEast, &claim);
    assert_reached_eu_west_zoned(&bound, Some("us-east"), Some("us-east-1"), None);
    assert_eq!(tag_mismatches(&mesh.eu_west.envoy, "us-east"), Some(1));
}

#[test]
fn a_bound_cluster_missing_from_clusters_is_refused_and_the_last_good_config_serves() {
    let mut mesh = Mesh::start_watched("bound-refused", ResidencyMode::Enforce, &[]).unwrap();
    let unlisted = shipped_with_trusted_peers(json!([
        { "peer": "spiffe://mars.mesh.example/ns/*/sa/*", "cluster": "mars" }
    ]));

    let update = mesh.eu_west.reconfigure(&unlisted).unwrap();

    assert_eq!(update.verdict, Verdict::Rejected, "{update:?}");
    let log = mesh.eu_west.envoy.log();
    let refusal = log
        .lines()
        .find(|line| line.contains(log_line::REFUSED))
        .unwrap_or_default();
    assert!(
        refusal.contains("`trustedPeers[0].cluster`") && refusal.contains("unknown cluster `mars`"),
        "{refusal}"
    );
    // The shipped config still serves: us-east's certificate still binds.
    let response = send_as(&mesh, ClientCert::UsEast, &claiming_eu_west("/catalog"));
    assert_reached_eu_west_zoned(&response, Some("us-east"), Some("us-east-1"), None);
}
