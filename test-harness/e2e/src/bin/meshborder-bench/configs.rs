//! The configs compared, each an Envoy started with one worker and pinned to one
//! core: for the HTTP runs, the five rendered from `bench/envoy/bench.yaml` with
//! their own HTTP filters (bare, no-op, the floor, meshborder, Lua), each but Lua
//! with a front Envoy (`front.rs`) before its inbound mTLS listener, whose filters
//! are rendered with the inbound values; for the TCP runs, bare, no-op and
//! meshborder rendered from `bench/envoy/tcp.yaml` with their own network filters
//! before `tcp_proxy` (meshborder with `bench/envoy/tcp-plugin.json`). The run's
//! certificates are made fresh (`certs.rs`) in the run directory.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use meshborder_e2e::certs::TestPki;
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::render::{self, Values};
use meshborder_e2e::workload::{CLUSTER, COUNTRIES, REGION, Workload};
use meshborder_e2e::{HarnessError, Result, paths};

use meshborder_e2e::machine;

use crate::front::{self, Front};

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

    /// Whether it is a build of meshborder, which meters what crosses a border:
    /// the inbound metered request, and TCP connections.
    pub fn meters(self) -> bool {
        matches!(self, Self::Meshborder | Self::Variant(_))
    }

    /// Whether it has an inbound counterpart, so runs the inbound case: every
    /// config but Lua, whose script is the outbound side only.
    pub fn has_inbound(self) -> bool {
        !matches!(self, Self::Lua)
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
/// for a config's own filters: `{{include:FILTERS.yaml}}` is `FILTERS-SLUG.yaml`,
/// and `{{include:inbound-FILTERS.yaml}}` the same file rendered with the inbound
/// values.
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

/// A started config: its Envoy, the addresses of its two outbound listeners, and
/// the front before its inbound one.
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
    /// The front Envoy before the inbound mTLS listener; none for a config
    /// without an inbound counterpart.
    pub front: Option<Front>,
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

/// The listener of [`HTTP`] the front Envoy forwards to.
pub const INBOUND_LISTENER: &str = "inbound";
/// The listener of [`HTTP`] that answers with `direct_response`.
pub const DIRECT_LISTENER: &str = "direct";

/// The workload's plugin config as the shipped plugins have it: the direction
/// named (`outbound` or `inbound`), not read from the listener per request. The
/// workload itself keeps `auto`, for the wasm host's inbound metered request.
fn directed_plugin_config(workload: &Workload, direction: &str) -> serde_json::Value {
    let mut config = workload.plugin_config();
    if let Some(object) = config.as_object_mut() {
        object.insert("direction".to_owned(), direction.into());
    }
    config
}

/// The values of one template: for the whole file, and those that differ in the
/// filters of its inbound listener.
#[derive(Debug)]
struct Filling {
    values: Values,
    inbound: Values,
}

impl Filling {
    /// The same values everywhere.
    fn uniform(values: Values) -> Self {
        Self {
            values,
            inbound: Values::new(),
        }
    }
}

/// The values of [`HTTP`]: the identity, the upstream, the run's certificates, the
/// filters' files and configs (outbound, and inbound for the inbound listener).
fn http_filling(
    artifacts: &Artifacts,
    workload: &Workload,
    upstream: SocketAddr,
    pki: &TestPki,
    lua: &Path,
) -> Result<Filling> {
    let plugin_config =
        |direction| quoted(&directed_plugin_config(workload, direction).to_string());
    let values = Values::new()
        .set("cluster", CLUSTER)
        .set("region", REGION)
        .set("upstream_port", upstream.port())
        .set("server_cert", pki.server.cert_path.display())
        .set("server_key", pki.server.key_path.display())
        .set("ca_cert", pki.ca_path.display())
        .set("noop_wasm", artifacts.noop.display())
        .set("floor_wasm", artifacts.floor.display())
        .set("floor_config", quoted(&workload.floor_outbound_config())?)
        .set("meshborder_wasm", artifacts.meshborder.display())
        .set("lua_script", lua.display())
        .set("plugin_config", plugin_config("outbound")?);
    let inbound = Values::new()
        .set("floor_config", quoted(&workload.floor_inbound_config())?)
        .set("plugin_config", plugin_config("inbound")?);
    Ok(Filling { values, inbound })
}

/// Renders every config's bootstrap of [`HTTP`] into `run_dir` ([`bootstrap`]),
/// with `pki`'s certificates for the inbound listener.
pub fn render_all(
    artifacts: &Artifacts,
    workload: &Workload,
    upstream: SocketAddr,
    pki: &TestPki,
    run_dir: &Path,
) -> Result<()> {
    let lua = run_dir.join("meshborder.lua");
    write(&lua, &render_lua(workload)?)?;
    let filling = http_filling(artifacts, workload, upstream, pki, &lua)?;
    for config in artifacts.lineup() {
        paths::fresh_dir(&run_dir.join(config.slug()))?;
        write(
            &bootstrap(run_dir, config),
            &render_config(HTTP, config, artifacts, &filling)?,
        )?;
    }
    Ok(())
}

/// Renders and starts every config, each Envoy pinned to the first of `cores`,
/// and for each with an inbound counterpart, a front Envoy pinned to the second.
pub fn start_all(
    artifacts: &Artifacts,
    workload: &Workload,
    upstream: SocketAddr,
    pki: &TestPki,
    run_dir: &Path,
    cores: (usize, usize),
) -> Result<Vec<Running>> {
    let (core, front_core) = cores;
    render_all(artifacts, workload, upstream, pki, run_dir)?;
    artifacts
        .lineup()
        .into_iter()
        .map(|config| {
            let dir = run_dir.join(config.slug());
            let envoy = Envoy::start(&bootstrap(run_dir, config), &dir)?;
            machine::pin(envoy.pid(), core)?;
            let front = if config.has_inbound() {
                let inbound = envoy.listener_addr(INBOUND_LISTENER)?;
                let dir = run_dir.join(format!("front-{}", config.slug()));
                Some(front::start(pki, inbound, &dir, front_core)?)
            } else {
                None
            };
            Ok(Running {
                config,
                direct: envoy.listener_addr(DIRECT_LISTENER)?,
                proxied: envoy.listener_addr("proxied")?,
                envoy,
                front,
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
    let filling = Filling::uniform(
        Values::new()
            .set("upstream_port", upstream.port())
            .set("noop_wasm", artifacts.noop.display())
            .set("meshborder_wasm", artifacts.meshborder.display()),
    );
    artifacts
        .tcp_lineup()
        .into_iter()
        .map(|config| {
            let dir = run_dir.join(format!("tcp-{}", config.slug()));
            let envoy = start_one(TCP, config, artifacts, &filling, &dir, core)?;
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
    filling: &Filling,
    dir: &Path,
    core: usize,
) -> Result<Envoy> {
    paths::fresh_dir(dir)?;
    let file = dir.join("envoy.yaml");
    write(&file, &render_config(template, config, artifacts, filling)?)?;
    let envoy = Envoy::start(&file, dir)?;
    machine::pin(envoy.pid(), core)?;
    Ok(envoy)
}

/// The bootstrap [`start_all`] rendered for `config` in `run_dir`.
pub fn bootstrap(run_dir: &Path, config: Config) -> PathBuf {
    run_dir.join(config.slug()).join("envoy.yaml")
}

/// The folder of the bench's templates and filters files.
pub fn bench_dir() -> PathBuf {
    paths::workspace_root().join("bench/envoy")
}

/// `template` with its filters includes standing for the config's own filters
/// file (rendered with the inbound values for `inbound-FILTERS.yaml`), which may
/// include JSON files of `bench/envoy/` (`{{json:tcp-plugin.json}}`); any other
/// include is one of `envoy-config/include/`, shared with every template
/// (`{{include:stats-tags.yaml}}`). A variant is meshborder's filters with its own
/// `.wasm`.
fn render_config(
    template: Template,
    config: Config,
    artifacts: &Artifacts,
    filling: &Filling,
) -> Result<String> {
    let dir = bench_dir();
    let (slug, values) = match config {
        Config::Variant(n) => {
            let wasm = artifacts
                .variants
                .get(n)
                .map(|(_, path)| path.display().to_string());
            let values = filling
                .values
                .clone()
                .set("meshborder_wasm", wasm.unwrap_or_default());
            (Config::Meshborder.slug(), values)
        }
        _ => (config.slug(), filling.values.clone()),
    };
    let shared = format!("{}/", render::INCLUDE_DIR);
    let placeholder = format!("{shared}{}.yaml", template.filters);
    let inbound_placeholder = format!("{shared}inbound-{}.yaml", template.filters);
    let filters = format!("{}-{slug}.yaml", template.filters);
    let inbound = values.clone().merge(filling.inbound.clone());
    let text = read(&dir.join(template.file))?;
    render::render_text(template.file, &text, &values, &|file| {
        let (name, values) = if file == placeholder {
            (filters.as_str(), &values)
        } else if file == inbound_placeholder {
            (filters.as_str(), &inbound)
        } else if file.starts_with(&shared) {
            return read(&paths::config_dir().join(file));
        } else {
            (file, &values)
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

/// The text of `path`, or an error naming it.
pub fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path)
        .map_err(|e| HarnessError::io(format!("reading `{}`", path.display()), e))
}

/// Writes `text` to `path`, or fails naming it.
pub fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| HarnessError::io(format!("writing `{}`", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshborder_e2e::ports::LOOPBACK;
    use serde_yaml_ng::Value as Yaml;

    fn artifacts() -> Artifacts {
        Artifacts {
            meshborder: PathBuf::from("meshborder.wasm"),
            noop: PathBuf::from("noop.wasm"),
            floor: PathBuf::from("floor.wasm"),
            variants: vec![("other".to_owned(), PathBuf::from("other.wasm"))],
            only: Vec::new(),
        }
    }

    /// [`HTTP`] rendered for `config`, with the run's certificates in a fresh
    /// directory under `label`, and that directory.
    fn rendered(label: &str, config: Config) -> (String, PathBuf) {
        let dir = paths::run_dir(label).unwrap();
        let pki = TestPki::generate(&dir.join("certs")).unwrap();
        let upstream = SocketAddr::from((LOOPBACK, 1));
        let filling = http_filling(
            &artifacts(),
            &Workload::BENCH,
            upstream,
            &pki,
            &dir.join("meshborder.lua"),
        )
        .unwrap();
        (
            render_config(HTTP, config, &artifacts(), &filling).unwrap(),
            dir,
        )
    }

    /// The `configuration` value of the first wasm filter of listener `name`.
    fn wasm_configuration(yaml: &str, name: &str) -> String {
        let bootstrap: Yaml = serde_yaml_ng::from_str(yaml).unwrap();
        let listener = bootstrap["static_resources"]["listeners"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|listener| listener["name"].as_str() == Some(name))
            .unwrap();
        let manager = &listener["filter_chains"][0]["filters"][0]["typed_config"];
        let filter = &manager["http_filters"][0]["typed_config"]["config"];
        filter["configuration"]["value"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn the_inbound_listener_runs_the_floor_with_its_inbound_config() {
        let (yaml, _) = rendered("bench-render-floor", Config::Floor);
        let workload = Workload::BENCH;
        assert_eq!(
            wasm_configuration(&yaml, DIRECT_LISTENER),
            workload.floor_outbound_config()
        );
        assert_eq!(
            wasm_configuration(&yaml, INBOUND_LISTENER),
            workload.floor_inbound_config()
        );
    }

    #[test]
    fn the_inbound_listener_runs_meshborder_with_direction_inbound() {
        for config in [Config::Meshborder, Config::Variant(0)] {
            let (yaml, _) = rendered(&format!("bench-render-{}", config.slug()), config);
            let direction = |listener| {
                let plugin: serde_json::Value =
                    serde_json::from_str(&wasm_configuration(&yaml, listener)).unwrap();
                plugin["direction"].as_str().unwrap().to_owned()
            };
            assert_eq!(direction(DIRECT_LISTENER), "outbound", "{config:?}");
            assert_eq!(direction("proxied"), "outbound", "{config:?}");
            assert_eq!(direction(INBOUND_LISTENER), "inbound", "{config:?}");
            let wasm = if config == Config::Meshborder {
                "meshborder.wasm"
            } else {
                "other.wasm"
            };
            assert!(yaml.contains(wasm), "{config:?}: {yaml}");
        }
    }

    #[test]
    fn the_bare_config_validates_in_envoy_with_its_inbound_mtls_listener() {
        let (yaml, dir) = rendered("bench-validate-bare", Config::Bare);
        let file = dir.join("envoy.yaml");
        write(&file, &yaml).unwrap();
        Envoy::validate(&file).unwrap();
    }
}
