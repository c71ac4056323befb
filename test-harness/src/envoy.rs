//! A real Envoy process for end-to-end runs: started from a rendered config with one
//! worker, ready when its admin API says so (polled, with a deadline), logging to
//! files in the run's directory, and stopped when dropped (asked to quit, so its
//! logs are complete, then killed), so no test leaves one behind even when it fails.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::client::Request;
use crate::error::{HarnessError, Result};
use crate::paths;

/// How long Envoy may take to become ready (compiling the `.wasm` included).
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long Envoy may take to exit after `/quitquitquit` before it is killed.
const QUIT_TIMEOUT: Duration = Duration::from_secs(3);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
const LOG_TAIL_LINES: usize = 40;

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
        let binary = paths::envoy_binary()?;
        let log = run_dir.join("envoy.log");
        let access_log = run_dir.join("access.log");
        let admin_file = run_dir.join("admin-address");
        let create = |path: &Path| {
            File::create(path)
                .map_err(|e| HarnessError::io(format!("creating `{}`", path.display()), e))
        };
        let child = Command::new(&binary)
            .arg("--config-path")
            .arg(config)
            .args(["--concurrency", "1"])
            // No shared memory or domain socket: any number of Envoys side by side.
            .arg("--disable-hot-restart")
            .arg("--admin-address-path")
            .arg(&admin_file)
            // Write the access log out within a tenth of a second, not ten.
            .args(["--file-flush-interval-msec", "100"])
            .stdin(Stdio::null())
            .stdout(create(&access_log)?)
            .stderr(create(&log)?)
            .spawn()
            .map_err(|e| HarnessError::io(format!("starting `{}`", binary.display()), e))?;
        let mut starting = Starting {
            child: Some(child),
            log,
            access_log,
        };
        let admin = starting.wait_ready(&admin_file)?;
        starting.into_envoy(admin)
    }

    /// Checks `config` with `envoy --mode validate`, which also loads the filter and
    /// lets it check its plugin config.
    pub fn validate(config: &Path) -> Result<()> {
        let binary = paths::envoy_binary()?;
        let output = Command::new(&binary)
            .args([
                "--mode",
                "validate",
                "--disable-hot-restart",
                "--config-path",
            ])
            .arg(config)
            .output()
            .map_err(|e| HarnessError::io(format!("running `{}`", binary.display()), e))?;
        if output.status.success() {
            return Ok(());
        }
        let mut log = String::from_utf8_lossy(&output.stderr).into_owned();
        log.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(HarnessError::Envoy {
            reason: format!(
                "`{}` does not validate ({})",
                config.display(),
                output.status
            ),
            log_tail: log_excerpt(&log),
        })
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
        addr.ok_or_else(|| self.error(format!("no listener `{name}` in /listeners: {statuses}")))
    }

    /// GETs an admin path such as `/stats/prometheus`; any status but 200 is an error.
    pub fn admin_get(&self, path: &str) -> Result<String> {
        let response = Request::get(path).send(self.admin)?;
        if response.status == 200 {
            Ok(response.text())
        } else {
            Err(self.error(format!(
                "admin {path} answered {}: {}",
                response.status,
                response.text()
            )))
        }
    }

    /// `/stats/prometheus`.
    pub fn prometheus(&self) -> Result<String> {
        self.admin_get("/stats/prometheus")
    }

    fn admin_json(&self, path: &str) -> Result<serde_json::Value> {
        let text = self.admin_get(path)?;
        serde_json::from_str(&text)
            .map_err(|e| self.error(format!("admin {path} is not JSON ({e})")))
    }

    /// Envoy's log (and the filter's), as written so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The access log, as written so far.
    pub fn access_log(&self) -> String {
        fs::read_to_string(&self.access_log).unwrap_or_default()
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

    /// An [`HarnessError::Envoy`] carrying the tail of the log.
    pub fn error(&self, reason: String) -> HarnessError {
        HarnessError::Envoy {
            reason: format!("{reason} (full log: `{}`)", self.log.display()),
            log_tail: log_excerpt(&self.log()),
        }
    }
}

impl Drop for Envoy {
    fn drop(&mut self) {
        // Ask politely first, so Envoy flushes its logs; kill if it takes too long.
        drop(Request::new("POST", "/quitquitquit").send(self.admin));
        let deadline = Instant::now() + QUIT_TIMEOUT;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            thread::sleep(POLL_INTERVAL);
        }
        kill(&mut self.child);
    }
}

/// An Envoy that is not ready yet; killed if dropped before it is.
struct Starting {
    child: Option<Child>,
    log: PathBuf,
    access_log: PathBuf,
}

impl Starting {
    /// Polls until the admin API answers `/ready` with 200; returns its address.
    fn wait_ready(&mut self, admin_file: &Path) -> Result<SocketAddr> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last_problem = "no admin address yet".to_owned();
        while Instant::now() < deadline {
            if let Some(status) = self.exit_status()? {
                return Err(self.error(format!("exited with {status} before it was ready")));
            }
            match ready(admin_file) {
                Ok(addr) => return Ok(addr),
                Err(problem) => last_problem = problem,
            }
            thread::sleep(POLL_INTERVAL);
        }
        Err(self.error(format!(
            "not ready after {}s ({last_problem})",
            READY_TIMEOUT.as_secs()
        )))
    }

    fn exit_status(&mut self) -> Result<Option<ExitStatus>> {
        match self.child.as_mut() {
            Some(child) => child
                .try_wait()
                .map_err(|e| HarnessError::io("checking on envoy", e)),
            None => Ok(None),
        }
    }

    fn error(&self, reason: String) -> HarnessError {
        HarnessError::Envoy {
            reason: format!("{reason} (full log: `{}`)", self.log.display()),
            log_tail: log_excerpt(&fs::read_to_string(&self.log).unwrap_or_default()),
        }
    }

    fn into_envoy(mut self, admin: SocketAddr) -> Result<Envoy> {
        let child = self
            .child
            .take()
            .ok_or_else(|| self.error("lost track of the process".to_owned()))?;
        Ok(Envoy {
            child,
            admin,
            log: self.log.clone(),
            access_log: self.access_log.clone(),
        })
    }
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            kill(child);
        }
    }
}

/// The admin address once `/ready` answers 200, or what is still missing.
fn ready(admin_file: &Path) -> std::result::Result<SocketAddr, String> {
    let text = fs::read_to_string(admin_file).map_err(|_| "no admin address yet".to_owned())?;
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

fn kill(child: &mut Child) {
    // Already exited is fine; the wait reaps it either way.
    drop(child.kill());
    drop(child.wait());
}

/// The part of a log worth showing with an error: its error and critical lines when
/// there are any (Envoy's info lines at startup bury them), else its last lines.
fn log_excerpt(log: &str) -> String {
    let problems: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("][error][") || line.contains("][critical]["))
        .collect();
    if problems.is_empty() {
        last_lines(log, LOG_TAIL_LINES)
    } else {
        last_lines(&problems.join("\n"), LOG_TAIL_LINES)
    }
}

/// The last `count` lines of `text`.
fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(count);
    lines.get(start..).unwrap_or_default().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_error_lines_of_a_log_when_there_are_any() {
        let log = "[t][1][info][main] a\n[t][1][error][wasm] bad abi\n[t][1][info][main] b\n\
                   [t][1][critical][main] unable to create plugin\n";
        assert_eq!(
            log_excerpt(log),
            "[t][1][error][wasm] bad abi\n[t][1][critical][main] unable to create plugin"
        );
        assert_eq!(
            log_excerpt("[t][1][info][main] a\n"),
            "[t][1][info][main] a"
        );
    }

    #[test]
    fn keeps_the_last_lines_of_a_log() {
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("a", 5), "a");
        assert_eq!(last_lines("", 5), "");
    }
}
