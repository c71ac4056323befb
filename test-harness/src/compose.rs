//! The files `envoy-config/docker-compose.yaml` mounts, made by the one renderer:
//! every config of the mesh ([`topology::renderings`]) with compose's addresses
//! (each Envoy and app is its own service, reached by its name) and container
//! paths, plus fresh certificates. `make compose-config` writes them into
//! `target/compose/`; the compose file mounts them from there, with the `.wasm`
//! from the release build.

use std::path::{Path, PathBuf};

use crate::certs::{self, TestPki};
use crate::error::Result;
use crate::paths;
use crate::render;
use crate::topology::{self, ConfigFiles, Placement};

/// Where `make compose-config` writes, relative to the workspace.
pub const OUT_DIR: &str = "target/compose";
/// Where each Envoy container finds its config (the official image's default).
pub const CONTAINER_CONFIG: &str = "/etc/envoy/envoy.yaml";
/// Where each Envoy container finds the filter.
pub const CONTAINER_WASM: &str = "/etc/meshborder/meshborder_filter.wasm";
/// Where each Envoy container finds the certificates.
pub const CONTAINER_CERTS: &str = "/etc/meshborder/certs";

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

/// Renders every config into `out_dir/<name>.yaml` and makes the certificates in
/// `out_dir/certs/`, replacing what was there. Returns every file written.
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
    Ok(written)
}
