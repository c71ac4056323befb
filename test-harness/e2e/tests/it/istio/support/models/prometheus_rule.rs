//! `monitoring.coreos.com/v1` `PrometheusRule`, from the Prometheus Operator's
//! `pkg/apis/monitoring/v1/prometheusrule_types.go`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::k8s::ObjectMeta;

/// A PrometheusRule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusRule {
    /// `monitoring.coreos.com/v1`.
    pub api_version: String,
    /// `PrometheusRule`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: PrometheusRuleSpec,
}

/// `spec` of a PrometheusRule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusRuleSpec {
    /// Rule groups.
    pub groups: Vec<RuleGroup>,
}

/// A rule group: its rules run in order, at one interval.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleGroup {
    /// Name.
    pub name: String,
    /// Labels added to every rule's output.
    pub labels: Option<BTreeMap<String, String>>,
    /// Evaluation interval.
    pub interval: Option<String>,
    /// Query offset.
    pub query_offset: Option<String>,
    /// The rules.
    pub rules: Vec<Rule>,
    /// Thanos partial response strategy.
    pub partial_response_strategy: Option<String>,
    /// Series limit.
    pub limit: Option<u32>,
}

/// An alerting or recording rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Recorded series name.
    pub record: Option<String>,
    /// Alert name.
    pub alert: Option<String>,
    /// PromQL.
    pub expr: String,
    /// How long the alert condition holds before firing.
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// How long an alert keeps firing after the condition clears.
    pub keep_firing_for: Option<String>,
    /// Labels added to the output.
    pub labels: Option<BTreeMap<String, String>>,
    /// Alert annotations.
    pub annotations: Option<BTreeMap<String, String>>,
}
