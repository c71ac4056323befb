//! The soak's run: start the mesh with eu-west's filter config in a watched file,
//! start the load, and on a fixed schedule (every `swap_every`, a pacing, not a
//! wait for anything) sample both Envoys' memory and eu-west's counters, then swap
//! eu-west's config and wait for Envoy's verdict. Once the load has ended and every
//! request is in the books, hand everything to the report.

use std::thread;
use std::time::{Duration, Instant};

use super::SoakOptions;
use super::books::{self, Counters, Tally};
use super::configs::{SwapKind, SwapPlan};
use super::load::{LoadSummary, RunningLoad, oha_binary};
use super::memory::MemorySample;
use super::report::{Books, SoakReport, SwapRecord, TickSample};
use crate::ecds::EcdsStats;
use crate::error::{HarnessError, Result};
use crate::mesh::{EuWestConfig, Mesh};
use crate::ports::{LOOPBACK, MeshPorts};
use crate::topology::{ResidencyMode, US_EAST};
use crate::{paths, poll};

/// How long past its duration the load may take to finish before the soak gives up.
const GRACE: Duration = Duration::from_secs(30);

/// Runs the soak of `options` and reports on it. An error means the soak could not
/// be run (or judged) at all; a run whose checks fail is a report that says so.
pub fn run(options: &SoakOptions) -> Result<SoakReport> {
    let wasm = paths::filter_wasm()?;
    oha_binary()?;
    paths::fresh_dir(&options.run_dir)?;
    let mut mesh = Mesh::start_in_with(
        &options.run_dir,
        &wasm,
        LOOPBACK,
        &MeshPorts::EPHEMERAL,
        ResidencyMode::Enforce,
        EuWestConfig::Watched,
        &[US_EAST],
    )?;
    let plan = SwapPlan::new()?;
    let listener = mesh.caller(&US_EAST)?.listener;
    let counters_before = Counters::read(&mesh.eu_west.envoy)?;
    let ecds_before = mesh.eu_west.config_stats()?;
    let lines_before = (
        books::logged_lines(&mesh.caller(&US_EAST)?.envoy),
        books::logged_lines(&mesh.eu_west.envoy),
    );

    let mut load = RunningLoad::start(listener, options.load, &options.run_dir)?;
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut swaps = Vec::new();
    let summary = loop {
        let tick = u32::try_from(samples.len() + 1).unwrap_or(u32::MAX);
        let due = started + options.swap_every.saturating_mul(tick);
        if let Some(summary) = wait_for_tick(&mut load, due, started, options)? {
            break summary;
        }
        samples.push(TickSample {
            at: started.elapsed(),
            eu_west: MemorySample::read(&mesh.eu_west.envoy)?,
            us_east: MemorySample::read(&mesh.caller(&US_EAST)?.envoy)?,
            counters: Counters::read(&mesh.eu_west.envoy)?,
        });
        let planned = plan.swap(u64::from(tick));
        let update = mesh.eu_west.reconfigure(&planned.config)?;
        swaps.push(SwapRecord {
            kind: planned.kind,
            verdict: update.verdict,
            took: update.took,
            refusals_logged: 0,
        });
    };

    let books = close_books(&mesh, &summary, counters_before, lines_before)?;
    let log = mesh.eu_west.envoy.log();
    for swap in &mut swaps {
        if let SwapKind::Bad { refusal } = &swap.kind {
            swap.refusals_logged = log.matches(refusal.as_str()).count();
        }
    }
    let ecds_after = mesh.eu_west.config_stats()?;
    Ok(SoakReport::new(
        options.clone(),
        summary,
        books,
        swaps,
        ecds_delta(&ecds_before, &ecds_after),
        samples,
    ))
}

/// Sleeps until `due` (the schedule), unless the load ends first: then its summary.
fn wait_for_tick(
    load: &mut RunningLoad,
    due: Instant,
    started: Instant,
    options: &SoakOptions,
) -> Result<Option<LoadSummary>> {
    let give_up = started + options.load.duration + GRACE;
    loop {
        if let Some(summary) = load.try_finish()? {
            return Ok(Some(summary));
        }
        let now = Instant::now();
        if now >= give_up {
            return Err(HarnessError::Timeout {
                what: "the load generator to finish".to_owned(),
                after: options.load.duration + GRACE,
            });
        }
        if now >= due {
            return Ok(None);
        }
        thread::sleep((due - now).min(Duration::from_millis(50)));
    }
}

/// Waits until every answered request is counted by eu-west's filter and logged by
/// both Envoys, then tallies the run's lines and counters.
fn close_books(
    mesh: &Mesh,
    summary: &LoadSummary,
    before: Counters,
    (us_east_before, eu_west_before): (usize, usize),
) -> Result<Books> {
    let eu_west = &mesh.eu_west.envoy;
    let us_east = &mesh.caller(&US_EAST)?.envoy;
    let answered = usize::try_from(summary.answered()).unwrap_or(usize::MAX);
    poll::until("eu-west to count every request of the run", || {
        let now = Counters::read(eu_west)?;
        let counted = now.requests.saturating_sub(before.requests);
        Ok((counted >= summary.answered()).then_some(()))
    })?;
    poll::until("both access logs to hold every request of the run", || {
        let us = books::logged_lines(us_east).saturating_sub(us_east_before);
        let eu = books::logged_lines(eu_west).saturating_sub(eu_west_before);
        Ok((us >= answered && eu >= answered).then_some(()))
    })?;
    let after = Counters::read(eu_west)?;
    let us_east_entries = books::entries_after(us_east, us_east_before);
    let eu_west_entries = books::entries_after(eu_west, eu_west_before);
    let (from_us_east, other): (Vec<_>, Vec<_>) = eu_west_entries
        .iter()
        .partition(|entry| entry.get("source_cluster") == Some(US_EAST.cluster));
    Ok(Books {
        us_east: Tally::of(us_east_entries.iter()),
        eu_west: Tally::of(from_us_east),
        eu_west_other_sources: u64::try_from(other.len()).unwrap_or(u64::MAX),
        counted: after.since(&before),
    })
}

/// What Envoy's ECDS counters did between two readings.
fn ecds_delta(before: &EcdsStats, after: &EcdsStats) -> EcdsStats {
    EcdsStats {
        accepted: after.accepted.saturating_sub(before.accepted),
        rejected: after.rejected.saturating_sub(before.rejected),
        failed: after.failed.saturating_sub(before.failed),
        reloads: after.reloads.saturating_sub(before.reloads),
        version: after.version.clone(),
    }
}
