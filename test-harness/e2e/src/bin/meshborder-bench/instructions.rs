//! Instructions per request, counted by callgrind (`meshborder_e2e::callgrind`):
//! the figure that does not move with the machine's load, for differences smaller
//! than requests per second can show (about ±3% between runs here).
//!
//! Every config's Envoy is started again from the same rendered bootstrap as its
//! throughput runs, under callgrind, two at a time (each takes a minute or two to
//! be ready, and valgrind runs one thread at a time). Then, one config after the
//! other, every case answered by `direct_response` (the outbound ones, and the
//! inbound metered one over mTLS) gets [`Settings::warm_up`] requests on one
//! kept-alive connection, then [`Settings::windows`] windows of
//! [`Settings::requests`] requests: the worker thread's instructions in a window,
//! divided by its requests. The proxied cases are left out: their upstream's work
//! is not Envoy's, and the filter's share is the same as from `direct_response`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use meshborder_e2e::callgrind::Profiled;
use meshborder_e2e::client::Request;
use meshborder_e2e::keep_alive::KeptAlive;
use meshborder_e2e::tls::TlsClient;
use meshborder_e2e::{HarnessError, Result};

use std::fmt::Write as _;

use crate::cases::Case;
use crate::configs::{Artifacts, Config};
use crate::{floor, report, rounds};

/// How long one response may take from an Envoy under callgrind.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many requests are counted, and how.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Requests per case before the first window (V8 compiles the hot code).
    pub warm_up: u32,
    /// Counted windows per case.
    pub windows: u32,
    /// Requests per window.
    pub requests: u32,
}

/// One case as a profiled Envoy serves it: where to send, what, and how.
#[derive(Debug, Clone)]
pub struct Target {
    /// The case.
    pub case: Case,
    /// The listener's name in the bootstrap.
    pub listener: &'static str,
    /// The request.
    pub request: Request,
    /// The TLS client for an mTLS listener; `None` for plaintext.
    pub tls: Option<TlsClient>,
}

/// Instructions per request of every window, by case and config.
pub type Counts = BTreeMap<(Case, Config), Vec<f64>>;

/// Starts every config's bootstrap (`configs`: the config and its rendered
/// `envoy.yaml`) under callgrind, in `run_dir/callgrind-<slug>`, and counts every
/// target on every config that runs its case; prints progress as it goes.
pub fn measure(
    configs: &[(Config, String, PathBuf)],
    targets: &[Target],
    run_dir: &Path,
    settings: &Settings,
) -> Result<Counts> {
    let mut profiled = Vec::with_capacity(configs.len());
    // valgrind runs one thread at a time: two at once keep both cores busy.
    for pair in configs.chunks(2) {
        let names: Vec<&str> = pair.iter().map(|(_, name, _)| name.as_str()).collect();
        println!(
            "  starting {} under callgrind (a minute or two)",
            names.join(" and ")
        );
        let started: Vec<Result<(Config, String, Profiled)>> = thread::scope(|scope| {
            let handles: Vec<_> = pair
                .iter()
                .map(|(config, name, bootstrap)| {
                    let dir = run_dir.join(format!("callgrind-{}", slug(name)));
                    scope.spawn(move || {
                        meshborder_e2e::paths::fresh_dir(&dir)?;
                        Profiled::start(bootstrap, &dir).map(|p| (*config, name.clone(), p))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle.join().unwrap_or_else(|_| {
                        Err(HarnessError::Missing {
                            what: "a callgrind start-up thread's result".to_owned(),
                            hint: "it panicked; run again".to_owned(),
                        })
                    })
                })
                .collect()
        });
        for result in started {
            profiled.push(result?);
        }
    }
    let mut counts = Counts::new();
    for (config, name, envoy) in &mut profiled {
        for target in targets.iter().filter(|t| t.case.runs_on(*config)) {
            let addr = envoy.envoy().listener_addr(target.listener)?;
            let per_window = count(envoy, addr, target, settings)?;
            println!(
                "  {name}, {}: {} instructions a request",
                target.case.name(),
                per_window
                    .iter()
                    .map(|n| format!("{n:.0}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            counts.insert((target.case, *config), per_window);
        }
    }
    Ok(counts)
}

/// The windows of one target on one profiled Envoy, in instructions per request.
fn count(
    envoy: &mut Profiled,
    addr: SocketAddr,
    target: &Target,
    settings: &Settings,
) -> Result<Vec<f64>> {
    let mut connection = match &target.tls {
        Some(tls) => KeptAlive::connect_tls(addr, tls)?,
        None => KeptAlive::connect(addr, RESPONSE_TIMEOUT)?,
    };
    let mut send = |envoy: &Profiled, n: u32| -> Result<()> {
        for _ in 0..n {
            let response = connection.send(&target.request)?;
            if response.status >= 500 {
                return Err(envoy.envoy().error(&format!(
                    "{} answered {} under callgrind",
                    target.case.name(),
                    response.status
                )));
            }
        }
        Ok(())
    };
    send(envoy, settings.warm_up)?;
    let mut windows = Vec::new();
    for _ in 0..settings.windows {
        envoy.zero()?;
        send(envoy, settings.requests)?;
        let window = envoy.dump()?;
        #[expect(
            clippy::cast_precision_loss,
            reason = "instruction counts are far below 2^52"
        )]
        windows.push(window.busiest() as f64 / f64::from(settings.requests.max(1)));
    }
    Ok(windows)
}

/// The median instructions per request of `config` in `case`, if counted.
pub fn median(counts: &Counts, case: Case, config: Config) -> Option<f64> {
    counts
        .get(&(case, config))
        .map(|windows| rounds::median(windows.clone()))
}

/// The spread of the windows around their median, as a fraction of it.
pub fn spread(counts: &Counts, case: Case, config: Config) -> Option<f64> {
    let windows = counts.get(&(case, config))?;
    let middle = median(counts, case, config)?;
    let widest = windows
        .iter()
        .map(|n| (n - middle).abs())
        .fold(0.0, f64::max);
    (middle > 0.0).then(|| widest / middle)
}

/// The section: instructions per request of every config in every counted case,
/// then meshborder's overhead over the no-op against the floor's, in instructions.
pub fn section(out: &mut String, artifacts: &Artifacts, counts: &Counts) {
    out.push_str(
        "\n## Instructions per request\n\n\
         Counted by valgrind's callgrind, which simulates the CPU: the instructions Envoy's \
         worker thread executed per request (its own code, V8's and the filter's), over \
         windows of requests on one kept-alive connection, each config's Envoy started \
         under callgrind from the same bootstrap as its throughput runs. The figure does \
         not depend on the machine's load; *spread* is the widest window from the median. \
         The cases answered by `direct_response`: the proxied ones add the same work for \
         every config.\n\n",
    );
    if counts.is_empty() {
        out.push_str("Not counted in this run (`--no-instructions`).\n");
        return;
    }
    let lineup: Vec<Config> = artifacts
        .lineup()
        .into_iter()
        .filter(|config| counts.keys().any(|(_, counted)| counted == config))
        .collect();
    let cases: Vec<Case> = Case::all()
        .into_iter()
        .filter(|case| counts.keys().any(|(counted, _)| counted == case))
        .collect();
    let _ = write!(out, "| case |");
    for config in &lineup {
        let _ = write!(out, " {} |", config.name(artifacts));
    }
    let _ = write!(out, "\n| --- |");
    for _ in &lineup {
        out.push_str(" ---: |");
    }
    out.push('\n');
    for &case in &cases {
        let _ = write!(out, "| {} |", case.name());
        for &config in &lineup {
            match (median(counts, case, config), spread(counts, case, config)) {
                (Some(n), Some(spread)) => {
                    let _ = write!(out, " {} (±{:.1}%) |", thousands(n), spread * 100.0);
                }
                _ => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    let overheads = overheads(counts);
    if overheads.is_empty() {
        return;
    }
    out.push_str(
        "\nOver the no-op filter, in instructions per request, and meshborder's overhead \
         against the floor's (goal: at most 1.15×):\n\n\
         | case | meshborder | floor | × floor | |\n| --- | ---: | ---: | ---: | --- |\n",
    );
    for (case, meshborder, floor) in overheads {
        let ratio = floor::over_floor(meshborder, floor);
        let (shown, verdict) = match ratio {
            Some(ratio) => (format!("{ratio:.3}"), floor::verdict(ratio)),
            None => ("–".to_owned(), "not measurable (no floor overhead)"),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {shown} | {verdict} |",
            case.name(),
            signed(meshborder),
            signed(floor)
        );
    }
}

/// meshborder's and the floor's instructions per request over the no-op's, per
/// case counted for all three.
fn overheads(counts: &Counts) -> Vec<(Case, f64, f64)> {
    Case::all()
        .into_iter()
        .filter_map(|case| {
            let noop = median(counts, case, Config::Noop)?;
            let meshborder = median(counts, case, Config::Meshborder)?;
            let floor = median(counts, case, Config::Floor)?;
            Some((case, meshborder - noop, floor - noop))
        })
        .collect()
}

/// The goal's row of the budget table in instructions: the worst case.
pub fn budget_row(out: &mut String, counts: &Counts) {
    let goal = "the same, in instructions per request (callgrind, `direct_response` and inbound)";
    let worst = overheads(counts)
        .into_iter()
        .filter_map(|(case, meshborder, floor)| Some((case, floor::over_floor(meshborder, floor)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    match worst {
        Some((case, ratio)) => {
            let _ = writeln!(
                out,
                "| {goal} | {ratio:.3}× at most ({}) | {} |",
                case.name(),
                floor::verdict(ratio)
            );
        }
        None => {
            let _ = writeln!(out, "| {goal} | not counted in this run | |");
        }
    }
}

/// `12345.6` as `12,346`.
fn thousands(n: f64) -> String {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "instruction counts are positive and far below 2^63"
    )]
    let whole = n.round().max(0.0) as u64;
    report::thousands_u64(whole)
}

/// `+12,346` or `−1,200`.
fn signed(n: f64) -> String {
    if n < 0.0 {
        format!("−{}", thousands(-n))
    } else {
        format!("+{}", thousands(n))
    }
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::Mode;
    use meshborder_e2e::workload::RequestKind;

    #[test]
    fn the_spread_is_the_widest_window_from_the_median() {
        let case = Case::Outbound(Mode::Direct, RequestKind::TagOnly);
        let counts = Counts::from([((case, Config::Noop), vec![100.0, 101.0, 99.5])]);
        assert_eq!(median(&counts, case, Config::Noop), Some(100.0));
        assert_eq!(spread(&counts, case, Config::Noop), Some(0.01));
        assert_eq!(median(&counts, case, Config::Floor), None);
    }

    #[test]
    fn counts_are_written_with_thousands_separators_and_a_sign() {
        assert_eq!(thousands(149_100.4), "149,100");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(signed(15_700.0), "+15,700");
        assert_eq!(signed(-1_200.0), "−1,200");
    }

    #[test]
    fn the_overhead_is_counted_only_where_noop_floor_and_meshborder_all_ran() {
        let tag = Case::Outbound(Mode::Direct, RequestKind::TagOnly);
        let inbound = Case::InboundMetered;
        let counts = Counts::from([
            ((tag, Config::Noop), vec![100_000.0]),
            ((tag, Config::Floor), vec![110_000.0]),
            ((tag, Config::Meshborder), vec![111_000.0]),
            ((inbound, Config::Noop), vec![120_000.0]),
            ((inbound, Config::Meshborder), vec![140_000.0]),
        ]);
        assert_eq!(overheads(&counts), vec![(tag, 11_000.0, 10_000.0)]);
        let mut row = String::new();
        budget_row(&mut row, &counts);
        assert!(
            row.contains("1.100× at most (direct_response, tag-only)"),
            "{row}"
        );
        assert!(row.contains("| met |"), "{row}");
    }

    #[test]
    fn a_config_name_becomes_a_directory_name() {
        assert_eq!(slug("meshborder (no-clear)"), "meshborder--no-clear-");
    }
}
