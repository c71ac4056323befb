//! A regression guard on the filter's host calls: for each request of the benchmark
//! workload (outbound tag-only, denied and routed, inbound metered over mTLS) and
//! each TCP connection of the bench's TCP config (allowed and metered, denied), the
//! calls the release filter makes into the host, by callback and by import, on the
//! wasm host. In Envoy each is a crossing out of the VM, the costliest thing the
//! filter does (`bench/analysis.md`), so the counts must equal
//! `bench/host-calls-baseline.json` exactly: a call added by accident fails, naming
//! the request, the callback and the import; a call saved fails too, asking for a
//! new baseline, so that the file stays true.
//!
//! After a deliberate change, record it with
//! `MESHBORDER_HOST_CALLS_RECORD=1 cargo test -p meshborder-e2e --test it perf::host_calls`
//! and commit it with the change that explains it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use meshborder_e2e::fuel::{self, RequestFuel, tcp};
use meshborder_e2e::paths;
use meshborder_e2e::workload::{RequestKind, Workload};
use serde_json::{Value, json};

use super::baseline;
use super::fuel_regression::{TestResult, not_the_shipped_build};

/// Set to record the baseline instead of checking it.
const RECORD_ENV: &str = "MESHBORDER_HOST_CALLS_RECORD";
/// The name of the inbound metered request.
pub const INBOUND_METERED: &str = "inbound-metered";

fn baseline_path() -> PathBuf {
    paths::workspace_root().join("bench/host-calls-baseline.json")
}

/// Host calls by request kind, then callback, then import.
type Counts = BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>;

/// What each HTTP request of the bench workload costs meshborder, by kind name.
pub fn meshborder_requests() -> TestResult<BTreeMap<String, RequestFuel>> {
    let workload = Workload::BENCH;
    let mut vm = fuel::start(&workload)?;
    let mut costs = BTreeMap::new();
    for kind in RequestKind::ALL {
        costs.insert(
            kind.name().to_owned(),
            fuel::request_fuel(&mut vm, &workload, kind)?,
        );
    }
    costs.insert(
        INBOUND_METERED.to_owned(),
        fuel::inbound_metered_fuel(&mut vm, &workload)?,
    );
    Ok(costs)
}

fn measure() -> TestResult<BTreeMap<String, RequestFuel>> {
    let mut costs = meshborder_requests()?;
    let mut vm = tcp::start()?;
    for kind in tcp::ConnectionKind::ALL {
        costs.insert(kind.name().to_owned(), tcp::connection_fuel(&mut vm, kind)?);
    }
    Ok(costs)
}

fn counts_of(costs: &BTreeMap<String, RequestFuel>) -> Counts {
    costs
        .iter()
        .map(|(kind, cost)| {
            let callbacks = cost
                .host_calls_by_callback
                .iter()
                .map(|(callback, imports)| {
                    let imports = imports
                        .iter()
                        .map(|(import, count)| (import.to_string(), *count))
                        .collect();
                    ((*callback).to_owned(), imports)
                })
                .collect();
            (kind.clone(), callbacks)
        })
        .collect()
}

/// Every difference between `measured` and `baseline`, one line each.
fn differences(measured: &Counts, baseline: &Counts) -> Vec<String> {
    let mut found = Vec::new();
    let kinds = measured.keys().chain(baseline.keys());
    let mut seen = Vec::new();
    for kind in kinds {
        if seen.contains(&kind) {
            continue;
        }
        seen.push(kind);
        let empty = BTreeMap::new();
        let mine = measured.get(kind).unwrap_or(&empty);
        let base = baseline.get(kind).unwrap_or(&empty);
        let mut rows: Vec<(&String, &String)> = mine
            .iter()
            .chain(base.iter())
            .flat_map(|(callback, imports)| imports.keys().map(move |import| (callback, import)))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        for (callback, import) in rows {
            let count = |counts: &BTreeMap<String, BTreeMap<String, u64>>| {
                counts
                    .get(callback)
                    .and_then(|imports| imports.get(import))
                    .copied()
                    .unwrap_or(0)
            };
            let (now, was) = (count(mine), count(base));
            if now > was {
                found.push(format!(
                    "{kind}: {callback} calls {import} {now} times, the baseline {was}: a host call was added"
                ));
            } else if now < was {
                found.push(format!(
                    "{kind}: {callback} calls {import} {now} times, the baseline {was}: fewer \
                     host calls, record the new baseline with {RECORD_ENV}=1"
                ));
            }
        }
    }
    found
}

fn to_json(counts: &Counts) -> Value {
    let kinds: serde_json::Map<String, Value> = counts
        .iter()
        .map(|(kind, callbacks)| {
            let total: u64 = callbacks
                .values()
                .flat_map(|imports| imports.values())
                .sum();
            (
                kind.clone(),
                json!({ "total": total, "callbacks": callbacks }),
            )
        })
        .collect();
    json!({
        "about": "host calls per request of the release filter on the harness's wasm host, by \
                  callback and import, after three requests like it; \
                  test-harness/e2e/tests/it/perf/host_calls.rs fails on any difference",
        "kinds": kinds,
    })
}

fn from_json(value: &Value) -> Counts {
    let kinds = value.get("kinds").and_then(Value::as_object);
    kinds
        .into_iter()
        .flatten()
        .map(|(kind, entry)| {
            let callbacks = entry.get("callbacks").and_then(Value::as_object);
            let callbacks = callbacks
                .into_iter()
                .flatten()
                .map(|(callback, imports)| {
                    let imports = imports
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter_map(|(import, count)| Some((import.clone(), count.as_u64()?)))
                        .collect();
                    (callback.clone(), imports)
                })
                .collect();
            (kind.clone(), callbacks)
        })
        .collect()
}

fn print(costs: &BTreeMap<String, RequestFuel>) {
    println!("host calls per request (bench workload; TCP: the bench's TCP config):");
    for (kind, cost) in costs {
        println!("  {kind}: {} host calls", cost.host_calls);
        for (callback, imports) in &cost.host_calls_by_callback {
            let calls: Vec<String> = imports
                .iter()
                .map(|(import, count)| format!("{import} {count}"))
                .collect();
            println!("    {callback}: {}", calls.join(", "));
        }
    }
}

#[test]
fn host_calls_per_request_equal_the_baseline_exactly() -> TestResult<()> {
    if let Some(problem) = not_the_shipped_build()? {
        panic!("{problem}");
    }
    let costs = measure()?;
    print(&costs);
    let measured = counts_of(&costs);
    let path = baseline_path();
    let Some(recorded) = baseline::record_or_read(&path, RECORD_ENV, &to_json(&measured))? else {
        return Ok(());
    };
    let baseline = from_json(&recorded);
    let found = differences(&measured, &baseline);
    assert!(
        found.is_empty(),
        "host calls per request differ from {}:\n  {}",
        path.display(),
        found.join("\n  ")
    );
    Ok(())
}

#[test]
fn an_added_or_a_saved_host_call_is_named_by_request_callback_and_import() {
    let counts = |log: u64| -> Counts {
        let imports = BTreeMap::from([
            ("proxy_get_header_map_pairs".to_owned(), 1),
            ("proxy_log".to_owned(), log),
        ]);
        BTreeMap::from([(
            "denied".to_owned(),
            BTreeMap::from([("proxy_on_request_headers".to_owned(), imports)]),
        )])
    };
    assert!(differences(&counts(1), &counts(1)).is_empty());
    let added = differences(&counts(2), &counts(1));
    assert_eq!(
        added,
        [
            "denied: proxy_on_request_headers calls proxy_log 2 times, the baseline 1: a host call was added"
        ]
    );
    let saved = differences(&counts(0), &counts(1));
    assert_eq!(saved.len(), 1);
    assert!(saved.iter().all(|line| line.contains(RECORD_ENV)));
    let round_trip = from_json(&to_json(&counts(1)));
    assert_eq!(round_trip, counts(1));
}
