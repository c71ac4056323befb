//! The policy engine: pure Rust, no proxy-wasm. It compiles the plugin configuration
//! once and decides each request from plain facts, so it is tested natively and on
//! wasm32 alike.
//!
//! Data flows one way: `engine` uses the features (`identity`, `residency`,
//! `routing`, `metering`), which use the `compiled` policy and its `matchers`.

pub mod compiled;
pub mod config;
pub mod engine;
pub mod error;
pub mod fast_hash;
pub mod headers;
pub mod host_index;
pub mod identity;
pub mod json;
pub mod json_path;
pub mod matchers;
pub mod metering;
pub mod names;
pub mod regions;
pub mod report;
pub mod residency;
pub mod routing;

#[cfg(test)]
mod tests;

pub use compiled::Policy;
pub use engine::{Denial, HeaderOp, RequestFacts, Verdict};
pub use error::ConfigError;
pub use identity::{Direction, NodeFacts, NodeInfo, Peer};
