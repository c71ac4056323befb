//! Envoy counters: the ids of one configuration's counters, under the names the
//! engine gives them, so a request only increments. Residency and unknown-source
//! counters are looked up at configure time; cross-cluster counters per source label
//! set, the configured clusters up front and others on first sight, within the bound
//! the engine's meter keeps; cross-zone counters on first sight, likewise. Each name is defined with the host once per VM
//! ([`super::defined`]), not once per configuration.

use proxy_wasm::hostcalls;
use proxy_wasm::types::Status;

use super::defined;

use crate::contract::metric::UNKNOWN_SOURCE;
use crate::policy::{BorderStats, Layer, Meter, Mode, Policy, Source};

/// The three counters of one border's source label set.
#[derive(Debug, Clone, Copy)]
pub struct BorderIds {
    /// `direction=request` bytes.
    pub request_bytes: u32,
    /// `direction=response` bytes.
    pub response_bytes: u32,
    /// Requests.
    pub requests: u32,
}

/// Every counter id the filter uses.
#[derive(Debug)]
pub struct Metrics {
    /// `(deny, audit)` per rule.
    decisions: Vec<(u32, u32)>,
    unknown_source: u32,
    meter: Meter,
    /// By the meter's label-set number; `None` until defined.
    xcluster: Vec<Option<BorderIds>>,
    /// By the meter's zone label-set number; `None` until defined.
    xzone: Vec<Option<BorderIds>>,
    /// L4: by the meter's label-set number (received, sent, connections).
    xcluster_tcp: Vec<Option<BorderIds>>,
}

fn define(name: &str) -> Result<u32, Status> {
    defined::counter(name)
}

impl Metrics {
    /// Defines the counters known from the config.
    pub fn define_all(policy: &Policy) -> Result<Self, Status> {
        let decisions = policy
            .decision_stats()
            .map(|stats| Ok((define(&stats.deny)?, define(&stats.audit)?)))
            .collect::<Result<Vec<_>, Status>>()?;
        let meter = policy.meter();
        let tcp = policy.layer() == Layer::Tcp;
        let mut configured = Vec::with_capacity(meter.label_sets());
        for number in 0..meter.label_sets() {
            configured.push(Some(define_border(if tcp {
                meter.xcluster_tcp_stats(number)
            } else {
                meter.xcluster_stats(number)
            })?));
        }
        let (xcluster, xcluster_tcp) = if tcp {
            (Vec::new(), configured)
        } else {
            (configured, Vec::new())
        };
        for cluster in policy.bindable_clusters() {
            define(&policy.tag_mismatch_stat(cluster))?;
        }
        Ok(Self {
            decisions,
            unknown_source: define(UNKNOWN_SOURCE.stat)?,
            meter,
            xcluster,
            xzone: Vec::new(),
            xcluster_tcp,
        })
    }

    /// Counts one residency decision of rule `rule`.
    pub fn count_decision(&self, rule: usize, mode: Mode) {
        if let Some((deny, audit)) = self.decisions.get(rule) {
            increment(
                match mode {
                    Mode::Enforce => *deny,
                    Mode::Audit => *audit,
                },
                1,
            );
        }
    }

    /// Counts one inbound request of unknown source.
    pub fn count_unknown_source(&self) {
        increment(self.unknown_source, 1);
    }

    /// The cross-cluster counters of `source`, defining them on first sight.
    pub fn xcluster_ids(&mut self, source: &Source<'_>) -> Result<BorderIds, Status> {
        let number = self.meter.label_set(source);
        let stats = |meter: &Meter| meter.xcluster_stats(number);
        cached(&mut self.xcluster, number, || stats(&self.meter))
    }

    /// L4: the cross-cluster TCP counters of `source` (received, sent, connections),
    /// defining them on first sight.
    pub fn xcluster_tcp_ids(&mut self, source: &Source<'_>) -> Result<BorderIds, Status> {
        let number = self.meter.label_set(source);
        let stats = |meter: &Meter| meter.xcluster_tcp_stats(number);
        cached(&mut self.xcluster_tcp, number, || stats(&self.meter))
    }

    /// The cross-zone counters of `source`, defining them on first sight.
    pub fn xzone_ids(&mut self, source: &Source<'_>) -> Result<BorderIds, Status> {
        let number = self.meter.zone_set(source);
        let stats = |meter: &Meter| meter.xzone_stats(number);
        cached(&mut self.xzone, number, || stats(&self.meter))
    }
}

/// The ids in `slots` at `number`, defined from `stats` when not there yet.
fn cached(
    slots: &mut Vec<Option<BorderIds>>,
    number: usize,
    stats: impl FnOnce() -> Option<BorderStats>,
) -> Result<BorderIds, Status> {
    if let Some(Some(ids)) = slots.get(number) {
        return Ok(*ids);
    }
    let ids = define_border(stats())?;
    if slots.len() <= number {
        slots.resize(number + 1, None);
    }
    if let Some(slot) = slots.get_mut(number) {
        *slot = Some(ids);
    }
    Ok(ids)
}

/// Defines the three counters of one label set.
fn define_border(stats: Option<BorderStats>) -> Result<BorderIds, Status> {
    let stats = stats.ok_or(Status::NotFound)?;
    Ok(BorderIds {
        request_bytes: define(&stats.request_bytes)?,
        response_bytes: define(&stats.response_bytes)?,
        requests: define(&stats.requests)?,
    })
}

/// Counts one tag mismatch of certificate cluster `cluster`: a rare event, so the
/// name is built and looked up here rather than kept.
pub fn count_tag_mismatch(policy: &Policy, cluster: &str) {
    match define(&policy.tag_mismatch_stat(cluster)) {
        Ok(id) => increment(id, 1),
        Err(status) => log::warn!("could not define the tag mismatch counter: {status:?}"),
    }
}

/// Adds `by` to a counter; a failure is logged, never fatal. Adding 0 is skipped:
/// Envoy refuses it (`BadArgument`), and it happens whenever a stream ends with no
/// response, so `response.total_size` is absent.
pub fn increment(id: u32, by: u64) {
    if by == 0 {
        return;
    }
    let offset = i64::try_from(by).unwrap_or(i64::MAX);
    if let Err(status) = hostcalls::increment_metric(id, offset) {
        log::warn!("could not increment metric {id}: {status:?}");
    }
}
