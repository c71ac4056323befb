//! `trustedPeers` patterns: SPIFFE URIs where `*` stands for exactly one path
//! segment, and where one trust-domain label or one path segment may be `{cluster}`,
//! which captures the peer's cluster from its certificate.
//!
//! The trust domain compares case-insensitively (SPIFFE trust domains are
//! lowercase), path segments exactly; a capture takes one whole, non-empty label or
//! segment, so `spiffe://{cluster}.mesh.example/...` never captures across a dot.

use super::error::Problem;

/// What stands for the captured cluster in a pattern.
pub const CAPTURE: &str = "{cluster}";

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerPattern {
    domain: Domain,
    segments: Vec<Part>,
}

/// The trust domain: one string in the common case, labels when one captures.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Domain {
    Exact(String),
    Labels(Vec<Part>),
}

/// One path segment, or one trust-domain label.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Any,
    Capture,
    Literal(String),
}

const PEER_EXPECTED: &str =
    "a SPIFFE URI such as `spiffe://cluster.local/ns/*/sa/*`, where `*` is one whole path segment";
const CAPTURE_EXPECTED: &str = "`{cluster}` as one whole trust-domain label or path segment, \
     such as `spiffe://{cluster}.mesh.example/ns/*/sa/*`";
const ONE_CAPTURE: &str = "at most one `{cluster}`: a peer has one cluster";

impl PeerPattern {
    /// Parses one pattern.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let bad = || Problem::bad("peer pattern", raw, PEER_EXPECTED);
        let rest = raw.strip_prefix("spiffe://").ok_or_else(bad)?;
        let (domain, path) = rest.split_once('/').ok_or_else(bad)?;
        if domain.is_empty() || domain.contains('*') || path.is_empty() {
            return Err(bad());
        }
        if raw.matches(CAPTURE).count() > 1 {
            return Err(Problem::bad("peer pattern", raw, ONE_CAPTURE));
        }
        let part = |text: &str, any: bool| match text {
            "" => Err(bad()),
            "*" if any => Ok(Part::Any),
            CAPTURE => Ok(Part::Capture),
            s if s.contains('{') || s.contains('}') => {
                Err(Problem::bad("peer pattern", raw, CAPTURE_EXPECTED))
            }
            s if s.contains('*') => Err(bad()),
            s => Ok(Part::Literal(s.to_owned())),
        };
        let domain = if domain.contains('{') || domain.contains('}') {
            let labels = domain
                .split('.')
                .map(|label| part(&label.to_ascii_lowercase(), false))
                .collect::<Result<Vec<_>, _>>()?;
            Domain::Labels(labels)
        } else {
            Domain::Exact(domain.to_ascii_lowercase())
        };
        let segments = path
            .split('/')
            .map(|segment| part(segment, true))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { domain, segments })
    }

    /// Whether the pattern captures the cluster.
    pub fn captures(&self) -> bool {
        matches!(&self.domain, Domain::Labels(_)) || self.segments.contains(&Part::Capture)
    }

    /// Matches a peer's URI SAN: `None` when it does not match; otherwise what the
    /// capture took (`None` for a pattern without one).
    pub fn match_uri<'u>(&self, uri: &'u str) -> Option<Option<&'u str>> {
        let rest = uri.strip_prefix("spiffe://")?;
        let (domain, path) = rest.split_once('/')?;
        let mut captured = None;
        match &self.domain {
            Domain::Exact(exact) => {
                if !domain.eq_ignore_ascii_case(exact) {
                    return None;
                }
            }
            Domain::Labels(labels) => {
                match_parts(labels, domain.split('.'), &mut captured, |a, b| {
                    a.eq_ignore_ascii_case(b)
                })?;
            }
        }
        match_parts(&self.segments, path.split('/'), &mut captured, |a, b| {
            a == b
        })?;
        Some(captured)
    }

    /// Whether a peer's URI SAN matches.
    #[cfg(test)]
    pub fn matches(&self, uri: &str) -> bool {
        self.match_uri(uri).is_some()
    }
}

/// Matches `given` part by part, none missing and none extra, keeping what the
/// capture takes in `captured`.
fn match_parts<'u>(
    expected: &[Part],
    mut given: impl Iterator<Item = &'u str>,
    captured: &mut Option<&'u str>,
    literal_eq: impl Fn(&str, &str) -> bool,
) -> Option<()> {
    for part in expected {
        let text = given.next().filter(|text| !text.is_empty())?;
        match part {
            Part::Any => {}
            Part::Capture => *captured = Some(text),
            Part::Literal(literal) if literal_eq(text, literal) => {}
            Part::Literal(_) => return None,
        }
    }
    given.next().is_none().then_some(())
}
