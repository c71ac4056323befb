//! What the shipped Envoy configs make of a request before the filter sees it, as
//! measured on Envoy 1.36 and 1.40, so the host can be handed the same header map:
//!
//! - the codec refuses some requests outright ([`proxy_wasm_host::admission`]);
//! - the connection manager (`normalize_path`, `merge_slashes`,
//!   `path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT`) redirects a path
//!   with an encoded slash (`%2F`, `%5C`) with `307` to the unescaped path, and
//!   otherwise merges slashes and removes dot segments;
//! - names are lowercased, values trimmed; the request line and `host` become
//!   `:authority`, `:path`, `:method`, `:scheme` (the pseudo-headers go first);
//!   repeated `host` and [`JOINED`] headers are joined with `,` into the first;
//!   `connection` is consumed by the codec, and the connection manager removes
//!   [`STRIPPED`] (Envoy's own internal headers, from an external caller);
//! - `x-forwarded-proto` is kept when the client sent one, else appended (`https`
//!   on a TLS listener, `http` otherwise), and `:scheme` follows it; then
//!   `x-request-id` is appended when the client sent none (every request of the
//!   suite sends one, so Envoy's random one never has to be guessed).
//!
//! A caller's outbound listener (`strip_any_host_port`) also drops the port from
//! `:authority`, for the filter and the upstream alike.
//!
//! On the way out, the router adds [`TIMEOUT_HEADER`] (the routes' default
//! timeout), and the HTTP/1 encoder writes `:authority` as `host`, first, and a
//! `content-length: 0` for a bodiless request whose method may carry a body.

use proxy_wasm_host::admission::{self, CodecRefusal};

/// Headers Envoy keeps once per map, joining repeats with `,` (its inline headers
/// among those a request of the suite can carry).
pub const JOINED: [&str; 5] = [
    "x-request-id",
    "user-agent",
    "content-type",
    "x-forwarded-proto",
    "x-forwarded-for",
];

/// Headers the connection manager removes from an arriving request (it takes
/// every caller for an external one), so the filter never sees them.
pub const STRIPPED: [&str; 1] = ["x-envoy-expected-rq-timeout-ms"];

/// The header the router adds on the way to the upstream, and its value.
pub const TIMEOUT_HEADER: (&str, &str) = ("x-envoy-expected-rq-timeout-ms", "15000");

/// A header map: names lowercased, values as bytes, in order.
pub type HeaderMap = Vec<(String, Vec<u8>)>;

/// The listener a request arrives on, as far as its presentation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    /// TLS (`x-forwarded-proto: https`).
    pub tls: bool,
    /// `strip_any_host_port`.
    pub strip_host_port: bool,
}

impl Listener {
    /// A caller's outbound listener.
    pub const OUTBOUND: Self = Self {
        tls: false,
        strip_host_port: true,
    };
    /// eu-west's mTLS listener.
    pub const INBOUND_MTLS: Self = Self {
        tls: true,
        strip_host_port: false,
    };
    /// eu-west's plaintext listener.
    pub const INBOUND_PLAINTEXT: Self = Self {
        tls: false,
        strip_host_port: false,
    };
    /// The ingress gateway's listener.
    pub const GATEWAY: Self = Self {
        tls: false,
        strip_host_port: false,
    };
}

/// What Envoy does with a request before the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The codec refuses it; no filter runs.
    Refused(CodecRefusal),
    /// The connection manager redirects it (`307`) to `location`; no filter runs.
    Redirected {
        /// The unescaped path.
        location: Vec<u8>,
    },
    /// The filter gets this header map.
    Presented(HeaderMap),
}

/// The request `method target` with header lines `headers`, as Envoy presents it
/// on `listener`.
pub fn present(method: &[u8], target: &[u8], headers: &HeaderMap, listener: Listener) -> Admission {
    if let Some(refusal) = admission::codec_refusal(method, target, headers) {
        return Admission::Refused(refusal);
    }
    let (path, query) = match target.iter().position(|&b| b == b'?') {
        Some(at) => target.split_at(at),
        None => (target, &b""[..]),
    };
    if has_escaped_slash(path) {
        return Admission::Redirected {
            location: unescape_slashes(path),
        };
    }
    let mut normalized = normalize(path);
    normalized.extend_from_slice(query);

    let mut authority: Option<Vec<u8>> = None;
    let mut regular: HeaderMap = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let value = admission::trimmed(value).to_vec();
        if name == "connection" || STRIPPED.contains(&name.as_str()) {
            continue;
        }
        if name == "host" {
            authority = Some(joined(authority, &value));
            continue;
        }
        let repeat = JOINED
            .contains(&name.as_str())
            .then(|| regular.iter_mut().find(|(k, _)| *k == name))
            .flatten();
        match repeat {
            Some((_, first)) => *first = joined(Some(std::mem::take(first)), &value),
            None => regular.push((name, value)),
        }
    }
    let transport: &[u8] = if listener.tls { b"https" } else { b"http" };
    let forwarded_proto = regular
        .iter()
        .find(|(k, _)| k == "x-forwarded-proto")
        .map(|(_, v)| v.clone());
    let scheme = match forwarded_proto.as_deref() {
        Some(proto @ (b"http" | b"https")) => proto.to_vec(),
        Some(_) => transport.to_vec(),
        None => {
            regular.push(("x-forwarded-proto".to_owned(), transport.to_vec()));
            transport.to_vec()
        }
    };
    let mut map: HeaderMap = vec![
        (
            ":authority".to_owned(),
            host(authority.unwrap_or_default(), listener),
        ),
        (":path".to_owned(), normalized),
        (":method".to_owned(), method.to_vec()),
        (":scheme".to_owned(), scheme),
    ];
    map.extend(regular);
    Admission::Presented(map)
}

/// The map the router sends upstream: `map` with [`TIMEOUT_HEADER`] set.
pub fn routed(map: &HeaderMap) -> HeaderMap {
    let (name, value) = TIMEOUT_HEADER;
    let mut out = map.clone();
    match out.iter_mut().find(|(k, _)| k == name) {
        Some((_, existing)) => *existing = value.as_bytes().to_vec(),
        None => out.push((name.to_owned(), value.as_bytes().to_vec())),
    }
    out
}

/// The request line and header lines the HTTP/1 encoder writes for `map`: `host`
/// first, then the other headers in order, without the pseudo-headers; for a
/// request without a body whose method may carry one (not `GET`, `HEAD`,
/// `DELETE`, `TRACE`, `CONNECT`), `content-length: 0` last.
pub fn on_the_wire(map: &HeaderMap) -> (String, HeaderMap) {
    let value = |name: &str| {
        map.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let method = value(":method");
    let start_line = format!("{method} {} HTTP/1.1", value(":path"));
    let mut lines: HeaderMap = vec![("host".to_owned(), value(":authority").into_bytes())];
    lines.extend(map.iter().filter(|(k, _)| !k.starts_with(':')).cloned());
    let bodiless = BODILESS_METHODS.contains(&method.as_str());
    if !bodiless && !lines.iter().any(|(k, _)| k == "content-length") {
        lines.push(("content-length".to_owned(), b"0".to_vec()));
    }
    (start_line, lines)
}

/// Methods whose requests carry no body, to which the encoder adds no length.
const BODILESS_METHODS: [&str; 5] = ["GET", "HEAD", "DELETE", "TRACE", "CONNECT"];

/// `request.total_size` as Envoy reports it: every name and value, plus the body.
pub fn total_size(map: &HeaderMap, body: usize) -> u64 {
    let bytes: usize = map.iter().map(|(k, v)| k.len() + v.len()).sum();
    u64::try_from(bytes + body).unwrap_or(u64::MAX)
}

/// `authority` as the listener keeps it: without a trailing `:port` when it strips
/// ports.
fn host(authority: Vec<u8>, listener: Listener) -> Vec<u8> {
    if !listener.strip_host_port {
        return authority;
    }
    match authority.iter().rposition(|&b| b == b':') {
        Some(colon) => {
            let port = authority.get(colon + 1..).unwrap_or_default();
            let closes_v6 = !authority.contains(&b']')
                || authority.get(..colon).is_some_and(|h| h.ends_with(b"]"));
            if !port.is_empty() && port.iter().all(u8::is_ascii_digit) && closes_v6 {
                authority.get(..colon).unwrap_or_default().to_vec()
            } else {
                authority
            }
        }
        None => authority,
    }
}

/// `value` appended to `first` as Envoy appends to a header it keeps once: an
/// empty value adds nothing, and no `,` follows an empty first value.
fn joined(first: Option<Vec<u8>>, value: &[u8]) -> Vec<u8> {
    match first {
        Some(first) if value.is_empty() => first,
        Some(first) if first.is_empty() => value.to_vec(),
        Some(mut first) => {
            first.push(b',');
            first.extend_from_slice(value);
            first
        }
        None => value.to_vec(),
    }
}

fn has_escaped_slash(path: &[u8]) -> bool {
    path.windows(3).any(|w| {
        w.first() == Some(&b'%')
            && matches!(w.get(1..), Some([b'2', b'f' | b'F'] | [b'5', b'c' | b'C']))
    })
}

fn unescape_slashes(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len());
    let mut rest = path;
    while let Some((&first, tail)) = rest.split_first() {
        let escaped = match (first, tail) {
            (b'%', [b'2', b'f' | b'F', ..]) => Some(b'/'),
            (b'%', [b'5', b'c' | b'C', ..]) => Some(b'\\'),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                rest = tail.get(2..).unwrap_or_default();
            }
            None => {
                out.push(first);
                rest = tail;
            }
        }
    }
    out
}

/// Merges slashes and removes `.` and `..` segments (RFC 3986, 5.2.4).
fn normalize(path: &[u8]) -> Vec<u8> {
    let mut segments: Vec<&[u8]> = Vec::new();
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').collect();
    let last = parts.len().saturating_sub(1);
    let mut trailing_slash = false;
    for (i, segment) in parts.iter().enumerate().skip(1) {
        match *segment {
            b"" => trailing_slash = i == last,
            b"." => trailing_slash = i == last,
            b".." => {
                segments.pop();
                trailing_slash = i == last;
            }
            other => {
                segments.push(other);
                trailing_slash = false;
            }
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for segment in &segments {
        out.push(b'/');
        out.extend_from_slice(segment);
    }
    if trailing_slash || segments.is_empty() {
        out.push(b'/');
    }
    out
}

/// A header map of text pairs, for the unit tests of this module and its
/// neighbours.
#[cfg(test)]
pub(super) fn text_map(pairs: &[(&str, &str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::text_map as map;
    use super::*;

    #[test]
    fn lowercases_joins_hosts_and_appends_what_envoy_adds() {
        let sent = map(&[
            ("Host", "a"),
            ("X-A", " 1 "),
            ("host", "b"),
            ("connection", "close"),
        ]);
        let Admission::Presented(got) = present(b"GET", b"/x", &sent, Listener::INBOUND_MTLS)
        else {
            panic!("refused");
        };
        assert_eq!(
            got,
            map(&[
                (":authority", "a,b"),
                (":path", "/x"),
                (":method", "GET"),
                (":scheme", "https"),
                ("x-a", "1"),
                ("x-forwarded-proto", "https"),
            ])
        );
    }

    #[test]
    fn normalizes_the_path_and_redirects_an_escaped_slash() {
        let sent = map(&[("host", "a")]);
        let path = |target: &[u8]| match present(b"GET", target, &sent, Listener::INBOUND_PLAINTEXT)
        {
            Admission::Presented(m) => m[1].1.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(path(b"//users/../users/1"), b"/users/1");
        assert_eq!(path(b"/a/./b/?q=/../"), b"/a/b/?q=/../");
        assert_eq!(
            present(b"GET", b"/users%2F1", &sent, Listener::INBOUND_PLAINTEXT),
            Admission::Redirected {
                location: b"/users/1".to_vec()
            }
        );
    }
}
