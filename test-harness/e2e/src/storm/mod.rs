//! The config storm: one Envoy (one worker) running a filter whose configuration is
//! pushed again and again through a watched ECDS file while a request loop runs
//! through it, and what each push leaves behind in Envoy's memory.
//!
//! A sidecar lives for weeks and every change to its plugin (or a GitOps sync that
//! rewrites it) is a push, so memory a push keeps is memory the sidecar never gets
//! back. The storm pushes good configurations only, 20 residency rules each, their
//! hosts different every time; with [`RuleNames::Kept`] the rules keep their names,
//! with [`RuleNames::Renamed`] every push names them anew. The same storm runs the
//! no-op filter, which is the baseline: what any wasm filter costs Envoy per push.
//!
//! [`run`] does one storm and returns a [`StormReport`]: memory per push (the slope
//! of a least-squares line through samples taken after a warm-up, of Envoy's heap
//! as tcmalloc counts it and of the VMs' linear memory), every answer of the request
//! loop, and the residency counter of a rule that keeps its name, read
//! before and after each sampled push.

mod configs;
mod figures;
mod phase;
mod run;

pub use configs::{AUDITED_HOST, AUDITED_PATH, AUDITED_RULE, RuleNames, StormConfigs};
pub use figures::{CounterReading, PerPush, StormReport, kib};
pub use phase::StormPhase;
pub use run::run;

/// The most memory a push may keep with meshborder beyond what it keeps with the
/// no-op filter, in bytes.
pub const ALLOWANCE: f64 = 1024.0;

/// How to storm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StormOptions {
    /// Pushes before the first memory sample, so start-up allocations and the
    /// first growth of tcmalloc's caches are not counted.
    pub warmup: u32,
    /// Pushes measured after the warm-up.
    pub pushes: u32,
    /// A memory sample (and a counter reading) every this many pushes.
    pub sample_every: u32,
    /// Whether the rules keep their names from push to push.
    pub names: RuleNames,
}

impl StormOptions {
    /// The storm of `make test`: 400 measured pushes after 40 of warm-up.
    pub const TEST: Self = Self {
        warmup: 40,
        pushes: 400,
        sample_every: 10,
        names: RuleNames::Kept,
    };

    /// `pushes` measured pushes, with the warm-up and sampling of [`Self::TEST`].
    pub fn with_pushes(pushes: u32, names: RuleNames) -> Self {
        Self {
            pushes,
            names,
            ..Self::TEST
        }
    }
}
