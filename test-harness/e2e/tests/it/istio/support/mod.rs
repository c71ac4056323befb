//! Shared support for the tests of `istio/` and `envoy-gateway/`: where the files
//! are and how they load, the CRD schemas that check their resources (and models of
//! the kinds they do not cover), typed views of the fields the tests read, the two
//! forms of istio/'s plugins, and the real tools that check the rest: kustomize,
//! Envoy with the built filter (and a TCP upstream and mTLS client for its network
//! plugin), and a PromQL parser; and each cluster's trust domain, for
//! certificate-bound identity.
//!
//! Failures are `Err(String)` messages that name the file and what is wrong; the
//! tests unwrap them.

pub mod crd_schema;
pub mod crds;
pub mod envoy;
pub mod files;
pub mod forms;
pub mod kustomize;
#[expect(
    dead_code,
    reason = "the models of kinds without a CRD schema here declare every field, so that \
              an unknown one is refused; the tests read only a few of them"
)]
pub mod models;
pub mod monitoring;
pub mod promql;
pub mod proxy_stats;
pub mod shipped;
pub mod stats_tags;
pub mod tcp;
pub mod trust_domains;
pub mod views;

/// The support's result: an error is a message for the test's failure output.
pub type Result<T> = std::result::Result<T, String>;
