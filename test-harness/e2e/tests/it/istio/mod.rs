//! The `istio/` material: documents, kustomize builds, the plugins' two forms, the
//! sidecars' HTTP filter as one plugin per side, plugin configurations in a real
//! Envoy, metrics and stats tags, PromQL rules (each cluster's and the global
//! layer's), the image recipe, each cluster's trust domain for certificate-bound
//! identity, and the ambient overlay's waypoint; and the Envoy Gateway example,
//! checked with the same CRD schemas and filter.

mod ambient;
mod crd_schema;
mod crd_schema_kinds;
mod documents;
mod envoy_gateway;
mod forms;
mod image;
mod kustomize;
mod metrics;
mod plugin_config;
mod prometheus;
mod prometheus_fleet;
mod sidecar_http;
mod support;
mod trust_domains;
