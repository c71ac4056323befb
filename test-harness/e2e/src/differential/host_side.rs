//! The host side of the suite: the release filter on the proxy-wasm host, one VM
//! per Envoy of [`super::sites`], each set up as the shipped config presents it (plugin
//! config, node identity, listener direction, the peer's certificate), and a
//! request carried through them as Envoy carries it: presented
//! ([`super::presented`]), filtered, routed ([`super::routes`]), and answered by a
//! model of the echo app, or passed from a caller's VM into eu-west's.
//! The VMs live as long as the run, as Envoy's do (one worker each), so counters
//! add up and the filter's clock follows the run's.
//!
//! What the host cannot know is taken from Envoy and said so: the size of a
//! response from an app (`response.total_size`: Envoy adds the upstream's timing,
//! whose length varies) comes from that Envoy's access log line, and so does that
//! of a local reply to a client of the suite (Envoy adds `connection: close` for
//! it). The request's size (the router's map) and that of a local reply to a
//! caller's sidecar are the host's own.

use std::time::Instant;

use proxy_wasm_host::{HostError, HostResult, LogLevel, LogRecord, Plugin, Vm};

use super::case::{Case, Entry};
use super::counters::{self, Readings};
use super::host_stream::{
    OUTBOUND, Peer, answered, before_filter, filter, finish, gateway, inbound, local_reply,
    request_line,
};
use super::outcome::Outcome;
use super::presented::{self, Admission, Listener};
use super::routes::{self, OutboundRoute};
use super::sites;
use crate::host::release_filter;
use crate::paths;
use crate::topology::{Caller, EU_WEST_CLUSTER, EU_WEST_REGION, EU_WEST_ZONE, ResidencyMode};

/// The caller sidecars' plugin config in `envoy-config/`.
const OUTBOUND_PLUGIN: &str = "outbound-plugin.json";

/// The response sizes Envoy logged for one request: by the Envoy it entered, and
/// by eu-west when a caller's sidecar sent it on there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseSizes {
    /// The Envoy the request entered.
    pub entered: Option<u64>,
    /// eu-west, for a request a caller's sidecar relayed.
    pub eu_west: Option<u64>,
}

/// The Envoys on the host: a VM for eu-west, the auditing eu-west, the gateway,
/// and each caller, named as [`sites`] names them.
pub struct HostMesh {
    eu_west: Vm,
    audit: Vm,
    gateway: Vm,
    callers: Vec<(Caller, Vm)>,
    clock: Instant,
}

impl HostMesh {
    /// The VMs of [`super::sites::Sites`], each from its shipped config.
    pub fn start(callers: &[Caller]) -> HostResult<Self> {
        let eu_west = |mode: ResidencyMode| {
            node(
                &shipped(mode.plugin_config())?,
                EU_WEST_CLUSTER,
                EU_WEST_REGION,
                EU_WEST_ZONE,
            )?
            .start()
        };
        let gateway = node(
            &shipped(crate::gateway::PLUGIN_CONFIG)?,
            crate::gateway::CLUSTER,
            crate::gateway::REGION,
            EU_WEST_ZONE,
        )?
        .start()?;
        let outbound = shipped(OUTBOUND_PLUGIN)?;
        let callers = callers
            .iter()
            .map(|caller| {
                let vm = node(&outbound, caller.cluster, caller.region, caller.zone)?.start()?;
                Ok((*caller, vm))
            })
            .collect::<HostResult<Vec<_>>>()?;
        Ok(Self {
            eu_west: eu_west(ResidencyMode::Enforce)?,
            audit: eu_west(ResidencyMode::Audit)?,
            gateway,
            callers,
            clock: Instant::now(),
        })
    }

    /// Every VM by its Envoy's name, in the order [`super::sites::Sites::envoys`]
    /// lists them.
    fn vms(&self) -> Vec<(&'static str, &Vm)> {
        let mut all = vec![
            (sites::EU_WEST, &self.eu_west),
            (sites::EU_WEST_AUDIT, &self.audit),
            (sites::GATEWAY, &self.gateway),
        ];
        all.extend(self.callers.iter().map(|(caller, vm)| (caller.name, vm)));
        all
    }

    /// Every counter of every VM, keyed as [`counters`] keys them.
    fn readings(&self) -> Readings {
        self.vms()
            .into_iter()
            .flat_map(|(name, vm)| counters::from_vm(name, vm))
            .collect()
    }

    /// How many lines each VM has logged, in [`HostMesh::vms`] order.
    fn log_marks(&self) -> Vec<usize> {
        self.vms().iter().map(|(_, vm)| vm.logs().len()).collect()
    }

    /// Runs `case` through the VMs; `sizes` are Envoy's response sizes.
    pub fn run(&mut self, case: &Case, sizes: ResponseSizes) -> HostResult<Outcome> {
        let elapsed = self.clock.elapsed();
        self.clock = Instant::now();
        for vm in [&mut self.eu_west, &mut self.audit, &mut self.gateway] {
            vm.advance_clock(elapsed)?;
        }
        for (_, vm) in &mut self.callers {
            vm.advance_clock(elapsed)?;
        }
        let before = self.readings();
        let marks = self.log_marks();
        let mut outcome = match case.entry {
            Entry::Outbound(caller) => self.outbound(case, caller, sizes)?,
            Entry::Mtls(cert) => {
                let peer = Peer::Client(cert.spiffe_id());
                inbound(&mut self.eu_west, case, peer, sizes.entered)?
            }
            Entry::Plaintext => inbound(&mut self.eu_west, case, Peer::None, sizes.entered)?,
            Entry::AuditMtls(cert) => {
                let peer = Peer::Client(cert.spiffe_id());
                inbound(&mut self.audit, case, peer, sizes.entered)?
            }
            Entry::Gateway => gateway(&mut self.gateway, case, sizes.entered)?,
        };
        outcome.counters = counters::changes(&before, &self.readings());
        outcome.logs = self.new_logs(&marks, sites::entered(case.entry));
        Ok(outcome)
    }

    fn outbound(
        &mut self,
        case: &Case,
        caller: Caller,
        sizes: ResponseSizes,
    ) -> HostResult<Outcome> {
        let presented = presented::present(
            &case.method,
            &case.target,
            &case.headers,
            Listener::OUTBOUND,
        );
        let map = match presented {
            Admission::Presented(map) => map,
            unfiltered => return Ok(before_filter(unfiltered)),
        };
        let Self {
            eu_west, callers, ..
        } = self;
        let Some(vm) = callers
            .iter_mut()
            .find(|(c, _)| *c == caller)
            .map(|(_, vm)| vm)
        else {
            return Err(HostError::Usage {
                reason: format!("no VM for caller `{}`", caller.name),
            });
        };
        let mut stream = vm
            .http_stream()
            .property(["xds", "listener_direction"], OUTBOUND);
        let filtered = filter(&mut stream, &map, &case.body)?;
        if let Some(reply) = filtered.reply {
            finish(&mut stream, &filtered.map, &case.body, sizes.entered)?;
            return Ok(local_reply(reply));
        }
        let forwarded = presented::routed(&filtered.map);
        let outcome = match routes::outbound(&filtered.map) {
            OutboundRoute::LocalApp => {
                answered(caller.app, caller.region, &forwarded, case.body.len())
            }
            OutboundRoute::EuWest => {
                // What eu-west's codec receives from the caller's sidecar, over mTLS
                // with the caller's certificate; its stream ends first.
                let (start_line, lines) = presented::on_the_wire(&forwarded);
                let (method, target) = request_line(&start_line);
                let relayed = Case {
                    method,
                    target,
                    headers: lines,
                    ..case.clone()
                };
                let peer = Peer::Relayed(caller.cert.spiffe_id());
                inbound(eu_west, &relayed, peer, sizes.eu_west)?
            }
        };
        finish(&mut stream, &forwarded, &case.body, sizes.entered)?;
        Ok(outcome)
    }

    /// The JSON lines logged since `marks`: the entered Envoy's first, then the
    /// others in [`HostMesh::vms`] order, as the Envoy side reads them.
    fn new_logs(&self, marks: &[usize], entered: &str) -> Vec<String> {
        let mut vms: Vec<((&str, &Vm), usize)> =
            self.vms().into_iter().zip(marks.iter().copied()).collect();
        vms.sort_by_key(|((name, _), _)| *name != entered);
        vms.iter()
            .flat_map(|((name, vm), mark)| {
                vm.logs()
                    .get(*mark..)
                    .unwrap_or_default()
                    .iter()
                    .filter(|record| record.message.starts_with('{'))
                    .map(move |record| log_line(name, record))
            })
            .collect()
    }
}

/// `<envoy> <level> <message>`, the level named as Envoy's log names it.
pub fn log_line(envoy: &str, record: &LogRecord) -> String {
    let level = match record.level {
        LogLevel::Warn => "warning",
        other => other.as_str(),
    };
    format!("{envoy} {level} {}", record.message)
}

pub(super) fn shipped(file: &str) -> HostResult<String> {
    let path = paths::config_dir().join(file);
    std::fs::read_to_string(&path).map_err(|e| HostError::Usage {
        reason: format!("reading `{}`: {e}", path.display()),
    })
}

/// The release filter with `config` on a node as the shipped bootstrap declares
/// it (`xds.node`, as Envoy >= 1.33 serves it), named as the bootstrap names it.
pub(super) fn node(config: &str, cluster: &str, region: &str, zone: &str) -> HostResult<Plugin> {
    Ok(release_filter()?
        .config_json(config)
        .names("meshborder", "", "meshborder")
        .property(["xds", "node", "metadata", "CLUSTER_ID"], cluster)
        .property(["xds", "node", "locality", "region"], region)
        .property(["xds", "node", "locality", "zone"], zone))
}
