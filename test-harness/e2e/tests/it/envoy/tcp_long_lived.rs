//! A long-lived L4 connection on real Envoys and a real PostgreSQL: one `psql`
//! connection from eu-central held open for 25 seconds, a small query about every
//! second. Its bytes show in eu-west's `meshborder_xcluster_tcp_bytes_total` while
//! it is still open (read more than 10 s in, and moving at least every 10 s, as the
//! contract promises), not only when it closes; and once it has closed, the totals
//! equal what tcp_proxy's access log reports for it, to the byte.

use std::thread;
use std::time::{Duration, Instant};

use meshborder_e2e::postgres::SteadyConnection;
use meshborder_e2e::tcp::{self, EU_CENTRAL_DB_CLIENT};
use meshborder_filter::contract::value;

use super::tcp_support::{Rig, counted_bytes, ended_from, ended_from_once, settled_counters, sum};

const HELD_OPEN: Duration = Duration::from_secs(25);
const EVERY: Duration = Duration::from_secs(1);
const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// The contract: a long-lived connection's counters move at least this often.
const MOVES_AT_LEAST_EVERY: Duration = Duration::from_secs(10);
/// When the counter is read to show bytes before the close.
const READ_OPEN_AT: Duration = Duration::from_secs(12);

/// One reading of the counters while the connection is open.
#[derive(Debug, Clone, Copy)]
struct Reading {
    at: Duration,
    received: u64,
    sent: u64,
}

#[test]
fn a_connection_held_open_shows_its_bytes_before_it_closes_and_its_totals_equal_the_access_log() {
    let rig = Rig::start("tcp-long-lived", &[EU_CENTRAL_DB_CLIENT]);
    let client = rig.caller(&EU_CENTRAL_DB_CLIENT);
    let eu_west = rig.eu_west();

    let start = Instant::now();
    let mut steady = SteadyConnection::start(client.listener, "eu-central-steady", EVERY).unwrap();
    steady.wait_for_answers(1).unwrap();

    // Every change of the counters while the connection is open.
    let mut moves: Vec<Reading> = Vec::new();
    let mut read_open: Option<Reading> = None;
    while start.elapsed() < HELD_OPEN {
        let text = eu_west.prometheus().unwrap();
        let reading = Reading {
            at: start.elapsed(),
            received: counted_bytes(&text, value::RECEIVED, &EU_CENTRAL_DB_CLIENT),
            sent: counted_bytes(&text, value::SENT, &EU_CENTRAL_DB_CLIENT),
        };
        let last = moves.last().map_or((0, 0), |m| (m.received, m.sent));
        if (reading.received, reading.sent) != last {
            moves.push(reading);
        }
        if read_open.is_none() && reading.at >= READ_OPEN_AT {
            assert!(steady.is_running(), "psql ended early");
            assert_eq!(ended_from(eu_west, &EU_CENTRAL_DB_CLIENT), [], "closed");
            read_open = Some(reading);
        }
        thread::sleep(SAMPLE_EVERY);
    }
    assert!(steady.is_running(), "psql ended before {HELD_OPEN:?}");
    let open = read_open.unwrap();
    assert!(
        open.received > 0 && open.sent > 0,
        "nothing counted while open: {open:?}"
    );

    // Moving at least every 10 s from the first answer on, until the close.
    let first = moves.first().copied().unwrap();
    let mut previous = first.at;
    for reading in moves.iter().skip(1).chain([&Reading {
        at: start.elapsed(),
        received: 0,
        sent: 0,
    }]) {
        assert!(
            reading.at - previous <= MOVES_AT_LEAST_EVERY + SAMPLE_EVERY,
            "the counters stood still from {previous:?} to {:?}: {moves:?}",
            reading.at
        );
        previous = reading.at;
    }
    assert!(
        first.at <= MOVES_AT_LEAST_EVERY + SAMPLE_EVERY,
        "first moved at {:?}",
        first.at
    );

    let outcome = steady.finish().unwrap();
    assert!(outcome.status.success(), "{outcome:?}");
    let lasted = start.elapsed();
    assert!(outcome.answers >= 20, "{outcome:?}");

    let ended = ended_from_once(eu_west, &EU_CENTRAL_DB_CLIENT, 1);
    assert_eq!(ended.len(), 1, "one connection: {ended:?}");
    settled_counters(eu_west, &EU_CENTRAL_DB_CLIENT, &ended);
    let (received, sent) = (sum(&ended, "bytes_received"), sum(&ended, "bytes_sent"));
    assert!(
        open.received < received && open.sent < sent,
        "{open:?} {ended:?}"
    );
    // The access log's own periodic lines saw it open too.
    let periodic: Vec<_> = tcp::tcp_entries(&eu_west.access_log())
        .into_iter()
        .filter(|entry| entry.get("type") == Some("TcpPeriodic"))
        .collect();
    assert!(!periodic.is_empty(), "no periodic access log line");

    eprintln!(
        "held open {lasted:.1?} ({} queries, {} answers); counters first moved at {:.1?} \
         ({} received, {} sent); at {:.1?}, still open: {} received, {} sent; moved {} times \
         while open; at the close: counted = logged = {received} received, {sent} sent; \
         {} periodic access log line(s)",
        outcome.queries,
        outcome.answers,
        first.at,
        first.received,
        first.sent,
        open.at,
        open.received,
        open.sent,
        moves.len(),
        periodic.len()
    );
}
