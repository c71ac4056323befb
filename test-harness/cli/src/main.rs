//! `meshborder`: check plugin configurations and simulate requests, with the real
//! filter `.wasm` running in a wasmtime proxy-wasm host.
//!
//! - `meshborder check FILE...` runs `on_configure` on every meshborder plugin
//!   configuration in the files (plugin config JSON, Istio `TrafficExtension` or
//!   `WasmPlugin` YAML, an Envoy Gateway `EnvoyExtensionPolicy`, Envoy YAML)
//!   and prints OK or the filter's own error (or MISLOADED, for a configuration of
//!   the other layer than the filter that loads it); the exit code is 1 if any
//!   fails.
//! - `meshborder simulate --config FILE --request 'GET http://host/path' ...` runs
//!   one request through the filter and prints what it decided; for a `tcp`
//!   configuration, `meshborder simulate --config FILE --peer URI --port N ...`
//!   runs one connection through it as a network filter instead.
//!
//! The filter is `--wasm FILE`, else `$MESHBORDER_WASM`, else
//! `target/wasm32-wasip1/release/meshborder_filter.wasm` under the current
//! directory (where `make build` puts it in a checkout).

/// Prints a line on stdout; a closed pipe (`meshborder check ... | head`) is not
/// an error worth a panic, so write errors are ignored.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ignored = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod caller;
mod check;
mod connection;
mod connection_report;
mod envoy_notes;
mod report;
mod request;
mod simulate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use meshborder_cli::configs::NodeIdentity;
use proxy_wasm_host::Plugin;

/// Environment variable naming the filter when `--wasm` does not.
const WASM_ENV: &str = "MESHBORDER_WASM";
/// Where `make build` puts the filter, relative to a checkout's root.
const DEFAULT_WASM: &str = "target/wasm32-wasip1/release/meshborder_filter.wasm";

/// Check meshborder plugin configurations and simulate requests, with the real
/// filter running in a wasmtime host.
#[derive(Debug, Parser)]
#[command(name = "meshborder", version)]
struct Cli {
    /// The filter's .wasm (default: $MESHBORDER_WASM, else
    /// target/wasm32-wasip1/release/meshborder_filter.wasm under the current directory).
    #[arg(long, global = true, value_name = "FILE")]
    wasm: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the filter's on_configure on every meshborder configuration in FILEs.
    ///
    /// A FILE is a plugin config (JSON), Kubernetes YAML with TrafficExtensions or
    /// WasmPlugins (their pluginConfig) or EnvoyExtensionPolicies (each meshborder
    /// Wasm extension's config), Envoy YAML (each meshborder wasm filter's
    /// configuration), an envoy-config/ template (the plugin configs it includes),
    /// or a directory: walked for YAML and *plugin*.json files, and built when it
    /// is a kustomize overlay. Prints OK or the filter's own error for each
    /// configuration, of either layer (`http` or `tcp`); one the file loads as the
    /// other kind of filter (a `tcp` one as an HTTP filter, say) is MISLOADED.
    /// Exits 1 if any fails.
    Check(CheckArgs),
    /// Run one request (or, for a `tcp` configuration, one connection) through
    /// the filter and show its decision.
    ///
    /// Prints the source the filter established (local, a trusted peer's tags,
    /// bound to the peer's certificate, or unknown and why), the trustedPeers
    /// entry the mTLS peer matched, a cluster tag the certificate overruled,
    /// whether the filter denied or passed the request, its local reply, the
    /// request headers it set or removed, the tags the application sees, the
    /// route and whether Envoy picks it again, the counters that moved, its log
    /// lines and the fuel the request burnt. The request is outbound unless
    /// --direction (or the configuration) says otherwise; a forwarded request is
    /// answered with --response-status. Tag headers are given with --header,
    /// the node's zone with --zone.
    ///
    /// A configuration with `"layer": "tcp"` runs as a network filter: instead of
    /// --request, the connection has an mTLS --peer, a destination --port, a
    /// server name (--sni), and --send bytes from the caller and --receive bytes
    /// back. The report shows the source, the trustedPeers entry, PASS or DENY
    /// (closed) with the rule, the bytes that got through, the log lines and the
    /// counters, the TCP byte counters included, once the close flushed them.
    Simulate(SimulateArgs),
}

/// Where the filter runs, for configurations that do not say.
#[derive(Debug, Clone, Args)]
struct NodeArgs {
    /// The local cluster (node metadata CLUSTER_ID); default: the Envoy file's
    /// node, else (check only) a stand-in, `meshborder-check`.
    #[arg(long)]
    cluster: Option<String>,
    /// The local region (node locality).
    #[arg(long)]
    region: Option<String>,
    /// The local zone (node locality).
    #[arg(long)]
    zone: Option<String>,
}

impl NodeArgs {
    fn identity(&self) -> NodeIdentity {
        NodeIdentity {
            cluster: self.cluster.clone(),
            region: self.region.clone(),
            zone: self.zone.clone(),
        }
    }
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Plugin config JSON, Kubernetes YAML or Envoy YAML files, or directories.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    node: NodeArgs,
}

/// Which side of the border the request is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Direction {
    /// The callee's sidecar: `listener_direction` 1.
    Inbound,
    /// The caller's sidecar or a gateway: `listener_direction` 2.
    Outbound,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// The configuration: plugin config JSON, Kubernetes YAML (TrafficExtension,
    /// WasmPlugin, EnvoyExtensionPolicy), Envoy YAML, or a kustomize overlay
    /// directory.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Which configuration of the file, from 1, when it holds several.
    #[arg(long, value_name = "N")]
    pick: Option<usize>,
    #[command(flatten)]
    node: NodeArgs,
    /// http: the request, a method and an absolute URL, e.g. 'GET http://eu-user-data/users/1'.
    #[arg(long, value_name = "'METHOD URL'")]
    request: Option<String>,
    /// http: a request header, as name=value or 'name: value'; repeatable.
    #[arg(long = "header", value_name = "NAME=VALUE")]
    headers: Vec<String>,
    /// The downstream connection is mTLS from this peer (its URI SAN).
    #[arg(long, value_name = "SPIFFE_URI")]
    peer: Option<String>,
    /// Which side of the border the filter sees the request or connection on.
    #[arg(long, value_enum, default_value_t = Direction::Outbound)]
    direction: Direction,
    /// http: the upstream's response status, when the request is forwarded
    /// (default 200).
    #[arg(long, value_name = "STATUS")]
    response_status: Option<u16>,
    /// tcp: the connection's destination port (`destination.port`).
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// tcp: the server name the caller asked for (`connection.requested_server_name`).
    #[arg(long, value_name = "NAME")]
    sni: Option<String>,
    /// tcp: bytes the caller sends (Envoy's %BYTES_RECEIVED%; default 0: the
    /// caller closes without sending, and the filter decides at that close).
    #[arg(long, value_name = "BYTES")]
    send: Option<u64>,
    /// tcp: bytes the upstream sends back to the caller, if the connection
    /// passes (Envoy's %BYTES_SENT%; default 0).
    #[arg(long, value_name = "BYTES")]
    receive: Option<u64>,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let wasm = filter_path(cli.wasm.clone());
    // The filter is compiled only once the input is known to be usable.
    let filter = || load(&wasm);
    let outcome = match &cli.command {
        Command::Check(args) => check::run(filter, &args.files, &args.node.identity()),
        Command::Simulate(args) => simulate::run(filter, args),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("meshborder: {message}");
            ExitCode::from(2)
        }
    }
}

/// `--wasm`, else `$MESHBORDER_WASM`, else the build output under the current
/// directory.
fn filter_path(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os(WASM_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_WASM))
}

/// Compiles the filter; a missing file says where the filter is looked for.
fn load(wasm: &std::path::Path) -> Result<Plugin, String> {
    if !wasm.is_file() {
        return Err(format!(
            "no filter at `{}`: pass --wasm FILE or set {WASM_ENV} (in a meshborder \
             checkout, `make build` makes {DEFAULT_WASM})",
            wasm.display()
        ));
    }
    Plugin::load(wasm).map_err(|error| error.to_string())
}
