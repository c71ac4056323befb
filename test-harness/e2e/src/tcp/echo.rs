//! A plain TCP echo server and its client: the stand-in for the database behind
//! eu-west's TCP sidecar where PostgreSQL is not installed (the demo). Like
//! PostgreSQL it is client-speaks-first: it says nothing until the client has, so
//! the filter decides on the client's first bytes before the server has sent any.
//!
//! The client writes its bytes and reads until as many have come back, or until
//! the other side closed; then it closes, first, as `psql` does. It does not
//! half-close: through the TCP pair (TLS between the sidecars) a half-closed
//! client lost the echo (the caller's sidecar logged `UR`, upstream reset, with
//! the bytes sent by eu-west never reaching it), which is TLS half-close in Envoy,
//! not the filter.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::error::{HarnessError, Result};

/// How long the client waits for the connection and for each read.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often the server's accept loop looks at its stop flag.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// An echo server on its own thread; stopped (and joined) when dropped.
#[derive(Debug)]
pub struct EchoServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoServer {
    /// Listens on `addr` (port 0: any free port) and echoes every connection's
    /// bytes back until the client half-closes, then closes.
    pub fn start(addr: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind(addr).map_err(|e| crate::ports::bind_error(addr, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| HarnessError::io("reading the echo server's address", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| HarnessError::io("setting up the echo server", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("tcp-echo".to_owned())
                .spawn(move || accept(&listener, &stop))
                .map_err(|e| HarnessError::io("starting the echo server", e))?
        };
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            drop(thread.join());
        }
    }
}

fn accept(listener: &TcpListener, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                drop(
                    thread::Builder::new()
                        .name("tcp-echo-connection".to_owned())
                        .spawn(move || echo(stream)),
                );
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(POLL_INTERVAL),
            Err(_) => thread::sleep(POLL_INTERVAL),
        }
    }
}

/// Copies what the client sends back to it until it closes.
fn echo(mut stream: TcpStream) {
    drop(stream.set_nonblocking(false));
    drop(stream.set_read_timeout(Some(TIMEOUT)));
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                let Some(chunk) = buffer.get(..read) else {
                    break;
                };
                if stream.write_all(chunk).is_err() {
                    break;
                }
            }
        }
    }
    drop(stream.shutdown(Shutdown::Both));
}

/// Connects to `addr`, writes `payload`, reads until as many bytes came back or
/// the other side closed, closes, and returns what came back. A connection the
/// proxy refused returns what came back before it was closed (nothing, for a
/// denial); a reset counts as such a close.
pub fn exchange(addr: SocketAddr, payload: &[u8]) -> Result<Vec<u8>> {
    let context = || format!("echo exchange with {addr}");
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| HarnessError::io(format!("connecting to {addr}"), e))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| HarnessError::io(context(), e))?;
    stream
        .write_all(payload)
        .map_err(|e| HarnessError::io(context(), e))?;
    let mut back = Vec::new();
    let mut buffer = [0_u8; 4096];
    while back.len() < payload.len() {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => back.extend(buffer.get(..read).unwrap_or_default()),
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                break;
            }
            Err(e) => return Err(HarnessError::io(context(), e)),
        }
    }
    drop(stream.shutdown(Shutdown::Both));
    Ok(back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::LOOPBACK;

    #[test]
    fn echoes_what_the_client_wrote_and_closes() {
        let server = EchoServer::start(SocketAddr::new(LOOPBACK, 0)).unwrap();
        let payload = b"hello from the rig\n".repeat(300);
        assert_eq!(exchange(server.addr(), &payload).unwrap(), payload);
        assert_eq!(exchange(server.addr(), b"again").unwrap(), b"again");
    }

    #[test]
    fn stops_listening_when_dropped() {
        let server = EchoServer::start(SocketAddr::new(LOOPBACK, 0)).unwrap();
        let addr = server.addr();
        drop(server);
        assert!(exchange(addr, b"anyone?").is_err());
    }
}
