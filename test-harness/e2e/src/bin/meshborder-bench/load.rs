//! The load generators.
//!
//! - HTTP: wrk (Debian's package) when it is installed, else oha (which `make setup`
//!   puts in .tools/), pinned to its own core, a fixed number of keep-alive
//!   connections, for a fixed time; its report parsed into requests per second and
//!   latency percentiles.
//! - TCP: [`transfer`], one bulk transfer over one connection with the bulk
//!   upstream (`upstream::start_bulk`), timed end to end, on the bench's own core.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use meshborder_e2e::soak::oha_binary;
use meshborder_e2e::workload::WorkloadRequest;
use meshborder_e2e::{HarnessError, Result};
use serde_json::Value;

use crate::upstream::{BULK_CHUNK, Flow};

/// How long a TCP transfer may wait on a read or a write before it fails.
const TRANSFER_STALL: Duration = Duration::from_secs(30);

/// What one run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadResult {
    /// Requests per second.
    pub rps: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Requests completed.
    pub requests: u64,
    /// Connect, read, write and timeout errors.
    pub errors: u64,
}

/// Which load generator runs.
#[derive(Debug, Clone)]
pub enum Generator {
    /// wrk, from the PATH.
    Wrk,
    /// oha, at this path.
    Oha(PathBuf),
}

impl Generator {
    /// wrk when it is installed, else oha; with its version line.
    pub fn find() -> Result<(Self, String)> {
        if let Some(version) = version_line(Path::new("wrk"), "-v") {
            return Ok((Self::Wrk, version));
        }
        let missing = HarnessError::Missing {
            what: "a load generator: wrk, or oha in .tools/".to_owned(),
            hint: "run `make setup-bench` (Debian's wrk package, as root) or `make setup` \
                   (oha into .tools/)"
                .to_owned(),
        };
        let oha = oha_binary().map_err(|_| missing)?;
        let version = version_line(&oha, "--version").unwrap_or_else(|| "oha".to_owned());
        Ok((Self::Oha(oha), version))
    }
}

/// The first line `program flag` prints, without wrk's copyright; `None` when it
/// does not run.
fn version_line(program: &Path, flag: &str) -> Option<String> {
    let out = Command::new(program).arg(flag).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?;
    let line = line.split(" Copyright").next().unwrap_or(line).trim();
    (!line.is_empty()).then(|| line.to_owned())
}

/// How a run is driven.
#[derive(Debug, Clone)]
pub struct LoadSettings {
    /// The load generator.
    pub generator: Generator,
    /// Seconds per run.
    pub seconds: u32,
    /// Keep-alive connections.
    pub connections: u32,
    /// The core the generator runs on.
    pub core: usize,
}

/// Runs the load generator against `addr` with `request` and parses its report.
pub fn run(
    addr: SocketAddr,
    request: &WorkloadRequest,
    settings: &LoadSettings,
) -> Result<LoadResult> {
    let mut command = Command::new("taskset");
    command.args(["-c", &settings.core.to_string()]);
    match &settings.generator {
        Generator::Wrk => {
            command
                .args(["wrk", "-t1", "--latency"])
                .arg(format!("-d{}s", settings.seconds))
                .args(["-H", &format!("Host: {}", request.authority)]);
        }
        Generator::Oha(oha) => {
            command
                .arg(oha)
                .args(["--no-tui", "--output-format", "json"])
                .arg(format!("-z{}s", settings.seconds))
                .args(["--host", &request.authority]);
        }
    }
    command.arg(format!("-c{}", settings.connections));
    for (name, value) in &request.headers {
        command.args(["-H", &format!("{name}: {value}")]);
    }
    command.arg(format!("http://{addr}{}", request.path));
    let out = command
        .output()
        .map_err(|e| HarnessError::io("running the load generator", e))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let result = match settings.generator {
        Generator::Wrk => parse(&text),
        Generator::Oha(_) => serde_json::from_str(&text).ok().and_then(|r| parse_oha(&r)),
    };
    result.ok_or_else(|| unreadable(addr, request, &out, &text))
}

fn unreadable(
    addr: SocketAddr,
    request: &WorkloadRequest,
    out: &Output,
    text: &str,
) -> HarnessError {
    HarnessError::Http {
        context: format!("load against {addr}{}", request.path),
        reason: format!(
            "unreadable report ({}): {text}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Moves `bytes` through `addr` to or from the bulk upstream, one way per `flow`,
/// and returns how long it took, from before the connect to the last byte: for an
/// upload, the upstream's answer that it read them all; for a download, the close
/// after the last byte. A short count is an error.
pub fn transfer(addr: SocketAddr, flow: Flow, bytes: u64) -> Result<Duration> {
    let context = || format!("a TCP transfer {} through {addr}", flow.name());
    let started = Instant::now();
    let moved = move_bytes(addr, flow, bytes).map_err(|e| HarnessError::io(context(), e))?;
    let elapsed = started.elapsed();
    if moved != bytes {
        return Err(HarnessError::io(
            context(),
            io::Error::new(
                ErrorKind::UnexpectedEof,
                format!("{moved} of {bytes} bytes arrived"),
            ),
        ));
    }
    Ok(elapsed)
}

/// The caller's end of [`transfer`]: how many bytes the other end got.
fn move_bytes(addr: SocketAddr, flow: Flow, bytes: u64) -> io::Result<u64> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(TRANSFER_STALL))?;
    stream.set_write_timeout(Some(TRANSFER_STALL))?;
    stream.set_nodelay(true)?;
    stream.write_all(&flow.header(bytes))?;
    let mut buffer = vec![0_u8; BULK_CHUNK];
    match flow {
        Flow::Upload => {
            let mut left = bytes;
            while left > 0 {
                let n = usize::try_from(left).map_or(BULK_CHUNK, |left| left.min(BULK_CHUNK));
                stream.write_all(buffer.get(..n).unwrap_or_default())?;
                left -= n as u64;
            }
            stream.shutdown(Shutdown::Write)?;
            let mut answer = [0; 8];
            stream.read_exact(&mut answer)?;
            Ok(u64::from_le_bytes(answer))
        }
        Flow::Download => {
            let mut read: u64 = 0;
            loop {
                match stream.read(&mut buffer) {
                    Ok(0) => return Ok(read),
                    Ok(n) => read += n as u64,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

/// Reads oha's JSON report; the requests cut off by the deadline are no errors.
fn parse_oha(report: &Value) -> Option<LoadResult> {
    let seconds = |key: &str| report.get("latencyPercentiles")?.get(key)?.as_f64();
    let count = |key: &str, skip: &str| -> u64 {
        report
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(name, _)| name.as_str() != skip)
            .filter_map(|(_, n)| n.as_u64())
            .sum()
    };
    Some(LoadResult {
        rps: report.get("summary")?.get("requestsPerSec")?.as_f64()?,
        p50_us: seconds("p50")? * 1e6,
        p99_us: seconds("p99")? * 1e6,
        requests: count("statusCodeDistribution", ""),
        errors: count("errorDistribution", "aborted due to deadline"),
    })
}

/// Reads wrk's `--latency` report.
fn parse(text: &str) -> Option<LoadResult> {
    let mut rps = None;
    let mut p50 = None;
    let mut p99 = None;
    let mut requests = None;
    let mut errors = 0;
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(value)) => rps = value.parse().ok(),
            (Some("50%"), Some(value)) => p50 = micros(value),
            (Some("99%"), Some(value)) => p99 = micros(value),
            (Some(count), Some("requests")) => requests = count.parse().ok(),
            (Some("Socket"), Some("errors:")) => {
                errors = line
                    .split([',', ':'])
                    .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                    .sum();
            }
            _ => {}
        }
    }
    Some(LoadResult {
        rps: rps?,
        p50_us: p50?,
        p99_us: p99?,
        requests: requests?,
        errors,
    })
}

/// A wrk duration (`512.00us`, `1.20ms`, `2.00s`) in microseconds.
fn micros(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1_000.0,
        "s" => 1_000_000.0,
        "m" => 60_000_000.0,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 2s test @ http://127.0.0.1:40001/health
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   378.29us   92.11us   3.01ms   91.20%
    Req/Sec    42.20k     1.11k   43.60k    70.00%
  Latency Distribution
     50%  361.00us
     75%  389.00us
     90%  432.00us
     99%    1.02ms
  84013 requests in 2.00s, 9.69MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:  41998.61
Transfer/sec:      4.85MB
";

    #[test]
    fn reads_a_latency_report() {
        let result = parse(REPORT).unwrap();
        assert_eq!(
            result,
            LoadResult {
                rps: 41_998.61,
                p50_us: 361.0,
                p99_us: 1_020.0,
                requests: 84_013,
                errors: 3,
            }
        );
    }

    #[test]
    fn reads_an_oha_report() {
        let report = serde_json::json!({
            "summary": { "requestsPerSec": 1196.9 },
            "latencyPercentiles": { "p50": 0.000361, "p99": 0.00102 },
            "statusCodeDistribution": { "200": 1195, "403": 5 },
            "errorDistribution": { "aborted due to deadline": 4, "connection reset": 1 }
        });
        let result = parse_oha(&report).unwrap();
        assert_eq!((result.requests, result.errors), (1200, 1));
        assert!((result.p50_us - 361.0).abs() < 1e-6);
        assert!((result.p99_us - 1020.0).abs() < 1e-6);
    }

    #[test]
    fn a_report_without_requests_per_second_is_unreadable() {
        assert_eq!(
            parse("unable to connect to 127.0.0.1:1 Connection refused"),
            None
        );
    }
}
