//! The filter's counters on both sides under one key, `<envoy> <name>{labels}`
//! with the labels sorted: read from an Envoy's `/stats/prometheus`, or from a VM
//! of the host through the embedded-tag names the filter defines. The changes a
//! request made are the difference of two readings.

use std::collections::BTreeMap;

use meshborder_filter::contract::parse_stat_name;
use proxy_wasm_host::{MetricValue, Vm};

/// The prefix of every metric the filter defines.
const PREFIX: &str = "meshborder_";

/// Counter values by key.
pub type Readings = BTreeMap<String, u64>;

/// Every `meshborder_` sample of a Prometheus exposition, as `envoy`'s.
pub fn from_prometheus(envoy: &str, text: &str) -> Readings {
    text.lines()
        .filter(|line| line.starts_with(PREFIX))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.strip_suffix('}')?),
                None => (series, ""),
            };
            let mut labels: Vec<&str> = labels.split(',').filter(|l| !l.is_empty()).collect();
            labels.sort_unstable();
            Some((key(envoy, name, &labels.join(",")), value.parse().ok()?))
        })
        .collect()
}

/// Every counter of `vm`, as `envoy`'s.
pub fn from_vm(envoy: &str, vm: &Vm) -> Readings {
    vm.metrics()
        .iter()
        .filter_map(|metric| {
            let MetricValue::Counter(value) = metric.value else {
                return None;
            };
            let stat = parse_stat_name(&metric.name)?;
            let mut labels: Vec<String> = stat
                .labels
                .iter()
                .map(|(label, value)| format!("{label}=\"{value}\""))
                .collect();
            labels.sort_unstable();
            let name = stat.base.replace('.', "_");
            Some((key(envoy, &name, &labels.join(",")), value))
        })
        .collect()
}

/// What moved from `before` to `after`, and by how much.
pub fn changes(before: &Readings, after: &Readings) -> Readings {
    after
        .iter()
        .filter_map(|(key, now)| {
            let delta = now.saturating_sub(before.get(key).copied().unwrap_or(0));
            (delta > 0).then(|| (key.clone(), delta))
        })
        .collect()
}

fn key(envoy: &str, name: &str, labels: &str) -> String {
    format!("{envoy} {name}{{{labels}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_samples_with_sorted_labels_and_keeps_what_moved() {
        let before = from_prometheus(
            "eu-west",
            "# TYPE meshborder_x counter\nmeshborder_x{b=\"2\",a=\"1\"} 3\nmeshborder_y{} 1\nenvoy_z 9\n",
        );
        assert_eq!(
            before.get("eu-west meshborder_x{a=\"1\",b=\"2\"}"),
            Some(&3)
        );
        let after = from_prometheus(
            "eu-west",
            "meshborder_x{a=\"1\",b=\"2\"} 5\nmeshborder_y{} 1\n",
        );
        let moved = changes(&before, &after);
        assert_eq!(
            moved.into_iter().collect::<Vec<_>>(),
            [("eu-west meshborder_x{a=\"1\",b=\"2\"}".to_owned(), 2)]
        );
    }
}
