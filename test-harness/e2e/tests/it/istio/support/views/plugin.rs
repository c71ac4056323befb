//! A view of a meshborder plugin resource in either of the forms Istio knows: a
//! `TrafficExtension` (Istio 1.30 and later), which keeps the module's fields
//! under `spec.wasm`, or a `WasmPlugin` (every supported release), which has the
//! same fields directly under `spec`. Both read as one flat spec, so that a test
//! reads a plugin the same way whichever form it is in.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Metadata;
use crate::istio::support::Result;
use crate::istio::support::models::typed;

/// The `sha256` that base/ ships until an image is pinned; Istio's CRD refuses it.
pub const SHA256_PLACEHOLDER: &str = "PIN-ME-run-make-image-and-paste-the-sha256-it-prints";

/// A digest of the form Istio's CRD asks for, to stand in for the placeholder.
pub const SOME_DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The field of a TrafficExtension's spec that holds the module's fields.
const WASM: &str = "wasm";

/// The form of a plugin resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Form {
    /// `TrafficExtension`, Istio 1.30 and later: what base/ writes.
    TrafficExtension,
    /// `WasmPlugin`, every supported release: what components/wasmplugin makes.
    WasmPlugin,
}

impl Form {
    /// Both forms.
    pub const ALL: [Self; 2] = [Self::TrafficExtension, Self::WasmPlugin];

    /// The resource kind.
    pub fn kind(self) -> &'static str {
        match self {
            Self::TrafficExtension => "TrafficExtension",
            Self::WasmPlugin => "WasmPlugin",
        }
    }

    /// The form whose kind is `kind`, if it is one.
    pub fn of_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|form| form.kind() == kind)
    }

    /// The form of `document`, if it is a plugin resource.
    pub fn of(document: &Value) -> Option<Self> {
        document
            .get("kind")
            .and_then(Value::as_str)
            .and_then(Self::of_kind)
    }

    /// The component of istio/components/ that selects this form.
    pub fn component(self) -> &'static str {
        match self {
            Self::TrafficExtension => "traffic-extension",
            Self::WasmPlugin => "wasmplugin",
        }
    }

    /// The oldest Istio minor release that serves this kind.
    pub fn oldest_minor(self) -> u32 {
        match self {
            Self::TrafficExtension => 30,
            Self::WasmPlugin => 22,
        }
    }
}

/// The spec of a plugin resource as one flat object: a TrafficExtension's
/// `spec.wasm` fields lifted next to its other fields, as a WasmPlugin has them.
/// Fails on a document that is not a plugin resource, or on a field that both
/// levels of a TrafficExtension hold.
pub fn flat_spec(document: &Value) -> Result<Map<String, Value>> {
    let form = Form::of(document).ok_or("not a TrafficExtension or a WasmPlugin")?;
    let mut spec = match document.get("spec") {
        Some(Value::Object(spec)) => spec.clone(),
        None => Map::new(),
        Some(other) => return Err(format!("`spec` is not an object: {other}")),
    };
    if form == Form::TrafficExtension {
        match spec.remove(WASM) {
            None => {}
            Some(Value::Object(wasm)) => {
                for (field, value) in wasm {
                    if spec.contains_key(&field) {
                        return Err(format!("`{field}` is both in `spec` and in `spec.wasm`"));
                    }
                    spec.insert(field, value);
                }
            }
            Some(other) => return Err(format!("`spec.wasm` is not an object: {other}")),
        }
    }
    Ok(spec)
}

/// `document` with the [`SHA256_PLACEHOLDER`] replaced by [`SOME_DIGEST`], in
/// either form, for the checks of everything else: the CRD refuses the placeholder
/// on purpose, until an image is pinned.
pub fn pinned(document: &Value) -> Value {
    let mut pinned = document.clone();
    for pointer in ["/spec/sha256", "/spec/wasm/sha256"] {
        if let Some(sha256) = pinned.pointer_mut(pointer)
            && sha256 == SHA256_PLACEHOLDER
        {
            *sha256 = Value::from(SOME_DIGEST);
        }
    }
    pinned
}

/// A plugin resource, in either form.
#[derive(Debug, Clone)]
pub struct Plugin {
    /// Its form.
    pub form: Form,
    /// Its name and namespace.
    pub metadata: Metadata,
    /// Its spec, flat.
    pub spec: PluginSpec,
}

/// The spec fields the tests read, wherever the form keeps them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginSpec {
    /// The workloads it runs on.
    pub selector: Option<WorkloadSelector>,
    /// The resources it is attached to, in place of a selector.
    pub target_refs: Option<Vec<TargetRef>>,
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

/// One `targetRefs` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TargetRef {
    /// The API group of the target.
    pub group: Option<String>,
    /// Its kind.
    pub kind: String,
    /// Its name, in the plugin's namespace.
    pub name: String,
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

impl Plugin {
    /// The plugin `document` holds, in whichever form.
    pub fn from_document(document: &Value) -> Result<Self> {
        let form = Form::of(document).ok_or_else(|| {
            format!(
                "a {} is not a plugin resource",
                document.get("kind").unwrap_or(&Value::Null)
            )
        })?;
        let metadata = match document.get("metadata") {
            Some(metadata) => typed(metadata).map_err(|e| format!("`metadata` {e}"))?,
            None => Metadata::default(),
        };
        let spec = flat_spec(document)?;
        let spec = typed(&Value::Object(spec)).map_err(|e| format!("`spec` {e}"))?;
        Ok(Self {
            form,
            metadata,
            spec,
        })
    }

    /// `Kind namespace/name`, for messages.
    pub fn id(&self) -> String {
        format!(
            "{} {}/{}",
            self.form.kind(),
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
