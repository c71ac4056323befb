//! The metrics the filter emits, as the product contract lists them: the names
//! Prometheus sees on `/stats/prometheus` and their labels. Tests check this table
//! against the filter's own metric names, against a real Envoy's output, and check
//! every expression istio/ ships against it.

use meshborder_filter::contract::metric::{self, Metric};

/// One metric of the contract: its Prometheus name and labels.
pub type SpecMetric = Metric;

/// Every metric the filter emits, from the filter's own contract module.
pub const SPEC_METRICS: [SpecMetric; 4] = metric::ALL;

/// The contract's metric called `name`.
pub fn metric(name: &str) -> Option<&'static SpecMetric> {
    SPEC_METRICS.iter().find(|metric| metric.prometheus == name)
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
