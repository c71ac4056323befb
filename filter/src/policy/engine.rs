//! One request in, one verdict out: the tags to write, the residency decision, the
//! route, and what to count. Pure: the glue gathers the facts and applies the verdict.

use super::compiled::Policy;
use super::config::Mode;
use super::headers::{HeaderNames, HeaderSlot, Lookup, RequestHeaders};
use super::identity::{Direction, Established, Peer, Source, SourceKind, establish_inbound_source};
use super::matchers::{canonical_host, path_without_query};
use super::report::{LoggedRequest, decision_line, deny_body, guard_line};
use super::residency::{Parties, RequestLine, Violation};
use super::trust::PeerMatch;
use crate::contract::header::{
    ROUTE_REGION as ROUTE_REGION_HEADER, SOURCE_CLUSTER as SOURCE_CLUSTER_HEADER,
    SOURCE_REGION as SOURCE_REGION_HEADER, SOURCE_ZONE as SOURCE_ZONE_HEADER,
};

/// The facts the glue gathered for one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a, H: ?Sized> {
    /// Which side of the border.
    pub direction: Direction,
    /// The downstream peer (inbound only; ignored outbound).
    pub peer: Peer<'a>,
    /// The request headers, pseudo-headers included.
    pub headers: &'a H,
}

/// A header change to apply to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderOp<'a> {
    /// Replace every value of the header with this one.
    Set(&'static str, &'a str),
    /// Remove the header.
    Remove(&'static str),
}

/// At most four header changes: three tags and the route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderOps<'a> {
    ops: [Option<HeaderOp<'a>>; 4],
}

impl<'a> HeaderOps<'a> {
    fn push(&mut self, op: HeaderOp<'a>) {
        if let Some(slot) = self.ops.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(op);
        }
    }

    /// The changes, in order.
    pub fn iter(&self) -> impl Iterator<Item = HeaderOp<'a>> + '_ {
        self.ops.iter().flatten().copied()
    }
}

/// A residency decision that was not a plain allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDecision {
    /// Index of the deciding rule.
    pub rule: usize,
    /// Deny (enforce) or audit.
    pub mode: Mode,
    /// The JSON log line.
    pub log_line: String,
}

/// The local reply of a residency denial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial<'a> {
    /// The deciding rule, for [`crate::contract::header::DENIED_BY`].
    pub rule: &'a str,
    /// The JSON body.
    pub body: String,
}

/// A certificate-bound caller whose cluster tag named another cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagMismatch<'a> {
    /// The cluster the certificate binds, which the tag is rewritten to.
    pub cluster: &'a str,
    /// What the tag said; `None` when it was repeated or not UTF-8.
    pub claimed: Option<&'a str>,
    /// The peer's URI SAN.
    pub peer: &'a str,
    /// The request's `x-request-id`, when it has one.
    pub request_id: Option<&'a str>,
}

/// Everything the glue must do for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict<'a> {
    /// The caller as established.
    pub source: Source<'a>,
    /// Header changes, applied when the request is not denied.
    pub header_ops: HeaderOps<'a>,
    /// Headers to remove because they read as a tag header with `_` for `-`
    /// (`x_meshborder_source_cluster`); empty, and unallocated, in the common case.
    pub lookalikes: Vec<&'a str>,
    /// Set when the request must be refused.
    pub denial: Option<Denial<'a>>,
    /// Set on a deny or audit decision.
    pub decision: Option<RuleDecision>,
    /// Log line when the residency guard overrode the routing choice.
    pub guard_log: Option<String>,
    /// The `trustedPeers` entry the peer matched (inbound).
    pub peer: Option<PeerMatch<'a>>,
    /// Set when a certificate-bound caller's cluster tag named another cluster.
    pub mismatch: Option<TagMismatch<'a>>,
    /// Whether the request crossed a cluster border inbound and is metered.
    pub metered: bool,
    /// Whether the request crossed a zone border inbound and is metered: its caller
    /// is established and its zone (or `unknown`) is not the local zone, which is
    /// known.
    pub zone_metered: bool,
    /// Whether the caller of an inbound request is unknown.
    pub unknown_source: bool,
}

impl Policy {
    /// Decides one request.
    pub fn decide<'a, H: RequestHeaders + ?Sized>(
        &'a self,
        facts: &RequestFacts<'a, H>,
    ) -> Verdict<'a> {
        let headers = facts.headers;
        let mut ops = HeaderOps::default();
        let established = match facts.direction {
            Direction::Outbound => {
                let identity = &self.identity;
                ops.push(HeaderOp::Set(SOURCE_CLUSTER_HEADER, &identity.cluster));
                // A tag without a value is removed; when the headers were read, only
                // if it is there, which saves a host call on nearly every request.
                let read = self.needs.headers(Direction::Outbound);
                for (name, slot, value) in [
                    (
                        SOURCE_REGION_HEADER,
                        HeaderSlot::SOURCE_REGION,
                        identity.region.as_deref(),
                    ),
                    (
                        SOURCE_ZONE_HEADER,
                        HeaderSlot::SOURCE_ZONE,
                        identity.zone.as_deref(),
                    ),
                ] {
                    match value {
                        Some(value) => ops.push(HeaderOp::Set(name, value)),
                        None if !read || headers.slot(&self.header_names, slot).is_present() => {
                            ops.push(HeaderOp::Remove(name));
                        }
                        None => {}
                    }
                }
                Established {
                    source: Source {
                        kind: SourceKind::Local,
                        cluster: Some(&identity.cluster),
                        region: identity.region.as_deref(),
                        zone: identity.zone.as_deref(),
                    },
                    peer: None,
                    contradicting_tag: None,
                }
            }
            Direction::Inbound => {
                let names = &self.header_names;
                let established =
                    establish_inbound_source(&self.trusted, facts.peer, headers, names, |c| {
                        self.table_region(c)
                    });
                inbound_tag_ops(&mut ops, &established.source, headers, names);
                established
            }
        };
        let source = established.source;

        let mut lookalikes = Vec::new();
        for name in [
            SOURCE_CLUSTER_HEADER,
            SOURCE_REGION_HEADER,
            SOURCE_ZONE_HEADER,
        ] {
            headers.lookalikes(name, &mut lookalikes);
        }

        let inbound = facts.direction == Direction::Inbound;
        let local_zone = self.identity.zone.as_deref();
        let mut verdict = Verdict {
            source,
            header_ops: HeaderOps::default(),
            lookalikes,
            denial: None,
            decision: None,
            guard_log: None,
            peer: established.peer,
            mismatch: established.contradicting_tag.and_then(|claimed| {
                Some(TagMismatch {
                    cluster: source.cluster?,
                    claimed,
                    peer: facts.peer.uri_san?,
                    request_id: headers
                        .slot(&self.header_names, HeaderSlot::REQUEST_ID)
                        .as_str(),
                })
            }),
            metered: inbound && source.cluster != Some(self.identity.cluster.as_str()),
            zone_metered: inbound
                && source.is_established_inbound()
                && local_zone.is_some()
                && source.zone != local_zone,
            unknown_source: source.kind == SourceKind::Unknown,
        };

        let matched = self.residency(facts, &source, &mut verdict);
        if verdict.denial.is_none() {
            self.route(headers, matched, &mut ops, &mut verdict);
        }
        verdict.header_ops = ops;
        verdict
    }

    /// Finds the deciding rule and records its decision; returns the rule index.
    fn residency<'a, H: RequestHeaders + ?Sized>(
        &'a self,
        facts: &RequestFacts<'_, H>,
        source: &Source<'_>,
        verdict: &mut Verdict<'a>,
    ) -> Option<usize> {
        if !self.has_rules() {
            return None;
        }
        let headers = facts.headers;
        let value = |slot| {
            headers
                .slot(&self.header_names, slot)
                .as_str()
                .unwrap_or_default()
        };
        let host = canonical_host(value(HeaderSlot::AUTHORITY));
        let path = path_without_query(value(HeaderSlot::PATH));
        let decoded = RequestLine::decode(path);
        let method = value(HeaderSlot::METHOD);
        let line = RequestLine {
            host: &host,
            path,
            decoded_path: decoded.as_deref(),
            method,
        };
        let id = self.host_index.first_match(&host, |id| {
            self.rules
                .get(id)
                .is_some_and(|r| r.matches(&line, headers))
        })?;
        let rule = self.rules.get(id)?;
        let inbound = facts.direction == Direction::Inbound;
        let parties = Parties {
            source_cluster: source.cluster,
            source_region: source.region,
            local_region: self.identity.region.as_deref(),
            check_local: inbound,
        };
        if let Some(violation) = rule.check(&parties) {
            self.record(id, rule.mode, violation, source, &line, facts, verdict);
        }
        Some(id)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site; the facts are already split into the pieces the reply needs"
    )]
    fn record<'a>(
        &'a self,
        id: usize,
        mode: Mode,
        violation: Violation,
        source: &Source<'_>,
        line: &RequestLine<'_>,
        facts: &RequestFacts<'_, impl RequestHeaders + ?Sized>,
        verdict: &mut Verdict<'a>,
    ) {
        let Some(rule) = self.rules.get(id) else {
            return;
        };
        let parties = self.decision_parties(&rule.name, source);
        let request = LoggedRequest {
            host: line.host,
            path: line.path,
            method: line.method,
            direction: facts.direction.as_str(),
            request_id: facts
                .headers
                .slot(&self.header_names, HeaderSlot::REQUEST_ID)
                .as_str(),
        };
        verdict.decision = Some(RuleDecision {
            rule: id,
            mode,
            log_line: decision_line(mode, violation, parties, request),
        });
        if mode == Mode::Enforce {
            verdict.denial = Some(Denial {
                rule: &rule.name,
                body: deny_body(parties),
            });
        }
    }

    /// Picks the route region, applies the residency guard, and records the change.
    fn route<'a, H: RequestHeaders + ?Sized>(
        &'a self,
        headers: &H,
        matched_rule: Option<usize>,
        ops: &mut HeaderOps<'a>,
        verdict: &mut Verdict<'a>,
    ) {
        let Some(routing) = &self.routing else {
            return;
        };
        let mut chosen = routing.choose(headers, &self.header_names);
        let guard = matched_rule
            .filter(|_| routing.residency_guard)
            .and_then(|id| self.rules.get(id))
            .and_then(|rule| Some((rule, rule.allow_local_regions.as_ref()?)));
        if let Some((rule, allowed)) = guard
            && !chosen.is_some_and(|region| allowed.contains(region))
            && let Some(first) = allowed.first()
        {
            verdict.guard_log = Some(guard_line(&rule.name, chosen, first));
            chosen = Some(first);
        }
        match chosen {
            Some(region) => {
                ops.push(HeaderOp::Set(ROUTE_REGION_HEADER, region));
            }
            None if headers
                .slot(&self.header_names, HeaderSlot::ROUTE_REGION)
                .is_present() =>
            {
                ops.push(HeaderOp::Remove(ROUTE_REGION_HEADER));
            }
            None => {}
        }
    }
}

/// Inbound: keep believed tags (the region made consistent), rewrite what a
/// certificate contradicts, strip the rest.
fn inbound_tag_ops<'a, H: RequestHeaders + ?Sized>(
    ops: &mut HeaderOps<'a>,
    source: &Source<'a>,
    headers: &H,
    names: &HeaderNames,
) {
    let incoming = |slot| headers.slot(names, slot);
    let (cluster, region, zone) = (
        incoming(HeaderSlot::SOURCE_CLUSTER),
        incoming(HeaderSlot::SOURCE_REGION),
        incoming(HeaderSlot::SOURCE_ZONE),
    );
    let make =
        |ops: &mut HeaderOps<'a>, name, incoming: Lookup<'_>, value: Option<&'a str>| match value {
            Some(value) if incoming.as_str() != Some(value) => {
                ops.push(HeaderOp::Set(name, value));
            }
            None if incoming.is_present() => ops.push(HeaderOp::Remove(name)),
            _ => {}
        };
    match source.kind {
        SourceKind::Trusted | SourceKind::Bound => {
            if source.kind == SourceKind::Bound {
                make(ops, SOURCE_CLUSTER_HEADER, cluster, source.cluster);
            }
            make(ops, SOURCE_REGION_HEADER, region, source.region);
            make(ops, SOURCE_ZONE_HEADER, zone, source.zone);
        }
        SourceKind::Unknown | SourceKind::Local => {
            make(ops, SOURCE_CLUSTER_HEADER, cluster, None);
            make(ops, SOURCE_REGION_HEADER, region, None);
            make(ops, SOURCE_ZONE_HEADER, zone, None);
        }
    }
}
