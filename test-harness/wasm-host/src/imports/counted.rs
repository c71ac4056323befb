//! Counting host calls in one place: every host function is linked through
//! [`Counted::link`], which wraps it in a closure that tallies the import's name on
//! the running callback and then runs it. No import counts for itself, so none can
//! forget to, and a new import is counted as soon as it is registered.
//!
//! The tally is the number of times the guest entered the host, a cost that fuel
//! does not show: fuel meters the guest's instructions around a call, not the
//! crossing, nor the copying the host does.

use std::borrow::Cow;

use wasmtime::{Linker, WasmRet, WasmTy};

use super::memory::HostCaller;
use crate::state::HostState;

/// A host function taking the caller and the arguments `Params`, returning `R`,
/// that can be linked with its calls counted.
pub trait Counted<Params, R> {
    /// Defines `module.name` in `linker` as this function, each call counted under
    /// `name`.
    fn link(
        self,
        linker: &mut Linker<HostState>,
        module: &str,
        name: &'static str,
    ) -> wasmtime::Result<()>;
}

/// Implements [`Counted`] for host functions of one arity, as wasmtime implements
/// `IntoFunc`: `(type argument)` pairs, the types uppercase, the arguments not.
macro_rules! counted {
    ($(($ty:ident $arg:ident))*) => {
        impl<F, R, $($ty,)*> Counted<($($ty,)*), R> for F
        where
            F: Fn(HostCaller<'_>, $($ty),*) -> R + Send + Sync + 'static,
            $($ty: WasmTy,)*
            R: WasmRet,
        {
            fn link(
                self,
                linker: &mut Linker<HostState>,
                module: &str,
                name: &'static str,
            ) -> wasmtime::Result<()> {
                let counted = move |mut caller: HostCaller<'_>, $($arg: $ty),*| {
                    caller.data_mut().count_host_call(Cow::Borrowed(name));
                    self(caller, $($arg),*)
                };
                linker.func_wrap(module, name, counted)?;
                Ok(())
            }
        }
    };
}

counted!();
counted!((A1 a1));
counted!((A1 a1) (A2 a2));
counted!((A1 a1) (A2 a2) (A3 a3));
counted!((A1 a1) (A2 a2) (A3 a3) (A4 a4));
counted!((A1 a1) (A2 a2) (A3 a3) (A4 a4) (A5 a5));
counted!((A1 a1) (A2 a2) (A3 a3) (A4 a4) (A5 a5) (A6 a6));
counted!((A1 a1) (A2 a2) (A3 a3) (A4 a4) (A5 a5) (A6 a6) (A7 a7));
counted!((A1 a1) (A2 a2) (A3 a3) (A4 a4) (A5 a5) (A6 a6) (A7 a7) (A8 a8));
counted!((A1 a1) (A2 a2) (A3 a3) (A4 a4) (A5 a5) (A6 a6) (A7 a7) (A8 a8) (A9 a9));
counted!((A1 a1) (A2 a2) (A3 a3) (A4 a4) (A5 a5) (A6 a6) (A7 a7) (A8 a8) (A9 a9) (A10 a10));
