//! The policy engine: pure Rust, no proxy-wasm. It compiles the plugin configuration
//! once and decides each request from plain facts, so it is tested natively and on
//! wasm32 alike.
//!
//! Data flows one way: `engine` uses the features (`identity`, `residency`,
//! `routing`, `metering`), which use the `compiled` policy and its `matchers`. The
//! glue only sees what is exported here: it asks the policy what to fetch
//! ([`Policy::needs`]), hands it the facts ([`Policy::decide`]) and applies the
//! [`Verdict`]; [`Policy::meter`] and [`Policy::decision_stats`] name the counters it
//! defines.

mod compiled;
pub mod config;
mod connection;
mod engine;
mod error;
mod fast_hash;
mod headers;
mod host_index;
pub mod identity;
mod limiter;
mod matchers;
mod metering;
pub mod names;
mod needs;
mod peer_pattern;
mod regions;
mod report;
mod residency;
mod routing;
mod trust;

#[cfg(test)]
mod tests;

pub use compiled::Policy;
pub use config::{Layer, Mode};
pub use connection::{ConnectionFacts, ConnectionVerdict};
pub use engine::{Denial, HeaderOp, HeaderOps, RequestFacts, RuleDecision, TagMismatch, Verdict};
pub use error::ConfigError;
pub use headers::{IndexedHeaders, Lookup, RequestHeaders};
pub use identity::{Direction, NodeFacts, NodeInfo, Peer, Source, SourceKind};
pub use limiter::OncePerSecond;
pub use metering::{BorderStats, DecisionStats, Meter};
pub use needs::Needs;
pub use trust::PeerMatch;
