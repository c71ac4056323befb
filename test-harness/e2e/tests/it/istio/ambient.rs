//! The ambient overlay: the eu-west overlay plus a waypoint for the sample shop
//! and meshborder's HTTP plugin on it, attached by `targetRefs`, configured for
//! what a waypoint can know (istio/ambient.md). In the real filter, as the
//! waypoint runs it (an inbound listener, no peer certificate): every caller is
//! unknown and its tags are removed, EU user data is served only in the EU, and
//! routing works as in a sidecar. What a waypoint does in a cluster (HBONE, the
//! internal listener) is Istio's and is not run here.

use meshborder_e2e::host::Counters;
use meshborder_filter::contract::header::{
    DENIED_BY, ROUTE_REGION, SOURCE_CLUSTER, SOURCE_REGION, SOURCE_ZONE,
};
use meshborder_filter::contract::{label, metric, value};
use proxy_wasm_host::{HttpStream, Vm};
use serde_json::Value;

use super::support::kustomize::{self, DataPlane, OVERLAYS, Overlay};
use super::support::models::all_of_kind;
use super::support::shipped::{self, WAYPOINT, config, named};
use super::support::views::gateway_api::Gateway;
use super::support::views::plugin::{Form, Plugin};
use crate::wasm::fixtures::{TRUSTED_SAN, get, inbound, node};

/// The ambient overlay.
fn ambient() -> &'static Overlay {
    let mut ambient = OVERLAYS
        .iter()
        .filter(|overlay| overlay.data_plane == DataPlane::Ambient);
    let overlay = ambient.next().unwrap();
    assert!(ambient.next().is_none(), "more than one ambient overlay");
    overlay
}

/// The waypoint's plugin, as the ambient overlay renders it.
fn waypoint_plugin() -> Plugin {
    let rendered = shipped::plugins_in_build(ambient().dir).unwrap();
    named(&rendered, WAYPOINT).unwrap().clone()
}

/// The waypoint plugin started in the real filter, on a node of `cluster` in
/// `region` (a waypoint of that cluster, its identity set as the overlay sets it).
fn waypoint_in(cluster: &str, region: &str) -> Vm {
    let plugin = waypoint_plugin();
    let mut config = plugin.spec.plugin_config.clone().unwrap();
    config.insert("cluster".to_owned(), Value::from(cluster));
    config.insert("region".to_owned(), Value::from(region));
    let json = Value::Object(config).to_string();
    node(&json, cluster, region)
        .unwrap()
        .property(["xds", "node", "locality", "zone"], format!("{region}a"))
        .start()
        .unwrap_or_else(|e| panic!("{}: {e}", plugin.id()))
}

/// A request as the waypoint's HTTP filters see it: on an INBOUND listener (Istio
/// marks the waypoint's internal listener so), on a connection with no peer
/// certificate (ztunnel's mTLS ended on the HBONE listener in front of it).
fn at_waypoint(vm: &mut Vm) -> HttpStream<'_> {
    inbound(vm)
}

#[test]
fn the_ambient_overlay_renders_the_eu_west_overlay_plus_the_waypoint_and_its_plugin() {
    let overlay = ambient();
    let sidecar = kustomize::overlay(overlay.cluster, overlay.module, overlay.trust).unwrap();
    let sorted = |mut documents: Vec<Value>| {
        documents.sort_by_key(Value::to_string);
        documents
    };
    let rendered = kustomize::build(overlay.dir).unwrap();
    let (added, rest): (Vec<Value>, Vec<Value>) = rendered.into_iter().partition(|document| {
        document["kind"] == "Gateway" && document["apiVersion"] == "gateway.networking.k8s.io/v1"
            || document["metadata"]["name"] == WAYPOINT
    });
    assert_eq!(
        added.len(),
        2,
        "{}: the waypoint and its plugin",
        overlay.dir
    );
    assert_eq!(
        sorted(rest),
        sorted(kustomize::build(sidecar.dir).unwrap()),
        "{} is {} and the waypoint",
        overlay.dir,
        sidecar.dir
    );
}

#[test]
fn the_waypoint_plugin_is_attached_by_target_refs_to_the_waypoint_on_its_server_side() {
    let overlay = ambient();
    let documents = kustomize::build(overlay.dir).unwrap();
    let gateways: Vec<Gateway> = all_of_kind(
        &documents
            .iter()
            .filter(|document| document["apiVersion"] == "gateway.networking.k8s.io/v1")
            .cloned()
            .collect::<Vec<_>>(),
        "Gateway",
    )
    .unwrap();
    let [waypoint] = gateways.as_slice() else {
        panic!("{}: expected one waypoint, found {gateways:?}", overlay.dir);
    };
    assert_eq!(waypoint.spec.gateway_class_name, "istio-waypoint");
    assert!(
        waypoint
            .spec
            .listeners
            .iter()
            .any(|listener| listener.protocol == "HBONE" && listener.port == 15008),
        "the waypoint takes HBONE from ztunnel on 15008: {:?}",
        waypoint.spec.listeners
    );

    let plugin = waypoint_plugin();
    assert_eq!(plugin.form, Form::TrafficExtension);
    assert!(
        plugin.spec.selector.is_none(),
        "a waypoint is not selected by pod labels"
    );
    let targets = plugin.spec.target_refs.as_ref().unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(
        targets[0].group.as_deref(),
        Some("gateway.networking.k8s.io")
    );
    assert_eq!(targets[0].kind, "Gateway");
    assert_eq!(Some(&targets[0].name), waypoint.metadata.name.as_ref());
    assert_eq!(
        plugin.metadata.namespace, waypoint.metadata.namespace,
        "a target is in the plugin's namespace"
    );
    assert_eq!(
        plugin.modes(),
        [Some("SERVER")],
        "a waypoint's chains are inbound ones"
    );
    assert!(
        plugin.match_ports().is_empty(),
        "Istio matches a waypoint's plugins without a port"
    );
    assert_eq!(plugin.spec.phase.as_deref(), Some("AUTHZ"));
    assert_eq!(plugin.spec.fail_strategy.as_deref(), Some("FAIL_CLOSE"));
}

#[test]
fn the_waypoint_plugin_is_inbound_trusts_no_peer_and_asks_no_rule_about_the_caller() {
    let overlay = ambient();
    let plugin = waypoint_plugin();
    assert_eq!(config(&plugin, "direction"), Some(&Value::from("inbound")));
    assert_eq!(
        config(&plugin, "cluster"),
        Some(&Value::from(overlay.cluster))
    );
    assert_eq!(
        config(&plugin, "region"),
        Some(&Value::from(overlay.region))
    );
    let peers = config(&plugin, "trustedPeers").and_then(Value::as_array);
    assert!(
        peers.is_none_or(Vec::is_empty),
        "no certificate to trust: {peers:?}"
    );
    let rules = config(&plugin, "residency").unwrap()["rules"]
        .as_array()
        .unwrap();
    assert!(!rules.is_empty());
    for rule in rules {
        // The caller is always unknown here: a rule that asks about it would
        // refuse every request it matches.
        for field in ["allowSourceRegions", "allowSourceClusters"] {
            assert!(rule.get(field).is_none(), "{}: `{field}`", rule["name"]);
        }
        assert_eq!(rule["unknownSource"], "allow", "{}", rule["name"]);
        assert!(rule.get("allowLocalRegions").is_some(), "{}", rule["name"]);
    }
}

#[test]
fn on_the_waypoint_every_caller_is_unknown_and_no_forged_tag_reaches_the_application() {
    let mut vm = waypoint_in("eu-west", "eu-west-1");
    let forged = [
        (SOURCE_CLUSTER, "us-east"),
        (SOURCE_REGION, "us-east-1"),
        (SOURCE_ZONE, "us-east-1a"),
    ];
    let mut stream = at_waypoint(&mut vm).property(["request", "total_size"], 100_u64);
    stream
        .request_headers(&get("catalog.shop.svc.cluster.local", "/", &forged), true)
        .unwrap();
    for (header, _) in forged {
        assert_eq!(stream.request_header(header), None, "{header}");
    }
    stream
        .response_headers(&[(":status", "200")], true)
        .unwrap();
    stream.finish().unwrap();
    assert_eq!(vm.counter(metric::UNKNOWN_SOURCE.prometheus, &[]), 1);
    // Counted as from an unknown cluster, whatever cluster it came from: on a
    // waypoint the cross-cluster counters count every request.
    let pair = [
        (label::SOURCE_CLUSTER, value::UNKNOWN),
        (label::DESTINATION_CLUSTER, "eu-west"),
    ];
    assert_eq!(vm.counter(metric::XCLUSTER_REQUESTS.prometheus, &pair), 1);
    // And by zone not at all: only an established caller's zone is counted.
    let zones: Vec<_> = vm
        .metrics()
        .iter()
        .filter(|m| m.name.contains("xzone") && m.value != proxy_wasm_host::MetricValue::Counter(0))
        .cloned()
        .collect();
    assert!(zones.is_empty(), "{zones:?}");

    // Were a peer certificate ever visible there, it would not be believed either.
    let mut vm = waypoint_in("eu-west", "eu-west-1");
    let mut stream = at_waypoint(&mut vm).connection_mtls(TRUSTED_SAN);
    stream
        .request_headers(&get("catalog.shop.svc.cluster.local", "/", &forged), true)
        .unwrap();
    assert_eq!(stream.request_header(SOURCE_CLUSTER), None);
}

#[test]
fn the_waypoint_serves_eu_user_data_in_the_eu_and_refuses_it_outside() {
    let rule = config(&waypoint_plugin(), "residency").unwrap()["rules"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = get("eu-user-data.shop.svc.cluster.local", "/users/1", &[]);

    let mut vm = waypoint_in("eu-west", "eu-west-1");
    let mut stream = at_waypoint(&mut vm);
    stream.request_headers(&request, true).unwrap();
    assert!(
        stream.local_response().is_none(),
        "served in eu-west, from an unknown caller"
    );

    // The same waypoint in a US cluster, which failover could send EU traffic to.
    let mut vm = waypoint_in("us-east", "us-east-1");
    let mut stream = at_waypoint(&mut vm);
    stream.request_headers(&request, true).unwrap();
    let reply = stream.local_response().unwrap();
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header(DENIED_BY), Some(rule.as_str()));
}

#[test]
fn the_waypoint_routes_by_region_as_a_sidecar_does() {
    let mut vm = waypoint_in("eu-west", "eu-west-1");
    for (hint, region) in [
        (("cf-ipcountry", "DE"), "eu-west-1"),
        (("x-user-region", "us"), "us-east-1"),
    ] {
        let mut stream = at_waypoint(&mut vm);
        let request = get("catalog.shop.svc.cluster.local", "/", &[hint]);
        stream.request_headers(&request, true).unwrap();
        assert_eq!(
            stream.request_header(ROUTE_REGION),
            Some(region),
            "{hint:?}"
        );
    }
}
