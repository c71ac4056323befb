//! The compiled policy: the config checked, resolved and turned into lookups, once,
//! at configure time. Requests only read it.

use std::collections::HashMap;

use serde::Deserialize;

use super::config::{Layer, MatchConfig, Mode, PluginConfig, RuleConfig};
use super::error::{ConfigError, Problem};
use super::fast_hash::FastMap;
use super::headers::{HeaderNames, IndexedHeaders, SerializedHeaders};
use super::host_index::HostIndex;
use super::identity::{LocalIdentity, NodeFacts, Overrides};
use super::matchers::{HostPattern, PathPattern, SniPattern};
use super::names::check_name;
use super::needs::Needs;
use super::regions::RegionCatalog;
use super::residency::ResidencyRule;
use super::routing::{Routing, compile_header_name};
use super::trust::TrustedPeers;
use crate::contract::header;
use crate::json::error_path;

/// Largest accepted `metrics.maxClusters` and `metrics.maxZones`.
const MAX_LABELS: u32 = 1024;

/// Everything a request needs, built once.
#[derive(Debug)]
pub struct Policy {
    /// Who this filter runs as.
    pub(super) identity: LocalIdentity,
    /// What the glue fetches for a request.
    pub(super) needs: Needs,
    /// Whose tags are believed.
    pub(super) trusted: TrustedPeers,
    /// Cluster name to region, from the `clusters` table.
    pub(super) clusters: FastMap<String, String>,
    /// Known regions and groups.
    pub(super) catalog: RegionCatalog,
    /// Residency rules in order.
    pub(super) rules: Vec<ResidencyRule>,
    /// The rules indexed by host.
    pub(super) host_index: HostIndex,
    /// Regional routing, when configured.
    pub(super) routing: Option<Routing>,
    /// `metrics.maxClusters`.
    pub(super) max_cluster_labels: usize,
    /// `metrics.maxZones`.
    pub(super) max_zone_labels: usize,
    /// The headers a request is read for, in one pass.
    pub(super) header_names: HeaderNames,
    /// HTTP requests or TCP connections.
    pub(super) layer: Layer,
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
        let overrides = Overrides {
            cluster: config.cluster.as_deref(),
            region: config.region.as_deref(),
            zone: config.zone.as_deref(),
        };
        let identity = LocalIdentity::resolve(overrides, node, |c| clusters.get(c).cloned())?;
        let extra_regions = clusters
            .values()
            .map(String::as_str)
            .chain(identity.region.as_deref());
        let catalog = RegionCatalog::build(&config.region_groups, extra_regions)?;
        let known_clusters: Vec<&str> = config.clusters.keys().map(String::as_str).collect();
        let trusted = TrustedPeers::compile(&config.trusted_peers, &known_clusters)?;

        let mut rules = Vec::new();
        let mut host_index = HostIndex::default();
        let mut names = HashMap::new();
        if let Some(residency) = &config.residency {
            for (id, rule) in residency.rules.iter().enumerate() {
                let at = format!("residency.rules[{id}]");
                check_name(&format!("{at}.name"), &rule.name)?;
                if let Some(&first) = names.get(rule.name.as_str()) {
                    return Err(ConfigError::new(
                        format!("{at}.name"),
                        Problem::DuplicateRule {
                            name: rule.name.clone(),
                            first,
                        },
                    ));
                }
                names.insert(rule.name.as_str(), id);
                let (compiled, hosts) = compile_rule(rule, residency.mode, config.layer, &catalog)
                    .map_err(|e| e.in_rule(&rule.name))?;
                rules.push(compiled);
                host_index.insert(id, &hosts);
            }
        }

        // In the order of the `HeaderSlot` constants.
        let mut header_names = HeaderNames::new([
            ":authority",
            ":path",
            ":method",
            header::SOURCE_CLUSTER,
            header::SOURCE_REGION,
            header::ROUTE_REGION,
            header::REQUEST_ID,
            header::SOURCE_ZONE,
        ]);
        if config.layer == Layer::Tcp && config.routing.is_some() {
            return Err(ConfigError::new("routing", Problem::RoutingInTcp));
        }
        let routing = config
            .routing
            .as_ref()
            .map(|r| Routing::compile(r, &catalog, &mut header_names))
            .transpose()?;

        for (path, value) in [
            ("metrics.maxClusters", config.metrics.max_clusters),
            ("metrics.maxZones", config.metrics.max_zones),
        ] {
            if value > MAX_LABELS {
                return Err(ConfigError::new(
                    path,
                    Problem::TooLarge {
                        value,
                        max: MAX_LABELS,
                    },
                ));
            }
        }

        let needs = Needs::new(
            config.direction,
            !trusted.is_empty(),
            !rules.is_empty() || routing.is_some(),
            (
                rules.iter().any(|rule| !rule.ports.is_empty()),
                rules.iter().any(|rule| !rule.sni.is_empty()),
            ),
        );
        Ok(Self {
            header_names,
            identity,
            needs,
            trusted,
            clusters,
            catalog,
            rules,
            host_index,
            routing,
            max_cluster_labels: usize::try_from(config.metrics.max_clusters).unwrap_or(usize::MAX),
            max_zone_labels: usize::try_from(config.metrics.max_zones).unwrap_or(usize::MAX),
            layer: config.layer,
        })
    }

    /// Whether the configuration is for HTTP requests or TCP connections.
    pub fn layer(&self) -> Layer {
        self.layer
    }

    /// What the glue must fetch for a request.
    pub fn needs(&self) -> Needs {
        self.needs
    }

    /// Reads the request headers as the host serialized them (proxy-wasm's header
    /// map format), in place and in one pass, for [`Policy::decide`].
    pub fn read_headers<'a>(&'a self, serialized: &'a [u8]) -> IndexedHeaders<'a> {
        IndexedHeaders::new(&self.header_names, SerializedHeaders::new(serialized))
    }

    /// The residency rules' names, in order.
    pub fn rule_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.rules.iter().map(|rule| rule.name.as_str())
    }

    /// The region of a cluster in the `clusters` table.
    pub(super) fn table_region(&self, cluster: &str) -> Option<&str> {
        self.clusters.get(cluster).map(String::as_str)
    }

    /// Whether any residency rule is configured.
    pub(super) fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }
}

fn parse(bytes: &[u8]) -> Result<PluginConfig, ConfigError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let config = PluginConfig::deserialize(&mut de)
        .map_err(|e| ConfigError::json(error_path(bytes, &e), e.to_string()))?;
    de.end()
        .map_err(|e| ConfigError::json(String::new(), e.to_string()))?;
    Ok(config)
}

fn compile_rule(
    rule: &RuleConfig,
    default_mode: Mode,
    layer: Layer,
    catalog: &RegionCatalog,
) -> Result<(ResidencyRule, Vec<HostPattern>), ConfigError> {
    let MatchConfig {
        hosts,
        paths,
        methods,
        headers,
        ports,
        sni,
    } = &rule.match_;
    let tcp = layer == Layer::Tcp;
    let other_layer = [
        ("hosts", !hosts.is_empty() && tcp),
        ("paths", !paths.is_empty() && tcp),
        ("methods", !methods.is_empty() && tcp),
        ("headers", !headers.is_empty() && tcp),
        ("ports", !ports.is_empty() && !tcp),
        ("sni", !sni.is_empty() && !tcp),
    ];
    if let Some((field, _)) = other_layer.iter().find(|(_, wrong)| *wrong) {
        return Err(ConfigError::new(
            format!("match.{field}"),
            Problem::WrongLayer { field, tcp },
        ));
    }
    let sni = each(sni, "match.sni", SniPattern::parse)?;
    let hosts = each(hosts, "match.hosts", HostPattern::parse)?;
    let paths = each(paths, "match.paths", PathPattern::parse)?;
    let methods = each(methods, "match.methods", |m| {
        if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(m.to_ascii_uppercase())
        } else {
            Err(Problem::bad("method", m, "an HTTP method such as `GET`"))
        }
    })?;
    let headers = headers
        .iter()
        .map(|(name, value)| Ok((compile_header_name(name)?, value.clone())))
        .collect::<Result<Vec<_>, Problem>>()
        .map_err(|e| ConfigError::new("match.headers", e))?;
    let region_set = |field: &str, list: &Option<Vec<String>>| {
        list.as_ref().map(|l| catalog.expand(field, l)).transpose()
    };
    let allow_source_clusters = match &rule.allow_source_clusters {
        None => None,
        Some(list) if list.is_empty() => {
            return Err(ConfigError::new(
                "allowSourceClusters",
                Problem::EmptyList {
                    hint: "omit it to leave it unconstrained",
                },
            ));
        }
        Some(list) => {
            for (i, cluster) in list.iter().enumerate() {
                check_name(&format!("allowSourceClusters[{i}]"), cluster)?;
            }
            Some(list.iter().cloned().collect())
        }
    };
    let compiled = ResidencyRule {
        name: rule.name.clone(),
        paths,
        methods,
        headers,
        ports: ports.clone(),
        sni,
        allow_source_regions: region_set("allowSourceRegions", &rule.allow_source_regions)?,
        allow_source_clusters,
        allow_local_regions: region_set("allowLocalRegions", &rule.allow_local_regions)?,
        unknown_source: rule.unknown_source,
        mode: rule.mode.unwrap_or(default_mode),
    };
    Ok((compiled, hosts))
}

/// Compiles each entry of the list at `path`, naming the entry that fails.
fn each<T>(
    list: &[String],
    path: &str,
    compile: impl Fn(&str) -> Result<T, Problem>,
) -> Result<Vec<T>, ConfigError> {
    list.iter()
        .enumerate()
        .map(|(i, raw)| compile(raw).map_err(|e| ConfigError::new(format!("{path}[{i}]"), e)))
        .collect()
}
