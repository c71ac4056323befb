//! The alerts, recording rules and dashboard read only metrics the filter emits,
//! with their real labels, or series the recording rules record; and they hold
//! what the contract asks for: a residency-denial alert, an unknown-source spike
//! alert, a tag-mismatch alert, a price table seeded with $0.01/GB each way
//! cross-zone and $0.09/GB cross-region, the cost of cross-cluster HTTP and TCP
//! traffic (TCP priced by the very rules HTTP is) and of cross-zone traffic, and a
//! dashboard with the views it names, on a templated data source, its panels side
//! by side without overlapping.

use meshborder_filter::contract::metric::{
    RESIDENCY_DECISIONS, TAG_MISMATCH, UNKNOWN_SOURCE, XCLUSTER_BYTES, XCLUSTER_REQUESTS,
    XCLUSTER_TCP_BYTES, XCLUSTER_TCP_CONNECTIONS, XZONE_BYTES, XZONE_REQUESTS,
};
use meshborder_filter::contract::{label, metric, value};
use std::collections::BTreeSet;

use super::support::monitoring::{self, all_rules, panel, panels, rule};
use super::support::promql::{self, Uses};
use super::support::views::prometheus_rule::PrometheusRule;

#[test]
fn every_expression_reads_only_what_the_filter_emits_or_the_rules_record() {
    let rules = monitoring::rules().unwrap();
    let dashboard = monitoring::dashboard().unwrap();
    let recorded: BTreeSet<String> = all_rules(&rules)
        .filter_map(|rule| rule.record.clone())
        .collect();
    let rule_labels: BTreeSet<String> = all_rules(&rules)
        .filter(|rule| rule.record.is_some())
        .flat_map(|rule| rule.labels.iter().flatten().map(|(label, _)| label.clone()))
        .collect();
    let metrics: BTreeSet<String> = metric::ALL
        .iter()
        .map(|metric| metric.prometheus.to_owned())
        .collect();
    let labels: BTreeSet<String> = label::ALL.into_iter().map(str::to_owned).collect();

    let expressions = monitoring::expressions(&rules, &dashboard).unwrap();

    let mut watched = BTreeSet::new();
    for (origin, expr) in &expressions {
        let Uses {
            metrics: read,
            labels: used,
            introduced,
        } = promql::uses(expr).unwrap_or_else(|e| panic!("{origin}: {e}"));
        for metric in &read {
            assert!(
                metrics.contains(metric) || recorded.contains(metric),
                "{origin} reads `{metric}`, which the filter does not emit and no rule records"
            );
            if metrics.contains(metric) {
                watched.insert(metric.clone());
            }
        }
        for label in &used {
            assert!(
                labels.contains(label) || rule_labels.contains(label) || introduced.contains(label),
                "{origin} uses the label `{label}`, which no metric or rule has"
            );
        }
    }
    assert_eq!(
        watched, metrics,
        "every counter of the contract is watched by something"
    );
}

#[test]
fn a_misspelt_metric_or_label_is_caught_by_the_expression_check() {
    let metric_typo = XCLUSTER_BYTES.prometheus.replace("bytes", "byte");
    let label_typo = label::SOURCE_REGION.replace("region", "regoin");
    let expr = format!(
        r#"sum by ({label_typo}) (rate({metric_typo}{{{}="{}"}}[5m]))"#,
        label::DIRECTION,
        value::REQUEST
    );
    let uses = promql::uses(&expr).unwrap();
    assert!(uses.metrics.contains(&metric_typo));
    assert!(uses.labels.contains(&label_typo) && uses.labels.contains(label::DIRECTION));
    let uses = promql::uses(&format!(
        r#"label_replace(up, "copy", "$1", "{label_typo}", "(.+)")"#
    ))
    .unwrap();
    assert!(
        uses.labels.contains(&label_typo),
        "label_replace's source label is read"
    );
    assert!(uses.introduced.contains("copy"));
}

#[test]
fn a_recorded_series_is_recorded_before_a_rule_of_its_group_reads_it() {
    monitoring::assert_recorded_before_read(&monitoring::rules().unwrap());
}

/// The series a cost rule multiplies by: the price of each kind of transfer, every
/// billed side summed.
fn reads_the_summed_price(expr: &str) -> bool {
    let uses = promql::uses(expr).unwrap();
    uses.metrics
        .contains("meshborder:transfer_price_usd_per_gb")
        && uses.labels.contains("transfer")
        && expr.contains("sum by (transfer) (meshborder:transfer_price_usd_per_gb)")
}

#[test]
fn the_price_table_seeds_a_cent_each_way_cross_zone_and_nine_cents_cross_region() {
    let rules = monitoring::rules().unwrap();
    let prices: Vec<(String, String, String)> = all_rules(&rules)
        .filter(|rule| rule.record.as_deref() == Some("meshborder:transfer_price_usd_per_gb"))
        .map(|rule| {
            let labels = rule.labels.as_ref().unwrap();
            (
                labels["transfer"].clone(),
                labels["billed"].clone(),
                rule.expr.trim().to_owned(),
            )
        })
        .collect();
    let row = |transfer: &str, billed: &str, expr: &str| {
        (transfer.to_owned(), billed.to_owned(), expr.to_owned())
    };
    assert_eq!(
        prices,
        [
            row("cross_zone", "out", "vector(0.01)"),
            row("cross_zone", "in", "vector(0.01)"),
            row("cross_region", "out", "vector(0.09)"),
        ]
    );
    // The cost is bytes times the price of the pair's transfer kind, every side.
    let cost = rule(&rules, "meshborder:xcluster_transfer_usd_per_hour:rate5m").unwrap();
    assert!(reads_the_summed_price(&cost.expr), "{}", cost.expr);
    assert!(
        promql::uses(&cost.expr)
            .unwrap()
            .metrics
            .contains("meshborder:xcluster_transfer_bytes:rate5m")
    );
}

#[test]
fn cross_zone_bytes_are_recorded_by_zone_pair_and_priced_as_cross_zone() {
    let rules = monitoring::rules().unwrap();
    let bytes = rule(&rules, "meshborder:xzone_bytes:rate5m").unwrap();
    let uses = promql::uses(&bytes.expr).unwrap();
    assert_eq!(
        uses.metrics,
        BTreeSet::from([XZONE_BYTES.prometheus.to_owned()])
    );
    assert_eq!(
        uses.labels,
        BTreeSet::from([
            label::SOURCE_ZONE.to_owned(),
            label::DESTINATION_ZONE.to_owned()
        ]),
        "by zone pair, both directions together"
    );
    assert_eq!(bytes.labels.as_ref().unwrap()["transfer"], "cross_zone");

    let cost = rule(&rules, "meshborder:xzone_transfer_usd_per_hour:rate5m").unwrap();
    assert!(reads_the_summed_price(&cost.expr), "{}", cost.expr);
    assert!(
        promql::uses(&cost.expr)
            .unwrap()
            .metrics
            .contains("meshborder:xzone_bytes:rate5m")
    );
}

/// A recording rule as the comparison below reads it: the series, its labels and
/// its expression.
type Recorded = (String, Vec<(String, String)>, String);

/// The recording rules of cross-cluster traffic whose series start with `prefix`,
/// in order.
fn cross_cluster_rules(rules: &PrometheusRule, prefix: &str) -> Vec<Recorded> {
    all_rules(rules)
        .filter_map(|rule| {
            let record = rule.record.as_deref()?;
            let rest = record.strip_prefix(prefix)?;
            // The HTTP prefix `meshborder:xcluster_` also starts the TCP series.
            (!rest.starts_with("tcp_")).then(|| {
                let labels = rule.labels.iter().flatten();
                (
                    record.to_owned(),
                    labels.map(|(k, v)| (k.clone(), v.clone())).collect(),
                    rule.expr.clone(),
                )
            })
        })
        .collect()
}

#[test]
fn cross_cluster_tcp_bytes_are_recorded_and_priced_by_the_rules_that_price_http() {
    let rules = monitoring::rules().unwrap();
    let http = cross_cluster_rules(&rules, "meshborder:xcluster_");
    let tcp = cross_cluster_rules(&rules, "meshborder:xcluster_tcp_");
    assert_eq!(
        http.len(),
        4,
        "bytes, two kinds of transfer, cost: {http:#?}"
    );
    // The HTTP chain with the TCP counter and the TCP series in place of the HTTP
    // ones, and nothing else changed: same pairs, same classification, same prices.
    let to_tcp = |text: &str| {
        text.replace(XCLUSTER_BYTES.prometheus, XCLUSTER_TCP_BYTES.prometheus)
            .replace("meshborder:xcluster_", "meshborder:xcluster_tcp_")
    };
    let expected: Vec<Recorded> = http
        .iter()
        .map(|(record, labels, expr)| (to_tcp(record), labels.clone(), to_tcp(expr)))
        .collect();
    assert_eq!(tcp, expected);

    let bytes = rule(&rules, "meshborder:xcluster_tcp_bytes:rate5m").unwrap();
    let uses = promql::uses(&bytes.expr).unwrap();
    assert_eq!(
        uses.metrics,
        BTreeSet::from([XCLUSTER_TCP_BYTES.prometheus.to_owned()])
    );
    assert!(
        !uses.labels.contains(label::DIRECTION),
        "both directions together: {}",
        bytes.expr
    );
    let cost = rule(
        &rules,
        "meshborder:xcluster_tcp_transfer_usd_per_hour:rate5m",
    )
    .unwrap();
    assert!(reads_the_summed_price(&cost.expr), "{}", cost.expr);
    assert!(
        promql::uses(&cost.expr)
            .unwrap()
            .metrics
            .contains("meshborder:xcluster_tcp_transfer_bytes:rate5m")
    );
}

#[test]
fn alerts_watch_residency_denials_unknown_source_spikes_and_tag_mismatches() {
    let rules = monitoring::rules().unwrap();
    let denials = rule(&rules, "MeshborderResidencyDenials").unwrap();
    let uses = promql::uses(&denials.expr).unwrap();
    assert!(uses.metrics.contains(RESIDENCY_DECISIONS.prometheus));
    assert!(
        denials
            .expr
            .contains(&format!(r#"{}="{}""#, label::DECISION, value::DENY)),
        "denials, not audits"
    );
    assert!(uses.labels.contains(label::RULE), "one alert per rule");

    let unknown = rule(&rules, "MeshborderUnknownSourceSpike").unwrap();
    let uses = promql::uses(&unknown.expr).unwrap();
    assert!(uses.metrics.contains(UNKNOWN_SOURCE.prometheus));
    assert!(
        unknown.expr.contains("offset"),
        "a spike is measured against an earlier rate"
    );

    let mismatch = rule(&rules, "MeshborderTagMismatch").unwrap();
    let uses = promql::uses(&mismatch.expr).unwrap();
    assert!(uses.metrics.contains(TAG_MISMATCH.prometheus));
    assert!(
        uses.labels.contains(label::SOURCE_CLUSTER),
        "one alert per certificate cluster"
    );

    for alert in [denials, unknown, mismatch] {
        let annotations = alert.annotations.as_ref().unwrap();
        assert!(annotations.contains_key("summary") && annotations.contains_key("description"));
        assert!(alert.labels.as_ref().unwrap().contains_key("severity"));
    }
}

#[test]
fn the_dashboard_shows_its_views_on_a_templated_data_source() {
    let dashboard = monitoring::dashboard().unwrap();
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(
        variables
            .iter()
            .any(|variable| variable["name"] == "datasource"
                && variable["type"] == "datasource"
                && variable["query"] == "prometheus"),
        "no Prometheus data source variable"
    );
    let panels = panels(&dashboard).unwrap();
    for panel in &panels {
        assert_eq!(
            panel.json["datasource"]["uid"], "${datasource}",
            "panel `{}`",
            panel.title
        );
        for target in panel.json["targets"].as_array().unwrap() {
            assert_eq!(
                target["datasource"]["uid"], "${datasource}",
                "panel `{}`",
                panel.title
            );
        }
    }
    let uses_of = |title: &str| -> Uses {
        let mut all = Uses::default();
        for expr in &panel(&panels, title).unwrap().exprs {
            let uses = promql::uses(expr).unwrap();
            all.metrics.extend(uses.metrics);
            all.labels.extend(uses.labels);
        }
        all
    };
    let matrix_of = |title: &str, read: metric::Metric, rows: &str, columns: &str| {
        assert!(uses_of(title).metrics.contains(read.prometheus), "{title}");
        let transformation = &panel(&panels, title).unwrap().json["transformations"][0];
        assert_eq!(transformation["id"], "groupingToMatrix", "{title}");
        assert_eq!(transformation["options"]["rowField"], rows, "{title}");
        assert_eq!(transformation["options"]["columnField"], columns, "{title}");
    };

    matrix_of(
        "Cross-cluster bytes: source × destination",
        XCLUSTER_BYTES,
        label::SOURCE_CLUSTER,
        label::DESTINATION_CLUSTER,
    );
    matrix_of(
        "Cross-zone bytes: source × destination",
        XZONE_BYTES,
        label::SOURCE_ZONE,
        label::DESTINATION_ZONE,
    );
    matrix_of(
        "Cross-cluster TCP bytes: source × destination",
        XCLUSTER_TCP_BYTES,
        label::SOURCE_CLUSTER,
        label::DESTINATION_CLUSTER,
    );

    let cost = uses_of("Transfer cost per region pair");
    assert!(
        cost.metrics
            .contains("meshborder:xcluster_transfer_usd_per_hour:rate5m")
    );
    assert!(
        cost.labels.contains(label::SOURCE_REGION)
            && cost.labels.contains(label::DESTINATION_REGION)
    );
    let tcp_cost = uses_of("TCP transfer cost per region pair");
    assert!(
        tcp_cost
            .metrics
            .contains("meshborder:xcluster_tcp_transfer_usd_per_hour:rate5m")
    );
    assert!(
        tcp_cost.labels.contains(label::SOURCE_REGION)
            && tcp_cost.labels.contains(label::DESTINATION_REGION)
    );
    let zone_cost = uses_of("cost per zone pair");
    assert!(
        zone_cost
            .metrics
            .contains("meshborder:xzone_transfer_usd_per_hour:rate5m")
    );
    assert!(
        zone_cost.labels.contains(label::SOURCE_ZONE)
            && zone_cost.labels.contains(label::DESTINATION_ZONE)
    );
    for (title, recorded) in [
        (
            "Projected monthly cross-cluster cost",
            "meshborder:xcluster_transfer_usd_per_hour:rate5m",
        ),
        (
            "Projected monthly cross-zone cost",
            "meshborder:xzone_transfer_usd_per_hour:rate5m",
        ),
        (
            "Projected monthly cross-cluster TCP cost",
            "meshborder:xcluster_tcp_transfer_usd_per_hour:rate5m",
        ),
    ] {
        assert!(uses_of(title).metrics.contains(recorded), "{title}");
    }

    let decisions = uses_of("Residency decisions by rule");
    assert!(decisions.metrics.contains(RESIDENCY_DECISIONS.prometheus));
    assert!(decisions.labels.contains(label::RULE));

    assert!(
        uses_of("Unknown sources")
            .metrics
            .contains(UNKNOWN_SOURCE.prometheus)
    );
    let mismatches = uses_of("Tag mismatches");
    assert!(mismatches.metrics.contains(TAG_MISMATCH.prometheus));
    assert!(mismatches.labels.contains(label::SOURCE_CLUSTER));
    assert!(
        uses_of("Cross-cluster requests")
            .metrics
            .contains(XCLUSTER_REQUESTS.prometheus)
    );
    assert!(
        uses_of("Cross-zone requests")
            .metrics
            .contains(XZONE_REQUESTS.prometheus)
    );
    let connections = uses_of("Cross-cluster TCP connections");
    assert!(
        connections
            .metrics
            .contains(XCLUSTER_TCP_CONNECTIONS.prometheus)
    );
    assert!(
        connections.labels.contains(label::SOURCE_CLUSTER)
            && connections.labels.contains(label::DESTINATION_CLUSTER)
    );
}

#[test]
fn the_dashboards_panels_sit_side_by_side_without_overlapping() {
    let dashboard = monitoring::dashboard().unwrap();
    let panels = panels(&dashboard).unwrap();
    let cells = |panel: &monitoring::Panel<'_>| -> BTreeSet<(u64, u64)> {
        let at = |key: &str| panel.json["gridPos"][key].as_u64().unwrap();
        let (x, y, w, h) = (at("x"), at("y"), at("w"), at("h"));
        assert!(
            x + w <= 24,
            "panel `{}` is wider than the grid",
            panel.title
        );
        (x..x + w)
            .flat_map(|column| (y..y + h).map(move |row| (column, row)))
            .collect()
    };
    let mut taken: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for panel in &panels {
        assert!(
            ids.insert(panel.json["id"].as_u64().unwrap()),
            "two panels with the id of `{}`",
            panel.title
        );
        let mine = cells(panel);
        assert!(
            taken.is_disjoint(&mine),
            "panel `{}` overlaps another",
            panel.title
        );
        taken.extend(mine);
    }
}
