//! A view of Envoy Gateway's `EnvoyExtensionPolicy`
//! (`gateway.envoyproxy.io/v1alpha1`): what it attaches to, and its Wasm
//! extensions, whose `config` Envoy Gateway hands the filter as a JSON string.

use serde::Deserialize;
use serde_json::Value;

use super::Metadata;
use super::plugin::TargetRef;

/// An EnvoyExtensionPolicy.
#[derive(Debug, Deserialize)]
pub struct EnvoyExtensionPolicy {
    /// Its name and namespace.
    pub metadata: Metadata,
    /// Its spec.
    pub spec: ExtensionPolicySpec,
}

/// The spec fields the tests read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionPolicySpec {
    /// The Gateways or routes it applies to.
    pub target_refs: Vec<TargetRef>,
    /// Its Wasm extensions, in filter-chain order.
    pub wasm: Vec<WasmExtension>,
}

/// One Wasm extension.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmExtension {
    /// Its name.
    pub name: Option<String>,
    /// Where the module is.
    pub code: WasmCode,
    /// The plugin configuration.
    pub config: Option<Value>,
    /// Whether a broken extension lets traffic through (default false).
    pub fail_open: Option<bool>,
}

/// Where the module is.
#[derive(Debug, Deserialize)]
pub struct WasmCode {
    /// `Image` or `HTTP`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The OCI image, for `Image`.
    pub image: Option<WasmImage>,
}

/// An OCI image.
#[derive(Debug, Deserialize)]
pub struct WasmImage {
    /// `registry/image:tag`, without a scheme.
    pub url: String,
    /// The digest of the image's manifest.
    pub sha256: Option<String>,
}
