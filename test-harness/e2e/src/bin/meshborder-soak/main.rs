//! `meshborder-soak` (run by `make soak`): a bounded load with `oha` through the
//! mesh, us-east's outbound sidecar to eu-west's inbound sidecar over mTLS, while
//! eu-west's filter config is swapped every second, alternating a config the
//! filter refuses and one it accepts. Then the config storm: hundreds of good
//! configs pushed one after the other under a request loop, with meshborder and
//! with the no-op filter, and the memory each push keeps. Prints the figures and
//! every check. Then TCP: long-lived PostgreSQL connections through the TCP pair,
//! their counters against tcp_proxy's access log, and memory. It writes them all to SOAK.md (`--report`) with the machine they were
//! measured on; exits 0 when all pass, 1 when one fails, 2 when a phase could not
//! run.
//!
//! The mesh's configs and logs, and oha's output, are kept in the run directory
//! (`target/meshborder-soak/` unless told otherwise).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use meshborder_e2e::machine::{self, Machine};
use meshborder_e2e::soak::{self, SoakOptions, SoakReport, TcpPhase};
use meshborder_e2e::storm::StormPhase;
use meshborder_e2e::{HarnessError, paths};

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
    /// Config pushes measured in each storm, after its warm-up.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u32).range(50..=20000))]
    storm_pushes: u32,
    /// How long the TCP phase holds its connections open, in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(15..=3600))]
    tcp_seconds: u64,
    /// Long-lived connections in the TCP phase.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    tcp_connections: u64,
    /// Where the configs, logs and oha's output go (emptied first).
    #[arg(long, value_name = "DIR")]
    run_dir: Option<PathBuf>,
    /// Where the report goes (default: SOAK.md in the workspace root).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
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
    let report_file = cli
        .report
        .unwrap_or_else(|| paths::workspace_root().join("SOAK.md"));
    let machine = match soak::oha_binary()
        .and_then(|oha| machine::output(&oha, &["--version"]))
        .and_then(|oha| Machine::read(oha.trim().to_owned()))
    {
        Ok(machine) => machine,
        Err(e) => {
            eprintln!("meshborder-soak: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match soak::run(&options) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("meshborder-soak: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{report}");
    println!(
        "meshborder-soak: config storms of {} pushes each",
        cli.storm_pushes
    );
    let storms = match StormPhase::run(cli.storm_pushes, &options.run_dir.join("storm")) {
        Ok(storms) => storms,
        Err(e) => {
            eprintln!("meshborder-soak: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{storms}");
    println!(
        "meshborder-soak: {} long-lived TCP connections for {} s",
        cli.tcp_connections, cli.tcp_seconds
    );
    let tcp = match TcpPhase::run(
        Duration::from_secs(cli.tcp_seconds),
        usize::try_from(cli.tcp_connections).unwrap_or(1),
        (Duration::from_secs(cli.tcp_seconds) / 6).max(Duration::from_secs(5)),
        &options.run_dir.join("tcp"),
    ) {
        Ok(tcp) => tcp,
        Err(e) => {
            eprintln!("meshborder-soak: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{tcp}");
    let command = cli_line(&options, cli.storm_pushes, cli.tcp_seconds);
    if let Err(e) = write_report(&report_file, &machine, &command, &report, &storms, &tcp) {
        eprintln!("meshborder-soak: {e}");
        return ExitCode::from(2);
    }
    println!("report written to {}", report_file.display());
    if report.passed() && storms.passed() && tcp.passed() {
        println!("soak passed");
        ExitCode::SUCCESS
    } else {
        println!("soak FAILED");
        ExitCode::FAILURE
    }
}

/// The command that reproduces the run.
fn cli_line(options: &SoakOptions, storm_pushes: u32, tcp_seconds: u64) -> String {
    format!(
        "make soak SOAK_SECONDS={} SOAK_RATE={} STORM_PUSHES={storm_pushes} TCP_SECONDS={tcp_seconds}",
        options.load.duration.as_secs(),
        options.load.rate
    )
}

/// SOAK.md: where, when and how the run was made, then the figures and checks of
/// both phases as the binary printed them.
fn write_report(
    file: &Path,
    machine: &Machine,
    command: &str,
    report: &SoakReport,
    storms: &StormPhase,
    tcp: &TcpPhase,
) -> Result<(), HarnessError> {
    let verdict = if report.passed() && storms.passed() && tcp.passed() {
        "passed"
    } else {
        "FAILED"
    };
    let text = format!(
        "# Soak report\n\n\
         Written by `{command}` on {date}, at {commit}, on {cores} cores ({model}); \
         Envoy {envoy}, load from {oha}; load average before the run: {load}. \
         Every figure below is from this one run; the soak {verdict}.\n\n\
         ## Load through config swaps\n\n\
         ```text\n{report}```\n\n\
         ## Config storm\n\n\
         Good configs pushed one after the other through a watched ECDS file to one \
         Envoy (one worker) under a request loop, each waited for until applied; \
         memory kept per push is the least-squares slope of Envoy's heap (tcmalloc's \
         allocated bytes) plus the wasm VMs' linear memory, sampled every {every} \
         pushes after {warmup} of warm-up.\n\n\
         ```text\n{storms}```\n\n\
         ## Long-lived TCP connections\n\n\
         PostgreSQL connections from eu-central held open through the TCP pair \
         (eu-central's outbound TCP sidecar, mTLS, eu-west's inbound sidecar with the \
         filter as a network filter before tcp_proxy), a query a second each.\n\n\
         ```text\n{tcp}```\n",
        every = storms.kept.options.sample_every,
        warmup = storms.kept.options.warmup,
        date = machine.date,
        commit = machine.commit,
        cores = machine.cores,
        model = machine.model,
        envoy = machine.envoy,
        oha = machine.load_generator,
        load = machine.load_before,
    );
    fs::write(file, text).map_err(|e| HarnessError::io(format!("writing `{}`", file.display()), e))
}
