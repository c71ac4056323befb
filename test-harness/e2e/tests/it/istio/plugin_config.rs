//! Every `pluginConfig` istio/ ships configures the real filter: each plugin (a
//! TrafficExtension, the form istio/ ships; `forms` shows that the WasmPlugin
//! form carries the same configuration), as written and as every kustomization
//! renders it, is loaded into a real Envoy
//! with the release `.wasm` the way Istio loads it (an HTTP plugin as an HTTP
//! filter on the side its `match` names, a `type: NETWORK` one as a network filter
//! in front of `tcp_proxy`), and `envoy --mode validate` runs the filter's
//! `on_configure` on it. A configuration the filter refuses fails. Every HTTP
//! plugin of the client side, on a node in a zone, tags its requests with that
//! zone; every TCP plugin closes the database port to the callers its rules forbid
//! and meters the connections of the others.

use std::collections::BTreeSet;

use super::support::envoy::{self, Node};
use super::support::files;
use super::support::kustomize::{BUILDS, DataPlane, MONITORING_BUILDS, OVERLAYS};
use super::support::shipped::{
    self, SIDECAR_HTTP, SIDECAR_HTTP_LABEL, SIDECAR_OUTBOUND, SIDECAR_TCP, config, named,
};
use super::support::trust_domains;
use super::support::views::plugin::{Form, Plugin, PluginType};
use crate::wasm::fixtures::{INBOUND, TRUSTED_SAN, get, node, outbound};
use meshborder_e2e::host::Counters;
use meshborder_e2e::paths;
use meshborder_e2e::tcp::{DATABASE_PORT, DATABASE_RULE, EU_WEST_TCP_PLUGIN};
use meshborder_filter::contract::header::SOURCE_ZONE;
use meshborder_filter::contract::{label, metric, value};
use proxy_wasm_host::{Action, Direction, PeerType, Vm};
use serde_json::Value;

/// The namespace and service account of the database replicas that connect in the
/// TCP tests.
const REPLICA: (&str, &str) = ("db", "replica");

/// The zone of the nodes the zone tests run on (istio/kind/ labels it so).
const NODE_ZONE: &str = "us-east-1a";

#[test]
fn every_shipped_plugin_config_configures_the_real_filter() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("istio-plugin-config").unwrap();
    let plugins = shipped::all_plugins().unwrap();
    assert!(
        plugins.len() >= 10,
        "too few plugins found: {}",
        plugins.len()
    );
    // As istio/ ships them: TrafficExtensions (the WasmPlugin form carries the same
    // configuration, field for field: `forms`).
    for (origin, plugin) in &plugins {
        assert_eq!(
            plugin.form,
            Form::TrafficExtension,
            "{origin}, {}",
            plugin.id()
        );
    }
    // The TCP plugin's file, and every build but the monitoring ones.
    let network = plugins
        .iter()
        .filter(|(_, plugin)| plugin.plugin_type() == PluginType::Network)
        .count();
    assert_eq!(
        network,
        1 + BUILDS.len() - MONITORING_BUILDS.len(),
        "network plugins checked"
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
    let mut plugin = named(&rendered, SIDECAR_OUTBOUND.name).unwrap().clone();
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
fn a_tcp_plugin_config_the_filter_refuses_fails_the_same_check_as_a_network_filter() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("istio-plugin-config-tcp-refused").unwrap();
    let rendered = shipped::plugins_in_build("overlays/eu-west").unwrap();
    let http = named(&rendered, SIDECAR_OUTBOUND.name).unwrap();
    let tcp = named(&rendered, SIDECAR_TCP).unwrap();
    // Two mistakes of someone who copies the HTTP plugin: its routing, and a host
    // condition in a rule. A `tcp` layer refuses both.
    let mut routed = tcp.clone();
    let routing = config(http, "routing").unwrap().clone();
    routed
        .spec
        .plugin_config
        .as_mut()
        .unwrap()
        .insert("routing".to_owned(), routing);
    let mut hosted = tcp.clone();
    let hosted_config = hosted.spec.plugin_config.as_mut().unwrap();
    hosted_config["residency"]["rules"][0]["match"]["hosts"] = Value::from(vec!["eu-user-db"]);
    for (index, (plugin, named_field)) in
        [(routed, "routing"), (hosted, "hosts")].iter().enumerate()
    {
        let bootstrap = envoy::bootstrap(plugin, &Node::for_plugin(plugin), &wasm, None).unwrap();
        let path =
            envoy::write_json(&run_dir, &format!("refused-{index}.json"), &bootstrap).unwrap();
        let error = envoy::validate(&path, None).unwrap_err();
        assert!(
            error.contains(named_field),
            "the refusal does not name `{named_field}`: {error}"
        );
    }
}

#[test]
fn every_plugin_runs_in_the_layer_its_configuration_names() {
    for (origin, plugin) in shipped::all_plugins().unwrap() {
        let layer = config(&plugin, "layer").and_then(Value::as_str);
        let expected = match plugin.plugin_type() {
            PluginType::Network => Some("tcp"),
            PluginType::Http => None,
        };
        assert_eq!(layer, expected, "{origin}, {}", plugin.id());
    }
}

#[test]
fn every_shipped_http_plugin_tags_its_requests_with_the_zone_of_its_node() {
    // Every HTTP plugin that may be on the caller's side: the sidecars' inbound one
    // and the waypoint's are always on the destination's (their `direction` says
    // so), and tag nothing.
    let http = shipped::all_plugins()
        .unwrap()
        .into_iter()
        .filter(|(_, plugin)| plugin.plugin_type() == PluginType::Http)
        .filter(|(_, plugin)| config(plugin, "direction") != Some(&Value::from("inbound")));
    for (origin, plugin) in http {
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
fn the_sidecar_http_plugins_enforce_before_authorization_one_on_each_side_and_fail_closed() {
    for sidecar in SIDECAR_HTTP {
        let plugin = shipped::in_file(sidecar.file).unwrap();
        assert_eq!(plugin.metadata.name.as_deref(), Some(sidecar.name));
        assert_eq!(plugin.plugin_type(), PluginType::Http, "{}", sidecar.name);
        assert_eq!(
            plugin.spec.phase.as_deref(),
            Some("AUTHZ"),
            "{}",
            sidecar.name
        );
        assert_eq!(
            plugin.spec.fail_strategy.as_deref(),
            Some("FAIL_CLOSE"),
            "{}",
            sidecar.name
        );
        assert_eq!(plugin.modes(), [Some(sidecar.mode)], "{}", sidecar.name);
        assert_eq!(
            config(&plugin, "direction"),
            Some(&Value::from(sidecar.direction)),
            "{}: the side it runs on, named",
            sidecar.name
        );
        let selector = &plugin.spec.selector.as_ref().unwrap().match_labels;
        assert_eq!(
            selector.get("meshborder").map(String::as_str),
            Some("enabled"),
            "{}",
            sidecar.name
        );
        let labels = plugin.metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            labels.get(SIDECAR_HTTP_LABEL.0).map(String::as_str),
            Some(SIDECAR_HTTP_LABEL.1),
            "{}: the label the overlays select it by",
            sidecar.name
        );
        assert_eq!(
            plugin.metadata.namespace.as_deref(),
            Some("istio-system"),
            "{}: the root namespace",
            sidecar.name
        );
    }
}

#[test]
fn the_tcp_plugin_runs_on_the_server_side_of_the_database_port_before_authorization_and_fails_closed()
 {
    let plugin = shipped::in_file("base/plugin-sidecar-tcp.yaml").unwrap();
    assert_eq!(plugin.plugin_type(), PluginType::Network);
    assert_eq!(plugin.spec.type_.as_deref(), Some("NETWORK"));
    assert_eq!(plugin.spec.phase.as_deref(), Some("AUTHZ"));
    assert_eq!(plugin.spec.fail_strategy.as_deref(), Some("FAIL_CLOSE"));
    assert_eq!(
        plugin.modes(),
        [Some("SERVER")],
        "the inbound side, where the caller's certificate is known"
    );
    assert_eq!(plugin.match_ports(), [DATABASE_PORT]);
    for sidecar in SIDECAR_HTTP {
        let sidecar = shipped::in_file(sidecar.file).unwrap();
        assert_eq!(
            plugin.spec.selector.as_ref().unwrap().match_labels,
            sidecar.spec.selector.as_ref().unwrap().match_labels,
            "the pods that run the HTTP plugins"
        );
        assert_eq!(plugin.metadata.namespace, sidecar.metadata.namespace);
    }
    assert!(config(&plugin, "routing").is_none(), "routing is HTTP only");
}

#[test]
fn every_tcp_plugin_trusts_only_certificates_that_name_their_cluster() {
    for (origin, plugin) in network_plugins() {
        let peers = config(&plugin, "trustedPeers").and_then(Value::as_array);
        let peers = peers.unwrap_or_else(|| panic!("{origin}: no trustedPeers"));
        assert!(!peers.is_empty(), "{origin}: no trusted peer");
        for peer in peers {
            let bound = match peer {
                Value::String(pattern) => pattern.contains("{cluster}"),
                Value::Object(entry) => entry.contains_key("cluster"),
                _ => false,
            };
            assert!(
                bound,
                "{origin}: `{peer}` names no cluster, which makes every caller unknown at L4"
            );
        }
    }
}

#[test]
fn every_port_a_tcp_rule_names_is_a_port_its_plugin_runs_on() {
    for (origin, plugin) in network_plugins() {
        let runs_on: BTreeSet<u16> = plugin.match_ports().into_iter().collect();
        assert!(
            !runs_on.is_empty(),
            "{origin}: a NETWORK plugin on every port also runs in front of every HTTP port"
        );
        for rule in rules(&plugin) {
            for port in rule["match"]["ports"].as_array().into_iter().flatten() {
                let port = u16::try_from(port.as_u64().unwrap()).unwrap();
                assert!(
                    runs_on.contains(&port),
                    "{origin}: rule `{}` names port {port}, which the plugin never sees",
                    rule["name"]
                );
            }
        }
    }
}

#[test]
fn the_eu_database_rule_is_the_one_the_envoy_tests_run_against_postgres() {
    let rendered = shipped::plugins_in_build("overlays/eu-west").unwrap();
    let shipped_rule = rules(named(&rendered, SIDECAR_TCP).unwrap())
        .into_iter()
        .find(|rule| rule["name"] == DATABASE_RULE)
        .unwrap_or_else(|| panic!("eu-west has no `{DATABASE_RULE}` rule"));
    let tested = files::load_json(&paths::config_dir().join(EU_WEST_TCP_PLUGIN)).unwrap();
    let tested_rule = tested["residency"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["name"] == DATABASE_RULE)
        .unwrap();
    assert_eq!(&shipped_rule, tested_rule);
}

/// Every complete TCP plugin, in the files and in every build, with its origin.
fn network_plugins() -> Vec<(String, Plugin)> {
    let plugins: Vec<(String, Plugin)> = shipped::all_plugins()
        .unwrap()
        .into_iter()
        .filter(|(_, plugin)| plugin.plugin_type() == PluginType::Network)
        .map(|(origin, plugin)| (format!("{origin}, {}", plugin.id()), plugin))
        .collect();
    assert!(!plugins.is_empty(), "no TCP plugin");
    plugins
}

/// The residency rules of `plugin`, none if it has none.
fn rules(plugin: &Plugin) -> Vec<Value> {
    config(plugin, "residency")
        .and_then(|residency| residency.get("rules"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The regions `rule` lets callers come from: its `allowSourceRegions`, groups
/// expanded with `plugin`'s `regionGroups`; `None` when it does not constrain them.
fn allowed_source_regions(plugin: &Plugin, rule: &Value) -> Option<BTreeSet<String>> {
    let groups = config(plugin, "regionGroups");
    let listed = rule.get("allowSourceRegions")?.as_array()?;
    let mut regions = BTreeSet::new();
    for name in listed.iter().filter_map(Value::as_str) {
        match groups
            .and_then(|groups| groups.get(name))
            .and_then(Value::as_array)
        {
            Some(members) => {
                regions.extend(members.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            None => {
                regions.insert(name.to_owned());
            }
        }
    }
    Some(regions)
}

/// What happened to one connection.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Closed on its first bytes, none of them forwarded.
    Closed,
    /// Forwarded both ways.
    Passed,
}

/// One inbound connection to `port` over mTLS from `san`, 300 bytes up and 120
/// down if it is let through.
fn connect(vm: &mut Vm, port: u16, san: &str) -> Outcome {
    let mut connection = vm
        .tcp_stream()
        .property(["xds", "listener_direction"], INBOUND)
        .property(["destination", "port"], u64::from(port))
        .connection_mtls(san);
    assert_eq!(connection.new_connection().unwrap(), Action::Continue);
    let outcome = match connection.downstream_data(&[7; 300], false).unwrap() {
        Action::Continue => {
            assert_eq!(
                connection.upstream_data(&[8; 120], false).unwrap(),
                Action::Continue
            );
            connection.downstream_close(PeerType::Remote).unwrap();
            Outcome::Passed
        }
        Action::Pause => {
            assert!(connection.close_requested(), "paused but not closed");
            assert!(connection.passed(Direction::Downstream).is_empty());
            connection.downstream_close(PeerType::Local).unwrap();
            Outcome::Closed
        }
        other => panic!("the filter answered {other:?} to the caller's first bytes"),
    };
    connection.finish().unwrap();
    outcome
}

#[test]
fn every_shipped_tcp_plugin_closes_its_ports_to_the_callers_its_rules_forbid_and_meters_the_rest() {
    for (origin, plugin) in network_plugins() {
        let local = Node::for_plugin(&plugin);
        let config_json = plugin.plugin_config_json().unwrap();
        let clusters = config(&plugin, "clusters").unwrap().as_object().unwrap();
        let ports = plugin.match_ports();
        assert!(!ports.is_empty(), "{origin}: no port to connect to");
        for port in ports {
            let rule = rules(&plugin).into_iter().find(|rule| {
                rule["match"]["ports"]
                    .as_array()
                    .is_some_and(|ports| ports.contains(&Value::from(port)))
            });
            for (caller, entry) in clusters.iter().filter(|(name, _)| **name != local.cluster) {
                let region = entry["region"].as_str().unwrap();
                let forbidden = rule.as_ref().is_some_and(|rule| {
                    allowed_source_regions(&plugin, rule)
                        .is_some_and(|allowed| !allowed.contains(region))
                });
                let mut vm = node(&config_json, &local.cluster, &local.region)
                    .unwrap()
                    .start()
                    .unwrap_or_else(|e| panic!("{origin}: {e}"));
                // A workload of the caller's cluster, as its Istio names it (step 9).
                let san = trust_domains::of(caller)
                    .unwrap()
                    .spiffe_id(REPLICA.0, REPLICA.1);
                let outcome = connect(&mut vm, port, &san);
                if forbidden {
                    assert_eq!(
                        outcome,
                        Outcome::Closed,
                        "{origin}: {caller} on port {port}"
                    );
                    let name = rule
                        .as_ref()
                        .and_then(|rule| rule["name"].as_str())
                        .unwrap();
                    let denied = [(label::RULE, name), (label::DECISION, value::DENY)];
                    assert_eq!(
                        vm.counter(metric::RESIDENCY_DECISIONS.prometheus, &denied),
                        1,
                        "{origin}: {caller} on port {port}"
                    );
                    continue;
                }
                assert_eq!(
                    outcome,
                    Outcome::Passed,
                    "{origin}: {caller} on port {port}"
                );
                let pair = [
                    (label::SOURCE_CLUSTER, caller.as_str()),
                    (label::DESTINATION_CLUSTER, local.cluster.as_str()),
                ];
                assert_eq!(
                    vm.counter(metric::XCLUSTER_TCP_CONNECTIONS.prometheus, &pair),
                    1,
                    "{origin}: {caller} on port {port}"
                );
                for (direction, bytes) in [(value::RECEIVED, 300), (value::SENT, 120)] {
                    let labels = [
                        (label::DIRECTION, direction),
                        (label::SOURCE_CLUSTER, caller.as_str()),
                        (label::SOURCE_REGION, region),
                        (label::DESTINATION_CLUSTER, local.cluster.as_str()),
                        (label::DESTINATION_REGION, local.region.as_str()),
                    ];
                    assert_eq!(
                        vm.counter(metric::XCLUSTER_TCP_BYTES.prometheus, &labels),
                        bytes,
                        "{origin}: {caller} on port {port}, {direction}"
                    );
                }
            }

            // A certificate of the shared trust domain, which the HTTP plugin
            // trusts, names no cluster: at L4 an unknown caller, which a rule with
            // `unknownSource: deny` closes out.
            let mut vm = node(&config_json, &local.cluster, &local.region)
                .unwrap()
                .start()
                .unwrap();
            let outcome = connect(&mut vm, port, TRUSTED_SAN);
            assert_eq!(
                vm.counter(metric::UNKNOWN_SOURCE.prometheus, &[]),
                1,
                "{origin}: port {port}"
            );
            let denies_unknown = rule
                .as_ref()
                .is_some_and(|rule| rule.get("unknownSource").is_none_or(|deny| deny == "deny"));
            let expected = if denies_unknown {
                Outcome::Closed
            } else {
                Outcome::Passed
            };
            assert_eq!(
                outcome, expected,
                "{origin}: an unknown caller on port {port}"
            );
        }
    }
}

#[test]
fn the_gateway_plugin_runs_on_the_client_side_of_the_ingress_gateway() {
    let plugin = shipped::in_file("base/plugin-gateway.yaml").unwrap();
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
fn every_plugin_of_a_cluster_names_the_same_cluster_and_region() {
    for overlay in &OVERLAYS {
        let rendered = shipped::plugins_in_build(overlay.dir).unwrap();
        let expected = match overlay.data_plane {
            DataPlane::Sidecar => 4,
            DataPlane::Ambient => 5,
        };
        assert_eq!(
            rendered.len(),
            expected,
            "{}: the sidecars' three plugins (HTTP outbound and inbound, TCP) and the \
             gateway's (and the waypoint's)",
            overlay.dir
        );
        let sidecar = Node::for_plugin(named(&rendered, SIDECAR_OUTBOUND.name).unwrap());
        for plugin in &rendered {
            let other = Node::for_plugin(plugin);
            assert_eq!(
                (&sidecar.cluster, &sidecar.region),
                (&other.cluster, &other.region),
                "{}: {}",
                overlay.dir,
                plugin.id()
            );
        }
    }
}
