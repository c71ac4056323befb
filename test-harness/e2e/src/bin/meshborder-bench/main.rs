//! `meshborder-bench` (run by `make bench`): measures meshborder against bare Envoy,
//! a no-op wasm filter, the floor filter (only the host calls meshborder cannot
//! avoid) and an equivalent Lua filter, as HTTP filters, and against bare Envoy and
//! the no-op as network filters; writes BENCHMARKS.md.
//!
//! 1. The deterministic figures, on the harness's wasm host: `.wasm` sizes, fuel
//!    per request at 10 to 10,000 rules and hosts, and the linear memory over a
//!    long run (1,000,000 requests by default).
//! 2. Throughput and latency in Envoy 1.40: one Envoy per config, one worker pinned
//!    to one core, wrk pinned to the other, on 127.0.0.1 only; every case (answered
//!    by `direct_response` or proxied to a loopback upstream, times the tag-only,
//!    denied and routed requests on outbound listeners; and the inbound metered
//!    request over mTLS, through a front Envoy on wrk's core, to an inbound
//!    listener) in interleaved rounds.
//! 3. TCP throughput in Envoy 1.40: the same pinning, one Envoy per TCP config
//!    (bare, no-op, meshborder with a `tcp` config), a bulk transfer of
//!    `--tcp-bytes` each way through `tcp_proxy` per run, in interleaved rounds.
//!    `--tcp-only` runs this part alone and prints its figures.
//!
//! It takes a few minutes. Nothing else heavy should run meanwhile: the load
//! average before and after is written down with the figures.

mod cases;
mod configs;
mod cost;
mod floor;
mod front;
mod inbound;
mod instructions;
mod load;
mod report;
mod rounds;
mod upstream;

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use meshborder_e2e::machine;
use meshborder_e2e::workload::Workload;
use meshborder_e2e::{HarnessError, paths};

use meshborder_e2e::certs::{ClientCert, TestPki};
use meshborder_e2e::tls::TlsClient;

use crate::cases::{Case, Mode};
use crate::configs::Artifacts;
use crate::load::LoadSettings;
use crate::report::{Figures, RunShape};

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
    /// Run only these of the five configs (comma-separated: bare, noop, floor,
    /// meshborder, lua), for a quick comparison; BENCHMARKS.md wants all five. The TCP runs
    /// take the same list (Lua has no TCP config, nor an inbound one).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip checking that every config answers as it should before measuring: for
    /// variants that leave out part of the filter's work on purpose, to measure it.
    #[arg(long)]
    skip_check: bool,
    /// Bytes per TCP transfer, a number with an optional K, M or G (powers of 1024).
    #[arg(long, default_value = "1G", value_parser = parse_bytes)]
    tcp_bytes: u64,
    /// Run only the TCP transfers and print their figures instead of writing the
    /// report: a quick check of the TCP part.
    #[arg(long)]
    tcp_only: bool,
    /// Requests per callgrind window (the instruction counts; see `instructions.rs`).
    #[arg(long, default_value_t = 100)]
    instruction_requests: u32,
    /// Counted callgrind windows per case and config.
    #[arg(long, default_value_t = 3)]
    instruction_windows: u32,
    /// Requests per case before the first callgrind window.
    #[arg(long, default_value_t = 100)]
    instruction_warm_up: u32,
    /// Leave out the instruction counts (they take about ten minutes).
    #[arg(long)]
    no_instructions: bool,
    /// Run only the instruction counts and print them instead of writing the
    /// report: how a variant is measured against the shipped build in instructions.
    #[arg(long)]
    instructions_only: bool,
}

/// `1073741824`, `1024M` or `1G` as a byte count.
fn parse_bytes(text: &str) -> Result<u64, String> {
    let (number, scale) = match text.trim().char_indices().last() {
        Some((at, unit)) if unit.is_ascii_alphabetic() => {
            let scale: u64 = match unit.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                _ => return Err(format!("`{text}`: the unit is K, M or G")),
            };
            (text.trim().get(..at).unwrap_or_default(), scale)
        }
        _ => (text.trim(), 1),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{text}`: expected a byte count such as 1073741824 or 1G"))
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
    let artifacts = Artifacts {
        meshborder: paths::filter_wasm()?,
        noop: cli.noop_wasm.clone().unwrap_or_else(paths::noop_wasm_path),
        floor: paths::floor_wasm_path(),
        variants: cli.variant.clone(),
        only: cli.only.clone(),
    };
    for (what, path) in [("no-op", &artifacts.noop), ("floor", &artifacts.floor)] {
        if !path.is_file() {
            return Err(HarnessError::Missing {
                what: format!("the {what} filter at `{}`", path.display()),
                hint: "run `make bench`, which builds it".to_owned(),
            }
            .into());
        }
    }
    let shape = RunShape {
        rounds: cli.rounds,
        seconds: cli.seconds,
        warm_up_seconds: cli.warm_up_seconds,
        connections: cli.connections,
        envoy_core: cli.envoy_core,
        load_core: cli.load_core,
        tcp_bytes: cli.tcp_bytes,
        tcp_warm_up_bytes: (cli.tcp_bytes / 4).max(1),
    };
    if cli.tcp_only {
        println!(
            "meshborder-bench: TCP only, load average {}",
            machine::load_average()
        );
        machine::pin(std::process::id(), cli.load_core)?;
        let run_dir = paths::run_dir("bench")?;
        let tcp = tcp_rounds(cli, &shape, &artifacts, &run_dir)?;
        println!("{}", report::render_tcp(&shape, &artifacts, &tcp));
        println!("load average after: {}", machine::load_average());
        return Ok(());
    }
    if cli.instructions_only {
        println!(
            "meshborder-bench: instruction counts only, load average {}",
            machine::load_average()
        );
        let run_dir = paths::run_dir("bench")?;
        let workload = Workload::BENCH;
        let upstream = upstream::start()?;
        let pki = TestPki::generate(&run_dir.join("certs"))?;
        configs::render_all(&artifacts, &workload, upstream, &pki, &run_dir)?;
        let counts = count_instructions(cli, &artifacts, &workload, &pki, &run_dir)?;
        let mut text = String::new();
        instructions::section(&mut text, &artifacts, &counts);
        println!("{text}");
        return Ok(());
    }
    let (generator, generator_version) = load::Generator::find()?;
    let machine = machine::Machine::read(generator_version)?;
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
    let pki = TestPki::generate(&run_dir.join("certs"))?;
    let envoys = configs::start_all(
        &artifacts,
        &workload,
        upstream,
        &pki,
        &run_dir,
        (cli.envoy_core, cli.load_core),
    )?;
    let fronts = envoys
        .iter()
        .filter(|running| running.front.is_some())
        .count();
    println!(
        "  {} Envoys started on core {}, and {fronts} front Envoys on core {} for the inbound case",
        envoys.len(),
        cli.envoy_core,
        cli.load_core
    );
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

    println!("TCP throughput, in Envoy:");
    let tcp = tcp_rounds(cli, &shape, &artifacts, &run_dir)?;
    let load_after = machine::load_average();

    let counts = if cli.no_instructions {
        instructions::Counts::new()
    } else {
        // Under callgrind, on every core: the counts do not depend on the clock.
        machine::unpin(std::process::id())?;
        count_instructions(cli, &artifacts, &workload, &pki, &run_dir)?
    };

    let analysis =
        fs::read_to_string(paths::workspace_root().join("bench/analysis.md")).unwrap_or_default();
    let text = report::render(
        &machine,
        &shape,
        &artifacts,
        &Figures {
            cost: &cost,
            samples: &samples,
            tcp: &tcp,
            instructions: &counts,
        },
        &analysis,
        &load_after,
    );
    fs::write(&cli.out, &text)
        .map_err(|e| HarnessError::io(format!("writing `{}`", cli.out.display()), e))?;
    println!("wrote {}", cli.out.display());
    Ok(())
}

/// Counts the instructions per request of every config rendered in `run_dir`, in
/// every case answered by `direct_response`.
fn count_instructions(
    cli: &Cli,
    artifacts: &Artifacts,
    workload: &Workload,
    pki: &TestPki,
    run_dir: &Path,
) -> BenchResult<instructions::Counts> {
    println!("instructions per request, in Envoy under callgrind:");
    let configs: Vec<_> = artifacts
        .lineup()
        .into_iter()
        .map(|config| {
            (
                config,
                config.name(artifacts),
                configs::bootstrap(run_dir, config),
            )
        })
        .collect();
    let tls = TlsClient::with_cert(pki, pki.client(ClientCert::MeshWide))?;
    let targets: Vec<instructions::Target> = Case::all()
        .into_iter()
        .filter_map(|case| {
            let listener = match case {
                Case::Outbound(Mode::Direct, _) => configs::DIRECT_LISTENER,
                Case::InboundMetered => configs::INBOUND_LISTENER,
                Case::Outbound(Mode::Proxied, _) => return None,
            };
            Some(instructions::Target {
                case,
                listener,
                request: rounds::as_request(&case.request(workload)),
                tls: (case == Case::InboundMetered).then(|| tls.clone()),
            })
        })
        .collect();
    let settings = instructions::Settings {
        warm_up: cli.instruction_warm_up,
        windows: cli.instruction_windows,
        requests: cli.instruction_requests,
    };
    Ok(instructions::measure(
        &configs, &targets, run_dir, &settings,
    )?)
}

/// Starts the bulk upstream and the TCP configs, checks them, and runs the TCP
/// rounds; the bench's process is already pinned to the load core.
fn tcp_rounds(
    cli: &Cli,
    shape: &RunShape,
    artifacts: &Artifacts,
    run_dir: &Path,
) -> BenchResult<rounds::TcpSamples> {
    let upstream = upstream::start_bulk()?;
    let envoys = configs::start_tcp(artifacts, upstream, run_dir, cli.envoy_core)?;
    if !cli.skip_check {
        rounds::check_tcp(&envoys, artifacts)?;
    }
    Ok(rounds::run_tcp(
        &envoys,
        shape.tcp_bytes,
        shape.tcp_warm_up_bytes,
        cli.rounds,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_byte_counts_with_or_without_a_unit() {
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert_eq!(parse_bytes("64m"), Ok(64 << 20));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("1T").is_err());
        assert!(parse_bytes("G").is_err());
    }
}
