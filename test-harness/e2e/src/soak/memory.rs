//! What an Envoy's memory looks like at one moment: its heap as tcmalloc reports
//! it (the admin API's `/memory`), its resident set (`/proc/<pid>/status`), and the
//! linear memories of its wasm VMs, which V8 maps outside tcmalloc.
//!
//! Envoy exposes no stat for a VM's linear memory, so it is read from
//! `/proc/<pid>/smaps`: V8 reserves 8 GiB of address space for each 32-bit wasm
//! memory and makes only its current pages accessible, so each VM's memory is a
//! read-write mapping immediately followed by the inaccessible rest of the
//! reservation. The size of that mapping is the VM's `memory.size`; it only grows.

use std::fs;

use crate::envoy::Envoy;
use crate::error::{HarnessError, Result};

/// The smallest inaccessible mapping taken for the rest of a wasm reservation.
const RESERVATION_REST: u64 = 4 << 30;

/// The linear memories of an Envoy's wasm VMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WasmMemory {
    /// How many were found (one per VM).
    pub vms: u64,
    /// Their sizes together, in bytes (`memory.size` of each).
    pub size: u64,
    /// Their resident bytes together.
    pub resident: u64,
}

/// One Envoy's memory at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemorySample {
    /// Bytes allocated through tcmalloc (`/memory` `allocated`).
    pub allocated: u64,
    /// tcmalloc's heap (`/memory` `heap_size`).
    pub heap_size: u64,
    /// The process's resident set (`VmRSS`), in bytes.
    pub rss: u64,
    /// The wasm VMs' linear memories.
    pub wasm: WasmMemory,
    /// Envoy's count of live wasm VMs (`wasm.envoy.wasm.runtime.v8.active`).
    pub active_vms: u64,
}

impl MemorySample {
    /// Reads `envoy`'s memory now.
    pub fn read(envoy: &Envoy) -> Result<Self> {
        let memory: serde_json::Value = serde_json::from_str(&envoy.admin_get("/memory")?)
            .map_err(|e| envoy.error(&format!("admin /memory is not JSON ({e})")))?;
        let field = |name: &str| {
            memory
                .get(name)
                .and_then(serde_json::Value::as_str)
                .and_then(|value| value.parse::<u64>().ok())
                .ok_or_else(|| envoy.error(&format!("no number `{name}` in /memory: {memory}")))
        };
        let proc_dir = format!("/proc/{}", envoy.pid());
        let status = read(&format!("{proc_dir}/status"))?;
        let rss = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse::<u64>().ok())
            .ok_or_else(|| envoy.error(&format!("no VmRSS in {proc_dir}/status")))?;
        let stats =
            envoy.admin_get("/stats?filter=^wasm\\.envoy\\.wasm\\.runtime\\.v8\\.active$")?;
        let active_vms = stats
            .lines()
            .find_map(|line| line.strip_prefix("wasm.envoy.wasm.runtime.v8.active: "))
            .and_then(|value| value.trim().parse().ok())
            .ok_or_else(|| envoy.error(&format!("no active wasm VM gauge in: {stats}")))?;
        Ok(Self {
            allocated: field("allocated")?,
            heap_size: field("heap_size")?,
            rss: rss * 1024,
            wasm: wasm_memory(&read(&format!("{proc_dir}/smaps"))?),
            active_vms,
        })
    }
}

fn read(path: &str) -> Result<String> {
    fs::read_to_string(path).map_err(|e| HarnessError::io(format!("reading `{path}`"), e))
}

/// One mapping of `/proc/<pid>/smaps`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapping {
    start: u64,
    end: u64,
    perms: String,
    resident: u64,
}

/// The wasm linear memories in `smaps`: each read-write mapping that the rest of
/// a wasm reservation (inaccessible, at least [`RESERVATION_REST`]) follows directly.
fn wasm_memory(smaps: &str) -> WasmMemory {
    let maps = mappings(smaps);
    let mut memory = WasmMemory::default();
    for pair in maps.windows(2) {
        let [accessible, rest] = pair else { continue };
        if accessible.perms == "rw-p"
            && rest.perms == "---p"
            && rest.start == accessible.end
            && rest.end - rest.start >= RESERVATION_REST
        {
            memory.vms += 1;
            memory.size += accessible.end - accessible.start;
            memory.resident += accessible.resident;
        }
    }
    memory
}

fn mappings(smaps: &str) -> Vec<Mapping> {
    let mut maps: Vec<Mapping> = Vec::new();
    for line in smaps.lines() {
        if let Some(kib) = line.strip_prefix("Rss:") {
            if let Some(last) = maps.last_mut() {
                last.resident = kib
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(0)
                    * 1024;
            }
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        else {
            continue;
        };
        maps.push(Mapping {
            start,
            end,
            perms: perms.to_owned(),
            resident: 0,
        });
    }
    maps
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
7f53798c0000-7f537a0c0000 rw-p 00000000 00:00 0\n\
Size:               8192 kB\n\
Rss:                  20 kB\n\
7f537a0c0000-7f537a1e0000 rw-p 00000000 00:00 0\n\
Size:               1152 kB\n\
Rss:                  76 kB\n\
7f537a1e0000-7f557a0cc000 ---p 00000000 00:00 0\n\
Size:            8387456 kB\n\
Rss:                   0 kB\n\
7f557a0cc000-7f557a0dc000 r--p 00000000 08:01 42 /usr/lib/x.so\n\
Size:                 64 kB\n\
Rss:                   0 kB\n\
7f57dc0d0000-7f57dc1e0000 rw-p 00000000 00:00 0\n\
Size:               1088 kB\n\
Rss:                  56 kB\n\
7f57dc1e0000-7f59dc0d0000 ---p 00000000 00:00 0\n\
Size:            8387520 kB\n\
Rss:                   0 kB\n\
7f59dc0d0000-7f59dc0e0000 rw-p 00000000 00:00 0\n\
Size:                 64 kB\n\
Rss:                  64 kB\n\
7f59dc0e0000-7f59dc0f0000 ---p 00000000 00:00 0\n\
Size:                 64 kB\n\
Rss:                   0 kB\n";

    #[test]
    fn finds_each_wasm_memory_by_the_reservation_that_follows_it() {
        assert_eq!(
            wasm_memory(SMAPS),
            WasmMemory {
                vms: 2,
                size: (1152 + 1088) * 1024,
                resident: (76 + 56) * 1024,
            }
        );
    }

    #[test]
    fn finds_no_wasm_memory_without_a_reservation() {
        assert_eq!(wasm_memory(""), WasmMemory::default());
    }
}
