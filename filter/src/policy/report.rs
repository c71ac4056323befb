//! What a residency decision says to the caller and to the log: the deny body, the
//! decision log line and the routing-guard log line, each one line of JSON.
//!
//! Only the fields the contract names are written; header values other than
//! `x-request-id` never are, and the path is written without its query string.

use serde::Serialize;

use super::config::Mode;
use super::residency::Violation;

/// Longest path or request id written to a log line.
const MAX_LOGGED_LEN: usize = 256;

/// Who asked and who answered, as written in replies and logs.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
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

#[derive(Serialize)]
struct DenyBody<'a> {
    error: &'static str,
    #[serde(flatten)]
    parties: DecisionParties<'a>,
}

/// The body of a residency denial (`content-type: application/json`).
pub fn deny_body(parties: DecisionParties<'_>) -> String {
    serde_json::to_string(&DenyBody {
        error: "residency_denied",
        parties,
    })
    .unwrap_or_default()
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecisionLine<'a> {
    error: &'static str,
    decision: &'static str,
    reason: &'static str,
    #[serde(flatten)]
    parties: DecisionParties<'a>,
    host: &'a str,
    path: &'a str,
    method: &'a str,
    mode: &'static str,
    direction: &'a str,
    #[serde(rename = "x-request-id", skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
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
    serde_json::to_string(&DecisionLine {
        error,
        decision,
        reason: violation.as_str(),
        parties,
        host: truncate(request.host),
        path: truncate(request.path),
        method: truncate(request.method),
        mode,
        direction: request.direction,
        request_id: request.request_id.map(truncate),
    })
    .unwrap_or_default()
}

#[derive(Serialize)]
struct GuardLine<'a> {
    event: &'static str,
    rule: &'a str,
    requested: &'a str,
    routed: &'a str,
}

/// The JSON log line written when the residency guard overrides a routing choice.
pub fn guard_line(rule: &str, requested: Option<&str>, routed: &str) -> String {
    serde_json::to_string(&GuardLine {
        event: "route_guarded",
        rule,
        requested: requested.unwrap_or("none"),
        routed,
    })
    .unwrap_or_default()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfiguredLine<'a> {
    event: &'static str,
    cluster: &'a str,
    region: Option<&'a str>,
    zone: Option<&'a str>,
    rules: usize,
    routing: bool,
    trusted_peers: usize,
}

/// The JSON log line written when a configuration is accepted: the identity and the
/// size of the policy, never the configuration itself.
pub fn configured_line(policy: &super::Policy) -> String {
    serde_json::to_string(&ConfiguredLine {
        event: "configured",
        cluster: &policy.identity.cluster,
        region: policy.identity.region.as_deref(),
        zone: policy.identity.zone.as_deref(),
        rules: policy.rules.len(),
        routing: policy.routing.is_some(),
        trusted_peers: policy.trusted.len(),
    })
    .unwrap_or_default()
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
