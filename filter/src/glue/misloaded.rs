//! A configuration loaded as the wrong kind of filter: a `tcp` layer that Envoy
//! runs as an HTTP filter, or an `http` one that it runs as a network filter (or a
//! filter with no accepted configuration). It never traps and never lets traffic
//! through: every request gets a 503 and every connection is closed, and the reason
//! is logged once per root context, not once per request.

use std::cell::Cell;
use std::rc::Rc;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, StreamContext};
use proxy_wasm::types::Action;

use super::abi;

/// The status a misloaded HTTP filter answers with.
const STATUS: u32 = 503;

/// Why the filter refuses, and whether that was logged already.
#[derive(Debug, Clone)]
pub struct Misloaded {
    reason: &'static str,
    logged: Rc<Cell<bool>>,
}

impl Misloaded {
    /// The refusal `reason`, logged through `logged` at most once.
    pub fn new(reason: &'static str, logged: Rc<Cell<bool>>) -> Self {
        Self { reason, logged }
    }

    fn log_once(&self) {
        if !self.logged.replace(true) {
            log::error!("{}", self.reason);
        }
    }
}

impl Context for Misloaded {}

impl HttpContext for Misloaded {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.log_once();
        let body = self.reason.as_bytes();
        if let Err(status) = hostcalls::send_http_response(STATUS, vec![], Some(body)) {
            log::error!("could not refuse the request: {status:?}");
        }
        Action::Pause
    }
}

impl StreamContext for Misloaded {
    fn on_new_connection(&mut self) -> Action {
        self.log_once();
        if !abi::close_downstream() {
            log::error!("could not close the connection");
        }
        Action::Pause
    }

    fn on_downstream_data(&mut self, _data_size: usize, _end_of_stream: bool) -> Action {
        Action::Pause
    }

    fn on_upstream_data(&mut self, _data_size: usize, _end_of_stream: bool) -> Action {
        Action::Pause
    }
}
