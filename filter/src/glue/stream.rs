//! The HTTP stream context: gathers the facts of one request with as few host calls
//! as the policy needs, asks the engine, and applies the verdict. Bytes are counted
//! in `on_log`, where Envoy knows the totals.

use std::rc::Rc;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};

use super::host::{
    self, CONNECTION_MTLS, LEGACY_LISTENER_DIRECTION, LISTENER_DIRECTION, PEER_URI_SAN,
    REQUEST_TOTAL_SIZE, RESPONSE_TOTAL_SIZE,
};
use super::metrics::{BorderIds, count_tag_mismatch, increment};
use super::root::Shared;
use crate::contract::{header, reply};
use crate::policy::{Direction, HeaderOp, Mode, Peer, RequestFacts, Verdict};

/// One HTTP stream.
pub struct MeshborderStream {
    shared: Rc<Shared>,
    /// The counters `on_log` adds this stream's bytes to: cross-cluster, cross-zone.
    metered: [Option<BorderIds>; 2],
}

impl MeshborderStream {
    /// A stream under the given configuration.
    pub fn new(shared: Rc<Shared>) -> Self {
        Self {
            shared,
            metered: [None, None],
        }
    }
}

/// The listener's direction, for a policy whose direction is `auto`.
fn listener_direction() -> Direction {
    let raw =
        host::property(LISTENER_DIRECTION).or_else(|| host::property(LEGACY_LISTENER_DIRECTION));
    Direction::from_listener_property(raw.as_deref())
}

impl Context for MeshborderStream {}

impl HttpContext for MeshborderStream {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let shared = Rc::clone(&self.shared);
        let policy = &shared.policy;
        let needs = policy.needs();
        let direction = needs.fixed_direction().unwrap_or_else(listener_direction);

        let mtls = needs.peer(direction)
            && Peer::mtls_from_property(host::property(CONNECTION_MTLS).as_deref());
        let san: Option<String> = if mtls {
            host::property(PEER_URI_SAN).and_then(|b| String::from_utf8(b).ok())
        } else {
            None
        };
        let buffer = if needs.headers(direction) {
            host::request_headers()
        } else {
            Vec::new()
        };
        let headers = policy.read_headers(&buffer);

        let facts = RequestFacts {
            direction,
            peer: Peer {
                mtls,
                uri_san: san.as_deref(),
            },
            headers: &headers,
        };
        let verdict = policy.decide(&facts);
        self.apply(&shared, &verdict)
    }

    fn on_log(&mut self) {
        if self.metered.iter().all(Option::is_none) {
            return;
        }
        let request = host::property_u64(REQUEST_TOTAL_SIZE).unwrap_or(0);
        let response = host::property_u64(RESPONSE_TOTAL_SIZE).unwrap_or(0);
        for ids in self.metered.iter().flatten() {
            increment(ids.request_bytes, request);
            increment(ids.response_bytes, response);
            increment(ids.requests, 1);
        }
    }
}

impl MeshborderStream {
    fn apply(&mut self, shared: &Shared, verdict: &Verdict<'_>) -> Action {
        if verdict.unknown_source
            && let Ok(metrics) = shared.metrics.try_borrow()
        {
            metrics.count_unknown_source();
        }
        if (verdict.metered || verdict.zone_metered)
            && let Ok(mut metrics) = shared.metrics.try_borrow_mut()
        {
            let source = &verdict.source;
            self.metered = [
                verdict
                    .metered
                    .then(|| metrics.xcluster_ids(source).ok())
                    .flatten(),
                verdict
                    .zone_metered
                    .then(|| metrics.xzone_ids(source).ok())
                    .flatten(),
            ];
        }
        if let Some(mismatch) = &verdict.mismatch {
            count_tag_mismatch(&shared.policy, mismatch.cluster);
            let admitted = shared
                .mismatch_log
                .try_borrow_mut()
                .ok()
                .and_then(|mut limiter| limiter.admit(host::now_nanos()));
            if let Some(held_back) = admitted {
                let line = shared.policy.tag_mismatch_line(mismatch, held_back);
                host::log_line(LogLevel::Warn, &line);
            }
        }
        if let Some(decision) = &verdict.decision {
            let level = match decision.mode {
                Mode::Enforce => LogLevel::Warn,
                Mode::Audit => LogLevel::Info,
            };
            host::log_line(level, &decision.log_line);
            if let Ok(metrics) = shared.metrics.try_borrow() {
                metrics.count_decision(decision.rule, decision.mode);
            }
        }
        if let Some(denial) = &verdict.denial {
            let headers = vec![
                (header::DENIED_BY, denial.rule),
                ("content-type", reply::CONTENT_TYPE),
            ];
            if let Err(status) =
                hostcalls::send_http_response(reply::STATUS, headers, Some(denial.body.as_bytes()))
            {
                log::error!("could not send the residency denial: {status:?}");
            }
            return Action::Pause;
        }
        for name in &verdict.lookalikes {
            host::remove_request_header(name);
        }
        for op in verdict.header_ops.iter() {
            match op {
                HeaderOp::Set(name, value) => host::set_request_header(name, value),
                HeaderOp::Remove(name) => host::remove_request_header(name),
            }
        }
        if let Some(line) = &verdict.guard_log {
            host::log_line(LogLevel::Info, line);
        }
        // No clear_route_cache call: Envoy clears the route cache itself whenever a
        // request header is edited, so the route is picked again from the headers
        // as edited here (the gateway tests route on a replaced header). One host
        // call fewer on every routed request.
        Action::Continue
    }
}
