//! The host side of the suite's TCP side: the release filter on the proxy-wasm
//! host with eu-west's database sidecar's plugin config and node, one VM for the
//! run (as Envoy's worker keeps one), and each connection carried through it as
//! Envoy carries it: the properties Envoy presents at the first byte (inbound
//! listener, destination port 5432, the requested server name, mTLS and the
//! caller's URI SAN), the caller's chunks until the filter closes, then Envoy's
//! close; or the upstream's answer, a tick of the filter's timer while a held
//! connection is open, and the close in the case's order: the client's (`Remote`),
//! or the upstream's (its last chunk with `end_of_stream`, then tcp_proxy closing
//! the client, `Local`).

use std::time::Instant;

use proxy_wasm_host::{ConnectionEvent, Direction, HostResult, PeerType, Vm};

use super::counters;
use super::host_side::{log_line, node, shipped};
use super::host_stream::INBOUND;
use super::tcp_case::{Closer, TcpCase};
use super::tcp_envoy_side::FILTER_TICK;
use super::tcp_outcome::{CloseOrder, Ending, TcpOutcome};
use crate::tcp::{DATABASE_PORT, DATABASE_SNI, EU_WEST_TCP, EU_WEST_TCP_PLUGIN};
use crate::topology::{EU_WEST_CLUSTER, EU_WEST_REGION, EU_WEST_ZONE};

/// eu-west's database sidecar on the host.
pub struct HostTcp {
    vm: Vm,
    clock: Instant,
}

impl HostTcp {
    /// The VM, from the shipped plugin config.
    pub fn start() -> HostResult<Self> {
        let config = shipped(EU_WEST_TCP_PLUGIN)?;
        let vm = node(&config, EU_WEST_CLUSTER, EU_WEST_REGION, EU_WEST_ZONE)?.start()?;
        Ok(Self {
            vm,
            clock: Instant::now(),
        })
    }

    /// Runs `case` through the VM.
    pub fn run(&mut self, case: &TcpCase) -> HostResult<TcpOutcome> {
        // The filter's clock follows the run's, as Envoy's timer does.
        self.vm.advance_clock(self.clock.elapsed())?;
        self.clock = Instant::now();
        let before = counters::from_vm(EU_WEST_TCP, &self.vm);
        let log_mark = self.vm.logs().len();
        let mut stream = self
            .vm
            .tcp_stream()
            .property(["xds", "listener_direction"], INBOUND)
            .property(["destination", "port"], u64::from(DATABASE_PORT))
            .property(["connection", "requested_server_name"], DATABASE_SNI)
            .connection_mtls(case.caller.cert.spiffe_id());
        stream.new_connection()?;
        for chunk in &case.sends {
            if stream.close_requested() {
                break;
            }
            stream.downstream_data(chunk, false)?;
        }
        let mut while_open = None;
        if stream.close_requested() {
            // Envoy closes the client once the callback returns; the upstream is
            // closed with it and answers nothing.
            stream.downstream_close(PeerType::Local)?;
        } else {
            let chunks = case.answer.len();
            for (index, chunk) in case.answer.iter().enumerate() {
                let last = index + 1 == chunks;
                stream.upstream_data(chunk, last && case.closer == Closer::Upstream)?;
            }
            if case.held {
                stream.advance_clock(FILTER_TICK)?;
                while_open = Some(counters::changes(
                    &before,
                    &counters::from_vm(EU_WEST_TCP, stream.vm()),
                ));
            }
            let peer = match case.closer {
                Closer::Client => PeerType::Remote,
                Closer::Upstream => PeerType::Local,
            };
            stream.downstream_close(peer)?;
        }
        stream.finish()?;
        let to_upstream = stream.passed(Direction::Downstream).to_vec();
        let to_client = stream.passed(Direction::Upstream).to_vec();
        let closed = stream.close_requested();
        let close_order = close_order(closed, stream.events());
        let ending = if closed && to_upstream.is_empty() {
            Ending::ClosedBeforeUpstream
        } else {
            Ending::Accepted
        };
        Ok(TcpOutcome {
            ending,
            to_upstream,
            to_client,
            close_order,
            counters: counters::changes(&before, &counters::from_vm(EU_WEST_TCP, &self.vm)),
            while_open,
            logs: self.new_logs(log_mark),
        })
    }

    /// The filter's JSON lines since `mark`.
    fn new_logs(&self, mark: usize) -> Vec<String> {
        self.vm
            .logs()
            .get(mark..)
            .unwrap_or_default()
            .iter()
            .filter(|record| record.message.starts_with('{'))
            .map(|record| log_line(EU_WEST_TCP, record))
            .collect()
    }
}

/// Who closed first, from the close callbacks the filter got: the filter's own
/// close when it asked for one, else the upstream when its close came before the
/// client's.
fn close_order(close_requested: bool, events: &[ConnectionEvent]) -> CloseOrder {
    if close_requested {
        return CloseOrder::ProxyClosed;
    }
    let closed = |side: Direction| {
        events.iter().position(
            |e| matches!(e, ConnectionEvent::Closed { direction, .. } if *direction == side),
        )
    };
    match (closed(Direction::Upstream), closed(Direction::Downstream)) {
        (Some(upstream), Some(downstream)) if upstream < downstream => CloseOrder::UpstreamFirst,
        (Some(_), None) => CloseOrder::UpstreamFirst,
        _ => CloseOrder::ClientFirst,
    }
}
