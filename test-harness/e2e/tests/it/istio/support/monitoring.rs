//! istio/monitoring/: the PrometheusRule and the Grafana dashboard, loaded; and the
//! global layer's (`global/`).

use std::collections::BTreeSet;

use serde_json::Value;

use super::Result;
use super::files;
use super::models::typed;
use super::promql;
use super::views::prometheus_rule::{PrometheusRule, Rule};

/// The PrometheusRule.
pub fn rules() -> Result<PrometheusRule> {
    let path = files::istio_dir().join("monitoring/prometheusrule.yaml");
    typed(&files::load_single_yaml(&path)?)
}

/// The global layer's PrometheusRule.
pub fn fleet_rules() -> Result<PrometheusRule> {
    let path = files::istio_dir().join("monitoring/global/prometheusrule.yaml");
    typed(&files::load_single_yaml(&path)?)
}

/// The global layer's dashboard JSON.
pub fn fleet_dashboard() -> Result<Value> {
    files::load_json(&files::istio_dir().join("monitoring/global/grafana-dashboard.json"))
}

/// Every rule of every group, in order.
pub fn all_rules(rules: &PrometheusRule) -> impl Iterator<Item = &Rule> {
    rules
        .spec
        .groups
        .iter()
        .flat_map(|group| group.rules.iter())
}

/// The rule recording `record`, or alerting as `alert`.
pub fn rule<'a>(rules: &'a PrometheusRule, name: &str) -> Result<&'a Rule> {
    all_rules(rules)
        .find(|rule| rule.record.as_deref() == Some(name) || rule.alert.as_deref() == Some(name))
        .ok_or_else(|| format!("no rule `{name}`"))
}

/// The dashboard JSON.
pub fn dashboard() -> Result<Value> {
    files::load_json(&files::istio_dir().join("monitoring/grafana-dashboard.json"))
}

/// One dashboard panel.
#[derive(Debug)]
pub struct Panel<'a> {
    /// Its title.
    pub title: String,
    /// The panel's JSON.
    pub json: &'a Value,
    /// The PromQL of its targets.
    pub exprs: Vec<String>,
}

/// Every panel of the dashboard.
pub fn panels(dashboard: &Value) -> Result<Vec<Panel<'_>>> {
    let panels = dashboard
        .get("panels")
        .and_then(Value::as_array)
        .ok_or("the dashboard has no panels")?;
    panels
        .iter()
        .map(|json| {
            let title = files::str_at(json, "/title").ok_or("a panel without a title")?;
            let exprs = json
                .get("targets")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("panel `{title}` has no targets"))?
                .iter()
                .map(|target| {
                    files::str_at(target, "/expr")
                        .map(str::to_owned)
                        .ok_or_else(|| format!("panel `{title}`: a target without `expr`"))
                })
                .collect::<Result<Vec<String>>>()?;
            Ok(Panel {
                title: title.to_owned(),
                json,
                exprs,
            })
        })
        .collect()
}

/// The one panel whose title contains `part`.
pub fn panel<'a, 'b>(panels: &'a [Panel<'b>], part: &str) -> Result<&'a Panel<'b>> {
    let mut found = panels.iter().filter(|panel| panel.title.contains(part));
    match (found.next(), found.next()) {
        (Some(panel), None) => Ok(panel),
        (None, _) => Err(format!("no panel titled …{part}…")),
        (Some(first), Some(second)) => Err(format!(
            "two panels titled …{part}…: `{}` and `{}`",
            first.title, second.title
        )),
    }
}

/// Every PromQL expression of `rules` and of `dashboard`'s panels, each with where it
/// is: `rule <name>` or ``panel `<title>` ``.
pub fn expressions(rules: &PrometheusRule, dashboard: &Value) -> Result<Vec<(String, String)>> {
    let mut expressions = all_rules(rules)
        .map(|rule| {
            let name = rule
                .record
                .clone()
                .or_else(|| rule.alert.clone())
                .ok_or("a rule that neither records nor alerts")?;
            Ok((format!("rule {name}"), rule.expr.clone()))
        })
        .collect::<Result<Vec<_>>>()?;
    for panel in panels(dashboard)? {
        let origin = format!("panel `{}`", panel.title);
        expressions.extend(panel.exprs.into_iter().map(|expr| (origin.clone(), expr)));
    }
    Ok(expressions)
}

/// Fails when a rule reads a series its own group records before the rule that
/// records it: rules of a group run in order, each seeing the ones before.
pub fn assert_recorded_before_read(rules: &PrometheusRule) {
    for group in &rules.spec.groups {
        let recorded_here: BTreeSet<&str> = group
            .rules
            .iter()
            .filter_map(|rule| rule.record.as_deref())
            .collect();
        let mut recorded_so_far = BTreeSet::new();
        for rule in &group.rules {
            let uses = promql::uses(&rule.expr).unwrap_or_else(|e| panic!("{}: {e}", rule.expr));
            for metric in uses.metrics {
                assert!(
                    !recorded_here.contains(metric.as_str()) || recorded_so_far.contains(&metric),
                    "group {}: `{metric}` is read before it is recorded",
                    group.name
                );
            }
            recorded_so_far.extend(rule.record.clone());
        }
    }
}
