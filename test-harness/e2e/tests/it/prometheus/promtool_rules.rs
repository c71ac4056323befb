//! promtool on the shipped rules, each cluster's and the fleet's: `promtool check
//! rules` accepts the rule file written from each PrometheusRule, and `promtool
//! test rules` passes every unit test shipped next to it.

use meshborder_e2e::paths;
use meshborder_e2e::prometheus_server::rules::{self, RuleLayer};
use meshborder_e2e::prometheus_server::{PrometheusBinaries, promtool};

/// A run directory's name for `layer`.
fn label(what: &str, layer: RuleLayer) -> String {
    format!("{what}-{}", format!("{layer:?}").to_lowercase())
}

#[test]
fn promtool_check_rules_accepts_every_shipped_rule() {
    let binaries = PrometheusBinaries::find().unwrap();
    for layer in RuleLayer::ALL {
        let dir = paths::run_dir(&label("promtool-check", layer)).unwrap();
        let rule_file = rules::write_layer_rule_file(layer, &dir).unwrap();
        let output = promtool::check_rules(&binaries, &rule_file).unwrap();
        let count = rules::layer_rules(layer).unwrap().len();
        assert!(
            output.contains(&format!("SUCCESS: {count} rules found")),
            "{layer:?}, {}: {output}",
            binaries.promtool_version().unwrap()
        );
    }
}

#[test]
fn promtool_test_rules_passes_every_shipped_unit_test() {
    let binaries = PrometheusBinaries::find().unwrap();
    for (layer, at_least) in [(RuleLayer::Cluster, 2), (RuleLayer::Fleet, 1)] {
        let dir = paths::run_dir(&label("promtool-test", layer)).unwrap();
        let tests = rules::stage_layer_unit_tests(layer, &dir).unwrap();
        assert!(
            tests.len() >= at_least,
            "too few unit test files: {tests:?}"
        );
        let output = promtool::test_rules(&binaries, &tests).unwrap();
        assert_eq!(
            output.matches("SUCCESS").count(),
            tests.len(),
            "{layer:?}, {}: {output}",
            binaries.promtool_version().unwrap()
        );
    }
}
