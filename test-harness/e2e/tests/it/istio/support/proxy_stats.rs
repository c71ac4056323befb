//! The proxy side of metrics: which stats a proxy keeps (Istio's
//! `proxyStatsMatcher`, mesh-wide or per pod) and what `/stats/prometheus` shows.

use std::collections::{BTreeMap, BTreeSet};

use super::Result;
use super::files::{self, shown};
use super::models::k8s::{DeploymentPatch, ProxyConfig, ProxyStatsMatcher};
use super::models::{self, Resource, typed};

/// The proxyStatsMatcher of istio/metrics/meshconfig-proxy-stats.yaml.
pub fn mesh_config_matcher() -> Result<ProxyStatsMatcher> {
    let path = files::istio_dir().join("metrics/meshconfig-proxy-stats.yaml");
    match models::check_document(&files::load_single_yaml(&path)?)? {
        Resource::IstioOperator(operator) => operator
            .spec
            .mesh_config
            .default_config
            .map(|config| config.proxy_stats_matcher)
            .ok_or_else(|| format!("`{}`: no meshConfig.defaultConfig", shown(&path))),
        other => Err(format!("`{}` holds a {}", shown(&path), other.kind())),
    }
}

/// The Deployment patch in the istio/ file at `path`.
pub fn deployment_patch(path: &str) -> Result<DeploymentPatch> {
    let path = files::istio_dir().join(path);
    typed(&files::load_single_yaml(&path)?).map_err(|e| format!("`{}` {e}", shown(&path)))
}

/// The proxyStatsMatcher in the `proxy.istio.io/config` annotation of the
/// Deployment patch at `path`.
pub fn annotation_matcher(path: &str) -> Result<ProxyStatsMatcher> {
    let patch = deployment_patch(path)?;
    let text = patch
        .spec
        .template
        .metadata
        .and_then(|metadata| metadata.annotations)
        .and_then(|mut annotations| annotations.remove("proxy.istio.io/config"))
        .ok_or_else(|| format!("`{path}`: no proxy.istio.io/config annotation"))?;
    let document = files::yaml_documents(&text, path)?
        .pop()
        .ok_or_else(|| format!("`{path}`: an empty proxy.istio.io/config"))?;
    let config: ProxyConfig = typed(&document).map_err(|e| format!("`{path}` {e}"))?;
    Ok(config.proxy_stats_matcher)
}

/// One sample line of `/stats/prometheus`.
#[derive(Debug)]
pub struct Sample {
    /// Its label names.
    pub labels: BTreeSet<String>,
    /// The whole line.
    pub line: String,
}

/// The samples of the metrics whose names start with `prefix`, by metric name.
pub fn samples(text: &str, prefix: &str) -> Result<BTreeMap<String, Vec<Sample>>> {
    let mut samples: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    for line in text.lines().filter(|line| line.starts_with(prefix)) {
        let (name, rest) = line
            .split_once('{')
            .ok_or_else(|| format!("no label set in `{line}`"))?;
        let (labels, _value) = rest
            .rsplit_once("} ")
            .ok_or_else(|| format!("no value in `{line}`"))?;
        let labels = labels
            .split("\",")
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                pair.split_once("=\"")
                    .map(|(label, _)| label.to_owned())
                    .ok_or_else(|| format!("a label without a value in `{line}`"))
            })
            .collect::<Result<BTreeSet<String>>>()?;
        samples.entry(name.to_owned()).or_default().push(Sample {
            labels,
            line: line.to_owned(),
        });
    }
    Ok(samples)
}
