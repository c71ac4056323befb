//! An inbound sidecar in another cluster than eu-west, for runs that need traffic
//! to cross a border in both directions (the global layer's federation test):
//! eu-west's bootstrap (`eu-west-inbound.yaml`, enforcing) rendered exactly as
//! eu-west's is, then its node moved to the other cluster, region and zone (node
//! metadata `CLUSTER_ID` and locality, where Istio puts them and the filter reads
//! them) before Envoy loads it. No template changes; the filter config, with its
//! `clusters` table and trusted peers, is eu-west's, so the sidecar counts every
//! caller from another cluster as eu-west's does.

use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde_yaml_ng::Value;

use super::envoy_dir;
use crate::envoy::Envoy;
use crate::error::{HarnessError, Result};
use crate::render;
use crate::topology::{
    self, Caller, ConfigFiles, EU_WEST_INBOUND, InboundSite, MTLS_LISTENER, ResidencyMode,
};
use crate::upstream::EchoApp;

/// An inbound sidecar of another cluster and the app behind it.
#[derive(Debug)]
pub struct InboundSidecarElsewhere {
    /// The cluster, region and zone of its node (a caller's, whose app it fronts).
    pub site: Caller,
    /// Envoy, with the filter loaded.
    pub envoy: Envoy,
    /// The listener that requires a client certificate.
    pub mtls: SocketAddr,
    /// The app behind it.
    pub app: EchoApp,
}

impl InboundSidecarElsewhere {
    /// Starts the app and Envoy on free ports of `bind`, its node in `site`'s
    /// cluster, region and zone, in `run_dir/<cluster>-inbound/`.
    pub fn start(site: Caller, bind: IpAddr, files: &ConfigFiles, run_dir: &Path) -> Result<Self> {
        let app = EchoApp::start(site.app, site.region, SocketAddr::new(bind, 0))?;
        let inbound = InboundSite {
            bind: bind.to_string(),
            admin_port: 0,
            mtls_port: 0,
            plaintext_port: 0,
            app: app.addr().into(),
        };
        let values = topology::inbound_values(ResidencyMode::Enforce, &inbound, files)
            .set("zone", site.zone);
        let name = format!("{}-inbound", site.cluster);
        let mut bootstrap: Value =
            serde_yaml_ng::from_str(&render::render(EU_WEST_INBOUND, &values)?).map_err(|e| {
                invalid(&format!(
                    "the rendered `{EU_WEST_INBOUND}` is not YAML: {e}"
                ))
            })?;
        move_node(&mut bootstrap, &site)?;
        let dir = envoy_dir(&name, run_dir)?;
        let config = dir.join(topology::config_file_name(&name));
        let text = serde_yaml_ng::to_string(&bootstrap)
            .map_err(|e| invalid(&format!("writing `{name}` as YAML: {e}")))?;
        fs::write(&config, text)
            .map_err(|e| HarnessError::io(format!("writing `{}`", config.display()), e))?;
        let envoy = Envoy::start(&config, &dir)?;
        Ok(Self {
            site,
            mtls: envoy.listener_addr(MTLS_LISTENER)?,
            envoy,
            app,
        })
    }
}

/// Sets the node's `CLUSTER_ID`, region and zone to `site`'s.
fn move_node(bootstrap: &mut Value, site: &Caller) -> Result<()> {
    let node = bootstrap
        .get_mut("node")
        .ok_or_else(|| invalid(&format!("`{EU_WEST_INBOUND}` has no `node`")))?;
    let fields = [
        ("metadata", "CLUSTER_ID", site.cluster),
        ("locality", "region", site.region),
        ("locality", "zone", site.zone),
    ];
    for (parent, field, value) in fields {
        let slot = node
            .get_mut(parent)
            .and_then(|parent| parent.get_mut(field))
            .ok_or_else(|| {
                invalid(&format!(
                    "`{EU_WEST_INBOUND}` has no `node.{parent}.{field}`"
                ))
            })?;
        *slot = Value::from(value);
    }
    Ok(())
}

fn invalid(reason: &str) -> HarnessError {
    HarnessError::Render {
        template: EU_WEST_INBOUND.to_owned(),
        reason: reason.to_owned(),
    }
}
