//! The federation run's sums: the fleet's figures per cluster pair against the
//! figures of the cluster that received the pair's bytes, and the fleet's total
//! against the sum of those figures (see [`super::federation`] for why the
//! clusters' figures are looked up among their recent samples).

use std::collections::BTreeMap;

use meshborder_e2e::prometheus_server::{PrometheusApi, Series};
use meshborder_e2e::topology::{EU_WEST_CLUSTER, US_EAST};
use meshborder_filter::contract::label;

use super::federation_rig::FederationRun;
use super::recorded::Labels;

/// How far back a fleet value is looked for among a cluster's samples: the
/// federation lag (a scrape each second) and the cluster's rule interval, with room.
const LOOKBACK: &str = "6s";
/// A per-cluster series and the fleet series that sums it.
pub struct Chain {
    /// Recorded by each cluster's Prometheus.
    pub cluster: &'static str,
    /// Recorded by the global one.
    pub fleet: &'static str,
}

/// HTTP bytes and their cost, per cluster pair.
pub const CHAINS: [Chain; 2] = [
    Chain {
        cluster: "meshborder:xcluster_transfer_bytes:rate5m",
        fleet: "meshborder_fleet:xcluster_transfer_bytes:rate5m",
    },
    Chain {
        cluster: "meshborder:xcluster_transfer_usd_per_hour:rate5m",
        fleet: "meshborder_fleet:xcluster_transfer_usd_per_hour:rate5m",
    },
];

/// The labels of a cluster pair and its kind of transfer.
const PAIR: [&str; 5] = [
    "transfer",
    label::SOURCE_CLUSTER,
    label::SOURCE_REGION,
    label::DESTINATION_CLUSTER,
    label::DESTINATION_REGION,
];

/// `expr` at `time`, by the labels of a cluster pair.
pub fn values_at(api: &PrometheusApi, expr: &str, time: f64) -> BTreeMap<Labels, f64> {
    api.query_at(expr, time)
        .unwrap()
        .into_iter()
        .map(|series| (pair_of(&series), series.value))
        .collect()
}

fn pair_of(series: &Series) -> Labels {
    series
        .labels
        .iter()
        .filter(|(name, _)| PAIR.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// A PromQL label matcher selecting exactly `pair`.
fn matcher(pair: &Labels) -> String {
    let matchers: Vec<String> = pair
        .iter()
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    format!("{{{}}}", matchers.join(","))
}

/// What [`assert_fleet_is_the_receiving_clusters_sum`] compared.
pub struct Matched {
    /// How many fleet values were found among their receiving cluster's samples.
    pub values: usize,
    /// The sum of the cluster samples they were found as.
    pub cluster_sum: f64,
}

/// Every fleet value of `chain` at `time` is, exactly, one of the samples the
/// pair's receiving cluster recorded in the [`LOOKBACK`] before `time`, and no
/// other cluster recorded the pair.
pub fn assert_fleet_is_the_receiving_clusters_sum(
    run: &FederationRun,
    chain: &Chain,
    time: f64,
) -> Matched {
    let mut cluster_sum = 0.0;
    let fleet = values_at(&run.fleet.global_api(), chain.fleet, time);
    let destinations: Vec<&str> = fleet
        .keys()
        .map(|pair| pair[label::DESTINATION_CLUSTER].as_str())
        .collect();
    assert!(
        destinations.contains(&EU_WEST_CLUSTER) && destinations.contains(&US_EAST.cluster),
        "`{}` has pairs into both clusters: {fleet:?}",
        chain.fleet
    );
    for (pair, value) in &fleet {
        let destination = pair[label::DESTINATION_CLUSTER].as_str();
        for running in &run.fleet.clusters {
            let api = running.server.api();
            let selector = format!("{}{}[{LOOKBACK}]", chain.cluster, matcher(pair));
            let samples = api.query_at(&selector, time).unwrap();
            if running.cluster != destination {
                assert!(
                    samples.is_empty(),
                    "`{}` {pair:?} is recorded by `{}` too, not only by its receiving cluster: {samples:?}",
                    chain.cluster,
                    running.cluster
                );
                continue;
            }
            let same = samples
                .iter()
                .find(|sample| (sample.value - value).abs() <= value.abs() * 1e-12);
            let own = values_at(&api, chain.cluster, time)
                .get(pair)
                .copied()
                .unwrap_or(f64::NAN);
            let Some(same) = same else {
                panic!(
                    "`{}` {pair:?} is {value} at {time:.3}, which is none of `{destination}`'s samples of \
                     `{}` before then: {:?}",
                    chain.fleet,
                    chain.cluster,
                    samples
                        .iter()
                        .map(|sample| (sample.timestamp, sample.value))
                        .collect::<Vec<_>>()
                );
            };
            cluster_sum += same.value;
            meshborder_e2e::show!(
                "{} {}→{} ({}): global {value:e} = {destination}'s sample of {:.3}s before; \
                 {destination} at the same time {own:e} (global/cluster {:.4})",
                chain.fleet,
                pair[label::SOURCE_CLUSTER],
                destination,
                pair["transfer"],
                time - same.timestamp,
                value / own
            );
        }
    }
    Matched {
        values: fleet.len(),
        cluster_sum,
    }
}

/// Shows the fleet's total bytes per second at `time` beside the receiving
/// clusters' samples its pairs were found as (`matched`, from
/// [`assert_fleet_is_the_receiving_clusters_sum`] on the bytes chain) and the
/// clusters' own totals at the same time. Nothing is asserted here: the per-pair
/// checks already pin each term to one sample of one cluster, and young counters'
/// rates drift by more than the federation lag, so the totals at one time differ.
pub fn show_fleet_total(run: &FederationRun, time: f64, matched: &Matched) {
    let total = |api: &PrometheusApi, series: &str| -> f64 {
        api.query_at(&format!("sum({series})"), time)
            .unwrap()
            .iter()
            .map(|s| s.value)
            .sum()
    };
    let fleet = total(&run.fleet.global_api(), CHAINS[0].fleet);
    let clusters: Vec<(String, f64)> = run
        .fleet
        .clusters
        .iter()
        .map(|running| {
            (
                running.cluster.clone(),
                total(&running.server.api(), CHAINS[0].cluster),
            )
        })
        .collect();
    let now: f64 = clusters.iter().map(|(_, bytes)| bytes).sum();
    meshborder_e2e::show!(
        "fleet total {fleet:.3} B/s, from cluster samples summing to {:.3} B/s; the \
         clusters' totals at the same time {clusters:?}, sum {now:.3} B/s",
        matched.cluster_sum
    );
}
