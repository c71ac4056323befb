//! The front Envoy of the inbound case (`bench/envoy/front.yaml`): plain Envoy, no
//! wasm, one worker, in front of one measured Envoy. The load generator talks plain
//! HTTP/1.1 to it; it forwards each request over mTLS, on keep-alive connections it
//! pools, to the measured Envoy's `INBOUND` listener, presenting the run's client
//! certificate of [`ClientCert::MeshWide`], whose URI SAN the workload's
//! `trustedPeers` matches. One front per measured config keeps the template free of
//! loops and each front's CPU time its own; each is pinned to the load generator's
//! core, so the measured Envoy stays alone on its core and only its CPU time counts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use meshborder_e2e::certs::{ClientCert, SERVER_DNS_NAME, SERVER_SPIFFE_ID, TestPki};
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::render::{self, Values};
use meshborder_e2e::{HarnessError, Result, machine, paths};

use crate::configs;

/// The template, in `bench/envoy/`.
const TEMPLATE: &str = "front.yaml";
/// Its one listener.
const LISTENER: &str = "front";

/// A started front Envoy.
#[derive(Debug)]
pub struct Front {
    /// Its Envoy.
    pub envoy: Envoy,
    /// The plain HTTP listener the load generator sends to.
    pub listener: SocketAddr,
}

/// The values of [`TEMPLATE`] for a front of the measured listener at `measured`.
fn values(pki: &TestPki, measured: SocketAddr) -> Values {
    let client = pki.client(ClientCert::MeshWide);
    Values::new()
        .set("measured_port", measured.port())
        .set("client_cert", client.cert_path.display())
        .set("client_key", client.key_path.display())
        .set("ca_cert", pki.ca_path.display())
        .set("server_name", SERVER_DNS_NAME)
        .set("server_spiffe_id", SERVER_SPIFFE_ID)
}

/// Renders [`TEMPLATE`] for `measured` into `dir/front.yaml` and returns its path.
fn render_into(pki: &TestPki, measured: SocketAddr, dir: &Path) -> Result<PathBuf> {
    let text = configs::read(&configs::bench_dir().join(TEMPLATE))?;
    let rendered = render::render_text(TEMPLATE, &text, &values(pki, measured), &|file| {
        Err(HarnessError::Render {
            template: TEMPLATE.to_owned(),
            reason: format!("`{file}`: the front includes nothing"),
        })
    })?;
    let file = dir.join(TEMPLATE);
    configs::write(&file, &rendered)?;
    Ok(file)
}

/// Starts a front of the measured listener at `measured` in a fresh `dir`, pinned
/// to `core`.
pub fn start(pki: &TestPki, measured: SocketAddr, dir: &Path, core: usize) -> Result<Front> {
    paths::fresh_dir(dir)?;
    let file = render_into(pki, measured, dir)?;
    let envoy = Envoy::start(&file, dir)?;
    machine::pin(envoy.pid(), core)?;
    Ok(Front {
        listener: envoy.listener_addr(LISTENER)?,
        envoy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshborder_e2e::ports::LOOPBACK;

    #[test]
    fn the_front_validates_in_envoy_with_the_runs_certificates() {
        let dir = paths::run_dir("bench-front-validate").unwrap();
        let pki = TestPki::generate(&dir.join("certs")).unwrap();
        let file = render_into(&pki, SocketAddr::from((LOOPBACK, 1)), &dir).unwrap();
        Envoy::validate(&file).unwrap();
    }
}
