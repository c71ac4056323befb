//! The mesh of [`crate::topology`], running: fresh certificates, the eu-west
//! sidecar with its app, and an outbound sidecar with its app for each caller asked
//! for (each presenting its own client certificate), every Envoy in its own
//! directory of the run (`<run>/<name>/`: the rendered `<name>.yaml`, `envoy.log`,
//! `access.log`), and TLS clients presenting any of the run's client certificates
//! straight to eu-west. Everything is stopped when dropped.
//!
//! eu-west's filter config is inlined in its bootstrap, as shipped; or, for runs
//! that swap it while traffic flows (the soak), discovered from a watched file in
//! its directory ([`EuWestConfig::Watched`], then [`EuWestSidecar::reconfigure`]).
//!
//! The L4 pair runs next to it ([`TcpPair`]): eu-west's database sidecar and the
//! TCP sidecars of database clients, with the same certificates
//! ([`Mesh::start_tcp`]) or on their own.
//!
//! An inbound sidecar of another cluster ([`InboundSidecarElsewhere`]) lets a run
//! send traffic across a border the other way, into that cluster.

mod elsewhere;
mod eu_west;
mod tcp;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

pub use elsewhere::InboundSidecarElsewhere;
pub use eu_west::{EU_WEST_ECDS_FILE, EuWestConfig, EuWestSidecar};
pub use tcp::{DatabaseSidecar, TcpCallerSidecar, TcpPair};

use crate::certs::{ClientCert, TestPki};
use crate::envoy::Envoy;
use crate::error::Result;
use crate::ports::{InboundPorts, LOOPBACK, MeshPorts, OutboundPorts, TcpPorts};
use crate::render::{self, Values};
use crate::tls::TlsClient;
use crate::topology::{
    self, Caller, ConfigFiles, EU_CENTRAL, OUTBOUND_LISTENER, OUTBOUND_SIDECAR, OutboundSite,
    ResidencyMode, US_EAST,
};
use crate::upstream::EchoApp;
use crate::{HarnessError, paths};

/// A calling cluster's outbound sidecar and the app next to it.
#[derive(Debug)]
pub struct CallerSidecar {
    /// Who it is.
    pub caller: Caller,
    /// Envoy, with the filter loaded.
    pub envoy: Envoy,
    /// Where its HTTP listener is bound.
    pub listener: SocketAddr,
    /// The app it serves requests without a remote route from.
    pub app: EchoApp,
}

impl CallerSidecar {
    /// Starts the app and Envoy on `ports` of `bind`, sending eu-west's requests to
    /// `eu_west` (its mTLS listener), in `run_dir/<caller name>/`.
    pub fn start(
        caller: Caller,
        bind: IpAddr,
        ports: &OutboundPorts,
        eu_west: SocketAddr,
        files: &ConfigFiles,
        run_dir: &Path,
    ) -> Result<Self> {
        let app = EchoApp::start(caller.app, caller.region, SocketAddr::new(bind, ports.app))?;
        let site = OutboundSite {
            bind: bind.to_string(),
            admin_port: ports.admin,
            listener_port: ports.listener,
            local_app: app.addr().into(),
            eu_west: eu_west.into(),
        };
        let values = topology::outbound_values(&caller, &site, files);
        let dir = envoy_dir(caller.name, run_dir)?;
        let envoy = start_envoy(caller.name, OUTBOUND_SIDECAR, &values, &dir)?;
        Ok(Self {
            caller,
            listener: envoy.listener_addr(OUTBOUND_LISTENER)?,
            envoy,
            app,
        })
    }
}

/// The running mesh: eu-west in one mode, and the callers asked for.
#[derive(Debug)]
pub struct Mesh {
    /// The run's certificates.
    pub pki: TestPki,
    /// Where the configs name the `.wasm` and the certificates.
    pub files: ConfigFiles,
    /// The run's directory.
    pub run_dir: PathBuf,
    /// The eu-west sidecar.
    pub eu_west: EuWestSidecar,
    /// The callers' sidecars, in the order asked for.
    pub callers: Vec<CallerSidecar>,
}

impl Mesh {
    /// Starts the mesh for a test: loopback, every port picked by the kernel, the
    /// release `.wasm`, a fresh run directory named after `label`.
    pub fn start(label: &str, mode: ResidencyMode, callers: &[Caller]) -> Result<Self> {
        Self::start_for_test(label, mode, EuWestConfig::Inline, callers)
    }

    /// Like [`Mesh::start`], but eu-west's filter config comes from a watched file,
    /// so the test can swap it ([`EuWestSidecar::reconfigure`]).
    pub fn start_watched(label: &str, mode: ResidencyMode, callers: &[Caller]) -> Result<Self> {
        Self::start_for_test(label, mode, EuWestConfig::Watched, callers)
    }

    fn start_for_test(
        label: &str,
        mode: ResidencyMode,
        config: EuWestConfig,
        callers: &[Caller],
    ) -> Result<Self> {
        let wasm = paths::filter_wasm()?;
        let run_dir = paths::run_dir(label)?;
        let ports = MeshPorts::EPHEMERAL;
        Self::start_in_with(&run_dir, &wasm, LOOPBACK, &ports, mode, config, callers)
    }

    /// Starts the mesh on `ports` of `bind` with the filter at `wasm`, writing
    /// certificates, configs and logs into `run_dir`.
    pub fn start_in(
        run_dir: &Path,
        wasm: &Path,
        bind: IpAddr,
        ports: &MeshPorts,
        mode: ResidencyMode,
        callers: &[Caller],
    ) -> Result<Self> {
        let config = EuWestConfig::Inline;
        Self::start_in_with(run_dir, wasm, bind, ports, mode, config, callers)
    }

    /// Like [`Mesh::start_in`], with eu-west in `mode` taking its filter config from
    /// `config`.
    pub fn start_in_with(
        run_dir: &Path,
        wasm: &Path,
        bind: IpAddr,
        ports: &MeshPorts,
        mode: ResidencyMode,
        config: EuWestConfig,
        callers: &[Caller],
    ) -> Result<Self> {
        let pki = TestPki::generate(&run_dir.join("certs"))?;
        let files = ConfigFiles::local(wasm, &pki);
        let inbound = inbound_ports(ports, mode);
        let eu_west = EuWestSidecar::start_with(mode, config, bind, &inbound, &files, run_dir)?;
        let callers = callers
            .iter()
            .map(|caller| {
                let ports = outbound_ports(ports, caller);
                CallerSidecar::start(*caller, bind, &ports, eu_west.mtls, &files, run_dir)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            pki,
            files,
            run_dir: run_dir.to_path_buf(),
            eu_west,
            callers,
        })
    }

    /// Starts one more eu-west, in `mode`, with this mesh's certificates (the demo
    /// runs an auditing one next to the enforcing one).
    pub fn start_eu_west(
        &self,
        mode: ResidencyMode,
        bind: IpAddr,
        ports: &MeshPorts,
    ) -> Result<EuWestSidecar> {
        EuWestSidecar::start(
            mode,
            bind,
            &inbound_ports(ports, mode),
            &self.files,
            &self.run_dir,
        )
    }

    /// Starts the TCP pair, with this mesh's certificates, in front of the
    /// database at `database` (the demo runs it next to the HTTP mesh).
    pub fn start_tcp(
        &self,
        bind: IpAddr,
        ports: &TcpPorts,
        database: SocketAddr,
        callers: &[Caller],
    ) -> Result<TcpPair> {
        TcpPair::start(bind, ports, database, callers, &self.files, &self.run_dir)
    }

    /// The sidecar of `caller`.
    pub fn caller(&self, caller: &Caller) -> Result<&CallerSidecar> {
        self.callers
            .iter()
            .find(|sidecar| sidecar.caller == *caller)
            .ok_or_else(|| HarnessError::Missing {
                what: format!("a sidecar for caller `{}`", caller.name),
                hint: "start the mesh with that caller".to_owned(),
            })
    }

    /// A TLS client presenting the trusted SPIFFE ID, as a caller's sidecar does.
    pub fn trusted_client(&self) -> Result<TlsClient> {
        TlsClient::with_cert(&self.pki, &self.pki.trusted_client)
    }

    /// A TLS client presenting a certificate of the same CA with an untrusted
    /// SPIFFE ID.
    pub fn untrusted_client(&self) -> Result<TlsClient> {
        TlsClient::with_cert(&self.pki, &self.pki.untrusted_client)
    }

    /// A TLS client presenting no certificate.
    pub fn anonymous_client(&self) -> Result<TlsClient> {
        TlsClient::without_cert(&self.pki)
    }

    /// A TLS client presenting the client certificate `cert`.
    pub fn client(&self, cert: ClientCert) -> Result<TlsClient> {
        TlsClient::with_cert(&self.pki, self.pki.client(cert))
    }
}

fn inbound_ports(ports: &MeshPorts, mode: ResidencyMode) -> InboundPorts {
    match mode {
        ResidencyMode::Enforce => ports.eu_west,
        ResidencyMode::Audit => ports.eu_west_audit,
    }
}

/// The ports of `caller`: the plan's for the callers it names, any free ones for
/// the others (the callers inside eu-west, which only tests run).
fn outbound_ports(ports: &MeshPorts, caller: &Caller) -> OutboundPorts {
    if *caller == EU_CENTRAL {
        ports.eu_central
    } else if *caller == US_EAST {
        ports.us_east
    } else {
        OutboundPorts {
            admin: 0,
            listener: 0,
            app: 0,
        }
    }
}

/// `run_dir/<name>/`, fresh and empty: the directory of one Envoy.
fn envoy_dir(name: &str, run_dir: &Path) -> Result<PathBuf> {
    let dir = run_dir.join(name);
    paths::fresh_dir(&dir)?;
    Ok(dir)
}

/// Renders `template` into `dir/<name>.yaml` and starts Envoy there.
fn start_envoy(name: &str, template: &str, values: &Values, dir: &Path) -> Result<Envoy> {
    let config = dir.join(topology::config_file_name(name));
    render::render_to_file(template, values, &config)?;
    Envoy::start(&config, dir)
}
