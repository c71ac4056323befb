//! The `stats_tags` shipped in `envoy-config/` turn the filter's embedded-tag counter
//! names into Prometheus labels on a real Envoy 1.40: no `=.=` is left in any
//! `meshborder_` line, and a residency denial is counted under its rule.

use meshborder_harness::client::Request;
use meshborder_harness::paths;
use meshborder_harness::ports::{LOOPBACK, PortPlan};
use meshborder_harness::topology::UsEastSidecar;

#[test]
fn prometheus_shows_the_filter_counters_with_labels() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("envoy-stats-tags").unwrap();
    let sidecar = UsEastSidecar::start(LOOPBACK, &PortPlan::EPHEMERAL, &wasm, &run_dir).unwrap();

    let denied = Request::get("/users/1")
        .header("host", "eu-user-data")
        .send(sidecar.listener)
        .unwrap();
    assert_eq!(denied.status, 403, "{}", denied.text());

    let prometheus = sidecar.envoy.prometheus().unwrap();
    let ours: Vec<&str> = prometheus
        .lines()
        .filter(|line| line.starts_with("meshborder_"))
        .collect();
    assert!(!ours.is_empty(), "no meshborder_ metrics in:\n{prometheus}");
    for line in &ours {
        assert!(!line.contains("=.="), "a label was not extracted: {line}");
    }
    let denial = r#"meshborder_residency_decisions_total{rule="eu-user-data",decision="deny"} 1"#;
    assert!(
        ours.contains(&denial),
        "no `{denial}` in:\n{}",
        ours.join("\n")
    );
}
