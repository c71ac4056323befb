//! `istio/monitoring/`'s rules as Prometheus reads them, in two layers
//! ([`RuleLayer`]): each cluster's (`prometheusrule.yaml`) and the fleet's
//! (`global/prometheusrule.yaml`, over the series the first records). Each shipped
//! file is a PrometheusRule for the Prometheus Operator; its `spec`, the rule
//! groups, is a Prometheus rule file as it stands, so the rig writes it into a
//! run's directory (as [`RULE_FILE`], or [`FLEET_RULE_FILE`]) and nothing is
//! written twice. The promtool unit tests shipped next to it
//! (`tests/*.promtool.yaml`) name that file in their `rule_files`, which promtool
//! reads relative to the test file, so they are staged as copies next to the
//! written rule file.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml_ng::Value;

use crate::error::{HarnessError, Result};
use crate::paths;

/// The name of the written rule file, as the unit tests' `rule_files` name it.
pub const RULE_FILE: &str = "meshborder.rules.yaml";
/// The same for the fleet's rules.
pub const FLEET_RULE_FILE: &str = "meshborder-fleet.rules.yaml";
/// How the names of the promtool unit test files end: YAML for editors, but not
/// Kubernetes documents, so the checks of `istio/`'s documents leave them out.
pub const UNIT_TEST_SUFFIX: &str = ".promtool.yaml";

/// Which of the two shipped PrometheusRules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLayer {
    /// Each cluster's Prometheus, over its own proxies' counters.
    Cluster,
    /// The global Prometheus, over every cluster's recorded series.
    Fleet,
}

impl RuleLayer {
    /// Both layers.
    pub const ALL: [Self; 2] = [Self::Cluster, Self::Fleet];

    /// The directory of its PrometheusRule and of its `tests/`.
    pub fn dir(self) -> PathBuf {
        match self {
            Self::Cluster => monitoring_dir(),
            Self::Fleet => monitoring_dir().join("global"),
        }
    }

    /// Its PrometheusRule.
    pub fn resource(self) -> PathBuf {
        self.dir().join("prometheusrule.yaml")
    }

    /// The name of its written rule file, as its unit tests' `rule_files` name it.
    pub fn rule_file_name(self) -> &'static str {
        match self {
            Self::Cluster => RULE_FILE,
            Self::Fleet => FLEET_RULE_FILE,
        }
    }
}

/// One rule group of the shipped PrometheusRule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RuleGroup {
    /// Its name.
    pub name: String,
    /// Its rules, in order.
    pub rules: Vec<Rule>,
}

/// One recording or alerting rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rule {
    /// The series a recording rule records.
    pub record: Option<String>,
    /// The name of an alert.
    pub alert: Option<String>,
    /// Its PromQL.
    pub expr: String,
    /// How long an alert's condition must hold before it fires.
    #[serde(rename = "for")]
    pub for_duration: Option<String>,
    /// The labels it adds.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Rule {
    /// The series it records or the alert it raises.
    pub fn name(&self) -> &str {
        self.record
            .as_deref()
            .or(self.alert.as_deref())
            .unwrap_or_default()
    }
}

/// `istio/monitoring/`.
pub fn monitoring_dir() -> PathBuf {
    paths::workspace_root().join("istio/monitoring")
}

/// The shipped PrometheusRule of each cluster.
pub fn rule_resource() -> PathBuf {
    RuleLayer::Cluster.resource()
}

/// The shipped PrometheusRule's `spec`: the rule file's content.
pub fn rule_file_content() -> Result<Value> {
    layer_rule_file_content(RuleLayer::Cluster)
}

/// The `spec` of `layer`'s PrometheusRule.
pub fn layer_rule_file_content(layer: RuleLayer) -> Result<Value> {
    let path = layer.resource();
    let resource: Value = serde_yaml_ng::from_str(&read(&path)?)
        .map_err(|e| invalid(&path, &format!("not YAML: {e}")))?;
    resource
        .get("spec")
        .filter(|spec| spec.get("groups").is_some())
        .cloned()
        .ok_or_else(|| invalid(&path, "no `spec.groups`"))
}

/// The shipped rule groups of each cluster, typed.
pub fn rule_groups() -> Result<Vec<RuleGroup>> {
    layer_rule_groups(RuleLayer::Cluster)
}

/// The rule groups of `layer`, typed.
pub fn layer_rule_groups(layer: RuleLayer) -> Result<Vec<RuleGroup>> {
    #[derive(Deserialize)]
    struct RuleFile {
        groups: Vec<RuleGroup>,
    }
    let file: RuleFile = serde_yaml_ng::from_value(layer_rule_file_content(layer)?)
        .map_err(|e| invalid(&layer.resource(), &format!("`spec.groups`: {e}")))?;
    Ok(file.groups)
}

/// Every shipped rule of each cluster, group by group, in order.
pub fn all_rules() -> Result<Vec<Rule>> {
    layer_rules(RuleLayer::Cluster)
}

/// Every rule of `layer`, group by group, in order.
pub fn layer_rules(layer: RuleLayer) -> Result<Vec<Rule>> {
    Ok(layer_rule_groups(layer)?
        .into_iter()
        .flat_map(|group| group.rules)
        .collect())
}

/// Writes the rule file of each cluster into `dir` as [`RULE_FILE`] and returns
/// its path.
pub fn write_rule_file(dir: &Path) -> Result<PathBuf> {
    write_layer_rule_file(RuleLayer::Cluster, dir)
}

/// Writes the rule file of `layer` into `dir` under its name and returns its path.
pub fn write_layer_rule_file(layer: RuleLayer, dir: &Path) -> Result<PathBuf> {
    let resource = layer.resource();
    let text = serde_yaml_ng::to_string(&layer_rule_file_content(layer)?)
        .map_err(|e| invalid(&resource, &format!("writing `spec` as YAML: {e}")))?;
    let header = format!(
        "# The groups of {}, written by the test rig.\n",
        shown(&resource)
    );
    let path = dir.join(layer.rule_file_name());
    write(&path, &(header + &text))?;
    Ok(path)
}

/// The shipped promtool unit tests of each cluster's rules,
/// `istio/monitoring/tests/*.promtool.yaml`, sorted.
pub fn unit_test_files() -> Result<Vec<PathBuf>> {
    layer_unit_test_files(RuleLayer::Cluster)
}

/// The shipped promtool unit tests of `layer`'s rules, `<its dir>/tests/*.promtool.yaml`,
/// sorted.
pub fn layer_unit_test_files(layer: RuleLayer) -> Result<Vec<PathBuf>> {
    let dir = layer.dir().join("tests");
    let entries = fs::read_dir(&dir)
        .map_err(|e| HarnessError::io(format!("listing `{}`", shown(&dir)), e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| HarnessError::io(format!("listing `{}`", shown(&dir)), e))?
            .path();
        if path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(UNIT_TEST_SUFFIX))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Writes the rule file of each cluster and a copy of every shipped unit test of
/// it into `dir`, and returns the copies, ready for `promtool test rules`.
pub fn stage_unit_tests(dir: &Path) -> Result<Vec<PathBuf>> {
    stage_layer_unit_tests(RuleLayer::Cluster, dir)
}

/// The same for `layer`.
pub fn stage_layer_unit_tests(layer: RuleLayer, dir: &Path) -> Result<Vec<PathBuf>> {
    write_layer_rule_file(layer, dir)?;
    layer_unit_test_files(layer)?
        .iter()
        .map(|shipped| {
            let copy = dir.join(shipped.file_name().unwrap_or_default());
            fs::copy(shipped, &copy)
                .map_err(|e| HarnessError::io(format!("copying `{}`", shown(shipped)), e))?;
            Ok(copy)
        })
        .collect()
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| HarnessError::io(format!("reading `{}`", shown(path)), e))
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| HarnessError::io(format!("writing `{}`", path.display()), e))
}

fn invalid(path: &Path, reason: &str) -> HarnessError {
    HarnessError::Prometheus {
        reason: format!("`{}`: {reason}", shown(path)),
        output: String::new(),
    }
}

/// A path relative to the workspace root, for messages.
fn shown(path: &Path) -> String {
    path.strip_prefix(paths::workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_file_is_the_groups_of_the_shipped_prometheus_rule() {
        let groups = rule_groups().unwrap();
        assert!(!groups.is_empty());
        let dir = paths::run_dir("rule-file").unwrap();
        let written = write_rule_file(&dir).unwrap();
        let reread: Value = serde_yaml_ng::from_str(&read(&written).unwrap()).unwrap();
        assert_eq!(reread, rule_file_content().unwrap());
        assert!(
            all_rules()
                .unwrap()
                .iter()
                .all(|rule| !rule.name().is_empty())
        );
    }

    #[test]
    fn the_fleet_rule_file_is_the_groups_of_the_global_prometheus_rule() {
        let dir = paths::run_dir("fleet-rule-file").unwrap();
        let written = write_layer_rule_file(RuleLayer::Fleet, &dir).unwrap();
        assert!(written.ends_with(FLEET_RULE_FILE));
        let reread: Value = serde_yaml_ng::from_str(&read(&written).unwrap()).unwrap();
        assert_eq!(reread, layer_rule_file_content(RuleLayer::Fleet).unwrap());
        assert!(!layer_rules(RuleLayer::Fleet).unwrap().is_empty());
    }
}
