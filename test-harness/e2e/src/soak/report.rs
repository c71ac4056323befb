//! The soak's verdict: the figures of a run (requests, rate, denials, swaps, bytes,
//! memory) and each check the run must pass, printable as the `meshborder-soak`
//! binary shows them.

use std::fmt;
use std::time::Duration;

use super::SoakOptions;
use super::books::{Counters, Tally};
use super::configs::SwapKind;
use super::load::LoadSummary;
use super::memory::MemorySample;
use crate::ecds::{EcdsStats, Verdict};

/// How much memory may grow from the first sample after warm-up to any later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// The process's resident set, in percent of the warm sample.
    pub rss_percent: u64,
    /// tcmalloc's allocated bytes, in percent of the warm sample.
    pub allocated_percent: u64,
    /// Each wasm VM's linear memory, in 64 KiB wasm pages.
    pub wasm_pages_per_vm: u64,
}

impl Tolerance {
    /// The soak's tolerance.
    pub const SOAK: Self = Self {
        rss_percent: 5,
        allocated_percent: 10,
        wasm_pages_per_vm: 1,
    };

    /// The bytes a wasm page holds.
    pub const WASM_PAGE: u64 = 64 * 1024;

    fn allows(self, warm: u64, later: u64, percent: u64) -> bool {
        later.saturating_sub(warm).saturating_mul(100) <= warm.saturating_mul(percent)
    }
}

/// One tick of the run, before its swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickSample {
    /// Since the load started.
    pub at: Duration,
    /// eu-west's memory.
    pub eu_west: MemorySample,
    /// us-east's memory.
    pub us_east: MemorySample,
    /// eu-west's counters.
    pub counters: Counters,
}

/// One swap of eu-west's filter config, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapRecord {
    /// Good or bad.
    pub kind: SwapKind,
    /// Envoy's verdict.
    pub verdict: Verdict,
    /// From the rename to the verdict.
    pub took: Duration,
    /// For a bad one: how often its refusal is in eu-west's log.
    pub refusals_logged: usize,
}

/// The run's requests in the access logs and eu-west's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Books {
    /// us-east's access log: every request sent.
    pub us_east: Tally,
    /// eu-west's access log, requests whose believed source is us-east.
    pub eu_west: Tally,
    /// eu-west's lines with any other source (none expected).
    pub eu_west_other_sources: u64,
    /// What eu-west's counters rose by; `None` if one fell.
    pub counted: Option<Counters>,
}

/// The swaps, summed up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapTally {
    /// Good configs swapped in.
    pub good: usize,
    /// Of those, accepted.
    pub accepted: usize,
    /// Bad configs swapped in.
    pub bad: usize,
    /// Of those, rejected.
    pub rejected: usize,
    /// Of those, with the filter's refusal in the log.
    pub refusals_logged: usize,
    /// The slowest verdict.
    pub slowest: Duration,
    /// What Envoy's ECDS counters rose by over the run.
    pub envoy: EcdsStats,
}

/// One Envoy's memory after warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryTrend {
    /// The first sample after warm-up.
    pub warm: MemorySample,
    /// The last sample of the run.
    pub end: MemorySample,
    /// The highest resident set after warm-up.
    pub peak_rss: u64,
    /// The highest tcmalloc allocation after warm-up.
    pub peak_allocated: u64,
    /// The largest wasm linear memory total after warm-up.
    pub peak_wasm: u64,
    /// Samples after warm-up.
    pub samples: usize,
}

impl MemoryTrend {
    /// The trend of `samples`, the first of them warm; `None` without a sample.
    pub(super) fn of(samples: &[MemorySample]) -> Option<Self> {
        let (warm, end) = (*samples.first()?, *samples.last()?);
        let peak = |value: fn(&MemorySample) -> u64| samples.iter().map(value).max();
        Some(Self {
            warm,
            end,
            peak_rss: peak(|s| s.rss)?,
            peak_allocated: peak(|s| s.allocated)?,
            peak_wasm: peak(|s| s.wasm.size)?,
            samples: samples.len(),
        })
    }

    /// Whether every later sample stayed within `tolerance` of the warm one, and
    /// the VMs are the ones Envoy counts, as many as when warm.
    pub fn is_flat(&self, tolerance: Tolerance) -> bool {
        let vms_steady = self.end.wasm.vms == self.warm.wasm.vms
            && self.end.wasm.vms == self.end.active_vms
            && self.end.wasm.vms > 0;
        vms_steady
            && tolerance.allows(self.warm.rss, self.peak_rss, tolerance.rss_percent)
            && tolerance.allows(
                self.warm.allocated,
                self.peak_allocated,
                tolerance.allocated_percent,
            )
            && self.peak_wasm
                <= self.warm.wasm.size
                    + tolerance.wasm_pages_per_vm * Tolerance::WASM_PAGE * self.warm.wasm.vms
    }
}

/// One check of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What it checks.
    pub name: &'static str,
    /// Whether the run passed it.
    pub passed: bool,
    /// The figures behind it.
    pub detail: String,
}

/// A soak run: its options, figures and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct SoakReport {
    /// How it ran.
    pub options: SoakOptions,
    /// What the load generator reported.
    pub load: LoadSummary,
    /// The access logs and counters.
    pub books: Books,
    /// The swaps.
    pub swaps: SwapTally,
    /// eu-west's memory after warm-up (`None`: no sample after warm-up).
    pub eu_west_memory: Option<MemoryTrend>,
    /// us-east's memory after warm-up.
    pub us_east_memory: Option<MemoryTrend>,
    /// The memory tolerance applied.
    pub tolerance: Tolerance,
    /// Whether a counter ever fell from one tick to the next (a swap reset it).
    pub counter_fell: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

impl SoakReport {
    /// Sums up a run and checks it.
    pub fn new(
        options: SoakOptions,
        load: LoadSummary,
        books: Books,
        swaps: Vec<SwapRecord>,
        envoy: EcdsStats,
        samples: Vec<TickSample>,
    ) -> Self {
        let warm: Vec<&TickSample> = samples
            .iter()
            .filter(|sample| sample.at >= options.warmup)
            .collect();
        let trend = |pick: fn(&TickSample) -> MemorySample| {
            MemoryTrend::of(&warm.iter().map(|sample| pick(sample)).collect::<Vec<_>>())
        };
        let counter_fell = samples
            .windows(2)
            .any(|pair| matches!(pair, [a, b] if b.counters.since(&a.counters).is_none()));
        let mut report = Self {
            load,
            books,
            swaps: tally_swaps(&swaps, envoy),
            eu_west_memory: trend(|s| s.eu_west),
            us_east_memory: trend(|s| s.us_east),
            tolerance: Tolerance::SOAK,
            counter_fell,
            checks: Vec::new(),
            options,
        };
        report.checks = super::verdict::checks(&report);
        report
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }
}

fn tally_swaps(swaps: &[SwapRecord], envoy: EcdsStats) -> SwapTally {
    let good = || swaps.iter().filter(|s| s.kind == SwapKind::Good);
    let bad = || swaps.iter().filter(|s| s.kind != SwapKind::Good);
    SwapTally {
        good: good().count(),
        accepted: good().filter(|s| s.verdict == Verdict::Accepted).count(),
        bad: bad().count(),
        rejected: bad().filter(|s| s.verdict == Verdict::Rejected).count(),
        refusals_logged: bad().filter(|s| s.refusals_logged > 0).count(),
        slowest: swaps.iter().map(|s| s.took).max().unwrap_or_default(),
        envoy,
    }
}

impl fmt::Display for SoakReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::verdict::figures(self, f)?;
        for check in &self.checks {
            let mark = if check.passed { "ok  " } else { "FAIL" };
            writeln!(f, "  {mark} {}: {}", check.name, check.detail)?;
        }
        Ok(())
    }
}
