//! A running VM: the lifecycle Envoy drives (`_initialize`, root context,
//! `on_vm_start`, `on_configure`), HTTP streams and network connections, ticks, and
//! what a test inspects afterwards: logs, metrics, the fuel of every call.
//!
//! Like Envoy, a VM whose guest failed (trap, panic, runaway, `proc_exit`) serves
//! nothing more: every later call is [`HostError::VmFailed`] with the first cause.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::{Module, Store};

use super::callback::{CallRecord, Callback};
use super::connection::ConnectionState;
use super::error::{HostError, HostResult};
use super::guest::Guest;
use super::imports;
use super::log::LogRecord;
use super::metrics::Metric;
use super::property::{PropertyPath, PropertyValue};
use super::settings::Settings;
use super::shared::{SharedStore, SharedValue};
use super::state::{HostState, ROOT_CONTEXT_ID, VM_CONTEXT_ID};
use super::stream::HttpStream;
use super::stream_state::StreamState;
use super::tcp_stream::TcpStream;

/// ABI version exports this host speaks.
const ABI_EXPORTS: [&str; 2] = ["proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0"];
/// Most `on_queue_ready` deliveries after one call, against a guest feeding itself.
const MAX_QUEUE_DELIVERIES: usize = 1024;
/// The `request.protocol` of an HTTP stream unless a test says otherwise.
const HTTP_PROTOCOL: &str = "HTTP/1.1";

/// One VM of a plugin, configured and ready for streams.
pub struct Vm {
    guest: Guest,
    failure: Option<HostError>,
    next_context_id: u32,
    since_tick_nanos: u64,
}

impl Vm {
    pub(super) fn start(
        module: &Module,
        settings: Arc<Settings>,
        shared: SharedStore,
    ) -> HostResult<Self> {
        let engine = module.engine();
        let instantiate_error = |e: wasmtime::Error| HostError::Instantiate {
            reason: format!("{e:#}"),
        };
        let linker = imports::linker(engine, module, settings.strict).map_err(instantiate_error)?;
        let fuel = settings.fuel_limit;
        let mut store = Store::new(engine, HostState::new(Arc::clone(&settings), shared));
        store.set_fuel(fuel).map_err(instantiate_error)?;
        let instance = linker
            .instantiate(&mut store, module)
            .map_err(instantiate_error)?;
        let mut vm = Self {
            guest: Guest { store, instance },
            failure: None,
            next_context_id: ROOT_CONTEXT_ID.saturating_add(1),
            since_tick_nanos: 0,
        };
        vm.initialize()?;
        vm.invoke(
            Callback::ContextCreate,
            ROOT_CONTEXT_ID,
            &[ROOT_CONTEXT_ID, 0],
        )?;
        let vm_config_len = len_u32(settings.vm_config.len());
        let mark = vm.logs().len();
        if vm.invoke(
            Callback::VmStart,
            ROOT_CONTEXT_ID,
            &[ROOT_CONTEXT_ID, vm_config_len],
        )? == Some(0)
        {
            return Err(HostError::VmStartRejected {
                reason: vm.error_lines_since(mark),
            });
        }
        vm.configure()?;
        Ok(vm)
    }

    fn initialize(&mut self) -> HostResult<()> {
        if !ABI_EXPORTS.iter().any(|name| self.guest.exports(name)) {
            return Err(HostError::UnsupportedAbi);
        }
        if !self.guest.exports("memory") {
            return Err(HostError::MissingExport {
                name: "memory".to_owned(),
            });
        }
        let entry = if self.guest.exports("_initialize") {
            "_initialize"
        } else {
            "_start"
        };
        self.guard(|guest| {
            guest
                .call(Callback::Initialize, entry, VM_CONTEXT_ID, &[])
                .map(drop)
        })
    }

    fn configure(&mut self) -> HostResult<()> {
        let config_len = len_u32(self.state().settings.plugin_config.len());
        let mark = self.logs().len();
        let accepted = self.invoke(
            Callback::Configure,
            ROOT_CONTEXT_ID,
            &[ROOT_CONTEXT_ID, config_len],
        )?;
        if accepted == Some(0) {
            return Err(HostError::ConfigureRejected {
                reason: self.error_lines_since(mark),
            });
        }
        Ok(())
    }

    /// Hands the root context a new plugin configuration, as an xDS update does. A
    /// refusal is [`HostError::ConfigureRejected`]; the VM keeps running with
    /// whatever the plugin kept from before.
    pub fn reconfigure(&mut self, config: impl Into<Vec<u8>>) -> HostResult<()> {
        let mut settings = Settings::clone(&self.state().settings);
        settings.plugin_config = config.into();
        self.state_mut().settings = Arc::new(settings);
        self.configure()
    }

    /// A new HTTP stream, an HTTP/1.1 one unless its `request.protocol` is set
    /// otherwise. Its context is created at its first callback, as Envoy
    /// does; until then, set stream properties on it.
    pub fn http_stream(&mut self) -> HttpStream<'_> {
        let id = self.next_context_id;
        self.next_context_id = id.saturating_add(1);
        let mut stream = StreamState::default();
        // Envoy knows an HTTP stream's protocol from its creation (a network
        // connection has none); a test can change it or hide it.
        stream.properties.set(
            PropertyPath::new(&["request", "protocol"]),
            PropertyValue::from(HTTP_PROTOCOL),
        );
        self.state_mut().streams.insert(id, stream);
        HttpStream::new(self, id)
    }

    /// A new network connection, as `envoy.filters.network.wasm` sees one. Its
    /// context is created by [`TcpStream::new_connection`], as Envoy does; until
    /// then, set connection properties on it.
    pub fn tcp_stream(&mut self) -> TcpStream<'_> {
        let id = self.next_context_id;
        self.next_context_id = id.saturating_add(1);
        let mut connection = StreamState::default();
        connection.connection = Some(ConnectionState::default());
        self.state_mut().streams.insert(id, connection);
        TcpStream::new(self, id)
    }

    /// Calls `proxy_on_tick` on the root context.
    pub fn tick(&mut self) -> HostResult<()> {
        self.invoke(Callback::Tick, ROOT_CONTEXT_ID, &[ROOT_CONTEXT_ID])
            .map(drop)
    }

    /// Moves the clock forward and delivers one `on_tick` per full tick period
    /// that passed; returns how many.
    pub fn advance_clock(&mut self, by: Duration) -> HostResult<u32> {
        self.state_mut().clock.advance(by);
        let period_ms = u64::from(self.state().tick_period_ms);
        if period_ms == 0 {
            return Ok(0);
        }
        let period = period_ms.saturating_mul(1_000_000);
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.since_tick_nanos = self.since_tick_nanos.saturating_add(by);
        let mut ticks = 0;
        while self.since_tick_nanos >= period {
            self.since_tick_nanos = self.since_tick_nanos.saturating_sub(period);
            self.tick()?;
            ticks += 1;
        }
        Ok(ticks)
    }

    /// Every line the plugin logged, in order.
    pub fn logs(&self) -> &[LogRecord] {
        &self.state().logs
    }

    /// Every metric the plugin defined.
    pub fn metrics(&self) -> &[Metric] {
        self.state().metrics.all()
    }

    /// How many times the plugin called `proxy_define_metric`, whatever the names:
    /// Envoy keeps an id for each call as long as the VM lives.
    pub fn metric_definitions(&self) -> usize {
        self.state().metrics.definitions()
    }

    /// The counter defined under exactly this name, 0 when it was never defined;
    /// see [`Vm::try_counter_named`].
    pub fn counter_named(&self, name: &str) -> u64 {
        self.try_counter_named(name).unwrap_or(0)
    }

    /// The counter defined under exactly this name, if the plugin defined it.
    pub fn try_counter_named(&self, name: &str) -> Option<u64> {
        self.state().metrics.counter(name)
    }

    /// Every call into the guest, with the fuel it burnt and the host calls it made.
    pub fn calls(&self) -> &[CallRecord] {
        &self.state().calls
    }

    /// The calls into the guest for context `id`, with their fuel and host calls.
    pub(super) fn calls_of(&self, id: u32) -> Vec<CallRecord> {
        self.calls()
            .iter()
            .filter(|call| call.context_id == id)
            .cloned()
            .collect()
    }

    /// The lines the plugin logged while running for context `id`.
    pub(super) fn logs_of(&self, id: u32) -> Vec<&LogRecord> {
        self.logs()
            .iter()
            .filter(|line| line.context_id == id)
            .collect()
    }

    /// Fuel burnt by every call so far.
    pub fn fuel_total(&self) -> u64 {
        self.calls().iter().map(|c| c.fuel).sum()
    }

    /// Imports the guest called that this host does not implement (lenient mode).
    pub fn unimplemented_calls(&self) -> &[String] {
        &self.state().unimplemented
    }

    /// Foreign functions the guest called, by name, in order.
    pub fn foreign_calls(&self) -> &[String] {
        &self.state().foreign_calls
    }

    /// A value in the plugin's shared data.
    pub fn shared_data(&self, key: &str) -> Option<SharedValue> {
        self.state().shared.get(key)
    }

    /// The tick period the plugin asked for.
    pub fn tick_period(&self) -> Option<Duration> {
        let ms = self.state().tick_period_ms;
        (ms > 0).then(|| Duration::from_millis(u64::from(ms)))
    }

    /// The guest's wall clock, nanoseconds since the Unix epoch.
    pub fn now_unix_nanos(&self) -> u64 {
        self.state().clock.unix_nanos()
    }

    /// The size of the guest's linear memory, in bytes (0 when it exports none).
    pub fn memory_bytes(&mut self) -> u64 {
        let guest = &mut self.guest;
        guest
            .instance
            .get_memory(&mut guest.store, "memory")
            .map_or(0, |memory| {
                u64::try_from(memory.data_size(&guest.store)).unwrap_or(u64::MAX)
            })
    }

    /// Forgets what the VM recorded so far: call records, log lines, foreign calls
    /// and the state of every stream. For long runs (a million requests) whose
    /// history would otherwise fill the host's memory; metrics are kept.
    pub fn forget_history(&mut self) {
        let state = self.state_mut();
        state.calls.clear();
        state.logs.clear();
        state.foreign_calls.clear();
        state.streams.clear();
        state.resumes.clear();
    }

    /// The failure that killed this VM, if one did.
    pub fn failure(&self) -> Option<&HostError> {
        self.failure.as_ref()
    }

    pub(super) fn state(&self) -> &HostState {
        self.guest.store.data()
    }

    pub(super) fn state_mut(&mut self) -> &mut HostState {
        self.guest.store.data_mut()
    }

    /// Calls `callback` for `context_id`, delivers queue notifications, then
    /// carries out the network resumes the plugin asked for meanwhile.
    pub(super) fn invoke(
        &mut self,
        callback: Callback,
        context_id: u32,
        args: &[u32],
    ) -> HostResult<Option<u32>> {
        let result =
            self.guard(|guest| guest.call(callback, callback.export(), context_id, args))?;
        self.deliver_queue_ready()?;
        self.state_mut().settle_resumes();
        Ok(result)
    }

    fn guard<T>(&mut self, call: impl FnOnce(&mut Guest) -> HostResult<T>) -> HostResult<T> {
        if let Some(cause) = &self.failure {
            return Err(HostError::VmFailed {
                cause: Box::new(cause.clone()),
            });
        }
        call(&mut self.guest).inspect_err(|error| self.failure = Some(error.clone()))
    }

    fn deliver_queue_ready(&mut self) -> HostResult<()> {
        for _ in 0..MAX_QUEUE_DELIVERIES {
            let serial = self.state().vm_serial;
            let ready = self.state().shared.take_ready(serial);
            if ready.is_empty() {
                return Ok(());
            }
            for note in ready {
                self.guard(|guest| {
                    guest.call(
                        Callback::QueueReady,
                        Callback::QueueReady.export(),
                        note.context_id,
                        &[note.context_id, note.token],
                    )
                })?;
            }
        }
        Ok(())
    }

    fn error_lines_since(&self, mark: usize) -> String {
        let lines: Vec<&str> = self
            .logs()
            .get(mark..)
            .unwrap_or_default()
            .iter()
            .filter(|line| line.is_error())
            .map(|line| line.message.as_str())
            .collect();
        if lines.is_empty() {
            "(the plugin logged no reason)".to_owned()
        } else {
            lines.join("; ")
        }
    }
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
