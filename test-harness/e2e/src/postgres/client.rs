//! The clients: the real `psql`, pointed at any address (the server itself, or a
//! sidecar's TCP listener in front of it), once for a query or as one long-lived
//! connection that keeps sending.
//!
//! Both ask for no TLS and no GSSAPI encryption (`PGSSLMODE=disable`,
//! `PGGSSENCMODE=disable`): the first bytes on the wire are then the startup packet
//! itself, not an `SSLRequest` the server declines, and what reaches the upstream
//! is what the test reasons about. Each sets the application name, which the
//! server logs with the connection (`connection authorized: ...
//! application_name=<name>`), so a test finds its own connection in the log.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::{DATABASE, SUPERUSER, binaries};
use crate::error::{HarnessError, Result};
use crate::poll;

/// How long a client waits for the TCP connection and the server's answer to its
/// startup packet.
const CONNECT_TIMEOUT_SECS: u32 = 10;
/// How long [`SteadyConnection::finish`] waits for `psql` to end its connection.
const FINISH_TIMEOUT: Duration = Duration::from_secs(10);

/// `psql` connecting to `addr` as [`SUPERUSER`] to [`DATABASE`] as `application`.
fn command(psql: &Path, addr: SocketAddr, application: &str) -> Command {
    let mut command = Command::new(psql);
    command
        .arg("--host")
        .arg(addr.ip().to_string())
        .arg("--port")
        .arg(addr.port().to_string())
        .args(["--username", SUPERUSER, "--dbname", DATABASE])
        // No .psqlrc, unaligned tuples only, no password prompt, stop at an error.
        .args([
            "--no-psqlrc",
            "--no-align",
            "--tuples-only",
            "--no-password",
            "--quiet",
        ])
        .args(["--set", "ON_ERROR_STOP=1"])
        .env("PGAPPNAME", application)
        .env("PGSSLMODE", "disable")
        .env("PGGSSENCMODE", "disable")
        .env("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_SECS.to_string())
        .env_remove("PGSERVICE")
        .env_remove("PGOPTIONS");
    command
}

/// Runs `sql` over one `psql` connection to `addr` and returns what it printed (tuples
/// only, fields separated by `|`). A failed connection or query is an error with
/// `psql`'s message; a missing `psql` is [`HarnessError::Missing`].
pub fn psql(addr: SocketAddr, application: &str, sql: &str) -> Result<String> {
    let bins = binaries()?;
    let output = command(&bins.psql(), addr, application)
        .arg("--command")
        .arg(sql)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| HarnessError::io(format!("running `{}`", bins.psql().display()), e))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(HarnessError::io(
            format!(
                "psql to {addr} ({application}) exited with {}",
                output.status
            ),
            std::io::Error::other(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
        ))
    }
}

/// How a [`SteadyConnection`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SteadyOutcome {
    /// Queries written to the connection.
    pub queries: u64,
    /// Answers (result lines) read back.
    pub answers: u64,
    /// `psql`'s exit status.
    pub status: ExitStatus,
    /// What `psql` wrote to stderr.
    pub stderr: String,
}

/// One long-lived `psql` connection that sends a small query every `every` and reads
/// each answer back, so that bytes cross the connection in both directions, steadily,
/// for as long as it runs: what a long-lived replication or pooled connection does.
/// Every query is `SELECT <n>, repeat('x', 64)`: 90-odd bytes up, about the same
/// back. Ended by [`SteadyConnection::finish`] (stdin closed, so `psql` ends the
/// connection with a Terminate message), or killed when dropped.
#[derive(Debug)]
pub struct SteadyConnection {
    child: Child,
    stop: Arc<AtomicBool>,
    queries: Arc<AtomicU64>,
    answers: Arc<AtomicU64>,
    writer: Option<JoinHandle<()>>,
    reader: Option<JoinHandle<()>>,
}

impl SteadyConnection {
    /// Opens the connection to `addr` as `application` and starts sending.
    pub fn start(addr: SocketAddr, application: &str, every: Duration) -> Result<Self> {
        let bins = binaries()?;
        let mut child = command(&bins.psql(), addr, application)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| HarnessError::io(format!("starting `{}`", bins.psql().display()), e))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            drop(child.kill());
            return Err(HarnessError::io(
                "starting the steady psql connection",
                std::io::Error::other("no pipes to psql"),
            ));
        };
        let stop = Arc::new(AtomicBool::new(false));
        let queries = Arc::new(AtomicU64::new(0));
        let answers = Arc::new(AtomicU64::new(0));
        let writer = {
            let (stop, queries) = (Arc::clone(&stop), Arc::clone(&queries));
            thread::Builder::new()
                .name("steady-psql-writer".to_owned())
                .spawn(move || write_queries(stdin, &stop, &queries, every))
                .map_err(|e| HarnessError::io("starting the steady psql writer", e))?
        };
        let reader = {
            let answers = Arc::clone(&answers);
            thread::Builder::new()
                .name("steady-psql-reader".to_owned())
                .spawn(move || {
                    for line in BufReader::new(stdout).lines() {
                        match line {
                            Ok(line) if !line.trim().is_empty() => {
                                answers.fetch_add(1, Ordering::SeqCst);
                            }
                            Ok(_) => {}
                            Err(_) => break,
                        }
                    }
                })
                .map_err(|e| HarnessError::io("starting the steady psql reader", e))?
        };
        Ok(Self {
            child,
            stop,
            queries,
            answers,
            writer: Some(writer),
            reader: Some(reader),
        })
    }

    /// The process id of `psql`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Queries written so far.
    pub fn queries_sent(&self) -> u64 {
        self.queries.load(Ordering::SeqCst)
    }

    /// Answers read back so far.
    pub fn answers(&self) -> u64 {
        self.answers.load(Ordering::SeqCst)
    }

    /// Whether `psql` is still running (a connection the proxy closed ends it).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits (see [`poll::until`]) until `count` answers have come back in all.
    pub fn wait_for_answers(&self, count: u64) -> Result<()> {
        poll::until(
            &format!("{count} answers on the steady psql connection"),
            || Ok((self.answers() >= count).then_some(())),
        )
    }

    /// Stops sending, ends the connection and waits for `psql` to exit.
    pub fn finish(mut self) -> Result<SteadyOutcome> {
        self.stop_writer();
        let deadline = Instant::now() + FINISH_TIMEOUT;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Ok(None) => {
                    return Err(HarnessError::Timeout {
                        what: "the steady psql connection to end".to_owned(),
                        after: FINISH_TIMEOUT,
                    });
                }
                Err(e) => return Err(HarnessError::io("waiting for psql", e)),
            }
        };
        if let Some(reader) = self.reader.take() {
            drop(reader.join());
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            drop(std::io::Read::read_to_string(&mut pipe, &mut stderr));
        }
        Ok(SteadyOutcome {
            queries: self.queries_sent(),
            answers: self.answers(),
            status,
            stderr,
        })
    }

    fn stop_writer(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(writer) = self.writer.take() {
            drop(writer.join());
        }
    }
}

impl Drop for SteadyConnection {
    fn drop(&mut self) {
        self.stop_writer();
        if matches!(self.child.try_wait(), Ok(None)) {
            drop(self.child.kill());
            drop(self.child.wait());
        }
        if let Some(reader) = self.reader.take() {
            drop(reader.join());
        }
    }
}

/// Writes one query every `every` until stopped or `psql` is gone; closing `stdin`
/// on return ends the connection.
fn write_queries(mut stdin: ChildStdin, stop: &AtomicBool, queries: &AtomicU64, every: Duration) {
    let mut next = Instant::now();
    let mut n: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now < next {
            thread::sleep((next - now).min(Duration::from_millis(20)));
            continue;
        }
        n += 1;
        let query = format!("SELECT {n}, repeat('x', 64);\n");
        if stdin
            .write_all(query.as_bytes())
            .and_then(|()| stdin.flush())
            .is_err()
        {
            return;
        }
        queries.fetch_add(1, Ordering::SeqCst);
        next += every;
    }
}
