//! Envoy counters: the ids of one configuration's counters, under the names the
//! engine gives them, so a request only increments. Residency and unknown-source
//! counters are looked up at configure time; cross-cluster counters per source label
//! set, the configured clusters up front and others on first sight, within the bound
//! the engine's meter keeps. Each name is defined with the host once per VM
//! ([`super::defined`]), not once per configuration.

use proxy_wasm::hostcalls;
use proxy_wasm::types::Status;

use super::defined;

use crate::contract::metric::UNKNOWN_SOURCE;
use crate::policy::{Meter, Mode, Policy, Source};

/// The counters of one source label set.
#[derive(Debug, Clone, Copy)]
pub struct XclusterIds {
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
    xcluster: Vec<Option<XclusterIds>>,
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
        let mut xcluster = Vec::with_capacity(meter.label_sets());
        for number in 0..meter.label_sets() {
            xcluster.push(Some(define_xcluster(&meter, number)?));
        }
        Ok(Self {
            decisions,
            unknown_source: define(UNKNOWN_SOURCE.stat)?,
            meter,
            xcluster,
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
    pub fn xcluster_ids(&mut self, source: &Source<'_>) -> Result<XclusterIds, Status> {
        let number = self.meter.label_set(source);
        if let Some(Some(ids)) = self.xcluster.get(number) {
            return Ok(*ids);
        }
        let ids = define_xcluster(&self.meter, number)?;
        if self.xcluster.len() <= number {
            self.xcluster.resize(number + 1, None);
        }
        if let Some(slot) = self.xcluster.get_mut(number) {
            *slot = Some(ids);
        }
        Ok(ids)
    }
}

/// Defines the counters of label set `number`.
fn define_xcluster(meter: &Meter, number: usize) -> Result<XclusterIds, Status> {
    let stats = meter.xcluster_stats(number).ok_or(Status::NotFound)?;
    Ok(XclusterIds {
        request_bytes: define(&stats.request_bytes)?,
        response_bytes: define(&stats.response_bytes)?,
        requests: define(&stats.requests)?,
    })
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
