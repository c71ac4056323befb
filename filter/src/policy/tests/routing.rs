//! Regional routing: sources in order, groups, countries, the default, and the
//! residency guard.

use super::fixtures::{
    TRUSTED_SAN, eu_west, get, inbound, mtls, outbound, policy_at, removes, set_value, us_east,
};
use crate::contract::header;
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const ROUTE: &str = header::ROUTE_REGION;

/// The route region an outbound request from us-east gets.
fn routed(extra: &[(&str, &str)]) -> Option<String> {
    let policy = us_east();
    let headers = get("shop", "/", extra);
    let verdict = outbound(&policy, &headers);
    set_value(&verdict, ROUTE).map(str::to_owned)
}

#[test]
fn region_header_names_the_route() {
    assert_eq!(
        routed(&[("x-user-region", "eu-central-1")]).as_deref(),
        Some("eu-central-1")
    );
}

#[test]
fn group_name_routes_to_its_first_region() {
    assert_eq!(
        routed(&[("x-user-region", "eu")]).as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        routed(&[("x-user-region", "US")]).as_deref(),
        Some("us-east-1")
    );
}

#[test]
fn country_codes_are_case_insensitive() {
    assert_eq!(
        routed(&[("cf-ipcountry", "DE")]).as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        routed(&[("cf-ipcountry", "de")]).as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        routed(&[("cf-ipcountry", "US")]).as_deref(),
        Some("us-east-1")
    );
}

#[test]
fn first_source_that_yields_a_region_wins() {
    assert_eq!(
        routed(&[("x-user-region", "eu"), ("cf-ipcountry", "US")]).as_deref(),
        Some("eu-west-1")
    );
}

#[test]
fn unknown_values_fall_through_to_the_next_source_and_the_default() {
    assert_eq!(
        routed(&[("x-user-region", "mars-1"), ("cf-ipcountry", "DE")]).as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        routed(&[("cf-ipcountry", "ZZ")]).as_deref(),
        Some("us-east-1")
    );
    assert_eq!(
        routed(&[("cf-ipcountry", "DEU")]).as_deref(),
        Some("us-east-1")
    );
    assert_eq!(routed(&[]).as_deref(), Some("us-east-1"));
}

#[test]
fn incoming_route_header_is_replaced() {
    assert_eq!(
        routed(&[(ROUTE, "us-west-2"), ("cf-ipcountry", "DE")]).as_deref(),
        Some("eu-west-1")
    );
}

#[test]
fn incoming_route_header_is_removed_when_nothing_is_chosen() {
    let json = r#"{"routing":{"sources":[{"header":"x-user-region"}]}}"#;
    let policy = policy_at(json, "gw", "eu-west-1");
    let headers = get("shop", "/", &[(ROUTE, "eu-west-1")]);
    let verdict = outbound(&policy, &headers);
    assert!(removes(&verdict, ROUTE));
    let headers = get("shop", "/", &[]);
    let verdict = outbound(&policy, &headers);
    assert!(!removes(&verdict, ROUTE));
    assert_eq!(
        verdict.header_ops.iter().count(),
        2,
        "the cluster and region tags; no zone tag to remove"
    );
}

#[test]
fn residency_guard_keeps_eu_rule_requests_in_the_eu() {
    let policy = eu_west();
    let headers = get(
        "eu-user-data",
        "/users/1",
        &[
            (header::SOURCE_CLUSTER, "eu-central"),
            ("x-user-region", "us"),
        ],
    );
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert!(verdict.denial.is_none());
    assert_eq!(set_value(&verdict, ROUTE), Some("eu-west-1"));
    let log = verdict.guard_log.expect("guard logged");
    assert_eq!(
        log,
        r#"{"event":"route_guarded","rule":"eu-user-data","requested":"us-east-1","routed":"eu-west-1"}"#
    );
}

#[test]
fn residency_guard_leaves_an_allowed_choice_alone() {
    let policy = eu_west();
    let headers = get(
        "eu-user-data",
        "/users/1",
        &[
            (header::SOURCE_CLUSTER, "eu-central"),
            ("cf-ipcountry", "DE"),
        ],
    );
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(set_value(&verdict, ROUTE), Some("eu-west-1"));
    assert!(verdict.guard_log.is_none());
}

#[test]
fn residency_guard_can_be_turned_off() {
    let json = super::fixtures::SPEC_CONFIG
        .replace(r#""residencyGuard": true"#, r#""residencyGuard": false"#);
    let policy = policy_at(&json, "eu-west", "eu-west-1");
    let headers = get(
        "eu-user-data",
        "/users/1",
        &[
            (header::SOURCE_CLUSTER, "eu-central"),
            ("x-user-region", "us"),
        ],
    );
    let verdict = inbound(&policy, mtls(TRUSTED_SAN), &headers);
    assert_eq!(set_value(&verdict, ROUTE), Some("us-east-1"));
}

#[test]
fn denied_request_is_not_routed() {
    let policy = us_east();
    let headers = get("eu-user-data", "/users/1", &[("cf-ipcountry", "DE")]);
    let verdict = outbound(&policy, &headers);
    assert!(verdict.denial.is_some());
    assert_eq!(set_value(&verdict, ROUTE), None);
    assert!(!removes(&verdict, ROUTE));
}

#[test]
fn routing_runs_inbound_too() {
    let policy = eu_west();
    let headers = get("shop", "/", &[("cf-ipcountry", "DE")]);
    let verdict = inbound(&policy, mtls("spiffe://x/y"), &headers);
    assert_eq!(set_value(&verdict, ROUTE), Some("eu-west-1"));
}
