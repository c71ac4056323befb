//! Checking one found configuration: the real filter's `on_configure` on it, on a
//! node with the right identity.
//!
//! The identity comes from what the caller says (`--cluster`, `--region`), else
//! from the file (an Envoy bootstrap's `node`), else a stand-in cluster: Istio
//! always sets `CLUSTER_ID`, so a plugin resource rarely names its cluster, and a
//! check should judge the configuration, not the missing node.
//!
//! When the file says which kind of filter runs the configuration (an HTTP or a
//! network wasm filter, a plugin resource's `type`), an accepted configuration then
//! gets one request or one connection of that kind: a configuration of the other
//! layer (a `"layer": "tcp"` one in an HTTP filter, say) configures, but the
//! filter refuses all its traffic, and says why in its log.

use super::{FilterKind, FoundConfig, NodeIdentity};
use proxy_wasm_host::{HostError, LogRecord, Plugin, Vm};

/// The cluster a check runs in when neither the caller nor the file names one.
pub const STAND_IN_CLUSTER: &str = "meshborder-check";

/// The status a misloaded filter answers every request with.
const MISLOADED_STATUS: u32 = 503;

/// What the filter made of a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// `on_configure` returned true.
    Accepted,
    /// `on_configure` returned false; the filter's logged reason.
    Refused(String),
    /// `on_configure` returned true, but the filter refuses the traffic of the
    /// kind of filter the file loads it as (its layer is the other one); the
    /// filter's logged reason.
    Misloaded(String),
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
        Ok(mut vm) => match found.kind.map(|kind| refusal(&mut vm, kind)) {
            None | Some(Ok(None)) => CheckOutcome::Accepted,
            Some(Ok(Some(reason))) => CheckOutcome::Misloaded(reason),
            Some(Err(error)) => CheckOutcome::Failed(error),
        },
        Err(HostError::ConfigureRejected { reason }) => CheckOutcome::Refused(reason),
        Err(error) => CheckOutcome::Failed(error),
    }
}

/// Runs one request (`Http`) or one connection (`Network`) through the
/// configured filter; `Some` with the filter's logged reason when it refuses it
/// as a misloaded filter does: a 503 reply to the request, a connection closed as
/// soon as it is accepted (the filter decides on data, never before).
fn refusal(vm: &mut Vm, kind: FilterKind) -> Result<Option<String>, HostError> {
    let (refused, logged) = match kind {
        FilterKind::Http => {
            let mut stream = vm.http_stream();
            stream.request_headers(
                &[
                    (":method", "GET"),
                    (":scheme", "http"),
                    (":authority", "meshborder-check"),
                    (":path", "/"),
                ],
                true,
            )?;
            let refused = stream
                .local_response()
                .is_some_and(|reply| reply.status == MISLOADED_STATUS);
            (refused, error_line(&stream.logs()))
        }
        FilterKind::Network => {
            let mut stream = vm.tcp_stream();
            stream.new_connection()?;
            let refused = stream.close_requested();
            (refused, error_line(&stream.logs()))
        }
    };
    Ok(refused.then(|| {
        logged.unwrap_or_else(|| "the filter refuses every request or connection".to_owned())
    }))
}

/// The first line the filter logged at error level.
fn error_line(lines: &[&LogRecord]) -> Option<String> {
    lines
        .iter()
        .find(|line| line.is_error())
        .map(|line| line.message.clone())
}
