//! A plugin: a compiled module plus everything it is started with. Build one, then
//! start as many VMs from it as a test needs, each independent.
//!
//! ```text
//! let plugin = Plugin::load(wasm_path)?
//!     .config_json(json)
//!     .property(["xds", "node", "metadata", "CLUSTER_ID"], "eu-west");
//! let mut vm = plugin.start()?;
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::Module;

use super::abi::LogLevel;
use super::cache;
use super::error::{HostError, HostResult};
use super::property::{PropertyPath, PropertyValue};
use super::settings::Settings;
use super::shared::SharedStore;
use super::vm::Vm;

/// A compiled plugin and its settings.
#[derive(Clone)]
pub struct Plugin {
    origin: PathBuf,
    module: Module,
    settings: Settings,
    shared: SharedStore,
}

impl Plugin {
    /// Loads the `.wasm` at `path`, compiled once per process and file version. A
    /// missing file is [`HostError::MissingWasm`].
    pub fn load(path: impl AsRef<Path>) -> HostResult<Self> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(HostError::MissingWasm {
                path: path.to_owned(),
                hint: "no such file".to_owned(),
            });
        }
        Ok(Self::from_module(path.to_owned(), cache::module(path)?))
    }

    /// Compiles a module from WAT text or wasm bytes, for small test-only guests.
    pub fn from_wat(text: impl AsRef<[u8]>) -> HostResult<Self> {
        let origin = PathBuf::from("<wat>");
        let module = cache::compile(&origin, text.as_ref())?;
        Ok(Self::from_module(origin, module))
    }

    fn from_module(origin: PathBuf, module: Module) -> Self {
        Self {
            origin,
            module,
            settings: Settings::default(),
            shared: SharedStore::default(),
        }
    }

    /// Where the module came from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// The names the module exports, in its order.
    pub fn exports(&self) -> Vec<&str> {
        self.module.exports().map(|export| export.name()).collect()
    }

    /// The settings VMs start with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The plugin configuration, as raw bytes.
    #[must_use]
    pub fn config(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.settings.plugin_config = bytes.into();
        self
    }

    /// The plugin configuration, as JSON text (passed as is, like Envoy does).
    #[must_use]
    pub fn config_json(self, json: &str) -> Self {
        self.config(json.as_bytes())
    }

    /// The VM configuration.
    #[must_use]
    pub fn vm_config(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.settings.vm_config = bytes.into();
        self
    }

    /// Serves `value` for `path` to every context.
    #[must_use]
    pub fn property(
        mut self,
        path: impl Into<PropertyPath>,
        value: impl Into<PropertyValue>,
    ) -> Self {
        self.settings.properties.set(path.into(), value.into());
        self
    }

    /// Adds a WASI environment variable.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.settings.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The level `proxy_get_log_level` reports (every line is recorded regardless).
    #[must_use]
    pub fn log_level(mut self, level: LogLevel) -> Self {
        self.settings.log_level = level;
        self
    }

    /// Strict mode (on by default): a call to an unimplemented host function fails
    /// the callback and names the call. Off, the call answers `Unimplemented`.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.settings.strict = strict;
        self
    }

    /// The fuel one callback may burn before it fails as a runaway.
    #[must_use]
    pub fn fuel_limit(mut self, fuel: u64) -> Self {
        self.settings.fuel_limit = fuel;
        self
    }

    /// Where the guest's wall clock starts, in nanoseconds since the Unix epoch.
    #[must_use]
    pub fn clock_start(mut self, unix_nanos: u64) -> Self {
        self.settings.clock_start_unix_nanos = unix_nanos;
        self
    }

    /// The seed of WASI `random_get`.
    #[must_use]
    pub fn random_seed(mut self, seed: u64) -> Self {
        self.settings.random_seed = seed;
        self
    }

    /// The plugin name, root id and VM id, as Envoy's config names them.
    #[must_use]
    pub fn names(mut self, plugin_name: &str, root_id: &str, vm_id: &str) -> Self {
        plugin_name.clone_into(&mut self.settings.plugin_name);
        root_id.clone_into(&mut self.settings.root_id);
        vm_id.clone_into(&mut self.settings.vm_id);
        self
    }

    /// Starts a VM: instantiate, `_initialize`, root context, `on_vm_start`,
    /// `on_configure`. A refused configuration is [`HostError::ConfigureRejected`]
    /// with what the plugin logged.
    pub fn start(&self) -> HostResult<Vm> {
        Vm::start(
            &self.module,
            Arc::new(self.settings.clone()),
            self.shared.clone(),
        )
    }
}
