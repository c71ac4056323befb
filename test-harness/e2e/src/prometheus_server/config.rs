//! The server's configuration file: every Envoy of a run scraped on its admin API's
//! `/stats/prometheus`, as Istio's Prometheus scrapes a sidecar's, every second, and
//! the written rule file evaluated every second, and the external labels, if any,
//! that name the cluster of a Prometheus of the global layer ([`super::federation`]).
//! One-second intervals keep a live run short: a `rate()` needs two samples.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use serde_json::json;

use crate::error::{HarnessError, Result};

/// How often every target is scraped, and the rules evaluated.
pub const INTERVAL: &str = "1s";
/// The scrape job of the Envoys.
pub const JOB: &str = "envoy-stats";
/// Where Envoy's admin API serves its stats in Prometheus's text format.
pub const METRICS_PATH: &str = "/stats/prometheus";
/// The target label naming the Envoy a series comes from.
pub const PROXY_LABEL: &str = "proxy";

/// One Envoy to scrape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeTarget {
    /// Its name in the run (`eu-west`, `us-east`, …), the value of [`PROXY_LABEL`].
    pub name: String,
    /// Its admin API.
    pub admin: SocketAddr,
}

impl ScrapeTarget {
    /// The Envoy `name` whose admin API is at `admin`.
    pub fn new(name: &str, admin: SocketAddr) -> Self {
        Self {
            name: name.to_owned(),
            admin,
        }
    }
}

/// The configuration file's text: `targets` scraped, `rule_file` loaded.
pub fn render(targets: &[ScrapeTarget], rule_file: &Path) -> Result<String> {
    render_labelled(targets, rule_file, &BTreeMap::new())
}

/// Like [`render`], every series this Prometheus hands out (by federation or
/// remote_write) carrying `external_labels`.
pub fn render_labelled(
    targets: &[ScrapeTarget],
    rule_file: &Path,
    external_labels: &BTreeMap<String, String>,
) -> Result<String> {
    let static_configs: Vec<_> = targets
        .iter()
        .map(|target| {
            json!({
                "targets": [target.admin.to_string()],
                "labels": { PROXY_LABEL: target.name },
            })
        })
        .collect();
    let jobs = [json!({
        "job_name": JOB,
        "metrics_path": METRICS_PATH,
        "static_configs": static_configs,
    })];
    to_yaml(&configuration(&jobs, rule_file, external_labels))
}

/// A configuration of `jobs`, with `rule_file` and `external_labels`, every
/// interval [`INTERVAL`].
pub fn configuration(
    jobs: &[serde_json::Value],
    rule_file: &Path,
    external_labels: &BTreeMap<String, String>,
) -> serde_json::Value {
    let mut global = json!({
        "scrape_interval": INTERVAL,
        "scrape_timeout": INTERVAL,
        "evaluation_interval": INTERVAL,
    });
    if let (false, Some(global)) = (external_labels.is_empty(), global.as_object_mut()) {
        global.insert("external_labels".to_owned(), json!(external_labels));
    }
    json!({
        "global": global,
        "rule_files": [rule_file.display().to_string()],
        "scrape_configs": jobs,
    })
}

/// A configuration as the YAML Prometheus reads.
pub fn to_yaml(config: &serde_json::Value) -> Result<String> {
    serde_yaml_ng::to_string(config).map_err(|e| HarnessError::Prometheus {
        reason: format!("writing the configuration as YAML: {e}"),
        output: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::LOOPBACK;

    #[test]
    fn scrapes_each_envoy_admin_api_every_second_with_the_rule_file_loaded() {
        let targets = [ScrapeTarget::new(
            "eu-west",
            SocketAddr::new(LOOPBACK, 9902),
        )];
        let text = render(&targets, Path::new("run/meshborder.rules.yaml")).unwrap();
        let config: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(config["global"]["scrape_interval"], "1s");
        assert_eq!(config["global"]["evaluation_interval"], "1s");
        assert_eq!(config["rule_files"][0], "run/meshborder.rules.yaml");
        let job = &config["scrape_configs"][0];
        assert_eq!(job["metrics_path"], "/stats/prometheus");
        assert_eq!(job["static_configs"][0]["targets"][0], "127.0.0.1:9902");
        assert_eq!(job["static_configs"][0]["labels"]["proxy"], "eu-west");
        assert!(config["global"].get("external_labels").is_none());

        let labels = BTreeMap::from([("cluster".to_owned(), "eu-west".to_owned())]);
        let text = render_labelled(&targets, Path::new("r.yaml"), &labels).unwrap();
        let config: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(config["global"]["external_labels"]["cluster"], "eu-west");
    }
}
