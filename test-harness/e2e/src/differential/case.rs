//! One request of the differential suite as it goes on the wire: where it enters
//! the mesh (a caller's outbound sidecar, eu-west or the auditing eu-west directly
//! over mTLS with one of the run's certificates, eu-west in plaintext, or the
//! ingress gateway), its request line, its headers exactly
//! as sent (names in the case given, values as bytes, duplicates kept) and its body.
//! The same description feeds both sides: the bytes Envoy receives, and what the
//! host is told Envoy made of them ([`crate::differential::presented`]).

use std::io::{BufReader, Write};
use std::net::SocketAddr;

use crate::certs::ClientCert;
use crate::client::{self, Response};
use crate::tls::TlsClient;
use crate::topology::Caller;

/// Where a request enters the mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// The outbound listener of this caller's sidecar, in plaintext, as its app
    /// sends.
    Outbound(Caller),
    /// eu-west's mTLS listener, presenting this client certificate.
    Mtls(ClientCert),
    /// eu-west's plaintext listener: no peer identity.
    Plaintext,
    /// The auditing eu-west's mTLS listener, presenting this client certificate.
    AuditMtls(ClientCert),
    /// The eu-west ingress gateway's listener, in plaintext, as the internet sends.
    Gateway,
}

impl Entry {
    /// A short name for reports.
    pub fn describe(&self) -> String {
        match self {
            Self::Outbound(caller) => format!("outbound via {}", caller.name),
            Self::Mtls(cert) => format!("inbound mTLS as {}", cert.spiffe_id()),
            Self::Plaintext => "inbound plaintext".to_owned(),
            Self::AuditMtls(cert) => format!(
                "inbound mTLS to the auditing eu-west as {}",
                cert.spiffe_id()
            ),
            Self::Gateway => "through the gateway".to_owned(),
        }
    }
}

/// One request, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// What the request is, for reports: `generated #12`, `tour: residency`.
    pub label: String,
    /// Where it enters.
    pub entry: Entry,
    /// The method of the request line.
    pub method: Vec<u8>,
    /// The request target of the request line, such as `/users/1`.
    pub target: Vec<u8>,
    /// Every header line, in order: the name as written, the value's bytes.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body; a `content-length` is added when it is not empty.
    pub body: Vec<u8>,
}

impl Case {
    /// A `method` request for `target` with no headers yet.
    pub fn new(label: &str, entry: Entry, method: &str, target: &str) -> Self {
        Self {
            label: label.to_owned(),
            entry,
            method: method.as_bytes().to_vec(),
            target: target.as_bytes().to_vec(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Adds a header line.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of `name` (case-insensitive) as sent.
    pub fn value(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_slice())
    }

    /// The request on the wire, closing the connection after it.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&self.method);
        bytes.push(b' ');
        bytes.extend_from_slice(&self.target);
        bytes.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in &self.headers {
            bytes.extend_from_slice(name.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(value);
            bytes.extend_from_slice(b"\r\n");
        }
        if !self.body.is_empty() {
            bytes.extend_from_slice(format!("content-length: {}\r\n", self.body.len()).as_bytes());
        }
        bytes.extend_from_slice(b"connection: close\r\n\r\n");
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// A one-line summary of the request for a report: entry, request line, and
    /// each header with its value (long values shortened, bytes escaped).
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{} [{}] {} {}",
            self.label,
            self.entry.describe(),
            shown(&self.method),
            shown(&self.target)
        );
        for (name, value) in &self.headers {
            text.push_str(&format!(" | {name}: {}", shown(value)));
        }
        if !self.body.is_empty() {
            text.push_str(&format!(" | body of {} bytes", self.body.len()));
        }
        text
    }

    /// Sends the request to `addr`, over TLS when `tls` says how, and reads the
    /// response; `Err` says why there was none (the connection was closed or reset).
    pub fn send(&self, addr: SocketAddr, tls: Option<&TlsClient>) -> Result<Response, String> {
        let bytes = self.encode();
        match tls {
            None => exchange_plain(addr, &bytes),
            Some(tls) => client::connect(addr)
                .and_then(|tcp| tls.wrap(tcp))
                .and_then(|stream| exchange(stream, &bytes)),
        }
    }
}

fn exchange_plain(addr: SocketAddr, bytes: &[u8]) -> Result<Response, String> {
    exchange(client::connect(addr)?, bytes)
}

/// Writes the request and reads the answer. A failed write is not the end: Envoy
/// may answer (a 431, say) and close before it has read everything.
fn exchange(mut stream: impl std::io::Read + Write, bytes: &[u8]) -> Result<Response, String> {
    let written = stream.write_all(bytes).and_then(|()| stream.flush());
    client::read_response(&mut BufReader::new(stream)).map_err(|reason| match written {
        Ok(()) => reason,
        Err(e) => format!("{reason} (sending failed: {e})"),
    })
}

/// Bytes for a report: printable ASCII as is, others as `\xNN`, long runs cut.
pub fn shown(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let mut text: String = bytes
        .iter()
        .take(MAX)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                char::from(b).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect();
    if bytes.len() > MAX {
        text.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    text
}
