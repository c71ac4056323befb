//! A small echo app standing in for the services behind Envoy. It answers every
//! request with JSON that names the app and its region and echoes the method, path
//! and headers it received, so a test sees exactly what the filter let through:
//! `headers` joined by name, and `rawHeaders`, every header as it arrived, in order,
//! as `[name, hex of the value's bytes]`. It runs on background threads and stops
//! when dropped.

use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::error::{HarnessError, Result};
use crate::ports;
use crate::wire::{self, Unframed};

const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A running echo app.
#[derive(Debug)]
pub struct EchoApp {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept_loop: Option<JoinHandle<()>>,
}

impl EchoApp {
    /// Starts an app called `name` in `region`, listening on `addr` (port 0: any).
    pub fn start(name: &str, region: &str, addr: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind(addr).map_err(|e| ports::bind_error(addr, e))?;
        let addr = listener.local_addr().map_err(|e| {
            HarnessError::io(format!("reading the address of echo app `{name}`"), e)
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let identity = Identity {
            app: name.to_owned(),
            region: region.to_owned(),
        };
        let accept_loop = {
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name(format!("echo-{name}"))
                .spawn(move || accept(&listener, &stop, &Arc::new(identity)))
                .map_err(|e| HarnessError::io(format!("starting echo app `{name}`"), e))?
        };
        Ok(Self {
            addr,
            stop,
            accept_loop: Some(accept_loop),
        })
    }

    /// Where the app listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for EchoApp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the loop sees the flag.
        drop(TcpStream::connect(self.addr));
        if let Some(accept_loop) = self.accept_loop.take() {
            drop(accept_loop.join());
        }
    }
}

struct Identity {
    app: String,
    region: String,
}

fn accept(listener: &TcpListener, stop: &AtomicBool, identity: &Arc<Identity>) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let identity = Arc::clone(identity);
        // A failed exchange only concerns that connection; the test sees it.
        drop(thread::Builder::new().spawn(move || drop(serve(&stream, &identity))));
    }
}

/// Answers the requests of one connection until the peer closes it.
fn serve(stream: &TcpStream, identity: &Identity) -> std::io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream);
    while let Some(head) = wire::read_head(&mut reader)? {
        let body = wire::read_body(&mut reader, &head, Unframed::Empty)?;
        let reply = echo(identity, &head, body.len()).to_string();
        let close = head
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n{reply}",
            reply.len(),
            if close { "connection: close\r\n" } else { "" },
        );
        (&*stream).write_all(response.as_bytes())?;
        if close {
            break;
        }
    }
    Ok(())
}

/// The body the app `app` in `region` answers a request with `head` and a body of
/// `body_bytes` with: what the differential suite expects an app to answer.
#[cfg(feature = "wasm-host")]
pub(crate) fn echo_body(app: &str, region: &str, head: &wire::Head, body_bytes: usize) -> String {
    let identity = Identity {
        app: app.to_owned(),
        region: region.to_owned(),
    };
    echo(&identity, head, body_bytes).to_string()
}

/// The JSON reply: who answered, and what it received.
fn echo(identity: &Identity, head: &wire::Head, body_bytes: usize) -> Value {
    let mut parts = head.start_line.split(' ');
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let mut headers = Map::new();
    for (name, value) in &head.headers {
        let joined = match headers.get(name).and_then(Value::as_str) {
            Some(previous) => format!("{previous}, {value}"),
            None => value.clone(),
        };
        headers.insert(name.clone(), Value::String(joined));
    }
    let raw_headers: Vec<Value> = head
        .raw_headers
        .iter()
        .map(|(name, value)| json!([name, hex(value)]))
        .collect();
    json!({
        "app": identity.app,
        "region": identity.region,
        "method": method,
        "path": path,
        "headers": headers,
        "bodyBytes": body_bytes,
        "rawHeaders": raw_headers,
    })
}

/// `bytes` as lowercase hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Request;
    use crate::ports::LOOPBACK;
    use meshborder_filter::contract::header;

    #[test]
    fn echoes_its_region_and_the_headers_it_received() {
        let app = EchoApp::start("eu", "eu-west-1", SocketAddr::new(LOOPBACK, 0)).unwrap();
        let response = Request::new("POST", "/users/1")
            .header(header::SOURCE_CLUSTER, "us-east")
            .body("hello")
            .send(app.addr())
            .unwrap();
        assert_eq!(response.status, 200);
        let body = response.json().unwrap();
        assert_eq!(body["app"], "eu");
        assert_eq!(body["region"], "eu-west-1");
        assert_eq!(body["method"], "POST");
        assert_eq!(body["path"], "/users/1");
        assert_eq!(body["headers"][header::SOURCE_CLUSTER], "us-east");
        assert_eq!(body["bodyBytes"], 5);
    }

    #[test]
    fn joins_repeated_headers() {
        let app = EchoApp::start("us", "us-east-1", SocketAddr::new(LOOPBACK, 0)).unwrap();
        let response = Request::get("/")
            .header("x-a", "1")
            .header("x-a", "2")
            .send(app.addr())
            .unwrap();
        let body = response.json().unwrap();
        assert_eq!(body["headers"]["x-a"], "1, 2");
        let raw: Vec<&Value> = body["rawHeaders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|pair| pair[0] == "x-a")
            .collect();
        assert_eq!(raw, [&json!(["x-a", "31"]), &json!(["x-a", "32"])]);
    }

    #[test]
    fn stops_listening_when_dropped() {
        let app = EchoApp::start("eu", "eu-west-1", SocketAddr::new(LOOPBACK, 0)).unwrap();
        let addr = app.addr();
        drop(app);
        assert!(Request::get("/").send(addr).is_err());
    }
}
