//! The filter's deterministic cost on the wasm host ([`proxy_wasm_host`]): fuel and
//! host calls per request for each kind of [`crate::workload`] request, and the
//! guest's linear memory over a long run. Fuel counts wasm instructions, so these
//! figures are free of machine noise: the fuel regression test compares them with a
//! recorded baseline, and `make bench` reports them. Host calls count the crossings
//! into the host, which fuel does not see: in Envoy each one is a call through the
//! wasm runtime, and most copy a header map or a value.
//!
//! A request is sent as Envoy would on an outbound listener: request headers, then,
//! unless the filter replied itself, response headers and a short body, then
//! `on_log`, `on_done`, `on_delete`. Its fuel and its host calls are sums over every
//! callback; the host calls are also kept by callback. A TCP connection is measured
//! the same way ([`tcp`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::workload::{self, RequestKind, Workload, WorkloadRequest};
use meshborder_filter::contract::header;
use proxy_wasm_host::{CallRecord, HostResult, HttpStream, Vm};

pub mod tcp;

/// `["xds","listener_direction"]` of an outbound listener.
const OUTBOUND: u64 = 2;
/// `["xds","listener_direction"]` of an inbound listener.
const INBOUND: u64 = 1;
/// Requests of a kind sent before the one that is measured, so that first-time
/// work (a counter defined, a table grown) is not counted.
const WARM_UP: usize = 3;
/// The peer of the inbound request: a SAN the workload's `trustedPeers` match.
const TRUSTED_PEER: &str = "spiffe://cluster.local/ns/shop/sa/frontend";
/// The cluster the inbound request comes from.
const CALLER: &str = "eu-west";
/// How often a long run forgets the host's records of past requests.
const FORGET_EVERY: u64 = 1_000;

/// What one measured request cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFuel {
    /// Fuel over every callback of the request.
    pub fuel: u64,
    /// Host calls over every callback of the request: each call of a proxy-wasm
    /// (`env`) or WASI import once.
    pub host_calls: u64,
    /// The same host calls by import name (`proxy_get_header_map_pairs`,
    /// `proxy_log`, ...).
    pub host_calls_by_import: BTreeMap<Cow<'static, str>, u64>,
    /// The same host calls by callback (its export's name, `proxy_on_log`, ...),
    /// then by import; a callback that made none is left out.
    pub host_calls_by_callback: HostCallsByCallback,
    /// Whether the filter answered it with a local reply.
    pub replied: bool,
}

/// Host calls by callback export, then by import name.
pub type HostCallsByCallback = BTreeMap<&'static str, BTreeMap<Cow<'static, str>, u64>>;

impl RequestFuel {
    /// The cost of the callbacks in `calls`.
    pub fn of(calls: &[CallRecord], replied: bool) -> Self {
        let mut host_calls_by_import = BTreeMap::<Cow<'static, str>, u64>::new();
        let mut host_calls_by_callback = HostCallsByCallback::new();
        for call in calls {
            for (name, count) in &call.host_calls_by_import {
                *host_calls_by_import.entry(name.clone()).or_default() += count;
                *host_calls_by_callback
                    .entry(call.callback.export())
                    .or_default()
                    .entry(name.clone())
                    .or_default() += count;
            }
        }
        Self {
            fuel: calls.iter().map(|call| call.fuel).sum(),
            host_calls: calls.iter().map(|call| call.host_calls).sum(),
            host_calls_by_import,
            host_calls_by_callback,
            replied,
        }
    }
}

/// Starts the release filter with the workload's plugin config.
pub fn start(workload: &Workload) -> HostResult<Vm> {
    crate::host::release_filter()?
        .config_json(&workload.plugin_config().to_string())
        .start()
}

/// The fuel and host calls of one request of `kind`, after [`WARM_UP`] requests
/// like it.
pub fn request_fuel(
    vm: &mut Vm,
    workload: &Workload,
    kind: RequestKind,
) -> HostResult<RequestFuel> {
    let request = workload.request(kind);
    for _ in 0..WARM_UP {
        send(outbound(vm), &request)?;
    }
    send(outbound(vm), &request)
}

/// The fuel and host calls of one inbound request from a trusted peer of another
/// cluster: tags believed, no rule covers it, bytes and requests metered in
/// `on_log`.
pub fn inbound_metered_fuel(vm: &mut Vm, workload: &Workload) -> HostResult<RequestFuel> {
    let request = inbound_metered_request(workload);
    for _ in 0..WARM_UP {
        send(inbound(vm), &request)?;
    }
    send(inbound(vm), &request)
}

/// The inbound metered request: the tag-only request with the tags a caller in
/// another cluster sends, as its own meshborder sets them outbound: its cluster,
/// and its region (which agrees with the `clusters` table, so the inbound side
/// believes both and writes no header).
pub fn inbound_metered_request(workload: &Workload) -> WorkloadRequest {
    let mut request = workload.request(RequestKind::TagOnly);
    request
        .headers
        .push((header::SOURCE_CLUSTER.to_owned(), CALLER.to_owned()));
    if let Some(region) = workload::cluster_region(CALLER) {
        request
            .headers
            .push((header::SOURCE_REGION.to_owned(), region.to_owned()));
    }
    request
}

/// A stream on an inbound listener, over mTLS from a trusted peer.
pub fn inbound(vm: &mut Vm) -> HttpStream<'_> {
    vm.http_stream()
        .property(["xds", "listener_direction"], INBOUND)
        .connection_mtls(TRUSTED_PEER)
}

/// Sends `request` through `stream` to its end; returns its fuel and host calls.
pub fn send(mut stream: HttpStream<'_>, request: &WorkloadRequest) -> HostResult<RequestFuel> {
    let mut headers: Vec<(&str, &str)> = vec![
        (":method", "GET"),
        (":scheme", "http"),
        (":authority", &request.authority),
        (":path", &request.path),
        ("user-agent", "meshborder-bench"),
        ("accept", "*/*"),
    ];
    headers.extend(
        request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    stream.request_headers(&headers, true)?;
    let replied = stream.local_response().is_some();
    if !replied {
        stream.response_headers(
            &[
                (":status", "200"),
                ("content-type", "text/plain"),
                ("content-length", "3"),
            ],
            false,
        )?;
        stream.response_body(b"ok\n", true)?;
    }
    stream.finish()?;
    Ok(RequestFuel::of(&stream.calls(), replied))
}

/// The guest's linear memory over a long run of the three request kinds in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryRun {
    /// Requests sent before the first reading.
    pub warm_up: u64,
    /// Requests sent after it.
    pub requests: u64,
    /// Linear memory after the warm-up, in bytes.
    pub after_warm_up: u64,
    /// Linear memory at the end, in bytes.
    pub after: u64,
    /// The largest reading, taken every [`FORGET_EVERY`] requests.
    pub peak: u64,
}

/// Sends `warm_up` requests, reads the memory, sends `requests` more, reads it again.
pub fn memory_run(workload: &Workload, warm_up: u64, requests: u64) -> HostResult<MemoryRun> {
    let mut vm = start(workload)?;
    let kinds: Vec<WorkloadRequest> = RequestKind::ALL
        .iter()
        .map(|kind| workload.request(*kind))
        .collect();
    let mut sent: u64 = 0;
    let mut run = |vm: &mut Vm, count: u64, peak: &mut u64| -> HostResult<()> {
        for _ in 0..count {
            let index = usize::try_from(sent % 3).unwrap_or(0);
            if let Some(request) = kinds.get(index) {
                send(outbound(vm), request)?;
            }
            sent += 1;
            if sent.is_multiple_of(FORGET_EVERY) {
                vm.forget_history();
                *peak = (*peak).max(vm.memory_bytes());
            }
        }
        vm.forget_history();
        Ok(())
    };
    let mut peak = 0;
    run(&mut vm, warm_up, &mut peak)?;
    let after_warm_up = vm.memory_bytes();
    peak = after_warm_up;
    run(&mut vm, requests, &mut peak)?;
    let after = vm.memory_bytes();
    Ok(MemoryRun {
        warm_up,
        requests,
        after_warm_up,
        after,
        peak: peak.max(after),
    })
}

/// A stream on an outbound listener, as the workload's filter runs.
pub fn outbound(vm: &mut Vm) -> HttpStream<'_> {
    vm.http_stream()
        .property(["xds", "listener_direction"], OUTBOUND)
}
