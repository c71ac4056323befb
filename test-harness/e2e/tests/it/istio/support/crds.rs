//! The CRD schemas of the releases istio/ supports (`test-harness/e2e/crd-schemas/`),
//! each release loaded and compiled once per test binary.

use std::path::PathBuf;
use std::sync::OnceLock;

use meshborder_e2e::paths::workspace_root;

use super::crd_schema::CrdSchemas;

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

/// Where the schema files are.
pub fn schema_dir() -> PathBuf {
    workspace_root().join("test-harness/e2e/crd-schemas")
}

/// One Istio release's schemas with the Prometheus Operator's, loaded now.
pub fn schemas(release: &str) -> CrdSchemas {
    let dir = schema_dir();
    CrdSchemas::load(&[
        dir.join(format!("{release}.json")),
        dir.join(format!("{PROMETHEUS_OPERATOR}.json")),
    ])
    .unwrap_or_else(|err| panic!("{release}: {err}"))
}

/// Every release's schemas, loaded once for all tests (loading compiles them).
pub fn all_releases() -> &'static [CrdSchemas] {
    static ALL: OnceLock<Vec<CrdSchemas>> = OnceLock::new();
    ALL.get_or_init(|| ISTIO_RELEASES.iter().map(|r| schemas(r)).collect())
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
