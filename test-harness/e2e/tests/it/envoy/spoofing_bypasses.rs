//! Spoofing cases beyond the matrix that get EU user data, or a forged tag, past
//! eu-west today. Each test pins the behaviour meshborder must have, and FAILS
//! until it is fixed (in the filter or in the shipped configs):
//!
//! - the rule matches the `Host` the caller wrote, and an inbound sidecar serves
//!   its one workload whatever the `Host`: `Host: shop` reaches the same app as
//!   `Host: eu-user-data`, and us-east routes it to eu-west by region;
//! - a tag spelt with underscores (`x_meshborder_source_cluster`) passes the filter
//!   untouched, and an app behind CGI-style header mapping (WSGI, Rack, PHP) reads
//!   it as `HTTP_X_MESHBORDER_SOURCE_CLUSTER`, the real tag;
//! - a path parameter (`/users;x=1/1`) is not `/users/*` to the filter, but it is
//!   `/users/1` to a servlet container (Tomcat, Jetty, Spring).

use super::spoofing_support::{Side, assert_denied, mesh, seen, send};
use meshborder_e2e::client::Request;

#[test]
fn bypass_a_host_the_rule_does_not_name_must_not_carry_eu_user_data_past_eu_west() {
    let mesh = mesh("bypass-host");
    // us-east routes by region, whatever the host; eu-west serves its one app.
    let routed = Request::get("/users/1")
        .header("host", "shop")
        .header("x-user-region", "eu-west-1");
    let response = send(&mesh, Side::ViaUsEast, &routed).unwrap();
    assert_denied(&response, "us-east", "us-east-1");

    for host in ["shop", "user@eu-user-data"] {
        let direct = Request::get("/users/1").header("host", host);
        let response = send(&mesh, Side::Plaintext, &direct).unwrap();
        assert_denied(&response, "unknown", "unknown");
    }
    // Two Host headers: Envoy joins them into `other,eu-user-data`.
    let twice = Request::get("/users/1")
        .header("host", "other")
        .header("host", "eu-user-data");
    let response = send(&mesh, Side::Plaintext, &twice).unwrap();
    assert!(
        [400, 403].contains(&response.status),
        "{}: {}",
        response.status,
        response.text()
    );
}

#[test]
fn bypass_a_tag_spelt_with_underscores_must_not_reach_the_app() {
    let mesh = mesh("bypass-underscore");
    let spellings = ["x_meshborder_source_cluster", "X_Meshborder_Source_Region"];
    for side in [Side::ViaUsEast, Side::Plaintext, Side::UntrustedSan] {
        let mut forged = Request::get("/catalog").header("host", "eu-user-data");
        for name in spellings {
            forged = forged.header(name, "eu-west");
        }
        let response = send(&mesh, side, &forged).unwrap();
        if response.status == 400 {
            continue;
        }
        let seen = seen(&response).unwrap();
        let underscored: Vec<&String> = seen
            .header_names
            .iter()
            .filter(|name| name.contains("meshborder") && name.contains('_'))
            .collect();
        assert!(
            underscored.is_empty(),
            "{side:?}: the app saw {underscored:?}"
        );
    }
}

#[test]
fn bypass_a_path_parameter_must_not_carry_eu_user_data_past_eu_west() {
    let mesh = mesh("bypass-path-parameter");
    for path in ["/users;x=1/1", "/users;/1", "/users;jsessionid=1/1"] {
        let request = Request::get(path).header("host", "eu-user-data");
        let response = send(&mesh, Side::ViaUsEast, &request).unwrap();
        assert!(
            [400, 403].contains(&response.status),
            "{path}: {}: {}",
            response.status,
            response.text()
        );
    }
}
