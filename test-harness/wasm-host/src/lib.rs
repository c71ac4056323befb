//! A wasmtime host for proxy-wasm plugins: loads the real `.wasm` and drives it the
//! way Envoy does, so tests exercise the artifact that ships, not a native build.
//!
//! - ABI 0.2.1 as the Rust SDK 0.2.5 imports it, with Envoy's status codes, header
//!   map wire format and property paths ([`abi`], [`codec`]);
//! - the WASI preview1 calls a `wasm32-wasip1` build needs, answered like Envoy;
//! - Envoy's lifecycle: `_initialize`, root context, `on_vm_start`, `on_configure`,
//!   then per stream create, headers, bodies, trailers, `on_log`, `on_done`,
//!   `on_delete` ([`Plugin`], [`Vm`], [`HttpStream`]);
//! - network filters as `envoy.filters.network.wasm` drives them: per connection
//!   create, `on_new_connection`, downstream and upstream data, the close callbacks,
//!   then `on_done`, `on_log`, `on_delete` ([`TcpStream`]);
//! - fuel metered on every call, a deterministic cost figure per call and stream;
//! - guest failures as typed errors with the wasm backtrace ([`HostError`]);
//! - strict mode: a call to an unimplemented host function names the call;
//! - a deterministic clock, random source and environment;
//! - what Envoy's HTTP/1.1 codec refuses before any filter runs ([`admission`]).
//!
//! Nothing is global but the compiled modules: each VM owns its store, so tests run
//! in parallel.
//!
//! ```text
//! let plugin = Plugin::load("plugin.wasm")?
//!     .config_json(r#"{"key":"value"}"#)
//!     .property(["xds", "node", "metadata", "CLUSTER_ID"], "cluster-a");
//! let mut vm = plugin.start()?;
//! let mut s = vm.http_stream().connection_mtls("spiffe://cluster.local/ns/a/sa/b");
//! s.request_headers(&[(":authority", "example"), (":path", "/items/1")], true)?;
//! assert_eq!(s.local_response().map(|r| r.status), Some(403));
//! s.finish()?;
//! let denied = vm.counter_named("plugin_denied_total");
//!
//! let mut c = vm.tcp_stream().property(["destination", "port"], 5432_u64);
//! c.new_connection()?;
//! c.downstream_data(b"hello", false)?;
//! assert_eq!(c.passed(Direction::Downstream), b"hello");
//! c.downstream_close(PeerType::Remote)?;
//! ```

#![forbid(unsafe_code)]

pub mod abi;
pub mod admission;
mod cache;
mod callback;
mod clock;
pub mod codec;
mod connection;
mod error;
mod guest;
mod imports;
mod log;
mod metrics;
mod plugin;
mod property;
mod settings;
mod shared;
mod state;
mod stream;
mod stream_state;
mod tcp_stream;
mod trap;
mod vm;

pub use abi::{Action, LogLevel, PeerType, Status, StreamType};
pub use callback::{CallRecord, Callback};
pub use clock::{DEFAULT_RANDOM_SEED, DEFAULT_START_UNIX_NANOS};
pub use connection::{ConnectionEvent, Direction};
pub use error::{Frame, GuestBacktrace, HostError, HostResult};
pub use log::{LogRecord, LogSource};
pub use metrics::{Metric, MetricValue};
pub use plugin::Plugin;
pub use property::{PropertyPath, PropertyValue};
pub use settings::{DEFAULT_FUEL_LIMIT, Settings};
pub use shared::SharedValue;
pub use stream::HttpStream;
pub use stream_state::LocalResponse;
pub use tcp_stream::TcpStream;
pub use vm::Vm;
