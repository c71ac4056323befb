//! `proxy_log` and `proxy_get_log_level`.

use super::Registry;
use super::memory::{HostCaller, read, write_u32};
use crate::abi::{LogLevel, Status};
use crate::log::LogSource;

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap("env", "proxy_log", proxy_log)?;
    registry.wrap("env", "proxy_get_log_level", proxy_get_log_level)
}

fn proxy_log(mut caller: HostCaller<'_>, level: u32, ptr: u32, len: u32) -> u32 {
    let Some(level) = LogLevel::from_code(level) else {
        return Status::BadArgument.code();
    };
    let Some(message) = read(&mut caller, ptr, len) else {
        return Status::InvalidMemoryAccess.code();
    };
    let message = String::from_utf8_lossy(&message).into_owned();
    caller.data_mut().log(level, message, LogSource::ProxyLog);
    Status::Ok.code()
}

fn proxy_get_log_level(mut caller: HostCaller<'_>, level_ptr: u32) -> u32 {
    let level = caller.data().settings.log_level.code();
    if write_u32(&mut caller, level_ptr, level) {
        Status::Ok.code()
    } else {
        Status::InvalidMemoryAccess.code()
    }
}
