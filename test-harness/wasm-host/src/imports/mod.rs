//! The host functions: proxy-wasm ABI 0.2.1 (module `env`) and the WASI preview1
//! calls a `wasm32-wasip1` build imports, each behaving as Envoy's host does.
//!
//! Every import the module declares that this host does not implement is still
//! linked, so the module always instantiates: in strict mode calling it fails the
//! callback with [`HostError::Unimplemented`](super::HostError::Unimplemented)
//! naming the call; otherwise it is recorded and answers `Unimplemented` (WASI:
//! `ENOSYS`).
//!
//! Every call of an import, implemented or a stub, is counted on the running
//! callback ([`counted`]): the guest's host calls per callback, by import name.

mod buffers;
mod context;
mod counted;
mod headers;
mod logging;
pub mod memory;
mod metrics;
mod properties;
mod shared;
mod stream;
mod wasi;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use wasmtime::{Engine, ExternType, Linker, Module, Val, ValType};

use self::counted::Counted;
use super::abi::{Status, errno};
use super::state::HostState;

/// A host function ended the guest's call on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Abort {
    /// WASI `proc_exit`.
    ProcExit(u32),
    /// Strict mode: an unimplemented import, as `module.name`.
    Unimplemented(String),
}

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProcExit(code) => write!(f, "proc_exit({code})"),
            Self::Unimplemented(call) => write!(f, "unimplemented host call `{call}`"),
        }
    }
}

impl std::error::Error for Abort {}

/// A linker that remembers what it defined.
pub struct Registry {
    linker: Linker<HostState>,
    defined: HashSet<(String, String)>,
}

impl Registry {
    /// Defines `module.name` as `func`, its calls counted under `name`.
    pub fn wrap<Params, R>(
        &mut self,
        module: &str,
        name: &'static str,
        func: impl Counted<Params, R>,
    ) -> wasmtime::Result<()> {
        func.link(&mut self.linker, module, name)?;
        self.defined.insert((module.to_owned(), name.to_owned()));
        Ok(())
    }
}

/// A linker with every host function, and a stub for any other import of `module`.
pub fn linker(
    engine: &Engine,
    module: &Module,
    strict: bool,
) -> wasmtime::Result<Linker<HostState>> {
    let mut registry = Registry {
        linker: Linker::new(engine),
        defined: HashSet::new(),
    };
    logging::add(&mut registry)?;
    properties::add(&mut registry)?;
    headers::add(&mut registry)?;
    buffers::add(&mut registry)?;
    metrics::add(&mut registry)?;
    shared::add(&mut registry)?;
    stream::add(&mut registry)?;
    context::add(&mut registry)?;
    wasi::add(&mut registry)?;
    for import in module.imports() {
        let key = (import.module().to_owned(), import.name().to_owned());
        if registry.defined.contains(&key) {
            continue;
        }
        if let ExternType::Func(ty) = import.ty() {
            let call = format!("{}.{}", key.0, key.1);
            let import_name: Cow<'static, str> = Cow::Owned(key.1.clone());
            let kinds: Vec<Option<ValType>> = ty
                .results()
                .map(|t| match t {
                    ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64 => Some(t),
                    _ => None,
                })
                .collect();
            let answer = if key.0.starts_with("wasi") {
                errno::NOSYS
            } else {
                Status::Unimplemented.code()
            };
            registry
                .linker
                .func_new(&key.0, &key.1, ty, move |mut caller, _params, results| {
                    caller.data_mut().count_host_call(import_name.clone());
                    if strict {
                        return Err(wasmtime::Error::new(Abort::Unimplemented(call.clone())));
                    }
                    caller.data_mut().unimplemented.push(call.clone());
                    for (slot, (result, kind)) in results.iter_mut().zip(&kinds).enumerate() {
                        *result = default_result(kind.as_ref(), slot, answer);
                    }
                    Ok(())
                })?;
        }
    }
    Ok(registry.linker)
}

/// What a lenient stub returns: the status in the first `i32` result, zeros else.
fn default_result(kind: Option<&ValType>, slot: usize, answer: u32) -> Val {
    match kind {
        Some(ValType::I64) => Val::I64(0),
        Some(ValType::F32) => Val::F32(0),
        Some(ValType::F64) => Val::F64(0),
        _ if slot == 0 => Val::I32(i32::from_ne_bytes(answer.to_ne_bytes())),
        _ => Val::I32(0),
    }
}
