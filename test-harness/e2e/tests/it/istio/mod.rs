//! The `istio/` material: documents, kustomize builds, plugin configurations in a
//! real Envoy, metrics and stats tags, PromQL rules, the image recipe, and each
//! cluster's trust domain for certificate-bound identity.

mod crd_schema;
mod documents;
mod image;
mod kustomize;
mod metrics;
mod plugin_config;
mod prometheus;
mod support;
mod trust_domains;
