//! Envoy counters: defined through proxy-wasm with embedded-tag names, their ids
//! cached so a request only increments. Residency and unknown-source counters are
//! defined at configure time; cross-cluster counters per source label set, the
//! configured clusters up front and others on first sight, within the bound.

use proxy_wasm::hostcalls;
use proxy_wasm::types::{MetricType, Status};

use crate::policy::Policy;
use crate::policy::config::Mode;
use crate::policy::fast_hash::FastMap;
use crate::policy::identity::{Source, SourceKind};
use crate::policy::metering::{
    RESIDENCY_DECISIONS, SourceLabeler, UNKNOWN, UNKNOWN_SOURCE, XCLUSTER_BYTES, XCLUSTER_REQUESTS,
    stat_name,
};

/// The counters of one source label set.
#[derive(Debug, Clone, Copy)]
pub struct XclusterIds {
    /// `direction=request` bytes.
    pub request_bytes: u32,
    /// `direction=response` bytes.
    pub response_bytes: u32,
    /// Requests.
    pub requests: u32,
}

/// Every counter id the filter uses.
#[derive(Debug)]
pub struct Metrics {
    residency: Vec<(u32, u32)>,
    unknown_source: u32,
    labeler: SourceLabeler,
    xcluster: FastMap<String, FastMap<String, XclusterIds>>,
    destination_cluster: String,
    destination_region: String,
}

fn define(name: &str) -> Result<u32, Status> {
    hostcalls::define_metric(MetricType::Counter, name)
}

impl Metrics {
    /// Defines the counters known from the config.
    pub fn define_all(policy: &Policy) -> Result<Self, Status> {
        let mut residency = Vec::with_capacity(policy.rules.len());
        for rule in &policy.rules {
            let id = |decision: &str| {
                define(&stat_name(
                    RESIDENCY_DECISIONS,
                    &[("rule", &rule.name), ("decision", decision)],
                ))
            };
            residency.push((id("deny")?, id("audit")?));
        }
        let labeler = SourceLabeler::new(
            policy.max_cluster_labels,
            policy.clusters.keys().map(String::as_str),
            policy.catalog.names(),
        );
        let mut metrics = Self {
            residency,
            unknown_source: define(UNKNOWN_SOURCE)?,
            labeler,
            xcluster: FastMap::default(),
            destination_cluster: policy.identity.cluster.clone(),
            destination_region: policy
                .identity
                .region
                .clone()
                .unwrap_or_else(|| UNKNOWN.to_owned()),
        };
        for (cluster, region) in &policy.clusters {
            if *cluster != policy.identity.cluster {
                let source = Source {
                    kind: SourceKind::Trusted,
                    cluster: Some(cluster),
                    region: Some(region),
                };
                metrics.xcluster_ids(&source)?;
            }
        }
        Ok(metrics)
    }

    /// Counts one residency decision of rule `rule`.
    pub fn count_decision(&self, rule: usize, mode: Mode) {
        if let Some((deny, audit)) = self.residency.get(rule) {
            increment(
                match mode {
                    Mode::Enforce => *deny,
                    Mode::Audit => *audit,
                },
                1,
            );
        }
    }

    /// Counts one inbound request of unknown source.
    pub fn count_unknown_source(&self) {
        increment(self.unknown_source, 1);
    }

    /// The cross-cluster counters of `source`, defining them on first sight.
    pub fn xcluster_ids(&mut self, source: &Source<'_>) -> Result<XclusterIds, Status> {
        let labels = self.labeler.labels(source);
        if let Some(ids) = self
            .xcluster
            .get(labels.cluster)
            .and_then(|by_region| by_region.get(labels.region))
        {
            return Ok(*ids);
        }
        let destination = [
            ("destination_cluster", self.destination_cluster.as_str()),
            ("destination_region", self.destination_region.as_str()),
        ];
        let bytes = |direction: &str| {
            let mut labels_of = vec![
                ("direction", direction),
                ("source_cluster", labels.cluster),
                ("source_region", labels.region),
            ];
            labels_of.extend_from_slice(&destination);
            define(&stat_name(XCLUSTER_BYTES, &labels_of))
        };
        let ids = XclusterIds {
            request_bytes: bytes("request")?,
            response_bytes: bytes("response")?,
            requests: define(&stat_name(
                XCLUSTER_REQUESTS,
                &[
                    ("source_cluster", labels.cluster),
                    ("destination_cluster", &self.destination_cluster),
                ],
            ))?,
        };
        self.xcluster
            .entry(labels.cluster.to_owned())
            .or_default()
            .insert(labels.region.to_owned(), ids);
        Ok(ids)
    }
}

/// Adds `by` to a counter; a failure is logged, never fatal. Adding 0 is skipped:
/// Envoy refuses it (`BadArgument`), and it happens whenever a stream ends with no
/// response, so `response.total_size` is absent.
pub fn increment(id: u32, by: u64) {
    if by == 0 {
        return;
    }
    let offset = i64::try_from(by).unwrap_or(i64::MAX);
    if let Err(status) = hostcalls::increment_metric(id, offset) {
        log::warn!("could not increment metric {id}: {status:?}");
    }
}
