//! A view of a `monitoring.coreos.com/v1` `PrometheusRule`: its rules.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A PrometheusRule.
#[derive(Debug, Deserialize)]
pub struct PrometheusRule {
    /// Its spec.
    pub spec: PrometheusRuleSpec,
}

/// The groups.
#[derive(Debug, Deserialize)]
pub struct PrometheusRuleSpec {
    /// Rule groups.
    pub groups: Vec<RuleGroup>,
}

/// One group.
#[derive(Debug, Deserialize)]
pub struct RuleGroup {
    /// Its name.
    pub name: String,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// One recording or alerting rule.
#[derive(Debug, Deserialize)]
pub struct Rule {
    /// The series it records.
    pub record: Option<String>,
    /// The alert it raises.
    pub alert: Option<String>,
    /// The PromQL.
    pub expr: String,
    /// Labels it adds.
    pub labels: Option<BTreeMap<String, String>>,
    /// Its annotations (an alert's summary and description).
    pub annotations: Option<BTreeMap<String, String>>,
}
