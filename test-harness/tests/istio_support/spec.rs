//! The metrics the filter emits, as the product contract lists them: the names
//! Prometheus sees on `/stats/prometheus` and their labels. Tests check this table
//! against the filter's own metric names, against a real Envoy's output, and check
//! every expression istio/ ships against it.

use meshborder_filter::policy::metering;

/// One metric of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecMetric {
    /// The Prometheus name.
    pub name: &'static str,
    /// Its labels.
    pub labels: &'static [&'static str],
}

/// Every metric the filter emits.
pub const SPEC_METRICS: [SpecMetric; 4] = [
    SpecMetric {
        name: "meshborder_xcluster_bytes_total",
        labels: &[
            "direction",
            "source_cluster",
            "source_region",
            "destination_cluster",
            "destination_region",
        ],
    },
    SpecMetric {
        name: "meshborder_xcluster_requests_total",
        labels: &["source_cluster", "destination_cluster"],
    },
    SpecMetric {
        name: "meshborder_residency_decisions_total",
        labels: &["rule", "decision"],
    },
    SpecMetric {
        name: "meshborder_unknown_source_total",
        labels: &[],
    },
];

/// The filter's own stat names (`meshborder.xcluster_bytes_total`, ...), as Envoy
/// shows them in Prometheus form: dots become underscores.
pub fn filter_metric_names() -> Vec<String> {
    [
        metering::XCLUSTER_BYTES,
        metering::XCLUSTER_REQUESTS,
        metering::RESIDENCY_DECISIONS,
        metering::UNKNOWN_SOURCE,
    ]
    .iter()
    .map(|name| name.replace('.', "_"))
    .collect()
}

/// The contract's metric called `name`.
pub fn metric(name: &str) -> Option<&'static SpecMetric> {
    SPEC_METRICS.iter().find(|metric| metric.name == name)
}

/// Every label of every metric.
pub fn all_labels() -> Vec<&'static str> {
    let mut labels: Vec<&str> = SPEC_METRICS
        .iter()
        .flat_map(|metric| metric.labels.iter().copied())
        .collect();
    labels.sort_unstable();
    labels.dedup();
    labels
}
