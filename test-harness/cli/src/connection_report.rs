//! What `meshborder simulate` found out about one TCP connection, as one value
//! printed as text or JSON (like [`Report`](super::report::Report) for a request):
//! the text is rendered from the very fields the JSON serializes.

use serde::Serialize;

use super::report::{
    LogLine, MetricDelta, Node, PeerEntry, SourceKind, SourceView, identity, matched_entry,
    metric_and_log_lines, peer_line,
};

/// The whole decision on one connection.
#[derive(Debug, Serialize)]
pub struct ConnectionReport {
    /// `tcp`: a connection ran through the filter.
    pub layer: &'static str,
    /// The connection as the filter saw it.
    pub connection: ConnectionView,
    /// The local cluster, region and zone the filter configured with.
    pub node: Node,
    /// The caller as the filter established it.
    pub source: SourceView,
    /// The `trustedPeers` entry the mTLS peer matched (inbound, with `--peer`).
    #[serde(rename = "trusted_peer", serialize_with = "matched_entry")]
    pub peer_entry: PeerEntry,
    /// `deny` (the filter closed the connection) or `pass`.
    pub decision: &'static str,
    /// Whether the filter closed the connection.
    pub closed: bool,
    /// The rule that denied or audited the connection, if one did.
    pub rule: Option<RuleView>,
    /// The bytes each way, given and let through.
    pub bytes: Bytes,
    /// Counters that moved, once the connection ended.
    pub metrics: Vec<MetricDelta>,
    /// What the filter logged for this connection.
    pub logs: Vec<LogLine>,
    /// Fuel burnt by the connection's callbacks.
    pub fuel: ConnectionFuel,
}

/// The connection's facts, as Envoy's properties give them to the filter.
#[derive(Debug, Serialize)]
pub struct ConnectionView {
    /// `inbound` or `outbound`.
    pub direction: &'static str,
    /// The mTLS peer's URI SAN, if any.
    pub peer: Option<String>,
    /// The destination port, if any.
    pub port: Option<u16>,
    /// The requested server name, if any.
    pub sni: Option<String>,
}

/// A rule that decided.
#[derive(Debug, Serialize)]
pub struct RuleView {
    /// Its name.
    pub name: String,
    /// `enforce` or `audit`, when known.
    pub mode: Option<String>,
    /// Why it decided, as the log line says (`source_region_not_allowed`, ...).
    pub reason: Option<String>,
}

/// The bytes of the connection.
#[derive(Debug, Serialize)]
pub struct Bytes {
    /// Bytes the caller sent (Envoy's `%BYTES_RECEIVED%`).
    pub from_caller: u64,
    /// Of those, the ones the filter let through to the upstream.
    pub to_upstream: u64,
    /// Bytes the upstream sent back.
    pub from_upstream: u64,
    /// Of those, the ones the filter let through to the caller (Envoy's
    /// `%BYTES_SENT%`).
    pub to_caller: u64,
}

/// Fuel of the decision and in total.
#[derive(Debug, Serialize)]
pub struct ConnectionFuel {
    /// The first `proxy_on_downstream_data`, where the filter decides.
    pub first_downstream_data: u64,
    /// Every callback of the connection, creation to deletion.
    pub total: u64,
}

/// The width of the text's first column.
const KEY: usize = 11;

impl ConnectionReport {
    /// The report as aligned text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |key: &str, value: &str| {
            out.push_str(&format!("{key:<KEY$}{value}\n"));
        };
        line("connection", &self.connection_text());
        line(
            "node",
            &identity(
                Some(&self.node.cluster),
                self.node.region.as_deref(),
                self.node.zone.as_deref(),
            ),
        );
        line("source", &self.source_text());
        if let Some(text) = peer_line(
            &self.peer_entry,
            self.source.kind,
            "believes the peer's tags, and a connection has none",
        ) {
            line("peer", &text);
        }
        line("decision", &self.decision_text());
        line("bytes", &self.bytes_text());
        metric_and_log_lines(&self.metrics, &self.logs, &mut line);
        line(
            "fuel",
            &format!(
                "{} (first downstream data {})",
                self.fuel.total, self.fuel.first_downstream_data
            ),
        );
        out
    }

    fn connection_text(&self) -> String {
        let connection = &self.connection;
        let port = connection
            .port
            .map_or_else(|| "no port".to_owned(), |p| format!("port {p}"));
        let sni = connection
            .sni
            .as_deref()
            .map_or_else(|| "no SNI".to_owned(), |s| format!("SNI {s}"));
        let peer = connection
            .peer
            .as_deref()
            .map_or_else(|| "no mTLS peer".to_owned(), |p| format!("mTLS peer {p}"));
        format!("{}, {port}, {sni}, {peer}", connection.direction)
    }

    fn source_text(&self) -> String {
        let source = &self.source;
        let who = || identity(source.cluster.as_deref(), source.region.as_deref(), None);
        match source.kind {
            SourceKind::Local => format!(
                "local: {}",
                identity(
                    source.cluster.as_deref(),
                    source.region.as_deref(),
                    source.zone.as_deref()
                )
            ),
            SourceKind::Bound | SourceKind::Trusted => {
                format!("bound to the certificate: {}", who())
            }
            SourceKind::Unknown => match &source.reason {
                Some(reason) => format!("unknown ({reason}); counted"),
                None => "unknown; counted".to_owned(),
            },
        }
    }

    fn decision_text(&self) -> String {
        let rule = self.rule.as_ref();
        let why = |rule: &RuleView| {
            rule.reason
                .as_deref()
                .map_or_else(String::new, |reason| format!(" ({reason})"))
        };
        match (self.closed, rule) {
            (true, Some(rule)) => {
                format!("DENY: closed by rule {}{}", rule.name, why(rule))
            }
            (true, None) => "DENY: closed".to_owned(),
            (false, Some(rule)) if rule.mode.as_deref() == Some("audit") => format!(
                "PASS (audited: rule {} would close it{}; its mode is audit)",
                rule.name,
                why(rule)
            ),
            (false, Some(rule)) => format!("PASS (rule {} decided{})", rule.name, why(rule)),
            (false, None) => "PASS".to_owned(),
        }
    }

    fn bytes_text(&self) -> String {
        let bytes = &self.bytes;
        let up = match (bytes.from_caller, bytes.to_upstream) {
            (0, _) => "nothing from the caller".to_owned(),
            (sent, 0) => format!("{sent} from the caller, none forwarded"),
            (sent, forwarded) if sent == forwarded => {
                format!("{sent} from the caller, all forwarded")
            }
            (sent, forwarded) => format!("{sent} from the caller, {forwarded} forwarded"),
        };
        let down = match (bytes.from_upstream, bytes.to_caller) {
            (0, _) if self.closed => "nothing back (closed)".to_owned(),
            (0, _) => "nothing back".to_owned(),
            (answered, delivered) if answered == delivered => {
                format!("{answered} back to the caller")
            }
            (answered, delivered) => {
                format!("{answered} from the upstream, {delivered} to the caller")
            }
        };
        format!("{up}; {down}")
    }
}
