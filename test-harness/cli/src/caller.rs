//! Who called, as `meshborder simulate` shows it: the source the filter established,
//! the `trustedPeers` entry the mTLS peer matched, and a cluster tag the peer's
//! certificate overruled.
//!
//! Everything but the matched entry is read from what the filter did on the host:
//! the tags the upstream sees, the deny body, the counters that moved and the log
//! lines, so the report stays the real `.wasm`'s behaviour. Which entry matched
//! leaves no trace on the host; it comes from the engine the filter is built from
//! (`Policy::decide` reports it, with the filter's own matching), run on the same
//! facts, and the entry's pattern is quoted from the configuration itself.

use meshborder_cli::configs::NodeIdentity;
use meshborder_filter::contract::{header, label, log_line, metric, reply, value};
use meshborder_filter::policy::{
    ConnectionFacts, ConnectionVerdict, Direction as EngineDirection, NodeFacts, NodeInfo, Peer,
    PeerMatch, Policy, RequestFacts,
};
use serde_json::Value;

use super::Direction;
use super::report::{
    LogLine, MetricDelta, Mismatch, Node, PeerEntry, Reply, SourceKind, SourceView, Tag,
    TrustedPeer,
};
use super::request::Headers;

/// The engine on the simulated configuration and node, to ask which entry matched.
pub struct Engine {
    policy: Policy,
    config: Value,
}

impl Engine {
    /// Compiles `config` as the filter does on `node`; `Err` says why not.
    pub fn new(config: &[u8], node: &NodeIdentity) -> Result<Self, String> {
        let facts = NodeFacts {
            xds: NodeInfo {
                cluster: node.cluster.clone(),
                region: node.region.clone(),
                zone: node.zone.clone(),
            },
            legacy: NodeInfo::default(),
        };
        let policy = Policy::from_json(config, &facts).map_err(|e| e.to_string())?;
        let blank = config.iter().all(u8::is_ascii_whitespace);
        let config = if blank {
            Value::Null
        } else {
            serde_json::from_slice(config).map_err(|e| e.to_string())?
        };
        Ok(Self { policy, config })
    }

    /// The direction the filter takes: the configuration's, when it fixes one,
    /// else the listener's.
    pub fn direction(&self, listener: Direction) -> Direction {
        match self.policy.needs().fixed_direction() {
            Some(EngineDirection::Inbound) => Direction::Inbound,
            Some(EngineDirection::Outbound) => Direction::Outbound,
            None => listener,
        }
    }

    /// The entry an inbound mTLS peer matches.
    pub fn entry(&self, direction: Direction, peer: Option<&str>, headers: &Headers) -> PeerEntry {
        let Some(san) = peer else {
            return PeerEntry::NotApplicable;
        };
        if direction != Direction::Inbound {
            return PeerEntry::NotApplicable;
        }
        let verdict = self.policy.decide(&RequestFacts {
            direction: EngineDirection::Inbound,
            peer: Peer {
                mtls: true,
                uri_san: Some(san),
            },
            headers: headers.as_slice(),
        });
        verdict
            .peer
            .map_or(PeerEntry::NoMatch, |matched| self.describe(matched))
    }

    /// The entry an inbound mTLS peer of a connection matches (a `tcp` layer).
    pub fn connection_entry(&self, direction: Direction, peer: Option<&str>) -> PeerEntry {
        let Some(san) = peer else {
            return PeerEntry::NotApplicable;
        };
        if direction != Direction::Inbound {
            return PeerEntry::NotApplicable;
        }
        self.connection_verdict(Some(san))
            .peer
            .map_or(PeerEntry::NoMatch, |matched| self.describe(matched))
    }

    /// The cluster and region the engine establishes for an inbound connection
    /// from `peer`, when it is bound to a listed cluster.
    pub fn connection_source(&self, peer: Option<&str>) -> Option<(String, Option<String>)> {
        let verdict = self.connection_verdict(peer);
        let cluster = verdict.source.cluster?;
        Some((cluster.to_owned(), verdict.source.region.map(str::to_owned)))
    }

    /// The engine's verdict on an inbound connection from `san`: who the caller
    /// is does not depend on the port or the server name.
    fn connection_verdict<'a>(&'a self, san: Option<&'a str>) -> ConnectionVerdict<'a> {
        self.policy.decide_connection(&ConnectionFacts {
            direction: EngineDirection::Inbound,
            peer: Peer {
                mtls: san.is_some(),
                uri_san: san,
            },
            port: None,
            sni: None,
        })
    }

    /// The matched entry, its pattern quoted from the configuration.
    fn describe(&self, matched: PeerMatch<'_>) -> PeerEntry {
        let written = self
            .config
            .get("trustedPeers")
            .and_then(|list| list.get(matched.entry));
        let (pattern, named) = match written {
            Some(Value::String(pattern)) => (pattern.clone(), false),
            Some(entry) => (
                entry
                    .get("peer")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                true,
            ),
            None => (String::new(), false),
        };
        let binding = match (matched.bound, named) {
            (None, _) => "tags",
            (Some(_), true) => "named",
            (Some(_), false) => "captured",
        };
        PeerEntry::Matched(TrustedPeer {
            entry: matched.entry,
            pattern,
            binding,
            bound_cluster: matched.bound.map(str::to_owned),
        })
    }

    /// Whether `trustedPeers` lists anybody.
    pub fn trusts_anyone(&self) -> bool {
        self.config
            .get("trustedPeers")
            .and_then(Value::as_array)
            .is_some_and(|list| !list.is_empty())
    }
}

/// What the filter did with one request, as the host saw it.
pub struct Observed<'a> {
    /// The direction the filter took.
    pub direction: Direction,
    /// The mTLS peer's URI SAN, if any.
    pub peer: Option<&'a str>,
    /// The node the filter configured as.
    pub node: &'a Node,
    /// Its local reply, when it denied.
    pub reply: Option<&'a Reply>,
    /// The tags the upstream sees, when it passed.
    pub tags: Option<&'a [Tag]>,
    /// The counters that moved.
    pub metrics: &'a [MetricDelta],
    /// Its log lines for the request.
    pub logs: &'a [LogLine],
    /// The request as it came in.
    pub request: &'a Headers,
}

impl Observed<'_> {
    fn moved(&self, name: &str) -> Option<&MetricDelta> {
        self.metrics.iter().find(|m| m.name == name)
    }

    fn tag(&self, header: &str) -> Option<String> {
        self.tags?
            .iter()
            .find(|t| t.header == header)
            .and_then(|t| t.value.clone())
    }

    /// A field of the deny body, unless it says `unknown`.
    fn denied_field(&self, field: &str) -> Option<String> {
        let body: Value = serde_json::from_str(&self.reply?.body).ok()?;
        body.get(field)
            .and_then(Value::as_str)
            .filter(|v| *v != value::UNKNOWN)
            .map(str::to_owned)
    }

    /// The filter's `tag_mismatch` log line, if it wrote one.
    fn mismatch_line(&self) -> Option<Value> {
        self.logs.iter().find_map(|line| {
            let parsed: Value = serde_json::from_str(&line.message).ok()?;
            (parsed.get(log_line::EVENT).and_then(Value::as_str) == Some(log_line::TAG_MISMATCH))
                .then_some(parsed)
        })
    }
}

/// The caller: the local node outbound; inbound, unknown when the filter counted
/// it so, else bound or trusted as the matched entry says, with the cluster, region
/// and zone the upstream sees (or the deny body's, for a denied request).
pub fn source(seen: &Observed<'_>, entry: &PeerEntry, engine: Option<&Engine>) -> SourceView {
    if seen.direction == Direction::Outbound {
        return SourceView::local(seen.node);
    }
    if seen.moved(metric::UNKNOWN_SOURCE.prometheus).is_some() {
        return SourceView::unknown(unknown_reason(seen, entry, engine));
    }
    let bound = match entry {
        PeerEntry::Matched(peer) => peer.bound_cluster.is_some(),
        PeerEntry::Unavailable(_) => seen.moved(metric::TAG_MISMATCH.prometheus).is_some(),
        PeerEntry::NotApplicable | PeerEntry::NoMatch => false,
    };
    let (cluster, region, zone) = if seen.reply.is_some() {
        (
            seen.denied_field(reply::SOURCE_CLUSTER),
            seen.denied_field(reply::SOURCE_REGION),
            None,
        )
    } else {
        (
            seen.tag(header::SOURCE_CLUSTER),
            seen.tag(header::SOURCE_REGION),
            seen.tag(header::SOURCE_ZONE),
        )
    };
    SourceView {
        kind: if bound {
            SourceKind::Bound
        } else {
            SourceKind::Trusted
        },
        cluster,
        region,
        zone,
        reason: None,
    }
}

fn unknown_reason(
    seen: &Observed<'_>,
    entry: &PeerEntry,
    engine: Option<&Engine>,
) -> Option<String> {
    if seen.peer.is_none() {
        return Some("no mTLS peer".to_owned());
    }
    if engine.is_some_and(|e| !e.trusts_anyone()) {
        return Some("trustedPeers is empty: no peer is trusted".to_owned());
    }
    match entry {
        PeerEntry::NoMatch => Some("the peer matches no trustedPeers entry".to_owned()),
        PeerEntry::Matched(TrustedPeer {
            bound_cluster: Some(cluster),
            ..
        }) => Some(format!(
            "the certificate's cluster {cluster} is not listed in `clusters`"
        )),
        PeerEntry::Matched(_) => {
            Some("the trusted peer sent no single, valid cluster tag".to_owned())
        }
        PeerEntry::NotApplicable | PeerEntry::Unavailable(_) => None,
    }
}

/// The cluster tag the certificate overruled: from the counter (the certificate's
/// cluster) and the log line (what the tag claimed), else the request's tag.
pub fn mismatch(seen: &Observed<'_>) -> Option<Mismatch> {
    let counter = seen.moved(metric::TAG_MISMATCH.prometheus);
    let line = seen.mismatch_line();
    if counter.is_none() && line.is_none() {
        return None;
    }
    let text = |key: &str| {
        line.as_ref()
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let cluster = counter
        .and_then(|m| {
            m.labels
                .iter()
                .find(|(k, _)| k == label::SOURCE_CLUSTER)
                .map(|(_, v)| v.clone())
        })
        .or_else(|| text("sourceCluster"))
        .unwrap_or_else(|| value::UNKNOWN.to_owned());
    let claimed = text(log_line::CLAIMED_CLUSTER).or_else(|| {
        let mut tags = seen
            .request
            .iter()
            .filter(|(k, _)| k == header::SOURCE_CLUSTER);
        match (tags.next(), tags.next()) {
            (Some((_, value)), None) => Some(value.clone()),
            _ => None,
        }
    });
    Some(Mismatch {
        cluster,
        claimed,
        counted: counter.is_some(),
        logged: line.is_some(),
    })
}
