//! A view of an `extensions.istio.io/v1alpha1` `WasmPlugin`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Metadata;
use crate::istio::support::Result;

/// The `sha256` that base/ ships until an image is pinned; Istio's CRD refuses it.
pub const SHA256_PLACEHOLDER: &str = "PIN-ME-run-make-image-and-paste-the-sha256-it-prints";

/// A digest of the form Istio's CRD asks for, to stand in for the placeholder.
pub const SOME_DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// `document` with the [`SHA256_PLACEHOLDER`] replaced by [`SOME_DIGEST`], for the
/// checks of everything else: the CRD refuses the placeholder on purpose, until an
/// image is pinned.
pub fn pinned(document: &Value) -> Value {
    let mut pinned = document.clone();
    if let Some(sha256) = pinned.pointer_mut("/spec/sha256")
        && sha256 == SHA256_PLACEHOLDER
    {
        *sha256 = Value::from(SOME_DIGEST);
    }
    pinned
}

/// A WasmPlugin.
#[derive(Debug, Clone, Deserialize)]
pub struct WasmPlugin {
    /// Its name and namespace.
    #[serde(default)]
    pub metadata: Metadata,
    /// Its spec.
    pub spec: WasmPluginSpec,
}

/// The spec fields the tests read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmPluginSpec {
    /// The workloads it runs on.
    pub selector: Option<WorkloadSelector>,
    /// Where the module is.
    pub url: Option<String>,
    /// Its digest.
    pub sha256: Option<String>,
    /// The plugin configuration.
    pub plugin_config: Option<Map<String, Value>>,
    /// `AUTHN`, `AUTHZ` or `STATS`.
    pub phase: Option<String>,
    /// `FAIL_CLOSE`, `FAIL_OPEN` or `FAIL_RELOAD`.
    pub fail_strategy: Option<String>,
    /// `HTTP` (Istio's default) or `NETWORK`.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// The traffic it applies to.
    #[serde(rename = "match")]
    pub match_: Option<Vec<TrafficSelector>>,
}

/// `selector`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSelector {
    /// The labels a pod must carry.
    pub match_labels: BTreeMap<String, String>,
}

/// One `match` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct TrafficSelector {
    /// `CLIENT`, `SERVER` or `CLIENT_AND_SERVER`.
    pub mode: Option<String>,
    /// The ports it is limited to; none means every port.
    pub ports: Option<Vec<PortSelector>>,
}

/// One port of a `match` entry.
#[derive(Debug, Clone, Deserialize)]
pub struct PortSelector {
    /// The port number.
    pub number: u16,
}

/// Which filter chain Istio puts a plugin in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginType {
    /// An HTTP filter (`type: HTTP`, or no type: Istio's default).
    Http,
    /// A network filter (`type: NETWORK`), in front of `tcp_proxy`.
    Network,
}

impl WasmPlugin {
    /// `namespace/name`, for messages.
    pub fn id(&self) -> String {
        format!(
            "{}/{}",
            self.metadata.namespace.as_deref().unwrap_or("-"),
            self.metadata.name.as_deref().unwrap_or("-")
        )
    }

    /// The `mode` of each `match` entry.
    pub fn modes(&self) -> Vec<Option<&str>> {
        self.spec
            .match_
            .iter()
            .flatten()
            .map(|selector| selector.mode.as_deref())
            .collect()
    }

    /// Which filter chain Istio puts it in.
    pub fn plugin_type(&self) -> PluginType {
        match self.spec.type_.as_deref() {
            Some("NETWORK") => PluginType::Network,
            _ => PluginType::Http,
        }
    }

    /// The ports of every `match` entry.
    pub fn match_ports(&self) -> Vec<u16> {
        self.spec
            .match_
            .iter()
            .flatten()
            .flat_map(|selector| selector.ports.iter().flatten())
            .map(|port| port.number)
            .collect()
    }

    /// The plugin configuration as the JSON text Istio hands the filter.
    pub fn plugin_config_json(&self) -> Result<String> {
        let config = self
            .spec
            .plugin_config
            .clone()
            .ok_or_else(|| format!("{}: no `pluginConfig`", self.id()))?;
        serde_json::to_string(&Value::Object(config))
            .map_err(|e| format!("{}: `pluginConfig` as JSON: {e}", self.id()))
    }
}
