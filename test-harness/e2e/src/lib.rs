//! meshborder's end-to-end rig: real Envoy processes running the built filter, small
//! upstream apps, test certificates, and the demo, soak and bench built on them.
//!
//! - [`render`]: the one renderer of the config templates in `envoy-config/`;
//! - [`topology`]: the topologies tests and the demo run, each written once;
//! - [`envoy`]: a real Envoy process, ready-checked and killed on drop;
//! - [`upstream`]: an echo app that reports the headers it received;
//! - [`client`]: a tiny HTTP/1.1 client, so tests need no curl, and
//!   [`keep_alive`]: many requests on one TLS connection;
//! - `host` and `fuel` (feature `wasm-host`): the real `.wasm` under the
//!   proxy-wasm host, its counters read by Prometheus name and labels, and its
//!   deterministic cost;
//! - `differential` (feature `wasm-host`): one request through real Envoy and
//!   through the wasm host, both outcomes read alike and compared;
//! - [`soak`]: load through the mesh while eu-west's filter config is swapped, and
//!   the books checked afterwards;
//! - [`storm`]: configuration pushes under a request loop, and the memory each
//!   push leaves behind, meshborder beside the no-op filter;
//! - [`prometheus_server`]: a real Prometheus scraping the mesh and evaluating
//!   `istio/monitoring/`'s rules, and promtool checking and unit-testing them
//!   ([`prometheus`] reads one Envoy's stats text);
//! - [`shown`]: figures a test puts into `make test`'s output, past cargo's capture;
//! - [`ports`], [`paths`], [`error`]: where things listen, where files are, what failed;
//! - [`workload`]: the performance workload, and [`callgrind`]: Envoy under valgrind,
//!   its instructions counted per thread, for the bench's noise-free figures.

#![forbid(unsafe_code)]

pub mod access_log;
pub mod callgrind;
pub mod certs;
pub mod client;
pub mod compose;
#[cfg(feature = "wasm-host")]
pub mod differential;
pub mod ecds;
pub mod envoy;
pub mod error;
pub mod filter_log;
#[cfg(feature = "wasm-host")]
pub mod fuel;
pub mod gateway;
#[cfg(feature = "wasm-host")]
pub mod host;
pub mod keep_alive;
pub mod loopback;
pub mod machine;
pub mod mesh;
pub mod paths;
pub mod plugin_config;
pub mod poll;
pub mod ports;
pub mod postgres;
pub mod prometheus;
pub mod prometheus_server;
pub mod render;
pub mod shown;
pub mod soak;
pub mod steady;
pub mod storm;
pub mod tcp;
pub mod tls;
pub mod topology;
pub mod upstream;
mod wire;
pub mod workload;

pub use error::{HarnessError, Result};
