//! The global layer, running: one Prometheus per cluster of a run, each in
//! `<run>/prometheus-<cluster>/`, scraping that cluster's Envoys and evaluating
//! each cluster's rules with the shipped external labels naming it; and a global
//! Prometheus in `<run>/prometheus-global/` federating all of them with the
//! shipped job and evaluating the fleet's rules. Every one is killed when dropped,
//! and one cluster's can be stopped on its own, as a cluster that stops reporting.

use std::net::SocketAddr;
use std::path::Path;

use super::federation;
use super::rules::{self, RuleLayer};
use super::{PrometheusApi, PrometheusServer, ScrapeTarget, config};
use crate::error::{HarnessError, Result};
use crate::paths;

/// One cluster of the run, as its Prometheus sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterScrape {
    /// Its name, the value of its `cluster` external label.
    pub cluster: String,
    /// Its region, the value of its `region` external label.
    pub region: String,
    /// Its Envoys.
    pub targets: Vec<ScrapeTarget>,
}

/// A running cluster Prometheus.
#[derive(Debug)]
pub struct ClusterPrometheus {
    /// The cluster it scrapes.
    pub cluster: String,
    /// The server.
    pub server: PrometheusServer,
}

/// The clusters' Prometheus servers and the global one. The global one is
/// stopped first.
#[derive(Debug)]
pub struct FleetPrometheus {
    /// The global Prometheus.
    pub global: PrometheusServer,
    /// Each cluster's that is still running, in the order given.
    pub clusters: Vec<ClusterPrometheus>,
}

impl FleetPrometheus {
    /// Starts a Prometheus for each of `clusters`, then the global one federating
    /// them, each in its own directory of `run_dir`.
    pub fn start(run_dir: &Path, clusters: &[ClusterScrape]) -> Result<Self> {
        let clusters = clusters
            .iter()
            .map(|scrape| start_cluster(run_dir, scrape))
            .collect::<Result<Vec<_>>>()?;
        let addrs: Vec<(&str, SocketAddr)> = clusters
            .iter()
            .map(|running| (running.cluster.as_str(), running.server.addr()))
            .collect();
        let dir = run_dir.join("prometheus-global");
        paths::fresh_dir(&dir)?;
        let rule_file = rules::write_layer_rule_file(RuleLayer::Fleet, &dir)?;
        let text = federation::render_global(&addrs, &rule_file)?;
        let global = PrometheusServer::start_configured(&dir, &rule_file, &text)?;
        Ok(Self { global, clusters })
    }

    /// The global Prometheus's API.
    pub fn global_api(&self) -> PrometheusApi {
        self.global.api()
    }

    /// The API of the Prometheus of `cluster`.
    pub fn cluster_api(&self, cluster: &str) -> Result<PrometheusApi> {
        Ok(self.cluster(cluster)?.server.api())
    }

    /// Stops the Prometheus of `cluster`: from then on it reports nothing.
    pub fn stop_cluster(&mut self, cluster: &str) -> Result<()> {
        self.cluster(cluster)?;
        self.clusters.retain(|running| running.cluster != cluster);
        Ok(())
    }

    fn cluster(&self, cluster: &str) -> Result<&ClusterPrometheus> {
        self.clusters
            .iter()
            .find(|running| running.cluster == cluster)
            .ok_or_else(|| HarnessError::Missing {
                what: format!("a running Prometheus of cluster `{cluster}`"),
                hint: "start the fleet with that cluster, and do not stop it".to_owned(),
            })
    }
}

fn start_cluster(run_dir: &Path, scrape: &ClusterScrape) -> Result<ClusterPrometheus> {
    let dir = run_dir.join(format!("prometheus-{}", scrape.cluster));
    paths::fresh_dir(&dir)?;
    let rule_file = rules::write_rule_file(&dir)?;
    let labels = federation::external_labels(&scrape.cluster, &scrape.region)?;
    let text = config::render_labelled(&scrape.targets, &rule_file, &labels)?;
    Ok(ClusterPrometheus {
        cluster: scrape.cluster.clone(),
        server: PrometheusServer::start_configured(&dir, &rule_file, &text)?,
    })
}
