//! The global layer (`monitoring/global/`): the fleet's rules and dashboard read
//! only what reaches a global Prometheus, the series each cluster's rules record
//! (federated or remote-written, never the filter's raw counters), the fleet's own
//! recorded series and Prometheus's `up` of the federation targets, with the
//! filter's labels, the rules' labels and the clusters' external labels; a series
//! is recorded before a rule of its group reads it; the fleet's bytes and costs
//! are sums over clusters by cluster pair, and by border; its alerts watch
//! residency denials in any cluster and a cluster that stopped reporting; and the
//! dashboard has the views the fleet's questions need, on a templated data source.

use std::collections::BTreeSet;

use meshborder_e2e::prometheus_server::federation::{self, CLUSTER_LABEL};
use meshborder_filter::contract::{label, metric};

use super::support::monitoring::{self, all_rules, panels, rule};
use super::support::promql::{self, Uses};

/// The labels Prometheus itself puts on the series it scrapes: `up` of a
/// federation target has its `job`.
const SCRAPE_LABELS: [&str; 2] = ["job", "instance"];

#[test]
fn fleet_expressions_read_only_the_recorded_series_that_reach_the_global_prometheus() {
    let clusters = monitoring::rules().unwrap();
    let fleet = monitoring::fleet_rules().unwrap();
    let dashboard = monitoring::fleet_dashboard().unwrap();
    let mut readable: BTreeSet<String> = all_rules(&clusters)
        .chain(all_rules(&fleet))
        .filter_map(|rule| rule.record.clone())
        .collect();
    readable.insert("up".to_owned());
    let mut labels: BTreeSet<String> = label::ALL.into_iter().map(str::to_owned).collect();
    labels.extend(
        all_rules(&clusters)
            .chain(all_rules(&fleet))
            .flat_map(|rule| rule.labels.iter().flatten().map(|(label, _)| label.clone())),
    );
    labels.insert("transfer".to_owned());
    labels.extend(federation::external_label_names().unwrap());
    labels.extend(SCRAPE_LABELS.map(str::to_owned));

    let expressions = monitoring::expressions(&fleet, &dashboard).unwrap();
    for (origin, expr) in &expressions {
        let Uses {
            metrics: read,
            labels: used,
            introduced,
        } = promql::uses(expr).unwrap_or_else(|e| panic!("{origin}: {e}"));
        for name in &read {
            assert!(
                !metric::ALL.iter().any(|counter| counter.prometheus == name),
                "{origin} reads the raw counter `{name}`, which is not federated"
            );
            assert!(
                readable.contains(name),
                "{origin} reads `{name}`, which no rule records"
            );
        }
        for used in &used {
            assert!(
                labels.contains(used) || introduced.contains(used),
                "{origin} uses the label `{used}`, which no series has"
            );
        }
    }
}

#[test]
fn a_fleet_series_is_recorded_before_a_rule_of_its_group_reads_it() {
    monitoring::assert_recorded_before_read(&monitoring::fleet_rules().unwrap());
}

#[test]
fn fleet_bytes_and_costs_are_sums_over_clusters_by_cluster_pair_and_by_border() {
    let fleet = monitoring::fleet_rules().unwrap();
    let pair = [
        "transfer",
        label::SOURCE_CLUSTER,
        label::SOURCE_REGION,
        label::DESTINATION_CLUSTER,
        label::DESTINATION_REGION,
    ];
    for (recorded, summed) in [
        (
            "meshborder_fleet:xcluster_transfer_bytes:rate5m",
            "meshborder:xcluster_transfer_bytes:rate5m",
        ),
        (
            "meshborder_fleet:xcluster_transfer_usd_per_hour:rate5m",
            "meshborder:xcluster_transfer_usd_per_hour:rate5m",
        ),
        (
            "meshborder_fleet:xcluster_tcp_transfer_bytes:rate5m",
            "meshborder:xcluster_tcp_transfer_bytes:rate5m",
        ),
        (
            "meshborder_fleet:xcluster_tcp_transfer_usd_per_hour:rate5m",
            "meshborder:xcluster_tcp_transfer_usd_per_hour:rate5m",
        ),
    ] {
        let rule = rule(&fleet, recorded).unwrap();
        let uses = promql::uses(&rule.expr).unwrap();
        assert_eq!(
            uses.metrics,
            BTreeSet::from([summed.to_owned()]),
            "{recorded}"
        );
        assert!(
            rule.expr
                .trim_start()
                .starts_with(&format!("sum by ({})", pair.join(", "))),
            "{recorded} sums over clusters, keeping the pair: {}",
            rule.expr
        );
        assert!(
            !uses.labels.contains(CLUSTER_LABEL),
            "{recorded} sums the clusters away"
        );
    }
    for border in [
        "meshborder_fleet:region_pair_transfer_bytes:rate5m",
        "meshborder_fleet:region_pair_transfer_usd_per_hour:rate5m",
    ] {
        let uses = promql::uses(&rule(&fleet, border).unwrap().expr).unwrap();
        assert_eq!(
            uses.metrics.len(),
            2,
            "{border} adds HTTP and TCP: {:?}",
            uses.metrics
        );
        assert!(
            uses.labels.contains(label::SOURCE_REGION)
                && uses.labels.contains(label::DESTINATION_REGION)
        );
    }
}

#[test]
fn fleet_alerts_watch_denials_in_any_cluster_and_a_cluster_that_stopped_reporting() {
    let fleet = monitoring::fleet_rules().unwrap();
    let denials = rule(&fleet, "MeshborderFleetResidencyDenials").unwrap();
    let uses = promql::uses(&denials.expr).unwrap();
    assert!(
        uses.metrics
            .contains("meshborder:residency_denials:increase5m")
    );
    assert!(uses.labels.contains(CLUSTER_LABEL) && uses.labels.contains(label::RULE));
    let silent = rule(&fleet, "MeshborderClusterNotReporting").unwrap();
    let uses = promql::uses(&silent.expr).unwrap();
    assert!(
        uses.metrics
            .contains("meshborder:transfer_price_usd_per_gb"),
        "the price table, recorded at every evaluation, is each cluster's heartbeat"
    );
    assert!(uses.labels.contains(CLUSTER_LABEL));
    for alert in [denials, silent] {
        let annotations = alert.annotations.as_ref().unwrap();
        assert!(annotations.contains_key("summary") && annotations.contains_key("description"));
        assert!(alert.labels.as_ref().unwrap().contains_key("severity"));
    }
}

#[test]
fn the_fleet_dashboard_answers_the_fleet_questions_on_a_templated_data_source() {
    let dashboard = monitoring::fleet_dashboard().unwrap();
    assert_ne!(
        dashboard["uid"],
        monitoring::dashboard().unwrap()["uid"],
        "its own uid"
    );
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(
        variables
            .iter()
            .any(|v| v["name"] == "datasource" && v["query"] == "prometheus")
    );
    let panels = panels(&dashboard).unwrap();
    let mut cells = BTreeSet::new();
    for panel in &panels {
        assert_eq!(
            panel.json["datasource"]["uid"], "${datasource}",
            "panel `{}`",
            panel.title
        );
        let at = |key: &str| panel.json["gridPos"][key].as_u64().unwrap();
        let (x, y, w, h) = (at("x"), at("y"), at("w"), at("h"));
        assert!(
            x + w <= 24,
            "panel `{}` is wider than the grid",
            panel.title
        );
        for cell in (x..x + w).flat_map(|c| (y..y + h).map(move |r| (c, r))) {
            assert!(
                cells.insert(cell),
                "panel `{}` overlaps another",
                panel.title
            );
        }
    }
    let reads = |part: &str| -> Uses {
        let panel = monitoring::panel(&panels, part).unwrap();
        let mut all = Uses::default();
        for expr in &panel.exprs {
            let uses = promql::uses(expr).unwrap();
            all.metrics.extend(uses.metrics);
            all.labels.extend(uses.labels);
        }
        all
    };
    let bytes = reads("Cross-region bytes in the time range");
    assert!(
        bytes
            .metrics
            .contains("meshborder_fleet:region_pair_transfer_bytes:rate5m")
    );
    assert!(
        bytes.labels.contains(label::SOURCE_REGION)
            && bytes.labels.contains(label::DESTINATION_REGION)
    );
    let cost = reads("cost in the time range by cluster pair");
    assert!(
        cost.metrics
            .contains("meshborder_fleet:xcluster_transfer_usd_per_hour:rate5m")
    );
    assert!(
        cost.metrics
            .contains("meshborder_fleet:xcluster_tcp_transfer_usd_per_hour:rate5m")
    );
    assert!(
        cost.labels.contains(label::SOURCE_CLUSTER)
            && cost.labels.contains(label::DESTINATION_CLUSTER)
    );
    let denials = reads("Residency denials by cluster");
    assert!(denials.labels.contains(CLUSTER_LABEL) && denials.labels.contains(label::RULE));
    assert!(reads("Clusters reporting").labels.contains(CLUSTER_LABEL));
}
