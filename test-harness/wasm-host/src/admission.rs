//! What Envoy's HTTP/1.1 codec refuses before any filter runs, so a host user can
//! tell a request the plugin would never see from one it decides on.
//!
//! Measured on Envoy 1.36 and 1.40 (the default parser, balsa), listener defaults,
//! in the order the parser meets them:
//!
//! 1. a method Envoy does not know ([`KNOWN_METHODS`]; `allow_custom_methods` is
//!    off): `400`, as soon as the request line is read;
//! 2. a head (request line and header lines, with their `: ` and line ends) over
//!    60 KiB (`max_request_headers_kb`), or over 100 headers (`max_headers_count`):
//!    `431`, whatever else is wrong with it;
//! 3. once the head is complete, `400` for: a request target that does not start
//!    with `/` or holds a byte outside visible ASCII; a header name that is not a
//!    token; a control byte (below 0x20 but tab, or 0x7f) in a value; no `host`,
//!    or a `host` with a byte that may not appear in an authority.
//!
//! Bytes 0x80 and above in a value are accepted as they are. Values are trimmed
//! of surrounding spaces and tabs.

/// The methods Envoy's HTTP/1.1 codec accepts, spelled as it wants them.
pub const KNOWN_METHODS: [&str; 34] = [
    "DELETE",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "COPY",
    "LOCK",
    "MKCOL",
    "MOVE",
    "PROPFIND",
    "PROPPATCH",
    "SEARCH",
    "UNLOCK",
    "BIND",
    "REBIND",
    "UNBIND",
    "ACL",
    "REPORT",
    "MKACTIVITY",
    "CHECKOUT",
    "MERGE",
    "M-SEARCH",
    "NOTIFY",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "PATCH",
    "PURGE",
    "MKCALENDAR",
    "LINK",
    "UNLINK",
    "SOURCE",
];

/// Envoy's default `max_request_headers_kb`, in bytes.
pub const MAX_REQUEST_HEADERS_BYTES: usize = 60 * 1024;
/// Envoy's default `max_headers_count`.
pub const MAX_REQUEST_HEADERS_COUNT: usize = 100;

/// Why Envoy's codec refuses a request, and with which status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecRefusal {
    /// The status Envoy answers with (`400` or `431`).
    pub status: u16,
    /// Why, in a few words.
    pub reason: &'static str,
}

/// Whether Envoy's HTTP/1.1 codec refuses the request `method target`, with these
/// header lines as sent (`host` among them), before any filter runs.
pub fn codec_refusal<N: AsRef<str>, V: AsRef<[u8]>>(
    method: &[u8],
    target: &[u8],
    headers: &[(N, V)],
) -> Option<CodecRefusal> {
    if !KNOWN_METHODS.iter().any(|known| known.as_bytes() == method) {
        return Some(refused(400, "a method Envoy does not know"));
    }
    // `METHOD SP target SP HTTP/1.1 CRLF`, each `name: value CRLF`, and `CRLF`.
    let head = headers
        .iter()
        .map(|(name, value)| name.as_ref().len() + value.as_ref().len() + 4)
        .fold(method.len() + target.len() + 14, usize::saturating_add);
    if head > MAX_REQUEST_HEADERS_BYTES || headers.len() > MAX_REQUEST_HEADERS_COUNT {
        return Some(refused(
            431,
            "request headers over Envoy's 60 KiB or 100-header limit",
        ));
    }
    if target.first() != Some(&b'/') || !target.iter().all(|b| (0x21..0x7f).contains(b)) {
        return Some(refused(
            400,
            "the path does not start with `/` or is not visible ASCII",
        ));
    }
    for (name, value) in headers {
        let name = name.as_ref();
        if name.is_empty() || !name.bytes().all(is_token) {
            return Some(refused(400, "a header name is not a token"));
        }
        if value.as_ref().iter().any(|&b| is_control(b)) {
            return Some(refused(400, "a header value holds a control byte"));
        }
    }
    let mut hosts = headers
        .iter()
        .filter(|(name, _)| name.as_ref().eq_ignore_ascii_case("host"))
        .peekable();
    if hosts.peek().is_none() {
        return Some(refused(400, "no host header"));
    }
    if hosts.any(|(_, value)| !trimmed(value.as_ref()).iter().all(|&b| is_authority(b))) {
        return Some(refused(400, "the host is not a valid authority"));
    }
    None
}

fn refused(status: u16, reason: &'static str) -> CodecRefusal {
    CodecRefusal { status, reason }
}

/// `value` without the spaces and tabs around it, as the codec stores it.
pub fn trimmed(value: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !blank(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |last| last.saturating_add(1));
    value.get(start..end).unwrap_or_default()
}

/// RFC 9110 `tchar`.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// A byte of an authority: unreserved, sub-delims, `:`, `@`, `[`, `]`, `%`.
fn is_authority(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@[]%".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
            .collect()
    }

    #[test]
    fn a_plain_request_is_admitted() {
        let headers = lines(&[("Host", b"shop"), ("x-b", b"caf\xe9\tau lait")]);
        assert_eq!(codec_refusal(b"GET", b"/users/1?x=1", &headers), None);
    }

    #[test]
    fn headers_over_60_kib_are_431() {
        let big = vec![b'a'; MAX_REQUEST_HEADERS_BYTES];
        let headers = lines(&[("host", b"shop"), ("x-b", &big)]);
        let refusal = codec_refusal(b"GET", b"/", &headers).unwrap();
        assert_eq!(refusal.status, 431);
        let fits = vec![b'a'; MAX_REQUEST_HEADERS_BYTES - 1000];
        let headers = lines(&[("host", b"shop"), ("x-b", &fits)]);
        assert_eq!(codec_refusal(b"GET", b"/", &headers), None);
    }

    #[test]
    fn an_unknown_method_is_400_before_the_size_and_the_size_431_before_the_rest() {
        let big = vec![b'a'; MAX_REQUEST_HEADERS_BYTES];
        let headers = lines(&[("host", b"\0"), ("x-a", b"\x07"), ("x-b", &big)]);
        assert_eq!(
            codec_refusal(b"us-east", b"/", &headers).unwrap().status,
            400
        );
        assert_eq!(codec_refusal(b"GET", b"de", &headers).unwrap().status, 431);
    }

    #[test]
    fn control_bytes_bad_names_methods_paths_and_hosts_are_400() {
        let host = ("host", b"shop".as_slice());
        let status = |method: &[u8], target: &[u8], extra: &[(&str, &[u8])]| {
            let mut all = vec![host];
            all.extend_from_slice(extra);
            codec_refusal(method, target, &lines(&all)).map(|r| r.status)
        };
        assert_eq!(status(b"GET", b"/", &[("x-b", b"a\x01b")]), Some(400));
        assert_eq!(status(b"GET", b"/", &[("x-b", b"a\x7f")]), Some(400));
        assert_eq!(status(b"GET", b"/", &[(":authority", b"x")]), Some(400));
        assert_eq!(status(b"us-east;.;x", b"/", &[]), Some(400));
        assert_eq!(status(b"get", b"/", &[]), Some(400));
        assert_eq!(status(b"GET", b"eu-west", &[]), Some(400));
        assert_eq!(status(b"GET", b"/", &[("host", b"\xe9")]), Some(400));
        assert_eq!(
            codec_refusal::<&str, &[u8]>(b"GET", b"/", &[]).map(|r| r.status),
            Some(400)
        );
    }
}
