//! `meshborder-demo` (run by `make demo`): starts Envoy 1.40 as the sidecar of
//! cluster `us-east` with the built filter and the sample config from
//! `envoy-config/`, plus one echo app per region, then shows with curl what the
//! filter does. It stays up for trying things by hand until Ctrl-C, or with
//! `--once` exits after the tour (non-zero if a step did not go as expected).

mod curl;
mod tour;

use std::path::Path;
use std::process::ExitCode;

use meshborder_harness::ports::{LOOPBACK, PortPlan};
use meshborder_harness::topology::UsEastSidecar;
use meshborder_harness::{HarnessError, paths};

const USAGE: &str = "usage: meshborder-demo [--once]\n  \
    --once  exit after the tour instead of staying up until Ctrl-C";

fn main() -> ExitCode {
    let mut once = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--once" => once = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("meshborder-demo: unknown argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(once) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("meshborder-demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(once: bool) -> Result<ExitCode, String> {
    curl::ensure_installed()?;
    let fail = |e: HarnessError| e.to_string();
    paths::envoy_binary().map_err(fail)?;
    let wasm = paths::filter_wasm().map_err(fail)?;
    let ports = PortPlan::DEMO;
    ports.ensure_free(LOOPBACK).map_err(fail)?;
    let run_dir = paths::workspace_root().join("target/meshborder-demo");
    paths::fresh_dir(&run_dir).map_err(fail)?;

    let mut sidecar = UsEastSidecar::start(LOOPBACK, &ports, &wasm, &run_dir).map_err(fail)?;
    let target = tour::Target {
        listener: sidecar.listener.to_string(),
        admin: sidecar.envoy.admin_addr().to_string(),
    };
    introduce(&sidecar, &run_dir);
    let outcome = tour::run(&target);

    if once {
        if outcome.surprises == 0 {
            println!("\nThe tour went as expected.");
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "\n{} step(s) did not go as expected (marked !!).",
            outcome.surprises
        );
        return Ok(ExitCode::FAILURE);
    }
    invite(&target);
    let status = sidecar.envoy.wait().map_err(fail)?;
    Err(format!(
        "envoy exited ({status}); its log is in {}",
        shown(sidecar.envoy.log_path())
    ))
}

fn introduce(sidecar: &UsEastSidecar, run_dir: &Path) {
    println!(
        "meshborder demo: Envoy 1.40 as the sidecar of cluster us-east (region us-east-1), filter loaded"
    );
    println!("  envoy listener   http://{}", sidecar.listener);
    println!("  envoy admin      http://{}", sidecar.envoy.admin_addr());
    println!("  eu-west-1 app    http://{}", sidecar.eu_app.addr());
    println!("  us-east-1 app    http://{}", sidecar.us_app.addr());
    println!(
        "  rendered config  {}",
        shown(&run_dir.join(meshborder_harness::topology::US_EAST_OUTBOUND))
    );
    println!("  filter log       {}", shown(sidecar.envoy.log_path()));
    println!(
        "  access log       {}",
        shown(sidecar.envoy.access_log_path())
    );
}

fn invite(target: &tour::Target) {
    let listener = &target.listener;
    println!("\nEnvoy keeps running. Try by hand:");
    for command in [
        format!("curl -sS -H 'x-user-region: eu' http://{listener}/"),
        format!("curl -sS -H 'cf-ipcountry: US' http://{listener}/"),
        format!("curl -sS -H 'cf-ipcountry: FR' http://{listener}/"),
        format!("curl -sS -i -H 'Host: eu-user-data.example' http://{listener}/users/7"),
        format!("curl -sS -i -H 'Host: eu-user-data' http://{listener}/catalog"),
        format!(
            "curl -sS http://{}/stats/prometheus | grep '^meshborder_'",
            target.admin
        ),
    ] {
        println!("  {command}");
    }
    println!("Press Ctrl-C to stop.");
}

/// `path` relative to the workspace when it is inside it, for shorter lines.
fn shown(path: &Path) -> String {
    let root = paths::workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
