//! Finding meshborder plugin configurations in the files the project ships, and
//! checking each with the real filter's `on_configure`.
//!
//! A file may be a plugin configuration (JSON), Kubernetes YAML whose
//! `TrafficExtension` or `WasmPlugin` documents carry a `pluginConfig` (or whose
//! Envoy Gateway `EnvoyExtensionPolicy` carries a Wasm `config`), or Envoy YAML (a
//! bootstrap, an ECDS resource) whose wasm HTTP or network filters carry a
//! `configuration`. For a config template of `envoy-config/` (YAML made invalid by
//! its `{{...}}` placeholders), the configurations are the JSON files it includes;
//! for a kustomize overlay, the plugin resources it builds to. Each is found with
//! the kind of filter the file loads it as, when the file says.

mod check;
mod discover;
mod kustomize;
mod template;
mod walk;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use check::{CheckOutcome, STAND_IN_CLUSTER, check};
pub use discover::{Source, expand};

/// The location of a configuration that is the whole file.
pub const PLAIN: &str = "plugin configuration";

/// Where the filter runs: the node facts Envoy would serve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeIdentity {
    /// `node.metadata.CLUSTER_ID`.
    pub cluster: Option<String>,
    /// `node.locality.region`.
    pub region: Option<String>,
    /// `node.locality.zone`.
    pub zone: Option<String>,
}

/// The kind of filter a file has Envoy load a configuration as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// `envoy.filters.http.wasm`, a plugin resource of `type: HTTP` (Istio's
    /// default), or an Envoy Gateway Wasm extension: requests.
    Http,
    /// `envoy.filters.network.wasm`, or a plugin resource of `type: NETWORK`:
    /// connections.
    Network,
}

/// One plugin configuration found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundConfig {
    /// The file.
    pub file: PathBuf,
    /// The YAML document it is in, from 0; `None` for a JSON file, a template's
    /// include or a kustomize build.
    pub document: Option<usize>,
    /// What holds it, e.g. ``TrafficExtension `istio-system/meshborder` ``.
    pub location: String,
    /// The configuration bytes, as Envoy hands them to `on_configure`.
    pub config: Vec<u8>,
    /// The node identity the file gives (an Envoy bootstrap's `node`), if any.
    pub node: NodeIdentity,
    /// The kind of filter the file loads it as; `None` for a plain plugin
    /// configuration, which says nothing of where it runs.
    pub kind: Option<FilterKind>,
}

/// A file that could not be read as configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// The file.
    pub file: PathBuf,
    /// Why, e.g. "invalid YAML in document 2: ...".
    pub reason: String,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.reason)
    }
}

impl std::error::Error for SourceError {}

/// What a file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The plugin configurations found.
    pub configs: Vec<FoundConfig>,
    /// For a template, the value names of `{{json:$name}}` includes: plugin
    /// configurations chosen at render time, to be checked as files of their own.
    pub deferred: Vec<String>,
}

/// Whether `path` names a file this module reads: `.json`, `.yaml` or `.yml`.
pub fn is_config_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext == "json" || ext == "yaml" || ext == "yml")
}

/// Every meshborder plugin configuration in the file at `path`.
pub fn find_in_file(path: &Path) -> Result<Discovery, SourceError> {
    let fail = |reason: String| SourceError {
        file: path.to_owned(),
        reason,
    };
    if !is_config_file(path) {
        return Err(fail("not a JSON or YAML file".to_owned()));
    }
    let text = fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    if path.extension().is_some_and(|ext| ext == "json") {
        return Ok(Discovery {
            configs: find_in_json(path, &text).map_err(fail)?,
            deferred: Vec::new(),
        });
    }
    let mut configs = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(&text).enumerate() {
        let value = match serde_json::Value::deserialize(document) {
            Ok(value) => value,
            // A template's placeholders rarely leave valid YAML: read its includes.
            Err(_) if template::is_template(&text) => {
                let (configs, deferred) = template::included_configs(path, &text).map_err(fail)?;
                return Ok(Discovery { configs, deferred });
            }
            Err(e) => {
                return Err(fail(format!(
                    "invalid YAML in document {}: {e}",
                    index.saturating_add(1)
                )));
            }
        };
        configs.extend(walk::configs_in(&value, path, Some(index)));
    }
    Ok(Discovery {
        configs,
        deferred: Vec::new(),
    })
}

/// Every meshborder plugin configuration `kustomize build dir` would deploy.
pub fn find_in_kustomization(dir: &Path) -> Result<Discovery, SourceError> {
    let docs = kustomize::build(dir).map_err(|reason| SourceError {
        file: dir.to_owned(),
        reason,
    })?;
    let configs = docs
        .iter()
        .flat_map(|doc| walk::configs_in(doc, dir, None))
        .map(|mut found| {
            found.location = format!("kustomize build, {}", found.location);
            found
        })
        .collect();
    Ok(Discovery {
        configs,
        deferred: Vec::new(),
    })
}

fn find_in_json(path: &Path, text: &str) -> Result<Vec<FoundConfig>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    if walk::is_document(&value) {
        return Ok(walk::configs_in(&value, path, None));
    }
    if walk::is_json_schema(&value) {
        return Ok(Vec::new());
    }
    Ok(vec![FoundConfig {
        file: path.to_owned(),
        document: None,
        location: PLAIN.to_owned(),
        config: text.as_bytes().to_vec(),
        node: NodeIdentity::default(),
        kind: None,
    }])
}
