//! `networking.istio.io` `VirtualService`, `DestinationRule` and `Gateway`, from
//! Istio's `networking/v1alpha3/{virtual_service,destination_rule,gateway}.proto`
//! (the `v1` resources have the same schema).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::k8s::ObjectMeta;

/// A VirtualService.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VirtualService {
    /// `networking.istio.io/v1` (or v1beta1, v1alpha3).
    pub api_version: String,
    /// `VirtualService`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: VirtualServiceSpec,
}

/// `spec` of a VirtualService.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VirtualServiceSpec {
    /// Destination hosts the routes apply to.
    pub hosts: Option<Vec<String>>,
    /// `mesh` and/or `namespace/gateway`.
    pub gateways: Option<Vec<String>>,
    /// HTTP routes, in order.
    pub http: Option<Vec<HttpRoute>>,
    /// TLS routes (opaque).
    pub tls: Option<Vec<Value>>,
    /// TCP routes (opaque).
    pub tcp: Option<Vec<Value>>,
    /// Namespaces the resource is visible to.
    pub export_to: Option<Vec<String>>,
}

/// One HTTP route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpRoute {
    /// Route name.
    pub name: Option<String>,
    /// Conditions, any of which selects the route.
    #[serde(rename = "match")]
    pub match_: Option<Vec<HttpMatchRequest>>,
    /// Where to send the request.
    pub route: Option<Vec<HttpRouteDestination>>,
    /// Redirect (opaque).
    pub redirect: Option<Value>,
    /// Direct response (opaque).
    pub direct_response: Option<Value>,
    /// Delegate (opaque).
    pub delegate: Option<Value>,
    /// Rewrite (opaque).
    pub rewrite: Option<Value>,
    /// Timeout.
    pub timeout: Option<String>,
    /// Retries (opaque).
    pub retries: Option<Value>,
    /// Fault injection (opaque).
    pub fault: Option<Value>,
    /// Mirror destination (opaque).
    pub mirror: Option<Value>,
    /// Mirrors (opaque).
    pub mirrors: Option<Vec<Value>>,
    /// Deprecated mirror percentage.
    pub mirror_percent: Option<u32>,
    /// Mirror percentage (opaque).
    pub mirror_percentage: Option<Value>,
    /// CORS (opaque).
    pub cors_policy: Option<Value>,
    /// Header manipulation (opaque).
    pub headers: Option<Value>,
}

/// One match condition; all given fields must hold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpMatchRequest {
    /// Match name.
    pub name: Option<String>,
    /// Path.
    pub uri: Option<StringMatch>,
    /// Scheme.
    pub scheme: Option<StringMatch>,
    /// Method.
    pub method: Option<StringMatch>,
    /// Authority.
    pub authority: Option<StringMatch>,
    /// Request headers, by lowercase name.
    pub headers: Option<BTreeMap<String, StringMatch>>,
    /// Port.
    pub port: Option<u32>,
    /// Caller's pod labels.
    pub source_labels: Option<BTreeMap<String, String>>,
    /// Gateways.
    pub gateways: Option<Vec<String>>,
    /// Query parameters.
    pub query_params: Option<BTreeMap<String, StringMatch>>,
    /// Case-insensitive path match.
    pub ignore_uri_case: Option<bool>,
    /// Headers that must be absent.
    pub without_headers: Option<BTreeMap<String, StringMatch>>,
    /// Caller's namespace.
    pub source_namespace: Option<String>,
    /// Stat prefix.
    pub stat_prefix: Option<String>,
}

/// A string match: exactly one of the three.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StringMatch {
    /// Exact value.
    pub exact: Option<String>,
    /// Prefix.
    pub prefix: Option<String>,
    /// RE2 regex.
    pub regex: Option<String>,
}

/// A weighted destination.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpRouteDestination {
    /// The destination.
    pub destination: Destination,
    /// Weight.
    pub weight: Option<i32>,
    /// Header manipulation (opaque).
    pub headers: Option<Value>,
}

/// A destination service and subset.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// Service host.
    pub host: String,
    /// Subset of its DestinationRule.
    pub subset: Option<String>,
    /// Port (opaque).
    pub port: Option<Value>,
}

/// A DestinationRule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DestinationRule {
    /// `networking.istio.io/v1` (or v1beta1, v1alpha3).
    pub api_version: String,
    /// `DestinationRule`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: DestinationRuleSpec,
}

/// `spec` of a DestinationRule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DestinationRuleSpec {
    /// The service.
    pub host: String,
    /// Policy for every subset.
    pub traffic_policy: Option<TrafficPolicy>,
    /// Named subsets.
    pub subsets: Option<Vec<Subset>>,
    /// Namespaces the resource is visible to.
    pub export_to: Option<Vec<String>>,
    /// Workloads the rule applies to (opaque).
    pub workload_selector: Option<Value>,
}

/// A traffic policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrafficPolicy {
    /// Load balancing.
    pub load_balancer: Option<LoadBalancerSettings>,
    /// Connection pool (opaque).
    pub connection_pool: Option<Value>,
    /// Outlier detection.
    pub outlier_detection: Option<OutlierDetection>,
    /// Upstream TLS (opaque).
    pub tls: Option<Value>,
    /// Per-port policies (opaque).
    pub port_level_settings: Option<Vec<Value>>,
    /// Tunnel (opaque).
    pub tunnel: Option<Value>,
    /// PROXY protocol (opaque).
    pub proxy_protocol: Option<Value>,
    /// Retry budget (opaque).
    pub retry_budget: Option<Value>,
}

/// Load balancing settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoadBalancerSettings {
    /// `ROUND_ROBIN`, `LEAST_REQUEST`, ...
    pub simple: Option<String>,
    /// Consistent hashing (opaque).
    pub consistent_hash: Option<Value>,
    /// Locality load balancing.
    pub locality_lb_setting: Option<LocalityLbSetting>,
    /// Zone-aware load balancing (opaque).
    pub zone_aware_lb_setting: Option<Value>,
    /// Deprecated warm-up duration.
    pub warmup_duration_secs: Option<String>,
    /// Warm-up (opaque).
    pub warmup: Option<Value>,
}

/// Locality load balancing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LocalityLbSetting {
    /// Weighted distribution per source locality.
    pub distribute: Option<Vec<Distribute>>,
    /// Region to fail over to, per region.
    pub failover: Option<Vec<Failover>>,
    /// Labels that rank endpoints.
    pub failover_priority: Option<Vec<String>>,
    /// On or off for this rule.
    pub enabled: Option<bool>,
}

/// `distribute` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distribute {
    /// Source locality.
    pub from: String,
    /// Destination localities and weights.
    pub to: BTreeMap<String, u32>,
}

/// `failover` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failover {
    /// Region whose endpoints became unhealthy.
    pub from: String,
    /// Region to send the traffic to instead.
    pub to: String,
}

/// Outlier detection.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OutlierDetection {
    /// Deprecated.
    pub consecutive_errors: Option<i32>,
    /// Separate local-origin errors.
    pub split_external_local_origin_errors: Option<bool>,
    /// Local-origin failures before ejection.
    pub consecutive_local_origin_failures: Option<u32>,
    /// 502/503/504 before ejection.
    pub consecutive_gateway_errors: Option<u32>,
    /// 5xx before ejection.
    #[serde(rename = "consecutive5xxErrors")]
    pub consecutive_5xx_errors: Option<u32>,
    /// Sweep interval.
    pub interval: Option<String>,
    /// Minimum ejection time.
    pub base_ejection_time: Option<String>,
    /// Most of the pool that may be ejected.
    pub max_ejection_percent: Option<i32>,
    /// Healthy share below which ejection stops.
    pub min_health_percent: Option<i32>,
    /// Extra status codes counted as errors.
    pub outlier_detection_http_error_codes: Option<Vec<u32>>,
}

/// A subset.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Subset {
    /// Name, referred to by routes.
    pub name: String,
    /// Endpoint labels that select it.
    pub labels: Option<BTreeMap<String, String>>,
    /// Policy for this subset.
    pub traffic_policy: Option<TrafficPolicy>,
}

/// A Gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Gateway {
    /// `networking.istio.io/v1` (or v1beta1, v1alpha3).
    pub api_version: String,
    /// `Gateway`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `spec`.
    pub spec: GatewaySpec,
}

/// `spec` of a Gateway.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySpec {
    /// Gateway pods, by label.
    pub selector: BTreeMap<String, String>,
    /// Listeners.
    pub servers: Vec<Server>,
}

/// A Gateway server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Server {
    /// Port.
    pub port: Port,
    /// Bind address.
    pub bind: Option<String>,
    /// Hosts served.
    pub hosts: Vec<String>,
    /// TLS (opaque).
    pub tls: Option<Value>,
    /// Default endpoint.
    pub default_endpoint: Option<String>,
    /// Name.
    pub name: Option<String>,
}

/// A Gateway port.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Port {
    /// Number.
    pub number: u32,
    /// `HTTP`, `HTTPS`, ...
    pub protocol: String,
    /// Name.
    pub name: String,
    /// Deprecated.
    pub target_port: Option<u32>,
}
