//! The global layer's Prometheus configuration fragments
//! (`istio/monitoring/global/*.prometheus.yaml`): promtool accepts each; the
//! federation job honours the clusters' labels and asks `/federate` for exactly
//! the series each cluster's rules record, none of the filter's raw counters, and
//! remote_write's relabelling keeps the same ones; every federation target names
//! its cluster, which the stale-cluster alert reads from `up` of that job; and the
//! external labels are the ones the fleet's rules group by.

use meshborder_e2e::prometheus_server::federation::{
    self, CLUSTER_CONFIG, CLUSTER_LABEL, FEDERATION_CONFIG, REGION_LABEL,
};
use meshborder_e2e::prometheus_server::rules::{self, RuleLayer};
use meshborder_e2e::prometheus_server::{PrometheusBinaries, promtool};
use meshborder_filter::contract::metric;
use promql_parser::label::Matcher;
use promql_parser::parser::{self, Expr};
use serde_json::Value;

/// The `__name__` matcher of the federation job's one `match[]` selector.
fn federated_names() -> Matcher {
    let job = federation::federation_job().unwrap();
    let selectors = job["params"]["match[]"].as_array().unwrap();
    assert_eq!(selectors.len(), 1, "one `match[]` selector: {selectors:?}");
    let text = selectors[0].as_str().unwrap();
    let Ok(Expr::VectorSelector(selector)) = parser::parse(text) else {
        panic!("`match[]` `{text}` is not a series selector");
    };
    assert!(
        selector.name.is_none(),
        "`{text}` selects by a `__name__` matcher"
    );
    let mut matchers = selector.matchers.matchers.into_iter();
    match (matchers.next(), matchers.next()) {
        (Some(matcher), None) if matcher.name == "__name__" => matcher,
        _ => panic!("`{text}` has one matcher, on `__name__`"),
    }
}

#[test]
fn promtool_check_config_accepts_both_global_fragments() {
    let binaries = PrometheusBinaries::find().unwrap();
    for name in [FEDERATION_CONFIG, CLUSTER_CONFIG] {
        let path = federation::global_dir().join(name);
        let output = promtool::check_config(&binaries, &path).unwrap();
        assert!(output.contains("SUCCESS"), "`{name}`: {output}");
    }
}

#[test]
fn federation_and_remote_write_carry_every_recorded_series_and_no_raw_counter() {
    let job = federation::federation_job().unwrap();
    assert_eq!(
        job["honor_labels"], true,
        "the clusters' external labels are kept"
    );
    assert_eq!(job["metrics_path"], "/federate");
    let names = federated_names();
    let recorded: Vec<String> = rules::layer_rules(RuleLayer::Cluster)
        .unwrap()
        .into_iter()
        .filter_map(|rule| rule.record)
        .collect();
    for name in &recorded {
        assert!(
            names.is_match(name),
            "`{name}` is recorded but not federated"
        );
    }
    for counter in metric::ALL {
        assert!(
            !names.is_match(counter.prometheus),
            "the raw counter `{}` is federated",
            counter.prometheus
        );
    }
    for rule in rules::layer_rules(RuleLayer::Fleet).unwrap() {
        assert!(
            !names.is_match(rule.name()),
            "the fleet's `{}` would be federated back into itself",
            rule.name()
        );
    }

    let cluster = federation::shipped(CLUSTER_CONFIG).unwrap();
    let writes = cluster["remote_write"].as_array().unwrap();
    assert!(!writes.is_empty(), "no remote_write");
    for write in writes {
        let relabel = write["write_relabel_configs"].as_array().unwrap();
        assert_eq!(relabel.len(), 1, "one relabelling: {relabel:?}");
        assert_eq!(relabel[0]["action"], "keep");
        assert_eq!(relabel[0]["source_labels"], serde_json::json!(["__name__"]));
        assert_eq!(
            relabel[0]["regex"].as_str(),
            Some(names.value.as_str()),
            "remote_write keeps what federation pulls"
        );
    }
}

#[test]
fn every_federation_target_names_its_cluster_and_the_stale_cluster_alert_reads_that_job() {
    let job = federation::federation_job().unwrap();
    let configs = job["static_configs"].as_array().unwrap();
    assert!(configs.len() >= 2, "a target per cluster: {configs:?}");
    for config in configs {
        assert!(
            config["labels"][CLUSTER_LABEL]
                .as_str()
                .is_some_and(|c| !c.is_empty()),
            "a federation target without a `{CLUSTER_LABEL}` label: {config}"
        );
    }
    let name = job["job_name"].as_str().unwrap();
    let alert = rules::layer_rules(RuleLayer::Fleet)
        .unwrap()
        .into_iter()
        .find(|rule| rule.name() == "MeshborderClusterNotReporting")
        .unwrap();
    assert!(
        alert.expr.contains(&format!("up{{job={name:?}}}")),
        "the alert reads `up` of `{name}`: {}",
        alert.expr
    );
    assert_eq!(
        federation::external_label_names().unwrap(),
        [CLUSTER_LABEL, REGION_LABEL],
        "the external labels"
    );
    let cluster: Value = federation::shipped(CLUSTER_CONFIG).unwrap();
    assert!(
        cluster.get("scrape_configs").is_none(),
        "only what a cluster adds"
    );
}
