//! The promtool unit tests cover the whole of both rule files, each cluster's and
//! the fleet's (`global/`): every recording rule (each row of the price table and
//! each kind of transfer on its own) has an expected sample with its series name
//! and its labels, and every alert is tested both firing and silent; every test
//! file loads the rule file the rig writes for its layer. A rule added without a
//! unit test fails here.

use std::collections::BTreeMap;
use std::path::Path;

use meshborder_e2e::prometheus_server::rules::{self, Rule, RuleLayer};
use promql_parser::parser::{self, Expr};
use serde::Deserialize;

/// A promtool unit test file, as far as coverage goes.
#[derive(Debug, Deserialize)]
struct UnitTestFile {
    rule_files: Vec<String>,
    tests: Vec<TestGroup>,
}

#[derive(Debug, Deserialize)]
struct TestGroup {
    #[serde(default)]
    promql_expr_test: Vec<ExprTest>,
    #[serde(default)]
    alert_rule_test: Vec<AlertTest>,
}

#[derive(Debug, Deserialize)]
struct ExprTest {
    #[serde(default)]
    exp_samples: Vec<ExpectedSample>,
}

#[derive(Debug, Deserialize)]
struct ExpectedSample {
    labels: String,
}

#[derive(Debug, Deserialize)]
struct AlertTest {
    alertname: String,
    #[serde(default)]
    exp_alerts: Vec<serde_yaml_ng::Value>,
}

/// A series an expected sample names: its metric name and labels.
type Named = (String, BTreeMap<String, String>);

fn load(path: &Path) -> UnitTestFile {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("`{}`: {e}", path.display()))
}

/// `name{label="value",…}` of an expected sample, parsed as PromQL.
fn series(text: &str) -> Named {
    let Ok(Expr::VectorSelector(selector)) = parser::parse(text) else {
        panic!("expected sample `{text}` is not a series");
    };
    let labels = selector
        .matchers
        .matchers
        .iter()
        .map(|matcher| (matcher.name.clone(), matcher.value.clone()))
        .collect();
    (selector.name.unwrap_or_default(), labels)
}

fn recorded_by(rule: &Rule, expected: &[Named]) -> bool {
    expected.iter().any(|(name, labels)| {
        Some(name.as_str()) == rule.record.as_deref()
            && rule
                .labels
                .iter()
                .all(|(label, value)| labels.get(label) == Some(value))
    })
}

#[test]
fn every_recording_rule_and_alert_has_a_promtool_unit_test() {
    for layer in RuleLayer::ALL {
        assert_layer_is_covered(layer);
    }
}

fn assert_layer_is_covered(layer: RuleLayer) {
    let files = rules::layer_unit_test_files(layer).unwrap();
    assert!(!files.is_empty(), "no promtool unit tests of {layer:?}");
    let mut expected: Vec<Named> = Vec::new();
    let mut alert_cases: Vec<(String, bool)> = Vec::new();
    for path in &files {
        let file = load(path);
        assert_eq!(
            file.rule_files,
            [layer.rule_file_name()],
            "`{}`",
            path.display()
        );
        for group in file.tests {
            for test in group.promql_expr_test {
                expected.extend(test.exp_samples.iter().map(|sample| series(&sample.labels)));
            }
            for test in group.alert_rule_test {
                alert_cases.push((test.alertname, !test.exp_alerts.is_empty()));
            }
        }
    }

    let shipped = rules::layer_rules(layer).unwrap();
    let untested: Vec<String> = shipped
        .iter()
        .filter(|rule| rule.record.is_some() && !recorded_by(rule, &expected))
        .map(|rule| format!("{} {:?}", rule.name(), rule.labels))
        .collect();
    assert!(
        untested.is_empty(),
        "recording rules without an expected sample: {untested:?}"
    );

    for alert in shipped.iter().filter_map(|rule| rule.alert.as_deref()) {
        for firing in [true, false] {
            assert!(
                alert_cases.contains(&(alert.to_owned(), firing)),
                "no unit test of `{alert}` {}",
                if firing { "firing" } else { "staying silent" }
            );
        }
    }
    let alerts: Vec<&str> = shipped
        .iter()
        .filter_map(|rule| rule.alert.as_deref())
        .collect();
    for (name, _) in &alert_cases {
        assert!(
            alerts.contains(&name.as_str()),
            "a unit test of an alert that is not shipped: `{name}`"
        );
    }
}
