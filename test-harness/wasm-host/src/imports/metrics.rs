//! The metric calls: define, increment, record and get, with Envoy's statuses.

use super::Registry;
use super::memory::{HostCaller, read, write_u32, write_u64};
use crate::abi::{MetricType, Status};

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap("env", "proxy_define_metric", define)?;
    registry.wrap("env", "proxy_increment_metric", increment)?;
    registry.wrap("env", "proxy_record_metric", record)?;
    registry.wrap("env", "proxy_get_metric", get)
}

fn define(mut caller: HostCaller<'_>, kind: u32, name_ptr: u32, name_len: u32, id_ptr: u32) -> u32 {
    let Some(name) = read(&mut caller, name_ptr, name_len) else {
        return Status::InvalidMemoryAccess.code();
    };
    let Some(kind) = MetricType::from_code(kind) else {
        return Status::BadArgument.code();
    };
    let name = String::from_utf8_lossy(&name).into_owned();
    let id = caller.data_mut().metrics.define(kind, &name);
    if write_u32(&mut caller, id_ptr, id) {
        Status::Ok.code()
    } else {
        Status::InvalidMemoryAccess.code()
    }
}

fn increment(mut caller: HostCaller<'_>, id: u32, offset: i64) -> u32 {
    caller.data_mut().metrics.increment(id, offset).code()
}

fn record(mut caller: HostCaller<'_>, id: u32, value: u64) -> u32 {
    caller.data_mut().metrics.record(id, value).code()
}

fn get(mut caller: HostCaller<'_>, id: u32, value_ptr: u32) -> u32 {
    match caller.data().metrics.get(id) {
        Ok(value) if write_u64(&mut caller, value_ptr, value) => Status::Ok.code(),
        Ok(_) => Status::InvalidMemoryAccess.code(),
        Err(status) => status.code(),
    }
}
