//! The global layer's Prometheus configuration as `istio/monitoring/global/` ships
//! it: the external labels each cluster's Prometheus adds (`cluster.prometheus.yaml`)
//! and the global Prometheus's federation job (`federation.prometheus.yaml`). The
//! rig reads both from the shipped files, so a run federates with the shipped
//! `match[]` and labels: each cluster's Prometheus gets its own values of the
//! shipped external labels, and the global one the shipped job with only its
//! targets and interval changed (every second, for a run of seconds).

use std::collections::BTreeMap;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::config::{self, INTERVAL};
use super::rules;
use crate::error::{HarnessError, Result};

/// How the names of the shipped Prometheus configuration fragments end: YAML for
/// editors, but not Kubernetes documents, so the checks of `istio/`'s documents
/// leave them out (`promtool check config` checks them).
pub const PROMETHEUS_CONFIG_SUFFIX: &str = ".prometheus.yaml";
/// The global Prometheus's federation job.
pub const FEDERATION_CONFIG: &str = "federation.prometheus.yaml";
/// What each cluster's Prometheus adds: external labels, and remote_write.
pub const CLUSTER_CONFIG: &str = "cluster.prometheus.yaml";
/// The external label naming a cluster.
pub const CLUSTER_LABEL: &str = "cluster";
/// The external label naming its region.
pub const REGION_LABEL: &str = "region";

/// `istio/monitoring/global/`.
pub fn global_dir() -> PathBuf {
    rules::RuleLayer::Fleet.dir()
}

/// The shipped fragment `name` of `global/`, parsed.
pub fn shipped(name: &str) -> Result<Value> {
    let path = global_dir().join(name);
    let text = fs::read_to_string(&path)
        .map_err(|e| HarnessError::io(format!("reading `{}`", path.display()), e))?;
    serde_yaml_ng::from_str(&text).map_err(|e| invalid(name, &format!("not YAML: {e}")))
}

/// The shipped federation job: the one entry of `scrape_configs`.
pub fn federation_job() -> Result<Value> {
    let config = shipped(FEDERATION_CONFIG)?;
    match config
        .get("scrape_configs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([job]) => Ok(job.clone()),
        _ => Err(invalid(
            FEDERATION_CONFIG,
            "expected one job in `scrape_configs`",
        )),
    }
}

/// The names of the shipped external labels.
pub fn external_label_names() -> Result<Vec<String>> {
    let config = shipped(CLUSTER_CONFIG)?;
    let labels = config
        .get("global")
        .and_then(|global| global.get("external_labels"))
        .and_then(Value::as_object)
        .ok_or_else(|| invalid(CLUSTER_CONFIG, "no `global.external_labels`"))?;
    Ok(labels.keys().cloned().collect())
}

/// The shipped external labels with the values of `cluster` in `region`.
pub fn external_labels(cluster: &str, region: &str) -> Result<BTreeMap<String, String>> {
    external_label_names()?
        .into_iter()
        .map(|name| {
            let value = match name.as_str() {
                CLUSTER_LABEL => cluster,
                REGION_LABEL => region,
                other => {
                    let reason = format!("external label `{other}` has no value in the rig");
                    return Err(invalid(CLUSTER_CONFIG, &reason));
                }
            };
            Ok((name, value.to_owned()))
        })
        .collect()
}

/// The global Prometheus's configuration: the shipped federation job on
/// `clusters` (each cluster's name and its Prometheus server, a target labelled
/// with its cluster as the shipped ones are), every second, and `rule_file` loaded.
pub fn render_global(clusters: &[(&str, SocketAddr)], rule_file: &Path) -> Result<String> {
    let mut job = federation_job()?;
    let static_configs: Vec<Value> = clusters
        .iter()
        .map(|(cluster, addr)| {
            json!({ "targets": [addr.to_string()], "labels": { CLUSTER_LABEL: cluster } })
        })
        .collect();
    let fields = job
        .as_object_mut()
        .ok_or_else(|| invalid(FEDERATION_CONFIG, "the job is not a mapping"))?;
    fields.insert("static_configs".to_owned(), json!(static_configs));
    fields.insert("scrape_interval".to_owned(), json!(INTERVAL));
    fields.insert("scrape_timeout".to_owned(), json!(INTERVAL));
    config::to_yaml(&config::configuration(&[job], rule_file, &BTreeMap::new()))
}

fn invalid(name: &str, reason: &str) -> HarnessError {
    HarnessError::Prometheus {
        reason: format!("`istio/monitoring/global/{name}`: {reason}"),
        output: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::LOOPBACK;

    #[test]
    fn the_global_prometheus_federates_with_the_shipped_job_on_the_runs_clusters() {
        let clusters = [
            ("eu-west", SocketAddr::new(LOOPBACK, 9091)),
            ("us-east", SocketAddr::new(LOOPBACK, 9092)),
        ];
        let text = render_global(&clusters, Path::new("run/fleet.rules.yaml")).unwrap();
        let config: Value = serde_yaml_ng::from_str(&text).unwrap();
        let job = &config["scrape_configs"][0];
        let shipped = federation_job().unwrap();
        for field in ["job_name", "honor_labels", "metrics_path", "params"] {
            assert_eq!(job[field], shipped[field], "{field}");
        }
        assert_eq!(job["static_configs"][1]["targets"][0], "127.0.0.1:9092");
        assert_eq!(job["static_configs"][1]["labels"][CLUSTER_LABEL], "us-east");
        assert_eq!(job["scrape_interval"], INTERVAL);
        assert_eq!(config["rule_files"][0], "run/fleet.rules.yaml");
    }

    #[test]
    fn each_cluster_gets_its_own_values_of_the_shipped_external_labels() {
        let labels = external_labels("us-east", "us-east-1").unwrap();
        assert_eq!(labels[CLUSTER_LABEL], "us-east");
        assert_eq!(labels[REGION_LABEL], "us-east-1");
    }
}
