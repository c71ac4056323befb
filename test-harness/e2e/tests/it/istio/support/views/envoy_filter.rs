//! A view of the `networking.istio.io/v1alpha3` `EnvoyFilter` that carries the
//! stats tags for old Istio, and of the Envoy bootstrap fragment it and the
//! bootstrap override hold.

use serde::Deserialize;
use serde_json::Value;

/// An EnvoyFilter.
#[derive(Debug, Deserialize)]
pub struct EnvoyFilter {
    /// Its spec.
    pub spec: EnvoyFilterSpec,
}

/// Its patches.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvoyFilterSpec {
    /// The patches.
    pub config_patches: Vec<ConfigPatch>,
}

/// One patch.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigPatch {
    /// What it patches, e.g. `BOOTSTRAP`.
    pub apply_to: String,
    /// The patch.
    pub patch: Patch,
}

/// The operation and its value.
#[derive(Debug, Deserialize)]
pub struct Patch {
    /// The value merged.
    pub value: Option<Value>,
}

/// An Envoy bootstrap fragment that only adds stats tags: the value of the
/// BOOTSTRAP patch, and the bootstrap override file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsTagsBootstrap {
    /// `stats_config`.
    pub stats_config: StatsConfig,
}

/// `stats_config` with only `stats_tags`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsConfig {
    /// One regex per label.
    pub stats_tags: Vec<StatsTag>,
}

/// One Envoy `TagSpecifier`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsTag {
    /// The Prometheus label.
    pub tag_name: String,
    /// The first group is cut from the name, the second is the value.
    pub regex: String,
}
