//! The numbers of the proxy-wasm ABI 0.2.1 as Envoy's host uses them: status codes,
//! header-map, buffer, stream and metric kinds, log levels, filter actions and the
//! peer that closed a connection, plus the WASI preview1 error numbers the host
//! returns.
//!
//! They are written here once so the host functions and the tests speak the same
//! language; a wrong number would make the Rust SDK panic with "unexpected status".

use std::fmt;

/// A proxy-wasm status (`WasmResult` in Envoy), returned by every `proxy_*` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Status {
    /// The call succeeded.
    Ok = 0,
    /// The key, property, metric or queue does not exist.
    NotFound = 1,
    /// An argument is out of range, or the object is not available in this phase.
    BadArgument = 2,
    /// A value could not be serialized.
    SerializationFailure = 3,
    /// A value could not be parsed.
    ParseFailure = 4,
    /// An invalid expression.
    BadExpression = 5,
    /// A pointer or length points outside the guest's memory.
    InvalidMemoryAccess = 6,
    /// A queue is empty.
    Empty = 7,
    /// A compare-and-swap on shared data failed.
    CasMismatch = 8,
    /// A result did not match.
    ResultMismatch = 9,
    /// The host failed.
    InternalFailure = 10,
    /// A connection is broken.
    BrokenConnection = 11,
    /// The host does not implement this call.
    Unimplemented = 12,
}

impl Status {
    /// The number passed across the ABI.
    pub fn code(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?} ({})", self.code())
    }
}

/// Which header map a `proxy_*_header_map_*` call addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapType {
    /// Request headers, pseudo-headers included.
    RequestHeaders,
    /// Request trailers.
    RequestTrailers,
    /// Response headers, `:status` included.
    ResponseHeaders,
    /// Response trailers.
    ResponseTrailers,
    /// gRPC initial metadata of a call made by the plugin (not served by this host).
    GrpcInitialMetadata,
    /// gRPC trailing metadata of a call made by the plugin (not served by this host).
    GrpcTrailingMetadata,
    /// Headers of an HTTP call's response (not served by this host).
    HttpCallResponseHeaders,
    /// Trailers of an HTTP call's response (not served by this host).
    HttpCallResponseTrailers,
}

impl MapType {
    /// Decodes the ABI number; `None` is out of range (`BadArgument`).
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Self::RequestHeaders,
            1 => Self::RequestTrailers,
            2 => Self::ResponseHeaders,
            3 => Self::ResponseTrailers,
            4 => Self::GrpcInitialMetadata,
            5 => Self::GrpcTrailingMetadata,
            6 => Self::HttpCallResponseHeaders,
            7 => Self::HttpCallResponseTrailers,
            _ => return None,
        })
    }
}

/// Which buffer a `proxy_*_buffer_bytes` call addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BufferType {
    /// The request body chunk of the current `on_request_body`.
    RequestBody,
    /// The response body chunk of the current `on_response_body`.
    ResponseBody,
    /// Network data from downstream, during `on_downstream_data` or while the
    /// plugin holds it paused.
    DownstreamData,
    /// Network data from upstream, during `on_upstream_data` or while the plugin
    /// holds it paused.
    UpstreamData,
    /// An HTTP call's response body (not served by this host).
    HttpCallResponseBody,
    /// A gRPC message (not served by this host).
    GrpcReceiveBuffer,
    /// The VM configuration, available at any time.
    VmConfiguration,
    /// The plugin configuration, available during `on_configure` only.
    PluginConfiguration,
    /// Arguments of a foreign function call (not served by this host).
    CallData,
}

impl BufferType {
    /// Decodes the ABI number; `None` is out of range (`BadArgument`).
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Self::RequestBody,
            1 => Self::ResponseBody,
            2 => Self::DownstreamData,
            3 => Self::UpstreamData,
            4 => Self::HttpCallResponseBody,
            5 => Self::GrpcReceiveBuffer,
            6 => Self::VmConfiguration,
            7 => Self::PluginConfiguration,
            8 => Self::CallData,
            _ => return None,
        })
    }
}

/// The stream a `proxy_continue_stream` or `proxy_close_stream` call addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamType {
    /// The HTTP request.
    Request,
    /// The HTTP response.
    Response,
    /// The downstream TCP connection.
    Downstream,
    /// The upstream TCP connection.
    Upstream,
}

impl StreamType {
    /// Decodes the ABI number; `None` is out of range (`BadArgument`).
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Self::Request,
            1 => Self::Response,
            2 => Self::Downstream,
            3 => Self::Upstream,
            _ => return None,
        })
    }
}

/// The kind of a metric, as passed to `proxy_define_metric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// Only ever goes up.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Records a distribution of values.
    Histogram,
}

impl MetricType {
    /// Decodes the ABI number; `None` is out of range (`BadArgument`).
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Self::Counter,
            1 => Self::Gauge,
            2 => Self::Histogram,
            _ => return None,
        })
    }

    /// The ABI number, which Envoy also keeps in the two low bits of a metric id.
    pub fn code(self) -> u32 {
        match self {
            Self::Counter => 0,
            Self::Gauge => 1,
            Self::Histogram => 2,
        }
    }
}

/// A log level of `proxy_log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Trace.
    Trace,
    /// Debug.
    Debug,
    /// Info (also what the guest writes to stdout).
    Info,
    /// Warn.
    Warn,
    /// Error (also what the guest writes to stderr).
    Error,
    /// Critical (the Rust SDK logs a panic's message here).
    Critical,
}

impl LogLevel {
    /// Decodes the ABI number; `None` is out of range (`BadArgument`).
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => Self::Trace,
            1 => Self::Debug,
            2 => Self::Info,
            3 => Self::Warn,
            4 => Self::Error,
            5 => Self::Critical,
            _ => return None,
        })
    }

    /// The ABI number.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// Lowercase name, as Envoy prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

/// What a header, body, trailer, new-connection or network-data callback asks the
/// host to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Go on to the next filter.
    Continue,
    /// Stop iteration until the plugin calls `proxy_continue_stream`. For a network
    /// callback Envoy reads any value but 0 as this.
    Pause,
    /// Any other value the guest returned.
    Other(u32),
}

impl Action {
    /// Decodes the value a callback returned.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::Continue,
            1 => Self::Pause,
            other => Self::Other(other),
        }
    }
}

/// Who closed a network connection, as the close callbacks receive it (`CloseType`
/// in Envoy, `PeerType` in the Rust SDK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerType {
    /// Not known: Envoy passes this for the upstream side, which it only learns
    /// has ended from upstream data with `end_of_stream`.
    Unknown,
    /// The proxy closed the connection.
    Local,
    /// The peer closed the connection.
    Remote,
}

impl PeerType {
    /// The number passed across the ABI.
    pub fn code(self) -> u32 {
        match self {
            Self::Unknown => 0,
            Self::Local => 1,
            Self::Remote => 2,
        }
    }
}

/// WASI preview1 error numbers the host returns, as Envoy's host does.
pub mod errno {
    /// Success.
    pub const SUCCESS: u32 = 0;
    /// Bad file descriptor.
    pub const BADF: u32 = 8;
    /// Bad address: a pointer outside the guest's memory.
    pub const FAULT: u32 = 21;
    /// Invalid argument.
    pub const INVAL: u32 = 28;
    /// No such file or directory.
    pub const NOENT: u32 = 44;
    /// Function not implemented.
    pub const NOSYS: u32 = 52;
    /// Not supported.
    pub const NOTSUP: u32 = 58;
}
