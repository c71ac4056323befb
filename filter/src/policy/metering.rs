//! What the filter counts, named: the stat names of its counters, with the label
//! values of each source bounded by the config.
//!
//! Names carry their labels in Istio's embedded-tag form (`contract::stat_name`),
//! which the `stats_tags` shipped in envoy-config/ turn into Prometheus labels. A
//! label value comes from the config, the local identity, or a trusted peer's tag;
//! at most `metrics.maxClusters` source clusters, and `metrics.maxZones` source
//! zones, get a label of their own. The glue defines each name once per VM and
//! counts by the id the host returns.

use super::compiled::Policy;
use super::fast_hash::{FastMap, FastSet};
use super::identity::{Source, SourceKind};
use crate::contract::metric::{
    RESIDENCY_DECISIONS, TAG_MISMATCH, XCLUSTER_BYTES, XCLUSTER_REQUESTS, XCLUSTER_TCP_BYTES,
    XCLUSTER_TCP_CONNECTIONS, XZONE_BYTES, XZONE_REQUESTS,
};
use crate::contract::value::{AUDIT, DENY, OTHER, RECEIVED, REQUEST, RESPONSE, SENT, UNKNOWN};
use crate::contract::{label, stat_name};

/// The two counters of one residency rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionStats {
    /// `decision=deny`: the rule denied (mode enforce).
    pub deny: String,
    /// `decision=audit`: the rule would have denied (mode audit).
    pub audit: String,
}

/// The three counters of one border's source label set (cross-cluster or
/// cross-zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BorderStats {
    /// `direction=request` bytes.
    pub request_bytes: String,
    /// `direction=response` bytes.
    pub response_bytes: String,
    /// Requests.
    pub requests: String,
}

/// The label values of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SourceLabels<'a> {
    /// `source_cluster`.
    pub(super) cluster: &'a str,
    /// `source_region`.
    pub(super) region: &'a str,
}

/// Decides the source labels, keeping the set of cluster labels bounded.
#[derive(Debug)]
pub(super) struct SourceLabeler {
    max_clusters: usize,
    clusters: FastSet<String>,
    regions: FastSet<String>,
}

impl SourceLabeler {
    /// `configured` clusters always get their own label; `regions` are the region
    /// names the config knows.
    pub(super) fn new<'a>(
        max_clusters: usize,
        configured: impl IntoIterator<Item = &'a str>,
        regions: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Self {
            max_clusters,
            clusters: configured.into_iter().map(str::to_owned).collect(),
            regions: regions.into_iter().map(str::to_owned).collect(),
        }
    }

    /// The labels of `source`. A cluster seen for the first time gets its own label
    /// while fewer than `max_clusters` have one; later ones are `other`.
    pub(super) fn labels<'s>(&mut self, source: &Source<'s>) -> SourceLabels<'s> {
        let cluster = match source.cluster {
            None => UNKNOWN,
            Some(c) if self.clusters.contains(c) => c,
            Some(c) if self.clusters.len() < self.max_clusters => {
                self.clusters.insert(c.to_owned());
                c
            }
            Some(_) => OTHER,
        };
        let region = match source.region {
            None => UNKNOWN,
            Some(r) if self.regions.contains(r) => r,
            Some(_) => OTHER,
        };
        SourceLabels { cluster, region }
    }
}

/// The cross-zone label sets: one per source zone label, numbered densely in the
/// order first seen; at most `max` zones get a label of their own, later ones are
/// `other`, and a caller without a zone is `unknown`.
#[derive(Debug)]
struct ZoneLabels {
    max: usize,
    numbers: FastMap<String, usize>,
    sets: Vec<String>,
    destination: String,
}

impl ZoneLabels {
    fn number(&mut self, zone: Option<&str>) -> usize {
        let named = self.numbers.len() - self.fixed_sets();
        let label = match zone {
            None => UNKNOWN,
            Some(z) if self.numbers.contains_key(z) => z,
            Some(z) if named < self.max => z,
            Some(_) => OTHER,
        };
        if let Some(number) = self.numbers.get(label) {
            return *number;
        }
        let number = self.sets.len();
        self.numbers.insert(label.to_owned(), number);
        self.sets.push(label.to_owned());
        number
    }

    /// How many of the sets are `unknown` and `other`, which the bound leaves out.
    fn fixed_sets(&self) -> usize {
        [UNKNOWN, OTHER]
            .iter()
            .filter(|label| self.numbers.contains_key(**label))
            .count()
    }
}

/// The border counters of one configuration: which label set a source is counted
/// under, and the stat names of each set. Label sets are numbered densely in the
/// order they are first seen, the configured clusters first, so the glue keeps
/// their ids in a vector.
#[derive(Debug)]
pub struct Meter {
    labeler: SourceLabeler,
    /// Source cluster label, then source region label, to the set's number.
    numbers: FastMap<String, FastMap<String, usize>>,
    /// Each set's (cluster, region) labels, by number.
    sets: Vec<(String, String)>,
    destination_cluster: String,
    destination_region: String,
    zones: ZoneLabels,
}

impl Meter {
    /// The number of the label set `source` is counted under; a set seen for the
    /// first time gets the next number.
    pub fn label_set(&mut self, source: &Source<'_>) -> usize {
        let labels = self.labeler.labels(source);
        if let Some(number) = self
            .numbers
            .get(labels.cluster)
            .and_then(|by_region| by_region.get(labels.region))
        {
            return *number;
        }
        let number = self.sets.len();
        self.numbers
            .entry(labels.cluster.to_owned())
            .or_default()
            .insert(labels.region.to_owned(), number);
        self.sets
            .push((labels.cluster.to_owned(), labels.region.to_owned()));
        number
    }

    /// How many label sets have a number: those of the configured clusters, until
    /// traffic brings more.
    pub fn label_sets(&self) -> usize {
        self.sets.len()
    }

    /// The number of the cross-zone label set `source` is counted under; a set seen
    /// for the first time gets the next number.
    pub fn zone_set(&mut self, source: &Source<'_>) -> usize {
        self.zones.number(source.zone)
    }

    /// The stat names of cross-zone label set `number`; `None` for a number not
    /// handed out.
    pub fn xzone_stats(&self, number: usize) -> Option<BorderStats> {
        let zone = self.zones.sets.get(number)?;
        let destination = self.zones.destination.as_str();
        let bytes = |direction: &str| {
            stat_name(
                XZONE_BYTES.stat,
                &[
                    (label::DIRECTION, direction),
                    (label::SOURCE_ZONE, zone),
                    (label::DESTINATION_ZONE, destination),
                ],
            )
        };
        Some(BorderStats {
            request_bytes: bytes(REQUEST),
            response_bytes: bytes(RESPONSE),
            requests: stat_name(
                XZONE_REQUESTS.stat,
                &[
                    (label::SOURCE_ZONE, zone),
                    (label::DESTINATION_ZONE, destination),
                ],
            ),
        })
    }

    /// L4: the stat names of label set `number` for TCP connections: bytes
    /// `received` from the caller, bytes `sent` to it, and connections (in the
    /// fields for request bytes, response bytes and requests).
    pub fn xcluster_tcp_stats(&self, number: usize) -> Option<BorderStats> {
        self.cluster_stats(
            number,
            (XCLUSTER_TCP_BYTES.stat, XCLUSTER_TCP_CONNECTIONS.stat),
            (RECEIVED, SENT),
        )
    }

    /// The stat names of label set `number`; `None` for a number not handed out.
    pub fn xcluster_stats(&self, number: usize) -> Option<BorderStats> {
        self.cluster_stats(
            number,
            (XCLUSTER_BYTES.stat, XCLUSTER_REQUESTS.stat),
            (REQUEST, RESPONSE),
        )
    }

    /// The cross-cluster stat names of label set `number` under the metric names
    /// `(bytes, count)` and the two `direction` values.
    fn cluster_stats(
        &self,
        number: usize,
        (bytes_metric, count_metric): (&str, &str),
        (inward, outward): (&str, &str),
    ) -> Option<BorderStats> {
        let (cluster, region) = self.sets.get(number)?;
        let destination = [
            (
                label::DESTINATION_CLUSTER,
                self.destination_cluster.as_str(),
            ),
            (label::DESTINATION_REGION, self.destination_region.as_str()),
        ];
        let bytes = |direction: &str| {
            let mut labels = vec![
                (label::DIRECTION, direction),
                (label::SOURCE_CLUSTER, cluster.as_str()),
                (label::SOURCE_REGION, region.as_str()),
            ];
            labels.extend_from_slice(&destination);
            stat_name(bytes_metric, &labels)
        };
        Some(BorderStats {
            request_bytes: bytes(inward),
            response_bytes: bytes(outward),
            requests: stat_name(
                count_metric,
                &[
                    (label::SOURCE_CLUSTER, cluster),
                    (label::DESTINATION_CLUSTER, &self.destination_cluster),
                ],
            ),
        })
    }
}

impl Policy {
    /// The counters of each residency rule, in rule order (the index a
    /// `RuleDecision` names).
    pub fn decision_stats(&self) -> impl ExactSizeIterator<Item = DecisionStats> + '_ {
        self.rule_names().map(|rule| {
            let name = |decision| {
                stat_name(
                    RESIDENCY_DECISIONS.stat,
                    &[(label::RULE, rule), (label::DECISION, decision)],
                )
            };
            DecisionStats {
                deny: name(DENY),
                audit: name(AUDIT),
            }
        })
    }

    /// The stat name of `meshborder_tag_mismatch_total` for certificate cluster
    /// `cluster`.
    pub fn tag_mismatch_stat(&self, cluster: &str) -> String {
        stat_name(TAG_MISMATCH.stat, &[(label::SOURCE_CLUSTER, cluster)])
    }

    /// The clusters a certificate can bind, whose mismatch counters are defined up
    /// front: every cluster of the `clusters` table when some `trustedPeers` entry
    /// binds, none otherwise.
    pub fn bindable_clusters(&self) -> impl Iterator<Item = &str> {
        let binds = self.trusted.binds_any();
        self.clusters
            .keys()
            .map(String::as_str)
            .filter(move |_| binds)
    }

    /// The cross-cluster meter of this configuration, with a label set numbered for
    /// each configured cluster other than the local one.
    pub fn meter(&self) -> Meter {
        let labeler = SourceLabeler::new(
            self.max_cluster_labels,
            self.clusters.keys().map(String::as_str),
            self.catalog.names(),
        );
        let mut meter = Meter {
            labeler,
            numbers: FastMap::default(),
            sets: Vec::new(),
            destination_cluster: self.identity.cluster.clone(),
            destination_region: self
                .identity
                .region
                .clone()
                .unwrap_or_else(|| UNKNOWN.to_owned()),
            zones: ZoneLabels {
                max: self.max_zone_labels,
                numbers: FastMap::default(),
                sets: Vec::new(),
                destination: self
                    .identity
                    .zone
                    .clone()
                    .unwrap_or_else(|| UNKNOWN.to_owned()),
            },
        };
        let mut configured: Vec<(&String, &String)> = self
            .clusters
            .iter()
            .filter(|(cluster, _)| **cluster != self.identity.cluster)
            .collect();
        configured.sort_unstable();
        for (cluster, region) in configured {
            meter.label_set(&Source {
                kind: SourceKind::Trusted,
                cluster: Some(cluster),
                region: Some(region),
                zone: None,
            });
        }
        meter
    }
}
