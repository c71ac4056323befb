//! The client of the suite's TCP side, as a database client next to a caller's
//! sidecar: it writes the case's chunks, reads until the whole answer is back or
//! the other side closed, holds the connection open when the case says so, waits
//! for the upstream's close when the upstream closes first, and closes. It does not
//! half-close (see [`crate::tcp::echo`] for why). What it records: every byte that
//! came back, and whether the other side closed before it did.

use std::io::{ErrorKind, Read};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use super::tcp_case::{Closer, TcpCase, write_chunks};
use crate::error::{HarnessError, Result};

/// How long the client waits for the connection and for each read.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What the client saw of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    /// Every byte that came back.
    pub received: Vec<u8>,
    /// Whether the other side closed (or reset) before the client closed.
    pub saw_close: bool,
}

/// Runs `case` against the caller's sidecar at `addr`; `while_held` runs while a
/// held connection is open, after its answer.
pub fn run(
    addr: SocketAddr,
    case: &TcpCase,
    while_held: impl FnOnce() -> Result<()>,
) -> Result<ClientRecord> {
    let context = || format!("{} through {addr}", case.label);
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| HarnessError::io(format!("connecting to {addr}"), e))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_nodelay(true))
        .map_err(|e| HarnessError::io(context(), e))?;
    // A closed connection refuses the rest; what came back says so.
    write_chunks(&mut stream, &case.sends);
    let mut received = Vec::new();
    let expected = case.answered().len();
    let mut saw_close = !read_until(&mut stream, &mut received, expected, &context)?;
    if case.held && !saw_close {
        while_held()?;
    }
    if case.closer == Closer::Upstream && !saw_close {
        saw_close = !read_until(&mut stream, &mut received, usize::MAX, &context)?;
    }
    drop(stream.shutdown(Shutdown::Both));
    Ok(ClientRecord {
        received,
        saw_close,
    })
}

/// Reads into `received` until it holds `expect` bytes (true) or the other side
/// closed or reset (false); a read that times out is an error.
fn read_until(
    stream: &mut TcpStream,
    received: &mut Vec<u8>,
    expect: usize,
    context: &impl Fn() -> String,
) -> Result<bool> {
    let mut buffer = [0_u8; 16 * 1024];
    while received.len() < expect {
        match stream.read(&mut buffer) {
            Ok(0) => return Ok(false),
            Ok(read) => received.extend(buffer.get(..read).unwrap_or_default()),
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                return Ok(false);
            }
            Err(e) => return Err(HarnessError::io(context(), e)),
        }
    }
    Ok(true)
}
