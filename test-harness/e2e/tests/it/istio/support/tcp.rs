//! Plain TCP through a network plugin: an upstream that echoes every byte it reads,
//! and one connection over mTLS that presents a certificate of the test PKI, sends
//! some bytes, reads their echo and closes, as a database client would.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use meshborder_e2e::certs::{Identity, SERVER_DNS_NAME, TestPki};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use super::Result;

/// How long a connection waits for an answer before it fails.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// An echo server on a free loopback port; it serves until the test binary ends.
#[derive(Debug)]
pub struct EchoUpstream {
    addr: SocketAddr,
}

impl EchoUpstream {
    /// Starts it.
    pub fn start() -> Result<Self> {
        let listener =
            TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("echo upstream: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("echo upstream: {e}"))?;
        thread::spawn(move || {
            for connection in listener.incoming().flatten() {
                thread::spawn(move || echo(connection));
            }
        });
        Ok(Self { addr })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Writes back what `connection` sends until it half-closes, then closes.
fn echo(mut connection: TcpStream) {
    let mut buffer = [0_u8; 4096];
    while let Ok(read) = connection.read(&mut buffer) {
        let Some(chunk) = buffer.get(..read).filter(|chunk| !chunk.is_empty()) else {
            break;
        };
        if connection.write_all(chunk).is_err() {
            break;
        }
    }
    let _closed = connection.shutdown(Shutdown::Both);
}

/// One connection to `addr` over mTLS as `identity` (a client certificate of
/// `pki`): sends `payload`, reads as many bytes back, then closes its side and
/// waits for the server to close. The bytes read back.
pub fn exchange(
    addr: SocketAddr,
    pki: &TestPki,
    identity: &Identity,
    payload: &[u8],
) -> Result<Vec<u8>> {
    let tls = |e: &dyn std::fmt::Display| format!("tls to {addr}: {e}");
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_der()).map_err(|e| tls(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![identity.cert_der()], identity.key_der())
        .map_err(|e| tls(&e))?;
    let name = ServerName::try_from(SERVER_DNS_NAME).map_err(|e| tls(&e))?;
    let client = ClientConnection::new(Arc::new(config), name).map_err(|e| tls(&e))?;
    let socket = TcpStream::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
    socket
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut stream = StreamOwned::new(client, socket);
    stream
        .write_all(payload)
        .and_then(|()| stream.flush())
        .map_err(|e| format!("writing to {addr}: {e}"))?;
    let mut echoed = vec![0_u8; payload.len()];
    stream
        .read_exact(&mut echoed)
        .map_err(|e| format!("reading the echo from {addr}: {e}"))?;
    stream.conn.send_close_notify();
    stream
        .flush()
        .and_then(|()| stream.sock.shutdown(Shutdown::Write))
        .map_err(|e| format!("closing the connection to {addr}: {e}"))?;
    // The server closes in turn; whether it says close_notify first is its business.
    let mut rest = Vec::new();
    let _drained = stream.read_to_end(&mut rest);
    Ok(echoed)
}
