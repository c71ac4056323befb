//! What Prometheus scraped against what Envoy shows: once traffic has stopped,
//! every counter of the contract on every Envoy of the run is in Prometheus with
//! the same labels and the same value; and the bytes Envoy counted per pair, both
//! directions together, which the recorded rates are compared with.

use std::collections::BTreeMap;

use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::prometheus_server::PrometheusApi;
use meshborder_e2e::prometheus_server::config::PROXY_LABEL;
use meshborder_e2e::{poll, prometheus};
use meshborder_filter::contract::{label, metric};

use super::recorded::{Labels, by_labels};

/// Every contract counter Envoy shows: (metric, labels) → value.
fn envoy_counters(envoy: &Envoy) -> BTreeMap<(String, Labels), f64> {
    let text = envoy.prometheus().unwrap();
    metric::ALL
        .iter()
        .flat_map(|metric| {
            prometheus::samples(&text, metric.prometheus)
                .into_iter()
                .map(|sample| {
                    let labels = sample.labels.into_iter().collect();
                    ((metric.prometheus.to_owned(), labels), sample.value as f64)
                })
        })
        .collect()
}

/// The same, as Prometheus last scraped it from the proxy `name`.
fn scraped_counters(api: &PrometheusApi, name: &str) -> BTreeMap<(String, Labels), f64> {
    let mut counters = BTreeMap::new();
    for metric in metric::ALL {
        let query = format!("{}{{{PROXY_LABEL}={name:?}}}", metric.prometheus);
        for (mut labels, value) in by_labels(api.query(&query).unwrap()) {
            for target_label in ["job", "instance", PROXY_LABEL] {
                labels.remove(target_label);
            }
            counters.insert((metric.prometheus.to_owned(), labels), value);
        }
    }
    counters
}

/// Waits until Prometheus holds every counter of every one of `proxies` as Envoy
/// shows it; returns how many counters were compared.
pub fn assert_scraped_as_envoy_shows(api: &PrometheusApi, proxies: &[(&str, &Envoy)]) -> usize {
    let mut compared = 0;
    for (name, envoy) in proxies {
        let shown = envoy_counters(envoy);
        let equal = poll::until(&format!("Prometheus to scrape {name}'s counters"), || {
            Ok((scraped_counters(api, name) == shown).then_some(()))
        });
        if let Err(e) = equal {
            panic!(
                "{e}:\nEnvoy shows {shown:#?}\nPrometheus has {:#?}",
                scraped_counters(api, name)
            );
        }
        compared += shown.len();
    }
    compared
}

/// The bytes of `counter` on `envoy` per pair, both directions summed.
pub fn counted_bytes(envoy: &Envoy, counter: metric::Metric) -> BTreeMap<Labels, u64> {
    let text = envoy.prometheus().unwrap();
    let mut pairs: BTreeMap<Labels, u64> = BTreeMap::new();
    for sample in prometheus::samples(&text, counter.prometheus) {
        let pair: Labels = sample
            .labels
            .into_iter()
            .filter(|(name, _)| name != label::DIRECTION)
            .collect();
        *pairs.entry(pair).or_default() += sample.value;
    }
    pairs
}
