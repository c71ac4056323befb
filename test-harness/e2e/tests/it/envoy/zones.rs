//! Zones on real Envoys. A caller's outbound sidecar tags every request with its
//! node's zone (`x-meshborder-source-zone`), replacing whatever the client sent;
//! eu-west (zone `eu-west-1a`) believes the zone together with the cluster tag of a
//! trusted peer, and removes it from a plaintext or untrusted caller. eu-west meters
//! the bytes of requests whose established source zone is not its own
//! (`meshborder_xzone_*`), within its own cluster or across clusters, each way equal
//! to the bytes its access log reports; a believed source without a zone is
//! `unknown`; traffic within eu-west's zone is not counted, and nothing is counted
//! by zone while eu-west's own zone is unknown.

use super::border_support::{
    assert_metered_by_zone, assert_nothing_metered_by_zone, entries_where, unknown_sources,
    xzone_samples,
};
use super::spoofing_support::{CLUSTER_TAG, REGION_TAG, ZONE_TAG, assert_reached_eu_west_zoned};
use meshborder_e2e::certs::TestPki;
use meshborder_e2e::client::Request;
use meshborder_e2e::mesh::{EuWestSidecar, Mesh};
use meshborder_e2e::ports::{LOOPBACK, MeshPorts};
use meshborder_e2e::tls::TlsClient;
use meshborder_e2e::topology::{
    ConfigFiles, EU_WEST_A, EU_WEST_B, EU_WEST_ZONE, ResidencyMode, US_EAST,
};
use meshborder_e2e::{paths, poll, prometheus};
use meshborder_filter::contract::{label, metric, value};

/// Requests of every kind the border meters: a read, a write with a body, and a
/// residency denial, on eu-west's rule host.
fn metered_requests() -> [Request; 3] {
    [
        Request::get("/catalog?page=2").header("host", "eu-user-data"),
        Request::new("POST", "/orders")
            .header("host", "eu-user-data")
            .body(vec![b'x'; 1000]),
        Request::get("/users/1").header("host", "eu-user-data"),
    ]
}

#[test]
fn an_outbound_sidecar_tags_a_request_with_its_zone_replacing_a_forged_one() {
    let mesh = Mesh::start("zones-outbound", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();

    let plain = Request::get("/catalog").header("host", "eu-user-data");
    let forged = plain.clone().header(ZONE_TAG, EU_WEST_ZONE);
    for request in [plain, forged] {
        let response = request.send(us_east.listener).unwrap();
        assert_reached_eu_west_zoned(
            &response,
            Some(US_EAST.cluster),
            Some(US_EAST.region),
            Some(US_EAST.zone),
        );
    }
    assert_eq!(unknown_sources(&mesh.eu_west.envoy), 0);
}

#[test]
fn eu_west_believes_a_zone_tag_from_a_trusted_peer_with_its_cluster_tag() {
    let mesh = Mesh::start("zones-trusted", ResidencyMode::Enforce, &[]).unwrap();
    let trusted = mesh.trusted_client().unwrap();

    let response = Request::get("/catalog")
        .header("host", "eu-user-data")
        .header(CLUSTER_TAG, "us-east")
        .header(ZONE_TAG, "us-east-1c")
        .send_tls(mesh.eu_west.mtls, &trusted)
        .unwrap();

    assert_reached_eu_west_zoned(
        &response,
        Some("us-east"),
        Some("us-east-1"),
        Some("us-east-1c"),
    );
    assert_eq!(unknown_sources(&mesh.eu_west.envoy), 0);
}

#[test]
fn a_zone_tag_from_plaintext_or_an_untrusted_san_is_removed_and_not_metered() {
    let mesh = Mesh::start("zones-untrusted", ResidencyMode::Enforce, &[]).unwrap();
    let untrusted = mesh.untrusted_client().unwrap();
    let forged = Request::get("/catalog")
        .header("host", "eu-user-data")
        .header(CLUSTER_TAG, "us-east")
        .header(REGION_TAG, "us-east-1")
        .header(ZONE_TAG, "us-east-1a");

    let plaintext = forged.send(mesh.eu_west.plaintext).unwrap();
    let untrusted = forged.send_tls(mesh.eu_west.mtls, &untrusted).unwrap();

    for response in [plaintext, untrusted] {
        assert_reached_eu_west_zoned(&response, None, None, None);
    }
    entries_where(&mesh.eu_west.envoy, "path", "/catalog", 2);
    assert_eq!(unknown_sources(&mesh.eu_west.envoy), 2);
    assert_nothing_metered_by_zone(&mesh.eu_west.envoy);
}

#[test]
fn cross_zone_bytes_within_eu_west_equal_the_bytes_in_eu_west_access_log() {
    let mesh = Mesh::start("zones-within-cluster", ResidencyMode::Enforce, &[EU_WEST_B]).unwrap();
    let eu_west_b = mesh.caller(&EU_WEST_B).unwrap();

    let requests = metered_requests();
    for request in &requests {
        let response = request.send(eu_west_b.listener).unwrap();
        // eu-west's own caller, whose cluster its certificate's trust domain says.
        assert_reached_eu_west_zoned(
            &response,
            Some(EU_WEST_B.cluster),
            Some(EU_WEST_B.region),
            Some(EU_WEST_B.zone),
        );
    }

    let eu_west = &mesh.eu_west.envoy;
    let logged = entries_where(eu_west, "source_zone", EU_WEST_B.zone, requests.len());
    assert_eq!(logged.len(), requests.len(), "{logged:?}");
    let (request_bytes, response_bytes) = assert_metered_by_zone(eu_west, EU_WEST_B.zone, &logged);
    assert!(
        request_bytes > 1000 && response_bytes > 0,
        "{request_bytes}"
    );
    // The same cluster: no cross-cluster counter moved.
    let text = eu_west.prometheus().unwrap();
    for name in [metric::XCLUSTER_BYTES, metric::XCLUSTER_REQUESTS] {
        for sample in prometheus::samples(&text, name.prometheus) {
            assert_eq!(sample.value, 0, "counted across clusters: {sample:?}");
        }
    }
}

#[test]
fn cross_cluster_traffic_is_metered_by_zone_too_with_the_same_bytes() {
    let mesh = Mesh::start("zones-across-clusters", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();

    let requests = metered_requests();
    let statuses: Vec<u16> = requests
        .iter()
        .map(|request| request.send(us_east.listener).unwrap().status)
        .collect();
    assert_eq!(statuses, [200, 200, 403]);

    let eu_west = &mesh.eu_west.envoy;
    let logged = entries_where(eu_west, "source_zone", US_EAST.zone, requests.len());
    let (request_bytes, response_bytes) = assert_metered_by_zone(eu_west, US_EAST.zone, &logged);
    let text = eu_west.prometheus().unwrap();
    let xcluster = |direction| {
        prometheus::value(
            &text,
            metric::XCLUSTER_BYTES.prometheus,
            &[
                (label::DIRECTION, direction),
                (label::SOURCE_CLUSTER, "us-east"),
                (label::SOURCE_REGION, "us-east-1"),
                (label::DESTINATION_CLUSTER, "eu-west"),
                (label::DESTINATION_REGION, "eu-west-1"),
            ],
        )
    };
    assert_eq!(xcluster(value::REQUEST), Some(request_bytes));
    assert_eq!(xcluster(value::RESPONSE), Some(response_bytes));
}

#[test]
fn traffic_within_eu_west_zone_is_not_metered() {
    let mesh = Mesh::start("zones-same-zone", ResidencyMode::Enforce, &[EU_WEST_A]).unwrap();
    let eu_west_a = mesh.caller(&EU_WEST_A).unwrap();

    for request in metered_requests() {
        let response = request.send(eu_west_a.listener).unwrap();
        assert_reached_eu_west_zoned(
            &response,
            Some(EU_WEST_A.cluster),
            Some(EU_WEST_A.region),
            Some(EU_WEST_ZONE),
        );
    }

    let eu_west = &mesh.eu_west.envoy;
    entries_where(eu_west, "source_zone", EU_WEST_ZONE, 3);
    assert_nothing_metered_by_zone(eu_west);
    assert_eq!(unknown_sources(eu_west), 0);
}

#[test]
fn a_believed_source_without_a_zone_is_metered_as_zone_unknown() {
    let mesh = Mesh::start("zones-unknown-zone", ResidencyMode::Enforce, &[]).unwrap();
    let trusted = mesh.trusted_client().unwrap();

    let response = Request::get("/catalog")
        .header("host", "eu-user-data")
        .header(CLUSTER_TAG, "us-east")
        .send_tls(mesh.eu_west.mtls, &trusted)
        .unwrap();

    assert_reached_eu_west_zoned(&response, Some("us-east"), Some("us-east-1"), None);
    let eu_west = &mesh.eu_west.envoy;
    let logged = entries_where(eu_west, "source_cluster", "us-east", 1);
    assert_eq!(logged.first().and_then(|e| e.get("source_zone")), Some("-"));
    assert_metered_by_zone(eu_west, value::UNKNOWN, &logged);
}

#[test]
fn nothing_is_metered_by_zone_while_eu_west_zone_is_unknown() {
    let run_dir = paths::run_dir("zones-no-local-zone").unwrap();
    let pki = TestPki::generate(&run_dir.join("certs")).unwrap();
    let files = ConfigFiles::local(&paths::filter_wasm().unwrap(), &pki);
    let ports = MeshPorts::EPHEMERAL.eu_west;
    let mode = ResidencyMode::Enforce;
    let eu_west =
        EuWestSidecar::start_in_zone(mode, "", LOOPBACK, &ports, &files, &run_dir).unwrap();
    let trusted = TlsClient::with_cert(&pki, &pki.trusted_client).unwrap();

    let response = Request::get("/catalog")
        .header("host", "eu-user-data")
        .header(CLUSTER_TAG, "us-east")
        .header(ZONE_TAG, US_EAST.zone)
        .send_tls(eu_west.mtls, &trusted)
        .unwrap();

    // The caller's zone is still believed, and its cluster metered.
    assert_reached_eu_west_zoned(
        &response,
        Some("us-east"),
        Some("us-east-1"),
        Some(US_EAST.zone),
    );
    let requests = [
        (label::SOURCE_CLUSTER, "us-east"),
        (label::DESTINATION_CLUSTER, "eu-west"),
    ];
    poll::until("the cross-cluster request", || {
        let text = eu_west.envoy.prometheus()?;
        let counted = prometheus::value(&text, metric::XCLUSTER_REQUESTS.prometheus, &requests);
        Ok((counted == Some(1)).then_some(()))
    })
    .unwrap();
    assert!(
        xzone_samples(&eu_west.envoy).is_empty(),
        "{:?}",
        xzone_samples(&eu_west.envoy)
    );
}
