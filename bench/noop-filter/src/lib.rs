//! A proxy-wasm filter that does nothing, built with the same SDK, toolchain and
//! release profile as meshborder. `make bench` compares meshborder against it to
//! separate the cost of the filter's work from the cost of being a wasm filter.
//!
//! Like meshborder, one `.wasm` serves as an HTTP filter (`envoy.filters.http.wasm`)
//! and as a network filter (`envoy.filters.network.wasm`), and tells which the same
//! way: by the `request.protocol` property at its first stream, read once per root
//! context.

use std::cell::Cell;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext, StreamContext};
use proxy_wasm::types::ContextType;

/// Root context: accepts any configuration.
#[derive(Default)]
struct NoopRoot {
    /// The kind of filter Envoy runs this root as, learned at its first stream.
    kind: Cell<Option<ContextType>>,
}

impl Context for NoopRoot {}

impl RootContext for NoopRoot {
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(NoopStream))
    }

    fn create_stream_context(&self, _context_id: u32) -> Option<Box<dyn StreamContext>> {
        Some(Box::new(NoopConnection))
    }

    /// As meshborder's root: an HTTP filter's stream has `request.protocol` from its
    /// creation and a network filter's connection has not; the first stream decides.
    fn get_type(&self) -> Option<ContextType> {
        if let Some(kind) = self.kind.get() {
            return Some(kind);
        }
        let http = hostcalls::get_property(vec!["request", "protocol"])
            .ok()
            .flatten()
            .is_some();
        let kind = if http {
            ContextType::HttpContext
        } else {
            ContextType::StreamContext
        };
        self.kind.set(Some(kind));
        Some(kind)
    }
}

/// Per-request context: every callback keeps the default, `Continue`.
struct NoopStream;

impl Context for NoopStream {}

impl HttpContext for NoopStream {}

/// Per-connection context: every callback keeps the default, `Continue`.
struct NoopConnection;

impl Context for NoopConnection {}

impl StreamContext for NoopConnection {}

/// The wasm entry point, exported to the host rather than part of the Rust API.
mod entry {
    proxy_wasm::main! {{
        proxy_wasm::set_root_context(|_| Box::<super::NoopRoot>::default());
    }}
}
