//! The root context: reads the plugin configuration and the node identity, compiles
//! the policy and looks up its counters (defined once per VM), once per configuration. A refused
//! configuration returns false with the reason logged at error level, so Envoy keeps
//! the last good one.

use std::cell::RefCell;
use std::rc::Rc;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{BufferType, ContextType};

use super::host::node_facts;
use super::metrics::Metrics;
use super::stream::MeshborderStream;
use crate::contract::log_line::REFUSED;
use crate::policy::{OncePerSecond, Policy};

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
        self.shared = Some(Rc::new(Shared {
            policy,
            metrics: RefCell::new(metrics),
            mismatch_log: RefCell::default(),
        }));
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        let shared = self.shared.clone()?;
        Some(Box::new(MeshborderStream::new(shared)))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}
