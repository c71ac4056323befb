//! What a residency decision says to the caller and to the log: the deny body, the
//! decision log line and the routing-guard log line, each one line of JSON.
//!
//! Only the fields the contract names are written; header values other than
//! `x-request-id` never are, and the path is written without its query string.

use super::config::Mode;
use super::json::JsonObject;
use super::residency::Violation;

/// Longest path or request id written to a log line.
const MAX_LOGGED_LEN: usize = 256;

/// Who asked and who answered, as written in replies and logs.
#[derive(Debug, Clone, Copy)]
pub struct DecisionParties<'a> {
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
            .string("rule", self.rule)
            .string("sourceCluster", self.source_cluster)
            .string("sourceRegion", self.source_region)
            .string("cluster", self.cluster)
            .string("region", self.region);
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
pub fn deny_body(parties: DecisionParties<'_>) -> String {
    let mut object = JsonObject::with_capacity(112 + parties.len());
    object.string("error", "residency_denied");
    parties.write(&mut object);
    object.finish()
}

/// The request facts a decision log line carries besides the parties.
#[derive(Debug, Clone, Copy)]
pub struct LoggedRequest<'a> {
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

/// The JSON log line of a deny (mode enforce) or audit decision.
pub fn decision_line(
    mode: Mode,
    violation: Violation,
    parties: DecisionParties<'_>,
    request: LoggedRequest<'_>,
) -> String {
    let (error, decision, mode) = match mode {
        Mode::Enforce => ("residency_denied", "deny", "enforce"),
        Mode::Audit => ("residency_audit", "audit", "audit"),
    };
    let host = truncate(request.host);
    let path = truncate(request.path);
    let method = truncate(request.method);
    let request_id = request.request_id.map(truncate);
    let size = 256
        + parties.len()
        + host.len()
        + path.len()
        + method.len()
        + request_id.map_or(0, str::len);
    let mut object = JsonObject::with_capacity(size);
    object
        .string("error", error)
        .string("decision", decision)
        .string("reason", violation.as_str());
    parties.write(&mut object);
    object
        .string("host", host)
        .string("path", path)
        .string("method", method)
        .string("mode", mode)
        .string("direction", request.direction);
    if let Some(id) = request_id {
        object.string("x-request-id", id);
    }
    object.finish()
}

/// The JSON log line written when the residency guard overrides a routing choice.
pub fn guard_line(rule: &str, requested: Option<&str>, routed: &str) -> String {
    let mut object = JsonObject::with_capacity(96 + rule.len() + routed.len());
    object
        .string("event", "route_guarded")
        .string("rule", rule)
        .string("requested", requested.unwrap_or("none"))
        .string("routed", routed);
    object.finish()
}

/// The JSON log line written when a configuration is accepted: the identity and the
/// size of the policy, never the configuration itself.
pub fn configured_line(policy: &super::Policy) -> String {
    let identity = &policy.identity;
    let mut object = JsonObject::with_capacity(160);
    object
        .string("event", "configured")
        .string("cluster", &identity.cluster)
        .optional("region", identity.region.as_deref())
        .optional("zone", identity.zone.as_deref())
        .number("rules", policy.rules.len())
        .boolean("routing", policy.routing.is_some())
        .number("trustedPeers", policy.trusted.len());
    object.finish()
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
