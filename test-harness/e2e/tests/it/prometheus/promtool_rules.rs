//! promtool on the shipped rules: `promtool check rules` accepts the rule file
//! written from the PrometheusRule, and `promtool test rules` passes every unit
//! test shipped next to it.

use meshborder_e2e::paths;
use meshborder_e2e::prometheus_server::{PrometheusBinaries, promtool, rules};

#[test]
fn promtool_check_rules_accepts_every_shipped_rule() {
    let binaries = PrometheusBinaries::find().unwrap();
    let dir = paths::run_dir("promtool-check").unwrap();
    let rule_file = rules::write_rule_file(&dir).unwrap();
    let output = promtool::check_rules(&binaries, &rule_file).unwrap();
    let count = rules::all_rules().unwrap().len();
    assert!(
        output.contains(&format!("SUCCESS: {count} rules found")),
        "{}: {output}",
        binaries.promtool_version().unwrap()
    );
}

#[test]
fn promtool_test_rules_passes_every_shipped_unit_test() {
    let binaries = PrometheusBinaries::find().unwrap();
    let dir = paths::run_dir("promtool-test").unwrap();
    let tests = rules::stage_unit_tests(&dir).unwrap();
    assert!(tests.len() >= 2, "too few unit test files: {tests:?}");
    let output = promtool::test_rules(&binaries, &tests).unwrap();
    assert_eq!(
        output.matches("SUCCESS").count(),
        tests.len(),
        "{}: {output}",
        binaries.promtool_version().unwrap()
    );
}
