//! The byte counts of the open TCP connections of one VM, which the root context's
//! timer flushes, so a connection that lives for days shows its bytes as they flow
//! and not only when it closes. A data callback only adds to a connection's counts,
//! with no host call; a flush makes at most two increments per connection.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::metrics::{BorderIds, increment};

/// How often the root context flushes, in milliseconds: a long-lived connection's
/// counters move at least this often.
pub const FLUSH_EVERY_MS: u32 = 5_000;

/// One connection's counters and the bytes not yet added to them.
#[derive(Debug)]
pub struct TcpCounts {
    ids: BorderIds,
    received: u64,
    sent: u64,
}

impl TcpCounts {
    /// Nothing counted yet, into the counters `ids` (received, sent, connections).
    pub fn new(ids: BorderIds) -> Self {
        Self {
            ids,
            received: 0,
            sent: 0,
        }
    }

    /// Adds `bytes` received from the caller, or sent to it.
    pub fn add(&mut self, bytes: usize, received: bool) {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        let total = if received {
            &mut self.received
        } else {
            &mut self.sent
        };
        *total = total.saturating_add(bytes);
    }

    /// Adds what was counted since the last flush to the counters.
    pub fn flush(&mut self) {
        increment(self.ids.request_bytes, std::mem::take(&mut self.received));
        increment(self.ids.response_bytes, std::mem::take(&mut self.sent));
    }
}

/// The VM's open connections, shared by its root contexts and connections.
#[derive(Debug, Clone, Default)]
pub struct OpenConnections {
    connections: Rc<RefCell<Vec<Weak<RefCell<TcpCounts>>>>>,
}

impl OpenConnections {
    /// Starts flushing `counts` with the others.
    pub fn track(&self, counts: &Rc<RefCell<TcpCounts>>) {
        if let Ok(mut connections) = self.connections.try_borrow_mut() {
            connections.push(Rc::downgrade(counts));
        }
    }

    /// Flushes every open connection's counts and forgets the closed ones.
    pub fn flush(&self) {
        let Ok(mut connections) = self.connections.try_borrow_mut() else {
            return;
        };
        connections.retain(|weak| match weak.upgrade() {
            Some(counts) => {
                if let Ok(mut counts) = counts.try_borrow_mut() {
                    counts.flush();
                }
                true
            }
            None => false,
        });
    }
}
