//! The upstreams on loopback, as cheap as they can be, so that a run measures Envoy,
//! not the app behind it.
//!
//! - The HTTP runs' [`start`]: a keep-alive HTTP/1.1 server that answers every
//!   request with the same three-byte body. One thread per connection (Envoy keeps
//!   a handful open); it never reads a body, because the benchmark only sends GETs.
//! - The TCP runs' [`start_bulk`]: per connection, a [`BULK_HEADER_LEN`]-byte header
//!   from the caller names a [`Flow`] and a byte count. For [`Flow::Upload`] the
//!   server reads that many bytes and answers with the count it read (8 bytes, little
//!   endian); for [`Flow::Download`] it writes that many zero bytes and closes. The
//!   caller's end is `load::transfer`.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;

use meshborder_e2e::ports::LOOPBACK;
use meshborder_e2e::{HarnessError, Result};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n";
const HEADER_END: &[u8] = b"\r\n\r\n";

/// The size of the reads and writes of a bulk transfer, at both ends.
pub const BULK_CHUNK: usize = 1024 * 1024;
/// The caller's header: the flow (one byte), then the byte count (8, little endian).
pub const BULK_HEADER_LEN: usize = 9;

/// Which way a TCP transfer's bulk goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flow {
    /// From the caller to the upstream: what the filter sees as downstream data.
    Upload,
    /// From the upstream to the caller, after the caller's header: upstream data.
    Download,
}

impl Flow {
    /// Both flows, in report order.
    pub const ALL: [Self; 2] = [Self::Upload, Self::Download];

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Upload => "caller to upstream",
            Self::Download => "upstream to caller",
        }
    }

    /// The header that asks the bulk upstream for a transfer of `bytes`.
    pub fn header(self, bytes: u64) -> [u8; BULK_HEADER_LEN] {
        let mut header = [0; BULK_HEADER_LEN];
        let (flow, count) = header.split_at_mut(1);
        flow.copy_from_slice(match self {
            Self::Upload => b"U",
            Self::Download => b"D",
        });
        count.copy_from_slice(&bytes.to_le_bytes());
        header
    }

    /// The flow and byte count of a header; `None` when it is no header.
    fn parse(header: &[u8; BULK_HEADER_LEN]) -> Option<(Self, u64)> {
        let (flow, count) = header.split_first()?;
        let flow = match flow {
            b'U' => Self::Upload,
            b'D' => Self::Download,
            _ => return None,
        };
        Some((flow, u64::from_le_bytes(count.try_into().ok()?)))
    }
}

/// Starts the HTTP server on a free loopback port; it runs until the process ends.
pub fn start() -> Result<SocketAddr> {
    listen("bench-upstream", serve)
}

/// Starts the bulk TCP server on a free loopback port; it runs until the process
/// ends.
pub fn start_bulk() -> Result<SocketAddr> {
    listen("bench-bulk-upstream", serve_bulk)
}

/// Serves each connection to a free loopback port on a thread of its own.
fn listen(name: &str, serve: fn(TcpStream)) -> Result<SocketAddr> {
    let listener = TcpListener::bind((LOOPBACK, 0))
        .map_err(|e| HarnessError::io(format!("binding the {name}"), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| HarnessError::io(format!("reading the {name}'s address"), e))?;
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                drop(thread::Builder::new().spawn(move || serve(stream)));
            }
        })
        .map_err(|e| HarnessError::io(format!("starting the {name}"), e))?;
    Ok(addr)
}

/// One bulk transfer: the header, then the bytes it asks for, one way or the other.
fn serve_bulk(mut stream: TcpStream) {
    drop(stream.set_nodelay(true));
    let mut header = [0; BULK_HEADER_LEN];
    if stream.read_exact(&mut header).is_err() {
        return;
    }
    let Some((flow, bytes)) = Flow::parse(&header) else {
        return;
    };
    let mut buffer = vec![0_u8; BULK_CHUNK];
    match flow {
        Flow::Upload => {
            let mut read: u64 = 0;
            while read < bytes {
                match stream.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => read += n as u64,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
            drop(stream.write_all(&read.to_le_bytes()));
        }
        Flow::Download => {
            let mut left = bytes;
            while left > 0 {
                let n = usize::try_from(left).map_or(BULK_CHUNK, |left| left.min(BULK_CHUNK));
                if stream
                    .write_all(buffer.get(..n).unwrap_or_default())
                    .is_err()
                {
                    return;
                }
                left -= n as u64;
            }
        }
    }
    drop(stream.shutdown(Shutdown::Write));
}

/// Answers each request on one connection until the peer closes it.
fn serve(mut stream: TcpStream) {
    drop(stream.set_nodelay(true));
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut filled = 0;
    loop {
        match stream.read(buffer.get_mut(filled..).unwrap_or_default()) {
            Ok(0) => return,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        }
        let mut consumed = 0;
        while let Some(end) = find(buffer.get(consumed..filled).unwrap_or_default(), HEADER_END) {
            consumed += end + HEADER_END.len();
            if stream.write_all(RESPONSE).is_err() {
                return;
            }
        }
        buffer.copy_within(consumed..filled, 0);
        filled -= consumed;
        if filled == buffer.len() {
            // A request head larger than the buffer: not one the bench sends.
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_header_reads_back_as_written() {
        for flow in Flow::ALL {
            assert_eq!(Flow::parse(&flow.header(1 << 30)), Some((flow, 1 << 30)));
        }
        assert_eq!(Flow::parse(b"GET / HTT"), None);
    }
}
