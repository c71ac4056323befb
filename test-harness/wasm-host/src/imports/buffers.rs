//! The buffer calls: `proxy_get_buffer_bytes`, `proxy_set_buffer_bytes` and
//! `proxy_get_buffer_status`, for body chunks and the VM and plugin configurations.
//!
//! As in Envoy: the plugin configuration is readable only during `on_configure`
//! (`NotFound` otherwise); a body chunk only while its callback runs or the plugin
//! holds it, and reads as empty otherwise; a read past the end is cut short; a write
//! replaces (start 0, length at least the size), prepends (start 0, length 0) or
//! appends (start at or past the end), and anything else is `BadArgument`.

use super::Registry;
use super::memory::{HostCaller, copy_out, read, write_u32};
use crate::abi::{BufferType, Status};
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
        BufferType::RequestBody => Ok(state.body(Part::RequestBody).map_or(&[], Vec::as_slice)),
        BufferType::ResponseBody => Ok(state.body(Part::ResponseBody).map_or(&[], Vec::as_slice)),
        BufferType::DownstreamData
        | BufferType::UpstreamData
        | BufferType::GrpcReceiveBuffer
        | BufferType::CallData => Ok(&[]),
    }
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
    let part = match BufferType::from_code(buffer) {
        Some(BufferType::RequestBody) => Part::RequestBody,
        Some(BufferType::ResponseBody) => Part::ResponseBody,
        Some(BufferType::PluginConfiguration) if !caller.data().configuring() => {
            return Status::NotFound.code();
        }
        Some(BufferType::HttpCallResponseBody) => return Status::NotFound.code(),
        _ => return Status::BadArgument.code(),
    };
    let Some(data) = read(&mut caller, data_ptr, data_len) else {
        return Status::InvalidMemoryAccess.code();
    };
    let Some(body) = caller.data_mut().body_mut(part) else {
        return Status::BadArgument.code();
    };
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if start == 0 && length == 0 {
        body.splice(0..0, data);
    } else if start == 0 && length >= body.len() {
        *body = data;
    } else if start >= body.len() {
        body.extend_from_slice(&data);
    } else {
        return Status::BadArgument.code();
    }
    Status::Ok.code()
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
