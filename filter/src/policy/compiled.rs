//! The compiled policy: the config checked, resolved and turned into lookups, once,
//! at configure time. Requests only read it.

use std::collections::HashSet;

use serde::Deserialize;

use super::config::{DirectionSetting, MatchConfig, Mode, PluginConfig, RuleConfig};
use super::error::ConfigError;
use super::fast_hash::FastMap;
use super::headers::HeaderNames;
use super::host_index::HostIndex;
use super::identity::{
    LocalIdentity, NodeFacts, SOURCE_CLUSTER_HEADER, SOURCE_REGION_HEADER, TrustedPeers,
};
use super::json_path::error_path;
use super::matchers::{HostPattern, PathPattern};
use super::names::check_name;
use super::regions::RegionCatalog;
use super::residency::ResidencyRule;
use super::routing::{ROUTE_REGION_HEADER, Routing, compile_header_name};

/// Largest accepted `metrics.maxClusters`.
pub const MAX_CLUSTER_LABELS: u32 = 1024;

/// Everything a request needs, built once.
#[derive(Debug)]
pub struct Policy {
    /// Who this filter runs as.
    pub identity: LocalIdentity,
    /// The configured direction.
    pub direction: DirectionSetting,
    /// Whose tags are believed.
    pub trusted: TrustedPeers,
    /// Cluster name to region, from the `clusters` table.
    pub clusters: FastMap<String, String>,
    /// Known regions and groups.
    pub catalog: RegionCatalog,
    /// Residency rules in order.
    pub rules: Vec<ResidencyRule>,
    /// The rules indexed by host.
    pub host_index: HostIndex,
    /// Regional routing, when configured.
    pub routing: Option<Routing>,
    /// `metrics.maxClusters`.
    pub max_cluster_labels: usize,
    /// The headers a request is read for, in one pass.
    pub header_names: HeaderNames,
}

impl Policy {
    /// Parses and compiles a plugin configuration. Empty input is the empty config.
    pub fn from_json(bytes: &[u8], node: &NodeFacts) -> Result<Self, ConfigError> {
        let is_blank = bytes.iter().all(u8::is_ascii_whitespace);
        let config = if is_blank {
            PluginConfig::default()
        } else {
            parse(bytes)?
        };
        Self::compile(&config, node)
    }

    /// Compiles a parsed configuration.
    pub fn compile(config: &PluginConfig, node: &NodeFacts) -> Result<Self, ConfigError> {
        let mut clusters = FastMap::default();
        for (name, entry) in &config.clusters {
            check_name("clusters", name)?;
            check_name(&format!("clusters.{name}.region"), &entry.region)?;
            clusters.insert(name.clone(), entry.region.clone());
        }
        if let Some(region) = &config.region {
            check_name("region", region)?;
        }
        let identity = LocalIdentity::resolve(
            config.cluster.as_deref(),
            config.region.as_deref(),
            node,
            |c| clusters.get(c).cloned(),
        )?;
        let extra_regions = clusters
            .values()
            .map(String::as_str)
            .chain(identity.region.as_deref());
        let catalog = RegionCatalog::build(&config.region_groups, extra_regions)?;
        let trusted = TrustedPeers::compile(&config.trusted_peers)?;

        let mut rules = Vec::new();
        let mut host_index = HostIndex::default();
        let mut names = HashSet::new();
        if let Some(residency) = &config.residency {
            for (id, rule) in residency.rules.iter().enumerate() {
                if !names.insert(rule.name.as_str()) {
                    return Err(ConfigError::DuplicateRule {
                        name: rule.name.clone(),
                    });
                }
                let hosts = compile_rule(rule, residency.mode, &catalog)
                    .map(|(compiled, hosts)| {
                        rules.push(compiled);
                        hosts
                    })
                    .map_err(|e| e.in_rule(&rule.name))?;
                host_index.insert(id, &hosts);
            }
        }

        // In the order of the `HeaderSlot` constants.
        let mut header_names = HeaderNames::new([
            ":authority",
            ":path",
            ":method",
            SOURCE_CLUSTER_HEADER,
            SOURCE_REGION_HEADER,
            ROUTE_REGION_HEADER,
            "x-request-id",
        ]);
        let routing = config
            .routing
            .as_ref()
            .map(|r| Routing::compile(r, &catalog, &mut header_names))
            .transpose()?;

        if config.metrics.max_clusters > MAX_CLUSTER_LABELS {
            return Err(ConfigError::BadLimit {
                value: config.metrics.max_clusters,
                max: MAX_CLUSTER_LABELS,
            });
        }

        Ok(Self {
            header_names,
            identity,
            direction: config.direction,
            trusted,
            clusters,
            catalog,
            rules,
            host_index,
            routing,
            max_cluster_labels: usize::try_from(config.metrics.max_clusters).unwrap_or(usize::MAX),
        })
    }

    /// The region of a cluster in the `clusters` table.
    pub fn table_region(&self, cluster: &str) -> Option<&str> {
        self.clusters.get(cluster).map(String::as_str)
    }

    /// Whether any residency rule is configured.
    pub fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }
}

fn parse(bytes: &[u8]) -> Result<PluginConfig, ConfigError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let config = PluginConfig::deserialize(&mut de).map_err(|e| ConfigError::Json {
        path: error_path(bytes, &e),
        message: e.to_string(),
    })?;
    de.end().map_err(|e| ConfigError::Json {
        path: String::new(),
        message: e.to_string(),
    })?;
    Ok(config)
}

fn compile_rule(
    rule: &RuleConfig,
    default_mode: Mode,
    catalog: &RegionCatalog,
) -> Result<(ResidencyRule, Vec<HostPattern>), ConfigError> {
    check_name("name", &rule.name)?;
    let MatchConfig {
        hosts,
        paths,
        methods,
        headers,
    } = &rule.match_;
    let hosts = hosts
        .iter()
        .map(|h| HostPattern::parse(h))
        .collect::<Result<Vec<_>, _>>()?;
    let paths = paths
        .iter()
        .map(|p| PathPattern::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    let methods = methods
        .iter()
        .map(|m| {
            if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic()) {
                Ok(m.to_ascii_uppercase())
            } else {
                Err(ConfigError::BadPattern {
                    field: "match.methods".to_owned(),
                    value: m.clone(),
                    expected: "an HTTP method such as `GET`",
                })
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let headers = headers
        .iter()
        .map(|(name, value)| Ok((compile_header_name(name)?, value.clone())))
        .collect::<Result<Vec<_>, ConfigError>>()
        .map_err(|e| e.at("match.headers"))?;
    let region_set = |field: &str, list: &Option<Vec<String>>| {
        list.as_ref().map(|l| catalog.expand(field, l)).transpose()
    };
    let allow_source_clusters = match &rule.allow_source_clusters {
        None => None,
        Some(list) if list.is_empty() => {
            return Err(ConfigError::EmptyList {
                field: "allowSourceClusters".to_owned(),
            });
        }
        Some(list) => {
            for cluster in list {
                check_name("allowSourceClusters", cluster)?;
            }
            Some(list.iter().cloned().collect())
        }
    };
    let compiled = ResidencyRule {
        name: rule.name.clone(),
        paths,
        methods,
        headers,
        allow_source_regions: region_set("allowSourceRegions", &rule.allow_source_regions)?,
        allow_source_clusters,
        allow_local_regions: region_set("allowLocalRegions", &rule.allow_local_regions)?,
        unknown_source: rule.unknown_source,
        mode: rule.mode.unwrap_or(default_mode),
    };
    Ok((compiled, hosts))
}
