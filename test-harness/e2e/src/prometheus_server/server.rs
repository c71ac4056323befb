//! A Prometheus server for one run, in `<run>/prometheus/`: the written rule file,
//! the configuration, the TSDB (`data/`) and its log (`prometheus.log`). It listens
//! on loopback only, on a free port, and is killed when dropped, so no test leaves
//! one behind (and none takes Prometheus's usual :9090).
//!
//! Prometheus cannot be asked for port 0 and tell which port it got, as Envoy can;
//! so the rig asks the kernel for a free port, lets go of it and hands it to
//! Prometheus, and starts again on another one if Prometheus lost it to a race.

use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::api::PrometheusApi;
use super::config::{self, ScrapeTarget};
use super::{PrometheusBinaries, rules};
use crate::client::Request;
use crate::error::{HarnessError, Result};
use crate::paths;
use crate::ports::{LOOPBACK, bind_error};

/// How long Prometheus may take to load its rules and say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How often to look again while waiting for it.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How many free ports to try before giving up.
const PORT_ATTEMPTS: usize = 3;
/// How many lines of its log an error shows.
const LOG_LINES: usize = 30;

/// A running Prometheus.
#[derive(Debug)]
pub struct PrometheusServer {
    child: Child,
    addr: SocketAddr,
    rule_file: PathBuf,
    log: PathBuf,
}

impl PrometheusServer {
    /// Writes the shipped rules and a configuration scraping `targets` into
    /// `run_dir/prometheus/`, starts Prometheus there and waits until it is ready.
    pub fn start(run_dir: &Path, targets: &[ScrapeTarget]) -> Result<Self> {
        let dir = run_dir.join("prometheus");
        paths::fresh_dir(&dir)?;
        let rule_file = rules::write_rule_file(&dir)?;
        let text = config::render(targets, &rule_file)?;
        Self::start_configured(&dir, &rule_file, &text)
    }

    /// Writes `config_text` (which loads `rule_file`) into `dir`, an existing
    /// directory of its own, starts Prometheus there and waits until it is ready.
    pub fn start_configured(dir: &Path, rule_file: &Path, config_text: &str) -> Result<Self> {
        let binaries = PrometheusBinaries::find()?;
        let config = dir.join("prometheus.yml");
        fs::write(&config, config_text)
            .map_err(|e| HarnessError::io(format!("writing `{}`", config.display()), e))?;
        let mut attempt = 1;
        loop {
            match Self::launch(&binaries, dir, &config, rule_file) {
                Err(error) if attempt < PORT_ATTEMPTS && lost_its_port(&error) => attempt += 1,
                started => return started,
            }
        }
    }

    fn launch(
        binaries: &PrometheusBinaries,
        dir: &Path,
        config: &Path,
        rule_file: &Path,
    ) -> Result<Self> {
        let addr = free_addr()?;
        let log = dir.join("prometheus.log");
        let out = File::create(&log)
            .map_err(|e| HarnessError::io(format!("creating `{}`", log.display()), e))?;
        let err = out
            .try_clone()
            .map_err(|e| HarnessError::io(format!("opening `{}`", log.display()), e))?;
        let child = Command::new(&binaries.prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| {
                HarnessError::io(format!("starting `{}`", binaries.prometheus.display()), e)
            })?;
        let mut server = Self {
            child,
            addr,
            rule_file: rule_file.to_path_buf(),
            log,
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    fn wait_until_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let ready = Request::get("/-/ready").send(self.addr);
            if ready.is_ok_and(|response| response.status == 200) {
                return Ok(());
            }
            if !matches!(self.child.try_wait(), Ok(None)) {
                return Err(self.error("exited before it was ready"));
            }
            if Instant::now() >= deadline {
                return Err(self.error(&format!("not ready after {}s", READY_TIMEOUT.as_secs())));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Its HTTP API.
    pub fn api(&self) -> PrometheusApi {
        PrometheusApi::new(self.addr)
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The rule file it evaluates.
    pub fn rule_file(&self) -> &Path {
        &self.rule_file
    }

    /// Its log, as written so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A [`HarnessError::Prometheus`] for `reason`, with the last lines of its log.
    pub fn error(&self, reason: &str) -> HarnessError {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines.get(lines.len().saturating_sub(LOG_LINES)..);
        HarnessError::Prometheus {
            reason: format!("{reason} (full log: `{}`)", self.log.display()),
            output: tail.unwrap_or_default().join("\n"),
        }
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        drop(self.child.kill());
        drop(self.child.wait());
    }
}

/// A loopback address with a port that was free a moment ago.
fn free_addr() -> Result<SocketAddr> {
    let any = SocketAddr::new(LOOPBACK, 0);
    let listener = TcpListener::bind(any).map_err(|e| bind_error(any, e))?;
    listener
        .local_addr()
        .map_err(|e| HarnessError::io("reading a free port", e))
}

/// Whether Prometheus failed because another process took its port first.
fn lost_its_port(error: &HarnessError) -> bool {
    match error {
        HarnessError::Prometheus { output, .. } => output.contains("address already in use"),
        _ => false,
    }
}
