//! `proxy_get_property` and `proxy_set_property`.
//!
//! A value is returned as raw bytes; a missing one is `NotFound`. Setting a property
//! stores it for the running stream (Envoy keeps it in the stream's filter state);
//! outside a stream there is nowhere to keep it, and Envoy answers `NotFound`.

use super::Registry;
use super::memory::{HostCaller, copy_out, read};
use crate::abi::Status;
use crate::property::{PropertyPath, PropertyValue};

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap("env", "proxy_get_property", proxy_get_property)?;
    registry.wrap("env", "proxy_set_property", proxy_set_property)
}

fn proxy_get_property(
    mut caller: HostCaller<'_>,
    path_ptr: u32,
    path_len: u32,
    value_ptr_ptr: u32,
    value_len_ptr: u32,
) -> wasmtime::Result<u32> {
    let Some(path) = read(&mut caller, path_ptr, path_len) else {
        return Ok(Status::InvalidMemoryAccess.code());
    };
    let Some(value) = caller.data().property(&path) else {
        return Ok(Status::NotFound.code());
    };
    Ok(copy_out(&mut caller, &value, value_ptr_ptr, value_len_ptr)?.code())
}

fn proxy_set_property(
    mut caller: HostCaller<'_>,
    path_ptr: u32,
    path_len: u32,
    value_ptr: u32,
    value_len: u32,
) -> u32 {
    let (Some(path), Some(value)) = (
        read(&mut caller, path_ptr, path_len),
        read(&mut caller, value_ptr, value_len),
    ) else {
        return Status::InvalidMemoryAccess.code();
    };
    let Some(stream) = caller.data_mut().stream_mut() else {
        return Status::NotFound.code();
    };
    stream
        .properties
        .set(PropertyPath::from_encoded(&path), PropertyValue::raw(value));
    Status::Ok.code()
}
