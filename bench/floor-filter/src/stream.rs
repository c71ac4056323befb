//! The root context, which reads the configuration and defines the counters once,
//! and the HTTP context, which makes a request's unavoidable host calls and no
//! other. A host call that fails is ignored: the floor measures cost, it enforces
//! nothing.

use std::rc::Rc;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType};

use crate::abi;
use crate::config::{Direction, FloorConfig};
use crate::headers::{self, HeaderFacts};

/// The tag and routing headers of meshborder's contract (the floor cannot link
/// the filter's crate, whose entry point it would export twice; the wasm-host
/// test checks these against the contract).
const SOURCE_CLUSTER: &str = "x-meshborder-source-cluster";
const SOURCE_REGION: &str = "x-meshborder-source-region";
const SOURCE_ZONE: &str = "x-meshborder-source-zone";
const ROUTE_REGION: &str = "x-meshborder-route-region";
const DENIED_BY: &str = "x-meshborder-denied-by";

/// Properties, serialized once.
const CONNECTION_MTLS: &[u8] = b"connection\0mtls";
const PEER_URI_SAN: &[u8] = b"connection\0uri_san_peer_certificate";
const REQUEST_TOTAL_SIZE: &[u8] = b"request\0total_size";
const RESPONSE_TOTAL_SIZE: &[u8] = b"response\0total_size";

/// The denial's reply and log line: a body and a line of the size of meshborder's.
const DENIED_STATUS: u32 = 403;
const DENIED_BODY: &str = r#"{"error":"residency_denied","rule":"floor","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"us-east","region":"us-east-1"}"#;
const DENIED_LINE: &str = r#"{"event":"residency_denied","rule":"floor","mode":"enforce"}"#;

/// The counters of one configuration.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    /// Denials (outbound).
    denied: u32,
    /// Request bytes, response bytes and requests of metered requests (inbound).
    metered: [u32; 3],
}

/// What every request of one configuration shares.
#[derive(Debug)]
struct Shared {
    config: FloorConfig,
    counters: Counters,
}

/// The root context.
#[derive(Default)]
pub struct FloorRoot {
    shared: Option<Rc<Shared>>,
}

impl Context for FloorRoot {}

fn counter(name: &str) -> u32 {
    hostcalls::define_metric(MetricType::Counter, name).unwrap_or(0)
}

impl RootContext for FloorRoot {
    fn on_configure(&mut self, plugin_configuration_size: usize) -> bool {
        let bytes = hostcalls::get_buffer(
            BufferType::PluginConfiguration,
            0,
            plugin_configuration_size,
        )
        .ok()
        .flatten()
        .unwrap_or_default();
        let Some(config) = std::str::from_utf8(&bytes)
            .ok()
            .and_then(FloorConfig::parse)
        else {
            return false;
        };
        let counters = match config.direction {
            Direction::Outbound => Counters {
                denied: counter("floor.denied"),
                ..Counters::default()
            },
            Direction::Inbound => Counters {
                metered: [
                    counter("floor.request_bytes"),
                    counter("floor.response_bytes"),
                    counter("floor.requests"),
                ],
                ..Counters::default()
            },
        };
        self.shared = Some(Rc::new(Shared { config, counters }));
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        let shared = Rc::clone(self.shared.as_ref()?);
        Some(Box::new(FloorStream {
            shared,
            metered: false,
        }))
    }

    /// An HTTP filter only: no property read to tell.
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// One request.
struct FloorStream {
    shared: Rc<Shared>,
    /// Whether `on_log` counts the request's bytes.
    metered: bool,
}

impl Context for FloorStream {}

impl HttpContext for FloorStream {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let shared = Rc::clone(&self.shared);
        match shared.config.direction {
            Direction::Outbound => outbound(&shared),
            Direction::Inbound => {
                self.metered = inbound_metered(&shared.config);
                Action::Continue
            }
        }
    }

    fn on_log(&mut self) {
        if !self.metered {
            return;
        }
        let [request_bytes, response_bytes, requests] = self.shared.counters.metered;
        increment(request_bytes, size(REQUEST_TOTAL_SIZE));
        increment(response_bytes, size(RESPONSE_TOTAL_SIZE));
        increment(requests, 1);
    }
}

/// The request headers, read once.
fn facts(buffer: &[u8]) -> HeaderFacts<'_> {
    headers::read(buffer, SOURCE_CLUSTER, SOURCE_ZONE)
}

/// Outbound: deny, or tag (and route).
fn outbound(shared: &Shared) -> Action {
    let buffer = abi::request_header_pairs();
    let facts = facts(&buffer);
    let config = &shared.config;
    if config.denies(facts.path) {
        let _ignored = hostcalls::log(LogLevel::Warn, DENIED_LINE);
        increment(shared.counters.denied, 1);
        let _ignored = hostcalls::send_http_response(
            DENIED_STATUS,
            vec![(DENIED_BY, "floor"), ("content-type", "application/json")],
            Some(DENIED_BODY.as_bytes()),
        );
        return Action::Pause;
    }
    set(SOURCE_CLUSTER, &config.cluster);
    set(SOURCE_REGION, &config.region);
    if facts.source_zone {
        let _ignored = hostcalls::remove_map_value(MapType::HttpRequestHeaders, SOURCE_ZONE);
    }
    if facts.country {
        set(ROUTE_REGION, &config.region);
    }
    Action::Continue
}

/// Inbound: whether the request comes over mTLS with a peer SAN and a cluster tag
/// of another cluster, so its bytes are counted.
fn inbound_metered(config: &FloorConfig) -> bool {
    let mtls = abi::property(CONNECTION_MTLS).is_some_and(|value| value == [1]);
    let peer = mtls && abi::property(PEER_URI_SAN).is_some_and(|san| !san.is_empty());
    let buffer = abi::request_header_pairs();
    let facts = facts(&buffer);
    peer && facts
        .source_cluster
        .is_some_and(|cluster| cluster != config.cluster.as_bytes())
}

fn set(name: &str, value: &str) {
    let _ignored = hostcalls::set_map_value(MapType::HttpRequestHeaders, name, Some(value));
}

/// An 8-byte little-endian size property; 0 when missing.
fn size(path: &[u8]) -> u64 {
    abi::property(path)
        .and_then(|bytes| <[u8; 8]>::try_from(bytes.as_slice()).ok())
        .map_or(0, u64::from_le_bytes)
}

fn increment(id: u32, by: u64) {
    let offset = i64::try_from(by).unwrap_or(i64::MAX);
    let _ignored = hostcalls::increment_metric(id, offset);
}
