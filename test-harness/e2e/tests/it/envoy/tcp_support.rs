//! Shared by the L4 tests: a run with a real PostgreSQL behind eu-west's database
//! sidecar and the TCP sidecars of the database clients asked for, and what eu-west
//! counted, logged and wrote in its TCP access log, read one way everywhere.

#![cfg(test)]

use std::path::PathBuf;

use meshborder_e2e::access_log::AccessEntry;
use meshborder_e2e::certs::TestPki;
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::mesh::{TcpCallerSidecar, TcpPair};
use meshborder_e2e::ports::{LOOPBACK, TcpPorts};
use meshborder_e2e::postgres::{Connection, Postgres};
use meshborder_e2e::topology::{Caller, ConfigFiles, EU_WEST_CLUSTER, EU_WEST_REGION};
use meshborder_e2e::{paths, poll, prometheus, tcp};
use meshborder_filter::contract::{label, metric, value};

/// What the misloaded reasons say of a `tcp` configuration (both name the layer).
pub const TCP_LAYER: &str = r#""layer": "tcp""#;
/// What the reason of a `tcp` configuration run as an HTTP filter says.
pub const RUN_AS_HTTP_FILTER: &str = "as an HTTP filter";
/// What the reason of an `http` configuration run as a network filter says.
pub const RUN_AS_NETWORK_FILTER: &str = "as a network filter";
pub use meshborder_e2e::postgres::SERVER_CLOSED;

/// A run: PostgreSQL, and the TCP pair in front of it (with the run's
/// certificates, in its directory).
#[derive(Debug)]
pub struct Rig {
    /// The database.
    pub postgres: Postgres,
    /// eu-west's database sidecar and the callers' TCP sidecars.
    pub pair: TcpPair,
}

impl Rig {
    /// Starts PostgreSQL, eu-west's database sidecar and a TCP sidecar for each of
    /// `callers`, in a fresh run directory named after `label`.
    pub fn start(label: &str, callers: &[Caller]) -> Self {
        let (run_dir, _pki, files, postgres) = Self::base(label);
        let pair = TcpPair::start(
            LOOPBACK,
            &TcpPorts::EPHEMERAL,
            postgres.addr(),
            callers,
            &files,
            &run_dir,
        )
        .unwrap();
        Self { postgres, pair }
    }

    /// A run directory, its certificates and PostgreSQL, for a test that starts
    /// its Envoys itself.
    pub fn base(label: &str) -> (PathBuf, TestPki, ConfigFiles, Postgres) {
        let (run_dir, pki, files) = run(label);
        let postgres = Postgres::start(&run_dir).unwrap();
        (run_dir, pki, files, postgres)
    }

    /// eu-west's database sidecar's Envoy.
    pub fn eu_west(&self) -> &Envoy {
        &self.pair.eu_west.envoy
    }

    /// The TCP sidecar of `caller`.
    pub fn caller(&self, caller: &Caller) -> &TcpCallerSidecar {
        self.pair.caller(caller).unwrap()
    }
}

/// A fresh run directory named after `label`, its certificates, and where the
/// configs find them and the release `.wasm`.
pub fn run(label: &str) -> (PathBuf, TestPki, ConfigFiles) {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir(label).unwrap();
    let pki = TestPki::generate(&run_dir.join("certs")).unwrap();
    let files = ConfigFiles::local(&wasm, &pki);
    (run_dir, pki, files)
}

/// How many lines of `log` carry every one of `fragments`.
pub fn lines_saying(log: &str, fragments: &[&str]) -> usize {
    log.lines()
        .filter(|line| fragments.iter().all(|fragment| line.contains(fragment)))
        .count()
}

/// The labels of `meshborder_xcluster_tcp_bytes_total` in `direction` for
/// `caller`'s connections to eu-west.
pub fn bytes_labels(direction: &'static str, caller: &Caller) -> [(&'static str, &'static str); 5] {
    [
        (label::DIRECTION, direction),
        (label::SOURCE_CLUSTER, caller.cluster),
        (label::SOURCE_REGION, caller.region),
        (label::DESTINATION_CLUSTER, EU_WEST_CLUSTER),
        (label::DESTINATION_REGION, EU_WEST_REGION),
    ]
}

/// `meshborder_xcluster_tcp_bytes_total` in `direction` for `caller`, 0 when absent.
pub fn counted_bytes(text: &str, direction: &'static str, caller: &Caller) -> u64 {
    let labels = bytes_labels(direction, caller);
    prometheus::value(text, metric::XCLUSTER_TCP_BYTES.prometheus, &labels).unwrap_or(0)
}

/// `meshborder_xcluster_tcp_connections_total` for `caller`, 0 when absent.
pub fn counted_connections(text: &str, caller: &Caller) -> u64 {
    let labels = [
        (label::SOURCE_CLUSTER, caller.cluster),
        (label::DESTINATION_CLUSTER, EU_WEST_CLUSTER),
    ];
    prometheus::value(text, metric::XCLUSTER_TCP_CONNECTIONS.prometheus, &labels).unwrap_or(0)
}

/// eu-west's TCP access log lines of `caller`'s connections that ended, found by
/// the peer certificate's URI SAN.
pub fn ended_from(envoy: &Envoy, caller: &Caller) -> Vec<AccessEntry> {
    let peer = caller.cert.spiffe_id();
    tcp::ended_connections(&envoy.access_log())
        .into_iter()
        .filter(|entry| entry.get("peer") == Some(peer))
        .collect()
}

/// The same, once there are `count` of them.
pub fn ended_from_once(envoy: &Envoy, caller: &Caller, count: usize) -> Vec<AccessEntry> {
    poll::until(
        &format!(
            "{count} ended connection(s) of {} in the TCP access log",
            caller.name
        ),
        || {
            let ended = ended_from(envoy, caller);
            Ok((ended.len() >= count).then_some(ended))
        },
    )
    .unwrap()
}

/// The sum of `field` over `entries`.
pub fn sum(entries: &[AccessEntry], field: &str) -> u64 {
    entries
        .iter()
        .map(|entry| entry.number(field).unwrap())
        .sum()
}

/// Waits until eu-west's counters for `caller` show `connections` connections
/// and exactly the bytes of `entries` each way, and returns the stats text; on a
/// timeout, fails with what was counted.
pub fn settled_counters(envoy: &Envoy, caller: &Caller, entries: &[AccessEntry]) -> String {
    let (received, sent) = (sum(entries, "bytes_received"), sum(entries, "bytes_sent"));
    let connections = u64::try_from(entries.len()).unwrap();
    let settled = poll::until("the TCP counters to equal the access log", || {
        let text = envoy.prometheus()?;
        let counted = (
            counted_bytes(&text, value::RECEIVED, caller),
            counted_bytes(&text, value::SENT, caller),
            counted_connections(&text, caller),
        );
        Ok((counted == (received, sent, connections)).then_some(text))
    });
    settled.unwrap_or_else(|e| {
        let text = envoy.prometheus().unwrap();
        let ours: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("meshborder_xcluster_tcp"))
            .collect();
        panic!(
            "{e}: access log {received} received, {sent} sent over {connections} connection(s); \
             counted:\n{}\naccess log: {entries:?}",
            ours.join("\n")
        )
    })
}

/// The connection PostgreSQL logged from `upstream_local`, the address of the
/// upstream connection an access log line names; waits for its first line.
pub fn postgres_connection_from(postgres: &Postgres, upstream_local: &str) -> Connection {
    let addr: std::net::SocketAddr = upstream_local
        .parse()
        .unwrap_or_else(|e| panic!("upstream_local `{upstream_local}`: {e}"));
    postgres
        .wait_for_connection(&format!("PostgreSQL's log of {addr}"), |c| {
            c.client == Some(addr)
        })
        .unwrap()
}
