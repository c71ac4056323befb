//! The WASI preview1 calls a `wasm32-wasip1` plugin imports, answered as Envoy's
//! host answers them.
//!
//! stdout and stderr become log lines (info and error, trailing newline removed);
//! the environment is the plugin's configured variables; clocks read the
//! deterministic clock; `random_get` reads the seeded source (at most 64 KiB per
//! call); `proc_exit` ends the callback with an error; there are no files, no
//! arguments and nothing to poll.

use super::memory::{HostCaller, read, write, write_u32, write_u64};
use super::{Abort, Registry};
use crate::abi::{LogLevel, errno};
use crate::log::LogSource;

/// The largest `random_get` Envoy serves.
const MAX_RANDOM_BYTES: u32 = 64 * 1024;
const WASI: &str = "wasi_snapshot_preview1";
const STDOUT: u32 = 1;
const STDERR: u32 = 2;

pub fn add(registry: &mut Registry) -> wasmtime::Result<()> {
    registry.wrap(WASI, "fd_write", fd_write)?;
    registry.wrap(WASI, "environ_sizes_get", environ_sizes_get)?;
    registry.wrap(WASI, "environ_get", environ_get)?;
    registry.wrap(WASI, "args_sizes_get", args_sizes_get)?;
    registry.wrap(WASI, "args_get", |_: HostCaller<'_>, _: u32, _: u32| {
        errno::SUCCESS
    })?;
    registry.wrap(WASI, "clock_time_get", clock_time_get)?;
    registry.wrap(WASI, "clock_res_get", clock_res_get)?;
    registry.wrap(WASI, "random_get", random_get)?;
    registry.wrap(WASI, "proc_exit", proc_exit)?;
    registry.wrap(WASI, "sched_yield", |_: HostCaller<'_>| errno::SUCCESS)?;
    registry.wrap(WASI, "poll_oneoff", poll_oneoff)?;
    registry.wrap(WASI, "fd_fdstat_get", fd_fdstat_get)?;
    registry.wrap(
        WASI,
        "fd_read",
        |_: HostCaller<'_>, _: u32, _: u32, _: u32, _: u32| errno::NOSYS,
    )?;
    registry.wrap(WASI, "fd_close", |_: HostCaller<'_>, _: u32| errno::SUCCESS)?;
    registry.wrap(
        WASI,
        "fd_seek",
        |_: HostCaller<'_>, _: u32, _: i64, _: u32, _: u32| errno::SUCCESS,
    )?;
    registry.wrap(
        WASI,
        "fd_fdstat_set_flags",
        |_: HostCaller<'_>, _: u32, _: u32| errno::NOSYS,
    )?;
    registry.wrap(
        WASI,
        "fd_prestat_get",
        |_: HostCaller<'_>, _: u32, _: u32| errno::BADF,
    )?;
    registry.wrap(
        WASI,
        "fd_prestat_dir_name",
        |_: HostCaller<'_>, _: u32, _: u32, _: u32| errno::NOSYS,
    )?;
    registry.wrap(
        WASI,
        "fd_filestat_get",
        |_: HostCaller<'_>, _: u32, _: u32| errno::BADF,
    )?;
    registry.wrap(WASI, "path_open", path_open)?;
    registry.wrap(
        WASI,
        "path_filestat_get",
        |_: HostCaller<'_>, _: u32, _: u32, _: u32, _: u32, _: u32| errno::NOTSUP,
    )
}

fn fd_write(
    mut caller: HostCaller<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    written_ptr: u32,
) -> u32 {
    let (level, source) = match fd {
        STDOUT => (LogLevel::Info, LogSource::Stdout),
        STDERR => (LogLevel::Error, LogSource::Stderr),
        _ => return errno::BADF,
    };
    let mut text = Vec::new();
    for i in 0..iovs_len {
        let Some(entry) = i.checked_mul(8).and_then(|o| iovs.checked_add(o)) else {
            return errno::FAULT;
        };
        let Some(iovec) = read(&mut caller, entry, 8) else {
            return errno::FAULT;
        };
        let (ptr, len) = match iovec.as_slice() {
            [a, b, c, d, e, f, g, h] => (
                u32::from_le_bytes([*a, *b, *c, *d]),
                u32::from_le_bytes([*e, *f, *g, *h]),
            ),
            _ => return errno::FAULT,
        };
        if len == 0 {
            continue;
        }
        let Some(bytes) = read(&mut caller, ptr, len) else {
            return errno::FAULT;
        };
        text.extend_from_slice(&bytes);
    }
    let written = u32::try_from(text.len()).unwrap_or(u32::MAX);
    if !text.is_empty() {
        if text.last() == Some(&b'\n') {
            text.pop();
        }
        let message = String::from_utf8_lossy(&text).into_owned();
        caller.data_mut().log(level, message, source);
    }
    if write_u32(&mut caller, written_ptr, written) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

fn environ_sizes_get(mut caller: HostCaller<'_>, count_ptr: u32, size_ptr: u32) -> u32 {
    let env = &caller.data().settings.env;
    let count = u32::try_from(env.len()).unwrap_or(u32::MAX);
    let size = env
        .iter()
        .map(|(k, v)| k.len().saturating_add(v.len()).saturating_add(2))
        .fold(0_usize, usize::saturating_add);
    let size = u32::try_from(size).unwrap_or(u32::MAX);
    if write_u32(&mut caller, count_ptr, count) && write_u32(&mut caller, size_ptr, size) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

fn environ_get(mut caller: HostCaller<'_>, array_ptr: u32, buf_ptr: u32) -> u32 {
    let entries: Vec<Vec<u8>> = caller
        .data()
        .settings
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}\0").into_bytes())
        .collect();
    let (mut slot, mut at) = (array_ptr, buf_ptr);
    for entry in entries {
        if !write_u32(&mut caller, slot, at) || !write(&mut caller, at, &entry) {
            return errno::FAULT;
        }
        let len = u32::try_from(entry.len()).unwrap_or(u32::MAX);
        slot = slot.saturating_add(4);
        at = at.saturating_add(len);
    }
    errno::SUCCESS
}

fn args_sizes_get(mut caller: HostCaller<'_>, count_ptr: u32, size_ptr: u32) -> u32 {
    if write_u32(&mut caller, count_ptr, 0) && write_u32(&mut caller, size_ptr, 0) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

fn clock_time_get(mut caller: HostCaller<'_>, clock: u32, _precision: u64, time_ptr: u32) -> u32 {
    let clock_now = caller.data().clock;
    let now = match clock {
        0 => clock_now.unix_nanos(),
        1 => clock_now.monotonic_nanos(),
        _ => return errno::NOTSUP,
    };
    if write_u64(&mut caller, time_ptr, now) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

fn clock_res_get(mut caller: HostCaller<'_>, clock: u32, resolution_ptr: u32) -> u32 {
    if clock > 1 {
        return errno::NOTSUP;
    }
    if write_u64(&mut caller, resolution_ptr, 1) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

fn random_get(mut caller: HostCaller<'_>, buf_ptr: u32, len: u32) -> u32 {
    if len > MAX_RANDOM_BYTES {
        return errno::INVAL;
    }
    let mut bytes = vec![0; usize::try_from(len).unwrap_or_default()];
    caller.data_mut().entropy.fill(&mut bytes);
    if write(&mut caller, buf_ptr, &bytes) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

fn proc_exit(_caller: HostCaller<'_>, code: u32) -> wasmtime::Result<()> {
    Err(wasmtime::Error::new(Abort::ProcExit(code)))
}

fn poll_oneoff(
    mut caller: HostCaller<'_>,
    _in: u32,
    _out: u32,
    _subs: u32,
    events_ptr: u32,
) -> u32 {
    if write_u32(&mut caller, events_ptr, 0) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

fn fd_fdstat_get(mut caller: HostCaller<'_>, fd: u32, stat_ptr: u32) -> u32 {
    if fd != STDOUT && fd != STDERR {
        return errno::BADF;
    }
    let mut stat = [0_u8; 24];
    if let Some(rights) = stat.get_mut(8..16) {
        rights.copy_from_slice(&64_u64.to_le_bytes());
    }
    if write(&mut caller, stat_ptr, &stat) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "WASI's signature; every argument is ignored, there are no files"
)]
fn path_open(
    _caller: HostCaller<'_>,
    _fd: u32,
    _dirflags: u32,
    _path: u32,
    _path_len: u32,
    _oflags: u32,
    _rights_base: u64,
    _rights_inheriting: u64,
    _fdflags: u32,
    _opened_fd_ptr: u32,
) -> u32 {
    errno::NOENT
}
