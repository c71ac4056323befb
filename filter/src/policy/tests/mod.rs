//! Engine tests, one file per concern. They run natively under `cargo test` and on
//! wasm32-unknown-unknown under wasm-bindgen-test (Node), so logic that depends on
//! pointer width or hashing cannot diverge between the two.

mod certificate_bound;
mod config_errors;
mod config_paths;
mod connections;
mod fixtures;
mod headers;
mod host_index;
mod identity;
mod matchers;
mod metering;
mod residency;
mod routing;
#[cfg(not(target_arch = "wasm32"))]
mod schema;
mod trust;
mod zones;
