//! The spoofing matrix, hosts, on real Envoys: the rule `eu-user-data` names its
//! host `eu-user-data`, and no spelling of that host gets EU user data past
//! eu-west. The filter compares hosts case-insensitively, without the port and
//! without one trailing dot, so a port, upper case or a trailing dot (the
//! fully-qualified form) are all the same host to the rule.
//!
//! Through us-east, the host also picks the route: upper case and a port still
//! reach eu-west (Envoy matches virtual hosts case-insensitively, and us-east strips
//! the port), where the request is denied; `eu-user-data.` matches no route to
//! eu-west, so us-east serves it from its own app and nothing crosses the border.

use super::spoofing_support::{CLUSTER_TAG, Side, assert_denied, mesh, seen, send};
use meshborder_e2e::client::Request;
use meshborder_e2e::topology::US_EAST;

/// The rule's host, spelt as an attacker might.
const SPELLINGS: [&str; 7] = [
    "EU-USER-DATA",
    "Eu-User-Data",
    "eu-user-data:8080",
    "EU-USER-DATA:80",
    "eu-user-data.",
    "Eu-User-Data.:443",
    "EU-USER-DATA.SHOP.SVC.CLUSTER.LOCAL.",
];

#[cfg(test)]
fn users(host: &str) -> Request {
    Request::get("/users/1").header("host", host)
}

#[test]
fn the_rule_host_in_upper_case_or_with_a_port_through_us_east_is_denied_at_eu_west() {
    let mesh = mesh("spoof-host-us-east");
    for host in [
        "EU-USER-DATA",
        "Eu-User-Data",
        "eu-user-data:8080",
        "EU-USER-DATA:80",
    ] {
        let response = send(&mesh, Side::ViaUsEast, &users(host)).unwrap();

        assert_denied(&response, "us-east", "us-east-1");
    }
}

#[test]
fn the_rule_host_with_a_trailing_dot_through_us_east_stays_in_us_east() {
    let mesh = mesh("spoof-host-trailing-dot-us-east");
    for host in ["eu-user-data.", "Eu-User-Data.:443"] {
        let response = send(&mesh, Side::ViaUsEast, &users(host)).unwrap();

        // Answered by the app next to us-east: the request never crossed.
        let seen = seen(&response).unwrap();
        assert_eq!(seen.app, US_EAST.app, "{host}: {seen:?}");
    }
}

#[test]
fn every_spelling_of_the_rule_host_straight_to_eu_west_is_denied() {
    let mesh = mesh("spoof-host-eu-west");
    for host in SPELLINGS {
        let as_us_east = users(host).header(CLUSTER_TAG, "us-east");
        let trusted = send(&mesh, Side::TrustedPeer, &as_us_east).unwrap();
        assert_denied(&trusted, "us-east", "us-east-1");

        for side in Side::UNTRUSTED {
            let forged = users(host).header(CLUSTER_TAG, "eu-west");
            let response = send(&mesh, side, &forged).unwrap();
            assert_denied(&response, "unknown", "unknown");
        }
    }
}
