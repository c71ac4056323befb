//! The regional ingress gateway of cluster `eu-west` (region `eu-west-1`), running:
//! Envoy from `envoy-config/gateway.yaml` in front of one echo app per region, the
//! meshborder filter routing each visitor by `x-user-region` or `cf-ipcountry`.
//!
//! The filter's config comes from a watched file (ECDS, see [`crate::ecds`]) in the
//! run's directory, so a test or the demo can replace it while traffic flows
//! ([`Gateway::reconfigure`]). The bootstrap also inlines the shipped config as
//! the default, which Envoy checks at startup. Dropping a [`Gateway`] stops Envoy
//! and the apps.

use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde_json::Value;

use crate::ecds::{self, ConfigUpdate, EcdsFile, EcdsStats};
use crate::envoy::Envoy;
use crate::error::{HarnessError, Result};
use crate::paths;
use crate::plugin_config;
use crate::ports;
use crate::render::{self, Values};
use crate::topology::Endpoint;
use crate::upstream::EchoApp;

/// The gateway's bootstrap template.
pub const GATEWAY: &str = "gateway.yaml";
/// The template of the file its filter config is discovered from.
pub const ECDS_TEMPLATE: &str = "ecds/gateway-meshborder.yaml";
/// The shipped plugin config, in both of the above.
pub const PLUGIN_CONFIG: &str = "gateway-plugin.json";
/// The name of the HTTP filter, which is also the name of the discovered resource.
pub const FILTER: &str = "meshborder";
/// The gateway's HTTP listener.
pub const LISTENER: &str = "gateway_http";
/// Where the discovered file is written, inside the run's directory.
pub const ECDS_FILE: &str = "ecds/meshborder.yaml";

/// The gateway's cluster (node metadata `CLUSTER_ID`).
pub const CLUSTER: &str = "eu-west";
/// The gateway's region (node locality).
pub const REGION: &str = "eu-west-1";

/// An echo app behind the gateway: how it names itself, and its region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionApp {
    /// The name it answers with (`app` in its JSON).
    pub name: &'static str,
    /// Its region (`region` in its JSON), the route region that reaches it.
    pub region: &'static str,
}

/// The app in the gateway's own region, which also serves requests without a
/// routing decision.
pub const EU_WEST_APP: RegionApp = RegionApp {
    name: "eu-west-app",
    region: "eu-west-1",
};
/// The app in eu-central-1.
pub const EU_CENTRAL_APP: RegionApp = RegionApp {
    name: "eu-central-app",
    region: "eu-central-1",
};
/// The app in us-east-1, the shipped config's default region.
pub const US_EAST_APP: RegionApp = RegionApp {
    name: "us-east-app",
    region: "us-east-1",
};

/// The ports of a gateway run. 0 means "any free port".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayPorts {
    /// Envoy's admin API.
    pub admin: u16,
    /// The gateway's HTTP listener.
    pub listener: u16,
    /// The eu-west-1 app.
    pub eu_west_app: u16,
    /// The eu-central-1 app.
    pub eu_central_app: u16,
    /// The us-east-1 app.
    pub us_east_app: u16,
}

impl GatewayPorts {
    /// Every port picked by the kernel: what tests use.
    pub const EPHEMERAL: Self = Self {
        admin: 0,
        listener: 0,
        eu_west_app: 0,
        eu_central_app: 0,
        us_east_app: 0,
    };

    /// Fails with [`HarnessError::PortBusy`] for the first fixed port on `ip` that
    /// something already listens on. Port 0 is always free.
    pub fn ensure_free(&self, ip: IpAddr) -> Result<()> {
        [
            self.admin,
            self.listener,
            self.eu_west_app,
            self.eu_central_app,
            self.us_east_app,
        ]
        .into_iter()
        .filter(|port| *port != 0)
        .try_for_each(|port| ports::ensure_free(SocketAddr::new(ip, port)))
    }
}

/// Where the gateway listens, what it routes to, and where its files are, as the
/// Envoy that loads the config sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySite {
    /// The address its listener and admin API bind.
    pub bind: String,
    /// Admin API port.
    pub admin_port: u16,
    /// HTTP listener port.
    pub listener_port: u16,
    /// The eu-west-1 app.
    pub eu_west_app: Endpoint,
    /// The eu-central-1 app.
    pub eu_central_app: Endpoint,
    /// The us-east-1 app.
    pub us_east_app: Endpoint,
    /// The watched file the filter config is discovered from.
    pub ecds_path: String,
    /// The filter's `.wasm`.
    pub wasm: String,
}

/// The values of [`GATEWAY`] and [`ECDS_TEMPLATE`] (but `version`) for `site`.
pub fn values(site: &GatewaySite) -> Values {
    Values::new()
        .set("bind_address", &site.bind)
        .set("admin_port", site.admin_port)
        .set("listener_port", site.listener_port)
        .set("eu_app_host", &site.eu_west_app.host)
        .set("eu_app_port", site.eu_west_app.port)
        .set("eu_central_app_host", &site.eu_central_app.host)
        .set("eu_central_app_port", site.eu_central_app.port)
        .set("us_app_host", &site.us_east_app.host)
        .set("us_app_port", site.us_east_app.port)
        .set("ecds_path", &site.ecds_path)
        .set("wasm_path", &site.wasm)
}

/// The values of [`GATEWAY`] for `envoy --mode validate`, which binds nothing and
/// only checks that the watched file exists: loopback, port 0, and the ECDS
/// template itself as that file.
pub fn validation_values(wasm: &Path) -> Values {
    let any = Endpoint::from(SocketAddr::new(ports::LOOPBACK, 0));
    values(&GatewaySite {
        bind: ports::LOOPBACK.to_string(),
        admin_port: 0,
        listener_port: 0,
        eu_west_app: any.clone(),
        eu_central_app: any.clone(),
        us_east_app: any,
        ecds_path: paths::config_dir()
            .join(ECDS_TEMPLATE)
            .display()
            .to_string(),
        wasm: wasm.display().to_string(),
    })
}

/// The gateway, running.
#[derive(Debug)]
pub struct Gateway {
    /// Envoy, with the filter loaded.
    pub envoy: Envoy,
    /// Where the gateway's HTTP listener is bound.
    pub listener: SocketAddr,
    /// The app for `x-meshborder-route-region: eu-west-1` and for requests without
    /// a routing decision.
    pub eu_west_app: EchoApp,
    /// The app for `eu-central-1`.
    pub eu_central_app: EchoApp,
    /// The app for `us-east-1`.
    pub us_east_app: EchoApp,
    config: EcdsFile,
}

impl Gateway {
    /// Starts the apps and Envoy on `ports` of `bind`, with the filter at `wasm` and
    /// the shipped plugin config, rendering the config into (and logging to)
    /// `run_dir`. Fails if Envoy does not accept the config.
    pub fn start(bind: IpAddr, ports: &GatewayPorts, wasm: &Path, run_dir: &Path) -> Result<Self> {
        let gateway = Self::start_with_plugin_config(
            bind,
            ports,
            wasm,
            run_dir,
            &plugin_config::shipped(PLUGIN_CONFIG)?,
        )?;
        let stats = gateway.config_stats()?;
        if stats.version == "1" {
            Ok(gateway)
        } else {
            Err(gateway.envoy.error(&format!(
                "the gateway did not accept its filter config from `{}` ({stats:?})",
                gateway.ecds_path().display()
            )))
        }
    }

    /// Like [`Gateway::start`], but the watched file's first version carries
    /// `plugin_config`. Returns once Envoy is ready, whether it accepted that version
    /// or not ([`Gateway::config_stats`] says); if not, the shipped config inlined
    /// in the bootstrap serves.
    pub fn start_with_plugin_config(
        bind: IpAddr,
        ports: &GatewayPorts,
        wasm: &Path,
        run_dir: &Path,
        plugin_config: &Value,
    ) -> Result<Self> {
        let app = |app: RegionApp, port: u16| {
            EchoApp::start(app.name, app.region, SocketAddr::new(bind, port))
        };
        let eu_west_app = app(EU_WEST_APP, ports.eu_west_app)?;
        let eu_central_app = app(EU_CENTRAL_APP, ports.eu_central_app)?;
        let us_east_app = app(US_EAST_APP, ports.us_east_app)?;
        let ecds_path = run_dir.join(ECDS_FILE);
        create_parent(&ecds_path)?;
        let values = values(&GatewaySite {
            bind: bind.to_string(),
            admin_port: ports.admin,
            listener_port: ports.listener,
            eu_west_app: eu_west_app.addr().into(),
            eu_central_app: eu_central_app.addr().into(),
            us_east_app: us_east_app.addr().into(),
            ecds_path: ecds_path.display().to_string(),
            wasm: wasm.display().to_string(),
        });
        let mut config = EcdsFile::new(ecds_path, ECDS_TEMPLATE, values.clone());
        config.publish(plugin_config)?;
        let bootstrap = render::render_to_dir(GATEWAY, &values, run_dir)?;
        let envoy = Envoy::start(&bootstrap, run_dir)?;
        let listener = envoy.listener_addr(LISTENER)?;
        Ok(Self {
            envoy,
            listener,
            eu_west_app,
            eu_central_app,
            us_east_app,
            config,
        })
    }

    /// Moves a new version of the filter config, carrying `plugin_config`, into
    /// place, and waits until Envoy has accepted it on every worker (the next
    /// request uses it) or rejected it (the last good one keeps serving).
    pub fn reconfigure(&mut self, plugin_config: &Value) -> Result<ConfigUpdate> {
        ecds::publish_and_wait(&self.envoy, FILTER, &mut self.config, plugin_config)
    }

    /// Envoy's counters for the discovered filter config.
    pub fn config_stats(&self) -> Result<EcdsStats> {
        EcdsStats::read(&self.envoy, FILTER)
    }

    /// The watched file the filter config is discovered from.
    pub fn ecds_path(&self) -> &Path {
        self.config.path()
    }
}

fn create_parent(path: &Path) -> Result<()> {
    let Some(dir) = path.parent() else {
        return Ok(());
    };
    fs::create_dir_all(dir)
        .map_err(|e| HarnessError::io(format!("creating `{}`", dir.display()), e))
}
