//! Every `pluginConfig` istio/ ships configures the real filter: each WasmPlugin,
//! as written and as every kustomization renders it, is loaded into a real Envoy
//! with the release `.wasm` the way Istio loads it, and `envoy --mode validate` runs
//! the filter's `on_configure` on it. A configuration the filter refuses fails.
//! And every one of them, on a node in a zone, tags its requests with that zone.

use super::support::envoy::{self, Node};
use super::support::kustomize::OVERLAYS;
use super::support::shipped::{self, named};
use crate::wasm::fixtures::{get, node, outbound};
use meshborder_e2e::paths;
use meshborder_filter::contract::header::SOURCE_ZONE;
use serde_json::Value;

/// The zone of the nodes the zone tests run on (istio/kind/ labels it so).
const NODE_ZONE: &str = "us-east-1a";

#[test]
fn every_shipped_plugin_config_configures_the_real_filter() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("istio-plugin-config").unwrap();
    let plugins = shipped::all_plugins().unwrap();
    assert!(
        plugins.len() >= 10,
        "too few WasmPlugins found: {}",
        plugins.len()
    );
    for (index, (origin, plugin)) in plugins.iter().enumerate() {
        let bootstrap = envoy::bootstrap(plugin, &Node::for_plugin(plugin), &wasm, None).unwrap();
        let path =
            envoy::write_json(&run_dir, &format!("plugin-{index}.json"), &bootstrap).unwrap();
        envoy::validate(&path, None).unwrap_or_else(|e| panic!("{origin}, {}: {e}", plugin.id()));
    }
}

#[test]
fn a_plugin_config_the_filter_refuses_fails_the_same_check() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("istio-plugin-config-refused").unwrap();
    let rendered = shipped::plugins_in_build("overlays/us-east").unwrap();
    let mut plugin = rendered
        .into_iter()
        .find(|plugin| plugin.metadata.name.as_deref() == Some("meshborder"))
        .unwrap();
    let config = plugin.spec.plugin_config.as_mut().unwrap();
    config["residency"]["rules"][0]["allowSourceRegions"] = Value::from(vec!["eu-wst"]);

    let bootstrap = envoy::bootstrap(&plugin, &Node::for_plugin(&plugin), &wasm, None).unwrap();
    let path = envoy::write_json(&run_dir, "refused.json", &bootstrap).unwrap();
    let error = envoy::validate(&path, None).unwrap_err();
    assert!(
        error.contains("eu-wst"),
        "the refusal does not name the typo: {error}"
    );
}

#[test]
fn every_shipped_plugin_tags_its_requests_with_the_zone_of_its_node() {
    for (origin, plugin) in shipped::all_plugins().unwrap() {
        let identity = Node::for_plugin(&plugin);
        let config = plugin.plugin_config_json().unwrap();
        let mut vm = node(&config, &identity.cluster, &identity.region)
            .unwrap()
            .property(["xds", "node", "locality", "zone"], NODE_ZONE)
            .start()
            .unwrap_or_else(|e| panic!("{origin}, {}: {e}", plugin.id()));
        let mut stream = outbound(&mut vm);
        let forged = [(SOURCE_ZONE, "somewhere-else-1z")];
        stream
            .request_headers(&get("catalog.shop.svc.cluster.local", "/", &forged), true)
            .unwrap();
        assert_eq!(
            stream.request_header(SOURCE_ZONE),
            Some(NODE_ZONE),
            "{origin}, {}: the zone comes from the node, nothing to configure",
            plugin.id()
        );
    }
}

#[test]
fn the_sidecar_plugin_enforces_before_authorization_on_both_sides_and_fails_closed() {
    let plugin = shipped::in_file("base/wasmplugin-sidecar.yaml").unwrap();
    assert_eq!(plugin.spec.phase.as_deref(), Some("AUTHZ"));
    assert_eq!(plugin.spec.fail_strategy.as_deref(), Some("FAIL_CLOSE"));
    assert_eq!(plugin.modes(), [Some("CLIENT_AND_SERVER")]);
    let labels = &plugin.spec.selector.as_ref().unwrap().match_labels;
    assert_eq!(
        labels.get("meshborder").map(String::as_str),
        Some("enabled")
    );
    assert_eq!(
        plugin.metadata.namespace.as_deref(),
        Some("istio-system"),
        "the root namespace"
    );
}

#[test]
fn the_gateway_plugin_runs_on_the_client_side_of_the_ingress_gateway() {
    let plugin = shipped::in_file("base/wasmplugin-gateway.yaml").unwrap();
    assert_eq!(
        plugin.modes(),
        [Some("CLIENT")],
        "a gateway only sends into the mesh"
    );
    let labels = &plugin.spec.selector.as_ref().unwrap().match_labels;
    assert_eq!(
        labels.get("istio").map(String::as_str),
        Some("ingressgateway")
    );
    let config = plugin.spec.plugin_config.as_ref().unwrap();
    assert!(!config.contains_key("residency"), "routing only");
    assert!(
        !config.contains_key("trustedPeers"),
        "a gateway believes no tag from the internet"
    );
}

#[test]
fn both_plugins_of_a_cluster_name_the_same_cluster_and_region() {
    for overlay in OVERLAYS.iter().map(|overlay| overlay.dir) {
        let rendered = shipped::plugins_in_build(overlay).unwrap();
        let sidecar = Node::for_plugin(named(&rendered, "meshborder").unwrap());
        let gateway = Node::for_plugin(named(&rendered, "meshborder-gateway").unwrap());
        assert_eq!(
            (sidecar.cluster, sidecar.region),
            (gateway.cluster, gateway.region),
            "{overlay}"
        );
    }
}
