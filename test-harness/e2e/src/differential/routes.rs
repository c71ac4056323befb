//! The route tables of the shipped configs, as the host side follows them: a
//! caller's outbound sidecar (`outbound-sidecar.yaml`, `strip_any_host_port`)
//! sends `eu-user-data` and `eu-user-data.*` hosts, and any request the filter
//! routed to `eu-west-1`, to eu-west; everything else to its own app. eu-west
//! sends everything to its app. The ingress gateway (`gateway.yaml`) sends each
//! request to the app of the region the filter routed it to, and a request
//! without a known one to eu-west-1's.

use meshborder_filter::contract::header;

use super::presented::HeaderMap;
use crate::gateway::{EU_CENTRAL_APP, EU_WEST_APP, RegionApp, US_EAST_APP};

/// The virtual-host domains that live in eu-west only.
const EU_USER_DATA: &str = "eu-user-data";
/// The routing header value the outbound route table sends to eu-west.
const EU_WEST_ROUTE: &[u8] = b"eu-west-1";

/// Where a caller's sidecar sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundRoute {
    /// The app next to it.
    LocalApp,
    /// eu-west, over mTLS.
    EuWest,
}

/// The route the outbound sidecar picks for `map`, as the filter left it.
pub fn outbound(map: &HeaderMap) -> OutboundRoute {
    let value = |name: &str| {
        map.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    };
    let host =
        String::from_utf8_lossy(value(":authority").unwrap_or_default()).to_ascii_lowercase();
    let host = strip_port(&host);
    let eu_user_data = host == EU_USER_DATA
        || host
            .strip_prefix(EU_USER_DATA)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| !rest.is_empty());
    if eu_user_data || value(header::ROUTE_REGION) == Some(EU_WEST_ROUTE) {
        OutboundRoute::EuWest
    } else {
        OutboundRoute::LocalApp
    }
}

/// The app the gateway sends `map`, as the filter left it, to.
pub fn gateway(map: &HeaderMap) -> RegionApp {
    let route = map
        .iter()
        .find(|(k, _)| k == header::ROUTE_REGION)
        .map(|(_, v)| v.as_slice());
    [EU_WEST_APP, EU_CENTRAL_APP, US_EAST_APP]
        .into_iter()
        .find(|app| route == Some(app.region.as_bytes()))
        .unwrap_or(EU_WEST_APP)
}

/// `host` without a trailing `:port`.
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::presented::text_map as map;

    #[test]
    fn eu_user_data_hosts_and_the_eu_west_route_go_to_eu_west() {
        assert_eq!(
            outbound(&map(&[(":authority", "eu-user-data.shop:8080")])),
            OutboundRoute::EuWest
        );
        assert_eq!(
            outbound(&map(&[(":authority", "eu-user-data.")])),
            OutboundRoute::LocalApp
        );
        assert_eq!(
            outbound(&map(&[
                (":authority", "shop"),
                (header::ROUTE_REGION, "eu-west-1")
            ])),
            OutboundRoute::EuWest
        );
        assert_eq!(
            outbound(&map(&[(":authority", "shop")])),
            OutboundRoute::LocalApp
        );
    }
}
