//! The storm as a phase of `make soak`: the no-op filter's storm, meshborder's with
//! the rule names kept, and meshborder's with new rule names every push, each in
//! its own Envoy, then the checks `make test` makes on a shorter storm.

use std::fmt;
use std::path::Path;

use super::figures::kib;
use super::{ALLOWANCE, RuleNames, StormOptions, StormReport, configs};
use crate::error::Result;
use crate::paths;
use crate::soak::Check;

/// The three storms and their checks.
#[derive(Debug, Clone)]
pub struct StormPhase {
    /// The no-op filter, rule names kept: the baseline.
    pub noop: StormReport,
    /// meshborder, rule names kept.
    pub kept: StormReport,
    /// meshborder, new rule names every push.
    pub renamed: StormReport,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

impl StormPhase {
    /// Runs the three storms of `pushes` measured pushes each, in subdirectories of
    /// `run_dir`, printing each as it ends (each takes a few seconds per 100 pushes).
    pub fn run(pushes: u32, run_dir: &Path) -> Result<Self> {
        let storm = |filter: &str, wasm: &Path, names: RuleNames, dir: &str| {
            let report = super::run(
                filter,
                wasm,
                &StormOptions::with_pushes(pushes, names),
                &run_dir.join(dir),
            )?;
            println!("storm: {report}");
            Ok::<_, crate::HarnessError>(report)
        };
        let (noop_wasm, filter_wasm) = (paths::noop_wasm()?, paths::filter_wasm()?);
        let noop = storm("no-op", &noop_wasm, RuleNames::Kept, "storm-noop")?;
        let kept = storm("meshborder", &filter_wasm, RuleNames::Kept, "storm-kept")?;
        let renamed = storm(
            "meshborder",
            &filter_wasm,
            RuleNames::Renamed,
            "storm-renamed",
        )?;
        let checks = checks(&noop, &kept, &renamed);
        Ok(Self {
            noop,
            kept,
            renamed,
            checks,
        })
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }
}

fn checks(noop: &StormReport, kept: &StormReport, renamed: &StormReport) -> Vec<Check> {
    let per_push = |report: &StormReport| report.per_push().map_or(f64::NAN, |p| p.kept());
    let (ours, baseline) = (per_push(kept), per_push(noop));
    let failed: usize = [noop, kept, renamed].iter().map(|r| r.failed).sum();
    let sent: usize = [noop, kept, renamed].iter().map(|r| r.requests).sum();
    let continued = [kept, renamed]
        .iter()
        .flat_map(|report| report.readings.iter())
        .filter(|reading| reading.continued())
        .count();
    let readings = kept.readings.len() + renamed.readings.len();
    vec![
        Check {
            name: "a push keeps no more memory with meshborder than with the no-op filter, within 1 KiB",
            passed: ours <= baseline + ALLOWANCE,
            detail: format!("meshborder {} per push, no-op {}", kib(ours), kib(baseline)),
        },
        Check {
            name: "no request failed during the storms",
            passed: failed == 0 && sent > 0,
            detail: format!("{sent} requests, {failed} not answered 200"),
        },
        Check {
            name: "the audited rule's counter went on across every sampled push",
            passed: readings > 0 && continued == readings,
            detail: format!("{continued} of {readings} readings continued"),
        },
    ]
}

impl fmt::Display for StormPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for report in [&self.noop, &self.kept, &self.renamed] {
            writeln!(f, "storm     {report}")?;
        }
        if let Some(renamed) = self.renamed.per_push() {
            let retired = (configs::RULES - 1) as f64;
            writeln!(
                f,
                "storm     each retired rule name keeps {} (its two counters, which Envoy keeps)",
                kib(renamed.kept() / retired)
            )?;
        }
        for check in &self.checks {
            let mark = if check.passed { "ok  " } else { "FAIL" };
            writeln!(f, "  {mark} {}: {}", check.name, check.detail)?;
        }
        Ok(())
    }
}
