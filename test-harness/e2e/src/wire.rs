//! Reading HTTP/1.1 messages off a socket, shared by the test client and the echo
//! app: the head (start line and headers), then a body framed by `content-length`,
//! by chunked encoding, or (responses only) by the end of the connection. Header
//! values are bytes on the wire: [`Head::raw_headers`] keeps them exactly, names as
//! sent, in order; [`Head::headers`] is the lowercased, UTF-8 (lossy) reading most
//! callers want.

use std::io::{self, BufRead, Read};

/// The start line and headers of a request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `GET /path HTTP/1.1` or `HTTP/1.1 200 OK`.
    pub start_line: String,
    /// Header names lowercased, values trimmed, in the order received; bytes that
    /// are not UTF-8 read as U+FFFD.
    pub headers: Vec<(String, String)>,
    /// The same headers, names as sent and values as bytes (without the optional
    /// whitespace around them), in the order received.
    pub raw_headers: Vec<(String, Vec<u8>)>,
}

impl Head {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// The first value of header `name` (case-insensitive) in `headers`.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn invalid(reason: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason.into())
}

/// Reads a message head. `Ok(None)` when the peer closed before sending anything.
pub fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut start_line = Vec::new();
    if reader.read_until(b'\n', &mut start_line)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    let mut raw_headers = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Err(invalid("connection closed inside the headers"));
        }
        let line = trim_line_end(&line);
        if line.is_empty() {
            break;
        }
        let colon = line.iter().position(|&b| b == b':').ok_or_else(|| {
            invalid(format!(
                "malformed header line `{}`",
                String::from_utf8_lossy(line)
            ))
        })?;
        let (name, value) = line.split_at(colon);
        let name = String::from_utf8_lossy(name).trim().to_owned();
        let value = trim_whitespace(value.get(1..).unwrap_or_default());
        headers.push((
            name.to_ascii_lowercase(),
            String::from_utf8_lossy(value).into_owned(),
        ));
        raw_headers.push((name, value.to_vec()));
    }
    Ok(Some(Head {
        start_line: String::from_utf8_lossy(&start_line).trim_end().to_owned(),
        headers,
        raw_headers,
    }))
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&b| b != b'\r' && b != b'\n')
        .map_or(0, |last| last + 1);
    line.get(..end).unwrap_or_default()
}

/// `value` without the spaces and tabs around it (HTTP's optional whitespace).
fn trim_whitespace(value: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !blank(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |last| last + 1);
    value.get(start..end).unwrap_or_default()
}

/// What ends a body when neither `content-length` nor chunked encoding says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unframed {
    /// A request: no body.
    Empty,
    /// A response: everything until the peer closes.
    UntilClose,
}

/// Reads the body that follows `head`.
pub fn read_body(
    reader: &mut impl BufRead,
    head: &Head,
    unframed: Unframed,
) -> io::Result<Vec<u8>> {
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return read_chunked(reader);
    }
    if let Some(length) = head.header("content-length") {
        let length: u64 = length
            .parse()
            .map_err(|_| invalid(format!("bad content-length `{length}`")))?;
        let mut body = Vec::new();
        reader.take(length).read_to_end(&mut body)?;
        return Ok(body);
    }
    let mut body = Vec::new();
    if unframed == Unframed::UntilClose {
        reader.read_to_end(&mut body)?;
    }
    Ok(body)
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_hex, 16)
            .map_err(|_| invalid(format!("bad chunk size `{size_hex}`")))?;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            let mut line = String::new();
            while reader.read_line(&mut line)? > 2 {
                line.clear();
            }
            return Ok(body);
        }
        reader.take(size).read_to_end(&mut body)?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str, unframed: Unframed) -> (Head, Vec<u8>) {
        let mut reader = io::BufReader::new(raw.as_bytes());
        let head = read_head(&mut reader).unwrap().unwrap();
        let body = read_body(&mut reader, &head, unframed).unwrap();
        (head, body)
    }

    #[test]
    fn reads_a_request_with_a_content_length_body() {
        let (head, body) = parse(
            "POST /users/1 HTTP/1.1\r\nHost: eu-user-data\r\nContent-Length: 5\r\n\r\nhelloEXTRA",
            Unframed::Empty,
        );
        assert_eq!(head.start_line, "POST /users/1 HTTP/1.1");
        assert_eq!(head.header("HOST"), Some("eu-user-data"));
        assert_eq!(body, b"hello");
    }

    #[test]
    fn reads_a_chunked_response() {
        let (_, body) = parse(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
            Unframed::UntilClose,
        );
        assert_eq!(body, b"abcde");
    }

    #[test]
    fn reads_an_unframed_response_until_close() {
        let (_, body) = parse("HTTP/1.0 200 OK\r\n\r\nall of it", Unframed::UntilClose);
        assert_eq!(body, b"all of it");
    }

    #[test]
    fn a_request_without_framing_has_no_body() {
        let (_, body) = parse("GET / HTTP/1.1\r\n\r\nnext request", Unframed::Empty);
        assert!(body.is_empty());
    }

    #[test]
    fn keeps_raw_names_and_non_utf8_values_in_order() {
        let raw = b"GET / HTTP/1.1\r\nX-A:  caf\xe9 \r\nx-a: 2\r\n\r\n";
        let mut reader = io::BufReader::new(&raw[..]);
        let head = read_head(&mut reader).unwrap().unwrap();
        assert_eq!(
            head.raw_headers,
            [
                ("X-A".to_owned(), b"caf\xe9".to_vec()),
                ("x-a".to_owned(), b"2".to_vec())
            ]
        );
        assert_eq!(head.header("x-a"), Some("caf\u{fffd}"));
    }

    #[test]
    fn a_closed_connection_is_no_message() {
        let mut reader = io::BufReader::new(&b""[..]);
        assert_eq!(read_head(&mut reader).unwrap(), None);
    }
}
