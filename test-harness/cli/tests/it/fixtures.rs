//! Running the `meshborder` binary in tests, and scratch files for it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The checkout this crate is built from, two levels above it.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The release filter `make build` makes, or `$MESHBORDER_WASM`.
pub fn filter_wasm() -> PathBuf {
    std::env::var_os("MESHBORDER_WASM").map_or_else(
        || workspace_root().join("target/wasm32-wasip1/release/meshborder_filter.wasm"),
        PathBuf::from,
    )
}

/// What a run printed and how it ended.
pub struct Run {
    /// The exit code.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `meshborder args...` in the workspace root.
pub fn meshborder(args: &[&str]) -> io::Result<Run> {
    meshborder_with(args, &[])
}

/// Runs `meshborder args...` in the workspace root, with these environment
/// variables set.
pub fn meshborder_with(args: &[&str], env: &[(&str, &str)]) -> io::Result<Run> {
    let env: Vec<(&str, Option<&str>)> = env.iter().map(|(k, v)| (*k, Some(*v))).collect();
    run(
        Path::new(env!("CARGO_BIN_EXE_meshborder")),
        &workspace_root(),
        args,
        &env,
    )
}

/// Runs `meshborder args...` in `dir`, with these environment variables set
/// (`None`: removed).
pub fn meshborder_in(dir: &Path, args: &[&str], env: &[(&str, Option<&str>)]) -> io::Result<Run> {
    run(Path::new(env!("CARGO_BIN_EXE_meshborder")), dir, args, env)
}

/// Runs `program args...` in `dir`, with these environment variables set
/// (`None`: removed).
pub fn run(
    program: &Path,
    dir: &Path,
    args: &[&str],
    env: &[(&str, Option<&str>)],
) -> io::Result<Run> {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir);
    for (key, value) in env {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output()?;
    Ok(Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// A fresh scratch directory for test `name`, under cargo's test tmpdir.
pub fn scratch(name: &str) -> io::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> io::Result<String> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&path, text)?;
    Ok(path.to_string_lossy().into_owned())
}
