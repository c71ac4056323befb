//! One connection's outcome, read the same way on both sides, and the differences
//! between two of them, field by field: whether it was accepted, the bytes that
//! reached each end, who closed first, every counter's change (at the end, and
//! while held open across a tick) and the filter's log lines.

use std::fmt;

use super::counters::Readings;
use super::fields::FieldDifferences;

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Bytes reached the upstream.
    Accepted,
    /// Closed before any of its bytes reached the upstream.
    ClosedBeforeUpstream,
}

/// Who closed first, as far as it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseOrder {
    /// The client, while the proxy and the upstream still had it open.
    ClientFirst,
    /// The upstream; the proxy then closed the client.
    UpstreamFirst,
    /// The proxy closed the client while the upstream had not closed: the filter's
    /// close.
    ProxyClosed,
}

/// The outcome of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpOutcome {
    /// How it ended.
    pub ending: Ending,
    /// The bytes the upstream received.
    pub to_upstream: Vec<u8>,
    /// The bytes the client received.
    pub to_client: Vec<u8>,
    /// Who closed first.
    pub close_order: CloseOrder,
    /// Every counter that moved over the connection, by how much.
    pub counters: Readings,
    /// What had moved while it was held open, after a tick; `None` when not held.
    pub while_open: Option<Readings>,
    /// The filter's JSON log lines, `<envoy> <level> <message>`, in order.
    pub logs: Vec<String>,
}

impl TcpOutcome {
    /// The fields in which `host` differs from `self` (Envoy's), each as
    /// `field: envoy … | host …`; empty when they agree.
    pub fn differences(&self, host: &Self) -> Vec<String> {
        let mut found = FieldDifferences::default();
        found.debug("ending", &self.ending, &host.ending);
        for (name, envoy, host) in [
            (
                "bytes to the upstream",
                &self.to_upstream,
                &host.to_upstream,
            ),
            ("bytes to the client", &self.to_client, &host.to_client),
        ] {
            if envoy != host {
                found.text(name, bytes(envoy, host), format!("{} bytes", host.len()));
            }
        }
        found.debug("close order", &self.close_order, &host.close_order);
        found.debug("counters", &self.counters, &host.counters);
        found.debug("counters while open", &self.while_open, &host.while_open);
        found.debug("log lines", &self.logs, &host.logs);
        found.into_lines()
    }
}

/// Envoy's bytes for a report, which differ from the host's: their length, and
/// where the two first differ.
fn bytes(envoy: &[u8], host: &[u8]) -> String {
    let first_difference = envoy
        .iter()
        .zip(host)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| envoy.len().min(host.len()));
    format!(
        "{} bytes, differing from byte {first_difference}",
        envoy.len()
    )
}

impl fmt::Display for TcpOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}, {} B to the upstream, {} B to the client, {:?}; counters {:?}",
            self.ending,
            self.to_upstream.len(),
            self.to_client.len(),
            self.close_order,
            self.counters
        )?;
        if let Some(open) = &self.while_open {
            write!(f, "; while open {open:?}")?;
        }
        write!(f, "; logs {:?}", self.logs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted() -> TcpOutcome {
        TcpOutcome {
            ending: Ending::Accepted,
            to_upstream: b"hello".to_vec(),
            to_client: b"world".to_vec(),
            close_order: CloseOrder::ClientFirst,
            counters: Readings::new(),
            while_open: None,
            logs: Vec::new(),
        }
    }

    #[test]
    fn equal_outcomes_have_no_difference() {
        assert!(accepted().differences(&accepted()).is_empty());
    }

    #[test]
    fn a_changed_byte_a_close_order_and_a_counter_are_each_a_difference() {
        let mut host = accepted();
        host.to_upstream = b"hellO".to_vec();
        host.close_order = CloseOrder::UpstreamFirst;
        host.counters
            .insert("eu-west-tcp meshborder_x{}".to_owned(), 1);
        let differences = accepted().differences(&host);
        let fields: Vec<&str> = differences
            .iter()
            .filter_map(|d| d.split(':').next())
            .collect();
        assert_eq!(fields, ["bytes to the upstream", "close order", "counters"]);
        assert!(
            differences
                .first()
                .is_some_and(|d| d.contains("differing from byte 4")),
            "{differences:?}"
        );
    }
}
