//! Which Envoy the end-to-end tests run on. `make test` runs them on Envoy 1.40 and
//! runs the contract tests again on 1.36 (Istio 1.28's generation), naming the
//! version it wants in `$MESHBORDER_ENVOY_VERSION`; this test fails when the
//! binary is another one, so a run never claims a version it did not use.

use meshborder_e2e::envoy::version::{self, OLDEST_SUPPORTED};

#[test]
fn the_envoy_under_test_is_the_version_make_test_names() {
    let running = version::version().unwrap();
    meshborder_e2e::show!("envoy under test: {running}");
    match version::expected() {
        Some(expected) => assert_eq!(
            running, expected,
            "make test asked for Envoy {expected}, but the binary it named is Envoy {running}"
        ),
        None => assert!(
            version::major_minor(&running) >= Some(OLDEST_SUPPORTED),
            "Envoy {running} is older than the oldest supported, {}.{}",
            OLDEST_SUPPORTED.0,
            OLDEST_SUPPORTED.1
        ),
    }
}
