//! Scenario 3, residency, on real Envoys: eu-west's rule `eu-user-data` (EU user
//! data may only be asked for from, and served in, EU regions) refuses us-east with
//! the exact JSON reply and one JSON log line, lets an EU cluster through, refuses
//! an unknown source by default, and in audit mode lets the request through but
//! counts and logs it.

use meshborder_e2e::client::{Request, Response};
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::filter_log::{self, FilterLine};
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::topology::{EU_CENTRAL, ResidencyMode, US_EAST};
use meshborder_e2e::{Result, poll, prometheus};
use meshborder_filter::contract::{header, label, metric, value};
use serde_json::json;

const DECISIONS: &str = metric::RESIDENCY_DECISIONS.prometheus;

fn eu_user_data(request_id: &str) -> Request {
    Request::get("/users/1")
        .header("host", "eu-user-data")
        .header("x-request-id", request_id)
}

fn decisions(envoy: &Envoy, decision: &str) -> Result<Option<u64>> {
    let text = envoy.prometheus()?;
    Ok(prometheus::value(
        &text,
        DECISIONS,
        &[(label::RULE, "eu-user-data"), (label::DECISION, decision)],
    ))
}

/// The filter's decision lines in `envoy`'s log, once there are `count` of them.
fn decision_lines(envoy: &Envoy, count: usize) -> Result<Vec<FilterLine>> {
    poll::until(
        &format!("{count} decision line(s) in eu-west's log"),
        || {
            let lines: Vec<FilterLine> = filter_log::json_lines(&envoy.log())
                .into_iter()
                .filter(|line| line.json.get("decision").is_some())
                .collect();
            Ok((lines.len() >= count).then_some(lines))
        },
    )
}

fn assert_denied(response: &Response, body: &str) {
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(response.header(header::DENIED_BY), Some("eu-user-data"));
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.text(), body);
}

#[test]
fn eu_user_data_from_us_east_is_denied_with_the_exact_reply_and_one_log_line() {
    let mesh = Mesh::start("residency-us-east", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();

    let response = eu_user_data("req-us-east-1")
        .send(us_east.listener)
        .unwrap();

    assert_denied(
        &response,
        r#"{"error":"residency_denied","rule":"eu-user-data","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"eu-west","region":"eu-west-1"}"#,
    );
    assert_eq!(
        decisions(&mesh.eu_west.envoy, value::DENY).unwrap(),
        Some(1)
    );
    let lines = decision_lines(&mesh.eu_west.envoy, 1).unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = lines.first().unwrap();
    assert_eq!(line.level, "warning");
    assert_eq!(
        line.json,
        json!({
            "error": "residency_denied",
            "decision": "deny",
            "reason": "source_region_not_allowed",
            "rule": "eu-user-data",
            "sourceCluster": "us-east",
            "sourceRegion": "us-east-1",
            "cluster": "eu-west",
            "region": "eu-west-1",
            "host": "eu-user-data",
            "path": "/users/1",
            "method": "GET",
            "mode": "enforce",
            "direction": "inbound",
            "x-request-id": "req-us-east-1",
        })
    );
}

#[test]
fn eu_user_data_from_an_eu_cluster_is_allowed() {
    let mesh = Mesh::start("residency-eu", ResidencyMode::Enforce, &[EU_CENTRAL]).unwrap();
    let eu_central = mesh.caller(&EU_CENTRAL).unwrap();

    let response = eu_user_data("req-eu-central-1")
        .send(eu_central.listener)
        .unwrap();

    assert_eq!(response.status, 200, "{}", response.text());
    let seen = response.json().unwrap();
    assert_eq!(seen["app"], "eu-west-app", "answered by {seen}");
    assert_eq!(seen["path"], "/users/1");
    assert_eq!(seen["headers"][header::SOURCE_CLUSTER], "eu-central");
    assert_eq!(seen["headers"][header::SOURCE_REGION], "eu-central-1");
    assert_eq!(
        decisions(&mesh.eu_west.envoy, value::DENY).unwrap(),
        Some(0)
    );
    assert_eq!(
        decisions(&mesh.eu_west.envoy, value::AUDIT).unwrap(),
        Some(0)
    );
}

#[test]
fn eu_user_data_from_an_unknown_source_is_denied_by_default() {
    let mesh = Mesh::start("residency-unknown", ResidencyMode::Enforce, &[]).unwrap();

    let response = eu_user_data("req-unknown-1")
        .header(header::SOURCE_CLUSTER, "eu-west")
        .send(mesh.eu_west.plaintext)
        .unwrap();

    assert_denied(
        &response,
        r#"{"error":"residency_denied","rule":"eu-user-data","sourceCluster":"unknown","sourceRegion":"unknown","cluster":"eu-west","region":"eu-west-1"}"#,
    );
    assert_eq!(
        decisions(&mesh.eu_west.envoy, value::DENY).unwrap(),
        Some(1)
    );
    let lines = decision_lines(&mesh.eu_west.envoy, 1).unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = lines.first().unwrap();
    assert_eq!(line.json["reason"], "unknown_source");
    assert_eq!(line.json["sourceCluster"], "unknown");
    assert_eq!(line.json["x-request-id"], "req-unknown-1");
}

#[test]
fn audit_mode_lets_eu_user_data_through_to_us_east_and_counts_it() {
    let mesh = Mesh::start("residency-audit", ResidencyMode::Audit, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();

    let response = eu_user_data("req-audit-1").send(us_east.listener).unwrap();

    assert_eq!(response.status, 200, "{}", response.text());
    let seen = response.json().unwrap();
    assert_eq!(seen["app"], "eu-west-app", "answered by {seen}");
    assert_eq!(seen["headers"][header::SOURCE_CLUSTER], "us-east");
    assert_eq!(
        decisions(&mesh.eu_west.envoy, value::AUDIT).unwrap(),
        Some(1)
    );
    assert_eq!(
        decisions(&mesh.eu_west.envoy, value::DENY).unwrap(),
        Some(0)
    );
    let lines = decision_lines(&mesh.eu_west.envoy, 1).unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = lines.first().unwrap();
    assert_eq!(line.level, "info");
    assert_eq!(line.json["decision"], "audit");
    assert_eq!(line.json["mode"], "audit");
    assert_eq!(line.json["sourceCluster"], "us-east");
    assert_eq!(line.json["x-request-id"], "req-audit-1");
}
