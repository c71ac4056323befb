//! A real Envoy with the built filter, configured the way Istio configures a
//! sidecar: the plugin configuration as the wasm filter's `StringValue`, identity in
//! the node metadata and locality, and the stats override merged with
//! `--config-yaml`, which is how the istio-proxy container hands Envoy the file
//! ISTIO_BOOTSTRAP_OVERRIDE names.
//!
//! With [`add_inbound_mtls`] the proxy also has an INBOUND listener that requires a
//! client certificate, as a sidecar's inbound side under Istio's STRICT mTLS.
//!
//! `validate` runs `envoy --mode validate`, which loads the `.wasm` and runs the
//! filter's `on_configure` on the configuration: a configuration the filter
//! refuses fails it. `start` runs one (the harness's `Envoy`), which quits when dropped.

use std::fs;
use std::path::{Path, PathBuf};

use meshborder_e2e::envoy::Envoy;
use serde_json::{Value, json};

use super::Result;
use super::files::shown;
use super::views::wasm_plugin::WasmPlugin;

/// The name of the listener the bootstraps define.
pub const LISTENER: &str = "outbound";
/// The name of the mTLS listener [`add_inbound_mtls`] adds.
pub const INBOUND_LISTENER: &str = "inbound";

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
    pub fn for_plugin(plugin: &WasmPlugin) -> Self {
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
fn failure_policy(plugin: &WasmPlugin) -> &'static str {
    match plugin.spec.fail_strategy.as_deref() {
        Some("FAIL_OPEN") => "FAIL_OPEN",
        Some("FAIL_RELOAD") => "FAIL_RELOAD",
        // FAIL_CLOSE, Istio's default; the CRD's enum allows nothing else.
        _ => "FAIL_CLOSED",
    }
}

/// A bootstrap with one OUTBOUND listener (as Istio marks a sidecar's outbound
/// listeners and every gateway listener) running `plugin` in front of a direct
/// 200 response. `stats_config`, when given, is the bootstrap's own.
pub fn bootstrap(
    plugin: &WasmPlugin,
    node: &Node,
    wasm: &Path,
    stats_config: Option<Value>,
) -> Result<Value> {
    let mut bootstrap = json!({
        "node": {
            "id": "sidecar~10.0.0.1~app.shop~shop.svc.cluster.local",
            "cluster": "app.shop",
            "metadata": { "CLUSTER_ID": node.cluster },
            "locality": node.locality()
        },
        "admin": { "address": { "socket_address": { "address": "127.0.0.1", "port_value": 0 } } },
        "static_resources": { "listeners": [{
            "name": LISTENER,
            "traffic_direction": "OUTBOUND",
            "address": { "socket_address": { "address": "127.0.0.1", "port_value": 0 } },
            "filter_chains": [{ "filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": LISTENER,
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
                                "config": {
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
                                }
                            }
                        },
                        {
                            "name": "envoy.filters.http.router",
                            "typed_config": { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" }
                        }
                    ]
                }
            }] }]
        }] }
    });
    if let (Some(stats), Some(root)) = (stats_config, bootstrap.as_object_mut()) {
        root.insert("stats_config".to_owned(), stats);
    }
    Ok(bootstrap)
}

/// Adds to `bootstrap` (from [`bootstrap`]) the listener [`INBOUND_LISTENER`]:
/// marked INBOUND, as Istio marks a sidecar's inbound listener, running the same
/// filter in front of the same reply, and requiring a client certificate the CA of
/// `tls` signed, so the filter sees the peer's URI SAN.
pub fn add_inbound_mtls(bootstrap: &mut Value, tls: InboundTls<'_>) -> Result<()> {
    let listeners = bootstrap
        .pointer_mut("/static_resources/listeners")
        .and_then(Value::as_array_mut)
        .ok_or("the bootstrap has no listeners")?;
    let mut inbound = listeners
        .first()
        .cloned()
        .ok_or("the bootstrap has no listener to copy")?;
    inbound["name"] = Value::from(INBOUND_LISTENER);
    inbound["traffic_direction"] = Value::from("INBOUND");
    let chain = inbound
        .pointer_mut("/filter_chains/0")
        .and_then(Value::as_object_mut)
        .ok_or("the listener has no filter chain")?;
    chain.insert(
        "transport_socket".to_owned(),
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
        }),
    );
    if let Some(manager) = inbound.pointer_mut("/filter_chains/0/filters/0/typed_config") {
        manager["stat_prefix"] = Value::from(INBOUND_LISTENER);
    }
    listeners.push(inbound);
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
