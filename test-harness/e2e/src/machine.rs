//! The machine a bench or soak runs on and what it runs with: core count, CPU model, load,
//! versions, the date; pinning a process to a core and reading its CPU time.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{HarnessError, Result, envoy};

/// What BENCHMARKS.md and SOAK.md say about where and with what they were measured.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Online cores.
    pub cores: usize,
    /// The CPU model.
    pub model: String,
    /// `/proc/loadavg`'s three load averages when the bench started.
    pub load_before: String,
    /// `envoy --version`, shortened.
    pub envoy: String,
    /// The load generator's version line.
    pub load_generator: String,
    /// The date, UTC, `YYYY-MM-DD`.
    pub date: String,
    /// The workspace's commit, and what differs from it.
    pub commit: String,
}

impl Machine {
    /// Reads it all.
    pub fn read(load_generator: String) -> Result<Self> {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cores = cpuinfo
            .lines()
            .filter(|line| line.starts_with("processor"))
            .count();
        let model = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, m)| m.trim().to_owned());
        let envoy = envoy::version::version()?;
        let commit = commit();
        Ok(Self {
            cores,
            model,
            load_before: load_average(),
            envoy,
            load_generator,
            date: today(),
            commit,
        })
    }
}

/// The workspace's commit, and the files that differ from it, if any, as Markdown.
fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default()
    };
    let commit = git(&["rev-parse", "--short", "HEAD"]).trim().to_owned();
    if commit.is_empty() {
        return "unknown".to_owned();
    }
    // `XY path` per changed file, `X` or `Y` possibly a space.
    let changed: Vec<String> = git(&["status", "--porcelain", "--untracked-files=no"])
        .lines()
        .filter_map(|line| line.get(3..).map(str::to_owned))
        .collect();
    if changed.is_empty() {
        format!("`{commit}`")
    } else {
        format!(
            "`{commit}` (with uncommitted changes to `{}`)",
            changed.join("`, `")
        )
    }
}

/// The three load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    let text = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pins every thread of process `pid` to `core`.
pub fn pin(pid: u32, core: usize) -> Result<()> {
    set_cores(pid, &core.to_string(), || {
        format!("core {core} to pin process {pid} to")
    })
}

/// Lets every thread of process `pid` run on every core again.
pub fn unpin(pid: u32) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    set_cores(pid, &format!("0-{}", cores - 1), || {
        format!("every core to run process {pid} on")
    })
}

/// Runs every thread of `pid` on the cores of `list` (taskset's notation); `what`
/// names them in the error.
fn set_cores(pid: u32, list: &str, what: impl FnOnce() -> String) -> Result<()> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", list, &pid.to_string()])
        .output()
        .map_err(|e| HarnessError::io("running taskset (util-linux)", e))?;
    if status.status.success() {
        Ok(())
    } else {
        Err(HarnessError::Missing {
            what: what(),
            hint: String::from_utf8_lossy(&status.stderr).trim().to_owned(),
        })
    }
}

/// The CPU time process `pid` has used, in seconds (user and system, every thread).
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name is in parentheses and may hold spaces; fields follow it.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after `)`.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    #[expect(
        clippy::cast_precision_loss,
        reason = "clock ticks stay far below 2^52"
    )]
    let seconds = ticks as f64 / clock_ticks_per_second();
    seconds
}

fn clock_ticks_per_second() -> f64 {
    output(Path::new("getconf"), &["CLK_TCK"])
        .ok()
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// Runs `program` with `args`; its stdout, or an error naming it.
pub fn output(program: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| HarnessError::io(format!("running `{}`", program.display()), e))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.trim().is_empty() {
        text = String::from_utf8_lossy(&out.stderr).into_owned();
    }
    Ok(text)
}

/// Today, UTC, as `YYYY-MM-DD` (the civil-from-days algorithm: no date crate).
fn today() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0) + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
