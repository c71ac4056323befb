//! Shared by the `envoy_spoofing_*` tests: the requests an attacker sends, and what
//! each answer must show, on the mesh of `topology` (us-east's outbound sidecar,
//! mTLS, eu-west's inbound sidecar with the shipped rule `eu-user-data`).
//!
//! An attacker reaches eu-west by one of these ways: as a client of us-east's
//! outbound sidecar, which must replace its tags; in plaintext (`inbound_plaintext`)
//! or over mTLS with a certificate whose SPIFFE ID is not trusted, whose tags must be
//! removed; over mTLS as the trusted peer, whose tags are believed by design; or
//! over mTLS with a certificate that eu-west's `trustedPeers` binds to a cluster (by
//! name, or captured from its trust domain), whose cluster no tag can change, or
//! whose captured cluster eu-west does not list, which makes it unknown.

#![cfg(test)]

use meshborder_e2e::certs::ClientCert;
use meshborder_e2e::client::{Request, Response};
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::topology::{EU_WEST_APP, ResidencyMode, US_EAST};
use meshborder_filter::contract::header;
use serde_json::Value;

/// The rule of the shipped eu-west config: EU user data stays in the EU.
pub const RULE: &str = "eu-user-data";
/// The rule's host.
pub const HOST: &str = "eu-user-data";
/// The tag headers.
pub const CLUSTER_TAG: &str = header::SOURCE_CLUSTER;
/// The tag headers.
pub const REGION_TAG: &str = header::SOURCE_REGION;
/// The tag headers.
pub const ZONE_TAG: &str = header::SOURCE_ZONE;

/// The mesh every spoofing test attacks: us-east's sidecar and eu-west enforcing.
pub fn mesh(label: &str) -> Mesh {
    Mesh::start(label, ResidencyMode::Enforce, &[US_EAST]).unwrap()
}

/// A GET of `path` on the rule's host.
pub fn get(path: &str) -> Request {
    Request::get(path).header("host", HOST)
}

/// Where an attacker sends a request from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A client of us-east's outbound sidecar: its tags must be replaced.
    ViaUsEast,
    /// Straight to eu-west's plaintext listener: no peer identity.
    Plaintext,
    /// Straight to eu-west's mTLS listener with `spiffe://evil.example/ns/x/sa/y`,
    /// signed by the mesh CA but not matched by `trustedPeers`.
    UntrustedSan,
    /// Straight to eu-west's mTLS listener as `spiffe://cluster.local/ns/shop/sa/frontend`,
    /// the trusted peer (what a caller's sidecar presents).
    TrustedPeer,
    /// Straight to eu-west's mTLS listener as
    /// `spiffe://us-east.mesh.example/ns/shop/sa/frontend`, which `trustedPeers`
    /// binds to cluster us-east.
    BoundPeer,
    /// Straight to eu-west's mTLS listener as
    /// `spiffe://eu-central.mesh.example/ns/shop/sa/frontend`: `trustedPeers`
    /// captures `eu-central` from the trust domain, which `clusters` does not list.
    UnlistedCapture,
}

impl Side {
    /// The two sides that reach eu-west without a trusted identity.
    pub const UNTRUSTED: [Self; 2] = [Self::Plaintext, Self::UntrustedSan];
    /// Every side that reaches eu-west without an established source.
    pub const UNESTABLISHED: [Self; 3] =
        [Self::Plaintext, Self::UntrustedSan, Self::UnlistedCapture];

    /// The client certificate of a side straight to eu-west's mTLS listener.
    fn cert(self) -> Option<ClientCert> {
        match self {
            Self::ViaUsEast | Self::Plaintext => None,
            Self::UntrustedSan => Some(ClientCert::Untrusted),
            Self::TrustedPeer => Some(ClientCert::MeshWide),
            Self::BoundPeer => Some(ClientCert::UsEast),
            Self::UnlistedCapture => Some(ClientCert::EuCentral),
        }
    }
}

/// Sends `request` from `side` into `mesh` (which must have us-east for
/// [`Side::ViaUsEast`]). A failure to get any answer is a message.
pub fn send(mesh: &Mesh, side: Side, request: &Request) -> Result<Response, String> {
    let answer = match (side, side.cert()) {
        (Side::ViaUsEast, _) => {
            let us_east = mesh.caller(&US_EAST).map_err(|e| e.to_string())?;
            request.send(us_east.listener)
        }
        (_, Some(cert)) => mesh
            .client(cert)
            .and_then(|tls| request.send_tls(mesh.eu_west.mtls, &tls)),
        (_, None) => request.send(mesh.eu_west.plaintext),
    };
    answer.map_err(|e| format!("{side:?}: {e}"))
}

/// What the app behind a sidecar saw: who answered, the path, and each tag header
/// (`None` when absent; a repeated header is joined with `, ` by the echo app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The app that answered.
    pub app: String,
    /// The path it was asked for.
    pub path: String,
    /// `x-meshborder-source-cluster`.
    pub cluster: Option<String>,
    /// `x-meshborder-source-region`.
    pub region: Option<String>,
    /// `x-meshborder-source-zone`.
    pub zone: Option<String>,
    /// Every header name it saw.
    pub header_names: Vec<String>,
}

/// What the app saw, from a 200 answer; anything else is the error.
pub fn seen(response: &Response) -> Result<Seen, String> {
    if response.status != 200 {
        return Err(format!("status {}: {}", response.status, response.text()));
    }
    let json = response.json().map_err(|e| e.to_string())?;
    let text = |pointer: &str| {
        json.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let header_names = json
        .get("headers")
        .and_then(Value::as_object)
        .map(|headers| headers.keys().cloned().collect())
        .unwrap_or_default();
    Ok(Seen {
        app: text("/app").unwrap_or_default(),
        path: text("/path").unwrap_or_default(),
        cluster: text(&format!("/headers/{CLUSTER_TAG}")),
        region: text(&format!("/headers/{REGION_TAG}")),
        zone: text(&format!("/headers/{ZONE_TAG}")),
        header_names,
    })
}

/// Asserts that eu-west's app answered, and saw the tags `cluster` and `region`.
pub fn assert_reached_eu_west_tagged(
    response: &Response,
    cluster: Option<&str>,
    region: Option<&str>,
) {
    let seen = seen(response).unwrap();
    assert_eq!(seen.app, EU_WEST_APP, "{seen:?}");
    assert_eq!(seen.cluster.as_deref(), cluster, "{seen:?}");
    assert_eq!(seen.region.as_deref(), region, "{seen:?}");
}

/// Asserts that eu-west's app answered, and saw the tags `cluster`, `region` and
/// `zone`, and no other spelling of any tag.
pub fn assert_reached_eu_west_zoned(
    response: &Response,
    cluster: Option<&str>,
    region: Option<&str>,
    zone: Option<&str>,
) {
    let seen = seen(response).unwrap();
    assert_eq!(seen.app, EU_WEST_APP, "{seen:?}");
    let tags = (
        seen.cluster.as_deref(),
        seen.region.as_deref(),
        seen.zone.as_deref(),
    );
    assert_eq!(tags, (cluster, region, zone), "{seen:?}");
    let tag_names = [CLUSTER_TAG, REGION_TAG, ZONE_TAG];
    let others: Vec<&String> = seen
        .header_names
        .iter()
        .filter(|name| name.contains("meshborder") && !tag_names.contains(&name.as_str()))
        .collect();
    assert!(others.is_empty(), "the app saw {others:?}: {seen:?}");
}

/// Asserts a residency denial by the rule, naming the caller as `cluster` and
/// `region` (`unknown` when not established).
pub fn assert_denied(response: &Response, cluster: &str, region: &str) {
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(response.header(header::DENIED_BY), Some(RULE));
    let body = format!(
        r#"{{"error":"residency_denied","rule":"{RULE}","sourceCluster":"{cluster}","sourceRegion":"{region}","cluster":"eu-west","region":"eu-west-1"}}"#
    );
    assert_eq!(response.text(), body);
}
