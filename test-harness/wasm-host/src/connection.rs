//! The host's side of one network connection (a stream context of Envoy's
//! `envoy.filters.network.wasm`): the bytes in each direction, what the plugin let
//! through or holds, and what it asked for.
//!
//! Envoy hands the plugin a direction's bytes only while that direction's data
//! callback runs, or while the plugin holds them paused after it; otherwise they
//! read as empty and a write is `BadArgument`. A pause leaves the bytes in Envoy's
//! buffer, so the next chunk is appended to them and the plugin sees the whole
//! buffer again. `proxy_continue_stream(Downstream)` resumes reading after the
//! callback that asked for it: what was held goes on. The host records each of
//! these steps as a [`ConnectionEvent`].

use super::abi::{Action, BufferType, PeerType, StreamType};
use super::callback::Callback;
use super::state::HostState;

/// Which way bytes travel on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client to the proxy (Envoy's read side, `on_downstream_data`).
    Downstream,
    /// From the upstream back to the client (Envoy's write side,
    /// `on_upstream_data`).
    Upstream,
}

impl Direction {
    /// The buffer the plugin reads this direction's bytes from.
    pub fn buffer(self) -> BufferType {
        match self {
            Self::Downstream => BufferType::DownstreamData,
            Self::Upstream => BufferType::UpstreamData,
        }
    }

    /// The stream type `proxy_continue_stream` and `proxy_close_stream` name it by.
    pub fn stream_type(self) -> StreamType {
        match self {
            Self::Downstream => StreamType::Downstream,
            Self::Upstream => StreamType::Upstream,
        }
    }

    /// The callback that delivers this direction's bytes.
    pub fn data_callback(self) -> Callback {
        match self {
            Self::Downstream => Callback::DownstreamData,
            Self::Upstream => Callback::UpstreamData,
        }
    }

    /// The callback that tells the plugin this side closed.
    pub fn close_callback(self) -> Callback {
        match self {
            Self::Downstream => Callback::DownstreamConnectionClose,
            Self::Upstream => Callback::UpstreamConnectionClose,
        }
    }
}

/// One step of a connection, as the plugin saw it and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// `on_new_connection` ran.
    NewConnection {
        /// What it returned.
        action: Action,
    },
    /// `on_downstream_data` or `on_upstream_data` ran.
    Data {
        /// Which direction.
        direction: Direction,
        /// The `data_size` argument: the bytes in the buffer, held ones included.
        data_size: u32,
        /// The `end_of_stream` argument.
        end_of_stream: bool,
        /// What it returned.
        action: Action,
        /// The bytes that went on, as the plugin left them; empty when it paused.
        passed: Vec<u8>,
    },
    /// The plugin resumed a direction with `proxy_continue_stream`, after the
    /// callback that asked: what it held went on.
    Resumed {
        /// Which direction.
        direction: Direction,
        /// The bytes that went on (none when only the new connection was paused).
        passed: Vec<u8>,
    },
    /// `on_downstream_connection_close` or `on_upstream_connection_close` ran.
    Closed {
        /// Which side closed.
        direction: Direction,
        /// The `peer_type` argument.
        peer: PeerType,
    },
}

/// The bytes of one direction.
#[derive(Debug, Clone, Default)]
pub struct Flow {
    /// The buffer the plugin sees: the chunk being delivered, or what it holds.
    pub buffer: Vec<u8>,
    /// Every byte let through so far, in order.
    pub passed: Vec<u8>,
    /// Whether the plugin paused on this direction's data and has not resumed.
    pub held: bool,
    /// Whether the plugin called `proxy_continue_stream` for this direction since
    /// the host last looked.
    pub resume_requested: bool,
    /// Whether this side's close callback ran.
    pub closed: bool,
}

impl Flow {
    /// Lets the buffer through: moves it to [`Flow::passed`] and returns it.
    pub fn pass(&mut self) -> Vec<u8> {
        let bytes = std::mem::take(&mut self.buffer);
        self.passed.extend_from_slice(&bytes);
        self.held = false;
        bytes
    }
}

/// One network connection as the host keeps it.
#[derive(Debug, Clone, Default)]
pub struct ConnectionState {
    /// Client to upstream.
    pub downstream: Flow,
    /// Upstream to client.
    pub upstream: Flow,
    /// Whether `on_new_connection` paused and the plugin has not resumed.
    pub new_connection_paused: bool,
    /// What happened, in order.
    pub events: Vec<ConnectionEvent>,
}

impl ConnectionState {
    /// The flow of `direction`.
    pub fn flow(&self, direction: Direction) -> &Flow {
        match direction {
            Direction::Downstream => &self.downstream,
            Direction::Upstream => &self.upstream,
        }
    }

    /// The flow of `direction`, mutably.
    pub fn flow_mut(&mut self, direction: Direction) -> &mut Flow {
        match direction {
            Direction::Downstream => &mut self.downstream,
            Direction::Upstream => &mut self.upstream,
        }
    }

    /// Carries out a resume the plugin asked for outside the callback that
    /// delivers the bytes (from a tick, say): held bytes go on, a paused new
    /// connection goes on. A request with nothing held is left for the next data
    /// callback of that direction, which decides with it.
    fn settle(&mut self) {
        for direction in [Direction::Downstream, Direction::Upstream] {
            let flow = self.flow_mut(direction);
            if !flow.resume_requested {
                continue;
            }
            let was_held = flow.held;
            if was_held {
                flow.resume_requested = false;
                let passed = flow.pass();
                self.events
                    .push(ConnectionEvent::Resumed { direction, passed });
            }
            if direction == Direction::Downstream && self.new_connection_paused {
                self.new_connection_paused = false;
                if !was_held {
                    self.events.push(ConnectionEvent::Resumed {
                        direction,
                        passed: Vec::new(),
                    });
                }
            }
        }
    }
}

impl HostState {
    /// The bytes of `direction` on the current stream, if the plugin may use them
    /// now; `None` reads as empty, as Envoy's unset buffer does.
    pub fn connection_data(&self, direction: Direction) -> Option<&Vec<u8>> {
        let id = self.context_id();
        let flow = self.streams.get(&id)?.connection.as_ref()?.flow(direction);
        let delivering = self.running == Some((direction.data_callback(), id));
        (delivering || flow.held).then_some(&flow.buffer)
    }

    /// The bytes of `direction` on the current stream, for writing.
    pub fn connection_data_mut(&mut self, direction: Direction) -> Option<&mut Vec<u8>> {
        self.connection_data(direction)?;
        let id = self.context_id();
        let connection = self.streams.get_mut(&id)?.connection.as_mut()?;
        Some(&mut connection.flow_mut(direction).buffer)
    }

    /// Records the plugin's `proxy_continue_stream` for `direction` on the current
    /// stream, to be carried out once the running callback returns.
    pub fn request_resume(&mut self, direction: Direction) {
        let id = self.context_id();
        let Some(connection) = self
            .streams
            .get_mut(&id)
            .and_then(|stream| stream.connection.as_mut())
        else {
            return;
        };
        connection.flow_mut(direction).resume_requested = true;
        self.resumes.push(id);
    }

    /// Carries out the resumes asked for during the last callback.
    pub fn settle_resumes(&mut self) {
        for id in std::mem::take(&mut self.resumes) {
            if let Some(connection) = self
                .streams
                .get_mut(&id)
                .and_then(|stream| stream.connection.as_mut())
            {
                connection.settle();
            }
        }
    }
}
