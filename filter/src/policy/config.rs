//! The plugin configuration as the user writes it: strict serde types, nothing more.
//!
//! Every struct rejects unknown fields, so a misspelt key fails configuration instead
//! of silently doing nothing. Validation and compilation live in `compiled`.
//!
//! Under test the types also derive a JSON Schema (schemars, a dev-dependency, so it
//! never reaches the `.wasm`); `filter/config.schema.json` is that schema, committed,
//! and a test fails when it drifts from these types.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// The meshborder plugin configuration (the JSON Istio passes as `pluginConfig`).
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PluginConfig {
    /// Overrides the cluster read from node metadata.
    pub cluster: Option<String>,
    /// Overrides the region read from node locality.
    pub region: Option<String>,
    /// Overrides the zone read from node locality.
    pub zone: Option<String>,
    /// Known clusters and their regions.
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterConfig>,
    /// Named groups of regions, usable wherever a region list is accepted.
    #[serde(default)]
    pub region_groups: BTreeMap<String, Vec<String>>,
    /// Which side of the border this filter instance sits on.
    #[serde(default)]
    pub direction: DirectionSetting,
    /// Whether Envoy runs this configuration as an HTTP filter or a network filter.
    #[serde(default)]
    pub layer: Layer,
    /// The mTLS peers believed on inbound, in order: a SPIFFE URI pattern whose tags
    /// are believed, or one that also says which cluster the peer is in.
    #[serde(default)]
    pub trusted_peers: Vec<TrustedPeerConfig>,
    /// Data-residency rules.
    pub residency: Option<ResidencyConfig>,
    /// Regional routing.
    pub routing: Option<RoutingConfig>,
    /// Metric cardinality limits.
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// One entry of the `clusters` table.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterConfig {
    /// The region the cluster runs in.
    pub region: String,
}

/// One `trustedPeers` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[cfg_attr(test, serde(untagged))]
pub enum TrustedPeerConfig {
    /// A SPIFFE URI pattern (`*` one path segment). With one `{cluster}` trust-domain
    /// label or path segment, the captured text is the peer's cluster; without, the
    /// peer's tags are believed.
    Pattern(String),
    /// A pattern and the cluster every peer it matches belongs to.
    Bound(BoundPeerConfig),
}

/// `{ "peer": ..., "cluster": ... }`: the peer's cluster is `cluster`, whatever a
/// header says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema, serde::Serialize))]
#[serde(deny_unknown_fields)]
pub struct BoundPeerConfig {
    /// A SPIFFE URI pattern, as in a string entry (no `{cluster}`).
    pub peer: String,
    /// The cluster; it must be listed in `clusters`.
    pub cluster: String,
}

/// A string or an object, told apart by what the JSON holds, so an object's errors
/// (an unknown or missing field) are reported as such rather than as "no variant
/// matched".
impl<'de> Deserialize<'de> for TrustedPeerConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;

        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = TrustedPeerConfig;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a SPIFFE URI pattern, or an object with `peer` and `cluster`")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(TrustedPeerConfig::Pattern(value.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                BoundPeerConfig::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(TrustedPeerConfig::Bound)
            }
        }

        deserializer.deserialize_any(EntryVisitor)
    }
}

/// `direction`: where the filter sits relative to the border.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum DirectionSetting {
    /// Read from the listener's traffic direction for every request.
    #[default]
    Auto,
    /// Always the callee's side.
    Inbound,
    /// Always the caller's side (or a gateway sending into the mesh).
    Outbound,
}

/// `layer`: the kind of Envoy filter the configuration is for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// An HTTP filter (`envoy.filters.http.wasm`): requests.
    #[default]
    Http,
    /// A network filter (`envoy.filters.network.wasm`, before `tcp_proxy`):
    /// connections.
    Tcp,
}

/// `mode`: whether a violated rule denies or only records.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny with a local 403 reply.
    #[default]
    Enforce,
    /// Record and count, then let the request through.
    Audit,
}

/// `unknownSource`: what a matching rule does when the caller is not established.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum UnknownSource {
    /// Treat the request as violating the rule.
    #[default]
    Deny,
    /// Let the request pass this rule.
    Allow,
}

/// The `residency` section.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResidencyConfig {
    /// Default mode of every rule.
    #[serde(default)]
    pub mode: Mode,
    /// Rules in evaluation order; the first matching rule decides.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
}

/// One residency rule.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleConfig {
    /// Unique name, used in the deny header, logs and metrics.
    pub name: String,
    /// Which requests the rule applies to; empty matches every request.
    #[serde(default, rename = "match")]
    pub match_: MatchConfig,
    /// Regions (or groups) the caller may be in.
    pub allow_source_regions: Option<Vec<String>>,
    /// Clusters the caller may be in.
    pub allow_source_clusters: Option<Vec<String>>,
    /// Regions (or groups) where the request may be served; checked inbound.
    pub allow_local_regions: Option<Vec<String>>,
    /// What to do when the caller is unknown.
    #[serde(default)]
    pub unknown_source: UnknownSource,
    /// Overrides `residency.mode` for this rule.
    pub mode: Option<Mode>,
}

/// A rule's `match` block: all given conditions must hold.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MatchConfig {
    /// `name`, `*.suffix` or `prefix.*`; the request's port is ignored.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Exact paths, or `/prefix/*`.
    #[serde(default)]
    pub paths: Vec<String>,
    /// HTTP methods.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Header name to exact value.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `tcp` layer: the connection's destination port.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// `tcp` layer: the requested server name (TLS SNI), exact or `*.suffix`.
    #[serde(default)]
    pub sni: Vec<String>,
}

/// The `routing` section.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoutingConfig {
    /// Ordered sources; the first that yields a region wins.
    #[serde(default)]
    pub sources: Vec<RouteSourceConfig>,
    /// Region (or group) used when no source yields one.
    pub default: Option<String>,
    /// Keep requests under a rule with `allowLocalRegions` inside those regions.
    #[serde(default = "default_true")]
    pub residency_guard: bool,
}

/// One routing source: a header holding a region or group, or a country code.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RouteSourceConfig {
    /// The request header to read.
    pub header: String,
    /// When set, the header holds an ISO 3166-1 alpha-2 country code mapped here.
    pub countries: Option<BTreeMap<String, String>>,
}

/// The `metrics` section.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MetricsConfig {
    /// Most distinct source clusters that get a label of their own.
    #[serde(default = "default_max_clusters")]
    #[cfg_attr(test, schemars(range(max = 1024)))]
    pub max_clusters: u32,
    /// Most distinct source zones that get a label of their own.
    #[serde(default = "default_max_zones")]
    #[cfg_attr(test, schemars(range(max = 1024)))]
    pub max_zones: u32,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            max_clusters: default_max_clusters(),
            max_zones: default_max_zones(),
        }
    }
}

fn default_true() -> bool {
    true
}

/// Default of `metrics.maxClusters`.
pub const DEFAULT_MAX_CLUSTERS: u32 = 64;

fn default_max_clusters() -> u32 {
    DEFAULT_MAX_CLUSTERS
}

/// Default of `metrics.maxZones`.
pub const DEFAULT_MAX_ZONES: u32 = 64;

fn default_max_zones() -> u32 {
    DEFAULT_MAX_ZONES
}
