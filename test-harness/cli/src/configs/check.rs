//! Checking one found configuration: the real filter's `on_configure` on it, on a
//! node with the right identity.
//!
//! The identity comes from what the caller says (`--cluster`, `--region`), else
//! from the file (an Envoy bootstrap's `node`), else a stand-in cluster: Istio
//! always sets `CLUSTER_ID`, so a `WasmPlugin` rarely names its cluster, and a
//! check should judge the configuration, not the missing node.

use super::{FoundConfig, NodeIdentity};
use proxy_wasm_host::{HostError, Plugin};

/// The cluster a check runs in when neither the caller nor the file names one.
pub const STAND_IN_CLUSTER: &str = "meshborder-check";

/// What the filter made of a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// `on_configure` returned true.
    Accepted,
    /// `on_configure` returned false; the filter's logged reason.
    Refused(String),
    /// The filter failed (trap, panic...) or could not be started.
    Failed(HostError),
}

/// Runs `on_configure` of `filter` on `found`, on a node identified by `explicit`,
/// else by the file, else by [`STAND_IN_CLUSTER`].
pub fn check(filter: &Plugin, found: &FoundConfig, explicit: &NodeIdentity) -> CheckOutcome {
    let pick = |mine: &Option<String>, file: &Option<String>| mine.clone().or_else(|| file.clone());
    let cluster =
        pick(&explicit.cluster, &found.node.cluster).unwrap_or_else(|| STAND_IN_CLUSTER.to_owned());
    let mut plugin = filter
        .clone()
        .config(found.config.clone())
        .property(["xds", "node", "metadata", "CLUSTER_ID"], cluster);
    if let Some(region) = pick(&explicit.region, &found.node.region) {
        plugin = plugin.property(["xds", "node", "locality", "region"], region);
    }
    if let Some(zone) = pick(&explicit.zone, &found.node.zone) {
        plugin = plugin.property(["xds", "node", "locality", "zone"], zone);
    }
    match plugin.start() {
        Ok(_) => CheckOutcome::Accepted,
        Err(HostError::ConfigureRejected { reason }) => CheckOutcome::Refused(reason),
        Err(error) => CheckOutcome::Failed(error),
    }
}
