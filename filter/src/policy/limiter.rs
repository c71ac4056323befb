//! At most one log line a second for an event that traffic can repeat at will (a
//! flood of contradicting tags must not become a flood of log lines), counting the
//! lines it held back so the next one can say how many.

/// Nanoseconds between two lines.
const INTERVAL_NANOS: u64 = 1_000_000_000;

/// One event's limiter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OncePerSecond {
    last: Option<u64>,
    held_back: u64,
}

impl OncePerSecond {
    /// Whether a line may be written at `now` (nanoseconds of any steady clock):
    /// `Some(n)` with the number of lines held back since the last one written,
    /// or `None`, and the line is counted as held back.
    pub fn admit(&mut self, now: u64) -> Option<u64> {
        let due = self
            .last
            .is_none_or(|last| now.saturating_sub(last) >= INTERVAL_NANOS);
        if due {
            self.last = Some(now);
            Some(std::mem::take(&mut self.held_back))
        } else {
            self.held_back = self.held_back.saturating_add(1);
            None
        }
    }
}
