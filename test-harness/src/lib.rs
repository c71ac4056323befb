//! Test tooling for meshborder: real Envoy processes running the built filter, small
//! upstream apps, test certificates, and a wasmtime host for the proxy-wasm ABI.
//!
//! - [`render`]: the one renderer of the config templates in `envoy-config/`;
//! - [`topology`]: the topologies tests and the demo run, each written once;
//! - [`envoy`]: a real Envoy process, ready-checked and killed on drop;
//! - [`upstream`]: an echo app that reports the headers it received;
//! - [`client`]: a tiny HTTP/1.1 client, so tests need no curl;
//! - [`wasm_host`]: the real `.wasm` under wasmtime, driven callback by callback;
//! - [`soak`]: load through the mesh while eu-west's filter config is swapped, and
//!   the books checked afterwards;
//! - [`ports`], [`paths`], [`error`]: where things listen, where files are, what failed;
//! - [`workload`], [`fuel`]: the performance workload and its deterministic cost.

#![forbid(unsafe_code)]

pub mod access_log;
pub mod certs;
pub mod client;
pub mod compose;
pub mod ecds;
pub mod envoy;
pub mod error;
pub mod filter_log;
pub mod fuel;
pub mod gateway;
pub mod mesh;
pub mod paths;
pub mod plugin_config;
pub mod poll;
pub mod ports;
pub mod prometheus;
pub mod render;
pub mod soak;
pub mod steady;
pub mod tls;
pub mod topology;
pub mod upstream;
pub mod wasm_host;
mod wire;
pub mod workload;

pub use error::{HarnessError, Result};
