//! The alerts, recording rules and dashboard read only metrics the filter emits,
//! with their real labels, or series the recording rules record; and they hold
//! what the contract asks for: a residency-denial alert, an unknown-source spike
//! alert, a price table seeded with $0.02/GB cross-zone and $0.09/GB cross-region,
//! and a dashboard with the views it names, on a templated data source.

use meshborder_filter::contract::{label, metric};
use std::collections::BTreeSet;

use super::support::monitoring::{self, all_rules, panel, panels, rule};
use super::support::promql::{self, Uses};

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

    let mut expressions: Vec<(String, String)> = all_rules(&rules)
        .map(|rule| {
            let name = rule.record.clone().or_else(|| rule.alert.clone()).unwrap();
            (format!("rule {name}"), rule.expr.clone())
        })
        .collect();
    for panel in panels(&dashboard).unwrap() {
        let origin = format!("panel `{}`", panel.title);
        expressions.extend(panel.exprs.into_iter().map(|expr| (origin.clone(), expr)));
    }

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
    let uses = promql::uses(
        r#"sum by (source_regoin) (rate(meshborder_xcluster_byte_total{direction="request"}[5m]))"#,
    )
    .unwrap();
    assert!(uses.metrics.contains("meshborder_xcluster_byte_total"));
    assert!(uses.labels.contains("source_regoin") && uses.labels.contains("direction"));
    let uses = promql::uses(r#"label_replace(up, "copy", "$1", "source_regoin", "(.+)")"#).unwrap();
    assert!(
        uses.labels.contains("source_regoin"),
        "label_replace's source label is read"
    );
    assert!(uses.introduced.contains("copy"));
}

#[test]
fn a_recorded_series_is_recorded_before_a_rule_of_its_group_reads_it() {
    let rules = monitoring::rules().unwrap();
    for group in &rules.spec.groups {
        let recorded_here: BTreeSet<&str> = group
            .rules
            .iter()
            .filter_map(|rule| rule.record.as_deref())
            .collect();
        let mut recorded_so_far = BTreeSet::new();
        for rule in &group.rules {
            for metric in promql::uses(&rule.expr).unwrap().metrics {
                if recorded_here.contains(metric.as_str()) {
                    assert!(
                        recorded_so_far.contains(&metric),
                        "group {}: `{metric}` is read before it is recorded",
                        group.name
                    );
                }
            }
            if let Some(record) = &rule.record {
                recorded_so_far.insert(record.clone());
            }
        }
    }
}

#[test]
fn the_price_table_seeds_two_cents_cross_zone_and_nine_cents_cross_region() {
    let rules = monitoring::rules().unwrap();
    let prices: Vec<(String, String)> = all_rules(&rules)
        .filter(|rule| rule.record.as_deref() == Some("meshborder:transfer_price_usd_per_gb"))
        .map(|rule| {
            (
                rule.labels.as_ref().unwrap()["transfer"].clone(),
                rule.expr.trim().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        prices,
        [
            ("cross_zone".to_owned(), "vector(0.02)".to_owned()),
            ("cross_region".to_owned(), "vector(0.09)".to_owned()),
        ]
    );
    // The cost is bytes times the price of the pair's transfer kind.
    let cost = rule(&rules, "meshborder:xcluster_transfer_usd_per_hour:rate5m").unwrap();
    let uses = promql::uses(&cost.expr).unwrap();
    assert!(
        uses.metrics
            .contains("meshborder:transfer_price_usd_per_gb")
    );
    assert!(
        uses.metrics
            .contains("meshborder:xcluster_transfer_bytes:rate5m")
    );
    assert!(
        uses.labels.contains("transfer"),
        "the price is matched on the transfer kind"
    );
}

#[test]
fn alerts_watch_residency_denials_and_unknown_source_spikes() {
    let rules = monitoring::rules().unwrap();
    let denials = rule(&rules, "MeshborderResidencyDenials").unwrap();
    let uses = promql::uses(&denials.expr).unwrap();
    assert!(
        uses.metrics
            .contains("meshborder_residency_decisions_total")
    );
    assert!(
        denials.expr.contains(r#"decision="deny""#),
        "denials, not audits"
    );
    assert!(uses.labels.contains("rule"), "one alert per rule");

    let unknown = rule(&rules, "MeshborderUnknownSourceSpike").unwrap();
    let uses = promql::uses(&unknown.expr).unwrap();
    assert!(uses.metrics.contains("meshborder_unknown_source_total"));
    assert!(
        unknown.expr.contains("offset"),
        "a spike is measured against an earlier rate"
    );

    for alert in [denials, unknown] {
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

    let matrix = panel(&panels, "source × destination").unwrap();
    assert!(
        uses_of("source × destination")
            .metrics
            .contains("meshborder_xcluster_bytes_total")
    );
    let transformation = &matrix.json["transformations"][0];
    assert_eq!(transformation["id"], "groupingToMatrix");
    assert_eq!(transformation["options"]["rowField"], "source_cluster");
    assert_eq!(
        transformation["options"]["columnField"],
        "destination_cluster"
    );

    let cost = uses_of("cost per region pair");
    assert!(
        cost.metrics
            .contains("meshborder:xcluster_transfer_usd_per_hour:rate5m")
    );
    assert!(cost.labels.contains("source_region") && cost.labels.contains("destination_region"));

    let decisions = uses_of("Residency decisions by rule");
    assert!(
        decisions
            .metrics
            .contains("meshborder_residency_decisions_total")
    );
    assert!(decisions.labels.contains("rule"));

    assert!(
        uses_of("Unknown sources")
            .metrics
            .contains("meshborder_unknown_source_total")
    );
}
