//! One wasmtime engine per process, and each `.wasm` file compiled once.
//!
//! Compiling the filter with Cranelift takes far longer than running a test, so
//! every test of a test binary reuses the same compiled [`Module`]. Only these
//! immutable artifacts are shared; each VM gets its own store and instance. A file
//! rebuilt while the process runs (its size or modification time changed) is
//! compiled again.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use wasmtime::{Config, Engine, Module};

use super::error::{HostError, HostResult};

type Key = (PathBuf, u64, Option<SystemTime>);
type Slot = Arc<OnceLock<HostResult<Module>>>;

/// The process's engine: Cranelift with fuel metering; wasm backtraces are on by default.
pub fn engine() -> HostResult<&'static Engine> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut config = Config::new();
            config.consume_fuel(true);
            config.cranelift_opt_level(wasmtime::OptLevel::None);
            Engine::new(&config).map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(|reason| HostError::Instantiate {
            reason: format!("creating the wasmtime engine: {reason}"),
        })
}

/// The compiled module of the `.wasm` file at `path`.
pub fn module(path: &Path) -> HostResult<Module> {
    static MODULES: OnceLock<Mutex<HashMap<Key, Slot>>> = OnceLock::new();
    let metadata = fs::metadata(path).map_err(|e| HostError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let key = (canonical, metadata.len(), metadata.modified().ok());
    let slot = {
        let mut modules = MODULES
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(modules.entry(key).or_default())
    };
    slot.get_or_init(|| compile_file(path)).clone()
}

fn compile_file(path: &Path) -> HostResult<Module> {
    let bytes = fs::read(path).map_err(|e| HostError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    compile(path, &bytes)
}

/// Compiles wasm bytes or WAT text; `origin` names them in errors.
pub fn compile(origin: &Path, bytes: &[u8]) -> HostResult<Module> {
    Module::new(engine()?, bytes).map_err(|e| HostError::Compile {
        path: origin.to_owned(),
        reason: format!("{e:#}"),
    })
}
