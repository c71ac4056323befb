//! A TCP connection's cost on the wasm host, as the bench's TCP Envoy runs the
//! filter: `bench/envoy/tcp-plugin.json` on eu-west's node, on an inbound listener.
//! Two kinds of connection: one from a certificate-bound peer of another EU cluster,
//! allowed and metered; one from a peer of us-east to the database port, denied and
//! closed. A connection is created, sends and receives a few chunks (or is closed on
//! its first bytes), and ends as Envoy ends it (`on_done`, `on_log`, `on_delete`).

use proxy_wasm_host::{HostResult, PeerType, TcpStream, Vm};

use super::{INBOUND, RequestFuel, WARM_UP};

/// The bench's TCP plugin config.
const TCP_PLUGIN: &str = include_str!("../../../../bench/envoy/tcp-plugin.json");

/// The local cluster of the bench's TCP Envoy.
const CLUSTER: &str = "eu-west";
/// Its region.
const REGION: &str = "eu-west-1";
/// A peer the `{cluster}` pattern binds to eu-central.
const EU_CENTRAL_PEER: &str = "spiffe://eu-central.mesh.example/ns/db/sa/replica";
/// A peer bound to us-east.
const US_EAST_PEER: &str = "spiffe://us-east.mesh.example/ns/db/sa/replica";
/// The port of the rule that keeps the database in the EU.
const DATABASE_PORT: u64 = 5432;
/// A port no rule names.
const OTHER_PORT: u64 = 9000;

/// What a connection makes the filter do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnectionKind {
    /// From another EU cluster to a port no rule names: allowed, bytes counted.
    AcceptedMetered,
    /// From us-east to the database port: denied, closed on its first bytes.
    Denied,
}

impl ConnectionKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 2] = [Self::AcceptedMetered, Self::Denied];

    /// A short name for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::AcceptedMetered => "tcp-accepted-metered",
            Self::Denied => "tcp-denied",
        }
    }
}

/// Starts the release filter with the bench's TCP plugin config on eu-west's node.
pub fn start() -> HostResult<Vm> {
    crate::host::release_filter()?
        .config_json(TCP_PLUGIN)
        .property(["xds", "node", "metadata", "CLUSTER_ID"], CLUSTER)
        .property(["xds", "node", "locality", "region"], REGION)
        .start()
}

/// The fuel and host calls of one connection of `kind`, after [`WARM_UP`] like it.
pub fn connection_fuel(vm: &mut Vm, kind: ConnectionKind) -> HostResult<RequestFuel> {
    for _ in 0..WARM_UP {
        connect(vm, kind)?;
    }
    connect(vm, kind)
}

fn connect(vm: &mut Vm, kind: ConnectionKind) -> HostResult<RequestFuel> {
    let (peer, port) = match kind {
        ConnectionKind::AcceptedMetered => (EU_CENTRAL_PEER, OTHER_PORT),
        ConnectionKind::Denied => (US_EAST_PEER, DATABASE_PORT),
    };
    let mut connection = vm
        .tcp_stream()
        .property(["xds", "listener_direction"], INBOUND)
        .property(["destination", "port"], port)
        .connection_mtls(peer);
    run(&mut connection)?;
    Ok(RequestFuel::of(
        &connection.calls(),
        connection.close_requested(),
    ))
}

/// A short exchange: the caller's bytes, the upstream's answer, more from the
/// caller, then the caller closes; a connection closed by the filter ends at once.
fn run(connection: &mut TcpStream<'_>) -> HostResult<()> {
    connection.new_connection()?;
    connection.downstream_data(&[7; 300], false)?;
    if !connection.close_requested() {
        connection.upstream_data(&[8; 1200], false)?;
        connection.downstream_data(&[9; 45], false)?;
        connection.downstream_close(PeerType::Remote)?;
    }
    connection.finish()
}
