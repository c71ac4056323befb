//! One connection of the suite's TCP side: which caller's sidecar it enters (and so
//! which certificate eu-west's database sidecar sees), the caller's bytes in the
//! chunks it writes them, the upstream's answer in its chunks, who closes first,
//! and whether it is held open across a tick of the filter's timer before the
//! close. The same description drives both sides: the client and the scripted
//! upstream on Envoy's, the data and close callbacks on the host's.

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use crate::certs::ClientCert;
use crate::tcp::{EU_CENTRAL_DB_CLIENT, EU_WEST_DB_CLIENT, MESH_WIDE_DB_CLIENT, US_EAST_DB_CLIENT};
use crate::topology::Caller;

/// A caller whose certificate (signed by the mesh CA, so the handshake succeeds)
/// names a trust domain no `trustedPeers` entry matches: an unknown source.
pub const UNTRUSTED_DB_CLIENT: Caller = Caller {
    name: "untrusted-tcp",
    cluster: "us-east",
    region: "us-east-1",
    zone: "us-east-1a",
    cert: ClientCert::Untrusted,
    app: "untrusted-db-client",
};

/// Every caller of the TCP side: allowed and metered, allowed and local, denied by
/// the rule, and two unknown sources (a certificate with no bound cluster, and one
/// no entry matches).
pub const TCP_DIFFERENTIAL_CALLERS: [Caller; 5] = [
    EU_CENTRAL_DB_CLIENT,
    EU_WEST_DB_CLIENT,
    US_EAST_DB_CLIENT,
    MESH_WIDE_DB_CLIENT,
    UNTRUSTED_DB_CLIENT,
];

/// Who closes an accepted connection first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// The client, once it has the whole answer.
    Client,
    /// The upstream, right after its answer.
    Upstream,
}

/// One connection, as both sides run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpCase {
    /// What it is, for reports: `eu-central #3`.
    pub label: String,
    /// The caller whose sidecar it enters.
    pub caller: Caller,
    /// The caller's bytes, in the chunks it writes them.
    pub sends: Vec<Vec<u8>>,
    /// The upstream's answer, in the chunks it writes it, once it has every byte
    /// the caller sent.
    pub answer: Vec<Vec<u8>>,
    /// Who closes first.
    pub closer: Closer,
    /// Held open across a tick of the filter's timer after the answer, with the
    /// counters read meanwhile (only with [`Closer::Client`]).
    pub held: bool,
}

impl TcpCase {
    /// Every byte the caller sends.
    pub fn sent(&self) -> Vec<u8> {
        self.sends.concat()
    }

    /// Every byte of the upstream's answer.
    pub fn answered(&self) -> Vec<u8> {
        self.answer.concat()
    }

    /// A one-line summary for a report.
    pub fn describe(&self) -> String {
        let sizes = |chunks: &[Vec<u8>]| {
            chunks
                .iter()
                .map(|c| c.len().to_string())
                .collect::<Vec<_>>()
                .join("+")
        };
        format!(
            "{} [{} as {}] sends {} B ({}), answer {} B ({}), {:?} closes first{}",
            self.label,
            self.caller.name,
            self.caller.cert.spiffe_id(),
            self.sent().len(),
            sizes(&self.sends),
            self.answered().len(),
            sizes(&self.answer),
            self.closer,
            if self.held {
                ", held across a tick"
            } else {
                ""
            }
        )
    }
}

/// One shape of connection: the caller's chunk sizes, the answer's, who closes.
struct Shape {
    sends: &'static [usize],
    answer: &'static [usize],
    closer: Closer,
}

/// The shapes every caller runs: one byte; small and large payloads; one write
/// and many; answers smaller and larger than the payload; both close orders.
const SHAPES: [Shape; 7] = [
    Shape {
        sends: &[1],
        answer: &[1],
        closer: Closer::Client,
    },
    Shape {
        sends: &[100],
        answer: &[100, 100, 100],
        closer: Closer::Upstream,
    },
    Shape {
        sends: &[1000, 2000, 1500, 500],
        answer: &[16_384, 3_616],
        closer: Closer::Client,
    },
    Shape {
        sends: &[10_000; 7],
        answer: &[1000],
        closer: Closer::Upstream,
    },
    Shape {
        sends: &[1; 16],
        answer: &[48],
        closer: Closer::Client,
    },
    Shape {
        sends: &[200_000],
        answer: &[150_000],
        closer: Closer::Client,
    },
    Shape {
        sends: &[4096],
        answer: &[1],
        closer: Closer::Upstream,
    },
];

/// The connections held across a tick: eu-central's, metered, so the timer's
/// flush shows in the counters while they are open.
const HELD: [Shape; 2] = [
    Shape {
        sends: &[700],
        answer: &[2100],
        closer: Closer::Client,
    },
    Shape {
        sends: &[30, 30, 30],
        answer: &[5, 5],
        closer: Closer::Client,
    },
];

/// Every connection of a run: each shape from each of
/// [`TCP_DIFFERENTIAL_CALLERS`], then the held ones.
pub fn cases() -> Vec<TcpCase> {
    let mut all = Vec::new();
    for caller in TCP_DIFFERENTIAL_CALLERS {
        for shape in &SHAPES {
            all.push(case(caller, shape, false, all.len()));
        }
    }
    for shape in &HELD {
        all.push(case(EU_CENTRAL_DB_CLIENT, shape, true, all.len()));
    }
    all
}

fn case(caller: Caller, shape: &Shape, held: bool, index: usize) -> TcpCase {
    let seed = u8::try_from(index % 251).unwrap_or(0);
    TcpCase {
        label: format!("{} #{index}", caller.name),
        caller,
        sends: chunks(shape.sends, seed),
        answer: chunks(shape.answer, seed.wrapping_add(101)),
        closer: shape.closer,
        held,
    }
}

/// Chunks of these sizes, their bytes a pattern that differs by `seed` and by
/// position, so a lost or reordered byte shows.
fn chunks(sizes: &[usize], seed: u8) -> Vec<Vec<u8>> {
    let mut at = 0_usize;
    sizes
        .iter()
        .map(|size| {
            let chunk = (at..at + size)
                .map(|i| seed.wrapping_add(u8::try_from(i % 253).unwrap_or(0)))
                .collect();
            at += size;
            chunk
        })
        .collect()
}

/// The pause between two chunks, so that they leave as separate writes.
const BETWEEN_CHUNKS: Duration = Duration::from_millis(2);

/// Writes `chunks` to `stream` one by one, a pause between them, as both the
/// client and the upstream send theirs; stops at the first write the closed
/// connection refuses (what came back, or did not, says so).
pub fn write_chunks(stream: &mut TcpStream, chunks: &[Vec<u8>]) {
    for chunk in chunks {
        if stream
            .write_all(chunk)
            .and_then(|()| stream.flush())
            .is_err()
        {
            break;
        }
        thread::sleep(BETWEEN_CHUNKS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_caller_runs_every_shape_and_only_accepted_closers_are_held() {
        let all = cases();
        assert_eq!(all.len(), SHAPES.len() * 5 + HELD.len());
        assert!(all.iter().all(|c| !c.held || c.closer == Closer::Client));
        let first = all.first().unwrap();
        assert_eq!(first.sent().len(), 1);
        assert!(first.describe().contains("eu-central-tcp"));
    }

    #[test]
    fn chunks_continue_the_pattern_across_their_borders() {
        let split = chunks(&[3, 4], 7).concat();
        assert_eq!(split, chunks(&[7], 7).concat());
    }
}
