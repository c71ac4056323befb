//! `meshborder-bench` (run by `make bench`): measures meshborder against bare Envoy,
//! a no-op wasm filter and an equivalent Lua filter, and writes BENCHMARKS.md.
//!
//! 1. The deterministic figures, on the harness's wasm host: `.wasm` sizes, fuel
//!    per request at 10 to 10,000 rules and hosts, and the linear memory over a
//!    long run (1,000,000 requests by default).
//! 2. Throughput and latency in Envoy 1.40: one Envoy per config, one worker pinned
//!    to one core, wrk pinned to the other, on 127.0.0.1 only; every case (answered
//!    by `direct_response` or proxied to a loopback upstream, times the tag-only,
//!    denied and routed requests) in interleaved rounds.
//!
//! It takes a few minutes. Nothing else heavy should run meanwhile: the load
//! average before and after is written down with the figures.

mod configs;
mod cost;
mod load;
mod report;
mod rounds;
mod upstream;

use std::error::Error;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use meshborder_e2e::machine;
use meshborder_e2e::workload::Workload;
use meshborder_e2e::{HarnessError, paths};

use crate::configs::Artifacts;
use crate::load::LoadSettings;
use crate::report::RunShape;

/// The bench's result: harness and wasm host errors alike.
pub type BenchResult<T> = Result<T, Box<dyn Error>>;

/// Measure meshborder against bare Envoy, a no-op wasm filter and a Lua filter,
/// and write BENCHMARKS.md.
#[derive(Debug, Parser)]
#[command(name = "meshborder-bench")]
struct Cli {
    /// Counted rounds of throughput runs.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds per throughput run.
    #[arg(long, default_value_t = 2)]
    seconds: u32,
    /// Seconds per run of the uncounted warm-up round.
    #[arg(long, default_value_t = 1)]
    warm_up_seconds: u32,
    /// Keep-alive connections of the load generator.
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Requests of the linear-memory run on the wasm host.
    #[arg(long, default_value_t = 1_000_000)]
    memory_requests: u64,
    /// The core Envoy runs on.
    #[arg(long, default_value_t = 0)]
    envoy_core: usize,
    /// The core the load generator and the upstream run on.
    #[arg(long, default_value_t = 1)]
    load_core: usize,
    /// Where to write the report.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// The no-op filter (default: its release build in target/).
    #[arg(long, value_name = "FILE")]
    noop_wasm: Option<PathBuf>,
    /// Another build of meshborder to run in the same rounds, as NAME=FILE
    /// (repeatable): how a change to the filter is measured against the shipped one.
    #[arg(long, value_name = "NAME=FILE", value_parser = parse_variant)]
    variant: Vec<(String, PathBuf)>,
    /// Run only these of the four configs (comma-separated: bare, noop, meshborder,
    /// lua), for a quick comparison; BENCHMARKS.md wants all four.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip checking that every config answers as it should before measuring: for
    /// variants that leave out part of the filter's work on purpose, to measure it.
    #[arg(long)]
    skip_check: bool,
}

fn parse_variant(text: &str) -> Result<(String, PathBuf), String> {
    let (name, file) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected NAME=FILE"))?;
    Ok((name.to_owned(), PathBuf::from(file)))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meshborder-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> BenchResult<()> {
    let (generator, generator_version) = load::Generator::find()?;
    let machine = machine::Machine::read(generator_version)?;
    let artifacts = Artifacts {
        meshborder: paths::filter_wasm()?,
        noop: cli.noop_wasm.clone().unwrap_or_else(paths::noop_wasm_path),
        variants: cli.variant.clone(),
        only: cli.only.clone(),
    };
    if !artifacts.noop.is_file() {
        return Err(HarnessError::Missing {
            what: format!("the no-op filter at `{}`", artifacts.noop.display()),
            hint: "run `make bench`, which builds it".to_owned(),
        }
        .into());
    }
    println!(
        "meshborder-bench: {} cores, load average {}",
        machine.cores, machine.load_before
    );

    println!("deterministic cost, on the wasm host:");
    let cost = cost::measure(&artifacts.meshborder, &artifacts.noop, cli.memory_requests)?;

    println!("throughput, in Envoy:");
    machine::pin(std::process::id(), cli.load_core)?;
    let upstream = upstream::start()?;
    let run_dir = paths::run_dir("bench")?;
    let workload = Workload::BENCH;
    let envoys = configs::start_all(&artifacts, &workload, upstream, &run_dir, cli.envoy_core)?;
    if !cli.skip_check {
        rounds::check(&envoys, &workload, &artifacts)?;
    }
    let settings = |seconds| LoadSettings {
        generator: generator.clone(),
        seconds,
        connections: cli.connections,
        core: cli.load_core,
    };
    let samples = rounds::run(
        &envoys,
        &workload,
        &settings(cli.seconds),
        &settings(cli.warm_up_seconds),
        cli.rounds,
    )?;
    drop(envoys);
    let load_after = machine::load_average();

    let shape = RunShape {
        rounds: cli.rounds,
        seconds: cli.seconds,
        warm_up_seconds: cli.warm_up_seconds,
        connections: cli.connections,
        envoy_core: cli.envoy_core,
        load_core: cli.load_core,
    };
    let analysis =
        fs::read_to_string(paths::workspace_root().join("bench/analysis.md")).unwrap_or_default();
    let text = report::render(
        &machine,
        &shape,
        &artifacts,
        &cost,
        &samples,
        &analysis,
        &load_after,
    );
    fs::write(&cli.out, &text)
        .map_err(|e| HarnessError::io(format!("writing `{}`", cli.out.display()), e))?;
    println!("wrote {}", cli.out.display());
    Ok(())
}
