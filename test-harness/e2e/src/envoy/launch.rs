//! Launching Envoy: its command line, and waiting (by polling the admin API, with a
//! deadline) until it says it is ready. An Envoy that exits or hangs on the way is
//! an error with the lines of its log that say why, and is never left running.

use std::ffi::OsString;
use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::log;
use crate::client::Request;
use crate::error::{HarnessError, Result};

/// How long Envoy may take to become ready (compiling the `.wasm` included).
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How often to look again while waiting on Envoy.
pub(super) const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The files of one Envoy, all in its run directory.
pub(super) struct Files {
    /// Envoy's log, with the filter's lines (stderr).
    pub log: PathBuf,
    /// The access log (stdout).
    pub access_log: PathBuf,
    /// Where Envoy writes its admin address once bound.
    pub admin_address: PathBuf,
}

impl Files {
    pub(super) fn in_dir(run_dir: &Path) -> Self {
        Self {
            log: run_dir.join("envoy.log"),
            access_log: run_dir.join("access.log"),
            admin_address: run_dir.join("admin-address"),
        }
    }
}

/// How Envoy is run: its binary, and a program that runs it, if any (such as
/// valgrind), with that program's arguments before the binary.
pub(super) struct Launcher<'a> {
    /// Envoy's binary.
    pub binary: &'a Path,
    /// The program Envoy runs under and its arguments, binary excluded.
    pub under: Option<(&'a Path, &'a [OsString])>,
    /// How long it may take to become ready.
    pub ready_timeout: Duration,
}

/// Starts Envoy as `launcher` says with `config` and `extra_args` and returns it,
/// with its admin address, once ready.
pub(super) fn launch(
    launcher: &Launcher<'_>,
    config: &Path,
    extra_args: &[&str],
    files: &Files,
) -> Result<(Child, SocketAddr)> {
    let binary = launcher.binary;
    let create = |path: &Path| {
        File::create(path)
            .map_err(|e| HarnessError::io(format!("creating `{}`", path.display()), e))
    };
    let mut command = match launcher.under {
        Some((program, args)) => {
            let mut command = Command::new(program);
            command.args(args).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    let mut child = command
        .arg("--config-path")
        .arg(config)
        .args(["--concurrency", "1"])
        // No shared memory or domain socket: any number of Envoys side by side.
        .arg("--disable-hot-restart")
        .arg("--admin-address-path")
        .arg(&files.admin_address)
        // Write the access log out within a tenth of a second, not ten.
        .args(["--file-flush-interval-msec", "100"])
        .args(extra_args)
        .stdin(Stdio::null())
        .stdout(create(&files.access_log)?)
        .stderr(create(&files.log)?)
        .spawn()
        .map_err(|e| HarnessError::io(format!("starting `{}`", binary.display()), e))?;
    match wait_ready(&mut child, files, launcher.ready_timeout) {
        Ok(admin) => Ok((child, admin)),
        Err(e) => {
            kill(&mut child);
            Err(e)
        }
    }
}

/// Polls until the admin API answers `/ready` with 200; returns its address.
fn wait_ready(child: &mut Child, files: &Files, timeout: Duration) -> Result<SocketAddr> {
    let deadline = Instant::now() + timeout;
    let mut last_problem = "no admin address yet".to_owned();
    while Instant::now() < deadline {
        let exited = child
            .try_wait()
            .map_err(|e| HarnessError::io("checking on envoy", e))?;
        if let Some(status) = exited {
            let reason = format!("exited with {status} before it was ready");
            return Err(log::error(&reason, &files.log));
        }
        match ready(&files.admin_address) {
            Ok(addr) => return Ok(addr),
            Err(problem) => last_problem = problem,
        }
        thread::sleep(POLL_INTERVAL);
    }
    let reason = format!("not ready after {}s ({last_problem})", timeout.as_secs());
    Err(log::error(&reason, &files.log))
}

/// The admin address once `/ready` answers 200, or what is still missing.
fn ready(admin_address: &Path) -> std::result::Result<SocketAddr, String> {
    let text = fs::read_to_string(admin_address).map_err(|_| "no admin address yet".to_owned())?;
    let addr: SocketAddr = text
        .trim()
        .parse()
        .map_err(|_| format!("admin address `{}` not complete yet", text.trim()))?;
    let response = Request::get("/ready")
        .send(addr)
        .map_err(|e| e.to_string())?;
    if response.status == 200 {
        Ok(addr)
    } else {
        Err(format!(
            "/ready answered {}: {}",
            response.status,
            response.text().trim()
        ))
    }
}

/// Kills and reaps `child`; one that already exited is fine.
pub(super) fn kill(child: &mut Child) {
    drop(child.kill());
    drop(child.wait());
}
