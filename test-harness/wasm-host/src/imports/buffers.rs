//! The buffer calls: `proxy_get_buffer_bytes`, `proxy_set_buffer_bytes` and
//! `proxy_get_buffer_status`, for body chunks, network data and the VM and plugin
//! configurations.
//!
//! As in Envoy: the plugin configuration is readable only during `on_configure`
//! (`NotFound` otherwise); a body chunk or a direction's network data only while its
//! callback runs or the plugin holds it, and reads as empty otherwise; a read past
//! the end is cut short. A write at start 0 replaces the first `length` bytes (all
//! of them when `length` is at least the size, none, a prepend, when it is 0), a
//! write at or past the end appends, and anything else is `BadArgument`, as is a
//! write to a buffer the plugin may not touch now.

use super::Registry;
use super::memory::{HostCaller, copy_out, read, write_u32};
use crate::abi::{BufferType, Status};
use crate::connection::Direction;
use crate::state::HostState;
use crate::stream_state::Part;

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap("env", "proxy_get_buffer_bytes", get_bytes)?;
    registry.wrap("env", "proxy_set_buffer_bytes", set_bytes)?;
    registry.wrap("env", "proxy_get_buffer_status", get_status)
}

/// The bytes of a buffer, or the status Envoy answers when there is none.
fn contents(state: &HostState, buffer: BufferType) -> Result<&[u8], Status> {
    match buffer {
        BufferType::VmConfiguration => Ok(&state.settings.vm_config),
        BufferType::PluginConfiguration if state.configuring() => Ok(&state.settings.plugin_config),
        BufferType::PluginConfiguration | BufferType::HttpCallResponseBody => Err(Status::NotFound),
        BufferType::RequestBody => served(state.body(Part::RequestBody)),
        BufferType::ResponseBody => served(state.body(Part::ResponseBody)),
        BufferType::DownstreamData => served(state.connection_data(Direction::Downstream)),
        BufferType::UpstreamData => served(state.connection_data(Direction::Upstream)),
        BufferType::GrpcReceiveBuffer | BufferType::CallData => Ok(&[]),
    }
}

/// A stream buffer's bytes; one the plugin may not use now reads as empty.
fn served(bytes: Option<&Vec<u8>>) -> Result<&[u8], Status> {
    Ok(bytes.map_or(&[], Vec::as_slice))
}

/// The bytes a write to `buffer` changes, or the status Envoy answers: `NotFound`
/// for a buffer that does not exist now, `BadArgument` for one the plugin may not
/// change.
fn target(state: &mut HostState, buffer: BufferType) -> Result<&mut Vec<u8>, Status> {
    let writable = match buffer {
        BufferType::RequestBody => state.body_mut(Part::RequestBody),
        BufferType::ResponseBody => state.body_mut(Part::ResponseBody),
        BufferType::DownstreamData => state.connection_data_mut(Direction::Downstream),
        BufferType::UpstreamData => state.connection_data_mut(Direction::Upstream),
        BufferType::PluginConfiguration if !state.configuring() => {
            return Err(Status::NotFound);
        }
        BufferType::HttpCallResponseBody => return Err(Status::NotFound),
        _ => None,
    };
    writable.ok_or(Status::BadArgument)
}

/// Envoy's rule for a write of `data` at `start` over `length` bytes.
fn splice(bytes: &mut Vec<u8>, start: u32, length: u32, data: Vec<u8>) -> Status {
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if start == 0 {
        bytes.splice(0..length.min(bytes.len()), data);
    } else if start >= bytes.len() {
        bytes.extend_from_slice(&data);
    } else {
        return Status::BadArgument;
    }
    Status::Ok
}

fn get_bytes(
    mut caller: HostCaller<'_>,
    buffer: u32,
    start: u32,
    length: u32,
    ptr_ptr: u32,
    size_ptr: u32,
) -> wasmtime::Result<u32> {
    let Some(buffer) = BufferType::from_code(buffer) else {
        return Ok(Status::BadArgument.code());
    };
    let slice = match contents(caller.data(), buffer) {
        Ok(bytes) => {
            let start = usize::try_from(start).unwrap_or(usize::MAX);
            let end = start.saturating_add(usize::try_from(length).unwrap_or(usize::MAX));
            let end = end.min(bytes.len());
            bytes.get(start..end).unwrap_or_default().to_vec()
        }
        Err(status) => return Ok(status.code()),
    };
    Ok(copy_out(&mut caller, &slice, ptr_ptr, size_ptr)?.code())
}

fn set_bytes(
    mut caller: HostCaller<'_>,
    buffer: u32,
    start: u32,
    length: u32,
    data_ptr: u32,
    data_len: u32,
) -> u32 {
    let Some(buffer) = BufferType::from_code(buffer) else {
        return Status::BadArgument.code();
    };
    // Envoy looks the buffer up, then reads the guest's bytes, then writes.
    if let Err(Status::NotFound) = target(caller.data_mut(), buffer) {
        return Status::NotFound.code();
    }
    let Some(data) = read(&mut caller, data_ptr, data_len) else {
        return Status::InvalidMemoryAccess.code();
    };
    match target(caller.data_mut(), buffer) {
        Ok(bytes) => splice(bytes, start, length, data).code(),
        Err(status) => status.code(),
    }
}

fn get_status(mut caller: HostCaller<'_>, buffer: u32, length_ptr: u32, flags_ptr: u32) -> u32 {
    let Some(buffer) = BufferType::from_code(buffer) else {
        return Status::BadArgument.code();
    };
    let length = match contents(caller.data(), buffer) {
        Ok(bytes) => u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        Err(status) => return status.code(),
    };
    if write_u32(&mut caller, length_ptr, length) && write_u32(&mut caller, flags_ptr, 0) {
        Status::Ok.code()
    } else {
        Status::InvalidMemoryAccess.code()
    }
}
