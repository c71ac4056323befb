//! The soak's TCP phase: long-lived PostgreSQL connections from eu-central through
//! the TCP pair (eu-central's outbound TCP sidecar, mTLS, eu-west's inbound TCP
//! sidecar with the filter as a network filter), each sending a small query every
//! second for the whole phase. Afterwards eu-west's TCP counters must equal what
//! tcp_proxy's access log reports for those connections, to the byte, every query
//! must have been answered, and eu-west's memory must stay flat after the warm-up.

use std::fmt;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use meshborder_filter::contract::{label, metric, value};

use super::memory::MemorySample;
use super::report::{Check, MemoryTrend, Tolerance};
use super::verdict::describe;
use crate::access_log::AccessEntry;
use crate::certs::TestPki;
use crate::envoy::Envoy;
use crate::error::Result;
use crate::mesh::TcpPair;
use crate::ports::{LOOPBACK, TcpPorts};
use crate::postgres::{Postgres, SteadyConnection};
use crate::tcp::{self, EU_CENTRAL_DB_CLIENT};
use crate::topology::{ConfigFiles, EU_WEST_CLUSTER, EU_WEST_REGION};
use crate::{paths, poll, prometheus};

/// How often each connection sends a query.
const QUERY_EVERY: Duration = Duration::from_secs(1);
/// How often eu-west's memory is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// The figures and checks of one TCP phase.
#[derive(Debug, Clone)]
pub struct TcpPhase {
    /// How long the connections were held open.
    pub held: Duration,
    /// How many connections.
    pub connections: usize,
    /// Queries sent and answers read, over every connection.
    pub queries: u64,
    /// Answers read.
    pub answers: u64,
    /// Bytes the counters show (received, sent) and the access log (received, sent).
    pub counted: (u64, u64),
    /// The access log's bytes (received, sent).
    pub logged: (u64, u64),
    /// Connections the counter shows, and the access log.
    pub connections_counted: u64,
    /// eu-west's memory after warm-up.
    pub memory: Option<MemoryTrend>,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

impl TcpPhase {
    /// Runs `connections` connections for `held` in `run_dir`; memory is compared
    /// from the first sample after `warmup`.
    pub fn run(
        held: Duration,
        connections: usize,
        warmup: Duration,
        run_dir: &Path,
    ) -> Result<Self> {
        paths::fresh_dir(run_dir)?;
        let wasm = paths::filter_wasm()?;
        let pki = TestPki::generate(&run_dir.join("certs"))?;
        let files = ConfigFiles::local(&wasm, &pki);
        let postgres = Postgres::start(run_dir)?;
        let pair = TcpPair::start(
            LOOPBACK,
            &TcpPorts::EPHEMERAL,
            postgres.addr(),
            &[EU_CENTRAL_DB_CLIENT],
            &files,
            run_dir,
        )?;
        let caller = pair.caller(&EU_CENTRAL_DB_CLIENT)?;
        let eu_west = &pair.eu_west.envoy;

        let steady = (0..connections)
            .map(|n| SteadyConnection::start(caller.listener, &format!("soak-{n}"), QUERY_EVERY))
            .collect::<Result<Vec<_>>>()?;
        let started = Instant::now();
        let mut samples = Vec::new();
        while started.elapsed() < held {
            thread::sleep(SAMPLE_EVERY);
            if started.elapsed() >= warmup {
                samples.push(MemorySample::read(eu_west)?);
            }
        }
        let (mut queries, mut answers) = (0, 0);
        for connection in steady {
            let outcome = connection.finish()?;
            queries += outcome.queries;
            answers += outcome.answers;
        }
        let entries = poll::until("every soak connection in eu-west's TCP access log", || {
            let ended = ended(eu_west);
            Ok((ended.len() >= connections).then_some(ended))
        })?;
        let logged = (sum(&entries, "bytes_received"), sum(&entries, "bytes_sent"));
        let logged_connections = u64::try_from(entries.len()).unwrap_or(u64::MAX);
        // The close flushes the counters a moment after the access log line.
        let (counted, connections_counted) = poll::until("the TCP counters to settle", || {
            let counted = counters(eu_west)?;
            Ok((counted == (logged, logged_connections)).then_some(counted))
        })
        .or_else(|_| counters(eu_west))?;
        let memory = MemoryTrend::of(&samples);
        let mut phase = Self {
            held: started.elapsed(),
            connections,
            queries,
            answers,
            counted,
            logged,
            connections_counted,
            memory,
            checks: Vec::new(),
        };
        phase.checks = phase.check(logged_connections);
        Ok(phase)
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }

    fn check(&self, logged_connections: u64) -> Vec<Check> {
        let flat = self
            .memory
            .as_ref()
            .is_some_and(|trend| trend.is_flat(Tolerance::SOAK));
        vec![
            Check {
                name: "every query of the long-lived connections was answered",
                passed: self.queries > 0 && self.answers == self.queries,
                detail: format!("{} queries, {} answers", self.queries, self.answers),
            },
            Check {
                name: "meshborder_xcluster_tcp_bytes_total equals eu-west's TCP access log",
                passed: self.counted == self.logged
                    && self.connections_counted == logged_connections,
                detail: format!(
                    "received {} counted, {} logged; sent {} counted, {} logged; connections {} counted, {} logged",
                    self.counted.0,
                    self.logged.0,
                    self.counted.1,
                    self.logged.1,
                    self.connections_counted,
                    logged_connections
                ),
            },
            Check {
                name: "eu-west's memory flat while the connections stayed open",
                passed: flat,
                detail: self
                    .memory
                    .as_ref()
                    .map_or_else(|| "no sample after warm-up".to_owned(), describe),
            },
        ]
    }
}

/// eu-west's ended connections from eu-central.
fn ended(envoy: &Envoy) -> Vec<AccessEntry> {
    let peer = EU_CENTRAL_DB_CLIENT.cert.spiffe_id();
    tcp::ended_connections(&envoy.access_log())
        .into_iter()
        .filter(|entry| entry.get("peer") == Some(peer))
        .collect()
}

fn sum(entries: &[AccessEntry], field: &str) -> u64 {
    entries.iter().filter_map(|entry| entry.number(field)).sum()
}

/// eu-west's counted bytes (received, sent) and connections from eu-central.
fn counters(envoy: &Envoy) -> Result<((u64, u64), u64)> {
    let text = envoy.prometheus()?;
    let caller = EU_CENTRAL_DB_CLIENT;
    let bytes = |direction| {
        let labels = [
            (label::DIRECTION, direction),
            (label::SOURCE_CLUSTER, caller.cluster),
            (label::SOURCE_REGION, caller.region),
            (label::DESTINATION_CLUSTER, EU_WEST_CLUSTER),
            (label::DESTINATION_REGION, EU_WEST_REGION),
        ];
        prometheus::value(&text, metric::XCLUSTER_TCP_BYTES.prometheus, &labels).unwrap_or(0)
    };
    let pair = [
        (label::SOURCE_CLUSTER, caller.cluster),
        (label::DESTINATION_CLUSTER, EU_WEST_CLUSTER),
    ];
    let connections =
        prometheus::value(&text, metric::XCLUSTER_TCP_CONNECTIONS.prometheus, &pair).unwrap_or(0);
    Ok(((bytes(value::RECEIVED), bytes(value::SENT)), connections))
}

impl fmt::Display for TcpPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "tcp       {} PostgreSQL connections from eu-central held open {:.1} s, a query a second each: {} queries, {} answers",
            self.connections,
            self.held.as_secs_f64(),
            self.queries,
            self.answers
        )?;
        writeln!(
            f,
            "tcp       bytes received {} counted, {} logged; sent {} counted, {} logged",
            self.counted.0, self.logged.0, self.counted.1, self.logged.1
        )?;
        for check in &self.checks {
            let mark = if check.passed { "ok  " } else { "FAIL" };
            writeln!(f, "  {mark} {}: {}", check.name, check.detail)?;
        }
        Ok(())
    }
}
