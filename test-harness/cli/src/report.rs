//! What `meshborder simulate` found out, as one value printed as text or JSON.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The whole decision.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The request line, e.g. `GET http://eu-user-data/users/1`.
    pub request: String,
    /// `inbound` or `outbound`.
    pub direction: &'static str,
    /// The mTLS peer, if any.
    pub peer: Option<String>,
    /// The local cluster and region the filter configured with.
    pub node: Node,
    /// `deny` or `pass`.
    pub decision: &'static str,
    /// The local reply, when the filter denied the request.
    pub reply: Option<Reply>,
    /// Request headers the filter set or removed, in order.
    pub header_changes: Vec<HeaderChange>,
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
}

/// The local cluster and region.
#[derive(Debug, Serialize)]
pub struct Node {
    /// The cluster.
    pub cluster: String,
    /// The region, if known.
    pub region: Option<String>,
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
        let region = self.node.region.as_deref().unwrap_or("unknown");
        line(
            "node",
            &format!("cluster {}, region {region}", self.node.cluster),
        );
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
        let route = match (&self.route_region, self.route_cache_cleared) {
            (Some(region), true) => format!("{region} (route cache cleared)"),
            (Some(region), false) => region.clone(),
            (None, true) => "(none; route cache cleared)".to_owned(),
            (None, false) => "(none)".to_owned(),
        };
        line("route", &route);
        if self.metrics.is_empty() {
            line("metrics", "(none)");
        }
        for (i, metric) in self.metrics.iter().enumerate() {
            let key = if i == 0 { "metrics" } else { "" };
            line(key, &format!("{} +{}", prometheus(metric), metric.delta));
        }
        for (i, log) in self.logs.iter().enumerate() {
            let key = if i == 0 { "log" } else { "" };
            line(key, &format!("{} {}", log.level, log.message));
        }
        line(
            "fuel",
            &format!(
                "{} (request headers {})",
                self.fuel.total, self.fuel.request_headers
            ),
        );
        out
    }
}

fn prometheus(metric: &MetricDelta) -> String {
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
