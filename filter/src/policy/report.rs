//! What a residency decision says to the caller and to the log: the deny body, the
//! decision log line and the routing-guard log line, each one line of JSON.
//!
//! Only the fields the contract names are written; header values other than
//! `x-request-id` never are, and the path is written without its query string.

use super::compiled::Policy;
use super::config::Mode;
use super::engine::TagMismatch;
use super::identity::Source;
use super::residency::Violation;
use crate::contract::log_line::{
    CLAIMED_CLUSTER, CONFIGURED, EVENT, HOST, METHOD, MODE, PATH, PEER, PORT, REQUEST_ID,
    RESIDENCY_AUDIT, ROUTE_GUARDED, SNI, SUPPRESSED, TAG_MISMATCH,
};
use crate::contract::reply::{
    CLUSTER, ERROR, REGION, RESIDENCY_DENIED, RULE, SOURCE_CLUSTER, SOURCE_REGION,
};
use crate::contract::value::{AUDIT, DENY, UNKNOWN};
use crate::json::JsonObject;

/// Longest path or request id written to a log line.
const MAX_LOGGED_LEN: usize = 256;

/// Who asked and who answered, as written in replies and logs.
#[derive(Debug, Clone, Copy)]
pub(super) struct DecisionParties<'a> {
    /// The rule that decided.
    pub rule: &'a str,
    /// The caller's cluster, or `unknown`.
    pub source_cluster: &'a str,
    /// The caller's region, or `unknown`.
    pub source_region: &'a str,
    /// The local cluster.
    pub cluster: &'a str,
    /// The local region, or `unknown`.
    pub region: &'a str,
}

impl DecisionParties<'_> {
    fn write(&self, object: &mut JsonObject) {
        object
            .string(RULE, self.rule)
            .string(SOURCE_CLUSTER, self.source_cluster)
            .string(SOURCE_REGION, self.source_region)
            .string(CLUSTER, self.cluster)
            .string(REGION, self.region);
    }

    fn len(&self) -> usize {
        self.rule.len()
            + self.source_cluster.len()
            + self.source_region.len()
            + self.cluster.len()
            + self.region.len()
    }
}

/// The body of a residency denial (`content-type: application/json`).
pub(super) fn deny_body(parties: DecisionParties<'_>) -> String {
    let mut object = JsonObject::with_capacity(112 + parties.len());
    object.string(ERROR, RESIDENCY_DENIED);
    parties.write(&mut object);
    object.finish()
}

/// The request facts a decision log line carries besides the parties.
#[derive(Debug, Clone, Copy)]
pub(super) struct LoggedRequest<'a> {
    /// Host without port.
    pub host: &'a str,
    /// Path without query.
    pub path: &'a str,
    /// Method.
    pub method: &'a str,
    /// `inbound` or `outbound`.
    pub direction: &'a str,
    /// `x-request-id`, when present.
    pub request_id: Option<&'a str>,
}

/// A decision line's object of `size` bytes, with its first fields written: the
/// error, the decision, the reason and the parties; and the mode, as its field is
/// spelt.
fn decision_head(
    mode: Mode,
    violation: Violation,
    parties: DecisionParties<'_>,
    size: usize,
) -> (JsonObject, &'static str) {
    let (error, decision, mode) = match mode {
        Mode::Enforce => (RESIDENCY_DENIED, DENY, "enforce"),
        Mode::Audit => (RESIDENCY_AUDIT, AUDIT, "audit"),
    };
    let mut object = JsonObject::with_capacity(size + parties.len());
    object
        .string(ERROR, error)
        .string("decision", decision)
        .string("reason", violation.as_str());
    parties.write(&mut object);
    (object, mode)
}

/// The JSON log line of a deny (mode enforce) or audit decision.
pub(super) fn decision_line(
    mode: Mode,
    violation: Violation,
    parties: DecisionParties<'_>,
    request: LoggedRequest<'_>,
) -> String {
    let host = truncate(request.host);
    let path = truncate(request.path);
    let method = truncate(request.method);
    let request_id = request.request_id.map(truncate);
    let size = 256 + host.len() + path.len() + method.len() + request_id.map_or(0, str::len);
    let (mut object, mode) = decision_head(mode, violation, parties, size);
    object
        .string(HOST, host)
        .string(PATH, path)
        .string(METHOD, method)
        .string(MODE, mode)
        .string("direction", request.direction);
    if let Some(id) = request_id {
        object.string(REQUEST_ID, id);
    }
    object.finish()
}

/// The connection facts an L4 decision line carries besides the parties, in place
/// of a request's host, path and method.
#[derive(Debug, Clone, Copy)]
pub(super) struct ConnectionLine<'a> {
    /// The destination port, when read.
    pub port: Option<u16>,
    /// The requested server name, when a rule needed it and there is one.
    pub sni: Option<&'a str>,
    /// `inbound` or `outbound`.
    pub direction: &'a str,
}

/// The JSON log line of an L4 deny (mode enforce) or audit decision.
pub(super) fn connection_line(
    mode: Mode,
    violation: Violation,
    parties: DecisionParties<'_>,
    connection: ConnectionLine<'_>,
) -> String {
    let sni = connection.sni.map(truncate);
    let (mut object, mode) = decision_head(mode, violation, parties, 256 + sni.map_or(0, str::len));
    if let Some(port) = connection.port {
        object.number(PORT, usize::from(port));
    }
    if let Some(sni) = sni {
        object.string(SNI, sni);
    }
    object
        .string(MODE, mode)
        .string("direction", connection.direction);
    object.finish()
}

/// The JSON log line written when the residency guard overrides a routing choice.
pub(super) fn guard_line(rule: &str, requested: Option<&str>, routed: &str) -> String {
    let mut object = JsonObject::with_capacity(96 + rule.len() + routed.len());
    object
        .string(EVENT, ROUTE_GUARDED)
        .string(RULE, rule)
        .string("requested", requested.unwrap_or("none"))
        .string("routed", routed);
    object.finish()
}

impl Policy {
    /// The parties of a decision of rule `rule` on a request or connection from
    /// `source`, as replies and log lines name them.
    pub(super) fn decision_parties<'a>(
        &'a self,
        rule: &'a str,
        source: &Source<'a>,
    ) -> DecisionParties<'a> {
        DecisionParties {
            rule,
            source_cluster: source.cluster.unwrap_or(UNKNOWN),
            source_region: source.region.unwrap_or(UNKNOWN),
            cluster: &self.identity.cluster,
            region: self.identity.region.as_deref().unwrap_or(UNKNOWN),
        }
    }

    /// The JSON log line of a tag mismatch (level warn): the certificate's cluster,
    /// what the tag claimed, the peer, and how many such lines were held back since
    /// the last one written.
    pub fn tag_mismatch_line(&self, mismatch: &TagMismatch<'_>, held_back: u64) -> String {
        let claimed = mismatch.claimed.map(truncate);
        let peer = truncate(mismatch.peer);
        let request_id = mismatch.request_id.map(truncate);
        let size = 160
            + mismatch.cluster.len()
            + claimed.map_or(0, str::len)
            + peer.len()
            + request_id.map_or(0, str::len);
        let mut object = JsonObject::with_capacity(size);
        object
            .string(EVENT, TAG_MISMATCH)
            .string(SOURCE_CLUSTER, mismatch.cluster)
            .optional(CLAIMED_CLUSTER, claimed)
            .string(PEER, peer)
            .string(CLUSTER, &self.identity.cluster)
            .number(SUPPRESSED, usize::try_from(held_back).unwrap_or(usize::MAX));
        if let Some(id) = request_id {
            object.string(REQUEST_ID, id);
        }
        object.finish()
    }

    /// The JSON log line written when this configuration is accepted: the identity
    /// and the size of the policy, never the configuration itself.
    pub fn configured_line(&self) -> String {
        let identity = &self.identity;
        let mut object = JsonObject::with_capacity(160);
        object
            .string(EVENT, CONFIGURED)
            .string(CLUSTER, &identity.cluster)
            .optional(REGION, identity.region.as_deref())
            .optional("zone", identity.zone.as_deref())
            .number("rules", self.rules.len())
            .boolean("routing", self.routing.is_some())
            .number("trustedPeers", self.trusted.len());
        object.finish()
    }
}

fn truncate(value: &str) -> &str {
    if value.len() <= MAX_LOGGED_LEN {
        return value;
    }
    let mut end = MAX_LOGGED_LEN;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    value.get(..end).unwrap_or_default()
}
