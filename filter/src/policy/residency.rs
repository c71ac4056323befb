//! Residency rules: which requests a rule covers, and whether the caller and the
//! serving region satisfy it.

use super::config::{Mode, UnknownSource};
use super::fast_hash::FastSet;
use super::headers::RequestHeaders;
use super::matchers::{PathPattern, SniPattern, decoded_path};
use super::regions::RegionSet;

/// One compiled rule.
#[derive(Debug)]
pub(super) struct ResidencyRule {
    /// The rule's name.
    pub(super) name: String,
    /// Paths; empty means any.
    pub(super) paths: Vec<PathPattern>,
    /// Upper-case methods; empty means any.
    pub(super) methods: Vec<String>,
    /// Lower-case header names with their exact values.
    pub(super) headers: Vec<(String, String)>,
    /// `tcp` layer: destination ports; empty means any.
    pub(super) ports: Vec<u16>,
    /// `tcp` layer: requested server names; empty means any.
    pub(super) sni: Vec<SniPattern>,
    /// Where the caller may be, by region.
    pub(super) allow_source_regions: Option<RegionSet>,
    /// Where the caller may be, by cluster.
    pub(super) allow_source_clusters: Option<FastSet<String>>,
    /// Where the request may be served.
    pub(super) allow_local_regions: Option<RegionSet>,
    /// What to do with an unknown caller.
    pub(super) unknown_source: UnknownSource,
    /// Enforce or audit.
    pub(super) mode: Mode,
}

/// The parts of a request a rule can match on, already canonical.
#[derive(Debug, Clone, Copy)]
pub(super) struct RequestLine<'a> {
    /// Lowercase host without port.
    pub(super) host: &'a str,
    /// Path without query.
    pub(super) path: &'a str,
    /// The path as an application might decode it, when it differs.
    pub(super) decoded_path: Option<&'a str>,
    /// The method.
    pub(super) method: &'a str,
}

impl RequestLine<'_> {
    /// Computes the decoded reading of `path`, when there is one.
    pub(super) fn decode(path: &str) -> Option<String> {
        decoded_path(path)
    }
}

/// Why a rule was violated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Violation {
    /// The caller is not established and the rule denies unknown callers.
    UnknownSource,
    /// The caller's cluster is not in `allowSourceClusters`.
    SourceCluster,
    /// The caller's region is not in `allowSourceRegions`.
    SourceRegion,
    /// The local region is not in `allowLocalRegions`.
    LocalRegion,
}

impl Violation {
    /// A short machine-readable reason for the decision log.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::UnknownSource => "unknown_source",
            Self::SourceCluster => "source_cluster_not_allowed",
            Self::SourceRegion => "source_region_not_allowed",
            Self::LocalRegion => "local_region_not_allowed",
        }
    }
}

/// The facts a rule's constraints are checked against.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parties<'a> {
    /// The caller's cluster, `None` when unknown.
    pub(super) source_cluster: Option<&'a str>,
    /// The caller's region, `None` when unknown.
    pub(super) source_region: Option<&'a str>,
    /// The local region; `None` when unknown, or outbound, where it is not checked.
    pub(super) local_region: Option<&'a str>,
    /// Whether `allowLocalRegions` is checked (inbound only).
    pub(super) check_local: bool,
}

impl ResidencyRule {
    /// Whether the rule covers this request (the host was matched by the index).
    pub(super) fn matches<H: RequestHeaders + ?Sized>(
        &self,
        line: &RequestLine<'_>,
        headers: &H,
    ) -> bool {
        let path_ok = self.paths.is_empty()
            || self
                .paths
                .iter()
                .any(|p| p.matches(line.path) || line.decoded_path.is_some_and(|d| p.matches(d)));
        let method_ok = self.methods.is_empty()
            || self
                .methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(line.method));
        path_ok
            && method_ok
            && self
                .headers
                .iter()
                .all(|(name, value)| headers.any_value(name, &mut |v| v == value.as_bytes()))
    }

    /// Whether the rule covers a connection to `port` that asked for `sni`.
    pub(super) fn matches_connection(&self, port: Option<u16>, sni: Option<&str>) -> bool {
        let port_ok = self.ports.is_empty() || port.is_some_and(|p| self.ports.contains(&p));
        let sni_ok =
            self.sni.is_empty() || sni.is_some_and(|name| self.sni.iter().any(|p| p.matches(name)));
        port_ok && sni_ok
    }

    /// Checks the constraints; `None` means the request satisfies the rule.
    pub(super) fn check(&self, parties: &Parties<'_>) -> Option<Violation> {
        let unknown = || match self.unknown_source {
            UnknownSource::Deny => Some(Violation::UnknownSource),
            UnknownSource::Allow => None,
        };
        let source = match parties.source_cluster {
            None => unknown(),
            Some(cluster) => {
                if self
                    .allow_source_clusters
                    .as_ref()
                    .is_some_and(|allowed| !allowed.contains(cluster))
                {
                    Some(Violation::SourceCluster)
                } else {
                    match (&self.allow_source_regions, parties.source_region) {
                        (None, _) => None,
                        (Some(_), None) => unknown(),
                        (Some(allowed), Some(region)) if allowed.contains(region) => None,
                        (Some(_), Some(_)) => Some(Violation::SourceRegion),
                    }
                }
            }
        };
        if source.is_some() {
            return source;
        }
        match (&self.allow_local_regions, parties.check_local) {
            (Some(allowed), true) => match parties.local_region {
                Some(region) if allowed.contains(region) => None,
                _ => Some(Violation::LocalRegion),
            },
            _ => None,
        }
    }
}
