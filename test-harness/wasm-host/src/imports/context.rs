//! Context-level calls: effective context, foreign functions, `proxy_done`, the
//! tick period and the clock.
//!
//! The one foreign function Envoy offers that HTTP filters use here is
//! `clear_route_cache`; the host counts its calls on the stream. Any other name is
//! `NotFound`, as in Envoy when a function is not registered.

use super::Registry;
use super::memory::{HostCaller, read, read_string, write_u32, write_u64};
use crate::abi::Status;
use crate::state::ROOT_CONTEXT_ID;

/// The foreign function that makes Envoy pick the route again.
pub const CLEAR_ROUTE_CACHE: &str = "clear_route_cache";

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap("env", "proxy_set_effective_context", set_effective_context)?;
    registry.wrap("env", "proxy_call_foreign_function", call_foreign_function)?;
    registry.wrap("env", "proxy_done", done)?;
    registry.wrap(
        "env",
        "proxy_set_tick_period_milliseconds",
        set_tick_period_milliseconds,
    )?;
    registry.wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        get_current_time_nanoseconds,
    )
}

fn set_effective_context(mut caller: HostCaller<'_>, context_id: u32) -> u32 {
    let state = caller.data_mut();
    if context_id == ROOT_CONTEXT_ID || state.streams.contains_key(&context_id) {
        state.effective = Some(context_id);
        Status::Ok.code()
    } else {
        Status::BadArgument.code()
    }
}

fn call_foreign_function(
    mut caller: HostCaller<'_>,
    name_ptr: u32,
    name_len: u32,
    args_ptr: u32,
    args_len: u32,
    results_ptr: u32,
    results_len_ptr: u32,
) -> u32 {
    let Some(name) = read_string(&mut caller, name_ptr, name_len) else {
        return Status::InvalidMemoryAccess.code();
    };
    if read(&mut caller, args_ptr, args_len).is_none() {
        return Status::InvalidMemoryAccess.code();
    }
    caller.data_mut().foreign_calls.push(name.clone());
    if name != CLEAR_ROUTE_CACHE {
        return Status::NotFound.code();
    }
    if let Some(stream) = caller.data_mut().stream_mut() {
        stream.clear_route_cache();
    }
    let wrote = (results_ptr == 0 || write_u32(&mut caller, results_ptr, 0))
        && (results_len_ptr == 0 || write_u32(&mut caller, results_len_ptr, 0));
    if wrote {
        Status::Ok.code()
    } else {
        Status::InvalidMemoryAccess.code()
    }
}

fn done(_caller: HostCaller<'_>) -> u32 {
    Status::Ok.code()
}

fn set_tick_period_milliseconds(mut caller: HostCaller<'_>, period: u32) -> u32 {
    caller.data_mut().tick_period_ms = period;
    Status::Ok.code()
}

fn get_current_time_nanoseconds(mut caller: HostCaller<'_>, time_ptr: u32) -> u32 {
    let now = caller.data().clock.unix_nanos();
    if write_u64(&mut caller, time_ptr, now) {
        Status::Ok.code()
    } else {
        Status::InvalidMemoryAccess.code()
    }
}
