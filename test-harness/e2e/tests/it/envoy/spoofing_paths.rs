//! The spoofing matrix, paths, on real Envoys with the connection managers as
//! shipped (`normalize_path`, `merge_slashes`, and
//! `path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT`): the rule's
//! `paths: ["/users/*"]` sees the path the app will serve, so no spelling of a
//! user's path gets past eu-west. Envoy resolves dot segments and merges slashes
//! before the filter runs; an encoded slash or backslash is answered with a
//! redirect to the plain path, which is then denied; and the filter also matches a
//! decoded reading of the path.
//!
//! `/users/../admin` is `/admin`: the shipped rule does not cover it, and the app is
//! asked for `/admin`, not for a user. A rule that covers `/admin` too denies it.
//! Paths are case-sensitive, so `/USERS/1` is another path and passes: for an app
//! that serves paths case-insensitively, the rule must list the spellings it
//! serves, or not match on the path at all.

use super::spoofing_support::{CLUSTER_TAG, Side, assert_denied, get, mesh, seen, send};
use meshborder_e2e::ecds::Verdict;
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::plugin_config;
use meshborder_e2e::topology::{EU_WEST_APP, ResidencyMode, US_EAST};
use serde_json::json;

/// Spellings of `/users/1` that Envoy turns into `/users/1` before the filter runs.
const NORMALISED_TO_A_USER: [&str; 8] = [
    "//users/1",
    "/users//1",
    "//users//1/",
    "/users/./1",
    "/./users/1",
    "/admin/../users/1",
    "/%2e%2e/users/1",
    "/%75sers/1",
];

/// The sides an attacker sends from, with the caller each is denied as.
const SIDES: [(Side, &str, &str); 3] = [
    (Side::ViaUsEast, "us-east", "us-east-1"),
    (Side::Plaintext, "unknown", "unknown"),
    (Side::TrustedPeer, "us-east", "us-east-1"),
];

#[cfg(test)]
fn as_us_east(path: &str) -> meshborder_e2e::client::Request {
    get(path).header(CLUSTER_TAG, "us-east")
}

#[test]
fn dot_segments_doubled_slashes_and_encoded_letters_are_normalised_and_denied() {
    let mesh = mesh("spoof-path-normalised");
    for path in NORMALISED_TO_A_USER {
        for (side, cluster, region) in SIDES {
            let response = send(&mesh, side, &as_us_east(path)).unwrap();

            assert_denied(&response, cluster, region);
        }
    }
}

#[test]
fn an_encoded_slash_or_backslash_is_redirected_to_the_plain_path_which_is_denied() {
    let mesh = mesh("spoof-path-encoded-slash");
    for path in ["/users%2F1", "/users%2f1", "/users%5C1", "/users%5c1"] {
        for (side, cluster, region) in SIDES {
            let response = send(&mesh, side, &as_us_east(path)).unwrap();
            assert_eq!(response.status, 307, "{side:?} {path}: {}", response.text());
            let location = response.header("location").unwrap_or_default();
            assert!(
                location.ends_with("/users/1"),
                "{side:?} {path}: {location}"
            );

            let followed = send(&mesh, side, &as_us_east("/users/1")).unwrap();
            assert_denied(&followed, cluster, region);
        }
    }
}

#[test]
fn users_dot_dot_admin_is_admin_which_the_shipped_rule_does_not_cover() {
    let mesh = mesh("spoof-path-dot-dot-admin");
    for path in [
        "/users/../admin",
        "/users/%2e%2e/admin",
        "/users/1/../../admin",
    ] {
        for (side, _, _) in SIDES {
            let response = send(&mesh, side, &as_us_east(path)).unwrap();

            let seen = seen(&response).unwrap();
            assert_eq!(seen.app, EU_WEST_APP, "{side:?} {path}");
            assert_eq!(seen.path, "/admin", "{side:?} {path}");
        }
    }
}

#[test]
fn users_dot_dot_admin_is_denied_when_the_rule_also_covers_admin() {
    let mut mesh =
        Mesh::start_watched("spoof-path-admin-rule", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let mut config = plugin_config::shipped(ResidencyMode::Enforce.plugin_config()).unwrap();
    config["residency"]["rules"][0]["match"]["paths"] = json!(["/users/*", "/admin/*"]);
    let update = mesh.eu_west.reconfigure(&config).unwrap();
    assert_eq!(update.verdict, Verdict::Accepted, "{update:?}");

    for path in ["/users/../admin", "/users/%2e%2e/admin", "/admin"] {
        for (side, cluster, region) in SIDES {
            let response = send(&mesh, side, &as_us_east(path)).unwrap();

            assert_denied(&response, cluster, region);
        }
    }
}

#[test]
fn an_upper_case_path_is_another_path_and_passes() {
    let mesh = mesh("spoof-path-upper-case");
    for path in ["/USERS/1", "/Users/1"] {
        for (side, _, _) in SIDES {
            let response = send(&mesh, side, &as_us_east(path)).unwrap();

            let seen = seen(&response).unwrap();
            assert_eq!(seen.app, EU_WEST_APP, "{side:?} {path}");
            assert_eq!(seen.path, path, "{side:?}");
        }
    }
}
