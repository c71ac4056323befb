//! Everything one VM's host functions read and write: the wasmtime store's data.
//!
//! One `HostState` per VM, owned by its store: nothing is global, so tests run in
//! parallel without seeing each other's logs, metrics or streams.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::abi::{LogLevel, MapType};
use super::callback::{CallRecord, Callback};
use super::clock::{Clock, Entropy};
use super::codec::Pair;
use super::log::{LogRecord, LogSource};
use super::metrics::MetricStore;
use super::property::Lookup;
use super::settings::Settings;
use super::shared::SharedStore;
use super::stream_state::{Part, StreamState};

/// The context id Envoy gives the VM itself (it runs `_initialize`).
pub const VM_CONTEXT_ID: u32 = 0;
/// The context id of the plugin's root context.
pub const ROOT_CONTEXT_ID: u32 = 1;

/// Why a header map cannot be used right now, as Envoy would answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Reads see an empty map; value lookups and writes get `BadArgument`.
    NotNow,
    /// Access-log phase: a value lookup gets `NotFound`.
    AccessLog,
}

/// The data of a VM's store.
#[derive(Debug)]
pub struct HostState {
    /// The plugin's settings.
    pub settings: Arc<Settings>,
    /// Every line the plugin logged.
    pub logs: Vec<LogRecord>,
    /// The plugin's metrics.
    pub metrics: MetricStore,
    /// Shared data and queues of the plugin.
    pub shared: SharedStore,
    /// This VM's serial number among the plugin's VMs.
    pub vm_serial: u64,
    /// The guest's clock.
    pub clock: Clock,
    /// The guest's random source.
    pub entropy: Entropy,
    /// Stream contexts (HTTP streams and network connections) by context id.
    pub streams: BTreeMap<u32, StreamState>,
    /// Network streams whose plugin called `proxy_continue_stream` during the
    /// running callback, to resume once it returns.
    pub resumes: Vec<u32>,
    /// The callback running now, and for which context.
    pub running: Option<(Callback, u32)>,
    /// The context set by `proxy_set_effective_context`, until the callback ends.
    pub effective: Option<u32>,
    /// The tick period the plugin asked for, in milliseconds (0: none).
    pub tick_period_ms: u32,
    /// Every call into the guest, with its fuel.
    pub calls: Vec<CallRecord>,
    /// The host calls the running callback made so far, by import name.
    pub host_calls: BTreeMap<Cow<'static, str>, u64>,
    /// Host functions the guest called that this host does not implement.
    pub unimplemented: Vec<String>,
    /// Foreign functions the guest called, by name.
    pub foreign_calls: Vec<String>,
}

impl HostState {
    /// A fresh state for a VM of `settings`.
    pub fn new(settings: Arc<Settings>, shared: SharedStore) -> Self {
        Self {
            clock: Clock::starting_at(settings.clock_start_unix_nanos),
            entropy: Entropy::seeded(settings.random_seed),
            vm_serial: shared.next_vm(),
            settings,
            logs: Vec::new(),
            metrics: MetricStore::default(),
            shared,
            streams: BTreeMap::new(),
            resumes: Vec::new(),
            running: None,
            effective: None,
            tick_period_ms: 0,
            calls: Vec::new(),
            host_calls: BTreeMap::new(),
            unimplemented: Vec::new(),
            foreign_calls: Vec::new(),
        }
    }

    /// The context host calls act on: the effective one, else the running one.
    pub fn context_id(&self) -> u32 {
        self.effective
            .or(self.running.map(|(_, id)| id))
            .unwrap_or(VM_CONTEXT_ID)
    }

    /// The callback running now.
    pub fn callback(&self) -> Option<Callback> {
        self.running.map(|(callback, _)| callback)
    }

    /// The stream host calls act on, if the context is one.
    pub fn stream(&self) -> Option<&StreamState> {
        self.streams.get(&self.context_id())
    }

    /// The stream host calls act on, mutably.
    pub fn stream_mut(&mut self) -> Option<&mut StreamState> {
        let id = self.context_id();
        self.streams.get_mut(&id)
    }

    /// Counts one call of the import `name` on the running callback.
    pub fn count_host_call(&mut self, name: Cow<'static, str>) {
        let count = self.host_calls.entry(name).or_default();
        *count = count.saturating_add(1);
    }

    /// Records a log line from the running context.
    pub fn log(&mut self, level: LogLevel, message: String, source: LogSource) {
        let context_id = self.context_id();
        self.logs.push(LogRecord {
            level,
            message,
            context_id,
            source,
        });
    }

    /// Whether the plugin configuration buffer is readable (during `on_configure`).
    pub fn configuring(&self) -> bool {
        self.callback() == Some(Callback::Configure)
    }

    /// The header map `map` of the current stream, if the plugin may use it now.
    pub fn header_map(&self, map: MapType, write: bool) -> Result<&Vec<Pair>, Unavailable> {
        let part = map_part(map).ok_or(Unavailable::NotNow)?;
        let stream = self.stream().ok_or(Unavailable::NotNow)?;
        if stream.connection.is_some() {
            // A network stream has no header maps: Envoy's are never set for one.
            return Err(Unavailable::NotNow);
        }
        match self.access(stream, part, write) {
            Ok(()) => Ok(part_map(stream, part)),
            Err(why) => Err(why),
        }
    }

    /// The header map `map` of the current stream, for writing.
    pub fn header_map_mut(&mut self, map: MapType) -> Result<&mut Vec<Pair>, Unavailable> {
        self.header_map(map, true)?;
        let part = map_part(map).ok_or(Unavailable::NotNow)?;
        let stream = self.stream_mut().ok_or(Unavailable::NotNow)?;
        Ok(match part {
            Part::RequestHeaders => &mut stream.request_headers,
            Part::RequestTrailers => &mut stream.request_trailers,
            Part::ResponseHeaders => &mut stream.response_headers,
            _ => &mut stream.response_trailers,
        })
    }

    /// The body chunk of `part` if the plugin may use it now; `None` reads as empty.
    pub fn body(&self, part: Part) -> Option<&Vec<u8>> {
        let stream = self.stream()?;
        self.access(stream, part, true).ok()?;
        Some(match part {
            Part::RequestBody => &stream.request_body,
            _ => &stream.response_body,
        })
    }

    /// The body chunk of `part`, for writing.
    pub fn body_mut(&mut self, part: Part) -> Option<&mut Vec<u8>> {
        self.body(part)?;
        let stream = self.stream_mut()?;
        Some(match part {
            Part::RequestBody => &mut stream.request_body,
            _ => &mut stream.response_body,
        })
    }

    fn access(&self, stream: &StreamState, part: Part, write: bool) -> Result<(), Unavailable> {
        let delivering = self.callback().and_then(callback_part) == Some(part);
        if delivering || stream.held(part) {
            return Ok(());
        }
        let logging = self.callback() == Some(Callback::Log);
        let readable_in_log = !matches!(
            part,
            Part::RequestTrailers | Part::RequestBody | Part::ResponseBody
        );
        match (logging, write) {
            (true, false) if readable_in_log => Ok(()),
            (true, _) => Err(Unavailable::AccessLog),
            (false, _) => Err(Unavailable::NotNow),
        }
    }

    /// A property as the running context sees it: the stream's own, then the
    /// values Envoy computes for a stream, then the plugin's.
    pub fn property(&self, path: &[u8]) -> Option<Vec<u8>> {
        if let Some(stream) = self.stream() {
            match stream.properties.lookup(path) {
                Lookup::Value(value) => return Some(value.to_vec()),
                Lookup::Hidden => return None,
                Lookup::Unset => {}
            }
            if let Some(value) = computed_property(stream, path) {
                return Some(value);
            }
        }
        match self.settings.properties.lookup(path) {
            Lookup::Value(value) => Some(value.to_vec()),
            Lookup::Hidden => None,
            Lookup::Unset => self.plugin_property(path),
        }
    }

    fn plugin_property(&self, path: &[u8]) -> Option<Vec<u8>> {
        let value = match path {
            b"plugin_name" => &self.settings.plugin_name,
            b"plugin_root_id" => &self.settings.root_id,
            b"plugin_vm_id" => &self.settings.vm_id,
            _ => return None,
        };
        Some(value.as_bytes().to_vec())
    }
}

/// The stream part a header map belongs to; `None` for maps this host never serves.
fn map_part(map: MapType) -> Option<Part> {
    match map {
        MapType::RequestHeaders => Some(Part::RequestHeaders),
        MapType::RequestTrailers => Some(Part::RequestTrailers),
        MapType::ResponseHeaders => Some(Part::ResponseHeaders),
        MapType::ResponseTrailers => Some(Part::ResponseTrailers),
        _ => None,
    }
}

fn part_map(stream: &StreamState, part: Part) -> &Vec<Pair> {
    match part {
        Part::RequestHeaders => &stream.request_headers,
        Part::RequestTrailers => &stream.request_trailers,
        Part::ResponseHeaders => &stream.response_headers,
        _ => &stream.response_trailers,
    }
}

/// The stream part a callback delivers.
pub fn callback_part(callback: Callback) -> Option<Part> {
    Some(match callback {
        Callback::RequestHeaders => Part::RequestHeaders,
        Callback::RequestBody => Part::RequestBody,
        Callback::RequestTrailers => Part::RequestTrailers,
        Callback::ResponseHeaders => Part::ResponseHeaders,
        Callback::ResponseBody => Part::ResponseBody,
        Callback::ResponseTrailers => Part::ResponseTrailers,
        _ => return None,
    })
}

/// `request.total_size` and `response.total_size`, once their part was seen.
fn computed_property(stream: &StreamState, path: &[u8]) -> Option<Vec<u8>> {
    let value = match path {
        b"request\0total_size" if stream.saw_request => stream.request_total_size(),
        b"response\0total_size" if stream.saw_response || stream.local_response.is_some() => {
            stream.response_total_size()
        }
        _ => return None,
    };
    Some(value.to_le_bytes().to_vec())
}
