//! The upstream of the suite's TCP side: the echo stand-in's scripted cousin
//! behind eu-west's database sidecar. For each connection it reads the bytes the
//! current [`Plan`] says the caller sends, answers with the plan's chunks, and then
//! either closes first or waits for the proxy's close; and it records, by the
//! address Envoy connected from (the access log's `upstream_local`), every byte
//! that reached it and whether it closed first. Like the database it is
//! client-speaks-first, so the filter decides before any answer exists.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::tcp_case::{Closer, TcpCase, write_chunks};
use crate::error::{HarnessError, Result};

/// How long a connection waits for each read.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often the accept loop looks at its stop flag.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// What the upstream does with the next connections.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    expect: usize,
    answer: Vec<Vec<u8>>,
    closes_first: bool,
}

impl Plan {
    /// The plan of `case`'s upstream.
    pub fn of(case: &TcpCase) -> Self {
        Self {
            expect: case.sent().len(),
            answer: case.answer.clone(),
            closes_first: case.closer == Closer::Upstream,
        }
    }
}

/// What one connection brought the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRecord {
    /// Every byte it received.
    pub received: Vec<u8>,
    /// Whether it closed before the proxy did.
    pub closed_first: bool,
}

type Records = Arc<Mutex<BTreeMap<SocketAddr, UpstreamRecord>>>;

/// The upstream on its own thread; stopped (and joined) when dropped.
#[derive(Debug)]
pub struct ScriptedUpstream {
    addr: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    records: Records,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedUpstream {
    /// Listens on `addr` (port 0: any free port).
    pub fn start(addr: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind(addr).map_err(|e| crate::ports::bind_error(addr, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| HarnessError::io("reading the upstream's address", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| HarnessError::io("setting up the upstream", e))?;
        let plan = Arc::new(Mutex::new(Plan::default()));
        let records = Records::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (plan, records, stop) =
                (Arc::clone(&plan), Arc::clone(&records), Arc::clone(&stop));
            thread::Builder::new()
                .name("tcp-differential-upstream".to_owned())
                .spawn(move || accept(&listener, &plan, &records, &stop))
                .map_err(|e| HarnessError::io("starting the upstream", e))?
        };
        Ok(Self {
            addr,
            plan,
            records,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it does with the connections accepted from now on.
    pub fn set_plan(&self, plan: Plan) {
        *self.plan.lock().unwrap_or_else(PoisonError::into_inner) = plan;
    }

    /// The record of the connection from `peer`, once that connection is over.
    pub fn take_record(&self, peer: SocketAddr) -> Option<UpstreamRecord> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&peer)
    }
}

impl Drop for ScriptedUpstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            drop(thread.join());
        }
    }
}

fn accept(listener: &TcpListener, plan: &Mutex<Plan>, records: &Records, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                let plan = plan.lock().unwrap_or_else(PoisonError::into_inner).clone();
                let records = Arc::clone(records);
                drop(
                    thread::Builder::new()
                        .name("tcp-differential-connection".to_owned())
                        .spawn(move || {
                            let record = serve(stream, &plan);
                            records
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .insert(peer, record);
                        }),
                );
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(POLL_INTERVAL),
            Err(_) => thread::sleep(POLL_INTERVAL),
        }
    }
}

/// One connection by `plan`.
fn serve(mut stream: TcpStream, plan: &Plan) -> UpstreamRecord {
    drop(stream.set_nonblocking(false));
    drop(stream.set_read_timeout(Some(TIMEOUT)));
    let mut received = Vec::new();
    let open = read_until(&mut stream, &mut received, plan.expect);
    if !open {
        return UpstreamRecord {
            received,
            closed_first: false,
        };
    }
    write_chunks(&mut stream, &plan.answer);
    if plan.closes_first {
        drop(stream.shutdown(Shutdown::Both));
        return UpstreamRecord {
            received,
            closed_first: true,
        };
    }
    read_until(&mut stream, &mut received, usize::MAX);
    drop(stream.shutdown(Shutdown::Both));
    UpstreamRecord {
        received,
        closed_first: false,
    }
}

/// Reads into `received` until it holds `expect` bytes (true) or the other side
/// closed, reset or went quiet (false).
fn read_until(stream: &mut TcpStream, received: &mut Vec<u8>, expect: usize) -> bool {
    let mut buffer = [0_u8; 16 * 1024];
    while received.len() < expect {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return false,
            Ok(read) => received.extend(buffer.get(..read).unwrap_or_default()),
        }
    }
    true
}
