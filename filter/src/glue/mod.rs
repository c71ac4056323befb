//! The proxy-wasm glue: the only code that talks to the host. It reads properties
//! and headers, asks the policy engine, and applies the verdict. Host calls go
//! through `proxy_wasm::hostcalls` so every failure is a `Result`, never a panic.

mod abi;
mod defined;
mod host;
mod metrics;
mod misloaded;
mod open;
mod root;
mod stream;
mod tcp;

use proxy_wasm::types::LogLevel;

/// Installs the root context factory; called once when the VM starts.
pub fn register() {
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| Box::new(root::MeshborderRoot::default()));
}
