//! A proxy-wasm HTTP filter that does nothing, built with the same SDK, toolchain and
//! release profile as meshborder. `make bench` compares meshborder against it to
//! separate the cost of the filter's work from the cost of being a wasm filter.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::ContextType;

/// Root context: accepts any configuration.
struct NoopRoot;

impl Context for NoopRoot {}

impl RootContext for NoopRoot {
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(NoopStream))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// Per-request context: every callback keeps the default, `Continue`.
struct NoopStream;

impl Context for NoopStream {}

impl HttpContext for NoopStream {}

/// The wasm entry point, exported to the host rather than part of the Rust API.
mod entry {
    proxy_wasm::main! {{
        proxy_wasm::set_root_context(|_| Box::new(super::NoopRoot));
    }}
}
