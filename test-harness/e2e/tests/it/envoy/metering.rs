//! Scenario 5, metering, on real Envoys: after a known set of requests from
//! us-east, eu-west's `/stats/prometheus` shows `meshborder_xcluster_bytes_total`
//! for request and response, labelled us-east → eu-west, EQUAL to the bytes
//! eu-west's own access log reports for those requests (headers + body, each way).
//! Same-cluster traffic is not counted.

use meshborder_e2e::access_log::{self, AccessEntry};
use meshborder_e2e::client::Request;
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::topology::{ResidencyMode, US_EAST};
use meshborder_e2e::{Result, poll, prometheus};
use meshborder_filter::contract::{header, label, metric, value};

const BYTES: &str = metric::XCLUSTER_BYTES.prometheus;
const REQUESTS: &str = metric::XCLUSTER_REQUESTS.prometheus;

fn bytes_labels(direction: &'static str) -> [(&'static str, &'static str); 5] {
    [
        (label::DIRECTION, direction),
        (label::SOURCE_CLUSTER, "us-east"),
        (label::SOURCE_REGION, "us-east-1"),
        (label::DESTINATION_CLUSTER, "eu-west"),
        (label::DESTINATION_REGION, "eu-west-1"),
    ]
}

/// eu-west's access log entries whose (believed) source cluster is `cluster`, once
/// there are `count` of them.
fn entries_from(envoy: &Envoy, cluster: &str, count: usize) -> Result<Vec<AccessEntry>> {
    poll::until(
        &format!("{count} access log line(s) from {cluster}"),
        || {
            let entries: Vec<AccessEntry> = access_log::entries(&envoy.access_log())
                .into_iter()
                .filter(|entry| entry.get("source_cluster") == Some(cluster))
                .collect();
            Ok((entries.len() >= count).then_some(entries))
        },
    )
}

/// The sum of `bytes` over `entries`; `None` if a line lacks a byte field.
fn sum(entries: &[AccessEntry], bytes: fn(&AccessEntry) -> Option<u64>) -> Option<u64> {
    entries.iter().map(bytes).sum()
}

#[test]
fn xcluster_bytes_equal_the_bytes_in_eu_west_access_log() {
    let mesh = Mesh::start("metering-bytes", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();
    let requests = [
        Request::get("/catalog?page=2").header("host", "eu-user-data"),
        Request::new("POST", "/orders")
            .header("host", "eu-user-data")
            .body(vec![b'x'; 1000]),
        // Denied at eu-west: its 403 is metered too.
        Request::get("/users/1").header("host", "eu-user-data"),
    ];
    let statuses: Vec<u16> = requests
        .iter()
        .map(|request| request.send(us_east.listener).unwrap().status)
        .collect();
    assert_eq!(statuses, [200, 200, 403]);

    let logged = entries_from(&mesh.eu_west.envoy, "us-east", requests.len()).unwrap();
    let (request_bytes, response_bytes) = (
        sum(&logged, AccessEntry::request_bytes).unwrap(),
        sum(&logged, AccessEntry::response_bytes).unwrap(),
    );
    let text = poll::until("the request counter", || {
        let text = mesh.eu_west.envoy.prometheus()?;
        let counted = prometheus::value(
            &text,
            REQUESTS,
            &[
                (label::SOURCE_CLUSTER, "us-east"),
                (label::DESTINATION_CLUSTER, "eu-west"),
            ],
        );
        Ok((counted == Some(3)).then_some(text))
    })
    .unwrap();

    assert_eq!(logged.len(), 3, "{logged:?}");
    assert!(request_bytes > 1000 && response_bytes > 0);
    assert_eq!(
        prometheus::value(&text, BYTES, &bytes_labels(value::REQUEST)),
        Some(request_bytes),
        "request bytes; access log: {logged:?}"
    );
    assert_eq!(
        prometheus::value(&text, BYTES, &bytes_labels(value::RESPONSE)),
        Some(response_bytes),
        "response bytes; access log: {logged:?}"
    );
}

#[test]
fn same_cluster_traffic_is_not_counted() {
    let mesh = Mesh::start("metering-same-cluster", ResidencyMode::Enforce, &[]).unwrap();
    let trusted = mesh.trusted_client().unwrap();

    // What eu-west's own outbound sidecar sends: a trusted peer tagged eu-west.
    let response = Request::get("/users/1")
        .header("host", "eu-user-data")
        .header(header::SOURCE_CLUSTER, "eu-west")
        .header(header::SOURCE_REGION, "eu-west-1")
        .send_tls(mesh.eu_west.mtls, &trusted)
        .unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    entries_from(&mesh.eu_west.envoy, "eu-west", 1).unwrap();

    let text = mesh.eu_west.envoy.prometheus().unwrap();
    let counted: Vec<_> = [BYTES, REQUESTS]
        .into_iter()
        .flat_map(|name| prometheus::samples(&text, name))
        .collect();
    assert!(!counted.is_empty(), "no cross-cluster counters in:\n{text}");
    for sample in &counted {
        assert_eq!(sample.value, 0, "counted: {sample:?}");
        assert_ne!(
            sample.label(label::SOURCE_CLUSTER),
            Some("eu-west"),
            "{sample:?}"
        );
    }
}
