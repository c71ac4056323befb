//! The report's comparison with the floor filter (`bench/floor-filter`, only the
//! host calls meshborder cannot avoid): per case, the outbound ones and the inbound
//! metered one, meshborder's overhead over the no-op filter divided by the floor's,
//! in Envoy's CPU time per request, which machine noise disturbs less than requests
//! per second. The goal is 1.15× at most.

use std::fmt::Write as _;

use crate::cases::Case;
use crate::configs::{Artifacts, Config};
use crate::report::medians;
use crate::rounds::Samples;

/// The goal of issue 16: meshborder's overhead at most this many times the floor's.
pub const MAX_VS_FLOOR: f64 = 1.15;

/// meshborder's and the floor's CPU per request over the no-op's, in µs, per case.
fn overheads(samples: &Samples) -> Vec<(String, f64, f64)> {
    Case::all()
        .into_iter()
        .map(|case| {
            let cpu = |config| medians(samples, case, config).cpu_us;
            let noop = cpu(Config::Noop);
            (
                case.name(),
                cpu(Config::Meshborder) - noop,
                cpu(Config::Floor) - noop,
            )
        })
        .collect()
}

/// The ratio, when the floor's overhead is one to divide by.
pub fn over_floor(meshborder: f64, floor: f64) -> Option<f64> {
    (floor > 0.0).then(|| meshborder / floor)
}

fn runs_all(artifacts: &Artifacts) -> bool {
    let lineup = artifacts.lineup();
    [Config::Noop, Config::Floor, Config::Meshborder]
        .iter()
        .all(|config| lineup.contains(config))
}

/// The section: one row per case.
pub fn section(out: &mut String, artifacts: &Artifacts, samples: &Samples) {
    out.push_str(
        "\n## Against the floor\n\n\
         *Overhead* is Envoy's CPU time per request over the no-op filter's (median of the \
         rounds). The floor filter (`bench/floor-filter`) makes only the host calls meshborder \
         cannot avoid for the request, and nothing else; its `//!` header lists them and the \
         calls meshborder makes beyond them. Goal: meshborder's overhead at most \
         1.15× the floor's. The inbound metered request arrives over mTLS through the front \
         Envoy ([above](#inbound-over-mtls-metered)); there meshborder runs with \
         `direction: inbound` and the floor with its inbound config, and both meter it in \
         `on_log`. On the wasm host, `test-harness/e2e/tests/it/perf/floor.rs` compares the \
         host calls of every case.\n\n",
    );
    if !runs_all(artifacts) {
        out.push_str("Not measured in this run (it needs the no-op, the floor and meshborder).\n");
        return;
    }
    out.push_str(
        "| case | meshborder overhead | floor overhead | × floor | |\n\
         | --- | ---: | ---: | ---: | --- |\n",
    );
    for (case, meshborder, floor) in overheads(samples) {
        let (ratio, verdict) = match over_floor(meshborder, floor) {
            Some(ratio) => (format!("{ratio:.2}"), verdict(ratio)),
            None => ("–".to_owned(), "not measurable (no floor overhead)"),
        };
        let _ = writeln!(
            out,
            "| {case} | {meshborder:.1} µs | {floor:.1} µs | {ratio} | {verdict} |"
        );
    }
}

/// The goal's row of the budget table: the worst case.
pub fn budget_row(out: &mut String, artifacts: &Artifacts, samples: &Samples) {
    let goal = format!("meshborder's overhead over the no-op ≤ {MAX_VS_FLOOR}× the floor's");
    if !runs_all(artifacts) {
        let _ = writeln!(out, "| {goal} | not measured in this run | |");
        return;
    }
    let ratios: Vec<(String, Option<f64>)> = overheads(samples)
        .into_iter()
        .map(|(case, meshborder, floor)| (case, over_floor(meshborder, floor)))
        .collect();
    let worst = ratios
        .iter()
        .filter_map(|(case, ratio)| Some((case, (*ratio)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let unmeasurable = ratios.iter().filter(|(_, ratio)| ratio.is_none()).count();
    // A case the floor has no overhead in (a denial answered before the upstream,
    // against a no-op that forwards) has nothing to divide by; the others decide.
    let unmeasured = match unmeasurable {
        0 => String::new(),
        n => format!("; {n} case(s) without a floor overhead to divide by"),
    };
    match worst {
        Some((case, ratio)) => {
            let _ = writeln!(
                out,
                "| {goal} | {ratio:.2}× at most ({case}){unmeasured} | {} |",
                verdict(ratio)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "| {goal} | {unmeasurable} case(s) without a floor overhead to divide by | **missed** |"
            );
        }
    }
}

pub fn verdict(ratio: f64) -> &'static str {
    if ratio <= MAX_VS_FLOOR {
        "met"
    } else {
        "**missed**"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_without_overhead_gives_no_ratio() {
        assert_eq!(over_floor(2.0, 0.0), None);
        assert_eq!(over_floor(2.3, 2.0), Some(1.15));
        assert_eq!(verdict(1.15), "met");
        assert_eq!(verdict(1.16), "**missed**");
    }
}
