//! Driving one network connection through the plugin as Envoy's
//! `envoy.filters.network.wasm` does, and reading what the plugin did to it.
//!
//! Envoy's order, which this handle keeps:
//! - `on_context_create`, then `on_new_connection`, when the connection is
//!   accepted ([`TcpStream::new_connection`]); nothing reaches the plugin before;
//! - `on_downstream_data` for each chunk from the client and `on_upstream_data` for
//!   each chunk back; upstream data with `end_of_stream` is followed at once by
//!   `on_upstream_connection_close` with peer `Unknown`, the only way Envoy learns
//!   the upstream side ended;
//! - `on_downstream_connection_close` when the client connection closes, then at
//!   once `on_done`, `on_log` and `on_delete`, in that order (Envoy's
//!   `onCloseTCP`). An upstream close ends the context only once the downstream has
//!   closed, which in Envoy it always has by then.
//!
//! A pause keeps the chunk in the buffer: the next chunk of that direction is
//! appended and the plugin sees both. The handle never closes the connection on its
//! own when the plugin asks to: it records the request, and the test closes.

use std::sync::OnceLock;
use std::time::Duration;

use super::abi::{Action, PeerType, StreamType};
use super::callback::{CallRecord, Callback};
use super::connection::{ConnectionEvent, ConnectionState, Direction};
use super::error::{HostError, HostResult};
use super::log::LogRecord;
use super::property::{PropertyPath, PropertyValue};
use super::state::ROOT_CONTEXT_ID;
use super::stream_state::StreamState;
use super::vm::Vm;

/// One network connection of a [`Vm`].
pub struct TcpStream<'vm> {
    vm: &'vm mut Vm,
    id: u32,
    created: bool,
    ended: bool,
}

impl<'vm> TcpStream<'vm> {
    pub(super) fn new(vm: &'vm mut Vm, id: u32) -> Self {
        Self {
            vm,
            id,
            created: false,
            ended: false,
        }
    }

    /// The connection's context id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The VM the connection runs in.
    pub fn vm(&self) -> &Vm {
        self.vm
    }

    /// Serves `value` for `path` to this connection only, over the plugin's value:
    /// `destination.port`, `connection.requested_server_name`, ...
    #[must_use]
    pub fn property(
        mut self,
        path: impl Into<PropertyPath>,
        value: impl Into<PropertyValue>,
    ) -> Self {
        self.set_property(path, value);
        self
    }

    /// Makes `path` absent for this connection, even if the plugin or the host has
    /// it.
    #[must_use]
    pub fn hide_property(mut self, path: impl Into<PropertyPath>) -> Self {
        self.state_mut().properties.hide(path.into());
        self
    }

    /// The client connection is mTLS and the peer's first URI SAN is `uri_san`:
    /// `connection.mtls` is `true` and `connection.uri_san_peer_certificate` the SAN.
    #[must_use]
    pub fn connection_mtls(self, uri_san: &str) -> Self {
        self.property(["connection", "mtls"], true)
            .property(["connection", "uri_san_peer_certificate"], uri_san)
    }

    /// Serves `value` for `path` from now on, for what Envoy learns while the
    /// connection is open, such as `upstream.address` once the upstream connects.
    pub fn set_property(&mut self, path: impl Into<PropertyPath>, value: impl Into<PropertyValue>) {
        self.state_mut().properties.set(path.into(), value.into());
    }

    /// Accepts the connection: `on_context_create` with the root context as parent,
    /// then `on_new_connection`. Any action but `Continue` pauses it, as in Envoy.
    pub fn new_connection(&mut self) -> HostResult<Action> {
        if self.created {
            return Err(self.misuse("already had its new connection"));
        }
        self.created = true;
        let id = self.id;
        self.vm
            .invoke(Callback::ContextCreate, id, &[id, ROOT_CONTEXT_ID])?;
        self.connection_mut().downstream.resume_requested = false;
        let action = self.call(Callback::NewConnection, &[id])?;
        let connection = self.connection_mut();
        let resumed = std::mem::take(&mut connection.downstream.resume_requested);
        connection.new_connection_paused = action != Action::Continue && !resumed;
        connection
            .events
            .push(ConnectionEvent::NewConnection { action });
        Ok(action)
    }

    /// Delivers a chunk from the client (`on_downstream_data`).
    pub fn downstream_data(&mut self, data: &[u8], end_of_stream: bool) -> HostResult<Action> {
        self.data(Direction::Downstream, data, end_of_stream)
    }

    /// Delivers a chunk from the upstream (`on_upstream_data`). With
    /// `end_of_stream`, Envoy then calls `on_upstream_connection_close` with peer
    /// `Unknown`, and so does this.
    pub fn upstream_data(&mut self, data: &[u8], end_of_stream: bool) -> HostResult<Action> {
        let action = self.data(Direction::Upstream, data, end_of_stream)?;
        if end_of_stream {
            self.close(Direction::Upstream, PeerType::Unknown)?;
        }
        Ok(action)
    }

    /// The client connection closed (`on_downstream_connection_close`, `peer` as
    /// Envoy says: `Local` when the proxy closed it, `Remote` when the client did);
    /// then the connection ends: `on_done`, `on_log`, `on_delete`.
    pub fn downstream_close(&mut self, peer: PeerType) -> HostResult<()> {
        self.close(Direction::Downstream, peer)
    }

    /// The upstream side closed (`on_upstream_connection_close`); the connection
    /// ends too if the client side had already closed. Envoy itself only calls
    /// this after upstream data with `end_of_stream`, with peer `Unknown`, which
    /// [`TcpStream::upstream_data`] does.
    pub fn upstream_close(&mut self, peer: PeerType) -> HostResult<()> {
        self.close(Direction::Upstream, peer)
    }

    /// Ends the connection as Envoy's `onCloseTCP` does: `on_done`, `on_log`, then
    /// `on_delete`, with no close callback. Nothing runs for a connection that was
    /// never accepted or has already ended, as in Envoy.
    pub fn finish(&mut self) -> HostResult<()> {
        if !self.created || self.ended {
            self.ended = true;
            return Ok(());
        }
        self.ended = true;
        let id = self.id;
        for callback in [Callback::Done, Callback::Log, Callback::Delete] {
            self.vm.invoke(callback, id, &[id])?;
        }
        Ok(())
    }

    /// Calls `on_tick` on the root context while the connection is open.
    pub fn tick(&mut self) -> HostResult<()> {
        self.vm.tick()
    }

    /// Moves the clock forward while the connection is open; see
    /// [`Vm::advance_clock`].
    pub fn advance_clock(&mut self, by: Duration) -> HostResult<u32> {
        self.vm.advance_clock(by)
    }

    /// What happened on the connection, callback by callback.
    pub fn events(&self) -> &[ConnectionEvent] {
        &self.connection().events
    }

    /// Every byte of `direction` the plugin let through, as it left them.
    pub fn passed(&self, direction: Direction) -> &[u8] {
        &self.connection().flow(direction).passed
    }

    /// The bytes of `direction` the plugin holds paused, if it paused on them.
    pub fn held(&self, direction: Direction) -> Option<&[u8]> {
        let flow = self.connection().flow(direction);
        flow.held.then_some(flow.buffer.as_slice())
    }

    /// Whether `on_new_connection` paused and the plugin has not resumed.
    pub fn new_connection_paused(&self) -> bool {
        self.connection().new_connection_paused
    }

    /// Whether the side of `direction` had its close callback.
    pub fn side_closed(&self, direction: Direction) -> bool {
        self.connection().flow(direction).closed
    }

    /// Whether the connection ended (`on_done`, `on_log`, `on_delete` ran, or it
    /// was finished before it was accepted).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The streams the plugin resumed with `proxy_continue_stream`.
    pub fn continued(&self) -> &[StreamType] {
        &self.state().continued
    }

    /// The streams the plugin asked to close with `proxy_close_stream`, in order:
    /// `Downstream` for the SDK's `close_downstream`, `Upstream` for
    /// `close_upstream`.
    pub fn close_requests(&self) -> &[StreamType] {
        &self.state().closed
    }

    /// Whether the plugin asked to close the connection, on either side.
    pub fn close_requested(&self) -> bool {
        self.close_requests()
            .iter()
            .any(|side| matches!(side, StreamType::Downstream | StreamType::Upstream))
    }

    /// The calls into the guest for this connection, with their fuel and host
    /// calls.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.vm.calls_of(self.id)
    }

    /// Fuel burnt by this connection's callbacks so far.
    pub fn fuel(&self) -> u64 {
        self.calls().iter().map(|call| call.fuel).sum()
    }

    /// Lines the plugin logged while running for this connection.
    pub fn logs(&self) -> Vec<&LogRecord> {
        self.vm.logs_of(self.id)
    }

    fn data(
        &mut self,
        direction: Direction,
        data: &[u8],
        end_of_stream: bool,
    ) -> HostResult<Action> {
        self.open()?;
        let flow = self.connection_mut().flow_mut(direction);
        flow.buffer.extend_from_slice(data);
        // Being delivered now: the callback decides again what becomes of it.
        flow.held = false;
        flow.resume_requested = false;
        let data_size = len_u32(flow.buffer.len());
        let id = self.id;
        let args = [id, data_size, u32::from(end_of_stream)];
        let action = self.call(direction.data_callback(), &args)?;
        let flow = self.connection_mut().flow_mut(direction);
        let resumed = std::mem::take(&mut flow.resume_requested);
        let passed = if action == Action::Continue || resumed {
            flow.pass()
        } else {
            flow.held = true;
            Vec::new()
        };
        self.connection_mut().events.push(ConnectionEvent::Data {
            direction,
            data_size,
            end_of_stream,
            action,
            passed,
        });
        Ok(action)
    }

    fn close(&mut self, direction: Direction, peer: PeerType) -> HostResult<()> {
        self.open()?;
        let id = self.id;
        self.vm
            .invoke(direction.close_callback(), id, &[id, peer.code()])?;
        let connection = self.connection_mut();
        connection.flow_mut(direction).closed = true;
        connection
            .events
            .push(ConnectionEvent::Closed { direction, peer });
        if connection.downstream.closed {
            self.finish()?;
        }
        Ok(())
    }

    /// Calls a callback whose result is an action; one the module does not export
    /// continues, as in Envoy.
    fn call(&mut self, callback: Callback, args: &[u32]) -> HostResult<Action> {
        let result = self.vm.invoke(callback, self.id, args)?;
        Ok(Action::from_code(result.unwrap_or(0)))
    }

    fn open(&self) -> HostResult<()> {
        if !self.created {
            return Err(
                self.misuse("has no new connection yet: Envoy calls on_new_connection first")
            );
        }
        if self.ended {
            return Err(self.misuse("has already ended"));
        }
        Ok(())
    }

    fn misuse(&self, what: &str) -> HostError {
        HostError::Usage {
            reason: format!("connection {} {what}", self.id),
        }
    }

    fn state(&self) -> &StreamState {
        // Streams are removed only by `Vm::forget_history`, which this borrow rules
        // out, so the fallback is never used.
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

    fn connection(&self) -> &ConnectionState {
        static EMPTY: OnceLock<ConnectionState> = OnceLock::new();
        self.state()
            .connection
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(ConnectionState::default))
    }

    fn connection_mut(&mut self) -> &mut ConnectionState {
        self.state_mut()
            .connection
            .get_or_insert_with(ConnectionState::default)
    }
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
