//! `networking.istio.io/v1alpha3` `EnvoyFilter`, from Istio's
//! `networking/v1alpha3/envoy_filter.proto`, and the stats-tags bootstrap patch
//! istio/ carries in one.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::k8s::ObjectMeta;

/// An EnvoyFilter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvoyFilter {
    /// `networking.istio.io/v1alpha3`.
    pub api_version: String,
    /// `EnvoyFilter`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: EnvoyFilterSpec,
}

/// `spec` of an EnvoyFilter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvoyFilterSpec {
    /// Workloads, by label.
    pub workload_selector: Option<EnvoyFilterWorkloadSelector>,
    /// Gateway API target references (opaque).
    pub target_refs: Option<Vec<Value>>,
    /// The patches.
    pub config_patches: Vec<ConfigPatch>,
    /// Order among EnvoyFilters.
    pub priority: Option<i32>,
}

/// `workloadSelector`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvoyFilterWorkloadSelector {
    /// Pod labels.
    pub labels: BTreeMap<String, String>,
}

/// One patch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigPatch {
    /// What it patches.
    pub apply_to: ApplyTo,
    /// Which objects.
    #[serde(rename = "match")]
    pub match_: Option<ObjectMatch>,
    /// The change.
    pub patch: Patch,
}

/// `applyTo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApplyTo {
    /// A listener.
    Listener,
    /// A filter chain.
    FilterChain,
    /// A network filter.
    NetworkFilter,
    /// An HTTP filter.
    HttpFilter,
    /// A route configuration.
    RouteConfiguration,
    /// A virtual host.
    VirtualHost,
    /// An HTTP route.
    HttpRoute,
    /// A cluster.
    Cluster,
    /// An ECDS extension config.
    ExtensionConfig,
    /// The bootstrap (deprecated; not applied since Istio 1.21).
    Bootstrap,
    /// A listener filter.
    ListenerFilter,
}

/// `match` of a patch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectMatch {
    /// `ANY`, `SIDECAR_INBOUND`, `SIDECAR_OUTBOUND`, `GATEWAY`, `WAYPOINT`.
    pub context: Option<String>,
    /// Proxy version and metadata.
    pub proxy: Option<ProxyMatch>,
    /// Listener match (opaque).
    pub listener: Option<Value>,
    /// Route configuration match (opaque).
    pub route_configuration: Option<Value>,
    /// Cluster match (opaque).
    pub cluster: Option<Value>,
    /// Waypoint match (opaque).
    pub waypoint: Option<Value>,
}

/// `match.proxy`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProxyMatch {
    /// Regex on the proxy version.
    pub proxy_version: Option<String>,
    /// Node metadata.
    pub metadata: Option<BTreeMap<String, String>>,
}

/// `patch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Patch {
    /// `MERGE`, `ADD`, ...
    pub operation: String,
    /// The Envoy configuration to apply.
    pub value: Option<Value>,
    /// `AUTHN`, `AUTHZ`, `STATS`.
    pub filter_class: Option<String>,
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
