//! The soak's load: `oha` against us-east's outbound listener on 127.0.0.1, for a
//! fixed time at a fixed rate (so bounded in time and in count), every request for
//! the host `eu-user-data`, its path drawn at random from a list in which a known
//! share asks for a user (denied at eu-west) and the rest for the catalog (served).
//! `oha` waits for the requests under way at the deadline (`-w`), so every request
//! it sent has an answer, and reports every status and error in JSON.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{HarnessError, Result};
use crate::paths;

/// Environment variable naming the `oha` binary; the Makefile's set-up installs it
/// into `.tools/bin/`.
pub const OHA_ENV: &str = "MESHBORDER_OHA";
/// The host every request names: the rule's host.
pub const HOST: &str = "eu-user-data";

/// The paths requests ask for, each equally likely: `true` when eu-west must deny it
/// to us-east (EU user data), `false` when it must serve it.
pub const PATHS: [(&str, bool); 8] = [
    ("/catalog", false),
    ("/catalog?page=2", false),
    ("/catalog/items/42", false),
    ("/orders/7", false),
    ("/health", false),
    ("/users/1", true),
    ("/users/42/profile", true),
    ("/catalog/search?q=meshborder", false),
];

/// Whether eu-west must deny `path` (as logged: with its query) to us-east.
pub fn is_denied_path(path: &str) -> Option<bool> {
    PATHS
        .iter()
        .find(|(candidate, _)| *candidate == path)
        .map(|(_, denied)| *denied)
}

/// The `oha` binary: `$MESHBORDER_OHA`, else `.tools/bin/oha` in the workspace.
pub fn oha_binary() -> Result<PathBuf> {
    let path = std::env::var_os(OHA_ENV).map_or_else(
        || paths::workspace_root().join(".tools/bin/oha"),
        PathBuf::from,
    );
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::Missing {
            what: format!("the load generator oha at `{}`", path.display()),
            hint: "run `make setup` (it installs oha into .tools/)".to_owned(),
        })
    }
}

/// How much load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadShape {
    /// How long requests are sent.
    pub duration: Duration,
    /// Requests per second, for all connections together.
    pub rate: u32,
    /// Connections kept open at once.
    pub connections: u32,
}

/// What `oha` reported.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSummary {
    /// Answers by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer, by error.
    pub errors: BTreeMap<String, u64>,
    /// Answers per second over the run.
    pub requests_per_sec: f64,
    /// The run's length as `oha` measured it, in seconds.
    pub seconds: f64,
}

impl LoadSummary {
    /// Every answer, whatever its status.
    pub fn answered(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// The answers with `status`.
    pub fn with_status(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OhaJson {
    summary: OhaSummary,
    status_code_distribution: BTreeMap<String, u64>,
    error_distribution: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OhaSummary {
    total: f64,
    requests_per_sec: f64,
}

/// `oha`, running; killed if dropped before it finished.
#[derive(Debug)]
pub struct RunningLoad {
    child: Child,
    output: PathBuf,
}

impl RunningLoad {
    /// Starts `oha` against `listener` with `shape`, its files in `dir`.
    pub fn start(listener: SocketAddr, shape: LoadShape, dir: &Path) -> Result<Self> {
        let binary = oha_binary()?;
        let urls = dir.join("oha-urls.txt");
        let lines: String = PATHS
            .iter()
            .map(|(path, _)| format!("http://{listener}{path}\n"))
            .collect();
        fs::write(&urls, lines)
            .map_err(|e| HarnessError::io(format!("writing `{}`", urls.display()), e))?;
        let output = dir.join("oha.json");
        let log = dir.join("oha.log");
        let log_file = File::create(&log)
            .map_err(|e| HarnessError::io(format!("creating `{}`", log.display()), e))?;
        let child = Command::new(&binary)
            .args([
                "--no-tui",
                "--output-format",
                "json",
                "-w",
                "--urls-from-file",
            ])
            .args(["-z", &format!("{}ms", shape.duration.as_millis())])
            .args(["-q", &shape.rate.to_string()])
            .args(["-c", &shape.connections.to_string()])
            .args(["--host", HOST])
            .arg("-o")
            .arg(&output)
            .arg(&urls)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| HarnessError::io(format!("starting `{}`", binary.display()), e))?;
        Ok(Self { child, output })
    }

    /// `None` while `oha` runs; its summary once it has exited. An exit other than
    /// success, or a summary that does not parse, is an error.
    pub fn try_finish(&mut self) -> Result<Option<LoadSummary>> {
        let exited = self
            .child
            .try_wait()
            .map_err(|e| HarnessError::io("checking on oha", e))?;
        let Some(status) = exited else {
            return Ok(None);
        };
        let failed = |reason: String| HarnessError::Missing {
            what: format!("a summary from oha ({reason})"),
            hint: format!("see `{}` and oha.log next to it", self.output.display()),
        };
        if !status.success() {
            return Err(failed(format!("it exited with {status}")));
        }
        let text = fs::read_to_string(&self.output)
            .map_err(|e| HarnessError::io(format!("reading `{}`", self.output.display()), e))?;
        let json: OhaJson =
            serde_json::from_str(&text).map_err(|e| failed(format!("bad JSON: {e}")))?;
        let mut statuses = BTreeMap::new();
        for (code, count) in json.status_code_distribution {
            let code = code
                .parse()
                .map_err(|_| failed(format!("status `{code}`")))?;
            statuses.insert(code, count);
        }
        Ok(Some(LoadSummary {
            statuses,
            errors: json.error_distribution,
            requests_per_sec: json.summary.requests_per_sec,
            seconds: json.summary.total,
        }))
    }
}

impl Drop for RunningLoad {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            drop(self.child.kill());
            drop(self.child.wait());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_of_the_paths_are_eu_user_data() {
        let denied = PATHS.iter().filter(|(_, denied)| *denied).count();
        assert_eq!(denied * 4, PATHS.len());
        assert_eq!(is_denied_path("/users/1"), Some(true));
        assert_eq!(is_denied_path("/catalog?page=2"), Some(false));
        assert_eq!(is_denied_path("/elsewhere"), None);
    }
}
