//! The four configs compared, each an Envoy rendered from `bench/envoy/bench.yaml`
//! with its own filters, started with one worker and pinned to one core.

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
    /// meshborder with the workload's plugin config.
    Meshborder,
    /// The Lua counterpart of meshborder.
    Lua,
    /// Another build of meshborder, the `n`th `--variant`, same plugin config.
    Variant(usize),
}

impl Config {
    /// Every config, in the order each round runs them.
    pub const ALL: [Self; 4] = [Self::Bare, Self::Noop, Self::Meshborder, Self::Lua];

    /// The name in tables.
    pub fn name(self, artifacts: &Artifacts) -> String {
        match self {
            Self::Bare => "bare Envoy".to_owned(),
            Self::Noop => "no-op wasm".to_owned(),
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
            Self::Meshborder => "meshborder".to_owned(),
            Self::Lua => "lua".to_owned(),
            Self::Variant(n) => format!("variant-{n}"),
        }
    }

    /// Whether it runs meshborder's logic (a variant does), so it denies and routes.
    pub fn filters(self) -> bool {
        matches!(self, Self::Meshborder | Self::Lua | Self::Variant(_))
    }
}

/// The `.wasm` files the configs load.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// meshborder, as `make build` ships it.
    pub meshborder: PathBuf,
    /// The no-op filter.
    pub noop: PathBuf,
    /// Other builds of meshborder to compare in the same rounds, by name.
    pub variants: Vec<(String, PathBuf)>,
    /// When not empty, only these of the four configs run (`bare`, `noop`,
    /// `meshborder`, `lua`); variants always do.
    pub only: Vec<String>,
}

impl Artifacts {
    /// Every config: the four of the report, then the variants.
    pub fn lineup(&self) -> Vec<Config> {
        let mut configs: Vec<Config> = Config::ALL
            .into_iter()
            .filter(|config| self.only.is_empty() || self.only.contains(&config.slug()))
            .collect();
        configs.extend((0..self.variants.len()).map(Config::Variant));
        configs
    }
}

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
        .set("meshborder_wasm", artifacts.meshborder.display())
        .set("lua_script", lua.display())
        .set(
            "plugin_config",
            quoted(&workload.plugin_config().to_string())?,
        );
    artifacts
        .lineup()
        .into_iter()
        .map(|config| {
            let dir = run_dir.join(config.slug());
            paths::fresh_dir(&dir)?;
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
            write(&file, &render_config(config, &values)?)?;
            let envoy = Envoy::start(&file, &dir)?;
            machine::pin(envoy.pid(), core)?;
            Ok(Running {
                config,
                direct: envoy.listener_addr("direct")?,
                proxied: envoy.listener_addr("proxied")?,
                envoy,
            })
        })
        .collect()
}

fn bench_dir() -> PathBuf {
    paths::workspace_root().join("bench/envoy")
}

/// `bench.yaml` with `filters.yaml` standing for the config's own filters file.
fn render_config(config: Config, values: &Values) -> Result<String> {
    let dir = bench_dir();
    let template = "bench.yaml";
    let slug = match config {
        Config::Variant(_) => Config::Meshborder.slug(),
        _ => config.slug(),
    };
    let filters = format!("filters-{slug}.yaml");
    let text = read(&dir.join(template))?;
    render::render_text(template, &text, values, &|file| {
        let name = if file == "include/filters.yaml" {
            filters.as_str()
        } else {
            file
        };
        let text = read(&dir.join(name))?;
        render::render_text(name, &text, values, &|nested| {
            Err(HarnessError::Render {
                template: name.to_owned(),
                reason: format!("`{nested}`: a filters file includes nothing"),
            })
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
