//! The proxy-wasm calls the filter makes without the SDK's wrappers: the request
//! headers as the host serialized them and a property by a path serialized once, at
//! compile time (both on the request path); and closing the downstream connection
//! and setting the tick period, whose SDK wrappers panic on a status they do not
//! expect, and nothing in the filter may panic.
//!
//! The SDK's `get_map_bytes` copies every header name and value into allocations
//! of its own, and `get_property` serializes its path anew on every call; measured
//! on the harness's wasm host, those copies cost more than the filter's own work on
//! a request. Each call here is the SDK's (proxy-wasm 0.2.5, `hostcalls.rs`) minus
//! the copies, and this module is the only unsafe code of the filter.

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
    fn proxy_close_stream(stream_type: u32) -> u32;
    fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
}

/// `StreamType::Downstream` (proxy-wasm 0.2.5: 0 and 1 are the HTTP request and
/// response, 2 and 3 the downstream and upstream connection).
const DOWNSTREAM: u32 = 2;

/// Closes the downstream connection (a network filter's); whether the host did.
pub fn close_downstream() -> bool {
    // SAFETY: the import takes a plain integer and touches no guest memory.
    unsafe { proxy_close_stream(DOWNSTREAM) == OK }
}

/// Asks for `proxy_on_tick` on the root context every `millis` milliseconds;
/// whether the host agreed.
pub fn set_tick_period(millis: u32) -> bool {
    // SAFETY: the import takes a plain integer and touches no guest memory.
    unsafe { proxy_set_tick_period_milliseconds(millis) == OK }
}

/// The request headers in proxy-wasm's wire format (read them with
/// `Policy::read_headers`); `None` when the host has none to give.
pub fn request_header_pairs() -> Option<Vec<u8>> {
    let mut data: *mut u8 = null_mut();
    let mut size: usize = 0;
    // SAFETY: the host writes a pointer and a size through the two out-pointers,
    // which point at these locals and outlive the call.
    let status =
        unsafe { proxy_get_header_map_pairs(REQUEST_HEADERS, &raw mut data, &raw mut size) };
    take(status, data, size)
}

/// The property at `path`, already serialized (segments joined by NUL bytes, as
/// in `b"xds\0listener_direction"`); `None` when it is missing or unreadable.
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
    // SAFETY: on success the host allocated `size` bytes at `data` with this
    // module's `proxy_on_memory_allocate` (the SDK's: a boxed slice of exactly
    // `size` bytes, alignment 1) and handed them over; nothing else owns them. The
    // SDK takes results back the same way.
    Some(unsafe { Vec::from_raw_parts(data, size, size) })
}
