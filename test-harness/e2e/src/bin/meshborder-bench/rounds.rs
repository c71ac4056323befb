//! The throughput runs: every case (`cases.rs`: the outbound requests direct or
//! proxied, and the inbound metered request over mTLS through the front Envoy) on
//! every config that has it, in interleaved rounds (bare, no-op, floor, meshborder,
//! Lua, then again), so that drift in the machine hits every config alike. Each run
//! also reads the measured Envoy's CPU time, to show that Envoy's core, not the
//! client, was the limit, and in the inbound case the front's, apart.
//!
//! The TCP runs go the same way: every flow (caller to upstream, upstream to
//! caller) on every TCP config, one bulk transfer per run, in interleaved rounds.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use meshborder_e2e::client::{Request, Response};
use meshborder_e2e::workload::{RequestKind, Workload, WorkloadRequest};
use meshborder_e2e::{HarnessError, Result};
use meshborder_filter::contract::header;

use crate::cases::{Case, Mode};
use crate::configs::{Artifacts, Config, Running, TcpRunning};
use crate::front::Front;
use crate::inbound;
use crate::load::{self, LoadResult, LoadSettings};
use crate::upstream::{BULK_HEADER_LEN, Flow};
use meshborder_e2e::machine;
use meshborder_e2e::prometheus;
use meshborder_filter::contract::metric;

/// One run's figures, with Envoy's CPU use during it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// What the load generator measured.
    pub load: LoadResult,
    /// Envoy's CPU seconds per second of the run (1.0: one core busy).
    pub envoy_cpu: f64,
    /// Envoy's CPU time per request, in microseconds: what a request cost Envoy,
    /// whatever else ran on the machine.
    pub cpu_per_request_us: f64,
    /// In the inbound case, the front Envoy's CPU seconds per second of the run,
    /// read apart: it shares the load generator's core and counts in no figure
    /// above.
    pub front_cpu: Option<f64>,
}

/// Every sample, by case and config, in round order.
pub type Samples = BTreeMap<(Case, Config), Vec<Sample>>;

/// Where the load generator sends `case` for `running`: the outbound listener of
/// its mode, or the front before the inbound one; `None` when the config does not
/// run the case.
fn target(running: &Running, case: Case) -> Option<SocketAddr> {
    match case {
        Case::Outbound(mode, _) => Some(outbound_listener(running, mode)),
        Case::InboundMetered => running.front.as_ref().map(|front| front.listener),
    }
}

/// The outbound listener of `running` that answers as `mode` says.
fn outbound_listener(running: &Running, mode: Mode) -> SocketAddr {
    match mode {
        Mode::Direct => running.direct,
        Mode::Proxied => running.proxied,
    }
}

/// Checks that every config answers every case as it should before anything is
/// measured: meshborder and Lua deny the denied request and route the routed one;
/// bare Envoy and the no-op filter answer everything with 200; the inbound case as
/// `inbound::check` says. Prints what the builds of meshborder metered.
pub fn check(envoys: &[Running], workload: &Workload, artifacts: &Artifacts) -> Result<()> {
    for running in envoys {
        for case in Case::all() {
            match case {
                Case::Outbound(mode, kind) => {
                    check_outbound(running, workload, artifacts, mode, kind)?;
                }
                Case::InboundMetered => {
                    if let Some(front) = &running.front
                        && let Some(metered) = inbound::check(running, front, workload, artifacts)?
                    {
                        println!("  {}: {metered}", running.config.name(artifacts));
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_outbound(
    running: &Running,
    workload: &Workload,
    artifacts: &Artifacts,
    mode: Mode,
    kind: RequestKind,
) -> Result<()> {
    let case = Case::Outbound(mode, kind);
    let response = send_one(outbound_listener(running, mode), &case.request(workload))?;
    let filters = running.config.filters();
    let expected = if filters && kind == RequestKind::Denied {
        403
    } else {
        200
    };
    let routed_body = mode == Mode::Direct && filters && kind == RequestKind::Routed;
    let body_ok = !routed_body || response.text() == "routed\n";
    let denied_ok = expected != 403 || response.header(header::DENIED_BY).is_some();
    if response.status != expected || !body_ok || !denied_ok {
        return Err(HarnessError::Http {
            context: format!("{} {}", running.config.name(artifacts), case.name()),
            reason: format!(
                "answered {} `{}`, expected {expected}",
                response.status,
                response.text().trim()
            ),
        });
    }
    Ok(())
}

/// Sends `request` once to `addr`, on a connection of its own.
pub fn send_one(addr: SocketAddr, request: &WorkloadRequest) -> Result<Response> {
    as_request(request).send(addr)
}

/// A workload request as the rig's client sends it.
pub fn as_request(request: &WorkloadRequest) -> Request {
    let mut one = Request::get(&request.path).header("host", &request.authority);
    for (name, value) in &request.headers {
        one = one.header(name, value);
    }
    one
}

/// Runs `rounds` interleaved rounds, after one unrecorded warm-up round of
/// `warm_up` settings; prints progress as it goes.
pub fn run(
    envoys: &[Running],
    workload: &Workload,
    settings: &LoadSettings,
    warm_up: &LoadSettings,
    rounds: usize,
) -> Result<Samples> {
    let mut samples = Samples::new();
    for round in 0..=rounds {
        let started = Instant::now();
        let current = if round == 0 { warm_up } else { settings };
        for case in Case::all() {
            let request = case.request(workload);
            for running in envoys {
                let Some(addr) = target(running, case) else {
                    continue;
                };
                let front = running
                    .front
                    .as_ref()
                    .filter(|_| case == Case::InboundMetered);
                let sample = measure(running, addr, front, &request, current)?;
                if round > 0 {
                    samples
                        .entry((case, running.config))
                        .or_default()
                        .push(sample);
                }
            }
        }
        let label = if round == 0 {
            "warm-up".to_owned()
        } else {
            format!("round {round}/{rounds}")
        };
        println!(
            "  {label} done in {:.0}s (load average {})",
            started.elapsed().as_secs_f64(),
            machine::load_average()
        );
    }
    Ok(samples)
}

/// One run against `addr`, with the measured Envoy's CPU time and, when the run
/// goes through `front`, the front's.
fn measure(
    running: &Running,
    addr: SocketAddr,
    front: Option<&Front>,
    request: &WorkloadRequest,
    settings: &LoadSettings,
) -> Result<Sample> {
    let pid = running.envoy.pid();
    let cpu_before = machine::cpu_seconds(pid);
    let front_before = front.map(|front| {
        let pid = front.envoy.pid();
        (pid, machine::cpu_seconds(pid))
    });
    let started = Instant::now();
    let load = load::run(addr, request, settings)?;
    let elapsed = started.elapsed().as_secs_f64().max(f64::EPSILON);
    let cpu = machine::cpu_seconds(pid) - cpu_before;
    let front_cpu =
        front_before.map(|(front, before)| (machine::cpu_seconds(front) - before) / elapsed);
    #[expect(
        clippy::cast_precision_loss,
        reason = "request counts are far below 2^52"
    )]
    let requests = load.requests.max(1) as f64;
    Ok(Sample {
        load,
        envoy_cpu: cpu / elapsed,
        cpu_per_request_us: cpu / requests * 1e6,
        front_cpu,
    })
}

/// One TCP transfer's figures, with Envoy's CPU use during it.
#[derive(Debug, Clone, Copy)]
pub struct TcpSample {
    /// Megabytes (10^6 bytes) per second, end to end.
    pub mb_per_s: f64,
    /// Envoy's CPU seconds per second of the transfer (1.0: one core busy).
    pub envoy_cpu: f64,
    /// Envoy's CPU time per megabyte, in microseconds.
    pub cpu_per_mb_us: f64,
}

/// Every TCP sample, by flow and config, in round order.
pub type TcpSamples = BTreeMap<(Flow, Config), Vec<TcpSample>>;

/// The bytes of each transfer of [`check_tcp`].
const TCP_CHECK_BYTES: u64 = 1 << 20;

/// Checks that every TCP config carries a transfer each way before anything is
/// measured, and that meshborder took it for what the bench says it measures: an
/// allowed connection from an unknown source, whose bytes it counted, every one.
pub fn check_tcp(envoys: &[TcpRunning], artifacts: &Artifacts) -> Result<()> {
    for running in envoys {
        for flow in Flow::ALL {
            load::transfer(running.listener, flow, TCP_CHECK_BYTES)?;
        }
        if running.config.meters() {
            check_counted(running, artifacts)?;
        }
    }
    Ok(())
}

/// The bytes of [`check_tcp`]'s two transfers that meshborder counted, received
/// and sent, against what went through: a header each way up, the upload and
/// the upstream's 8-byte answer to it, and the download.
fn check_counted(running: &TcpRunning, artifacts: &Artifacts) -> Result<()> {
    let header = BULK_HEADER_LEN as u64;
    let expected = [
        ("received", 2 * header + TCP_CHECK_BYTES),
        ("sent", 8 + TCP_CHECK_BYTES),
    ];
    // The counts are flushed when a connection closes, which Envoy may do a moment
    // after the caller saw the last byte.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = running.envoy.prometheus()?;
        let counted = expected.map(|(direction, _)| {
            prometheus::samples(&text, metric::XCLUSTER_TCP_BYTES.prometheus)
                .iter()
                .filter(|sample| {
                    sample.label("direction") == Some(direction)
                        && sample.label("source_cluster") == Some("unknown")
                })
                .map(|sample| sample.value)
                .sum::<u64>()
        });
        let want = expected.map(|(_, bytes)| bytes);
        if counted == want {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(running.envoy.error(&format!(
                "{} counted {counted:?} bytes (received, sent) from an unknown source, expected {want:?}",
                running.config.name(artifacts)
            )));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `rounds` interleaved rounds of transfers of `bytes`, after one unrecorded
/// warm-up round of `warm_up_bytes`; prints progress as it goes.
pub fn run_tcp(
    envoys: &[TcpRunning],
    bytes: u64,
    warm_up_bytes: u64,
    rounds: usize,
) -> Result<TcpSamples> {
    let mut samples = TcpSamples::new();
    for round in 0..=rounds {
        let started = Instant::now();
        let current = if round == 0 { warm_up_bytes } else { bytes };
        for flow in Flow::ALL {
            for running in envoys {
                let sample = measure_tcp(running, flow, current)?;
                if round > 0 {
                    samples
                        .entry((flow, running.config))
                        .or_default()
                        .push(sample);
                }
            }
        }
        let label = if round == 0 {
            "TCP warm-up".to_owned()
        } else {
            format!("TCP round {round}/{rounds}")
        };
        println!(
            "  {label} done in {:.0}s (load average {})",
            started.elapsed().as_secs_f64(),
            machine::load_average()
        );
    }
    Ok(samples)
}

fn measure_tcp(running: &TcpRunning, flow: Flow, bytes: u64) -> Result<TcpSample> {
    let pid = running.envoy.pid();
    let cpu_before = machine::cpu_seconds(pid);
    let elapsed = load::transfer(running.listener, flow, bytes)?.as_secs_f64();
    let cpu = machine::cpu_seconds(pid) - cpu_before;
    #[expect(clippy::cast_precision_loss, reason = "byte counts are far below 2^52")]
    let megabytes = bytes.max(1) as f64 / 1e6;
    Ok(TcpSample {
        mb_per_s: megabytes / elapsed.max(f64::EPSILON),
        envoy_cpu: cpu / elapsed.max(f64::EPSILON),
        cpu_per_mb_us: cpu / megabytes * 1e6,
    })
}

/// The median of `values` (the mean of the middle two when even); 0 when empty.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values.get(n / 2).copied().unwrap_or(0.0),
        _ => {
            let low = values.get(n / 2 - 1).copied().unwrap_or(0.0);
            let high = values.get(n / 2).copied().unwrap_or(0.0);
            (low + high) / 2.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(vec![5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(Vec::new()), 0.0);
    }
}
