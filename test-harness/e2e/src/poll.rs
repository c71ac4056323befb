//! Waiting without sleeping blindly: ask again every few milliseconds until the
//! answer is there or a deadline passes. Envoy writes its access log and updates
//! its stats at the end of a stream, a moment after the client has its response.

use std::thread;
use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result};

/// How long a test waits for something Envoy is about to write.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const INTERVAL: Duration = Duration::from_millis(20);

/// Calls `probe` until it returns `Some`, for at most [`TIMEOUT`]. `what` names the
/// awaited thing; `probe`'s last `Err` or the timeout is the error.
pub fn until<T>(what: &str, mut probe: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(found) = probe()? {
            return Ok(found);
        }
        if Instant::now() >= deadline {
            return Err(HarnessError::Timeout {
                what: what.to_owned(),
                after: TIMEOUT,
            });
        }
        thread::sleep(INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_what_the_probe_found() {
        let mut calls = 0;
        let found = until("the third call", || {
            calls += 1;
            Ok((calls == 3).then_some(calls))
        })
        .unwrap();
        assert_eq!(found, 3);
    }
}
