//! A regression guard on the filter's cost: fuel per request (wasm instructions, on
//! the wasm host, free of machine noise) for the tag-only, denied and routed requests
//! of the benchmark workload and an inbound metered request, at 10, 100, 1,000 and
//! 10,000 rules and hosts. It fails when a figure grows more than 10% over the
//! baseline recorded in `bench/fuel-baseline.json`. It prints the host calls of each
//! request beside its fuel, in all and by import, for reading with `--nocapture`;
//! they have no baseline.
//!
//! After a deliberate change in cost, record a new baseline with
//! `MESHBORDER_FUEL_RECORD=1 cargo test -p meshborder-e2e --test it perf::fuel_regression`
//! and commit it with the change that explains it.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::PathBuf;

use meshborder_e2e::fuel::{self, RequestFuel};
use meshborder_e2e::paths;
use meshborder_e2e::workload::{RequestKind, Workload};
use serde_json::{Value, json};

use super::baseline;

/// The scales measured: rules and hosts alike.
const SCALES: [usize; 4] = [10, 100, 1_000, 10_000];
/// How much a figure may grow over its baseline.
const TOLERANCE: f64 = 0.10;
/// Set to record the baseline instead of checking it.
const RECORD_ENV: &str = "MESHBORDER_FUEL_RECORD";
/// The name of the inbound metered request in the baseline.
const INBOUND_METERED: &str = "inbound-metered";

fn baseline_path() -> PathBuf {
    paths::workspace_root().join("bench/fuel-baseline.json")
}

/// Fuel per request, by scale, then by request name.
type Figures = BTreeMap<usize, BTreeMap<String, u64>>;

/// What each request cost, by scale, then by request name.
type Measured = BTreeMap<usize, BTreeMap<String, RequestFuel>>;

/// A test's result: wasm host, file and JSON errors alike.
pub type TestResult<T> = Result<T, Box<dyn Error>>;

fn measure() -> TestResult<Measured> {
    let mut measured = Measured::new();
    for scale in SCALES {
        let workload = Workload::scaled(scale);
        let mut vm = fuel::start(&workload)?;
        let mut row = BTreeMap::new();
        for kind in RequestKind::ALL {
            let cost = fuel::request_fuel(&mut vm, &workload, kind)?;
            assert_eq!(
                cost.replied,
                kind == RequestKind::Denied,
                "{} at {scale}: the filter replied {}",
                kind.name(),
                cost.replied
            );
            row.insert(kind.name().to_owned(), cost);
        }
        row.insert(
            INBOUND_METERED.to_owned(),
            fuel::inbound_metered_fuel(&mut vm, &workload)?,
        );
        measured.insert(scale, row);
    }
    Ok(measured)
}

/// The fuel of each request measured, the figures the baseline keeps.
fn fuel_of(measured: &Measured) -> Figures {
    measured
        .iter()
        .map(|(scale, row)| {
            let fuel = row
                .iter()
                .map(|(name, cost)| (name.clone(), cost.fuel))
                .collect();
            (*scale, fuel)
        })
        .collect()
}

fn print(measured: &Measured) {
    println!("fuel and host calls per request (rules = hosts):");
    for (scale, row) in measured {
        let cells: Vec<String> = row
            .iter()
            .map(|(name, cost)| format!("{name} {} ({} host calls)", cost.fuel, cost.host_calls))
            .collect();
        println!("  {scale:>6}: {}", cells.join(", "));
        for (name, cost) in row {
            let calls: Vec<String> = cost
                .host_calls_by_import
                .iter()
                .map(|(import, count)| format!("{import} {count}"))
                .collect();
            println!("          host calls of {name}: {}", calls.join(", "));
        }
    }
}

fn to_json(figures: &Figures) -> Value {
    let requests: serde_json::Map<String, Value> = figures
        .iter()
        .map(|(scale, row)| (scale.to_string(), json!(row)))
        .collect();
    json!({
        "about": "fuel per request of the release filter on the harness's wasm host; \
                  test-harness/e2e/tests/it/perf/fuel_regression.rs fails when one grows more than 10%",
        "requests": requests,
    })
}

fn from_json(value: &Value) -> Figures {
    let mut figures = Figures::new();
    let requests = value.get("requests").and_then(Value::as_object);
    for (scale, row) in requests.into_iter().flatten() {
        let Ok(scale) = scale.parse::<usize>() else {
            continue;
        };
        let row = row
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, fuel)| Some((name.clone(), fuel.as_u64()?)))
            .collect();
        figures.insert(scale, row);
    }
    figures
}

/// Callbacks the filter does not use, which `make build` drops from the `.wasm`.
const DROPPED: [&str; 3] = [
    "proxy_on_response_headers",
    "proxy_on_done",
    "proxy_on_request_body",
];

/// The baseline is of the `.wasm` that `make build` ships, optimised by wasm-opt;
/// a plain `cargo build` gives another (larger, slower) one. Why this one is not
/// that, if it is not.
pub fn not_the_shipped_build() -> TestResult<Option<String>> {
    let filter = meshborder_e2e::host::release_filter()?;
    let path = filter.origin();
    let kept: Vec<&str> = filter
        .exports()
        .into_iter()
        .filter(|name| DROPPED.contains(name))
        .collect();
    Ok((!kept.is_empty()).then(|| {
        format!(
            "{} exports {kept:?}: it is cargo's build, not the one `make build` ships \
             (optimised by wasm-opt); run `make build`",
            path.display()
        )
    }))
}

#[test]
fn fuel_per_request_stays_within_ten_percent_of_the_baseline() -> TestResult<()> {
    if let Some(problem) = not_the_shipped_build()? {
        panic!("{problem}");
    }
    let costs = measure()?;
    print(&costs);
    let measured = fuel_of(&costs);
    let path = baseline_path();
    let Some(recorded) = baseline::record_or_read(&path, RECORD_ENV, &to_json(&measured))? else {
        return Ok(());
    };
    let baseline = from_json(&recorded);
    let mut grown = Vec::new();
    for (scale, row) in &measured {
        for (name, fuel) in row {
            let Some(base) = baseline.get(scale).and_then(|b| b.get(name)) else {
                grown.push(format!(
                    "{name} at {scale}: no baseline (record one with {RECORD_ENV}=1)"
                ));
                continue;
            };
            #[expect(
                clippy::cast_precision_loss,
                reason = "fuel figures are far below 2^52"
            )]
            let ratio = *fuel as f64 / *base as f64;
            if ratio > 1.0 + TOLERANCE {
                grown.push(format!(
                    "{name} at {scale} rules: {fuel} fuel, {:.1}% over the baseline {base}",
                    (ratio - 1.0) * 100.0
                ));
            } else if ratio < 1.0 - TOLERANCE {
                println!(
                    "note: {name} at {scale} rules is {:.1}% under the baseline; record a new one",
                    (1.0 - ratio) * 100.0
                );
            }
        }
    }
    assert!(
        grown.is_empty(),
        "fuel per request grew:\n  {}",
        grown.join("\n  ")
    );
    Ok(())
}
