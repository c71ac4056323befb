//! The guest's callbacks (its exports), named, and what each call cost: the fuel
//! it burnt and the host calls it made, two figures free of machine noise.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// A callback the host calls into the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Callback {
    /// `_initialize` (or `_start`): the module's constructors.
    Initialize,
    /// `proxy_on_context_create`.
    ContextCreate,
    /// `proxy_on_vm_start`.
    VmStart,
    /// `proxy_on_configure`.
    Configure,
    /// `proxy_on_request_headers`.
    RequestHeaders,
    /// `proxy_on_request_body`.
    RequestBody,
    /// `proxy_on_request_trailers`.
    RequestTrailers,
    /// `proxy_on_response_headers`.
    ResponseHeaders,
    /// `proxy_on_response_body`.
    ResponseBody,
    /// `proxy_on_response_trailers`.
    ResponseTrailers,
    /// `proxy_on_new_connection`.
    NewConnection,
    /// `proxy_on_downstream_data`.
    DownstreamData,
    /// `proxy_on_upstream_data`.
    UpstreamData,
    /// `proxy_on_downstream_connection_close`.
    DownstreamConnectionClose,
    /// `proxy_on_upstream_connection_close`.
    UpstreamConnectionClose,
    /// `proxy_on_log`.
    Log,
    /// `proxy_on_done`.
    Done,
    /// `proxy_on_delete`.
    Delete,
    /// `proxy_on_tick`.
    Tick,
    /// `proxy_on_queue_ready`.
    QueueReady,
}

impl Callback {
    /// The export's name.
    pub fn export(self) -> &'static str {
        match self {
            Self::Initialize => "_initialize",
            Self::ContextCreate => "proxy_on_context_create",
            Self::VmStart => "proxy_on_vm_start",
            Self::Configure => "proxy_on_configure",
            Self::RequestHeaders => "proxy_on_request_headers",
            Self::RequestBody => "proxy_on_request_body",
            Self::RequestTrailers => "proxy_on_request_trailers",
            Self::ResponseHeaders => "proxy_on_response_headers",
            Self::ResponseBody => "proxy_on_response_body",
            Self::ResponseTrailers => "proxy_on_response_trailers",
            Self::NewConnection => "proxy_on_new_connection",
            Self::DownstreamData => "proxy_on_downstream_data",
            Self::UpstreamData => "proxy_on_upstream_data",
            Self::DownstreamConnectionClose => "proxy_on_downstream_connection_close",
            Self::UpstreamConnectionClose => "proxy_on_upstream_connection_close",
            Self::Log => "proxy_on_log",
            Self::Done => "proxy_on_done",
            Self::Delete => "proxy_on_delete",
            Self::Tick => "proxy_on_tick",
            Self::QueueReady => "proxy_on_queue_ready",
        }
    }
}

impl fmt::Display for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.export())
    }
}

/// One call into the guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// Which callback.
    pub callback: Callback,
    /// The context it ran for.
    pub context_id: u32,
    /// The fuel it burnt: a deterministic measure of the work done, about one unit
    /// per wasm instruction, host calls included as the guest code around them.
    pub fuel: u64,
    /// The calls the guest made into the host meanwhile: each call of an import,
    /// proxy-wasm (`env`) and WASI alike, implemented or not, counts once. The sum
    /// of [`CallRecord::host_calls_by_import`].
    pub host_calls: u64,
    /// The same calls by import name, without its module: `proxy_log`,
    /// `proxy_get_header_map_pairs`, `fd_write`, ...
    pub host_calls_by_import: BTreeMap<Cow<'static, str>, u64>,
}
