//! `extensions.istio.io/v1alpha1` `WasmPlugin`, from Istio's
//! `extensions/v1alpha1/wasm.proto`, and the rules its CRD enforces.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::k8s::ObjectMeta;
use crate::istio::support::Result;

/// The `sha256` the shipped WasmPlugins carry until a release digest is pinned. It
/// is not 64 hex digits, so the API server refuses it: an unpinned plugin cannot
/// reach a cluster by accident.
pub const SHA256_PLACEHOLDER: &str = "PIN-ME-run-make-image-and-paste-the-sha256-it-prints";

/// A WasmPlugin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WasmPlugin {
    /// `extensions.istio.io/v1alpha1`.
    pub api_version: String,
    /// `WasmPlugin`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: WasmPluginSpec,
}

/// `spec` of a WasmPlugin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WasmPluginSpec {
    /// Which workloads, by pod labels.
    pub selector: Option<WorkloadSelector>,
    /// Deprecated single target reference.
    pub target_ref: Option<PolicyTargetReference>,
    /// Gateway API target references.
    pub target_refs: Option<Vec<PolicyTargetReference>>,
    /// `oci://`, `file://`, `http://` or `https://` location of the module.
    pub url: Option<String>,
    /// Checksum: of the module for http(s), of the image manifest for OCI.
    pub sha256: Option<String>,
    /// `IfNotPresent` or `Always`.
    pub image_pull_policy: Option<PullPolicy>,
    /// Pull secret name.
    pub image_pull_secret: Option<String>,
    /// Signature verification key.
    pub verification_key: Option<String>,
    /// The plugin configuration, handed to the filter as JSON.
    pub plugin_config: Option<Map<String, Value>>,
    /// Root id of the plugin.
    pub plugin_name: Option<String>,
    /// Where in the filter chain.
    pub phase: Option<PluginPhase>,
    /// Order within a phase.
    pub priority: Option<i32>,
    /// What a fatal error does.
    pub fail_strategy: Option<FailStrategy>,
    /// VM environment.
    pub vm_config: Option<VmConfig>,
    /// Which traffic.
    #[serde(rename = "match")]
    pub match_: Option<Vec<TrafficSelector>>,
    /// `HTTP` or `NETWORK`.
    #[serde(rename = "type")]
    pub type_: Option<PluginType>,
}

/// `selector`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadSelector {
    /// Pod labels that must all match.
    pub match_labels: BTreeMap<String, String>,
}

/// A target reference.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTargetReference {
    /// API group.
    pub group: Option<String>,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: Option<String>,
}

/// `imagePullPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PullPolicy {
    /// Istio's default.
    #[serde(rename = "UNSPECIFIED_POLICY")]
    Unspecified,
    /// Pull only when no copy is cached.
    IfNotPresent,
    /// Pull on every change of the resource.
    Always,
}

/// `phase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PluginPhase {
    /// Right before the router.
    UnspecifiedPhase,
    /// Before Istio's authentication filters.
    Authn,
    /// Before Istio's authorization filters, after authentication.
    Authz,
    /// Before Istio's stats filters, after authorization.
    Stats,
}

/// `failStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FailStrategy {
    /// A fatal error fails every later request.
    #[serde(rename = "FAIL_CLOSE")]
    Close,
    /// A fatal error bypasses the plugin.
    #[serde(rename = "FAIL_OPEN")]
    Open,
    /// A crashed VM is rebuilt (Istio 1.27 and later).
    #[serde(rename = "FAIL_RELOAD")]
    Reload,
}

/// `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PluginType {
    /// Istio's default (HTTP).
    #[serde(rename = "UNSPECIFIED_PLUGIN_TYPE")]
    Unspecified,
    /// An HTTP filter.
    Http,
    /// A network filter.
    Network,
}

/// `vmConfig`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmConfig {
    /// Environment variables of the VM.
    pub env: Option<Vec<VmEnvVar>>,
}

/// One VM environment variable.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VmEnvVar {
    /// Name.
    pub name: String,
    /// Inline value.
    pub value: Option<String>,
    /// `INLINE` or `HOST`.
    pub value_from: Option<String>,
}

/// One `match` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficSelector {
    /// Client side, server side, or both.
    pub mode: Option<WorkloadMode>,
    /// Destination ports.
    pub ports: Option<Vec<PortSelector>>,
}

/// `match[].mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkloadMode {
    /// Both sides.
    Undefined,
    /// Outbound.
    Client,
    /// Inbound.
    Server,
    /// Both sides.
    ClientAndServer,
}

/// `match[].ports[]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortSelector {
    /// Port number.
    pub number: u32,
}

/// Whether `sha256` is a digest Istio's CRD accepts: empty, or 64 lowercase hex
/// digits.
pub fn is_crd_sha256(value: &str) -> bool {
    value.is_empty()
        || (value.len() == 64
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
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

    /// The rules of a complete WasmPlugin, as Istio's CRD states them: a name and
    /// namespace, a `url` with one of the four schemes, a `sha256` of 64 hex digits
    /// (or, for the shipped release URL, the placeholder the API server refuses),
    /// and not both `selector` and `targetRefs`.
    pub fn check_complete(&self) -> Result<()> {
        let id = self.id();
        if self.metadata.name.is_none() || self.metadata.namespace.is_none() {
            return Err(format!("{id}: needs a name and a namespace"));
        }
        let url = self
            .spec
            .url
            .as_deref()
            .ok_or_else(|| format!("{id}: no `url`"))?;
        let scheme = url.split("://").next().unwrap_or_default();
        if !["oci", "file", "http", "https"].contains(&scheme) || !url.contains("://") {
            return Err(format!(
                "{id}: `url` {url} has no oci/file/http/https scheme"
            ));
        }
        if let Some(sha256) = &self.spec.sha256
            && !is_crd_sha256(sha256)
            && sha256 != SHA256_PLACEHOLDER
        {
            return Err(format!("{id}: `sha256` {sha256} is not 64 hex digits"));
        }
        let selects = self.spec.selector.is_some();
        let targets = self.spec.target_ref.is_some() || self.spec.target_refs.is_some();
        if selects && targets {
            return Err(format!("{id}: only one of `selector` and `targetRefs`"));
        }
        if self.spec.plugin_config.is_none() {
            return Err(format!("{id}: no `pluginConfig`"));
        }
        Ok(())
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
