//! The filter allocates nothing that outlives a request: after a warm-up, the
//! guest's linear memory does not grow over 20,000 more requests of the benchmark
//! workload (tag-only, denied and routed in turn). `make bench` runs the same check
//! over 1,000,000 requests and reports it in BENCHMARKS.md.

use meshborder_e2e::fuel;
use meshborder_e2e::workload::Workload;
use proxy_wasm_host::HostResult;

/// Requests before the first reading: enough for every table to reach its size.
const WARM_UP: u64 = 3_000;
/// Requests after it.
const REQUESTS: u64 = 20_000;

#[test]
fn linear_memory_does_not_grow_after_warm_up() -> HostResult<()> {
    let run = fuel::memory_run(&Workload::BENCH, WARM_UP, REQUESTS)?;
    println!(
        "linear memory: {} bytes after {} requests, {} bytes after {} more (peak {})",
        run.after_warm_up, run.warm_up, run.after, run.requests, run.peak
    );
    assert_eq!(
        run.peak, run.after_warm_up,
        "linear memory grew after warm-up: {run:?}"
    );
    Ok(())
}
