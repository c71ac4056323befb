//! The deterministic figures: `.wasm` sizes, fuel per request at 10 to 10,000 rules
//! and hosts, and the guest's linear memory over a long run, all on the harness's
//! wasm host (`meshborder_e2e::fuel`).

use std::fs;
use std::path::Path;
use std::time::Instant;

use meshborder_e2e::HarnessError;
use meshborder_e2e::fuel::{self, MemoryRun};
use meshborder_e2e::workload::{RequestKind, Workload};

use crate::BenchResult;

/// The scales of the fuel table: rules and hosts alike.
pub const SCALES: [usize; 4] = [10, 100, 1_000, 10_000];
/// Requests before the memory is first read.
const MEMORY_WARM_UP: u64 = 10_000;

/// Fuel per request at one scale.
#[derive(Debug, Clone, Copy)]
pub struct FuelRow {
    /// Rules and hosts.
    pub scale: usize,
    /// Tag-only, denied and routed, in [`RequestKind::ALL`] order.
    pub kinds: [u64; 3],
    /// An inbound request from a trusted peer of another cluster, metered.
    pub inbound_metered: u64,
}

/// Everything this module measures.
#[derive(Debug, Clone)]
pub struct Cost {
    /// meshborder's `.wasm`, bytes.
    pub wasm_bytes: u64,
    /// The no-op filter's `.wasm`, bytes.
    pub noop_bytes: u64,
    /// The fuel table.
    pub fuel: Vec<FuelRow>,
    /// The long run.
    pub memory: MemoryRun,
    /// How long the long run took, seconds.
    pub memory_seconds: f64,
}

/// Measures it all; `memory_requests` is the length of the long run.
pub fn measure(meshborder: &Path, noop: &Path, memory_requests: u64) -> BenchResult<Cost> {
    let fuel = SCALES
        .iter()
        .map(|&scale| fuel_row(scale))
        .collect::<BenchResult<Vec<_>>>()?;
    println!("  fuel per request measured at {SCALES:?} rules and hosts");
    let started = Instant::now();
    let memory = fuel::memory_run(&Workload::BENCH, MEMORY_WARM_UP, memory_requests)?;
    let memory_seconds = started.elapsed().as_secs_f64();
    println!(
        "  linear memory: {} bytes after {} requests, {} bytes after {} more ({memory_seconds:.0}s)",
        memory.after_warm_up, memory.warm_up, memory.after, memory.requests
    );
    Ok(Cost {
        wasm_bytes: size(meshborder)?,
        noop_bytes: size(noop)?,
        fuel,
        memory,
        memory_seconds,
    })
}

fn fuel_row(scale: usize) -> BenchResult<FuelRow> {
    let workload = Workload::scaled(scale);
    let mut vm = fuel::start(&workload)?;
    let mut kinds = [0; 3];
    for (slot, kind) in kinds.iter_mut().zip(RequestKind::ALL) {
        *slot = fuel::request_fuel(&mut vm, &workload, kind)?.fuel;
    }
    let inbound_metered = fuel::inbound_metered_fuel(&mut vm, &workload)?.fuel;
    Ok(FuelRow {
        scale,
        kinds,
        inbound_metered,
    })
}

fn size(path: &Path) -> BenchResult<u64> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| HarnessError::io(format!("reading `{}`", path.display()), e).into())
}
