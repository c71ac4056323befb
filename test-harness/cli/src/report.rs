//! What `meshborder simulate` found out, as one value printed as text or JSON.
//!
//! One value for both forms, so the text and `--json` can never tell two stories:
//! the text is rendered from the very fields the JSON serializes.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The whole decision.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `http`: a request ran through the filter.
    pub layer: &'static str,
    /// The request line, e.g. `GET http://eu-user-data/users/1`.
    pub request: String,
    /// `inbound` or `outbound`.
    pub direction: &'static str,
    /// The mTLS peer, if any.
    pub peer: Option<String>,
    /// The local cluster, region and zone the filter configured with.
    pub node: Node,
    /// The caller as the filter established it.
    pub source: SourceView,
    /// The `trustedPeers` entry the mTLS peer matched (inbound, with `--peer`).
    #[serde(rename = "trusted_peer", serialize_with = "matched_entry")]
    pub peer_entry: PeerEntry,
    /// A cluster tag the peer's certificate overruled.
    pub mismatch: Option<Mismatch>,
    /// `deny` or `pass`.
    pub decision: &'static str,
    /// The local reply, when the filter denied the request.
    pub reply: Option<Reply>,
    /// Request headers the filter set or removed, in order.
    pub header_changes: Vec<HeaderChange>,
    /// The tag headers as the application (the upstream) sees them; `None` when
    /// the request was denied and reaches nobody.
    #[serde(serialize_with = "optional_tags")]
    pub tags: Option<Vec<Tag>>,
    /// The routing header's value after the filter, if any.
    pub route_region: Option<String>,
    /// Whether Envoy picks the route again: the filter edited the request headers,
    /// which clears Envoy's route cache (as a `clear_route_cache` call would).
    pub route_cache_cleared: bool,
    /// Counters that moved.
    pub metrics: Vec<MetricDelta>,
    /// What the filter logged for this request.
    pub logs: Vec<LogLine>,
    /// Fuel burnt by the request's callbacks.
    pub fuel: Fuel,
    /// What Envoy would do differently from the host before the filter runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The local cluster, region and zone.
#[derive(Debug, Serialize)]
pub struct Node {
    /// The cluster.
    pub cluster: String,
    /// The region, if known.
    pub region: Option<String>,
    /// The zone, if known.
    pub zone: Option<String>,
}

/// How the caller was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Outbound: the caller is the local node.
    Local,
    /// Inbound from a trusted peer whose tags are believed.
    Trusted,
    /// Inbound from a peer whose certificate says its cluster.
    Bound,
    /// Inbound, not established: its tags are removed.
    Unknown,
}

/// The caller.
#[derive(Debug, Serialize)]
pub struct SourceView {
    /// How it was established.
    pub kind: SourceKind,
    /// Its cluster, when established.
    pub cluster: Option<String>,
    /// Its region, when known.
    pub region: Option<String>,
    /// Its zone, when known (not shown for a denied inbound request: the deny
    /// body carries none).
    pub zone: Option<String>,
    /// Why the source is unknown.
    pub reason: Option<String>,
}

impl SourceView {
    /// Outbound: the caller is the local node.
    pub fn local(node: &Node) -> Self {
        Self {
            kind: SourceKind::Local,
            cluster: Some(node.cluster.clone()),
            region: node.region.clone(),
            zone: node.zone.clone(),
            reason: None,
        }
    }

    /// A source the filter could not establish, and why, when that can be told.
    pub fn unknown(reason: Option<String>) -> Self {
        Self {
            kind: SourceKind::Unknown,
            cluster: None,
            region: None,
            zone: None,
            reason,
        }
    }
}

/// What is known of the `trustedPeers` entry an mTLS peer matched.
#[derive(Debug)]
pub enum PeerEntry {
    /// Nothing to match: outbound, or no `--peer`.
    NotApplicable,
    /// The CLI's engine could not tell (it refused the configuration the filter
    /// accepted: a CLI and a `.wasm` of different versions).
    Unavailable(String),
    /// No entry matches the peer.
    NoMatch,
    /// This entry.
    Matched(TrustedPeer),
}

/// A `trustedPeers` entry the peer matched.
#[derive(Debug, Serialize)]
pub struct TrustedPeer {
    /// Its index in `trustedPeers`, from 0.
    pub entry: usize,
    /// Its pattern, as the configuration writes it.
    pub pattern: String,
    /// `tags` (the peer's tags are believed), `named` (`{ "peer", "cluster" }`) or
    /// `captured` (a `{cluster}` in the pattern).
    pub binding: &'static str,
    /// The cluster the certificate binds; `None` for a `tags` entry.
    pub bound_cluster: Option<String>,
}

/// A cluster tag that contradicted the peer's certificate.
#[derive(Debug, Serialize)]
pub struct Mismatch {
    /// The certificate's cluster, which the tag was rewritten to.
    pub cluster: String,
    /// What the tag said; `None` when it was repeated.
    pub claimed: Option<String>,
    /// Whether `meshborder_tag_mismatch_total` moved.
    pub counted: bool,
    /// Whether the filter wrote its `tag_mismatch` log line.
    pub logged: bool,
}

/// One tag header as the application sees it.
#[derive(Debug)]
pub struct Tag {
    /// The header.
    pub header: &'static str,
    /// Its value; `None` when absent.
    pub value: Option<String>,
}

/// A local reply.
#[derive(Debug, Serialize)]
pub struct Reply {
    /// HTTP status.
    pub status: u32,
    /// Headers the filter added.
    #[serde(serialize_with = "as_map")]
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

/// One request header change.
#[derive(Debug, Serialize)]
pub struct HeaderChange {
    /// The header.
    pub header: String,
    /// `set` or `removed`.
    pub change: &'static str,
    /// The value after the change (set), or the value that was removed.
    pub value: String,
}

/// A counter that moved.
#[derive(Debug, Serialize)]
pub struct MetricDelta {
    /// The Prometheus name.
    pub name: String,
    /// Its labels.
    #[serde(serialize_with = "as_map")]
    pub labels: Vec<(String, String)>,
    /// By how much.
    pub delta: u64,
}

/// A log line.
#[derive(Debug, Serialize)]
pub struct LogLine {
    /// Its level.
    pub level: &'static str,
    /// Its text.
    pub message: String,
}

impl LogLine {
    /// The host's log records of one stream or connection, as the report shows them.
    pub fn all(records: &[&proxy_wasm_host::LogRecord]) -> Vec<Self> {
        records
            .iter()
            .map(|record| Self {
                level: record.level.as_str(),
                message: record.message.clone(),
            })
            .collect()
    }
}

/// Fuel per callback and in total.
#[derive(Debug, Serialize)]
pub struct Fuel {
    /// `proxy_on_request_headers`.
    pub request_headers: u64,
    /// Every callback of the stream, creation to deletion.
    pub total: u64,
}

impl Report {
    /// The report as aligned text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |key: &str, value: &str| {
            out.push_str(&format!("{key:<10}{value}\n"));
        };
        let peer = self
            .peer
            .as_deref()
            .map_or_else(|| "no mTLS peer".to_owned(), |p| format!("mTLS peer {p}"));
        line(
            "request",
            &format!("{} ({}, {peer})", self.request, self.direction),
        );
        line(
            "node",
            &identity(
                Some(&self.node.cluster),
                self.node.region.as_deref(),
                self.node.zone.as_deref(),
            ),
        );
        line("source", &self.source_text());
        if let Some(text) = self.peer_text() {
            line("peer", &text);
        }
        if let Some(mismatch) = &self.mismatch {
            line("mismatch", &mismatch_text(mismatch));
        }
        match &self.reply {
            Some(reply) => {
                line("decision", "DENY");
                line("reply", &reply.status.to_string());
                for (name, value) in &reply.headers {
                    line("", &format!("{name}: {value}"));
                }
                line("", &reply.body);
            }
            None => line("decision", "PASS"),
        }
        if self.header_changes.is_empty() {
            line("headers", "(unchanged)");
        }
        for (i, change) in self.header_changes.iter().enumerate() {
            let key = if i == 0 { "headers" } else { "" };
            let text = match change.change {
                "set" => format!("{}: {}", change.header, change.value),
                _ => format!("{} removed (was {})", change.header, change.value),
            };
            line(key, &text);
        }
        for (i, tag) in self.tags.iter().flatten().enumerate() {
            let key = if i == 0 { "tags" } else { "" };
            let text = match &tag.value {
                Some(value) => format!("{}: {value}", tag.header),
                None => format!("{} (none)", tag.header),
            };
            line(key, &text);
        }
        let route = match (&self.route_region, self.route_cache_cleared) {
            (Some(region), true) => format!("{region} (route cache cleared)"),
            (Some(region), false) => region.clone(),
            (None, true) => "(none; route cache cleared)".to_owned(),
            (None, false) => "(none)".to_owned(),
        };
        line("route", &route);
        metric_and_log_lines(&self.metrics, &self.logs, &mut line);
        line(
            "fuel",
            &format!(
                "{} (request headers {})",
                self.fuel.total, self.fuel.request_headers
            ),
        );
        for note in &self.notes {
            line("note", note);
        }
        out
    }
}

impl Report {
    fn source_text(&self) -> String {
        let source = &self.source;
        let who = || {
            identity(
                source.cluster.as_deref(),
                source.region.as_deref(),
                source.zone.as_deref(),
            )
        };
        match source.kind {
            SourceKind::Local => format!("local: {}", who()),
            SourceKind::Trusted => format!("the trusted peer's tags: {}", who()),
            SourceKind::Bound => format!("bound to the certificate: {}", who()),
            SourceKind::Unknown => match &source.reason {
                Some(reason) => format!("unknown ({reason}); counted, tags removed"),
                None => "unknown; counted, tags removed".to_owned(),
            },
        }
    }

    fn peer_text(&self) -> Option<String> {
        peer_line(
            &self.peer_entry,
            self.source.kind,
            "the peer's tags are believed",
        )
    }
}

/// The `peer` line: the matched entry and what it does; `tags` says what an entry
/// that believes tags does. `None` when there was nothing to match.
pub fn peer_line(entry: &PeerEntry, source: SourceKind, tags: &str) -> Option<String> {
    let text = match entry {
        PeerEntry::NotApplicable => return None,
        PeerEntry::Unavailable(why) => format!("(entry not known: {why})"),
        PeerEntry::NoMatch => "matches no trustedPeers entry".to_owned(),
        PeerEntry::Matched(peer) => {
            let entry = format!("trustedPeers[{}] {}", peer.entry, peer.pattern);
            match (&peer.bound_cluster, peer.binding) {
                (None, _) => format!("{entry}: {tags}"),
                (Some(cluster), _) if source == SourceKind::Unknown => format!(
                    "{entry}: captures cluster {cluster} from the certificate, which \
                     `clusters` does not list"
                ),
                (Some(cluster), "captured") => {
                    format!("{entry}: the certificate binds cluster {cluster} (captured)")
                }
                (Some(cluster), _) => {
                    format!("{entry}: the certificate binds cluster {cluster}")
                }
            }
        }
    };
    Some(text)
}

/// `cluster X, region Y[, zone Z]`: the region is always said, `unknown` when it
/// is; the zone only when known.
pub fn identity(cluster: Option<&str>, region: Option<&str>, zone: Option<&str>) -> String {
    let mut text = format!(
        "cluster {}, region {}",
        cluster.unwrap_or("unknown"),
        region.unwrap_or("unknown")
    );
    if let Some(zone) = zone {
        text.push_str(&format!(", zone {zone}"));
    }
    text
}

fn mismatch_text(mismatch: &Mismatch) -> String {
    let said = mismatch.claimed.as_deref().map_or_else(
        || "the cluster tag was repeated".to_owned(),
        |claimed| format!("the cluster tag said {claimed}"),
    );
    let counted = match (mismatch.counted, mismatch.logged) {
        (true, true) => ", counted and logged",
        (true, false) => ", counted",
        (false, true) => ", logged",
        (false, false) => "",
    };
    format!(
        "{said}: overruled by the certificate's {}{counted}",
        mismatch.cluster
    )
}

/// The counters that moved and the lines logged, as text lines (`line(key, value)`),
/// the key only on the first of each: what a request's report and a connection's
/// end with.
pub fn metric_and_log_lines(
    metrics: &[MetricDelta],
    logs: &[LogLine],
    line: &mut impl FnMut(&str, &str),
) {
    if metrics.is_empty() {
        line("metrics", "(none)");
    }
    for (i, metric) in metrics.iter().enumerate() {
        let key = if i == 0 { "metrics" } else { "" };
        line(key, &format!("{} +{}", prometheus(metric), metric.delta));
    }
    for (i, log) in logs.iter().enumerate() {
        let key = if i == 0 { "log" } else { "" };
        line(key, &format!("{} {}", log.level, log.message));
    }
}

pub fn prometheus(metric: &MetricDelta) -> String {
    if metric.labels.is_empty() {
        return metric.name.clone();
    }
    let labels: Vec<String> = metric
        .labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    format!("{}{{{}}}", metric.name, labels.join(","))
}

/// Name-value pairs as a JSON object, in their order.
fn as_map<S: Serializer>(pairs: &[(String, String)], serializer: S) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (name, value) in pairs {
        map.serialize_entry(name, value)?;
    }
    map.end()
}

/// The matched entry, or `null`.
pub fn matched_entry<S: Serializer>(entry: &PeerEntry, serializer: S) -> Result<S::Ok, S::Error> {
    match entry {
        PeerEntry::Matched(peer) => serializer.serialize_some(peer),
        PeerEntry::NotApplicable | PeerEntry::Unavailable(_) | PeerEntry::NoMatch => {
            serializer.serialize_none()
        }
    }
}

/// The tags as a JSON object from header to value (`null` when absent), or `null`
/// for a denied request.
fn optional_tags<S: Serializer>(tags: &Option<Vec<Tag>>, serializer: S) -> Result<S::Ok, S::Error> {
    let Some(tags) = tags else {
        return serializer.serialize_none();
    };
    let mut map = serializer.serialize_map(Some(tags.len()))?;
    for tag in tags {
        map.serialize_entry(tag.header, &tag.value)?;
    }
    map.end()
}
