//! The files of `istio/` and how they load: YAML streams (every document, as JSON
//! values), JSON files, and listings by extension.

use std::fs;
use std::path::{Path, PathBuf};

use meshborder_e2e::paths;
use meshborder_e2e::prometheus_server::{federation, rules};
use serde::Deserialize;
use serde_json::Value;

use super::Result;

/// `istio/` in the workspace.
pub fn istio_dir() -> PathBuf {
    paths::workspace_root().join("istio")
}

/// A path relative to the workspace root, for messages.
pub fn shown(path: &Path) -> String {
    path.strip_prefix(paths::workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every file under `dir` (recursively) whose name ends with one of `suffixes`,
/// sorted.
pub fn files_ending_with(dir: &Path, suffixes: &[&str]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries =
            fs::read_dir(&current).map_err(|e| format!("listing `{}`: {e}", shown(&current)))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("listing `{}`: {e}", shown(&current)))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| suffixes.iter().any(|suffix| name.ends_with(suffix)))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Every YAML file under `istio/` but the promtool unit tests of its rules and the
/// Prometheus configuration fragments of the global layer
/// (`monitoring/global/*.prometheus.yaml`), which are not Kubernetes documents
/// (promtool checks them).
pub fn istio_yaml_files() -> Result<Vec<PathBuf>> {
    let mut files = files_ending_with(&istio_dir(), &[".yaml", ".yml"])?;
    files.retain(|path| {
        !path.to_str().is_some_and(|name| {
            name.ends_with(rules::UNIT_TEST_SUFFIX)
                || name.ends_with(federation::PROMETHEUS_CONFIG_SUFFIX)
        })
    });
    Ok(files)
}

/// The text of a file.
pub fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| format!("reading `{}`: {e}", shown(path)))
}

/// Every document of a YAML stream, as JSON values; empty documents are skipped.
pub fn yaml_documents(text: &str, origin: &str) -> Result<Vec<Value>> {
    let mut documents = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|e| format!("`{origin}`, document {}: {e}", index + 1))?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

/// Every document of a YAML file.
pub fn load_yaml(path: &Path) -> Result<Vec<Value>> {
    yaml_documents(&read(path)?, &shown(path))
}

/// The one document of a YAML file.
pub fn load_single_yaml(path: &Path) -> Result<Value> {
    let mut documents = load_yaml(path)?;
    match (documents.pop(), documents.is_empty()) {
        (Some(document), true) => Ok(document),
        _ => Err(format!("`{}`: expected exactly one document", shown(path))),
    }
}

/// A JSON file.
pub fn load_json(path: &Path) -> Result<Value> {
    serde_json::from_str(&read(path)?).map_err(|e| format!("`{}`: {e}", shown(path)))
}

/// A string field of a JSON value, by JSON pointer.
pub fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}
