//! The eu-west sidecar of the mesh, running: its app, and Envoy with the residency
//! rules. Its filter config is inlined in the bootstrap, as shipped, or discovered
//! from a watched file next to it (ECDS, see [`crate::ecds`]), so that a run can
//! swap it while traffic flows. Its node is in zone `eu-west-1a`, or, for a test of
//! a node without a zone, in another zone or none.

use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde_json::Value;

use super::{envoy_dir, start_envoy};
use crate::ecds::{self, ConfigUpdate, EcdsFile, EcdsStats};
use crate::envoy::Envoy;
use crate::error::{HarnessError, Result};
use crate::plugin_config;
use crate::ports::InboundPorts;
use crate::topology::{
    self, ConfigFiles, EU_WEST_APP, EU_WEST_ECDS_TEMPLATE, EU_WEST_FILTER, EU_WEST_INBOUND,
    EU_WEST_INBOUND_WATCHED, EU_WEST_REGION, EU_WEST_ZONE, InboundSite, MTLS_LISTENER,
    PLAINTEXT_LISTENER, ResidencyMode,
};
use crate::upstream::EchoApp;

/// Where eu-west's filter takes its plugin config from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EuWestConfig {
    /// Inlined in the bootstrap, as `eu-west-inbound.yaml` ships it.
    Inline,
    /// Discovered from a watched file (`eu-west-inbound-watched.yaml`), whose first
    /// version carries the mode's shipped plugin config; a run can swap it.
    Watched,
}

/// Where the watched file of eu-west's filter config is written, inside its
/// directory of the run.
pub const EU_WEST_ECDS_FILE: &str = "ecds/meshborder.yaml";

/// The eu-west sidecar (inbound, with the residency rules) and the app behind it.
#[derive(Debug)]
pub struct EuWestSidecar {
    /// Enforcing or auditing.
    pub mode: ResidencyMode,
    /// Envoy, with the filter loaded.
    pub envoy: Envoy,
    /// The listener that requires a client certificate.
    pub mtls: SocketAddr,
    /// The plaintext listener.
    pub plaintext: SocketAddr,
    /// The app behind it.
    pub app: EchoApp,
    /// The watched file of its filter config, when it has one.
    watched: Option<EcdsFile>,
}

impl EuWestSidecar {
    /// Starts the app and Envoy on `ports` of `bind`, in `run_dir/<config name>/`.
    pub fn start(
        mode: ResidencyMode,
        bind: IpAddr,
        ports: &InboundPorts,
        files: &ConfigFiles,
        run_dir: &Path,
    ) -> Result<Self> {
        Self::start_with(mode, EuWestConfig::Inline, bind, ports, files, run_dir)
    }

    /// Like [`EuWestSidecar::start`], with its filter config from `config`. A
    /// watched file's first version must be accepted by the time Envoy is ready.
    pub fn start_with(
        mode: ResidencyMode,
        config: EuWestConfig,
        bind: IpAddr,
        ports: &InboundPorts,
        files: &ConfigFiles,
        run_dir: &Path,
    ) -> Result<Self> {
        Self::start_at(mode, config, EU_WEST_ZONE, bind, ports, files, run_dir)
    }

    /// Like [`EuWestSidecar::start`], its node in `zone` instead of
    /// [`EU_WEST_ZONE`]; an empty `zone` is a node without a zone.
    pub fn start_in_zone(
        mode: ResidencyMode,
        zone: &str,
        bind: IpAddr,
        ports: &InboundPorts,
        files: &ConfigFiles,
        run_dir: &Path,
    ) -> Result<Self> {
        Self::start_at(
            mode,
            EuWestConfig::Inline,
            zone,
            bind,
            ports,
            files,
            run_dir,
        )
    }

    fn start_at(
        mode: ResidencyMode,
        config: EuWestConfig,
        zone: &str,
        bind: IpAddr,
        ports: &InboundPorts,
        files: &ConfigFiles,
        run_dir: &Path,
    ) -> Result<Self> {
        let app = EchoApp::start(
            EU_WEST_APP,
            EU_WEST_REGION,
            SocketAddr::new(bind, ports.app),
        )?;
        let site = InboundSite {
            bind: bind.to_string(),
            admin_port: ports.admin,
            mtls_port: ports.mtls,
            plaintext_port: ports.plaintext,
            app: app.addr().into(),
        };
        let name = mode.config_name();
        let dir = envoy_dir(name, run_dir)?;
        let (envoy, watched) = match config {
            EuWestConfig::Inline => {
                let values = topology::inbound_values(mode, &site, files).set("zone", zone);
                (start_envoy(name, EU_WEST_INBOUND, &values, &dir)?, None)
            }
            EuWestConfig::Watched => {
                let (envoy, file) = start_watched(mode, &site, files, zone, &dir)?;
                (envoy, Some(file))
            }
        };
        Ok(Self {
            mode,
            mtls: envoy.listener_addr(MTLS_LISTENER)?,
            plaintext: envoy.listener_addr(PLAINTEXT_LISTENER)?,
            envoy,
            app,
            watched,
        })
    }

    /// Moves a new version of the watched filter config, carrying `plugin_config`,
    /// into place, and waits for Envoy's verdict. Fails for an inline config.
    pub fn reconfigure(&mut self, plugin_config: &Value) -> Result<ConfigUpdate> {
        let Some(file) = self.watched.as_mut() else {
            return Err(HarnessError::Missing {
                what: "a watched filter config on eu-west".to_owned(),
                hint: "start eu-west with `EuWestConfig::Watched`".to_owned(),
            });
        };
        ecds::publish_and_wait(&self.envoy, EU_WEST_FILTER, file, plugin_config)
    }

    /// Envoy's counters for the watched filter config (an error for an inline one,
    /// which has none).
    pub fn config_stats(&self) -> Result<EcdsStats> {
        EcdsStats::read(&self.envoy, EU_WEST_FILTER)
    }
}

/// Writes the watched file's first version (the mode's shipped plugin config) into
/// `dir`, starts Envoy there, and checks that it accepted that version.
fn start_watched(
    mode: ResidencyMode,
    site: &InboundSite,
    files: &ConfigFiles,
    zone: &str,
    dir: &Path,
) -> Result<(Envoy, EcdsFile)> {
    let path = dir.join(EU_WEST_ECDS_FILE);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| HarnessError::io(format!("creating `{}`", parent.display()), e))?;
    }
    let values = topology::watched_inbound_values(mode, site, files, &path.to_string_lossy())
        .set("zone", zone);
    let mut file = EcdsFile::new(path, EU_WEST_ECDS_TEMPLATE, values.clone());
    file.publish(&plugin_config::shipped(mode.plugin_config())?)?;
    let envoy = start_envoy(mode.config_name(), EU_WEST_INBOUND_WATCHED, &values, dir)?;
    let stats = EcdsStats::read(&envoy, EU_WEST_FILTER)?;
    if stats.version != "1" {
        return Err(envoy.error(&format!(
            "eu-west did not accept its filter config from `{}` ({stats:?})",
            file.path().display()
        )));
    }
    Ok((envoy, file))
}
