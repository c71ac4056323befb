//! The header-map calls: pairs (get, set), value (get, add, replace, remove) and
//! size, for request and response headers and trailers.
//!
//! As in Envoy, names are lowercased, a lookup returns the first value, replacing a
//! header removes every value and appends the new one, and a map the plugin may not
//! touch now reads as empty, while a lookup or a write gets `BadArgument` (in
//! `on_log`, a lookup gets `NotFound`). Malformed pairs read as no pairs at all.
//! Also as in Envoy, any edit of the request headers clears the route cache, so the
//! route is picked again from the edited headers.

use super::Registry;
use super::memory::{HostCaller, copy_out, read, write_u32};
use crate::abi::{MapType, Status};
use crate::codec::{decode_pairs, encode_pairs};
use crate::state::Unavailable;

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap("env", "proxy_get_header_map_pairs", get_pairs)?;
    registry.wrap("env", "proxy_set_header_map_pairs", set_pairs)?;
    registry.wrap("env", "proxy_get_header_map_value", get_value)?;
    registry.wrap("env", "proxy_add_header_map_value", add_value)?;
    registry.wrap("env", "proxy_replace_header_map_value", replace_value)?;
    registry.wrap("env", "proxy_remove_header_map_value", remove_value)?;
    registry.wrap("env", "proxy_get_header_map_size", get_size)
}

fn get_pairs(
    mut caller: HostCaller<'_>,
    map: u32,
    ptr_ptr: u32,
    size_ptr: u32,
) -> wasmtime::Result<u32> {
    let Some(map) = MapType::from_code(map) else {
        return Ok(Status::BadArgument.code());
    };
    let encoded = match caller.data().header_map(map, false) {
        Ok(pairs) if !pairs.is_empty() => encode_pairs(pairs),
        _ => Vec::new(),
    };
    Ok(copy_out(&mut caller, &encoded, ptr_ptr, size_ptr)?.code())
}

fn set_pairs(mut caller: HostCaller<'_>, map: u32, ptr: u32, size: u32) -> u32 {
    let Some(map) = MapType::from_code(map) else {
        return Status::BadArgument.code();
    };
    let Some(bytes) = read(&mut caller, ptr, size) else {
        return Status::InvalidMemoryAccess.code();
    };
    let pairs = decode_pairs(&bytes).unwrap_or_default();
    match caller.data_mut().header_map_mut(map) {
        Ok(target) => {
            *target = pairs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
        }
        Err(_) => return Status::BadArgument.code(),
    }
    edited(&mut caller, map);
    Status::Ok.code()
}

fn get_value(
    mut caller: HostCaller<'_>,
    map: u32,
    key_ptr: u32,
    key_len: u32,
    value_ptr_ptr: u32,
    value_len_ptr: u32,
) -> wasmtime::Result<u32> {
    let Some(map) = MapType::from_code(map) else {
        return Ok(Status::BadArgument.code());
    };
    let Some(key) = read_key(&mut caller, key_ptr, key_len) else {
        return Ok(Status::InvalidMemoryAccess.code());
    };
    let value = match caller.data().header_map(map, false) {
        Ok(pairs) => match pairs.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => value.clone(),
            None => return Ok(Status::NotFound.code()),
        },
        Err(Unavailable::AccessLog) => return Ok(Status::NotFound.code()),
        Err(Unavailable::NotNow) => return Ok(Status::BadArgument.code()),
    };
    Ok(copy_out(&mut caller, &value, value_ptr_ptr, value_len_ptr)?.code())
}

fn add_value(
    mut caller: HostCaller<'_>,
    map: u32,
    key_ptr: u32,
    key_len: u32,
    value_ptr: u32,
    value_len: u32,
) -> u32 {
    edit(
        &mut caller,
        map,
        key_ptr,
        key_len,
        Some((value_ptr, value_len)),
        |pairs, key, value| {
            pairs.push((key, value));
        },
    )
}

fn replace_value(
    mut caller: HostCaller<'_>,
    map: u32,
    key_ptr: u32,
    key_len: u32,
    value_ptr: u32,
    value_len: u32,
) -> u32 {
    edit(
        &mut caller,
        map,
        key_ptr,
        key_len,
        Some((value_ptr, value_len)),
        |pairs, key, value| {
            pairs.retain(|(k, _)| *k != key);
            pairs.push((key, value));
        },
    )
}

fn remove_value(mut caller: HostCaller<'_>, map: u32, key_ptr: u32, key_len: u32) -> u32 {
    edit(&mut caller, map, key_ptr, key_len, None, |pairs, key, _| {
        pairs.retain(|(k, _)| *k != key);
    })
}

fn get_size(mut caller: HostCaller<'_>, map: u32, size_ptr: u32) -> u32 {
    let Some(map) = MapType::from_code(map) else {
        return Status::BadArgument.code();
    };
    let size = match caller.data().header_map(map, true) {
        Ok(pairs) => pairs
            .iter()
            .map(|(k, v)| k.len().saturating_add(v.len()))
            .fold(0_usize, usize::saturating_add),
        Err(_) => return Status::BadArgument.code(),
    };
    let size = u32::try_from(size).unwrap_or(u32::MAX);
    if write_u32(&mut caller, size_ptr, size) {
        Status::Ok.code()
    } else {
        Status::InvalidMemoryAccess.code()
    }
}

fn read_key(caller: &mut HostCaller<'_>, ptr: u32, len: u32) -> Option<String> {
    let key = read(caller, ptr, len)?;
    Some(String::from_utf8_lossy(&key).to_ascii_lowercase())
}

/// Reads the key (and value), then applies `change` to a writable map.
fn edit(
    caller: &mut HostCaller<'_>,
    map: u32,
    key_ptr: u32,
    key_len: u32,
    value: Option<(u32, u32)>,
    change: impl FnOnce(&mut Vec<(String, Vec<u8>)>, String, Vec<u8>),
) -> u32 {
    let Some(map) = MapType::from_code(map) else {
        return Status::BadArgument.code();
    };
    let Some(key) = read_key(caller, key_ptr, key_len) else {
        return Status::InvalidMemoryAccess.code();
    };
    let value = match value {
        Some((ptr, len)) => match read(caller, ptr, len) {
            Some(value) => value,
            None => return Status::InvalidMemoryAccess.code(),
        },
        None => Vec::new(),
    };
    match caller.data_mut().header_map_mut(map) {
        Ok(pairs) => change(pairs, key, value),
        Err(_) => return Status::BadArgument.code(),
    }
    edited(caller, map);
    Status::Ok.code()
}

/// After a successful edit of `map`: an edit of the request headers clears the
/// stream's route cache, as Envoy's host does.
fn edited(caller: &mut HostCaller<'_>, map: MapType) {
    if map == MapType::RequestHeaders
        && let Some(stream) = caller.data_mut().stream_mut()
    {
        stream.clear_route_cache();
    }
}
