//! The CRD schemas of the releases the project supports
//! (`test-harness/e2e/crd-schemas/`), each release loaded and compiled once per
//! test binary: Istio's releases, each with the Prometheus Operator's and the
//! Gateway API's kinds, and Envoy Gateway's with the Gateway API's.

use std::path::PathBuf;
use std::sync::OnceLock;

use meshborder_e2e::paths::workspace_root;

use super::crd_schema::CrdSchemas;
use super::views::plugin::Form;

/// Istio releases the project supports (istio/README.md, "Versions"), and 1.30.
pub const ISTIO_RELEASES: &[&str] = &[
    "istio-1.22",
    "istio-1.23",
    "istio-1.24",
    "istio-1.25",
    "istio-1.26",
    "istio-1.27",
    "istio-1.28",
    "istio-1.29",
    "istio-1.30",
];
/// The Prometheus Operator release whose `PrometheusRule` schema is kept.
pub const PROMETHEUS_OPERATOR: &str = "prometheus-operator-v0.93.0";
/// The Gateway API release (standard channel) whose `Gateway` and `HTTPRoute`
/// schemas are kept: the ambient overlay's waypoint, the Envoy Gateway example.
pub const GATEWAY_API: &str = "gateway-api-v1.4.1";
/// The Envoy Gateway release whose `EnvoyExtensionPolicy` schema is kept.
pub const ENVOY_GATEWAY: &str = "envoy-gateway-v1.6.7";

/// Where the schema files are.
pub fn schema_dir() -> PathBuf {
    workspace_root().join("test-harness/e2e/crd-schemas")
}

/// The schemas of `files` (names without `.json`), loaded now; the first names
/// the release.
fn load(files: &[&str]) -> CrdSchemas {
    let dir = schema_dir();
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|file| dir.join(format!("{file}.json")))
        .collect();
    CrdSchemas::load(&paths).unwrap_or_else(|err| panic!("{}: {err}", files.join(", ")))
}

/// One Istio release's schemas with the Prometheus Operator's and the Gateway
/// API's, loaded now.
pub fn schemas(release: &str) -> CrdSchemas {
    load(&[release, PROMETHEUS_OPERATOR, GATEWAY_API])
}

/// Every release's schemas, loaded once for all tests (loading compiles them).
pub fn all_releases() -> &'static [CrdSchemas] {
    static ALL: OnceLock<Vec<CrdSchemas>> = OnceLock::new();
    ALL.get_or_init(|| ISTIO_RELEASES.iter().map(|r| schemas(r)).collect())
}

/// The releases that serve `kind`: a TrafficExtension only from Istio 1.30, every
/// other kind in every release.
pub fn releases_serving(kind: &str) -> impl Iterator<Item = &'static CrdSchemas> {
    let oldest = Form::of_kind(kind).map_or(0, Form::oldest_minor);
    all_releases()
        .iter()
        .filter(move |schemas| minor(schemas) >= oldest)
}

/// Envoy Gateway's schemas with the Gateway API's, loaded once.
pub fn envoy_gateway() -> &'static CrdSchemas {
    static SCHEMAS: OnceLock<CrdSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| load(&[ENVOY_GATEWAY, GATEWAY_API]))
}

/// The schemas of `name`, e.g. `istio-1.22`.
pub fn release(name: &str) -> &'static CrdSchemas {
    all_releases()
        .iter()
        .find(|s| s.release() == name)
        .unwrap_or_else(|| panic!("no release {name}"))
}

/// The newest release's schemas.
pub fn newest() -> &'static CrdSchemas {
    all_releases()
        .last()
        .unwrap_or_else(|| panic!("no release in {ISTIO_RELEASES:?}"))
}

/// The minor version of `istio-1.NN`.
pub fn minor(schemas: &CrdSchemas) -> u32 {
    schemas
        .release()
        .strip_prefix("istio-1.")
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("not an Istio release: {}", schemas.release()))
}
