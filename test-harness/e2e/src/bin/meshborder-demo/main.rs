//! `meshborder-demo` (run by `make demo`): starts the mesh the end-to-end tests run
//! (Envoy 1.40 with the built filter as the eu-west sidecar, enforcing and in audit
//! mode, and as the outbound sidecars of us-east and eu-central, each with an echo
//! app) and the eu-west ingress gateway with one app per region, and the L4 pair
//! (eu-west's database sidecar, the filter as a network filter, in front of
//! PostgreSQL, or a plain TCP echo server where PostgreSQL is not installed, and
//! the TCP sidecars of a database client in us-east and one in eu-central), then
//! walks a narrated tour with curl, psql (or the echo client). It stays up for trying things by
//! hand until Ctrl-C, or with `--once` exits after the tour (non-zero if a step did
//! not go as the product contract says).
//!
//! `--render-compose [DIR]` instead renders the same configs for
//! `envoy-config/docker-compose.yaml`, with fresh certificates, and exits.

mod curl;
mod tour;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use meshborder_e2e::gateway::Gateway;
use meshborder_e2e::mesh::{EuWestSidecar, Mesh, TcpPair};
use meshborder_e2e::ports::{GATEWAY_DEMO, LOOPBACK, MeshPorts, TcpPorts};
use meshborder_e2e::tcp::{Database, TCP_CALLERS};
use meshborder_e2e::topology::{CALLERS, ResidencyMode};
use meshborder_e2e::{HarnessError, compose, paths};

const USAGE: &str = "usage: meshborder-demo [--once | --render-compose [DIR]]\n  \
    --once                  exit after the tour instead of staying up until Ctrl-C\n  \
    --render-compose [DIR]  write the configs and certificates docker-compose.yaml mounts\n                          \
    into DIR (default target/compose), then exit";

enum Mode {
    Tour { once: bool },
    RenderCompose(PathBuf),
}

fn main() -> ExitCode {
    let mode = match parse(std::env::args().skip(1).collect()) {
        Ok(Some(mode)) => mode,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("meshborder-demo: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = match mode {
        Mode::Tour { once } => run(once),
        Mode::RenderCompose(dir) => render_compose(&dir),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("meshborder-demo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The mode asked for; `None` for help.
fn parse(args: Vec<String>) -> Result<Option<Mode>, String> {
    let mut args = args.into_iter();
    let mode = match args.next().as_deref() {
        None => Mode::Tour { once: false },
        Some("--once") => Mode::Tour { once: true },
        Some("--render-compose") => {
            Mode::RenderCompose(args.next().map_or_else(compose::out_dir, PathBuf::from))
        }
        Some("-h" | "--help") => return Ok(None),
        Some(other) => return Err(format!("unknown argument `{other}`")),
    };
    match args.next() {
        Some(extra) => Err(format!("unexpected argument `{extra}`")),
        None => Ok(Some(mode)),
    }
}

fn render_compose(dir: &Path) -> Result<ExitCode, String> {
    let written = compose::render(dir).map_err(|e| e.to_string())?;
    println!("Rendered for envoy-config/docker-compose.yaml:");
    for path in written {
        println!("  {}", shown(&path));
    }
    println!("Now: docker compose -f envoy-config/docker-compose.yaml up");
    Ok(ExitCode::SUCCESS)
}

fn run(once: bool) -> Result<ExitCode, String> {
    curl::ensure_installed()?;
    let fail = |e: HarnessError| e.to_string();
    paths::envoy_binary().map_err(fail)?;
    let wasm = paths::filter_wasm().map_err(fail)?;
    let ports = MeshPorts::DEMO;
    ports.ensure_free(LOOPBACK).map_err(fail)?;
    GATEWAY_DEMO.ensure_free(LOOPBACK).map_err(fail)?;
    TcpPorts::DEMO.ensure_free(LOOPBACK).map_err(fail)?;
    let run_dir = paths::workspace_root().join("target/meshborder-demo");
    paths::fresh_dir(&run_dir).map_err(fail)?;

    let mut mesh = Mesh::start_in(
        &run_dir,
        &wasm,
        LOOPBACK,
        &ports,
        ResidencyMode::Enforce,
        &CALLERS,
    )
    .map_err(fail)?;
    let audit = mesh
        .start_eu_west(ResidencyMode::Audit, LOOPBACK, &ports)
        .map_err(fail)?;
    let gateway_dir = run_dir.join("gateway");
    paths::fresh_dir(&gateway_dir).map_err(fail)?;
    let gateway = Gateway::start(LOOPBACK, &GATEWAY_DEMO, &wasm, &gateway_dir).map_err(fail)?;
    let database = Database::start(&run_dir).map_err(fail)?;
    let pair = mesh
        .start_tcp(LOOPBACK, &TcpPorts::DEMO, database.addr(), &TCP_CALLERS)
        .map_err(fail)?;
    let tcp = tour::TcpTarget::new(&pair, &database).map_err(fail)?;
    let target = tour::Target::new(&mesh, &audit, &gateway, tcp).map_err(fail)?;
    introduce(&mesh, &audit, &gateway);
    introduce_tcp(&pair, &database);
    println!(
        "  configs, logs and certificates in {}/<name>/ and {}/certs/",
        shown(&mesh.run_dir),
        shown(&mesh.run_dir)
    );
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
    tour::invite(&target);
    let status = mesh.eu_west.envoy.wait().map_err(fail)?;
    Err(format!(
        "envoy exited ({status}); its log is in {}",
        shown(mesh.eu_west.envoy.log_path())
    ))
}

fn introduce(mesh: &Mesh, audit: &EuWestSidecar, gateway: &Gateway) {
    println!(
        "meshborder demo: Envoy 1.40 with the filter, as the sidecars of three clusters and a gateway"
    );
    for caller in &mesh.callers {
        println!(
            "  {:<14} outbound sidecar http://{}  admin http://{}  app {} ({})",
            caller.caller.cluster,
            caller.listener,
            caller.envoy.admin_addr(),
            caller.caller.app,
            caller.app.addr()
        );
    }
    for eu_west in [&mesh.eu_west, audit] {
        println!(
            "  {:<14} inbound sidecar  mTLS {}  plaintext {}  admin http://{}",
            eu_west.mode.config_name(),
            eu_west.mtls,
            eu_west.plaintext,
            eu_west.envoy.admin_addr()
        );
    }
    println!(
        "  {:<14} ingress gateway  http://{}  admin http://{}  one app per region",
        "eu-west",
        gateway.listener,
        gateway.envoy.admin_addr()
    );
}

fn introduce_tcp(pair: &TcpPair, database: &Database) {
    let kind = database.kind();
    println!(
        "  {:<14} database sidecar tcp {}  admin http://{}  in front of {} ({})",
        "eu-west-tcp",
        pair.eu_west.listener,
        pair.eu_west.envoy.admin_addr(),
        kind.server(),
        database.addr()
    );
    for caller in &pair.callers {
        println!(
            "  {:<14} TCP sidecar      tcp {}  admin http://{}  client: {}",
            caller.caller.name,
            caller.listener,
            caller.envoy.admin_addr(),
            kind.client()
        );
    }
}

/// `path` relative to the workspace when it is inside it, for shorter lines.
pub fn shown(path: &Path) -> String {
    let root = paths::workspace_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn parses_the_tour_and_compose_modes() {
        assert!(matches!(
            parse(args(&[])),
            Ok(Some(Mode::Tour { once: false }))
        ));
        assert!(matches!(
            parse(args(&["--once"])),
            Ok(Some(Mode::Tour { once: true }))
        ));
        match parse(args(&["--render-compose", "out"])) {
            Ok(Some(Mode::RenderCompose(dir))) => assert_eq!(dir, PathBuf::from("out")),
            _ => panic!("--render-compose out"),
        }
        assert!(parse(args(&["--once", "--once"])).is_err());
        assert!(parse(args(&["--bogus"])).is_err());
    }
}
