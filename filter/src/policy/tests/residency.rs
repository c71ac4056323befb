//! Residency rules: matching, constraints, unknown sources, modes, the deny reply and
//! the decision log.

use super::fixtures::{TRUSTED_SAN, eu_west, get, inbound, mtls, outbound, policy_at, us_east};
use crate::contract::{header, reply};
use crate::policy::Peer;
use crate::policy::config::Mode;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const CLUSTER: &str = header::SOURCE_CLUSTER;

fn from(cluster: &'static str) -> Vec<(String, Vec<u8>)> {
    get("eu-user-data", "/users/1", &[(CLUSTER, cluster)])
}

#[test]
fn denies_eu_data_when_source_is_us_east() {
    let policy = eu_west();
    let headers = from("us-east");
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    let denial = verdict.denial.expect("denied");
    assert_eq!(denial.rule, "eu-user-data");
    assert_eq!(
        denial.body,
        r#"{"error":"residency_denied","rule":"eu-user-data","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"eu-west","region":"eu-west-1"}"#
    );
    let decision = verdict.decision.expect("decision");
    assert_eq!((decision.rule, decision.mode), (0, Mode::Enforce));
}

#[test]
fn the_deny_body_has_the_contract_fields_in_order() {
    let policy = eu_west();
    let headers = from("us-east");
    let body = inbound(&policy, mtls(TRUSTED_SAN), &headers)
        .denial
        .expect("denied")
        .body;
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed.as_object().unwrap().len(), reply::FIELDS.len());
    let at: Vec<usize> = reply::FIELDS
        .iter()
        .map(|field| body.find(&format!("\"{field}\":")).unwrap())
        .collect();
    assert!(at.is_sorted(), "{body}");
    assert_eq!(parsed[reply::ERROR], reply::RESIDENCY_DENIED);
}

#[test]
fn allows_eu_data_from_an_eu_cluster() {
    let policy = eu_west();
    let headers = from("eu-central");
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert!(verdict.denial.is_none());
    assert!(verdict.decision.is_none());
}

#[test]
fn denies_unknown_source_by_default() {
    let policy = eu_west();
    let headers = from("eu-central");
    let verdict = inbound(&policy, Peer::default(), &headers);
    let denial = verdict.denial.expect("denied");
    assert!(
        denial
            .body
            .contains(r#""sourceCluster":"unknown","sourceRegion":"unknown""#)
    );
}

#[test]
fn unknown_source_allow_lets_unknown_callers_through() {
    let json = r#"{"residency":{"rules":[{"name":"r","allowSourceRegions":["eu-west-1"],"unknownSource":"allow"}]}}"#;
    let policy = policy_at(json, "eu-west", "eu-west-1");
    let headers = get("a", "/", &[]);
    assert!(inbound(&policy, Peer::default(), &headers).denial.is_none());
}

#[test]
fn believed_source_with_unknown_region_counts_as_unknown_for_region_rules() {
    let policy = eu_west();
    let headers = from("ap-south");
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    let denial = verdict.denial.expect("denied");
    assert!(
        denial
            .body
            .contains(r#""sourceCluster":"ap-south","sourceRegion":"unknown""#)
    );
}

#[test]
fn allow_source_clusters_limits_callers_by_cluster() {
    let json = r#"{"clusters":{"a":{"region":"r1"},"b":{"region":"r1"}},
        "trustedPeers":["spiffe://cluster.local/ns/*/sa/*"],
        "residency":{"rules":[{"name":"only-a","allowSourceClusters":["a"]}]}}"#;
    let policy = policy_at(json, "home", "r1");
    let from_a = get("x", "/", &[(CLUSTER, "a")]);
    let from_b = get("x", "/", &[(CLUSTER, "b")]);
    assert!(
        inbound(&policy, mtls(TRUSTED_SAN), &from_a)
            .denial
            .is_none()
    );
    assert!(
        inbound(&policy, mtls(TRUSTED_SAN), &from_b)
            .denial
            .is_some()
    );
}

#[test]
fn allow_local_regions_denies_serving_outside_them_inbound() {
    // eu-user-data failed over to us-east: served there, it must be refused.
    let policy = us_east();
    let headers = from("eu-west");
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert!(
        verdict
            .denial
            .expect("denied")
            .body
            .contains(r#""cluster":"us-east","region":"us-east-1""#)
    );
    assert!(
        verdict
            .decision
            .unwrap()
            .log_line
            .contains(r#""reason":"local_region_not_allowed""#)
    );
}

#[test]
fn outbound_checks_the_local_identity_as_source_but_not_the_local_region() {
    let us = us_east();
    let headers = get("eu-user-data", "/users/1", &[]);
    assert!(
        outbound(&us, &headers).denial.is_some(),
        "us-east may not call it"
    );
    let json = r#"{"regionGroups":{"eu":["eu-west-1"]},"residency":{"rules":[
        {"name":"served-in-us-only","allowLocalRegions":["us-east-1"]}]},
        "clusters":{"us":{"region":"us-east-1"}}}"#;
    let eu = policy_at(json, "eu-west", "eu-west-1");
    assert!(
        outbound(&eu, &headers).denial.is_none(),
        "serving region is unknown outbound"
    );
}

#[test]
fn audit_mode_records_but_lets_the_request_through() {
    let json = super::fixtures::SPEC_CONFIG.replace(r#""mode": "enforce""#, r#""mode": "audit""#);
    let policy = policy_at(&json, "eu-west", "eu-west-1");
    let headers = from("us-east");
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert!(verdict.denial.is_none());
    let decision = verdict.decision.expect("audited");
    assert_eq!(decision.mode, Mode::Audit);
    assert!(decision.log_line.contains(r#""decision":"audit""#));
    assert!(decision.log_line.contains(r#""mode":"audit""#));
}

#[test]
fn rule_mode_overrides_the_residency_mode() {
    let json = r#"{"residency":{"mode":"audit","rules":[{"name":"r","allowSourceClusters":["x"],"mode":"enforce"}]}}"#;
    let policy = policy_at(json, "eu-west", "eu-west-1");
    let headers = get("a", "/", &[]);
    assert!(outbound(&policy, &headers).denial.is_some());
}

#[test]
fn first_matching_rule_decides() {
    let json = r#"{"residency":{"rules":[
        {"name":"allow-own","match":{"paths":["/open/*"]},"allowSourceClusters":["eu-west"]},
        {"name":"deny-all","allowSourceClusters":["nobody"]}]}}"#;
    let policy = policy_at(json, "eu-west", "eu-west-1");
    let open = get("h", "/open/x", &[]);
    let closed = get("h", "/closed", &[]);
    assert!(outbound(&policy, &open).denial.is_none());
    assert_eq!(outbound(&policy, &closed).denial.unwrap().rule, "deny-all");
}

#[test]
fn later_rule_with_a_more_specific_host_does_not_jump_the_queue() {
    let json = r#"{"residency":{"rules":[
        {"name":"first","match":{"hosts":["*.example.com"]},"allowSourceClusters":["nobody"]},
        {"name":"second","match":{"hosts":["api.example.com"]},"allowSourceClusters":["eu-west"]}]}}"#;
    let policy = policy_at(json, "eu-west", "eu-west-1");
    let headers = get("api.example.com", "/", &[]);
    assert_eq!(outbound(&policy, &headers).denial.unwrap().rule, "first");
}

#[test]
fn no_matching_rule_allows() {
    let policy = eu_west();
    let headers = get("other-service", "/users/1", &[(CLUSTER, "us-east")]);
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert!(verdict.denial.is_none() && verdict.decision.is_none());
}

#[test]
fn host_patterns_match_exact_prefix_and_suffix_ignoring_port_case_and_trailing_dot() {
    let json = r#"{"residency":{"rules":[{"name":"r","match":{"hosts":["exact.svc","*.eu.example","api.*"]},
        "allowSourceClusters":["nobody"]}]}}"#;
    let policy = policy_at(json, "eu-west", "eu-west-1");
    for host in [
        "exact.svc",
        "EXACT.svc:8080",
        "exact.svc.",
        "a.eu.example",
        "a.b.eu.example:443",
        "api.internal",
        "API.internal.:80",
    ] {
        let headers = get(host, "/", &[]);
        assert!(
            outbound(&policy, &headers).denial.is_some(),
            "{host} should match"
        );
    }
    for host in [
        "exact.svc.other",
        "eu.example",
        "xapi.internal",
        "api",
        "notexact.svc",
    ] {
        let headers = get(host, "/", &[]);
        assert!(
            outbound(&policy, &headers).denial.is_none(),
            "{host} should not match"
        );
    }
}

#[test]
fn paths_match_exact_and_prefix_without_query_and_after_decoding() {
    let json = r#"{"residency":{"rules":[{"name":"r","match":{"paths":["/users/*","/admin"]},
        "allowSourceClusters":["nobody"]}]}}"#;
    let policy = policy_at(json, "eu-west", "eu-west-1");
    for path in [
        "/users",
        "/users/1",
        "/users/1?x=2",
        "/admin",
        "/admin?q",
        "/users%2F1",
        "//users/1",
        "/x/../users/1",
        "/%75sers/1",
        "/users;x=1/1",
    ] {
        let headers = get("h", path, &[]);
        assert!(
            outbound(&policy, &headers).denial.is_some(),
            "{path} should match"
        );
    }
    for path in ["/usersx", "/admin/x", "/", "/USERS/1"] {
        let headers = get("h", path, &[]);
        assert!(
            outbound(&policy, &headers).denial.is_none(),
            "{path} should not match"
        );
    }
}

#[test]
fn methods_and_headers_must_all_hold() {
    let json = r#"{"residency":{"rules":[{"name":"r","match":{"methods":["post"],
        "headers":{"X-Tenant":"eu"}},"allowSourceClusters":["nobody"]}]}}"#;
    let policy = policy_at(json, "eu-west", "eu-west-1");
    let mut post = get("h", "/", &[("x-tenant", "eu")]);
    post[0].1 = b"POST".to_vec();
    assert!(outbound(&policy, &post).denial.is_some());
    let get_req = get("h", "/", &[("x-tenant", "eu")]);
    assert!(
        outbound(&policy, &get_req).denial.is_none(),
        "method differs"
    );
    let mut other_tenant = get("h", "/", &[("x-tenant", "us")]);
    other_tenant[0].1 = b"POST".to_vec();
    assert!(
        outbound(&policy, &other_tenant).denial.is_none(),
        "header differs"
    );
}

#[test]
fn deny_log_line_has_the_contract_fields_and_no_other_header_values() {
    let policy = eu_west();
    let headers = get(
        "eu-user-data:8080",
        "/users/1?email=secret@example.com",
        &[
            (CLUSTER, "us-east"),
            (header::REQUEST_ID, "req-42"),
            ("authorization", "Bearer TOKEN"),
        ],
    );
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    let line = verdict.decision.unwrap().log_line;
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
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
            "x-request-id": "req-42"
        })
    );
    assert!(!line.contains("secret") && !line.contains("TOKEN"));
}

#[test]
fn rules_are_found_by_host_at_any_rule_count() {
    let mut rules = Vec::new();
    for i in 0..2000 {
        rules.push(format!(
            r#"{{"name":"r{i}","match":{{"hosts":["svc-{i}.example"]}},"allowSourceClusters":["c{i}"]}}"#
        ));
    }
    let json = format!(r#"{{"residency":{{"rules":[{}]}}}}"#, rules.join(","));
    let policy = policy_at(&json, "eu-west", "eu-west-1");
    let headers = get("svc-1999.example", "/", &[]);
    assert_eq!(outbound(&policy, &headers).denial.unwrap().rule, "r1999");
    let headers = get("svc-unknown.example", "/", &[]);
    assert!(outbound(&policy, &headers).denial.is_none());
}
