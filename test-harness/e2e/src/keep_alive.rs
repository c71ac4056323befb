//! One HTTP/1.1 connection kept open for many requests, over TLS as a caller's
//! sidecar keeps its connections to eu-west: how a test sends a few hundred requests
//! from one peer in well under a second (a TLS handshake per request would take
//! longer than the window being measured). In plaintext too, for the bench's
//! instruction counts, which measure requests on an open connection as its load
//! generator sends them. Requests are encoded and responses read as
//! [`crate::client`] does.

use std::fmt::Debug;
use std::io::{BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use crate::client::{self, Request, Response};
use crate::error::{HarnessError, Result};
use crate::tls::TlsClient;

/// A connection's byte stream: TCP, or TLS over it.
trait Duplex: Read + Write + Debug {}

impl<T: Read + Write + Debug> Duplex for T {}

/// An open connection to one address.
#[derive(Debug)]
pub struct KeptAlive {
    addr: SocketAddr,
    /// `http` or `https`, for errors.
    scheme: &'static str,
    stream: BufReader<Box<dyn Duplex>>,
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
            scheme: "https",
            stream: BufReader::new(Box::new(stream)),
        })
    }

    /// Connects to `addr` in plaintext, waiting up to `read_timeout` for each
    /// response (longer than the client's default, for an Envoy under valgrind).
    pub fn connect(addr: SocketAddr, read_timeout: Duration) -> Result<Self> {
        let fail = |reason| HarnessError::Http {
            context: format!("connecting to http://{addr}"),
            reason,
        };
        let tcp = client::connect(addr).map_err(fail)?;
        tcp.set_read_timeout(Some(read_timeout))
            .map_err(|e| fail(format!("setting a timeout: {e}")))?;
        Ok(Self {
            addr,
            scheme: "http",
            stream: BufReader::new(Box::new(tcp)),
        })
    }

    /// Sends `request` on the connection, keeping it open, and reads the response.
    pub fn send(&mut self, request: &Request) -> Result<Response> {
        let addr = self.addr;
        let fail = request.failure(self.scheme, addr);
        let writer = self.stream.get_mut();
        writer
            .write_all(&request.encode(addr, false))
            .and_then(|()| writer.flush())
            .map_err(|e| fail(format!("sending on a kept-alive connection: {e}")))?;
        client::read_response(&mut self.stream).map_err(fail)
    }
}
