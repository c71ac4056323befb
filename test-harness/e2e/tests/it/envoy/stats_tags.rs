//! The `stats_tags` shipped in `envoy-config/` turn the filter's embedded-tag counter
//! names into Prometheus labels on a real Envoy 1.40: no `=.=` is left in any
//! `meshborder_` line on eu-west, and each counter carries exactly its labels.

use meshborder_e2e::client::Request;
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::prometheus;
use meshborder_e2e::topology::{ResidencyMode, US_EAST};
use meshborder_filter::contract::{label, metric, value};

#[test]
fn prometheus_shows_the_filter_counters_with_labels() {
    let mesh = Mesh::start("envoy-stats-tags", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();
    let denied = Request::get("/users/1")
        .header("host", "eu-user-data")
        .send(us_east.listener)
        .unwrap();
    assert_eq!(denied.status, 403, "{}", denied.text());

    let text = mesh.eu_west.envoy.prometheus().unwrap();
    let ours: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("meshborder_"))
        .collect();
    assert!(!ours.is_empty(), "no meshborder_ metrics in:\n{text}");
    for line in &ours {
        assert!(!line.contains("=.="), "a label was not extracted: {line}");
    }
    let labels_of = |name: &str| -> Vec<Vec<String>> {
        prometheus::samples(&text, name)
            .into_iter()
            .map(|sample| sample.labels.into_iter().map(|(key, _)| key).collect())
            .collect()
    };
    for labels in labels_of(metric::XCLUSTER_BYTES.prometheus) {
        assert_eq!(labels, metric::XCLUSTER_BYTES.labels);
    }
    for labels in labels_of(metric::XCLUSTER_REQUESTS.prometheus) {
        assert_eq!(labels, metric::XCLUSTER_REQUESTS.labels);
    }
    assert_eq!(
        prometheus::value(
            &text,
            metric::RESIDENCY_DECISIONS.prometheus,
            &[
                (label::RULE, "eu-user-data"),
                (label::DECISION, value::DENY)
            ]
        ),
        Some(1),
        "{}",
        ours.join("\n")
    );
}
