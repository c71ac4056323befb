//! The two reads the floor makes without the SDK's wrappers, as meshborder does
//! (`filter/src/glue/abi.rs`): the request headers as the host serialized them, and
//! a property by a path serialized once. The SDK's `get_map_bytes` copies every
//! header into allocations of its own and `get_property` serializes its path on
//! every call: guest work meshborder does not do, so the floor does not either.
//! The floor cannot link the filter crate (both export `_initialize` and the
//! proxy-wasm callbacks), so it declares these few imports itself.

#![expect(
    unsafe_code,
    reason = "calling host imports and taking back the buffer the host allocated \
              for the result, exactly as the SDK does"
)]

use std::ptr::null_mut;

/// `MapType::HttpRequestHeaders`.
const REQUEST_HEADERS: u32 = 0;
/// `Status::Ok`.
const OK: u32 = 0;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_get_header_map_pairs(
        map_type: u32,
        return_map_data: *mut *mut u8,
        return_map_size: *mut usize,
    ) -> u32;
    fn proxy_get_property(
        path_data: *const u8,
        path_size: usize,
        return_value_data: *mut *mut u8,
        return_value_size: *mut usize,
    ) -> u32;
}

/// The request headers in proxy-wasm's wire format; empty when the host has none.
pub fn request_header_pairs() -> Vec<u8> {
    let mut data: *mut u8 = null_mut();
    let mut size: usize = 0;
    // SAFETY: the host writes a pointer and a size through the two out-pointers,
    // which point at these locals and outlive the call.
    let status =
        unsafe { proxy_get_header_map_pairs(REQUEST_HEADERS, &raw mut data, &raw mut size) };
    take(status, data, size).unwrap_or_default()
}

/// The property at `path`, segments joined by NUL bytes; `None` when missing.
pub fn property(path: &[u8]) -> Option<Vec<u8>> {
    let mut data: *mut u8 = null_mut();
    let mut size: usize = 0;
    // SAFETY: `path` is valid for `path.len()` bytes during the call, and the host
    // writes the result's pointer and size through out-pointers to these locals.
    let status =
        unsafe { proxy_get_property(path.as_ptr(), path.len(), &raw mut data, &raw mut size) };
    take(status, data, size)
}

/// Takes ownership of what the host returned.
fn take(status: u32, data: *mut u8, size: usize) -> Option<Vec<u8>> {
    if status != OK || data.is_null() {
        return None;
    }
    // SAFETY: on success the host allocated `size` bytes at `data` with the SDK's
    // `proxy_on_memory_allocate` (a boxed slice of exactly `size` bytes, alignment
    // 1) and handed them over; nothing else owns them.
    Some(unsafe { Vec::from_raw_parts(data, size, size) })
}
