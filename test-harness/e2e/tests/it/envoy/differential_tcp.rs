//! The differential suite's TCP side: the same release `.wasm` and eu-west's
//! database sidecar's plugin config (`eu-west-tcp-plugin.json`), and the same
//! connections, through real Envoy (a caller's TCP sidecar, eu-west's database
//! sidecar running the filter as a network filter, a scripted upstream in place of
//! the database) and through the proxy-wasm host set up as Envoy presents the
//! filter, every outcome compared field by field: accepted or closed before any
//! byte reached the upstream, the bytes each end received, who closed first, every
//! counter's change (at the end, and while a held connection is open across a tick
//! of the filter's timer) and the filter's log lines. The connections: seven shapes
//! (one byte to 200 kB, one write or many, answers smaller and larger, the client
//! or the upstream closing first) from each of five callers (eu-central allowed
//! and metered, eu-west allowed and local, us-east denied by the rule, and two
//! unknown sources), and two held connections. Any difference fails, printing the
//! connection and both outcomes.

use std::net::SocketAddr;
use std::time::Instant;

use meshborder_e2e::differential::tcp_case::{self, TCP_DIFFERENTIAL_CALLERS};
use meshborder_e2e::differential::tcp_envoy_side::EnvoyTcp;
use meshborder_e2e::differential::tcp_host_side::HostTcp;
use meshborder_e2e::differential::tcp_run::compare;
use meshborder_e2e::differential::tcp_upstream::ScriptedUpstream;
use meshborder_e2e::envoy::version;
use meshborder_e2e::mesh::TcpPair;
use meshborder_e2e::ports::{LOOPBACK, TcpPorts};

use super::tcp_support::run;

#[test]
fn envoy_and_the_wasm_host_give_every_connection_the_same_outcome() {
    let started = Instant::now();
    let (run_dir, _pki, files) = run("differential-tcp");
    let upstream = ScriptedUpstream::start(SocketAddr::new(LOOPBACK, 0)).unwrap();
    let pair = TcpPair::start(
        LOOPBACK,
        &TcpPorts::EPHEMERAL,
        upstream.addr(),
        &TCP_DIFFERENTIAL_CALLERS,
        &files,
        &run_dir,
    )
    .unwrap();
    let cases = tcp_case::cases();
    let mut envoy = EnvoyTcp::new(&pair, &upstream).unwrap();
    let mut host = HostTcp::start().unwrap();
    let score = compare(&mut envoy, &mut host, &cases).unwrap();

    meshborder_e2e::show!(
        "differential (TCP) on Envoy {}: {} connections compared, each through Envoy and \
         through the wasm host; by caller: {:?}; endings on Envoy: {:?}; {} difference(s); \
         {:.1} s",
        version::version().unwrap(),
        score.compared,
        score.callers,
        score.endings,
        score.differences.len(),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        score.differences.is_empty(),
        "{} of {} connections differ:\n\n{}",
        score.differences.len(),
        score.compared,
        score.differences.join("\n\n")
    );
    assert_eq!(score.compared, cases.len());
}
