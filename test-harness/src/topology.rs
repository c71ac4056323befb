//! The topologies the end-to-end tests and the demo run, each written once: which
//! template, which apps behind it, which values fill its placeholders.
//!
//! For now one: the outbound side of a sidecar (or a gateway) in cluster `us-east`,
//! region `us-east-1`, in front of one echo app per region.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use crate::envoy::Envoy;
use crate::error::Result;
use crate::ports::PortPlan;
use crate::render::{self, Values};
use crate::upstream::EchoApp;

/// The template of the us-east sidecar.
pub const US_EAST_OUTBOUND: &str = "us-east-outbound.yaml";
/// The name of its HTTP listener.
pub const OUTBOUND_LISTENER: &str = "outbound_http";

/// Values for every placeholder any shipped template uses, with ports the kernel
/// picks, for `envoy --mode validate` and the renderer's own checks.
pub fn validation_values(wasm: &Path) -> Values {
    let loopback = SocketAddr::new(crate::ports::LOOPBACK, 0);
    us_east_values(
        crate::ports::LOOPBACK,
        &PortPlan::EPHEMERAL,
        loopback,
        loopback,
        wasm,
    )
}

fn us_east_values(
    bind: IpAddr,
    ports: &PortPlan,
    eu_app: SocketAddr,
    us_app: SocketAddr,
    wasm: &Path,
) -> Values {
    Values::new()
        .set("bind_address", bind)
        .set("admin_port", ports.admin)
        .set("listener_port", ports.listener)
        .set("eu_app_host", eu_app.ip())
        .set("eu_app_port", eu_app.port())
        .set("us_app_host", us_app.ip())
        .set("us_app_port", us_app.port())
        .set("wasm_path", wasm.display())
}

/// Envoy as the us-east sidecar, with an eu-west-1 and a us-east-1 echo app behind.
/// Dropping it stops all three.
#[derive(Debug)]
pub struct UsEastSidecar {
    /// Envoy, with the filter loaded.
    pub envoy: Envoy,
    /// Where Envoy's HTTP listener is bound.
    pub listener: SocketAddr,
    /// The app the route table sends `x-meshborder-route-region: eu-west-1` to.
    pub eu_app: EchoApp,
    /// The app for `us-east-1`, and for requests without a routing decision.
    pub us_app: EchoApp,
}

impl UsEastSidecar {
    /// Starts the apps and Envoy on `ports` of `bind`, with the filter at `wasm`,
    /// rendering the config into (and logging to) `run_dir`.
    pub fn start(bind: IpAddr, ports: &PortPlan, wasm: &Path, run_dir: &Path) -> Result<Self> {
        let eu_app = EchoApp::start(
            "eu-west-app",
            "eu-west-1",
            SocketAddr::new(bind, ports.eu_app),
        )?;
        let us_app = EchoApp::start(
            "us-east-app",
            "us-east-1",
            SocketAddr::new(bind, ports.us_app),
        )?;
        let values = us_east_values(bind, ports, eu_app.addr(), us_app.addr(), wasm);
        let config = render::render_to_dir(US_EAST_OUTBOUND, &values, run_dir)?;
        let envoy = Envoy::start(&config, run_dir)?;
        let listener = envoy.listener_addr(OUTBOUND_LISTENER)?;
        Ok(Self {
            envoy,
            listener,
            eu_app,
            us_app,
        })
    }
}
