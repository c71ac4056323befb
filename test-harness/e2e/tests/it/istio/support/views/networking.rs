//! Views of `networking.istio.io` `VirtualService` and `DestinationRule`: the
//! routes by region header and the subsets and failover they lead to.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::Metadata;

/// A VirtualService.
#[derive(Debug, Deserialize)]
pub struct VirtualService {
    /// Its name.
    pub metadata: Metadata,
    /// Its spec.
    pub spec: VirtualServiceSpec,
}

/// The routes.
#[derive(Debug, Deserialize)]
pub struct VirtualServiceSpec {
    /// HTTP routes.
    pub http: Option<Vec<HttpRoute>>,
}

/// One HTTP route.
#[derive(Debug, Deserialize)]
pub struct HttpRoute {
    /// Its conditions.
    #[serde(rename = "match")]
    pub match_: Option<Vec<HttpMatchRequest>>,
    /// Where it goes.
    pub route: Option<Vec<HttpRouteDestination>>,
}

/// One condition.
#[derive(Debug, Deserialize)]
pub struct HttpMatchRequest {
    /// Header conditions, by name.
    pub headers: Option<BTreeMap<String, StringMatch>>,
}

/// A string match.
#[derive(Debug, Deserialize)]
pub struct StringMatch {
    /// Exact value.
    pub exact: Option<String>,
}

/// A weighted destination.
#[derive(Debug, Deserialize)]
pub struct HttpRouteDestination {
    /// The destination.
    pub destination: Destination,
}

/// A destination service and subset.
#[derive(Debug, Deserialize)]
pub struct Destination {
    /// Service host.
    pub host: String,
    /// Subset of its DestinationRule.
    pub subset: Option<String>,
}

/// A DestinationRule.
#[derive(Debug, Deserialize)]
pub struct DestinationRule {
    /// Its spec.
    pub spec: DestinationRuleSpec,
}

/// The host, its policy and its subsets.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationRuleSpec {
    /// The service.
    pub host: String,
    /// Its traffic policy.
    pub traffic_policy: Option<TrafficPolicy>,
    /// Its subsets.
    pub subsets: Option<Vec<Subset>>,
}

/// Load balancing and outlier detection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficPolicy {
    /// Load balancing.
    pub load_balancer: Option<LoadBalancerSettings>,
    /// Outlier detection, read only for whether it is there.
    pub outlier_detection: Option<Value>,
}

/// Load balancing.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerSettings {
    /// Locality-aware load balancing.
    pub locality_lb_setting: Option<LocalityLbSetting>,
}

/// Locality-aware load balancing.
#[derive(Debug, Deserialize)]
pub struct LocalityLbSetting {
    /// Where traffic goes when a region fails.
    pub failover: Option<Vec<Failover>>,
}

/// One failover step.
#[derive(Debug, Deserialize)]
pub struct Failover {
    /// From this region.
    pub from: String,
    /// To this one.
    pub to: String,
}

/// A subset.
#[derive(Debug, Deserialize)]
pub struct Subset {
    /// Its name.
    pub name: String,
    /// The labels that select its endpoints.
    pub labels: Option<BTreeMap<String, String>>,
}
