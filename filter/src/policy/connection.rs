//! One TCP connection in, one verdict out: who is calling, whether a residency rule
//! closes the connection (or audits it), and whether its bytes are metered. Pure:
//! the network-filter glue gathers the facts once per connection, before the first
//! byte goes upstream, and applies the verdict.
//!
//! There are no headers at L4, so the caller is established only from the
//! downstream mTLS peer through a certificate-bound `trustedPeers` entry; any other
//! caller, a string entry's included, is unknown.

use super::compiled::Policy;
use super::config::Mode;
use super::engine::RuleDecision;
use super::identity::{Direction, Peer, Source, SourceKind};
use super::report::{ConnectionLine, connection_line};
use super::residency::Parties;
use super::trust::PeerMatch;

/// The facts the glue gathered for one connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionFacts<'a> {
    /// Which side of the border.
    pub direction: Direction,
    /// The downstream peer (inbound only; ignored outbound).
    pub peer: Peer<'a>,
    /// The connection's destination port, when the policy needs it.
    pub port: Option<u16>,
    /// The requested server name, when the policy needs it and the caller sent one.
    pub sni: Option<&'a str>,
}

/// Everything the glue must do for one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionVerdict<'a> {
    /// The caller as established.
    pub source: Source<'a>,
    /// The `trustedPeers` entry the peer matched (inbound).
    pub peer: Option<PeerMatch<'a>>,
    /// Set on a deny or audit decision.
    pub decision: Option<RuleDecision>,
    /// Whether the connection must be closed before any byte goes upstream.
    pub close: bool,
    /// Whether the connection crosses a cluster border inbound and is metered.
    pub metered: bool,
    /// Whether the caller of an inbound connection is unknown.
    pub unknown_source: bool,
}

impl Policy {
    /// Decides one connection.
    pub fn decide_connection<'a>(&'a self, facts: &ConnectionFacts<'a>) -> ConnectionVerdict<'a> {
        let (source, peer) = match facts.direction {
            Direction::Outbound => (
                Source {
                    kind: SourceKind::Local,
                    cluster: Some(&self.identity.cluster),
                    region: self.identity.region.as_deref(),
                    zone: self.identity.zone.as_deref(),
                },
                None,
            ),
            Direction::Inbound => {
                let matched = self.trusted.identify(facts.peer);
                let bound = matched
                    .and_then(|m| m.bound)
                    .and_then(|cluster| Some((cluster, self.table_region(cluster)?)));
                let source = bound.map_or(Source::UNKNOWN, |(cluster, region)| Source {
                    kind: SourceKind::Bound,
                    cluster: Some(cluster),
                    region: Some(region),
                    zone: None,
                });
                (source, matched)
            }
        };
        let inbound = facts.direction == Direction::Inbound;
        let mut verdict = ConnectionVerdict {
            source,
            peer,
            decision: None,
            close: false,
            metered: inbound && source.cluster != Some(self.identity.cluster.as_str()),
            unknown_source: source.kind == SourceKind::Unknown,
        };
        let Some((id, rule)) = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, rule)| rule.matches_connection(facts.port, facts.sni))
        else {
            return verdict;
        };
        let parties = Parties {
            source_cluster: source.cluster,
            source_region: source.region,
            local_region: self.identity.region.as_deref(),
            check_local: inbound,
        };
        let Some(violation) = rule.check(&parties) else {
            return verdict;
        };
        let logged = self.decision_parties(&rule.name, &source);
        let line = ConnectionLine {
            port: facts.port,
            sni: facts.sni,
            direction: facts.direction.as_str(),
        };
        verdict.decision = Some(RuleDecision {
            rule: id,
            mode: rule.mode,
            log_line: connection_line(rule.mode, violation, logged, line),
        });
        verdict.close = rule.mode == Mode::Enforce;
        verdict
    }
}
