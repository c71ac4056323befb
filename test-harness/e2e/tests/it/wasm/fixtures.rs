//! Shared fixtures of the wasm host tests: the SPEC's example configuration, the
//! release filter with a node identity, and request builders.

use meshborder_e2e::host::release_filter;
use proxy_wasm_host::{HostError, HostResult, HttpStream, LogLevel, Plugin, Vm};

/// The configuration example of the product contract, identity left to the node:
/// the same file the engine's own tests use.
pub const SPEC_CONFIG: &str =
    include_str!("../../../../../filter/src/policy/tests/spec-example.json");

/// A SAN that `spiffe://cluster.local/ns/*/sa/*` trusts.
pub const TRUSTED_SAN: &str = "spiffe://cluster.local/ns/shop/sa/frontend";

/// `["xds","listener_direction"]` value of an inbound listener.
pub const INBOUND: u64 = 1;
/// `["xds","listener_direction"]` value of an outbound listener.
pub const OUTBOUND: u64 = 2;

/// The release filter with `config`, unconfigured identity.
pub fn filter(config: &str) -> HostResult<Plugin> {
    Ok(release_filter()?.config_json(config))
}

/// The release filter with `config` on a node of `cluster`/`region`, as Envoy
/// >= 1.33 serves the node (`xds.node`).
pub fn node(config: &str, cluster: &str, region: &str) -> HostResult<Plugin> {
    Ok(filter(config)?
        .property(["xds", "node", "metadata", "CLUSTER_ID"], cluster)
        .property(["xds", "node", "locality", "region"], region))
}

/// The release filter with `config` on a node of `cluster`/`region`, as Envoy
/// <= 1.32 serves the node (`node`, no `xds`).
pub fn legacy_node(config: &str, cluster: &str, region: &str) -> HostResult<Plugin> {
    Ok(filter(config)?
        .property(["node", "metadata", "CLUSTER_ID"], cluster)
        .property(["node", "locality", "region"], region))
}

/// The SPEC configuration running in `eu-west` (eu-west-1), started.
pub fn eu_west() -> HostResult<Vm> {
    node(SPEC_CONFIG, "eu-west", "eu-west-1")?.start()
}

/// The SPEC configuration running in `us-east` (us-east-1), started.
pub fn us_east() -> HostResult<Vm> {
    node(SPEC_CONFIG, "us-east", "us-east-1")?.start()
}

/// The prefix of every refusal the filter logs.
pub use meshborder_filter::contract::log_line::REFUSED;

/// What the filter logged when it refused its configuration, without the
/// [`REFUSED`] prefix; `Err` when it started, or failed otherwise.
pub fn refusal(plugin: &Plugin) -> Result<String, String> {
    match plugin.start() {
        Err(HostError::ConfigureRejected { reason }) => Ok(reason
            .strip_prefix(REFUSED)
            .map_or_else(|| reason.clone(), str::to_owned)),
        Err(other) => Err(format!("expected a refused configuration, got: {other}")),
        Ok(_) => Err("the configuration was accepted".to_owned()),
    }
}

/// A GET of `path` on `authority`, with `extra` headers.
pub fn get<'a>(
    authority: &'a str,
    path: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut headers = vec![
        (":method", "GET"),
        (":scheme", "http"),
        (":authority", authority),
        (":path", path),
    ];
    headers.extend_from_slice(extra);
    headers
}

/// The headers the filter sets and reads, from the contract.
pub use meshborder_filter::contract::header::{
    DENIED_BY, ROUTE_REGION, SOURCE_CLUSTER, SOURCE_REGION,
};

/// A stream on an outbound listener (`xds.listener_direction` 2).
pub fn outbound(vm: &mut Vm) -> HttpStream<'_> {
    vm.http_stream()
        .property(["xds", "listener_direction"], OUTBOUND)
}

/// A stream on an inbound listener (`xds.listener_direction` 1), plaintext.
pub fn inbound(vm: &mut Vm) -> HttpStream<'_> {
    vm.http_stream()
        .property(["xds", "listener_direction"], INBOUND)
}

/// A stream on an inbound listener over mTLS from the peer `san`.
pub fn from_peer<'vm>(vm: &'vm mut Vm, san: &str) -> HttpStream<'vm> {
    inbound(vm).connection_mtls(san)
}

/// The lines the filter logged at `level`, in order.
pub fn lines_at(vm: &Vm, level: LogLevel) -> Vec<String> {
    vm.logs()
        .iter()
        .filter(|l| l.level == level)
        .map(|l| l.message.clone())
        .collect()
}
