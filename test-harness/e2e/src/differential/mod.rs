//! The differential suite's machinery: the same requests through real Envoy (the
//! mesh of [`crate::mesh`], the auditing eu-west and the ingress gateway) and through the release filter on the proxy-wasm host,
//! each outcome read the same way, and compared field by field.
//!
//! - [`case`]: a request as it goes on the wire, and where it enters;
//! - [`generator`]: random requests (shared with the host's property test), and
//!   [`tour`]: the demo tour's requests;
//! - [`presented`]: what Envoy makes of a request before the filter, [`routes`]:
//!   where the shipped route tables send it;
//! - [`envoy_side`] and [`host_side`]: each side's run and reading (one stream
//!   on the host in `host_stream`), [`counters`]:
//!   both sides' counters under one key;
//! - [`sites`]: the Envoys, running;
//! - [`outcome`]: an outcome and its differences, [`run`]: the score.
//!
//! The TCP side, the same for connections through eu-west's database sidecar:
//! [`tcp_case`] (a connection), [`tcp_envoy_side`] (with its client and scripted
//! upstream) and [`tcp_host_side`], [`tcp_outcome`] and [`tcp_run`].

pub mod case;
pub mod counters;
pub mod envoy_side;
mod fields;
pub mod generator;
pub mod host_side;
mod host_stream;
pub mod outcome;
pub mod presented;
pub mod routes;
pub mod run;
pub mod sites;
pub mod tcp_case;
mod tcp_client;
pub mod tcp_envoy_side;
pub mod tcp_host_side;
pub mod tcp_outcome;
pub mod tcp_run;
pub mod tcp_upstream;
pub mod tour;
