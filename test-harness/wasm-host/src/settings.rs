//! What a plugin is started with: its configurations, the properties and
//! environment the host serves, and the host's own knobs. Fixed once a VM starts.

use super::abi::LogLevel;
use super::clock::{DEFAULT_RANDOM_SEED, DEFAULT_START_UNIX_NANOS};
use super::property::Properties;

/// The default fuel a single callback may burn before it counts as a runaway.
pub const DEFAULT_FUEL_LIMIT: u64 = 2_000_000_000;

/// The settings every VM of a plugin shares.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The plugin configuration (`on_configure` reads it).
    pub plugin_config: Vec<u8>,
    /// The VM configuration (`on_vm_start` reads it).
    pub vm_config: Vec<u8>,
    /// Properties served to every context.
    pub properties: Properties,
    /// Environment variables served through WASI, in order.
    pub env: Vec<(String, String)>,
    /// The log level `proxy_get_log_level` reports.
    pub log_level: LogLevel,
    /// Whether a call to an unimplemented host function fails the callback.
    pub strict: bool,
    /// Fuel per callback.
    pub fuel_limit: u64,
    /// Where the clock starts.
    pub clock_start_unix_nanos: u64,
    /// Seed of WASI `random_get`.
    pub random_seed: u64,
    /// The plugin's name (`plugin_name` property).
    pub plugin_name: String,
    /// The root id (`plugin_root_id` property).
    pub root_id: String,
    /// The VM id (`plugin_vm_id` property, and the only `vm_id` queues resolve in).
    pub vm_id: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            plugin_config: Vec::new(),
            vm_config: Vec::new(),
            properties: Properties::default(),
            env: Vec::new(),
            log_level: LogLevel::Info,
            strict: true,
            fuel_limit: DEFAULT_FUEL_LIMIT,
            clock_start_unix_nanos: DEFAULT_START_UNIX_NANOS,
            random_seed: DEFAULT_RANDOM_SEED,
            plugin_name: "plugin".to_owned(),
            root_id: String::new(),
            vm_id: String::new(),
        }
    }
}
