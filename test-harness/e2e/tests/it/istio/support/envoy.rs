//! A real Envoy with the built filter, configured the way Istio configures a
//! sidecar: the plugin configuration as the wasm filter's `StringValue`, identity in
//! the node metadata and locality, and the stats override merged with
//! `--config-yaml`, which is how the istio-proxy container hands Envoy the file
//! ISTIO_BOOTSTRAP_OVERRIDE names.
//!
//! A plugin of `type: NETWORK` runs as Istio runs it, as a network filter in front of
//! `tcp_proxy` (`envoy.filters.network.wasm`), the others as HTTP filters, on the
//! side of the proxy their `match` names: an INBOUND listener for a plugin of the
//! server side only, an OUTBOUND one otherwise.
//!
//! With [`add_inbound_mtls`] the proxy also has an INBOUND listener that requires a
//! client certificate, as a sidecar's inbound side under Istio's STRICT mTLS, running
//! the sidecar's inbound HTTP plugin; with [`add_inbound_tcp_mtls`], the same for a
//! network plugin in front of a TCP upstream.
//!
//! `validate` runs `envoy --mode validate`, which loads the `.wasm` and runs the
//! filter's `on_configure` on the configuration: a configuration the filter
//! refuses fails it. `start` runs one (the harness's `Envoy`), which quits when dropped.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use meshborder_e2e::envoy::Envoy;
use serde_json::{Value, json};

use super::Result;
use super::files::shown;
use super::views::plugin::{Plugin, PluginType};

/// The name of the OUTBOUND listener the bootstrap of an HTTP plugin defines, for a
/// plugin Istio runs on a sidecar's outbound side or on a gateway.
pub const LISTENER: &str = "outbound";
/// The name of the INBOUND listener the bootstrap of an HTTP plugin of the server
/// side only defines (a sidecar's inbound side, a waypoint), plaintext.
pub const INBOUND_PLAIN_LISTENER: &str = "inbound_plain";
/// The name of the mTLS listener [`add_inbound_mtls`] adds.
pub const INBOUND_LISTENER: &str = "inbound";
/// The name of the listener the bootstrap of a network plugin defines.
pub const TCP_LISTENER: &str = "inbound_tcp_plain";
/// The name of the mTLS listener [`add_inbound_tcp_mtls`] adds.
pub const INBOUND_TCP_LISTENER: &str = "inbound_tcp";
/// The cluster `tcp_proxy` sends a network plugin's connections to, in [`bootstrap`].
pub const TCP_UPSTREAM: &str = "app";
/// Where that cluster points: nothing listens there; `envoy --mode validate` and the
/// tests that start such a proxy open no connection to it.
const NO_UPSTREAM: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9);

/// Who the proxy is: what Istio puts in the node metadata and locality.
#[derive(Debug, Clone)]
pub struct Node {
    /// `CLUSTER_ID` (Istio: the cluster name istiod was installed with).
    pub cluster: String,
    /// Locality region (Istio: the node's topology.kubernetes.io/region).
    pub region: String,
    /// Locality zone (Istio: the node's topology.kubernetes.io/zone), if any.
    pub zone: Option<String>,
}

impl Node {
    /// The identity for `plugin`: its own `cluster` and `region` when it sets them
    /// (they override the node metadata anyway), else cluster us-east.
    pub fn for_plugin(plugin: &Plugin) -> Self {
        let config = plugin.spec.plugin_config.as_ref();
        let field = |name: &str, default: &str| {
            config
                .and_then(|config| config.get(name))
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        Self {
            cluster: field("cluster", "us-east"),
            region: field("region", "us-east-1"),
            zone: None,
        }
    }

    /// The same node, in `zone`.
    pub fn in_zone(self, zone: &str) -> Self {
        Self {
            zone: Some(zone.to_owned()),
            ..self
        }
    }

    /// The node's locality, as Envoy's bootstrap has it.
    fn locality(&self) -> Value {
        let mut locality = json!({ "region": self.region });
        if let (Some(zone), Some(object)) = (&self.zone, locality.as_object_mut()) {
            object.insert("zone".to_owned(), Value::from(zone.as_str()));
        }
        locality
    }
}

/// The files of an inbound mTLS listener: its own certificate and key, and the CA
/// whose client certificates it accepts.
#[derive(Debug, Clone, Copy)]
pub struct InboundTls<'a> {
    /// The server certificate (PEM).
    pub cert: &'a Path,
    /// Its key (PEM).
    pub key: &'a Path,
    /// The CA of the mesh (PEM).
    pub ca: &'a Path,
}

/// Envoy's `failure_policy` for Istio's `failStrategy`, as Istio translates it.
fn failure_policy(plugin: &Plugin) -> &'static str {
    match plugin.spec.fail_strategy.as_deref() {
        Some("FAIL_OPEN") => "FAIL_OPEN",
        Some("FAIL_RELOAD") => "FAIL_RELOAD",
        // FAIL_CLOSE, Istio's default; the CRD's enum allows nothing else.
        _ => "FAIL_CLOSED",
    }
}

/// The wasm filter's `config`, as Istio writes it for `plugin`: its name, Istio's
/// failure policy, the plugin configuration as a `StringValue`, and the module.
/// Every plugin gets the same `vm_id` and module, so an HTTP and a network plugin
/// of one proxy share one VM, as Istio's (which set no `vm_id`) do.
fn wasm_config(plugin: &Plugin, wasm: &Path) -> Result<Value> {
    Ok(json!({
        "name": plugin.metadata.name,
        "failure_policy": failure_policy(plugin),
        "configuration": {
            "@type": "type.googleapis.com/google.protobuf.StringValue",
            "value": plugin.plugin_config_json()?
        },
        "vm_config": {
            "vm_id": "meshborder",
            "runtime": "envoy.wasm.runtime.v8",
            "code": { "local": { "filename": wasm } }
        }
    }))
}

/// A listener on a free loopback port.
fn listener(name: &str, direction: &str, filters: Value) -> Value {
    json!({
        "name": name,
        "traffic_direction": direction,
        "address": { "socket_address": { "address": "127.0.0.1", "port_value": 0 } },
        "filter_chains": [{ "filters": filters }]
    })
}

/// The network filters of a plugin of `type: NETWORK`, as Istio builds an inbound
/// TCP chain: the plugin, then `tcp_proxy` to `cluster`.
fn tcp_filters(plugin: &Plugin, wasm: &Path, stat_prefix: &str, cluster: &str) -> Result<Value> {
    Ok(json!([
        {
            "name": "meshborder",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm",
                "config": wasm_config(plugin, wasm)?
            }
        },
        {
            "name": "envoy.filters.network.tcp_proxy",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                "stat_prefix": stat_prefix,
                "cluster": cluster
            }
        }
    ]))
}

/// A static cluster of one endpoint.
fn static_cluster(name: &str, upstream: SocketAddr) -> Value {
    json!({
        "name": name,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{ "lb_endpoints": [{ "endpoint": { "address": { "socket_address": {
                "address": upstream.ip().to_string(),
                "port_value": upstream.port()
            } } } }] }]
        }
    })
}

/// A bootstrap that runs `plugin` where Istio puts it. An HTTP plugin whose every
/// `match` entry is `SERVER`: one INBOUND listener [`INBOUND_PLAIN_LISTENER`] (as
/// Istio marks a sidecar's inbound listener and a waypoint's internal one); any
/// other HTTP plugin: one OUTBOUND listener [`LISTENER`] (as Istio marks a
/// sidecar's outbound listeners and every gateway listener); either with the plugin
/// in front of a direct 200 response. A network plugin: one INBOUND listener
/// [`TCP_LISTENER`], the plugin in front of `tcp_proxy` to [`TCP_UPSTREAM`].
/// `stats_config`, when given, is the bootstrap's own.
pub fn bootstrap(
    plugin: &Plugin,
    node: &Node,
    wasm: &Path,
    stats_config: Option<Value>,
) -> Result<Value> {
    let (listener, clusters) = match plugin.plugin_type() {
        PluginType::Http if server_side_only(plugin) => (
            listener(
                INBOUND_PLAIN_LISTENER,
                "INBOUND",
                http_filters(plugin, wasm, INBOUND_PLAIN_LISTENER)?,
            ),
            json!([]),
        ),
        PluginType::Http => (
            listener(LISTENER, "OUTBOUND", http_filters(plugin, wasm, LISTENER)?),
            json!([]),
        ),
        PluginType::Network => (
            listener(
                TCP_LISTENER,
                "INBOUND",
                tcp_filters(plugin, wasm, TCP_LISTENER, TCP_UPSTREAM)?,
            ),
            json!([static_cluster(TCP_UPSTREAM, NO_UPSTREAM)]),
        ),
    };
    let mut bootstrap = json!({
        "node": {
            "id": "sidecar~10.0.0.1~app.shop~shop.svc.cluster.local",
            "cluster": "app.shop",
            "metadata": { "CLUSTER_ID": node.cluster },
            "locality": node.locality()
        },
        "admin": { "address": { "socket_address": { "address": "127.0.0.1", "port_value": 0 } } },
        "static_resources": { "listeners": [listener], "clusters": clusters }
    });
    if let (Some(stats), Some(root)) = (stats_config, bootstrap.as_object_mut()) {
        root.insert("stats_config".to_owned(), stats);
    }
    Ok(bootstrap)
}

/// Whether Istio runs `plugin` on the server side only: it has `match` entries, and
/// each is `SERVER` (no entry is Istio's `CLIENT_AND_SERVER`).
fn server_side_only(plugin: &Plugin) -> bool {
    let modes = plugin.modes();
    !modes.is_empty() && modes.iter().all(|mode| *mode == Some("SERVER"))
}

/// The network filters of a listener running the HTTP plugin `plugin` in front of a
/// direct 200 response.
fn http_filters(plugin: &Plugin, wasm: &Path, stat_prefix: &str) -> Result<Value> {
    if plugin.plugin_type() != PluginType::Http {
        return Err(format!("{} is not an HTTP plugin", plugin.id()));
    }
    Ok(json!([{
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": stat_prefix,
            "route_config": { "virtual_hosts": [{
                "name": "all",
                "domains": ["*"],
                "routes": [{ "match": { "prefix": "/" },
                             "direct_response": { "status": 200, "body": { "inline_string": "served" } } }]
            }] },
            "http_filters": [
                {
                    "name": "meshborder",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                        "config": wasm_config(plugin, wasm)?
                    }
                },
                {
                    "name": "envoy.filters.http.router",
                    "typed_config": { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" }
                }
            ]
        }
    }]))
}

/// The mTLS transport socket of an inbound listener: `tls`'s certificate, and a
/// client certificate that its CA signed required.
fn inbound_tls(tls: InboundTls<'_>) -> Value {
    json!({
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
            "require_client_certificate": true,
            "common_tls_context": {
                "tls_certificates": [{
                    "certificate_chain": { "filename": tls.cert },
                    "private_key": { "filename": tls.key }
                }],
                "validation_context": { "trusted_ca": { "filename": tls.ca } }
            }
        }
    })
}

/// Adds to `bootstrap` (from [`bootstrap`]) the listener [`INBOUND_TCP_LISTENER`]:
/// marked INBOUND, requiring a client certificate the CA of `tls` signed, and
/// running the network plugin `plugin` in front of `tcp_proxy` to `upstream`, as
/// Istio builds a sidecar's inbound TCP chain under STRICT mTLS.
pub fn add_inbound_tcp_mtls(
    bootstrap: &mut Value,
    plugin: &Plugin,
    wasm: &Path,
    tls: InboundTls<'_>,
    upstream: SocketAddr,
) -> Result<()> {
    if plugin.plugin_type() != PluginType::Network {
        return Err(format!("{} is not a network plugin", plugin.id()));
    }
    let cluster = "inbound_tcp_upstream";
    let mut inbound = listener(
        INBOUND_TCP_LISTENER,
        "INBOUND",
        tcp_filters(plugin, wasm, INBOUND_TCP_LISTENER, cluster)?,
    );
    inbound["filter_chains"][0]["transport_socket"] = inbound_tls(tls);
    let resources = bootstrap
        .pointer_mut("/static_resources")
        .and_then(Value::as_object_mut)
        .ok_or("the bootstrap has no static resources")?;
    for (key, added) in [
        ("listeners", inbound),
        ("clusters", static_cluster(cluster, upstream)),
    ] {
        resources
            .entry(key)
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .ok_or_else(|| format!("the bootstrap's `{key}` is not a list"))?
            .push(added);
    }
    Ok(())
}

/// Adds to `bootstrap` (from [`bootstrap`]) the listener [`INBOUND_LISTENER`]:
/// marked INBOUND, as Istio marks a sidecar's inbound listener, running the HTTP
/// plugin `plugin` (the sidecar's inbound one) in front of the same reply, and
/// requiring a client certificate the CA of `tls` signed, so the filter sees the
/// peer's URI SAN.
pub fn add_inbound_mtls(
    bootstrap: &mut Value,
    plugin: &Plugin,
    wasm: &Path,
    tls: InboundTls<'_>,
) -> Result<()> {
    let mut inbound = listener(
        INBOUND_LISTENER,
        "INBOUND",
        http_filters(plugin, wasm, INBOUND_LISTENER)?,
    );
    inbound["filter_chains"][0]["transport_socket"] = inbound_tls(tls);
    bootstrap
        .pointer_mut("/static_resources/listeners")
        .and_then(Value::as_array_mut)
        .ok_or("the bootstrap has no listeners")?
        .push(inbound);
    Ok(())
}

/// Writes `value` as `name` (JSON) in `dir`.
pub fn write_json(dir: &Path, name: &str, value: &Value) -> Result<PathBuf> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(value).map_err(|e| format!("{name}: {e}"))?;
    fs::write(&path, text).map_err(|e| format!("writing `{}`: {e}", shown(&path)))?;
    Ok(path)
}

/// `envoy --mode validate` on `bootstrap`, with `config_yaml` merged over it when
/// given. The error carries Envoy's own lines about what it refused.
pub fn validate(bootstrap: &Path, config_yaml: Option<&str>) -> Result<()> {
    let args: Vec<&str> = config_yaml
        .map(|yaml| vec!["--config-yaml", yaml])
        .unwrap_or_default();
    Envoy::validate_with_args(bootstrap, &args).map_err(|e| e.to_string())
}

/// Starts Envoy with `bootstrap` and `config_yaml` merged over it, one worker, files
/// in `run_dir`, and waits until it is ready; it quits when dropped.
pub fn start(bootstrap: &Path, config_yaml: &str, run_dir: &Path) -> Result<Envoy> {
    Envoy::start_with_args(bootstrap, run_dir, &["--config-yaml", config_yaml])
        .map_err(|e| e.to_string())
}
