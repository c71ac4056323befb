//! The network-filter stream context: one TCP connection. The decision is the
//! engine's, made once, on the first bytes from the caller: before that the
//! downstream TLS handshake may not be done, so the peer's certificate is not known
//! yet (at `on_new_connection` Envoy 1.40 reports `connection.mtls` false and no
//! SAN; at the first `on_downstream_data` both are there). A denied connection is
//! closed and its bytes are held, so none reaches the upstream.
//!
//! Bytes are counted from the sizes Envoy passes to the data callbacks, with no host
//! call per chunk, into counts the root context's timer flushes (and the close).

use std::cell::RefCell;
use std::rc::Rc;

use proxy_wasm::traits::{Context, StreamContext};
use proxy_wasm::types::{Action, LogLevel, PeerType};

use super::abi;
use super::host::{
    self, CONNECTION_MTLS, DESTINATION_PORT, LEGACY_LISTENER_DIRECTION, LISTENER_DIRECTION,
    PEER_URI_SAN, REQUESTED_SERVER_NAME,
};
use super::metrics::increment;
use super::open::{OpenConnections, TcpCounts};
use super::root::Shared;
use crate::policy::{ConnectionFacts, Direction, Mode, Peer};

/// Where a connection is.
enum State {
    /// No byte from the caller yet.
    Undecided,
    /// Allowed; counted when metered.
    Open(Option<Rc<RefCell<TcpCounts>>>),
    /// Closed by a denial: nothing more passes.
    Closed,
}

/// One TCP connection.
pub struct MeshborderConnection {
    shared: Rc<Shared>,
    open: OpenConnections,
    state: State,
}

impl MeshborderConnection {
    /// A connection under the given configuration; `open` is the VM's list of
    /// connections whose counts the timer flushes.
    pub fn new(shared: Rc<Shared>, open: OpenConnections) -> Self {
        Self {
            shared,
            open,
            state: State::Undecided,
        }
    }

    /// Gathers the facts, asks the engine, and applies its verdict.
    fn decide(&mut self) {
        let shared = Rc::clone(&self.shared);
        let policy = &shared.policy;
        let needs = policy.needs();
        let direction = needs.fixed_direction().unwrap_or_else(|| {
            let raw = host::property(LISTENER_DIRECTION)
                .or_else(|| host::property(LEGACY_LISTENER_DIRECTION));
            Direction::from_listener_property(raw.as_deref())
        });
        let mtls = needs.peer(direction)
            && Peer::mtls_from_property(host::property(CONNECTION_MTLS).as_deref());
        let san = mtls
            .then(|| host::property(PEER_URI_SAN).and_then(|b| String::from_utf8(b).ok()))
            .flatten();
        let port = needs
            .port()
            .then(|| host::property_u64(DESTINATION_PORT))
            .flatten()
            .and_then(|port| u16::try_from(port).ok());
        let sni = needs
            .sni()
            .then(|| host::property(REQUESTED_SERVER_NAME).and_then(|b| String::from_utf8(b).ok()))
            .flatten()
            .filter(|name| !name.is_empty());
        let verdict = policy.decide_connection(&ConnectionFacts {
            direction,
            peer: Peer {
                mtls,
                uri_san: san.as_deref(),
            },
            port,
            sni: sni.as_deref(),
        });

        let Ok(mut metrics) = shared.metrics.try_borrow_mut() else {
            self.state = State::Open(None);
            return;
        };
        if verdict.unknown_source {
            metrics.count_unknown_source();
        }
        if let Some(decision) = &verdict.decision {
            let level = match decision.mode {
                Mode::Enforce => LogLevel::Warn,
                Mode::Audit => LogLevel::Info,
            };
            host::log_line(level, &decision.log_line);
            metrics.count_decision(decision.rule, decision.mode);
        }
        if verdict.close {
            if !abi::close_downstream() {
                log::error!("could not close a denied connection");
            }
            self.state = State::Closed;
            return;
        }
        let counts = verdict
            .metered
            .then(|| metrics.xcluster_tcp_ids(&verdict.source).ok())
            .flatten()
            .map(|ids| {
                increment(ids.requests, 1);
                let counts = Rc::new(RefCell::new(TcpCounts::new(ids)));
                self.open.track(&counts);
                counts
            });
        self.state = State::Open(counts);
    }

    /// Adds `bytes` to the connection's counts: received from the caller, or sent
    /// to it.
    fn count(&self, bytes: usize, received: bool) {
        if let State::Open(Some(counts)) = &self.state
            && let Ok(mut counts) = counts.try_borrow_mut()
        {
            counts.add(bytes, received);
        }
    }

    fn flush(&self) {
        if let State::Open(Some(counts)) = &self.state
            && let Ok(mut counts) = counts.try_borrow_mut()
        {
            counts.flush();
        }
    }
}

impl Context for MeshborderConnection {}

impl StreamContext for MeshborderConnection {
    fn on_new_connection(&mut self) -> Action {
        // tcp_proxy may connect upstream now; no byte goes there before the
        // decision on the caller's first bytes.
        Action::Continue
    }

    fn on_downstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> Action {
        if matches!(self.state, State::Undecided) {
            self.decide();
        }
        if matches!(self.state, State::Closed) {
            return Action::Pause;
        }
        self.count(data_size, true);
        Action::Continue
    }

    fn on_upstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> Action {
        if matches!(self.state, State::Closed) {
            return Action::Pause;
        }
        self.count(data_size, false);
        Action::Continue
    }

    fn on_downstream_close(&mut self, _peer_type: PeerType) {
        self.flush();
    }

    fn on_upstream_close(&mut self, _peer_type: PeerType) {
        self.flush();
    }

    fn on_log(&mut self) {
        self.flush();
    }
}
