//! The configs compared, each an Envoy started with one worker and pinned to one
//! core: for the HTTP runs, the five rendered from `bench/envoy/bench.yaml` with
//! their own HTTP filters (bare, no-op, the floor, meshborder, Lua); for the TCP runs, bare, no-op and meshborder rendered
//! from `bench/envoy/tcp.yaml` with their own network filters before `tcp_proxy`
//! (meshborder with `bench/envoy/tcp-plugin.json`).

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::render::{self, Values};
use meshborder_e2e::workload::{CLUSTER, COUNTRIES, REGION, Workload};
use meshborder_e2e::{HarnessError, Result, paths};

use meshborder_e2e::machine;

/// One measured configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Config {
    /// Envoy with only the router.
    Bare,
    /// A wasm filter that does nothing.
    Noop,
    /// The floor filter: only the host calls meshborder cannot avoid.
    Floor,
    /// meshborder with the workload's plugin config.
    Meshborder,
    /// The Lua counterpart of meshborder.
    Lua,
    /// Another build of meshborder, the `n`th `--variant`, same plugin config.
    Variant(usize),
}

impl Config {
    /// Every config, in the order each round runs them.
    pub const ALL: [Self; 5] = [
        Self::Bare,
        Self::Noop,
        Self::Floor,
        Self::Meshborder,
        Self::Lua,
    ];

    /// The name in tables.
    pub fn name(self, artifacts: &Artifacts) -> String {
        match self {
            Self::Bare => "bare Envoy".to_owned(),
            Self::Noop => "no-op wasm".to_owned(),
            Self::Floor => "floor wasm".to_owned(),
            Self::Meshborder => "meshborder".to_owned(),
            Self::Lua => "Lua".to_owned(),
            Self::Variant(n) => artifacts.variants.get(n).map_or_else(
                || format!("variant {n}"),
                |(name, _)| format!("meshborder ({name})"),
            ),
        }
    }

    /// The directory and filters file name.
    fn slug(self) -> String {
        match self {
            Self::Bare => "bare".to_owned(),
            Self::Noop => "noop".to_owned(),
            Self::Floor => "floor".to_owned(),
            Self::Meshborder => "meshborder".to_owned(),
            Self::Lua => "lua".to_owned(),
            Self::Variant(n) => format!("variant-{n}"),
        }
    }

    /// Whether it runs meshborder's logic (a variant does) or its floor, so it
    /// denies and routes.
    pub fn filters(self) -> bool {
        matches!(
            self,
            Self::Floor | Self::Meshborder | Self::Lua | Self::Variant(_)
        )
    }

    /// Whether it is a build of meshborder, which meters TCP connections.
    pub fn meters_tcp(self) -> bool {
        matches!(self, Self::Meshborder | Self::Variant(_))
    }
}

/// The `.wasm` files the configs load.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// meshborder, as `make build` ships it.
    pub meshborder: PathBuf,
    /// The no-op filter.
    pub noop: PathBuf,
    /// The floor filter.
    pub floor: PathBuf,
    /// Other builds of meshborder to compare in the same rounds, by name.
    pub variants: Vec<(String, PathBuf)>,
    /// When not empty, only these of the five configs run (`bare`, `noop`,
    /// `floor`, `meshborder`, `lua`); variants always do.
    pub only: Vec<String>,
}

impl Artifacts {
    /// Every config: the five of the report, then the variants.
    pub fn lineup(&self) -> Vec<Config> {
        let mut configs: Vec<Config> = Config::ALL
            .into_iter()
            .filter(|config| self.only.is_empty() || self.only.contains(&config.slug()))
            .collect();
        configs.extend((0..self.variants.len()).map(Config::Variant));
        configs
    }

    /// The configs of the TCP runs: the lineup but Lua and the floor, which have
    /// no network filter.
    pub fn tcp_lineup(&self) -> Vec<Config> {
        self.lineup()
            .into_iter()
            .filter(|&config| !matches!(config, Config::Lua | Config::Floor))
            .collect()
    }
}

/// A bootstrap template of `bench/envoy/` and the name of the include that stands
/// for a config's own filters: `{{include:FILTERS.yaml}}` is `FILTERS-SLUG.yaml`.
#[derive(Debug, Clone, Copy)]
struct Template {
    file: &'static str,
    filters: &'static str,
}

/// The HTTP runs' Envoy.
const HTTP: Template = Template {
    file: "bench.yaml",
    filters: "filters",
};
/// The TCP runs' Envoy.
const TCP: Template = Template {
    file: "tcp.yaml",
    filters: "tcp-filters",
};
/// The listener of [`TCP`].
const TCP_LISTENER: &str = "tcp";

/// A started config: its Envoy and the addresses of its two listeners.
#[derive(Debug)]
pub struct Running {
    /// Which config.
    pub config: Config,
    /// Its Envoy.
    pub envoy: Envoy,
    /// The listener answering with `direct_response`.
    pub direct: SocketAddr,
    /// The listener proxying to the upstream.
    pub proxied: SocketAddr,
}

/// A started TCP config: its Envoy and the address of its `tcp_proxy` listener.
#[derive(Debug)]
pub struct TcpRunning {
    /// Which config.
    pub config: Config,
    /// Its Envoy.
    pub envoy: Envoy,
    /// The listener in front of the bulk upstream.
    pub listener: SocketAddr,
}

/// The workload's plugin config as the shipped outbound plugins have it: the
/// direction named (`direction: outbound`), not read from the listener per request.
/// The workload itself keeps `auto`, for the wasm host's inbound metered request.
fn outbound_plugin_config(workload: &Workload) -> serde_json::Value {
    let mut config = workload.plugin_config();
    if let Some(object) = config.as_object_mut() {
        object.insert("direction".to_owned(), "outbound".into());
    }
    config
}

/// Renders and starts every config, each Envoy pinned to `core`.
pub fn start_all(
    artifacts: &Artifacts,
    workload: &Workload,
    upstream: SocketAddr,
    run_dir: &Path,
    core: usize,
) -> Result<Vec<Running>> {
    let lua = run_dir.join("meshborder.lua");
    write(&lua, &render_lua(workload)?)?;
    let values = Values::new()
        .set("cluster", CLUSTER)
        .set("region", REGION)
        .set("upstream_port", upstream.port())
        .set("noop_wasm", artifacts.noop.display())
        .set("floor_wasm", artifacts.floor.display())
        .set("floor_config", quoted(&workload.floor_outbound_config())?)
        .set("meshborder_wasm", artifacts.meshborder.display())
        .set("lua_script", lua.display())
        .set(
            "plugin_config",
            quoted(&outbound_plugin_config(workload).to_string())?,
        );
    artifacts
        .lineup()
        .into_iter()
        .map(|config| {
            let envoy = start_one(
                HTTP,
                config,
                artifacts,
                &values,
                &run_dir.join(config.slug()),
                core,
            )?;
            Ok(Running {
                config,
                direct: envoy.listener_addr("direct")?,
                proxied: envoy.listener_addr("proxied")?,
                envoy,
            })
        })
        .collect()
}

/// Renders and starts the TCP configs (every config but Lua), each Envoy pinned to
/// `core`, in front of the bulk upstream at `upstream`.
pub fn start_tcp(
    artifacts: &Artifacts,
    upstream: SocketAddr,
    run_dir: &Path,
    core: usize,
) -> Result<Vec<TcpRunning>> {
    let values = Values::new()
        .set("upstream_port", upstream.port())
        .set("noop_wasm", artifacts.noop.display())
        .set("meshborder_wasm", artifacts.meshborder.display());
    artifacts
        .tcp_lineup()
        .into_iter()
        .map(|config| {
            let dir = run_dir.join(format!("tcp-{}", config.slug()));
            let envoy = start_one(TCP, config, artifacts, &values, &dir, core)?;
            Ok(TcpRunning {
                config,
                listener: envoy.listener_addr(TCP_LISTENER)?,
                envoy,
            })
        })
        .collect()
}

/// Renders `template` for `config` into a fresh `dir` and starts its Envoy there,
/// pinned to `core`.
fn start_one(
    template: Template,
    config: Config,
    artifacts: &Artifacts,
    values: &Values,
    dir: &Path,
    core: usize,
) -> Result<Envoy> {
    paths::fresh_dir(dir)?;
    let file = dir.join("envoy.yaml");
    let values = match config {
        Config::Variant(n) => {
            let wasm = artifacts
                .variants
                .get(n)
                .map(|(_, path)| path.display().to_string());
            values
                .clone()
                .set("meshborder_wasm", wasm.unwrap_or_default())
        }
        _ => values.clone(),
    };
    write(&file, &render_config(template, config, &values)?)?;
    let envoy = Envoy::start(&file, dir)?;
    machine::pin(envoy.pid(), core)?;
    Ok(envoy)
}

fn bench_dir() -> PathBuf {
    paths::workspace_root().join("bench/envoy")
}

/// `template` with its filters include standing for the config's own filters file,
/// which may include JSON files of `bench/envoy/` (`{{json:tcp-plugin.json}}`);
/// any other include is one of `envoy-config/include/`, shared with every template
/// (`{{include:stats-tags.yaml}}`).
fn render_config(template: Template, config: Config, values: &Values) -> Result<String> {
    let dir = bench_dir();
    let slug = match config {
        Config::Variant(_) => Config::Meshborder.slug(),
        _ => config.slug(),
    };
    let shared = format!("{}/", render::INCLUDE_DIR);
    let placeholder = format!("{shared}{}.yaml", template.filters);
    let filters = format!("{}-{slug}.yaml", template.filters);
    let text = read(&dir.join(template.file))?;
    render::render_text(template.file, &text, values, &|file| {
        let name = if file == placeholder {
            filters.as_str()
        } else if file.starts_with(&shared) {
            return read(&paths::config_dir().join(file));
        } else {
            file
        };
        let text = read(&dir.join(name))?;
        render::render_text(name, &text, values, &|nested| {
            if nested.ends_with(".json") {
                read(&dir.join(nested))
            } else {
                Err(HarnessError::Render {
                    template: name.to_owned(),
                    reason: format!("`{nested}`: a filters file includes only JSON files"),
                })
            }
        })
    })
}

/// `meshborder.lua` with the workload's identity, denied rule and country table.
fn render_lua(workload: &Workload) -> Result<String> {
    let template = "meshborder.lua";
    let text = read(&bench_dir().join(template))?;
    let countries: Vec<String> = COUNTRIES
        .iter()
        .map(|(code, region)| format!("  {code} = \"{region}\","))
        .collect();
    let values = Values::new()
        .set("cluster", CLUSTER)
        .set("region", REGION)
        .set("deny_host", workload.host())
        .set("deny_prefix", workload.denied_prefix())
        .set("deny_rule", Workload::rule_name(workload.denying_rule()))
        .set("countries", countries.join("\n"));
    render::render_text(template, &text, &values, &|file| {
        Err(HarnessError::Render {
            template: template.to_owned(),
            reason: format!("`{file}`: the Lua template includes nothing"),
        })
    })
}

/// A string as a quoted JSON string, which is also a YAML scalar.
fn quoted(text: &str) -> Result<String> {
    serde_json::to_string(text).map_err(|e| HarnessError::Render {
        template: "plugin config".to_owned(),
        reason: e.to_string(),
    })
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path)
        .map_err(|e| HarnessError::io(format!("reading `{}`", path.display()), e))
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| HarnessError::io(format!("writing `{}`", path.display()), e))
}
