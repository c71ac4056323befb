//! The Envoys of the suite, running: the mesh (eu-west enforcing, us-east and
//! eu-central calling), the auditing eu-west next to it, and the eu-west ingress
//! gateway, each known by the name its counters and log lines carry on both sides;
//! and where each [`Entry`] sends a request.

use std::net::SocketAddr;

use super::case::Entry;
use crate::envoy::Envoy;
use crate::error::{HarnessError, Result};
use crate::gateway::{Gateway, GatewayPorts};
use crate::mesh::{EuWestSidecar, Mesh};
use crate::paths;
use crate::ports::{LOOPBACK, MeshPorts};
use crate::tls::TlsClient;
use crate::topology::{Caller, ResidencyMode};

/// The name of the gateway's Envoy in reports.
pub const GATEWAY: &str = "gateway";
/// The name of the enforcing eu-west.
pub const EU_WEST: &str = "eu-west";
/// The name of the auditing eu-west.
pub const EU_WEST_AUDIT: &str = "eu-west-audit";

/// Every Envoy of the suite.
#[derive(Debug)]
pub struct Sites {
    /// The mesh.
    pub mesh: Mesh,
    /// The auditing eu-west, with the mesh's certificates.
    pub audit: EuWestSidecar,
    /// The ingress gateway.
    pub gateway: Gateway,
}

impl Sites {
    /// Starts them all, for a run named `label`, with `callers`.
    pub fn start(label: &str, callers: &[Caller]) -> Result<Self> {
        let mesh = Mesh::start(label, ResidencyMode::Enforce, callers)?;
        let audit = mesh.start_eu_west(ResidencyMode::Audit, LOOPBACK, &MeshPorts::EPHEMERAL)?;
        let dir = mesh.run_dir.join(GATEWAY);
        paths::fresh_dir(&dir)?;
        let gateway = Gateway::start(
            LOOPBACK,
            &GatewayPorts::EPHEMERAL,
            &paths::filter_wasm()?,
            &dir,
        )?;
        Ok(Self {
            mesh,
            audit,
            gateway,
        })
    }

    /// Every Envoy, by name: eu-west, the auditing one, the gateway, the callers.
    pub fn envoys(&self) -> Vec<(&'static str, &Envoy)> {
        let mut all = vec![
            (EU_WEST, &self.mesh.eu_west.envoy),
            (EU_WEST_AUDIT, &self.audit.envoy),
            (GATEWAY, &self.gateway.envoy),
        ];
        all.extend(self.mesh.callers.iter().map(|c| (c.caller.name, &c.envoy)));
        all
    }

    /// The Envoy called `name`.
    pub fn envoy(&self, name: &str) -> Result<&Envoy> {
        self.envoys()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, envoy)| envoy)
            .ok_or_else(|| HarnessError::Missing {
                what: format!("an Envoy called `{name}`"),
                hint: "start the mesh with that caller".to_owned(),
            })
    }

    /// Where a request from `entry` goes, and the TLS client it presents.
    pub fn entry_point(&self, entry: Entry) -> Result<(SocketAddr, Option<TlsClient>)> {
        Ok(match entry {
            Entry::Outbound(caller) => (self.mesh.caller(&caller)?.listener, None),
            Entry::Mtls(cert) => (self.mesh.eu_west.mtls, Some(self.mesh.client(cert)?)),
            Entry::Plaintext => (self.mesh.eu_west.plaintext, None),
            Entry::AuditMtls(cert) => (self.audit.mtls, Some(self.mesh.client(cert)?)),
            Entry::Gateway => (self.gateway.listener, None),
        })
    }
}

/// The name of the Envoy a request from `entry` enters.
pub fn entered(entry: Entry) -> &'static str {
    match entry {
        Entry::Outbound(caller) => caller.name,
        Entry::Mtls(_) | Entry::Plaintext => EU_WEST,
        Entry::AuditMtls(_) => EU_WEST_AUDIT,
        Entry::Gateway => GATEWAY,
    }
}
