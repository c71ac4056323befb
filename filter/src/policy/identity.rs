//! Who am I, which side of the border is this, and who is calling.
//!
//! The local identity is resolved once at configure time from config overrides, the
//! `xds.node` properties (Envoy >= 1.33) and the legacy `node` ones. The caller is
//! established per request: outbound it is the local identity; inbound it is what
//! the certificate of an mTLS peer that matches `trustedPeers` binds, or else that
//! peer's tags, and unknown otherwise.

use super::error::ConfigError;
use super::headers::{HeaderNames, HeaderSlot, Lookup, RequestHeaders};
use super::names::{check_name, is_valid_name};
use super::trust::{PeerMatch, TrustedPeers};

/// Node facts read from one generation of property paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeInfo {
    /// `metadata.CLUSTER_ID`.
    pub cluster: Option<String>,
    /// `locality.region`.
    pub region: Option<String>,
    /// `locality.zone`.
    pub zone: Option<String>,
}

/// The node facts of both property generations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFacts {
    /// `["xds","node",...]`, Envoy >= 1.33.
    pub xds: NodeInfo,
    /// `["node",...]`, Envoy <= 1.32.
    pub legacy: NodeInfo,
}

/// The cluster, region and zone this filter runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LocalIdentity {
    /// The local cluster; always known.
    pub(super) cluster: String,
    /// The local region, when it could be established.
    pub(super) region: Option<String>,
    /// The local zone, when the node has one.
    pub(super) zone: Option<String>,
}

impl LocalIdentity {
    /// Resolves the identity: config overrides, then `xds.node`, then legacy `node`;
    /// a region still unknown comes from the `clusters` table via `table_region`.
    pub(super) fn resolve(
        config: Overrides<'_>,
        node: &NodeFacts,
        table_region: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let pick = |config: Option<&str>, xds: &Option<String>, legacy: &Option<String>| {
            config
                .map(str::to_owned)
                .or_else(|| non_empty(xds))
                .or_else(|| non_empty(legacy))
        };
        let cluster = pick(config.cluster, &node.xds.cluster, &node.legacy.cluster)
            .ok_or_else(ConfigError::no_cluster)?;
        check_name("cluster", &cluster)?;
        let region = pick(config.region, &node.xds.region, &node.legacy.region)
            .or_else(|| table_region(&cluster));
        if let Some(region) = &region {
            check_name("region", region)?;
        }
        let zone = pick(config.zone, &node.xds.zone, &node.legacy.zone);
        if let Some(zone) = &zone {
            check_name("zone", zone)?;
        }
        Ok(Self {
            cluster,
            region,
            zone,
        })
    }
}

/// The `cluster`, `region` and `zone` fields of the configuration.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Overrides<'a> {
    /// `cluster`.
    pub(super) cluster: Option<&'a str>,
    /// `region`.
    pub(super) region: Option<&'a str>,
    /// `zone`.
    pub(super) zone: Option<&'a str>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.as_ref().filter(|v| !v.is_empty()).cloned()
}

/// Which side of the border a request is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The callee's side: establish the caller.
    Inbound,
    /// The caller's side, or a gateway: tag with the local identity.
    Outbound,
}

impl Direction {
    /// Decodes the `listener_direction` property: an 8-byte little-endian integer,
    /// 1 inbound, 2 outbound. Anything else, or nothing, is inbound: the safe side.
    pub fn from_listener_property(raw: Option<&[u8]>) -> Self {
        let value = raw
            .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
            .map(u64::from_le_bytes);
        match value {
            Some(2) => Self::Outbound,
            _ => Self::Inbound,
        }
    }

    /// `inbound` or `outbound`, as logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

/// What the downstream connection tells about the peer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peer<'a> {
    /// `connection.mtls`.
    pub mtls: bool,
    /// `connection.uri_san_peer_certificate`.
    pub uri_san: Option<&'a str>,
}

impl Peer<'_> {
    /// Decodes the `connection.mtls` property: a one-byte boolean.
    pub fn mtls_from_property(raw: Option<&[u8]>) -> bool {
        matches!(raw, Some([1]))
    }
}

/// How the caller of a request was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// Outbound: the caller is this cluster.
    Local,
    /// Inbound from a trusted mTLS peer whose tags are believed.
    Trusted,
    /// Inbound from an mTLS peer whose certificate says its cluster.
    Bound,
    /// Inbound, but the caller could not be established.
    Unknown,
}

/// The caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source<'a> {
    /// How it was established.
    pub kind: SourceKind,
    /// The caller's cluster; `None` when unknown.
    pub cluster: Option<&'a str>,
    /// The caller's region; `None` when it cannot be established.
    pub region: Option<&'a str>,
    /// The caller's zone, from its tag; `None` when it has none or is not believed.
    pub zone: Option<&'a str>,
}

impl Source<'_> {
    /// An unestablished caller.
    pub const UNKNOWN: Source<'static> = Source {
        kind: SourceKind::Unknown,
        cluster: None,
        region: None,
        zone: None,
    };

    /// Whether the caller was established from a trusted peer (its tags, or its
    /// certificate).
    pub fn is_established_inbound(&self) -> bool {
        matches!(self.kind, SourceKind::Trusted | SourceKind::Bound)
    }
}

/// An inbound caller as established, and what the verdict reports besides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Established<'a> {
    /// The caller.
    pub(super) source: Source<'a>,
    /// The `trustedPeers` entry the peer matched.
    pub(super) peer: Option<PeerMatch<'a>>,
    /// For a certificate-bound caller whose cluster tag names another cluster:
    /// that tag's value (`None` inside when it is repeated or not UTF-8).
    pub(super) contradicting_tag: Option<Option<&'a str>>,
}

/// Establishes the caller of an inbound request. `table_region` looks a cluster up in
/// the `clusters` table; the region header is only used when the table lacks it, and
/// never for a certificate-bound caller. `names` are the policy's header names, whose
/// slots hold the tags.
pub(super) fn establish_inbound_source<'a, H: RequestHeaders + ?Sized>(
    trusted: &'a TrustedPeers,
    peer: Peer<'a>,
    headers: &'a H,
    names: &HeaderNames,
    table_region: impl Fn(&str) -> Option<&'a str>,
) -> Established<'a> {
    let unknown = |peer| Established {
        source: Source::UNKNOWN,
        peer,
        contradicting_tag: None,
    };
    let Some(matched) = trusted.identify(peer) else {
        return unknown(None);
    };
    let tag = headers.slot(names, HeaderSlot::SOURCE_CLUSTER);
    let zone = headers
        .slot(names, HeaderSlot::SOURCE_ZONE)
        .as_str()
        .filter(|z| is_valid_name(z));
    if let Some(cluster) = matched.bound {
        let Some(region) = table_region(cluster) else {
            return unknown(Some(matched));
        };
        let contradicting_tag = match tag {
            Lookup::Missing => None,
            Lookup::One(value) if value == cluster.as_bytes() => None,
            Lookup::One(value) => Some(std::str::from_utf8(value).ok()),
            Lookup::Repeated => Some(None),
        };
        return Established {
            source: Source {
                kind: SourceKind::Bound,
                cluster: Some(cluster),
                region: Some(region),
                zone,
            },
            peer: Some(matched),
            contradicting_tag,
        };
    }
    let Some(cluster) = tag.as_str().filter(|c| is_valid_name(c)) else {
        return unknown(Some(matched));
    };
    let region = table_region(cluster).or_else(|| {
        headers
            .slot(names, HeaderSlot::SOURCE_REGION)
            .as_str()
            .filter(|r| is_valid_name(r))
    });
    Established {
        source: Source {
            kind: SourceKind::Trusted,
            cluster: Some(cluster),
            region,
            zone,
        },
        peer: Some(matched),
        contradicting_tag: None,
    }
}
