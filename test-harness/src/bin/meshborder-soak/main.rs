//! `meshborder-soak` (run by `make soak`): a bounded load with `oha` through the
//! mesh, us-east's outbound sidecar to eu-west's inbound sidecar over mTLS, while
//! eu-west's filter config is swapped every second, alternating a config the
//! filter refuses and one it accepts. Prints the run's figures and every check;
//! exits 0 when all pass, 1 when one fails, 2 when the soak could not run.
//!
//! The mesh's configs and logs, and oha's output, are kept in the run directory
//! (`target/meshborder-soak/` unless told otherwise).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use meshborder_harness::paths;
use meshborder_harness::soak::{self, SoakOptions};

/// Soak the mesh: load through us-east to eu-west while eu-west's filter config is
/// swapped every second, then check the books.
#[derive(Debug, Parser)]
#[command(name = "meshborder-soak", version)]
struct Cli {
    /// How long the load runs, in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(3..=3600))]
    seconds: u64,
    /// Requests per second, all connections together.
    #[arg(long, default_value_t = SoakOptions::DEFAULT_RATE)]
    rate: u32,
    /// Connections kept open at once.
    #[arg(long, default_value_t = SoakOptions::DEFAULT_CONNECTIONS)]
    connections: u32,
    /// Seconds of warm-up before memory is compared (default: a sixth of the run,
    /// at least 2).
    #[arg(long)]
    warmup: Option<u64>,
    /// Where the configs, logs and oha's output go (emptied first).
    #[arg(long, value_name = "DIR")]
    run_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let run_dir = cli
        .run_dir
        .unwrap_or_else(|| paths::workspace_root().join("target/meshborder-soak"));
    let mut options = SoakOptions::new(Duration::from_secs(cli.seconds), run_dir);
    options.load.rate = cli.rate;
    options.load.connections = cli.connections;
    if let Some(warmup) = cli.warmup {
        options.warmup = Duration::from_secs(warmup);
    }
    println!(
        "meshborder-soak: {} s of load, files in {}",
        cli.seconds,
        options.run_dir.display()
    );
    match soak::run(&options) {
        Ok(report) => {
            print!("{report}");
            if report.passed() {
                println!("soak passed");
                ExitCode::SUCCESS
            } else {
                println!("soak FAILED");
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("meshborder-soak: {e}");
            ExitCode::from(2)
        }
    }
}
