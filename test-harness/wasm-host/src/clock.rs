//! The deterministic clock and random source a VM sees.
//!
//! Wall-clock and monotonic time only move when a test advances them, and WASI
//! `random_get` returns a seeded sequence, so a plugin (and the fuel it burns, which
//! depends on hash seeds) behaves the same on every run.

use std::time::Duration;

/// 2026-01-01T00:00:00Z in nanoseconds since the Unix epoch: the default start.
pub const DEFAULT_START_UNIX_NANOS: u64 = 1_767_225_600_000_000_000;
/// The default seed of the random source.
pub const DEFAULT_RANDOM_SEED: u64 = 0x6d65_7368_626f_7264;

/// Time as the guest sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    start_unix_nanos: u64,
    elapsed_nanos: u64,
}

impl Clock {
    /// A clock standing at `start_unix_nanos`.
    pub fn starting_at(start_unix_nanos: u64) -> Self {
        Self {
            start_unix_nanos,
            elapsed_nanos: 0,
        }
    }

    /// Wall-clock time, nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> u64 {
        self.start_unix_nanos.saturating_add(self.elapsed_nanos)
    }

    /// Monotonic time, nanoseconds since the VM started.
    pub fn monotonic_nanos(&self) -> u64 {
        self.elapsed_nanos
    }

    /// Moves both clocks forward.
    pub fn advance(&mut self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed_nanos = self.elapsed_nanos.saturating_add(nanos);
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::starting_at(DEFAULT_START_UNIX_NANOS)
    }
}

/// A seeded random source (SplitMix64), for WASI `random_get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entropy {
    state: u64,
}

impl Entropy {
    /// A source that always yields the same bytes for the same seed.
    pub fn seeded(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Fills `out` with the next bytes of the sequence.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(word) {
                *dst = src;
            }
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
