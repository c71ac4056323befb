//! Where `prometheus` and `promtool` are: in `$MESHBORDER_PROMETHEUS_BIN`, else in the
//! first directory of `PATH` that has both (Debian's `prometheus` package puts them
//! in `/usr/bin`), as the Makefile's `setup-prometheus` looks for them. Their absence
//! is a [`HarnessError::Missing`] that says how to install them, so the monitoring
//! tests fail loudly instead of skipping.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{HarnessError, Result};

/// Environment variable naming the directory of `prometheus` and `promtool`.
pub const PROMETHEUS_BIN_ENV: &str = "MESHBORDER_PROMETHEUS_BIN";

/// The two binaries, found together in one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusBinaries {
    /// The server.
    pub prometheus: PathBuf,
    /// Its command-line tool.
    pub promtool: PathBuf,
}

impl PrometheusBinaries {
    /// The binaries in `$MESHBORDER_PROMETHEUS_BIN`, else on `PATH`.
    pub fn find() -> Result<Self> {
        let from_env = env::var_os(PROMETHEUS_BIN_ENV).map(PathBuf::from);
        let on_path = env::var_os("PATH")
            .map(|path| env::split_paths(&path).collect::<Vec<_>>())
            .unwrap_or_default();
        from_env
            .into_iter()
            .chain(on_path)
            .find_map(|dir| Self::in_dir(&dir))
            .ok_or_else(|| HarnessError::Missing {
                what: format!("prometheus and promtool (in ${PROMETHEUS_BIN_ENV} or on PATH)"),
                hint: "run `make setup-prometheus` as root, or `sudo apt-get install prometheus`"
                    .to_owned(),
            })
    }

    /// Both binaries in `dir`, if it has them.
    pub fn in_dir(dir: &Path) -> Option<Self> {
        let found = Self {
            prometheus: dir.join("prometheus"),
            promtool: dir.join("promtool"),
        };
        (found.prometheus.is_file() && found.promtool.is_file()).then_some(found)
    }

    /// The first line of `promtool --version`, e.g. `promtool, version 2.42.0+ds (…)`.
    pub fn promtool_version(&self) -> Result<String> {
        version_line(&self.promtool)
    }

    /// The first line of `prometheus --version`.
    pub fn prometheus_version(&self) -> Result<String> {
        version_line(&self.prometheus)
    }
}

fn version_line(binary: &Path) -> Result<String> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .map_err(|e| HarnessError::io(format!("running `{} --version`", binary.display()), e))?;
    // Prometheus 2.x prints its version on stderr, later releases on stdout.
    let text = [output.stdout, output.stderr].concat();
    Ok(String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_without_both_binaries_is_not_a_prometheus_install() {
        assert_eq!(PrometheusBinaries::in_dir(Path::new("/nonexistent")), None);
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(PrometheusBinaries::in_dir(crate_dir), None);
    }
}
