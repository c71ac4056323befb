//! A real Envoy with the built filter, configured the way Istio configures a
//! sidecar: the plugin configuration as the wasm filter's `StringValue`, identity in
//! the node metadata and locality, and the stats override merged with
//! `--config-yaml`, which is how the istio-proxy container hands Envoy the file
//! ISTIO_BOOTSTRAP_OVERRIDE names.
//!
//! `validate` runs `envoy --mode validate`, which loads the `.wasm` and runs the
//! filter's `on_configure` on the configuration: a configuration the filter
//! refuses fails it. `LiveEnvoy` runs one and stops it when dropped.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use meshborder_harness::client::Request;
use meshborder_harness::paths;
use serde_json::{Value, json};

use super::Result;
use super::files::shown;
use super::models::wasm_plugin::{FailStrategy, WasmPlugin};

/// How long Envoy may take to become ready (compiling the `.wasm` included).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How often to look again while waiting.
const POLL: Duration = Duration::from_millis(50);

/// The name of the listener the bootstraps define.
pub const LISTENER: &str = "outbound";

/// Who the proxy is: what Istio puts in the node metadata and locality.
#[derive(Debug, Clone)]
pub struct Node {
    /// `CLUSTER_ID` (Istio: the cluster name istiod was installed with).
    pub cluster: String,
    /// Locality region (Istio: the node's topology.kubernetes.io/region).
    pub region: String,
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
        }
    }
}

/// Envoy's `failure_policy` for Istio's `failStrategy`, as Istio translates it.
fn failure_policy(plugin: &WasmPlugin) -> &'static str {
    match plugin.spec.fail_strategy {
        None | Some(FailStrategy::Close) => "FAIL_CLOSED",
        Some(FailStrategy::Open) => "FAIL_OPEN",
        Some(FailStrategy::Reload) => "FAIL_RELOAD",
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
            "locality": { "region": node.region }
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
    let binary = paths::envoy_binary().map_err(|e| e.to_string())?;
    let mut command = Command::new(&binary);
    command
        .args(["--mode", "validate", "--disable-hot-restart", "-c"])
        .arg(bootstrap);
    if let Some(yaml) = config_yaml {
        command.args(["--config-yaml", yaml]);
    }
    let output = command
        .output()
        .map_err(|e| format!("running `{}`: {e}", binary.display()))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    let telling: Vec<&str> = text
        .lines()
        .filter(|line| {
            line.contains("meshborder")
                || line.contains("critical")
                || line.contains("error")
                || line.contains("rror initializing")
        })
        .collect();
    Err(format!(
        "`{}` does not validate ({}):\n{}",
        shown(bootstrap),
        output.status,
        telling.join("\n")
    ))
}

/// A running Envoy, asked to quit (then killed) when dropped.
#[derive(Debug)]
pub struct LiveEnvoy {
    child: Child,
    /// The admin API.
    pub admin: SocketAddr,
    /// Envoy's log (and the filter's).
    pub log: PathBuf,
}

impl LiveEnvoy {
    /// Starts Envoy with `bootstrap` and `config_yaml` merged over it, one worker,
    /// files in `run_dir`, and waits until it is ready.
    pub fn start(bootstrap: &Path, config_yaml: &str, run_dir: &Path) -> Result<Self> {
        let binary = paths::envoy_binary().map_err(|e| e.to_string())?;
        let log = run_dir.join("envoy.log");
        let admin_file = run_dir.join("admin-address");
        let log_file =
            fs::File::create(&log).map_err(|e| format!("creating `{}`: {e}", shown(&log)))?;
        let child = Command::new(&binary)
            .arg("-c")
            .arg(bootstrap)
            .args(["--config-yaml", config_yaml])
            .args(["--concurrency", "1", "--disable-hot-restart"])
            .arg("--admin-address-path")
            .arg(&admin_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("starting `{}`: {e}", binary.display()))?;
        let mut envoy = Self {
            child,
            admin: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
        };
        envoy.admin = envoy.wait_ready(&admin_file)?;
        Ok(envoy)
    }

    fn wait_ready(&mut self, admin_file: &Path) -> Result<SocketAddr> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failure(&format!("exited with {status} before it was ready")));
            }
            let admin = fs::read_to_string(admin_file)
                .ok()
                .and_then(|text| text.trim().parse::<SocketAddr>().ok());
            if let Some(admin) = admin {
                let ready = Request::get("/ready").send(admin);
                if ready.is_ok_and(|response| response.status == 200) {
                    return Ok(admin);
                }
            }
            thread::sleep(POLL);
        }
        Err(self.failure("not ready in time"))
    }

    fn failure(&self, reason: &str) -> String {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("envoy {reason}; its log ends:\n{}", tail.join("\n"))
    }

    /// GETs an admin path; anything but 200 is an error.
    pub fn admin_get(&self, path: &str) -> Result<String> {
        let response = Request::get(path)
            .send(self.admin)
            .map_err(|e| e.to_string())?;
        if response.status == 200 {
            Ok(response.text())
        } else {
            Err(format!("admin {path} answered {}", response.status))
        }
    }

    /// Where the listener called `name` is bound.
    pub fn listener(&self, name: &str) -> Result<SocketAddr> {
        let text = self.admin_get("/listeners?format=json")?;
        let statuses: Value =
            serde_json::from_str(&text).map_err(|e| format!("/listeners is not JSON: {e}"))?;
        statuses
            .get("listener_statuses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|listener| listener.get("name").and_then(Value::as_str) == Some(name))
            .find_map(|listener| {
                let ip = listener
                    .pointer("/local_address/socket_address/address")?
                    .as_str()?;
                let port = listener
                    .pointer("/local_address/socket_address/port_value")?
                    .as_u64()?;
                Some(SocketAddr::new(ip.parse().ok()?, u16::try_from(port).ok()?))
            })
            .ok_or_else(|| format!("no listener `{name}` in {text}"))
    }
}

impl Drop for LiveEnvoy {
    fn drop(&mut self) {
        drop(Request::new("POST", "/quitquitquit").send(self.admin));
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(POLL);
        }
        drop(self.child.kill());
        drop(self.child.wait());
    }
}
