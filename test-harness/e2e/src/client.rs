//! A tiny HTTP/1.1 client for tests, on `std::net`: one request per connection
//! (`connection: close`), in plaintext or over TLS ([`crate::tls`]), so tests need
//! neither curl nor an HTTP crate. [`crate::keep_alive`] sends many requests on one
//! connection with the same encoding and parsing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::tls::TlsClient;
use crate::wire::{self, Unframed};

const TIMEOUT: Duration = Duration::from_secs(10);

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    /// A request with `method` for `target` (a path such as `/users/1`).
    pub fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `GET` for `target`.
    pub fn get(target: &str) -> Self {
        Self::new("GET", target)
    }

    /// Adds a header. A `host` header replaces the default (the address sent to).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body; `content-length` is added when sending.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the request to `addr` and reads the whole response.
    pub fn send(&self, addr: SocketAddr) -> Result<Response> {
        let fail = self.failure("http", addr);
        let stream = connect(addr).map_err(&fail)?;
        self.exchange(stream, addr).map_err(fail)
    }

    /// Sends the request over TLS, as `tls` is configured, to `addr`.
    pub fn send_tls(&self, addr: SocketAddr, tls: &TlsClient) -> Result<Response> {
        let fail = self.failure("https", addr);
        let stream = tls.wrap(connect(addr).map_err(&fail)?).map_err(&fail)?;
        self.exchange(stream, addr).map_err(fail)
    }

    /// The error of this request to `scheme://addr`, for a reason.
    pub(crate) fn failure(
        &self,
        scheme: &str,
        addr: SocketAddr,
    ) -> impl Fn(String) -> HarnessError + use<> {
        let context = format!("{} {scheme}://{addr}{}", self.method, self.target);
        move |reason| HarnessError::Http {
            context: context.clone(),
            reason,
        }
    }

    fn exchange(
        &self,
        mut stream: impl Read + Write,
        addr: SocketAddr,
    ) -> std::result::Result<Response, String> {
        stream
            .write_all(&self.encode(addr, true))
            .and_then(|()| stream.flush())
            .map_err(|e| format!("sending: {e}"))?;
        read_response(&mut BufReader::new(stream))
    }

    /// The request on the wire, closing the connection after it when `close`.
    pub(crate) fn encode(&self, addr: SocketAddr, close: bool) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        if wire::header(&self.headers, "host").is_none() {
            head.push_str(&format!("host: {addr}\r\n"));
        }
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !self.body.is_empty() {
            head.push_str(&format!("content-length: {}\r\n", self.body.len()));
        }
        if close {
            head.push_str("connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Reads one whole response from `reader`.
pub(crate) fn read_response(reader: &mut impl BufRead) -> std::result::Result<Response, String> {
    let head = wire::read_head(reader)
        .map_err(|e| format!("reading the response: {e}"))?
        .ok_or_else(|| "the connection closed without a response".to_owned())?;
    let body = wire::read_body(reader, &head, Unframed::UntilClose)
        .map_err(|e| format!("reading the response body: {e}"))?;
    let status = head
        .start_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad status line `{}`", head.start_line))?;
    Ok(Response {
        status,
        headers: head.headers,
        body,
    })
}

pub(crate) fn connect(addr: SocketAddr) -> std::result::Result<TcpStream, String> {
    let stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("connecting: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| format!("setting a timeout: {e}"))?;
    Ok(stream)
}

/// A response as received.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        wire::header(&self.headers, name)
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).map_err(|e| HarnessError::Http {
            context: format!("response with status {}", self.status),
            reason: format!("body is not JSON ({e}): {}", self.text()),
        })
    }
}
