//! Driving one HTTP stream through the plugin, as Envoy would, and reading what the
//! plugin did to it.
//!
//! A stream runs `on_context_create` at its first callback, then request headers,
//! body and trailers, response headers, body and trailers (each optional), and
//! [`HttpStream::finish`]: `on_log`, `on_done`, `on_delete`. Header names are
//! lowercased on delivery, as Envoy's codecs do. `request.total_size` and
//! `response.total_size` are computed as Envoy does unless the test sets them.

use std::sync::OnceLock;

use super::abi::{Action, StreamType};
use super::callback::{CallRecord, Callback};
use super::codec::Pair;
use super::error::{HostError, HostResult};
use super::log::LogRecord;
use super::property::{PropertyPath, PropertyValue};
use super::state::{ROOT_CONTEXT_ID, callback_part};
use super::stream_state::{LocalResponse, StreamState, first_value};
use super::vm::Vm;

/// One HTTP stream of a [`Vm`].
pub struct HttpStream<'vm> {
    vm: &'vm mut Vm,
    id: u32,
    created: bool,
    finished: bool,
}

impl<'vm> HttpStream<'vm> {
    pub(super) fn new(vm: &'vm mut Vm, id: u32) -> Self {
        Self {
            vm,
            id,
            created: false,
            finished: false,
        }
    }

    /// The stream's context id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The VM the stream runs in.
    pub fn vm(&self) -> &Vm {
        self.vm
    }

    /// Serves `value` for `path` to this stream only, over the plugin's value.
    #[must_use]
    pub fn property(
        mut self,
        path: impl Into<PropertyPath>,
        value: impl Into<PropertyValue>,
    ) -> Self {
        self.state_mut().properties.set(path.into(), value.into());
        self
    }

    /// Serves `value` for `path` to this stream from now on, for what Envoy learns
    /// as the stream goes (the sizes of what went over the wire, say).
    pub fn set_property(&mut self, path: impl Into<PropertyPath>, value: impl Into<PropertyValue>) {
        self.state_mut().properties.set(path.into(), value.into());
    }

    /// Makes `path` absent for this stream, even if the plugin or the host has it.
    #[must_use]
    pub fn hide_property(mut self, path: impl Into<PropertyPath>) -> Self {
        self.state_mut().properties.hide(path.into());
        self
    }

    /// The downstream connection is mTLS and the peer's first URI SAN is `uri_san`:
    /// `connection.mtls` is `true` and `connection.uri_san_peer_certificate` the SAN.
    #[must_use]
    pub fn connection_mtls(self, uri_san: &str) -> Self {
        self.property(["connection", "mtls"], true)
            .property(["connection", "uri_san_peer_certificate"], uri_san)
    }

    /// Delivers request headers (`on_request_headers`).
    pub fn request_headers<V: AsRef<[u8]>>(
        &mut self,
        headers: &[(&str, V)],
        end_of_stream: bool,
    ) -> HostResult<Action> {
        let pairs = lowercased(headers);
        let count = len_u32(pairs.len());
        let stream = self.state_mut();
        stream.request_headers = pairs;
        stream.saw_request = true;
        self.deliver(Callback::RequestHeaders, &[count, u32::from(end_of_stream)])
    }

    /// Delivers a request body chunk (`on_request_body`).
    pub fn request_body(&mut self, chunk: &[u8], end_of_stream: bool) -> HostResult<Action> {
        let size = len_u32(chunk.len());
        let stream = self.state_mut();
        stream.request_body = chunk.to_vec();
        stream.request_body_bytes = stream.request_body_bytes.saturating_add(u64::from(size));
        self.deliver(Callback::RequestBody, &[size, u32::from(end_of_stream)])
    }

    /// Delivers request trailers (`on_request_trailers`).
    pub fn request_trailers<V: AsRef<[u8]>>(
        &mut self,
        trailers: &[(&str, V)],
    ) -> HostResult<Action> {
        let pairs = lowercased(trailers);
        let count = len_u32(pairs.len());
        self.state_mut().request_trailers = pairs;
        self.deliver(Callback::RequestTrailers, &[count])
    }

    /// Delivers response headers (`on_response_headers`).
    pub fn response_headers<V: AsRef<[u8]>>(
        &mut self,
        headers: &[(&str, V)],
        end_of_stream: bool,
    ) -> HostResult<Action> {
        let pairs = lowercased(headers);
        let count = len_u32(pairs.len());
        let stream = self.state_mut();
        stream.response_headers = pairs;
        stream.saw_response = true;
        self.deliver(
            Callback::ResponseHeaders,
            &[count, u32::from(end_of_stream)],
        )
    }

    /// Delivers a response body chunk (`on_response_body`).
    pub fn response_body(&mut self, chunk: &[u8], end_of_stream: bool) -> HostResult<Action> {
        let size = len_u32(chunk.len());
        let stream = self.state_mut();
        stream.response_body = chunk.to_vec();
        stream.response_body_bytes = stream.response_body_bytes.saturating_add(u64::from(size));
        self.deliver(Callback::ResponseBody, &[size, u32::from(end_of_stream)])
    }

    /// Delivers response trailers (`on_response_trailers`).
    pub fn response_trailers<V: AsRef<[u8]>>(
        &mut self,
        trailers: &[(&str, V)],
    ) -> HostResult<Action> {
        let pairs = lowercased(trailers);
        let count = len_u32(pairs.len());
        self.state_mut().response_trailers = pairs;
        self.deliver(Callback::ResponseTrailers, &[count])
    }

    /// Ends the stream as Envoy does: `on_log`, then `on_done`, then `on_delete`.
    pub fn finish(&mut self) -> HostResult<()> {
        self.create()?;
        self.finished = true;
        let id = self.id;
        self.vm.invoke(Callback::Log, id, &[id])?;
        self.vm.invoke(Callback::Done, id, &[id])?;
        self.vm.invoke(Callback::Delete, id, &[id])?;
        Ok(())
    }

    /// The request headers as the plugin left them.
    pub fn request_header_map(&self) -> &[Pair] {
        &self.state().request_headers
    }

    /// The first value of request header `name`, as UTF-8.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        first_value(&self.state().request_headers, name)
    }

    /// The response headers as the plugin left them.
    pub fn response_header_map(&self) -> &[Pair] {
        &self.state().response_headers
    }

    /// The first value of response header `name`, as UTF-8.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        first_value(&self.state().response_headers, name)
    }

    /// The last request body chunk as the plugin left it.
    pub fn request_body_chunk(&self) -> &[u8] {
        &self.state().request_body
    }

    /// The last response body chunk as the plugin left it.
    pub fn response_body_chunk(&self) -> &[u8] {
        &self.state().response_body
    }

    /// The local reply the plugin sent, if any.
    pub fn local_response(&self) -> Option<&LocalResponse> {
        self.state().local_response.as_ref()
    }

    /// How often the route cache was cleared: by each edit of the request headers,
    /// as Envoy does, and by the `clear_route_cache` foreign function.
    pub fn route_cache_clears(&self) -> u32 {
        self.state().route_cache_clears
    }

    /// The streams the plugin resumed with `proxy_continue_stream`.
    pub fn continued(&self) -> &[StreamType] {
        &self.state().continued
    }

    /// The streams the plugin closed with `proxy_close_stream`.
    pub fn closed(&self) -> &[StreamType] {
        &self.state().closed
    }

    /// The calls into the guest for this stream, with their fuel and host calls.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.vm.calls_of(self.id)
    }

    /// Fuel burnt by this stream's callbacks so far.
    pub fn fuel(&self) -> u64 {
        self.calls().iter().map(|call| call.fuel).sum()
    }

    /// Lines the plugin logged while running for this stream.
    pub fn logs(&self) -> Vec<&LogRecord> {
        self.vm.logs_of(self.id)
    }

    fn create(&mut self) -> HostResult<()> {
        if self.finished {
            return Err(HostError::Usage {
                reason: format!("stream {} was already finished", self.id),
            });
        }
        if !self.created {
            self.created = true;
            let id = self.id;
            self.vm
                .invoke(Callback::ContextCreate, id, &[id, ROOT_CONTEXT_ID])?;
        }
        Ok(())
    }

    fn deliver(&mut self, callback: Callback, args: &[u32]) -> HostResult<Action> {
        self.create()?;
        let id = self.id;
        let mut full = vec![id];
        full.extend_from_slice(args);
        let action = Action::from_code(self.vm.invoke(callback, id, &full)?.unwrap_or(0));
        if let Some(part) = callback_part(callback) {
            self.state_mut().set_held(part, action == Action::Pause);
        }
        Ok(action)
    }

    fn state(&self) -> &StreamState {
        // Streams are never removed, so the fallback is never used.
        static EMPTY: OnceLock<StreamState> = OnceLock::new();
        self.vm
            .state()
            .streams
            .get(&self.id)
            .unwrap_or_else(|| EMPTY.get_or_init(StreamState::default))
    }

    fn state_mut(&mut self) -> &mut StreamState {
        self.vm.state_mut().streams.entry(self.id).or_default()
    }
}

fn lowercased<V: AsRef<[u8]>>(headers: &[(&str, V)]) -> Vec<Pair> {
    headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_ref().to_vec()))
        .collect()
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
