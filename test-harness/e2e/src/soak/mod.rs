//! The soak: a bounded load through the mesh (us-east's outbound sidecar, mTLS,
//! eu-west's inbound sidecar) while eu-west's filter config is swapped every
//! second, alternating a config the filter refuses and one it accepts. Afterwards
//! the books must balance exactly:
//!
//! - no request failed: every answer is a 200, or a 403 for EU user data, and the
//!   403s are as many as eu-west's residency denials;
//! - every bad config was refused (Envoy's `update_rejected`, and the filter's
//!   `meshborder configuration refused:` line for each), every good one accepted;
//! - `meshborder_xcluster_bytes_total` equals the bytes of eu-west's access log,
//!   request and response, and no counter fell at a swap;
//! - Envoy's memory and its wasm VMs' linear memory stay flat after warm-up.
//!
//! [`TcpPhase`] is the same for L4: long-lived PostgreSQL connections through the
//! TCP pair, their counters against tcp_proxy's access log, and memory.
//!
//! [`run`] does it and returns a [`SoakReport`] with the figures and each check;
//! the `meshborder-soak` binary (`make soak`) and a short test both use it.

mod books;
mod configs;
mod load;
mod memory;
mod report;
mod run;
mod tcp_phase;
mod verdict;

use std::path::PathBuf;
use std::time::Duration;

pub use books::{Counters, Tally};
pub use configs::{PlannedSwap, SwapKind, SwapPlan};
pub use load::{LoadShape, LoadSummary, OHA_ENV, oha_binary};
pub use memory::{MemorySample, WasmMemory};
pub use report::{Check, MemoryTrend, SoakReport, SwapTally, Tolerance};
pub use run::run;
pub use tcp_phase::TcpPhase;

/// How to soak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoakOptions {
    /// The load: how long, how fast, how many connections.
    pub load: LoadShape,
    /// Memory is compared from the first sample after this much of the run.
    pub warmup: Duration,
    /// How often eu-west's filter config is swapped.
    pub swap_every: Duration,
    /// Where the mesh's configs, logs and oha's output go.
    pub run_dir: PathBuf,
}

impl SoakOptions {
    /// Requests per second, all connections together, unless told otherwise.
    pub const DEFAULT_RATE: u32 = 2000;
    /// Connections, unless told otherwise.
    pub const DEFAULT_CONNECTIONS: u32 = 8;

    /// A soak of `duration` in `run_dir` at the default rate and connections, with
    /// a swap every second and a warm-up of a sixth of the run (at least 2 s).
    pub fn new(duration: Duration, run_dir: PathBuf) -> Self {
        Self {
            load: LoadShape {
                duration,
                rate: Self::DEFAULT_RATE,
                connections: Self::DEFAULT_CONNECTIONS,
            },
            warmup: (duration / 6).max(Duration::from_secs(2)),
            swap_every: Duration::from_secs(1),
            run_dir,
        }
    }
}
