//! The names a user sees, as the product contract (SPEC.md) fixes them, each written
//! once: the headers the filter sets and reads, its metrics with their labels and
//! fixed label values, the deny reply and the fields and events of its log lines.
//!
//! Pure data, no proxy-wasm: the engine, the glue, and the crates that check the
//! filter from outside (the test rig, the `meshborder` CLI, built against this crate
//! with `default-features = false`) all import these, so a name cannot drift
//! between what the filter does and what is checked.

mod stat_name;

pub use stat_name::{StatName, parse_stat_name, stat_name};

/// Request headers.
pub mod header {
    /// The source-cluster tag: set outbound, believed or removed inbound.
    pub const SOURCE_CLUSTER: &str = "x-meshborder-source-cluster";
    /// The source-region tag: set outbound, made consistent or removed inbound.
    pub const SOURCE_REGION: &str = "x-meshborder-source-region";
    /// The source-zone tag: set outbound, believed with the source or removed inbound.
    pub const SOURCE_ZONE: &str = "x-meshborder-source-zone";
    /// The routing header the filter sets for the route table to match on.
    pub const ROUTE_REGION: &str = "x-meshborder-route-region";
    /// The header of a residency denial: the name of the rule that denied.
    pub const DENIED_BY: &str = "x-meshborder-denied-by";
    /// The request id, the one header value besides the request line that a
    /// decision log line carries.
    pub const REQUEST_ID: &str = "x-request-id";
}

/// The counters, under the names the filter defines them with.
pub mod metric {
    use super::label;

    /// One counter of the contract's Metrics table.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Metric {
        /// The name the filter defines the stat under, before its embedded tags
        /// (`meshborder.xcluster_bytes_total`).
        pub stat: &'static str,
        /// The name Prometheus shows (`meshborder_xcluster_bytes_total`): Envoy
        /// turns the dot into `_`.
        pub prometheus: &'static str,
        /// Its labels, in the order the filter writes them.
        pub labels: &'static [&'static str],
    }

    /// A metric from the part of its name after `meshborder`, spelt once for both
    /// of its forms.
    macro_rules! metric {
        ($name:literal, $labels:expr) => {
            Metric {
                stat: concat!("meshborder.", $name),
                prometheus: concat!("meshborder_", $name),
                labels: $labels,
            }
        };
    }

    /// Bytes of cross-cluster requests and responses, counted inbound.
    pub const XCLUSTER_BYTES: Metric = metric!(
        "xcluster_bytes_total",
        &[
            label::DIRECTION,
            label::SOURCE_CLUSTER,
            label::SOURCE_REGION,
            label::DESTINATION_CLUSTER,
            label::DESTINATION_REGION,
        ]
    );
    /// Cross-cluster requests, counted inbound.
    pub const XCLUSTER_REQUESTS: Metric = metric!(
        "xcluster_requests_total",
        &[label::SOURCE_CLUSTER, label::DESTINATION_CLUSTER]
    );
    /// Residency decisions that were not a plain allow.
    pub const RESIDENCY_DECISIONS: Metric =
        metric!("residency_decisions_total", &[label::RULE, label::DECISION]);
    /// Inbound requests whose source could not be established.
    pub const UNKNOWN_SOURCE: Metric = metric!("unknown_source_total", &[]);
    /// Bytes of requests and responses whose established source zone is not the
    /// local zone, counted inbound.
    pub const XZONE_BYTES: Metric = metric!(
        "xzone_bytes_total",
        &[
            label::DIRECTION,
            label::SOURCE_ZONE,
            label::DESTINATION_ZONE
        ]
    );
    /// Requests counted in [`XZONE_BYTES`].
    pub const XZONE_REQUESTS: Metric = metric!(
        "xzone_requests_total",
        &[label::SOURCE_ZONE, label::DESTINATION_ZONE]
    );
    /// Inbound requests whose cluster tag contradicted the peer's certificate,
    /// labelled with the certificate's cluster.
    pub const TAG_MISMATCH: Metric = metric!("tag_mismatch_total", &[label::SOURCE_CLUSTER]);

    /// L4: bytes of TCP connections from another cluster, counted inbound, `received`
    /// from the caller and `sent` to it.
    pub const XCLUSTER_TCP_BYTES: Metric = metric!(
        "xcluster_tcp_bytes_total",
        &[
            label::DIRECTION,
            label::SOURCE_CLUSTER,
            label::SOURCE_REGION,
            label::DESTINATION_CLUSTER,
            label::DESTINATION_REGION,
        ]
    );
    /// L4: connections counted in [`XCLUSTER_TCP_BYTES`].
    pub const XCLUSTER_TCP_CONNECTIONS: Metric = metric!(
        "xcluster_tcp_connections_total",
        &[label::SOURCE_CLUSTER, label::DESTINATION_CLUSTER]
    );

    /// The metrics an HTTP filter (an `http` layer) defines.
    pub const HTTP: [Metric; 7] = [
        XCLUSTER_BYTES,
        XCLUSTER_REQUESTS,
        RESIDENCY_DECISIONS,
        UNKNOWN_SOURCE,
        XZONE_BYTES,
        XZONE_REQUESTS,
        TAG_MISMATCH,
    ];
    /// The metrics a network filter (a `tcp` layer) defines.
    pub const TCP: [Metric; 4] = [
        XCLUSTER_TCP_BYTES,
        XCLUSTER_TCP_CONNECTIONS,
        RESIDENCY_DECISIONS,
        UNKNOWN_SOURCE,
    ];
    /// Every metric the filter defines, in either layer.
    pub const ALL: [Metric; 9] = [
        XCLUSTER_BYTES,
        XCLUSTER_REQUESTS,
        RESIDENCY_DECISIONS,
        UNKNOWN_SOURCE,
        XZONE_BYTES,
        XZONE_REQUESTS,
        TAG_MISMATCH,
        XCLUSTER_TCP_BYTES,
        XCLUSTER_TCP_CONNECTIONS,
    ];
}

/// Metric label names; envoy-config/'s `stats_tags` has one regex for each.
pub mod label {
    /// `request` or `response`.
    pub const DIRECTION: &str = "direction";
    /// The caller's cluster.
    pub const SOURCE_CLUSTER: &str = "source_cluster";
    /// The caller's region.
    pub const SOURCE_REGION: &str = "source_region";
    /// The local cluster.
    pub const DESTINATION_CLUSTER: &str = "destination_cluster";
    /// The local region.
    pub const DESTINATION_REGION: &str = "destination_region";
    /// The rule that decided.
    pub const RULE: &str = "rule";
    /// `deny` or `audit`.
    pub const DECISION: &str = "decision";
    /// The caller's zone.
    pub const SOURCE_ZONE: &str = "source_zone";
    /// The local zone.
    pub const DESTINATION_ZONE: &str = "destination_zone";

    /// Every label the filter writes.
    pub const ALL: [&str; 9] = [
        DIRECTION,
        SOURCE_CLUSTER,
        SOURCE_REGION,
        DESTINATION_CLUSTER,
        DESTINATION_REGION,
        RULE,
        DECISION,
        SOURCE_ZONE,
        DESTINATION_ZONE,
    ];
}

/// Fixed values of labels, of the deny body and of log fields.
pub mod value {
    /// `direction`: the request's bytes.
    pub const REQUEST: &str = "request";
    /// `direction`: the response's bytes.
    pub const RESPONSE: &str = "response";
    /// `direction` at L4: bytes the caller sent (Envoy's `%BYTES_RECEIVED%`).
    pub const RECEIVED: &str = "received";
    /// `direction` at L4: bytes sent back to the caller (Envoy's `%BYTES_SENT%`).
    pub const SENT: &str = "sent";
    /// `decision`: an enforced rule denied.
    pub const DENY: &str = "deny";
    /// `decision`: an audited rule would have denied.
    pub const AUDIT: &str = "audit";
    /// A source, cluster or region that could not be established.
    pub const UNKNOWN: &str = "unknown";
    /// A source cluster or region beyond the cardinality bound, or not configured.
    pub const OTHER: &str = "other";
}

/// The local reply of a residency denial.
pub mod reply {
    /// Its status.
    pub const STATUS: u32 = 403;
    /// Its `content-type`.
    pub const CONTENT_TYPE: &str = "application/json";
    /// Body field: what happened, always [`RESIDENCY_DENIED`].
    pub const ERROR: &str = "error";
    /// Body field: the rule that denied.
    pub const RULE: &str = "rule";
    /// Body field: the caller's cluster, or `unknown`.
    pub const SOURCE_CLUSTER: &str = "sourceCluster";
    /// Body field: the caller's region, or `unknown`.
    pub const SOURCE_REGION: &str = "sourceRegion";
    /// Body field: the local cluster.
    pub const CLUSTER: &str = "cluster";
    /// Body field: the local region, or `unknown`.
    pub const REGION: &str = "region";
    /// The body's fields, in the order they are written.
    pub const FIELDS: [&str; 6] = [ERROR, RULE, SOURCE_CLUSTER, SOURCE_REGION, CLUSTER, REGION];
    /// The value of `error`.
    pub const RESIDENCY_DENIED: &str = "residency_denied";
}

/// The JSON log lines: a decision line has the fields of the deny body and these.
pub mod log_line {
    /// The request's host, without port.
    pub const HOST: &str = "host";
    /// The request's path, without query.
    pub const PATH: &str = "path";
    /// The request's method.
    pub const METHOD: &str = "method";
    /// The deciding rule's mode: `enforce` or `audit`.
    pub const MODE: &str = "mode";
    /// The request id, when the request has one.
    pub const REQUEST_ID: &str = super::header::REQUEST_ID;
    /// L4: the connection's destination port, in place of host, path and method.
    pub const PORT: &str = "port";
    /// L4: the requested server name, when the connection asked for one.
    pub const SNI: &str = "sni";
    /// The `error` of an audit decision's line (a denial's is
    /// [`super::reply::RESIDENCY_DENIED`]).
    pub const RESIDENCY_AUDIT: &str = "residency_audit";
    /// The field naming a line that is not a decision.
    pub const EVENT: &str = "event";
    /// Event: a configuration was accepted.
    pub const CONFIGURED: &str = "configured";
    /// Event: the residency guard overrode a routing choice.
    pub const ROUTE_GUARDED: &str = "route_guarded";
    /// Event: a certificate-bound caller's cluster tag named another cluster.
    pub const TAG_MISMATCH: &str = "tag_mismatch";
    /// What the overruled cluster tag said, in a [`TAG_MISMATCH`] line.
    pub const CLAIMED_CLUSTER: &str = "claimedCluster";
    /// The peer's URI SAN, in a [`TAG_MISMATCH`] line.
    pub const PEER: &str = "peer";
    /// How many lines of the same event were not written since the last one.
    pub const SUPPRESSED: &str = "suppressed";
    /// What starts the error line of a configuration the filter refused; the
    /// reason follows.
    pub const REFUSED: &str = "meshborder configuration refused: ";
}
