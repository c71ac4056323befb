//! The upstream of the proxied runs: a keep-alive HTTP/1.1 server on loopback that
//! answers every request with the same three-byte body, as cheaply as it can, so
//! that a proxied run measures Envoy, not the app behind it. One thread per
//! connection (Envoy keeps a handful open); it never reads a body, because the
//! benchmark only sends GETs.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

use meshborder_e2e::ports::LOOPBACK;
use meshborder_e2e::{HarnessError, Result};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n";
const HEADER_END: &[u8] = b"\r\n\r\n";

/// Starts the server on a free loopback port; it runs until the process ends.
pub fn start() -> Result<SocketAddr> {
    let listener = TcpListener::bind((LOOPBACK, 0))
        .map_err(|e| HarnessError::io("binding the bench upstream", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| HarnessError::io("reading the bench upstream's address", e))?;
    thread::Builder::new()
        .name("bench-upstream".to_owned())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                drop(thread::Builder::new().spawn(move || serve(stream)));
            }
        })
        .map_err(|e| HarnessError::io("starting the bench upstream", e))?;
    Ok(addr)
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
