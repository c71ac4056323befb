//! One HTTP/1.1 connection kept open for many requests, over TLS as a caller's
//! sidecar keeps its connections to eu-west: how a test sends a few hundred requests
//! from one peer in well under a second (a TLS handshake per request would take
//! longer than the window being measured). Requests are encoded and responses read
//! as [`crate::client`] does.

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};

use rustls::{ClientConnection, StreamOwned};

use crate::client::{self, Request, Response};
use crate::error::{HarnessError, Result};
use crate::tls::TlsClient;

/// An open TLS connection to one address.
#[derive(Debug)]
pub struct KeptAlive {
    addr: SocketAddr,
    stream: BufReader<StreamOwned<ClientConnection, TcpStream>>,
}

impl KeptAlive {
    /// Connects to `addr` over TLS as `tls` is configured; the handshake runs with
    /// the first request.
    pub fn connect_tls(addr: SocketAddr, tls: &TlsClient) -> Result<Self> {
        let fail = |reason| HarnessError::Http {
            context: format!("connecting to https://{addr}"),
            reason,
        };
        let tcp = client::connect(addr).map_err(fail)?;
        let stream = tls.wrap(tcp).map_err(fail)?;
        Ok(Self {
            addr,
            stream: BufReader::new(stream),
        })
    }

    /// Sends `request` on the connection, keeping it open, and reads the response.
    pub fn send(&mut self, request: &Request) -> Result<Response> {
        let addr = self.addr;
        let fail = request.failure("https", addr);
        let writer = self.stream.get_mut();
        writer
            .write_all(&request.encode(addr, false))
            .and_then(|()| writer.flush())
            .map_err(|e| fail(format!("sending on a kept-alive connection: {e}")))?;
        client::read_response(&mut self.stream).map_err(fail)
    }
}
