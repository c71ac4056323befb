//! Shared support for the tests of `istio/`: where its files are and how they load,
//! typed models of the resources they hold (every one rejects unknown fields, so a
//! misspelt field fails), and the real tools that check them: kustomize, Envoy with
//! the built filter, and a PromQL parser.
//!
//! Failures are `Err(String)` messages that name the file and what is wrong; the
//! tests unwrap them.

pub mod crd_schema;
pub mod envoy;
pub mod files;
pub mod kustomize;
#[expect(
    dead_code,
    reason = "the typed models read only some fields; the CRD schemas (crd_schema) now \
              validate the Istio kinds, and the models remain for typed access until the \
              tests read those fields as JSON"
)]
pub mod models;
pub mod monitoring;
pub mod promql;
pub mod proxy_stats;
pub mod shipped;
pub mod stats_tags;

/// The support's result: an error is a message for the test's failure output.
pub type Result<T> = std::result::Result<T, String>;
