//! Host and path matchers, compiled once from config patterns (peer patterns are in
//! `peer_pattern`).
//!
//! Hosts compare case-insensitively with the port and one trailing dot removed.
//! Paths compare case-sensitively without the query string.

use super::error::Problem;

/// A host pattern from a rule's `hosts` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `name`: the whole host.
    Exact(String),
    /// `*.suffix`: any host ending in `.suffix` (stored without the leading `*.`).
    Suffix(String),
    /// `prefix.*`: any host starting with `prefix.` (stored without the trailing `.*`).
    Prefix(String),
}

const HOST_EXPECTED: &str = "`name`, `*.suffix` or `prefix.*` without a port";

impl HostPattern {
    /// Parses one `hosts` entry.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let bad = || Problem::bad("host pattern", raw, HOST_EXPECTED);
        let lower = raw.to_ascii_lowercase();
        let trimmed = lower.strip_suffix('.').unwrap_or(&lower);
        if trimmed.is_empty() || trimmed.contains(':') || trimmed.contains('/') {
            return Err(bad());
        }
        let pattern = if let Some(suffix) = trimmed.strip_prefix("*.") {
            Self::Suffix(suffix.to_owned())
        } else if let Some(prefix) = trimmed.strip_suffix(".*") {
            Self::Prefix(prefix.to_owned())
        } else {
            Self::Exact(trimmed.to_owned())
        };
        let body = match &pattern {
            Self::Exact(s) | Self::Suffix(s) | Self::Prefix(s) => s,
        };
        let bad_body = body.is_empty()
            || body.contains('*')
            || body.starts_with('.')
            || body.ends_with('.')
            || body.contains("..");
        if bad_body { Err(bad()) } else { Ok(pattern) }
    }
}

/// The host of a request's `:authority`, lowercased, without port or trailing dot.
///
/// Borrows when the authority is already canonical, which is the common case. Byte
/// loops, not `str` patterns: on the request path, in wasm, they cost a tenth.
pub fn canonical_host(authority: &str) -> std::borrow::Cow<'_, str> {
    let without_port = strip_port(authority);
    let host = without_port.strip_suffix('.').unwrap_or(without_port);
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(host.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(host)
    }
}

fn strip_port(authority: &str) -> &str {
    let bytes = authority.as_bytes();
    if bytes.first() == Some(&b'[') {
        // IPv6 literal: `[::1]:8080` keeps `[::1]`.
        return match bytes.iter().position(|&b| b == b']') {
            Some(end) => authority.get(..=end).unwrap_or(authority),
            None => authority,
        };
    }
    match bytes.iter().rposition(|&b| b == b':') {
        Some(colon)
            if bytes
                .get(colon + 1..)
                .is_some_and(|port| port.iter().all(u8::is_ascii_digit)) =>
        {
            authority.get(..colon).unwrap_or(authority)
        }
        _ => authority,
    }
}

/// A path pattern from a rule's `paths` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPattern {
    /// The whole path.
    Exact(String),
    /// `/prefix/*`: `/prefix` itself and everything under `/prefix/` (stored as `/prefix`).
    Prefix(String),
}

const PATH_EXPECTED: &str = "an exact path starting with `/`, or `/prefix/*`";

impl PathPattern {
    /// Parses one `paths` entry.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let bad = || Problem::bad("path pattern", raw, PATH_EXPECTED);
        if !raw.starts_with('/') || raw.contains('?') || raw.contains('#') {
            return Err(bad());
        }
        match raw.strip_suffix("/*") {
            Some(prefix) if !prefix.contains('*') => Ok(Self::Prefix(prefix.to_owned())),
            Some(_) => Err(bad()),
            None if raw.contains('*') => Err(bad()),
            None => Ok(Self::Exact(raw.to_owned())),
        }
    }

    /// Whether `path` (already without its query) matches.
    pub fn matches(&self, path: &str) -> bool {
        match self {
            Self::Exact(exact) => path == exact,
            Self::Prefix(prefix) => match path.strip_prefix(prefix.as_str()) {
                Some(rest) => rest.is_empty() || rest.starts_with('/'),
                None => false,
            },
        }
    }
}

/// The path part of a `:path` pseudo-header: everything before `?` or `#`.
pub fn path_without_query(path: &str) -> &str {
    let end = path
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(path.len());
    path.get(..end).unwrap_or(path)
}

/// A second reading of a path, as an application might see it after decoding:
/// percent-escapes decoded, repeated slashes merged, path parameters (`;x=1`, which
/// Java servlet containers drop) removed from each segment, `.` and `..` resolved.
///
/// Returns `None` when the path has nothing to decode, which is the common case.
/// Rules match when either reading matches, so an encoded path cannot slip past one.
pub fn decoded_path(path: &str) -> Option<String> {
    if !needs_decoding(path.as_bytes()) {
        return None;
    }
    let decoded = percent_decode(path);
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        let segment = segment.split(';').next().unwrap_or_default();
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(decoded.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() || decoded.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// Whether `path` holds a `%`, a `;`, `//`, or a `.` or `..` segment: one pass over
/// its bytes, since nearly every path has none and this runs on every request.
fn needs_decoding(path: &[u8]) -> bool {
    let mut rest = path;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'%' | b';' => return true,
            b'/' => {
                let segment_end = |at: usize| matches!(tail.get(at), None | Some(b'/'));
                match tail.first() {
                    Some(b'/') => return true,
                    Some(b'.') if segment_end(1) => return true,
                    Some(b'.') if tail.get(1) == Some(&b'.') && segment_end(2) => return true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    false
}

fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|c| hex_value(*c)),
                bytes.get(i + 2).and_then(|c| hex_value(*c)),
            )
        {
            out.push(hi * 16 + lo);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A `sni` pattern of a `tcp` layer rule: the requested server name, exact or
/// `*.suffix`, compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SniPattern {
    /// The whole name.
    Exact(String),
    /// `*.suffix`: any name ending in `.suffix` (stored without the leading `*`).
    Suffix(String),
}

const SNI_EXPECTED: &str = "a server name such as `db.example`, or `*.example`";

impl SniPattern {
    /// Parses one `sni` entry.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let bad = || Problem::bad("server name pattern", raw, SNI_EXPECTED);
        let lower = raw.to_ascii_lowercase();
        let (pattern, body) = match lower.strip_prefix("*.") {
            Some(suffix) => (Self::Suffix(format!(".{suffix}")), suffix.to_owned()),
            None => (Self::Exact(lower.clone()), lower.clone()),
        };
        let bad_body = body.is_empty()
            || body.contains(['*', ':', '/'])
            || body.starts_with('.')
            || body.ends_with('.')
            || body.contains("..");
        if bad_body { Err(bad()) } else { Ok(pattern) }
    }

    /// Whether a requested server name matches.
    pub fn matches(&self, sni: &str) -> bool {
        match self {
            Self::Exact(exact) => sni.eq_ignore_ascii_case(exact),
            Self::Suffix(suffix) => {
                sni.len() > suffix.len()
                    && sni
                        .get(sni.len() - suffix.len()..)
                        .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
            }
        }
    }
}
