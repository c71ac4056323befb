//! Metric names and their label values, with cardinality bounded by the config.
//!
//! Stats carry labels in Istio's embedded-tag form, `name_label=.=value;.;...`, which
//! the `stats_tags` shipped in envoy-config/ turn into Prometheus labels. A label value
//! comes from the config, the local identity, or a trusted peer's tag; at most
//! `metrics.maxClusters` source clusters get a label of their own.

use super::fast_hash::FastSet;
use super::identity::Source;

/// Bytes of cross-cluster requests and responses, counted inbound.
pub const XCLUSTER_BYTES: &str = "meshborder.xcluster_bytes_total";
/// Cross-cluster requests, counted inbound.
pub const XCLUSTER_REQUESTS: &str = "meshborder.xcluster_requests_total";
/// Residency decisions that were not a plain allow.
pub const RESIDENCY_DECISIONS: &str = "meshborder.residency_decisions_total";
/// Inbound requests whose source could not be established.
pub const UNKNOWN_SOURCE: &str = "meshborder.unknown_source_total";

/// Label value of an unestablished source or region.
pub const UNKNOWN: &str = "unknown";
/// Label value of a source beyond the cardinality bound.
pub const OTHER: &str = "other";

/// Builds a stat name with embedded tags: `base_l1=.=v1;.;l2=.=v2;.;`.
pub fn stat_name(base: &str, labels: &[(&str, &str)]) -> String {
    let mut name = String::with_capacity(
        base.len()
            + 1
            + labels
                .iter()
                .map(|(l, v)| l.len() + v.len() + 6)
                .sum::<usize>(),
    );
    name.push_str(base);
    if !labels.is_empty() {
        name.push('_');
    }
    for (label, value) in labels {
        name.push_str(label);
        name.push_str("=.=");
        name.push_str(value);
        name.push_str(";.;");
    }
    name
}

/// The label values of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLabels<'a> {
    /// `source_cluster`.
    pub cluster: &'a str,
    /// `source_region`.
    pub region: &'a str,
}

/// Decides the source labels, keeping the set of cluster labels bounded.
#[derive(Debug)]
pub struct SourceLabeler {
    max_clusters: usize,
    clusters: FastSet<String>,
    regions: FastSet<String>,
}

impl SourceLabeler {
    /// `configured` clusters always get their own label; `regions` are the region
    /// names the config knows.
    pub fn new<'a>(
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
    pub fn labels<'s>(&mut self, source: &Source<'s>) -> SourceLabels<'s> {
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
