//! The release filter on the proxy-wasm host: loading the build that ships, and
//! reading its counters as Prometheus shows them, by name and labels, whatever
//! order the filter put the embedded tags in.

use proxy_wasm_host::{HostError, HostResult, MetricValue, Plugin, Vm};

use meshborder_filter::contract::parse_stat_name;

use crate::paths;

/// The release build of the filter (`$MESHBORDER_WASM`, else the workspace's
/// `target/`); a missing build names `make build`.
pub fn release_filter() -> HostResult<Plugin> {
    let path = paths::filter_wasm_path();
    if !path.is_file() {
        return Err(HostError::MissingWasm {
            path,
            hint: "run `make build`".to_owned(),
        });
    }
    Plugin::load(path)
}

/// Counters by Prometheus name and labels.
pub trait Counters {
    /// The counter with this Prometheus name and exactly these labels (in any
    /// order), 0 when the filter never defined it.
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.try_counter(name, labels).unwrap_or(0)
    }

    /// The counter with this Prometheus name and labels, if the filter defined it.
    fn try_counter(&self, name: &str, labels: &[(&str, &str)]) -> Option<u64>;
}

impl Counters for Vm {
    fn try_counter(&self, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
        self.metrics().iter().find_map(|metric| match metric.value {
            MetricValue::Counter(value) if is_named(&metric.name, name, labels) => Some(value),
            _ => None,
        })
    }
}

/// Whether the stat defined as `defined` is the Prometheus name `query` (a `.` in
/// either read as `_`, as Envoy shows it) with exactly these labels, in any order.
fn is_named(defined: &str, query: &str, labels: &[(&str, &str)]) -> bool {
    let Some(stat) = parse_stat_name(defined) else {
        return false;
    };
    let mut found = stat.labels;
    let mut wanted = labels.to_vec();
    found.sort_unstable();
    wanted.sort_unstable();
    stat.base.replace('.', "_") == query.replace('.', "_") && found == wanted
}
