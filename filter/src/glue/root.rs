//! The root context: reads the plugin configuration and the node identity, compiles
//! the policy and looks up its counters (defined once per VM), once per configuration. A refused
//! configuration returns false with the reason logged at error level, so Envoy keeps
//! the last good one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext, StreamContext};
use proxy_wasm::types::{BufferType, ContextType};

use super::abi;
use super::host::{self, REQUEST_PROTOCOL, node_facts};
use super::metrics::Metrics;
use super::misloaded::Misloaded;
use super::open::{FLUSH_EVERY_MS, OpenConnections};
use super::stream::MeshborderStream;
use super::tcp::MeshborderConnection;
use crate::contract::log_line::REFUSED;
use crate::policy::{Layer, OncePerSecond, Policy};

/// Why a `tcp` configuration refuses what an HTTP filter sees.
const TCP_AS_HTTP: &str = "meshborder: this configuration has `\"layer\": \"tcp\"`, but Envoy runs it as an HTTP filter: every request is refused (503) until it is loaded as a network filter (envoy.filters.network.wasm) or its layer is `http`";
/// Why an `http` configuration refuses what a network filter sees.
const HTTP_AS_TCP: &str = "meshborder: this configuration is for HTTP (no `\"layer\": \"tcp\"`), but Envoy runs it as a network filter: every connection is closed until it is loaded as an HTTP filter (envoy.filters.http.wasm) or its layer is `tcp`";
/// Why a filter without an accepted configuration refuses everything.
const UNCONFIGURED: &str = "meshborder: no configuration was accepted: every request is refused and every connection closed";

/// What every stream of one configuration shares.
pub struct Shared {
    /// The compiled policy.
    pub policy: Policy,
    /// Counter ids; mutable because new source clusters are defined on first sight.
    pub metrics: RefCell<Metrics>,
    /// At most one `tag_mismatch` line a second on this worker.
    pub mismatch_log: RefCell<OncePerSecond>,
}

/// The root context of the filter.
#[derive(Default)]
pub struct MeshborderRoot {
    shared: Option<Rc<Shared>>,
    /// The kind of filter Envoy runs this root as, learned at its first stream.
    kind: Cell<Option<ContextType>>,
    /// Open TCP connections, whose counts the timer flushes.
    open: OpenConnections,
    /// Whether a misloaded configuration's refusal was logged.
    misloaded_logged: Rc<Cell<bool>>,
}

impl MeshborderRoot {
    /// The refusing context for `reason`.
    fn misloaded(&self, reason: &'static str) -> Misloaded {
        Misloaded::new(reason, Rc::clone(&self.misloaded_logged))
    }
}

impl Context for MeshborderRoot {}

impl RootContext for MeshborderRoot {
    fn on_configure(&mut self, plugin_configuration_size: usize) -> bool {
        let config = hostcalls::get_buffer(
            BufferType::PluginConfiguration,
            0,
            plugin_configuration_size,
        )
        .ok()
        .flatten()
        .unwrap_or_default();
        let policy = match Policy::from_json(&config, &node_facts()) {
            Ok(policy) => policy,
            Err(error) => {
                log::error!("{REFUSED}{error}");
                return false;
            }
        };
        let metrics = match Metrics::define_all(&policy) {
            Ok(metrics) => metrics,
            Err(status) => {
                log::error!("{REFUSED}cannot define metrics: {status:?}");
                return false;
            }
        };
        log::info!("{}", policy.configured_line());
        if policy.layer() == Layer::Tcp && !abi::set_tick_period(FLUSH_EVERY_MS) {
            log::warn!("no timer: TCP byte counters move only when a connection closes");
        }
        self.misloaded_logged.set(false);
        self.shared = Some(Rc::new(Shared {
            policy,
            metrics: RefCell::new(metrics),
            mismatch_log: RefCell::default(),
        }));
        true
    }

    fn on_tick(&mut self) {
        self.open.flush();
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(match &self.shared {
            Some(shared) if shared.policy.layer() == Layer::Http => {
                Box::new(MeshborderStream::new(Rc::clone(shared)))
            }
            Some(_) => Box::new(self.misloaded(TCP_AS_HTTP)),
            None => Box::new(self.misloaded(UNCONFIGURED)),
        })
    }

    fn create_stream_context(&self, _context_id: u32) -> Option<Box<dyn StreamContext>> {
        Some(match &self.shared {
            Some(shared) if shared.policy.layer() == Layer::Tcp => Box::new(
                MeshborderConnection::new(Rc::clone(shared), self.open.clone()),
            ),
            Some(_) => Box::new(self.misloaded(HTTP_AS_TCP)),
            None => Box::new(self.misloaded(UNCONFIGURED)),
        })
    }

    /// What Envoy runs this root as, whatever the configuration says, so that a
    /// configuration of the other layer is refused instead of trapping: the SDK
    /// traps on a callback for a context of the other kind. An HTTP filter's stream
    /// has `request.protocol` from its creation and a network filter's connection
    /// has not; the first stream decides, for one property read per root.
    fn get_type(&self) -> Option<ContextType> {
        if let Some(kind) = self.kind.get() {
            return Some(kind);
        }
        let kind = if host::property(REQUEST_PROTOCOL).is_some() {
            ContextType::HttpContext
        } else {
            ContextType::StreamContext
        };
        self.kind.set(Some(kind));
        Some(kind)
    }
}
