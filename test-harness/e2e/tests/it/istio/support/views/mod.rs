//! Typed views of the resources istio/ and envoy-gateway/ ship (Istio's, the
//! Prometheus Operator's, the Gateway API's and Envoy Gateway's): only the fields
//! the tests read, and nothing else. Whether a resource is valid is for
//! its CRD's schema to say ([`super::crd_schema`]); a view only reads one that is.

pub mod envoy_filter;
pub mod envoy_gateway;
pub mod gateway_api;
pub mod networking;
pub mod plugin;
pub mod prometheus_rule;

use std::collections::BTreeMap;

use serde::Deserialize;

/// The `metadata` fields the tests read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    /// `name`.
    pub name: Option<String>,
    /// `namespace`.
    pub namespace: Option<String>,
    /// `labels`.
    pub labels: Option<BTreeMap<String, String>>,
}
