//! One request in, one verdict out: the tags to write, the residency decision, the
//! route, and what to count. Pure: the glue gathers the facts and applies the verdict.

use super::compiled::Policy;
use super::config::Mode;
use super::headers::{HeaderNames, HeaderSlot, RequestHeaders};
use super::identity::{Direction, Peer, Source, SourceKind, establish_inbound_source};
use super::matchers::{canonical_host, path_without_query};
use super::report::{DecisionParties, LoggedRequest, decision_line, deny_body, guard_line};
use super::residency::{Parties, RequestLine, Violation};
use crate::contract::header::{
    ROUTE_REGION as ROUTE_REGION_HEADER, SOURCE_CLUSTER as SOURCE_CLUSTER_HEADER,
    SOURCE_REGION as SOURCE_REGION_HEADER,
};
use crate::contract::value::UNKNOWN;

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

/// At most three header changes: two tags and the route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderOps<'a> {
    ops: [Option<HeaderOp<'a>>; 3],
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
    /// Whether the request crossed a cluster border inbound and is metered.
    pub metered: bool,
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
        let source = match facts.direction {
            Direction::Outbound => {
                ops.push(HeaderOp::Set(SOURCE_CLUSTER_HEADER, &self.identity.cluster));
                ops.push(match &self.identity.region {
                    Some(region) => HeaderOp::Set(SOURCE_REGION_HEADER, region),
                    None => HeaderOp::Remove(SOURCE_REGION_HEADER),
                });
                Source {
                    kind: SourceKind::Local,
                    cluster: Some(&self.identity.cluster),
                    region: self.identity.region.as_deref(),
                }
            }
            Direction::Inbound => {
                let names = &self.header_names;
                let source =
                    establish_inbound_source(&self.trusted, facts.peer, headers, names, |c| {
                        self.table_region(c)
                    });
                inbound_tag_ops(&mut ops, &source, headers, names);
                source
            }
        };

        let mut lookalikes = Vec::new();
        headers.lookalikes(SOURCE_CLUSTER_HEADER, &mut lookalikes);
        headers.lookalikes(SOURCE_REGION_HEADER, &mut lookalikes);

        let mut verdict = Verdict {
            source,
            header_ops: HeaderOps::default(),
            lookalikes,
            denial: None,
            decision: None,
            guard_log: None,
            metered: facts.direction == Direction::Inbound
                && source.cluster != Some(self.identity.cluster.as_str()),
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
        let parties = DecisionParties {
            rule: &rule.name,
            source_cluster: source.cluster.unwrap_or(UNKNOWN),
            source_region: source.region.unwrap_or(UNKNOWN),
            cluster: &self.identity.cluster,
            region: self.identity.region.as_deref().unwrap_or(UNKNOWN),
        };
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

/// Inbound: keep a believed tag (with its region made consistent), strip the rest.
fn inbound_tag_ops<'a, H: RequestHeaders + ?Sized>(
    ops: &mut HeaderOps<'a>,
    source: &Source<'a>,
    headers: &H,
    names: &HeaderNames,
) {
    let incoming_region = headers.slot(names, HeaderSlot::SOURCE_REGION);
    match source.kind {
        SourceKind::Trusted => match source.region {
            Some(region) if incoming_region.as_str() != Some(region) => {
                ops.push(HeaderOp::Set(SOURCE_REGION_HEADER, region));
            }
            None if incoming_region.is_present() => {
                ops.push(HeaderOp::Remove(SOURCE_REGION_HEADER))
            }
            _ => {}
        },
        SourceKind::Unknown | SourceKind::Local => {
            if headers.slot(names, HeaderSlot::SOURCE_CLUSTER).is_present() {
                ops.push(HeaderOp::Remove(SOURCE_CLUSTER_HEADER));
            }
            if incoming_region.is_present() {
                ops.push(HeaderOp::Remove(SOURCE_REGION_HEADER));
            }
        }
    }
}
