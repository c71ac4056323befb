//! A real Envoy process for end-to-end runs: started from a rendered config with one
//! worker, ready when its admin API says so, logging to files in the run's
//! directory, and stopped when dropped (asked to quit, so its logs are complete,
//! then killed), so no test leaves one behind even when it fails.

mod launch;
mod log;
pub mod version;

use std::ffi::OsString;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

pub use launch::READY_TIMEOUT;

use crate::client::Request;
use crate::error::{HarnessError, Result};
use crate::paths;

/// How long Envoy may take to exit after `/quitquitquit` before it is killed.
const QUIT_TIMEOUT: Duration = Duration::from_secs(3);

/// A running Envoy.
#[derive(Debug)]
pub struct Envoy {
    child: Child,
    admin: SocketAddr,
    log: PathBuf,
    access_log: PathBuf,
}

impl Envoy {
    /// Starts Envoy with `config`, writing its files into `run_dir`
    /// (`envoy.log`: Envoy's and the filter's log; `access.log`: the access log),
    /// and waits until it is ready.
    pub fn start(config: &Path, run_dir: &Path) -> Result<Self> {
        Self::start_with_args(config, run_dir, &[])
    }

    /// [`Envoy::start`] with more command-line arguments, such as `--config-yaml`
    /// with an override merged over `config` (how istio-proxy passes the file
    /// `ISTIO_BOOTSTRAP_OVERRIDE` names).
    pub fn start_with_args(config: &Path, run_dir: &Path, args: &[&str]) -> Result<Self> {
        let binary = paths::envoy_binary()?;
        let launcher = launch::Launcher {
            binary: &binary,
            under: None,
            ready_timeout: READY_TIMEOUT,
        };
        Self::launch(&launcher, config, run_dir, args)
    }

    /// [`Envoy::start`] with `binary` run by `program` with `args` before it (as
    /// `valgrind --tool=callgrind … envoy …`), ready within `ready_timeout`.
    pub fn start_under(
        program: &Path,
        args: &[OsString],
        binary: &Path,
        ready_timeout: Duration,
        config: &Path,
        run_dir: &Path,
    ) -> Result<Self> {
        let launcher = launch::Launcher {
            binary,
            under: Some((program, args)),
            ready_timeout,
        };
        Self::launch(&launcher, config, run_dir, &[])
    }

    fn launch(
        launcher: &launch::Launcher<'_>,
        config: &Path,
        run_dir: &Path,
        args: &[&str],
    ) -> Result<Self> {
        let files = launch::Files::in_dir(run_dir);
        let (child, admin) = launch::launch(launcher, config, args, &files)?;
        Ok(Self {
            child,
            admin,
            log: files.log,
            access_log: files.access_log,
        })
    }

    /// Checks `config` with `envoy --mode validate`, which also loads the filter and
    /// lets it check its plugin config.
    pub fn validate(config: &Path) -> Result<()> {
        Self::validate_with_args(config, &[])
    }

    /// [`Envoy::validate`] with more command-line arguments, such as `--config-yaml`.
    pub fn validate_with_args(config: &Path, args: &[&str]) -> Result<()> {
        let binary = paths::envoy_binary()?;
        let output = Command::new(&binary)
            .args([
                "--mode",
                "validate",
                "--disable-hot-restart",
                "--config-path",
            ])
            .arg(config)
            .args(args)
            .output()
            .map_err(|e| HarnessError::io(format!("running `{}`", binary.display()), e))?;
        if output.status.success() {
            return Ok(());
        }
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(HarnessError::Envoy {
            reason: format!(
                "`{}` does not validate ({})",
                config.display(),
                output.status
            ),
            log_tail: log::excerpt(&text),
        })
    }

    /// The process id (to read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The admin API's address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin
    }

    /// Where the listener called `name` is bound (found through the admin API,
    /// which matters when the config asked for port 0).
    pub fn listener_addr(&self, name: &str) -> Result<SocketAddr> {
        let statuses: serde_json::Value = self.admin_json("/listeners?format=json")?;
        let listener = statuses
            .get("listener_statuses")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .find(|listener| {
                listener.get("name").and_then(serde_json::Value::as_str) == Some(name)
            });
        let addr = listener.and_then(|listener| {
            let ip = listener
                .pointer("/local_address/socket_address/address")?
                .as_str()?;
            let port = listener
                .pointer("/local_address/socket_address/port_value")?
                .as_u64()?;
            Some(SocketAddr::new(ip.parse().ok()?, u16::try_from(port).ok()?))
        });
        addr.ok_or_else(|| self.error(&format!("no listener `{name}` in /listeners: {statuses}")))
    }

    /// GETs an admin path such as `/stats/prometheus`; any status but 200 is an error.
    pub fn admin_get(&self, path: &str) -> Result<String> {
        let response = Request::get(path).send(self.admin)?;
        if response.status == 200 {
            Ok(response.text())
        } else {
            let reason = format!(
                "admin {path} answered {}: {}",
                response.status,
                response.text()
            );
            Err(self.error(&reason))
        }
    }

    /// `/stats/prometheus`.
    pub fn prometheus(&self) -> Result<String> {
        self.admin_get("/stats/prometheus")
    }

    fn admin_json(&self, path: &str) -> Result<serde_json::Value> {
        let text = self.admin_get(path)?;
        serde_json::from_str(&text)
            .map_err(|e| self.error(&format!("admin {path} is not JSON ({e})")))
    }

    /// Envoy's log (and the filter's), as written so far; bytes that are not UTF-8
    /// read as U+FFFD.
    pub fn log(&self) -> String {
        read_lossy(&self.log)
    }

    /// The access log, as written so far (flushed every 100 ms); it logs header
    /// values as received, so bytes that are not UTF-8 read as U+FFFD.
    pub fn access_log(&self) -> String {
        read_lossy(&self.access_log)
    }

    /// The path of Envoy's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The path of the access log file.
    pub fn access_log_path(&self) -> &Path {
        &self.access_log
    }

    /// Blocks until Envoy exits (for the demo, which runs until Ctrl-C).
    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.child
            .wait()
            .map_err(|e| HarnessError::io("waiting for envoy", e))
    }

    /// An [`HarnessError::Envoy`] for `reason`, with the telling lines of the log.
    pub fn error(&self, reason: &str) -> HarnessError {
        log::error(reason, &self.log)
    }
}

fn read_lossy(path: &Path) -> String {
    fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

impl Drop for Envoy {
    fn drop(&mut self) {
        // Ask politely first, so Envoy flushes its logs; kill if it takes too long.
        drop(Request::new("POST", "/quitquitquit").send(self.admin));
        let deadline = Instant::now() + QUIT_TIMEOUT;
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            thread::sleep(launch::POLL_INTERVAL);
        }
        launch::kill(&mut self.child);
    }
}
