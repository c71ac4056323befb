//! The compiled `trustedPeers` list: which entry an mTLS peer matches, and whether
//! that entry binds the peer's cluster to its certificate.
//!
//! Entries are tried in order and the first that matches decides. A string entry
//! without a capture trusts the peer's tags; `{ "peer", "cluster" }` names the
//! cluster; a `{cluster}` capture takes it from the certificate, and a captured
//! cluster that the `clusters` table lacks leaves the source unknown.

use super::config::TrustedPeerConfig;
use super::error::{ConfigError, Problem};
use super::identity::Peer;
use super::peer_pattern::PeerPattern;

/// What a matching entry says about the peer's cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    /// Nothing: the peer's cluster tag is believed.
    Tags,
    /// The peer is in this cluster.
    Cluster(String),
    /// The pattern's capture is the peer's cluster.
    Captured,
}

#[derive(Debug, Clone)]
struct Entry {
    pattern: PeerPattern,
    binding: Binding,
}

/// The entry a peer matched, and the cluster its certificate binds, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerMatch<'a> {
    /// Index of the entry in `trustedPeers`.
    pub entry: usize,
    /// The cluster the certificate binds; `None` for an entry that believes tags.
    pub bound: Option<&'a str>,
}

/// The compiled list.
#[derive(Debug, Clone, Default)]
pub(super) struct TrustedPeers {
    entries: Vec<Entry>,
}

impl TrustedPeers {
    /// Compiles the entries; `is_cluster` says whether the `clusters` table lists a
    /// name, which a `cluster` entry must.
    pub(super) fn compile(
        raw: &[TrustedPeerConfig],
        known_clusters: &[&str],
    ) -> Result<Self, ConfigError> {
        let entries = raw
            .iter()
            .enumerate()
            .map(|(i, entry)| compile_entry(i, entry, known_clusters))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { entries })
    }

    /// Whether anybody is trusted at all; when not, no peer property is worth reading.
    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many entries there are.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether some entry binds the cluster to the certificate.
    pub(super) fn binds_any(&self) -> bool {
        self.entries.iter().any(|e| e.binding != Binding::Tags)
    }

    /// The first entry an mTLS peer matches; `None` for a plaintext peer, a peer
    /// without a URI SAN, or one no entry matches.
    pub(super) fn identify<'a>(&'a self, peer: Peer<'a>) -> Option<PeerMatch<'a>> {
        if !peer.mtls {
            return None;
        }
        let san = peer.uri_san?;
        self.entries.iter().enumerate().find_map(|(entry, e)| {
            let captured = e.pattern.match_uri(san)?;
            let bound = match &e.binding {
                Binding::Tags => None,
                Binding::Cluster(cluster) => Some(cluster.as_str()),
                Binding::Captured => captured,
            };
            Some(PeerMatch { entry, bound })
        })
    }
}

fn compile_entry(
    i: usize,
    entry: &TrustedPeerConfig,
    known_clusters: &[&str],
) -> Result<Entry, ConfigError> {
    match entry {
        TrustedPeerConfig::Pattern(raw) => {
            let pattern = PeerPattern::parse(raw)
                .map_err(|e| ConfigError::new(format!("trustedPeers[{i}]"), e))?;
            let binding = if pattern.captures() {
                Binding::Captured
            } else {
                Binding::Tags
            };
            Ok(Entry { pattern, binding })
        }
        TrustedPeerConfig::Bound(bound) => {
            let at = |field: &str| format!("trustedPeers[{i}].{field}");
            let pattern =
                PeerPattern::parse(&bound.peer).map_err(|e| ConfigError::new(at("peer"), e))?;
            if pattern.captures() {
                return Err(ConfigError::new(at("peer"), Problem::CaptureAndCluster));
            }
            if !known_clusters.contains(&bound.cluster.as_str()) {
                return Err(ConfigError::new(
                    at("cluster"),
                    Problem::UnknownCluster {
                        value: bound.cluster.clone(),
                        known: known_clusters.iter().map(|c| (*c).to_owned()).collect(),
                    },
                ));
            }
            Ok(Entry {
                pattern,
                binding: Binding::Cluster(bound.cluster.clone()),
            })
        }
    }
}
