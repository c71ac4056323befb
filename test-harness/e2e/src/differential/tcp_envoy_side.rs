//! The Envoy side of the suite's TCP side: a connection through a caller's TCP
//! sidecar to eu-west's database sidecar (the filter as a network filter) and on
//! to the [`ScriptedUpstream`], and its outcome read off what the client, the
//! upstream and Envoy leave behind. eu-west's TCP access log is the barrier: a
//! connection is over once its `TcpConnectionEnd` line is there, and only then are
//! the upstream's record (found by the line's `upstream_local`), the counters and
//! the filter's log lines read. A held connection's counters are read while it is
//! open, once a full period of the filter's timer has passed since its answer.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use super::counters::{self, Readings};
use super::envoy_side::filter_messages;
use super::tcp_case::TcpCase;
use super::tcp_client;
use super::tcp_outcome::{CloseOrder, Ending, TcpOutcome};
use super::tcp_upstream::{Plan, ScriptedUpstream, UpstreamRecord};
use crate::envoy::Envoy;
use crate::error::Result;
use crate::mesh::TcpPair;
use crate::poll;
use crate::tcp::{self, EU_WEST_TCP};

/// The filter's timer period (`on_tick`, which flushes open connections' counts).
pub const FILTER_TICK: Duration = Duration::from_secs(5);
/// How long a held connection stays open before its counters are read: a full
/// period, and a margin for the worker's timer.
const HELD_FOR: Duration = Duration::from_millis(5_600);

/// The TCP pair as the suite reads it, with what it had read before the
/// connection.
pub struct EnvoyTcp<'r> {
    pair: &'r TcpPair,
    upstream: &'r ScriptedUpstream,
    readings: Readings,
}

impl<'r> EnvoyTcp<'r> {
    /// Starts reading `pair`, whose database is `upstream`.
    pub fn new(pair: &'r TcpPair, upstream: &'r ScriptedUpstream) -> Result<Self> {
        Ok(Self {
            readings: read_counters(&pair.eu_west.envoy)?,
            pair,
            upstream,
        })
    }

    /// Runs `case` and reads its outcome.
    pub fn run(&mut self, case: &TcpCase) -> Result<TcpOutcome> {
        let envoy = &self.pair.eu_west.envoy;
        let ended_mark = tcp::ended_connections(&envoy.access_log()).len();
        let log_mark = envoy.log().len();
        self.upstream.set_plan(Plan::of(case));
        let listener = self.pair.caller(&case.caller)?.listener;
        let before = &self.readings;
        let mut while_open = None;
        let client = tcp_client::run(listener, case, || {
            thread::sleep(HELD_FOR);
            while_open = Some(counters::changes(before, &read_counters(envoy)?));
            Ok(())
        })?;
        let ended = poll::until(
            &format!("eu-west's access log line of {}", case.label),
            || {
                Ok(tcp::ended_connections(&envoy.access_log())
                    .get(ended_mark)
                    .cloned())
            },
        )?;
        let upstream = match ended.get("upstream_local").map(str::parse::<SocketAddr>) {
            Some(Ok(peer)) => Some(poll::until(
                &format!("the upstream's record of {}", case.label),
                || Ok(self.upstream.take_record(peer)),
            )?),
            _ => None,
        };
        let after = read_counters(envoy)?;
        let moved = counters::changes(&self.readings, &after);
        self.readings = after;
        let text = envoy.log();
        let fresh = text.get(log_mark..).unwrap_or_default();
        Ok(outcome(client, upstream, moved, while_open, fresh))
    }
}

fn outcome(
    client: tcp_client::ClientRecord,
    upstream: Option<UpstreamRecord>,
    counters: Readings,
    while_open: Option<Readings>,
    log: &str,
) -> TcpOutcome {
    let upstream_closed_first = upstream.as_ref().is_some_and(|u| u.closed_first);
    let to_upstream = upstream.map(|u| u.received).unwrap_or_default();
    let close_order = if upstream_closed_first {
        CloseOrder::UpstreamFirst
    } else if client.saw_close {
        CloseOrder::ProxyClosed
    } else {
        CloseOrder::ClientFirst
    };
    let ending = if to_upstream.is_empty() && close_order == CloseOrder::ProxyClosed {
        Ending::ClosedBeforeUpstream
    } else {
        Ending::Accepted
    };
    TcpOutcome {
        ending,
        to_upstream,
        to_client: client.received,
        close_order,
        counters,
        while_open,
        logs: filter_messages(log)
            .into_iter()
            .map(|(level, message)| format!("{EU_WEST_TCP} {level} {message}"))
            .collect(),
    }
}

/// The filter's counters of eu-west's database sidecar.
fn read_counters(envoy: &Envoy) -> Result<Readings> {
    let text = envoy.admin_get("/stats/prometheus?filter=meshborder")?;
    Ok(counters::from_prometheus(EU_WEST_TCP, &text))
}
