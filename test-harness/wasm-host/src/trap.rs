//! Turns what wasmtime reports when a callback fails into a [`HostError`] that says
//! what happened: a panic (with the message the guest logged), a trap, fuel running
//! out, `proc_exit`, or a call to a host function that strict mode refuses.

use wasmtime::{Trap, WasmBacktrace};

use super::abi::LogLevel;
use super::callback::Callback;
use super::error::{Frame, GuestBacktrace, HostError};
use super::imports::Abort;
use super::log::{LogRecord, LogSource};

/// Classifies the error of a failed call to `callback`. `logs` are the lines the
/// guest logged during the call, where a panic message is found.
pub fn classify(
    error: &wasmtime::Error,
    callback: Callback,
    logs: &[LogRecord],
    fuel_limit: u64,
) -> HostError {
    let callback_name = callback.export().to_owned();
    let backtrace = backtrace(error);
    if let Some(abort) = error.downcast_ref::<Abort>() {
        return match abort {
            Abort::ProcExit(code) => HostError::ProcExit {
                callback: callback_name,
                code: *code,
            },
            Abort::Unimplemented(call) => HostError::Unimplemented {
                callback: callback_name,
                call: call.clone(),
            },
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => HostError::FuelExhausted {
            callback: callback_name,
            limit: fuel_limit,
            backtrace,
        },
        Some(trap) => match panic_message(logs) {
            Some(message) if *trap == Trap::UnreachableCodeReached => HostError::Panic {
                callback: callback_name,
                message,
                backtrace,
            },
            _ => HostError::Trap {
                callback: callback_name,
                trap: trap.to_string(),
                backtrace,
            },
        },
        None => HostError::Trap {
            callback: callback_name,
            trap: format!("{error:#}"),
            backtrace,
        },
    }
}

/// The Rust SDK's panic hook logs the panic at critical level; without the hook,
/// the standard library writes `panicked at` to stderr.
fn panic_message(logs: &[LogRecord]) -> Option<String> {
    logs.iter()
        .rev()
        .find(|line| {
            (line.source == LogSource::ProxyLog && line.level == LogLevel::Critical)
                || (line.source == LogSource::Stderr && line.message.contains("panicked at"))
        })
        .map(|line| line.message.clone())
}

fn backtrace(error: &wasmtime::Error) -> GuestBacktrace {
    let Some(trace) = error.downcast_ref::<WasmBacktrace>() else {
        return GuestBacktrace::default();
    };
    GuestBacktrace {
        frames: trace
            .frames()
            .iter()
            .map(|frame| Frame {
                func_index: frame.func_index(),
                name: frame.func_name().map(str::to_owned),
                module_offset: frame.module_offset(),
            })
            .collect(),
    }
}
