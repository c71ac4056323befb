//! Typed views of the Istio and Prometheus Operator resources istio/ ships: only
//! the fields the tests read, and nothing else. Whether a resource is valid is for
//! its CRD's schema to say ([`super::crd_schema`]); a view only reads one that is.

pub mod envoy_filter;
pub mod networking;
pub mod prometheus_rule;
pub mod wasm_plugin;

use serde::Deserialize;

/// The `metadata` fields the tests read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    /// `name`.
    pub name: Option<String>,
    /// `namespace`.
    pub namespace: Option<String>,
}
