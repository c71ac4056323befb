//! The checks a soak run must pass, each with the figures behind it, and the
//! figures printed before them.

use std::fmt;

use meshborder_filter::contract::metric;

use super::report::{Check, MemoryTrend, SoakReport};

const MIB: f64 = 1024.0 * 1024.0;

/// Every check of `report`, in the order printed.
pub(super) fn checks(report: &SoakReport) -> Vec<Check> {
    let load = &report.load;
    let books = &report.books;
    let (us, eu) = (&books.us_east, &books.eu_west);
    let answered = load.answered();
    let swaps = &report.swaps;
    let counted = books.counted.unwrap_or_default();
    let statuses_ok = load
        .statuses
        .keys()
        .all(|status| [200, 403].contains(status));
    let expected_swaps = (report.options.load.duration.as_millis()
        / report.options.swap_every.as_millis().max(1))
    .saturating_sub(1);
    vec![
        Check {
            name: "no request failed",
            passed: load.errors.is_empty()
                && statuses_ok
                && us.unexpected == 0
                && eu.unexpected == 0
                && books.eu_west_other_sources == 0
                && counted.unknown_sources == 0,
            detail: format!(
                "oha: {answered} answered, statuses {:?}, errors {:?}; access logs: \
                 {} unexpected at us-east {:?}, {} at eu-west {:?}, {} from another source; \
                 unknown sources counted {}",
                load.statuses,
                load.errors,
                us.unexpected,
                us.first_unexpected,
                eu.unexpected,
                eu.first_unexpected,
                books.eu_west_other_sources,
                counted.unknown_sources,
            ),
        },
        Check {
            name: "every request crossed, logged once on each side",
            passed: answered > 0 && us.total == answered && eu.total == answered,
            detail: format!(
                "oha {answered}, us-east access log {}, eu-west access log (from us-east) {}",
                us.total, eu.total
            ),
        },
        Check {
            name: "the only refusals are the residency denials, by count",
            passed: load.with_status(403) == us.denied
                && us.denied == eu.denied
                && eu.denied == counted.denials
                && load.with_status(200) == us.served
                && us.served == eu.served,
            detail: format!(
                "403: oha {}, us-east log {}, eu-west log {}, meshborder deny counter +{}; \
                 200: oha {}, us-east log {}, eu-west log {}",
                load.with_status(403),
                us.denied,
                eu.denied,
                counted.denials,
                load.with_status(200),
                us.served,
                eu.served,
            ),
        },
        Check {
            name: "eu-west's config was swapped on schedule",
            passed: swaps.good + swaps.bad >= usize::try_from(expected_swaps).unwrap_or(0),
            detail: format!(
                "{} swaps (expected at least {expected_swaps}), slowest verdict {:?}",
                swaps.good + swaps.bad,
                swaps.slowest
            ),
        },
        Check {
            name: "every bad config refused",
            passed: swaps.bad > 0
                && swaps.rejected == swaps.bad
                && swaps.refusals_logged == swaps.bad
                && swaps.envoy.rejected == u64::try_from(swaps.bad).unwrap_or(0),
            detail: format!(
                "{} bad: {} rejected, update_rejected +{}, {} with the filter's refusal logged",
                swaps.bad, swaps.rejected, swaps.envoy.rejected, swaps.refusals_logged
            ),
        },
        Check {
            name: "every good config accepted",
            passed: swaps.good > 0
                && swaps.accepted == swaps.good
                && swaps.envoy.accepted == u64::try_from(swaps.good).unwrap_or(0),
            detail: format!(
                "{} good: {} accepted, update_success +{}, serving version {}",
                swaps.good, swaps.accepted, swaps.envoy.accepted, swaps.envoy.version
            ),
        },
        Check {
            name: "meshborder_xcluster_bytes_total equals eu-west's access log",
            passed: books.counted.is_some()
                && counted.request_bytes == eu.request_bytes
                && counted.response_bytes == eu.response_bytes
                && counted.requests == eu.total,
            detail: format!(
                "request {} = {} logged, response {} = {} logged, requests {} = {} logged",
                counted.request_bytes,
                eu.request_bytes,
                counted.response_bytes,
                eu.response_bytes,
                counted.requests,
                eu.total
            ),
        },
        Check {
            name: "no counter fell at a swap",
            passed: !report.counter_fell && books.counted.is_some(),
            detail: "eu-west's counters read at every tick, before its swap".to_owned(),
        },
        memory_check(
            "eu-west's memory flat after warm-up",
            report,
            report.eu_west_memory,
        ),
        memory_check(
            "us-east's memory flat after warm-up",
            report,
            report.us_east_memory,
        ),
    ]
}

fn memory_check(name: &'static str, report: &SoakReport, trend: Option<MemoryTrend>) -> Check {
    let tolerance = report.tolerance;
    let limits = format!(
        "tolerance: resident set +{}%, tcmalloc allocated +{}%, wasm linear memory +{} page(s) \
         of 64 KiB per VM",
        tolerance.rss_percent, tolerance.allocated_percent, tolerance.wasm_pages_per_vm
    );
    match trend {
        None => Check {
            name,
            passed: false,
            detail: format!("no sample after the warm-up of {:?}", report.options.warmup),
        },
        Some(trend) => Check {
            name,
            passed: trend.is_flat(tolerance),
            detail: format!("{}; {limits}", describe(&trend)),
        },
    }
}

/// One Envoy's memory trend, as the report prints it.
pub(super) fn describe(trend: &MemoryTrend) -> String {
    let mib = |bytes: u64| format!("{:.2} MiB", bytes as f64 / MIB);
    format!(
        "resident {} -> {} (peak {}), tcmalloc allocated {} -> {} (peak {}), \
         wasm {} VM(s) of {} linear memory -> {} VM(s) of {} (peak {}, Envoy counts {} VMs), \
         {} samples",
        mib(trend.warm.rss),
        mib(trend.end.rss),
        mib(trend.peak_rss),
        mib(trend.warm.allocated),
        mib(trend.end.allocated),
        mib(trend.peak_allocated),
        trend.warm.wasm.vms,
        mib(trend.warm.wasm.size),
        trend.end.wasm.vms,
        mib(trend.end.wasm.size),
        mib(trend.peak_wasm),
        trend.end.active_vms,
        trend.samples,
    )
}

/// The run's figures, one line each.
pub(super) fn figures(report: &SoakReport, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let options = &report.options;
    let load = &report.load;
    let swaps = &report.swaps;
    let eu = &report.books.eu_west;
    let counted = report.books.counted.unwrap_or_default();
    writeln!(
        f,
        "soak: {:?} at up to {} req/s over {} connections to us-east, eu-west's filter config \
         swapped every {:?}, memory compared after {:?}",
        options.load.duration,
        options.load.rate,
        options.load.connections,
        options.swap_every,
        options.warmup
    )?;
    writeln!(
        f,
        "requests  {} in {:.1} s ({:.0} req/s): {} served (200), {} denied (403), {} errors",
        load.answered(),
        load.seconds,
        load.requests_per_sec,
        load.with_status(200),
        load.with_status(403),
        load.errors.values().sum::<u64>()
    )?;
    writeln!(
        f,
        "denials   {} ({} deny +{})",
        eu.denied,
        metric::RESIDENCY_DECISIONS.prometheus,
        counted.denials
    )?;
    writeln!(
        f,
        "swaps     {} good: {} accepted; {} bad: {} refused (update_rejected +{}); slowest \
         verdict {:?}",
        swaps.good, swaps.accepted, swaps.bad, swaps.rejected, swaps.envoy.rejected, swaps.slowest
    )?;
    writeln!(
        f,
        "bytes     request {} counted, {} logged; response {} counted, {} logged",
        counted.request_bytes, eu.request_bytes, counted.response_bytes, eu.response_bytes
    )?;
    for (name, trend) in [
        ("eu-west", report.eu_west_memory),
        ("us-east", report.us_east_memory),
    ] {
        let text = trend.map_or_else(|| "no sample after warm-up".to_owned(), |t| describe(&t));
        writeln!(f, "memory    {name}: {text}")?;
    }
    Ok(())
}
