//! Scenario 2, trust, on a real Envoy: eu-west believes a caller's tags only over
//! mTLS from a peer whose SPIFFE ID matches `trustedPeers`. A request straight to
//! eu-west in plaintext, or with a certificate of another trust domain, reaches the
//! app without tag headers and is counted as an unknown source.

use meshborder_e2e::client::{Request, Response};
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::topology::ResidencyMode;
use meshborder_e2e::{Result, prometheus};
use meshborder_filter::contract::{header, metric};

const UNKNOWN_SOURCE: &str = metric::UNKNOWN_SOURCE.prometheus;

/// A request that claims to come from us-east.
fn forged() -> Request {
    Request::get("/catalog")
        .header("host", "eu-user-data")
        .header(header::SOURCE_CLUSTER, "us-east")
        .header(header::SOURCE_REGION, "us-east-1")
}

fn unknown_sources(envoy: &Envoy) -> Result<Option<u64>> {
    Ok(prometheus::value(&envoy.prometheus()?, UNKNOWN_SOURCE, &[]))
}

fn assert_reached_the_app_untagged(response: &Response) -> Result<()> {
    assert_eq!(response.status, 200, "{}", response.text());
    let seen = response.json()?;
    assert_eq!(
        seen.get("app").and_then(|app| app.as_str()),
        Some("eu-west-app"),
        "answered by {seen}"
    );
    for tag in [header::SOURCE_CLUSTER, header::SOURCE_REGION] {
        assert!(
            seen.pointer(&format!("/headers/{tag}")).is_none(),
            "the app saw {tag}: {seen}"
        );
    }
    Ok(())
}

#[test]
fn a_plaintext_request_straight_to_eu_west_loses_its_tags_and_counts_as_unknown() {
    let mesh = Mesh::start("trust-plaintext", ResidencyMode::Enforce, &[]).unwrap();
    assert_eq!(unknown_sources(&mesh.eu_west.envoy).unwrap(), Some(0));

    let response = forged().send(mesh.eu_west.plaintext).unwrap();

    assert_reached_the_app_untagged(&response).unwrap();
    assert_eq!(unknown_sources(&mesh.eu_west.envoy).unwrap(), Some(1));
}

#[test]
fn a_request_with_an_untrusted_spiffe_id_loses_its_tags_and_counts_as_unknown() {
    let mesh = Mesh::start("trust-untrusted", ResidencyMode::Enforce, &[]).unwrap();
    let untrusted = mesh.untrusted_client().unwrap();

    let response = forged().send_tls(mesh.eu_west.mtls, &untrusted).unwrap();

    assert_reached_the_app_untagged(&response).unwrap();
    assert_eq!(unknown_sources(&mesh.eu_west.envoy).unwrap(), Some(1));
}

#[test]
fn a_request_with_the_trusted_spiffe_id_keeps_its_tags() {
    let mesh = Mesh::start("trust-trusted", ResidencyMode::Enforce, &[]).unwrap();
    let trusted = mesh.trusted_client().unwrap();

    let response = forged().send_tls(mesh.eu_west.mtls, &trusted).unwrap();

    assert_eq!(response.status, 200, "{}", response.text());
    let seen = response.json().unwrap();
    assert_eq!(seen["headers"][header::SOURCE_CLUSTER], "us-east");
    assert_eq!(seen["headers"][header::SOURCE_REGION], "us-east-1");
    assert_eq!(unknown_sources(&mesh.eu_west.envoy).unwrap(), Some(0));
}

#[test]
fn the_mtls_listener_refuses_a_client_without_a_certificate() {
    let mesh = Mesh::start("trust-no-cert", ResidencyMode::Enforce, &[]).unwrap();
    let anonymous = mesh.anonymous_client().unwrap();

    let refused = forged().send_tls(mesh.eu_west.mtls, &anonymous);

    let error = refused.expect_err("eu-west answered a client without a certificate");
    assert!(
        error.to_string().contains("CertificateRequired"),
        "unexpected failure: {error}"
    );
    assert_eq!(unknown_sources(&mesh.eu_west.envoy).unwrap(), Some(0));
}
