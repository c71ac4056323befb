//! Guest memory from inside a host function: reading what the guest passed, writing
//! results back, and handing the guest bytes it owns afterwards.
//!
//! A pointer or length outside the guest's memory is not a host error: like Envoy,
//! the call answers `InvalidMemoryAccess` (or WASI `EFAULT`) and the guest decides.
//! Bytes handed to the guest are allocated by its own `proxy_on_memory_allocate`,
//! so the guest can free them; an empty result is a null pointer and size 0, as in
//! Envoy, which the Rust SDK reads as "no value".

use wasmtime::{Caller, Extern, Memory};

use crate::abi::Status;
use crate::state::HostState;

/// The store's data and the guest's linear memory.
pub type HostCaller<'a> = Caller<'a, HostState>;

fn memory(caller: &mut HostCaller<'_>) -> Option<Memory> {
    caller.get_export("memory").and_then(Extern::into_memory)
}

/// A copy of `len` bytes at `ptr`; `None` when outside memory.
pub fn read(caller: &mut HostCaller<'_>, ptr: u32, len: u32) -> Option<Vec<u8>> {
    let memory = memory(caller)?;
    let start = usize::try_from(ptr).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    memory.data(&*caller).get(start..end).map(<[u8]>::to_vec)
}

/// Reads a UTF-8 string (lossy); `None` when outside memory.
pub fn read_string(caller: &mut HostCaller<'_>, ptr: u32, len: u32) -> Option<String> {
    read(caller, ptr, len).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes `bytes` at `ptr`; false when outside memory.
pub fn write(caller: &mut HostCaller<'_>, ptr: u32, bytes: &[u8]) -> bool {
    let Some(memory) = memory(caller) else {
        return false;
    };
    let Ok(offset) = usize::try_from(ptr) else {
        return false;
    };
    memory.write(&mut *caller, offset, bytes).is_ok()
}

/// Writes a little-endian `u32` (a wasm32 pointer or size) at `ptr`.
pub fn write_u32(caller: &mut HostCaller<'_>, ptr: u32, value: u32) -> bool {
    write(caller, ptr, &value.to_le_bytes())
}

/// Writes a little-endian `u64` at `ptr`.
pub fn write_u64(caller: &mut HostCaller<'_>, ptr: u32, value: u64) -> bool {
    write(caller, ptr, &value.to_le_bytes())
}

/// Hands `bytes` to the guest: allocates them in guest memory and writes their
/// address and size at `ptr_ptr` and `size_ptr`. A trap in the guest's allocator
/// is returned as the error it is.
pub fn copy_out(
    caller: &mut HostCaller<'_>,
    bytes: &[u8],
    ptr_ptr: u32,
    size_ptr: u32,
) -> wasmtime::Result<Status> {
    let Ok(size) = u32::try_from(bytes.len()) else {
        return Ok(Status::InvalidMemoryAccess);
    };
    let mut address = 0;
    if size > 0 {
        let Some(address_of) = allocate(caller, size)? else {
            return Ok(Status::InvalidMemoryAccess);
        };
        if !write(caller, address_of, bytes) {
            return Ok(Status::InvalidMemoryAccess);
        }
        address = address_of;
    }
    if write_u32(caller, ptr_ptr, address) && write_u32(caller, size_ptr, size) {
        Ok(Status::Ok)
    } else {
        Ok(Status::InvalidMemoryAccess)
    }
}

/// Calls the guest's `proxy_on_memory_allocate`; `None` when it is missing or
/// returns a null pointer.
fn allocate(caller: &mut HostCaller<'_>, size: u32) -> wasmtime::Result<Option<u32>> {
    let Some(func) = caller
        .get_export("proxy_on_memory_allocate")
        .and_then(Extern::into_func)
    else {
        return Ok(None);
    };
    let Ok(typed) = func.typed::<u32, u32>(&*caller) else {
        return Ok(None);
    };
    let address = typed.call(&mut *caller, size)?;
    Ok((address != 0).then_some(address))
}
