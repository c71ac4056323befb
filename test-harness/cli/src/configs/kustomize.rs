//! A kustomize overlay's plugin resources, as the real `kustomize build` makes them:
//! `$MESHBORDER_KUSTOMIZE`, else `kustomize` on the `PATH`, else `kubectl kustomize`.
//! Without any of them an overlay cannot be checked, and the error says how to get
//! one; the overlay's patch files are partial on purpose (a cluster's identity and
//! rules over the shared base), so only the built result can be checked.

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

/// Environment variable naming the kustomize binary.
pub const KUSTOMIZE_ENV: &str = "MESHBORDER_KUSTOMIZE";

/// File names kustomize looks for, in its order.
const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The kustomization file of `dir`, if it has one.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// Whether `dir` holds a `Kustomization` (a `Component` cannot be built alone).
pub fn is_buildable(dir: &Path) -> bool {
    kustomization_file(dir)
        .and_then(|file| fs::read_to_string(file).ok())
        .and_then(|text| parse_docs(&text).ok())
        .and_then(|docs| docs.into_iter().next())
        .is_some_and(|k| k.get("kind").and_then(Value::as_str) != Some("Component"))
}

/// The resources `kustomize build dir` prints.
pub fn build(dir: &Path) -> Result<Vec<Value>, String> {
    let output = run(dir)?;
    if !output.status.success() {
        return Err(format!(
            "`kustomize build` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|e| format!("`kustomize build` printed invalid UTF-8: {e}"))?;
    parse_docs(&text).map_err(|e| format!("`kustomize build` printed {e}"))
}

/// Runs the first kustomize there is, naming what was tried when none is.
fn run(dir: &Path) -> Result<std::process::Output, String> {
    let mut tried = Vec::new();
    for (program, args) in candidates() {
        let shown = PathBuf::from(&program).display().to_string();
        match Command::new(&program).args(&args).arg(dir).output() {
            Ok(output) => return Ok(output),
            Err(e) if e.kind() == ErrorKind::NotFound => tried.push(format!("`{shown}`")),
            Err(e) => return Err(format!("running `{shown}`: {e}")),
        }
    }
    Err(format!(
        "a kustomize overlay is checked through `kustomize build`, and no kustomize was \
         found (tried {}): install kustomize (or kubectl), or set {KUSTOMIZE_ENV} to its path",
        tried.join(", ")
    ))
}

/// `$MESHBORDER_KUSTOMIZE build`, else `kustomize build`, else `kubectl kustomize`.
fn candidates() -> Vec<(OsString, Vec<&'static str>)> {
    match env::var_os(KUSTOMIZE_ENV) {
        Some(binary) => vec![(binary, vec!["build"])],
        None => vec![
            ("kustomize".into(), vec!["build"]),
            ("kubectl".into(), vec!["kustomize"]),
        ],
    }
}

fn parse_docs(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|e| format!("invalid YAML in document {}: {e}", index.saturating_add(1)))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}
