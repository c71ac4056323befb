//! The files `envoy-config/docker-compose.yaml` mounts, made by the one renderer:
//! every config of the mesh ([`topology::renderings`], the TCP pair in front of
//! PostgreSQL included) and the eu-west gateway's
//! bootstrap and watched filter config ([`crate::gateway`]), with compose's
//! addresses (each Envoy and app is its own service, reached by its name) and
//! container paths, plus fresh certificates. `make compose-config` writes them
//! into `target/compose/`; the compose file mounts them from there, with the
//! `.wasm` from the release build.

use std::path::{Path, PathBuf};

use std::fs;

use crate::certs::{self, TestPki};
use crate::error::{HarnessError, Result};
use crate::gateway::{self, GatewaySite};
use crate::paths;
use crate::render;
use crate::topology::{self, ConfigFiles, Endpoint, Placement};

/// Where `make compose-config` writes, relative to the workspace.
pub const OUT_DIR: &str = "target/compose";
/// Where each Envoy container finds its config (the official image's default).
pub const CONTAINER_CONFIG: &str = "/etc/envoy/envoy.yaml";
/// Where each Envoy container finds the filter.
pub const CONTAINER_WASM: &str = "/etc/meshborder/meshborder_filter.wasm";
/// Where each Envoy container finds the certificates.
pub const CONTAINER_CERTS: &str = "/etc/meshborder/certs";
/// The folder the gateway's filter config is watched in, in its container. A
/// folder, not a file, is mounted, so a new version moved into place on the host
/// is seen inside.
pub const CONTAINER_ECDS_DIR: &str = "/etc/meshborder/ecds";
/// The compose service, and rendered config name, of the eu-west gateway.
pub const GATEWAY_SERVICE: &str = "gateway";

/// The default output directory, `target/compose/` in the workspace.
pub fn out_dir() -> PathBuf {
    paths::workspace_root().join(OUT_DIR)
}

/// Compose's addresses: every container binds all interfaces on the same ports and
/// reaches the others by service name.
pub fn placement() -> Placement {
    Placement {
        bind: "0.0.0.0".to_owned(),
        admin_port: 9901,
        listener_port: 10000,
        mtls_port: 15443,
        plaintext_port: 15080,
        app_port: 8080,
        database_port: crate::tcp::DATABASE_SERVICE_PORT,
        host: str::to_owned,
    }
}

/// The files as the containers see them.
pub fn container_files() -> ConfigFiles {
    ConfigFiles {
        wasm: CONTAINER_WASM.to_owned(),
        certs: CONTAINER_CERTS.to_owned(),
    }
}

/// Renders every config into `out_dir/<name>.yaml` (the gateway's watched filter
/// config into `out_dir/ecds/`) and makes the certificates in `out_dir/certs/`,
/// replacing what was there. Returns every file written.
pub fn render(out_dir: &Path) -> Result<Vec<PathBuf>> {
    paths::fresh_dir(out_dir)?;
    let certs_dir = out_dir.join("certs");
    TestPki::generate(&certs_dir)?;
    let mut written: Vec<PathBuf> = certs::files::ALL
        .iter()
        .map(|file| certs_dir.join(file))
        .collect();
    for rendering in topology::renderings(&placement(), &container_files()) {
        let out = out_dir.join(rendering.file_name());
        render::render_to_file(rendering.template, &rendering.values, &out)?;
        written.push(out);
    }
    written.extend(render_gateway(out_dir)?);
    Ok(written)
}

/// The gateway's values in compose: the apps by service name, the watched file in
/// [`CONTAINER_ECDS_DIR`].
pub fn gateway_site() -> GatewaySite {
    let placement = placement();
    let app = |app: gateway::RegionApp| Endpoint {
        host: app.name.to_owned(),
        port: placement.app_port,
    };
    let ecds_file = gateway::ECDS_FILE.rsplit('/').next().unwrap_or_default();
    GatewaySite {
        bind: placement.bind.clone(),
        admin_port: placement.admin_port,
        listener_port: placement.listener_port,
        eu_west_app: app(gateway::EU_WEST_APP),
        eu_central_app: app(gateway::EU_CENTRAL_APP),
        us_east_app: app(gateway::US_EAST_APP),
        ecds_path: format!("{CONTAINER_ECDS_DIR}/{ecds_file}"),
        wasm: CONTAINER_WASM.to_owned(),
    }
}

/// `out_dir/gateway.yaml`, and the first version of its watched filter config at
/// `out_dir/ecds/meshborder.yaml`.
fn render_gateway(out_dir: &Path) -> Result<[PathBuf; 2]> {
    let values = gateway::values(&gateway_site());
    let config = out_dir.join(topology::config_file_name(GATEWAY_SERVICE));
    render::render_to_file(gateway::GATEWAY, &values, &config)?;
    let ecds = out_dir.join(gateway::ECDS_FILE);
    if let Some(dir) = ecds.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| HarnessError::io(format!("creating `{}`", dir.display()), e))?;
    }
    render::render_to_file(gateway::ECDS_TEMPLATE, &values.set("version", 1), &ecds)?;
    Ok([config, ecds])
}
