//! Shared data and shared queues, over the plugin's [`SharedStore`].
//!
//! [`SharedStore`]: crate::shared::SharedStore

use super::Registry;
use super::memory::{HostCaller, copy_out, read, read_string, write, write_u32};
use crate::abi::Status;

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap("env", "proxy_get_shared_data", get_data)?;
    registry.wrap("env", "proxy_set_shared_data", set_data)?;
    registry.wrap("env", "proxy_register_shared_queue", register_queue)?;
    registry.wrap("env", "proxy_resolve_shared_queue", resolve_queue)?;
    registry.wrap("env", "proxy_enqueue_shared_queue", enqueue)?;
    registry.wrap("env", "proxy_dequeue_shared_queue", dequeue)
}

fn get_data(
    mut caller: HostCaller<'_>,
    key_ptr: u32,
    key_len: u32,
    value_ptr_ptr: u32,
    value_len_ptr: u32,
    cas_ptr: u32,
) -> wasmtime::Result<u32> {
    let Some(key) = read_string(&mut caller, key_ptr, key_len) else {
        return Ok(Status::InvalidMemoryAccess.code());
    };
    let Some(entry) = caller.data().shared.get(&key) else {
        return Ok(Status::NotFound.code());
    };
    let status = copy_out(&mut caller, &entry.value, value_ptr_ptr, value_len_ptr)?;
    if status != Status::Ok {
        return Ok(status.code());
    }
    if write(&mut caller, cas_ptr, &entry.cas.to_le_bytes()) {
        Ok(Status::Ok.code())
    } else {
        Ok(Status::InvalidMemoryAccess.code())
    }
}

fn set_data(
    mut caller: HostCaller<'_>,
    key_ptr: u32,
    key_len: u32,
    value_ptr: u32,
    value_len: u32,
    cas: u32,
) -> u32 {
    let (Some(key), Some(value)) = (
        read_string(&mut caller, key_ptr, key_len),
        read(&mut caller, value_ptr, value_len),
    ) else {
        return Status::InvalidMemoryAccess.code();
    };
    caller.data().shared.set(&key, &value, cas).code()
}

fn register_queue(mut caller: HostCaller<'_>, name_ptr: u32, name_len: u32, token_ptr: u32) -> u32 {
    let Some(name) = read_string(&mut caller, name_ptr, name_len) else {
        return Status::InvalidMemoryAccess.code();
    };
    let state = caller.data();
    let token = state
        .shared
        .register_queue(state.vm_serial, &name, state.context_id());
    if write_u32(&mut caller, token_ptr, token) {
        Status::Ok.code()
    } else {
        Status::InvalidMemoryAccess.code()
    }
}

fn resolve_queue(
    mut caller: HostCaller<'_>,
    vm_id_ptr: u32,
    vm_id_len: u32,
    name_ptr: u32,
    name_len: u32,
    token_ptr: u32,
) -> u32 {
    let (Some(vm_id), Some(name)) = (
        read_string(&mut caller, vm_id_ptr, vm_id_len),
        read_string(&mut caller, name_ptr, name_len),
    ) else {
        return Status::InvalidMemoryAccess.code();
    };
    let state = caller.data();
    let token = if vm_id == state.settings.vm_id {
        state.shared.resolve_queue(&name)
    } else {
        None
    };
    let Some(token) = token else {
        return Status::NotFound.code();
    };
    if write_u32(&mut caller, token_ptr, token) {
        Status::Ok.code()
    } else {
        Status::InvalidMemoryAccess.code()
    }
}

fn enqueue(mut caller: HostCaller<'_>, token: u32, data_ptr: u32, data_len: u32) -> u32 {
    let Some(data) = read(&mut caller, data_ptr, data_len) else {
        return Status::InvalidMemoryAccess.code();
    };
    caller.data().shared.enqueue(token, &data).code()
}

fn dequeue(
    mut caller: HostCaller<'_>,
    token: u32,
    data_ptr_ptr: u32,
    data_len_ptr: u32,
) -> wasmtime::Result<u32> {
    match caller.data().shared.dequeue(token) {
        Ok(item) => Ok(copy_out(&mut caller, &item, data_ptr_ptr, data_len_ptr)?.code()),
        Err(status) => Ok(status.code()),
    }
}
