//! Views of the Gateway API's `Gateway` and `HTTPRoute`
//! (`gateway.networking.k8s.io/v1`): the waypoint of the ambient overlay, and the
//! Envoy Gateway example's listener and routes.

use serde::Deserialize;

use super::Metadata;

/// A Gateway.
#[derive(Debug, Deserialize)]
pub struct Gateway {
    /// Its name and namespace.
    pub metadata: Metadata,
    /// Its spec.
    pub spec: GatewaySpec,
}

/// The spec fields the tests read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    /// Which controller runs it (`istio-waypoint`, `eg`, ...).
    pub gateway_class_name: String,
    /// Its listeners.
    pub listeners: Vec<Listener>,
}

/// One listener.
#[derive(Debug, Deserialize)]
pub struct Listener {
    /// Its port.
    pub port: u16,
    /// `HTTP`, `HTTPS`, `HBONE`, ...
    pub protocol: String,
}

/// An HTTPRoute.
#[derive(Debug, Deserialize)]
pub struct HttpRoute {
    /// Its spec.
    pub spec: HttpRouteSpec,
}

/// The spec fields the tests read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// The Gateways it attaches to.
    pub parent_refs: Vec<ParentRef>,
    /// Its rules, in order.
    pub rules: Vec<RouteRule>,
}

/// One `parentRefs` entry.
#[derive(Debug, Deserialize)]
pub struct ParentRef {
    /// The Gateway's name.
    pub name: String,
}

/// One rule.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRule {
    /// Its conditions; none means every request.
    pub matches: Option<Vec<RouteMatch>>,
    /// Where it sends the requests.
    pub backend_refs: Option<Vec<BackendRef>>,
}

/// One condition.
#[derive(Debug, Deserialize)]
pub struct RouteMatch {
    /// Header conditions.
    pub headers: Option<Vec<HeaderMatch>>,
}

/// One header condition (`type: Exact` by default).
#[derive(Debug, Deserialize)]
pub struct HeaderMatch {
    /// The header.
    pub name: String,
    /// The value it must have.
    pub value: String,
}

/// One backend.
#[derive(Debug, Deserialize)]
pub struct BackendRef {
    /// The Service's name.
    pub name: String,
}

impl HttpRoute {
    /// The value each rule requires of header `name`, in rule order (`None` for a
    /// rule that does not match on it), with the backends of the rule.
    pub fn routes_on(&self, name: &str) -> Vec<(Option<&str>, Vec<&str>)> {
        self.spec
            .rules
            .iter()
            .map(|rule| {
                let value = rule
                    .matches
                    .iter()
                    .flatten()
                    .flat_map(|m| m.headers.iter().flatten())
                    .find(|header| header.name.eq_ignore_ascii_case(name))
                    .map(|header| header.value.as_str());
                let backends = rule
                    .backend_refs
                    .iter()
                    .flatten()
                    .map(|backend| backend.name.as_str())
                    .collect();
                (value, backends)
            })
            .collect()
    }
}
