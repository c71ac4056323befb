//! The Envoy Gateway example (`envoy-gateway/`): its `EnvoyExtensionPolicy`,
//! `Gateway` and `HTTPRoute` are accepted by the CRD schemas of the Envoy Gateway
//! and Gateway API releases kept in `test-harness/e2e/crd-schemas/` (with the
//! validator of istio/'s tests, hence this module's place), the policy runs the
//! image istio/ pulls on the example's Gateway, and its plugin configuration
//! configures the real filter, which, on a listener as Envoy Gateway builds it (no
//! Istio node metadata, no traffic direction), tags requests with the configured
//! cluster and routes them to a region the HTTPRoute has a rule for.

use std::collections::BTreeSet;
use std::path::PathBuf;

use meshborder_e2e::paths;
use meshborder_filter::contract::header::{
    ROUTE_REGION, SOURCE_CLUSTER, SOURCE_REGION, SOURCE_ZONE,
};
use proxy_wasm_host::Vm;
use serde_json::Value;

use super::support::crds;
use super::support::files::{self, shown};
use super::support::models::{all_of_kind, with_renamed_field};
use super::support::shipped::{self, SIDECAR_OUTBOUND};
use super::support::views::envoy_gateway::{EnvoyExtensionPolicy, WasmExtension};
use super::support::views::gateway_api::{Gateway, HttpRoute};
use crate::wasm::fixtures::{filter, get, refusal};

/// The example's directory.
fn example_dir() -> PathBuf {
    paths::workspace_root().join("envoy-gateway")
}

/// Every document of every YAML file of the example, with its file.
fn documents() -> Vec<(String, Value)> {
    let files = files::files_ending_with(&example_dir(), &[".yaml", ".yml"]).unwrap();
    assert!(!files.is_empty(), "no YAML in envoy-gateway/");
    files
        .iter()
        .flat_map(|path| {
            files::load_yaml(path)
                .unwrap()
                .into_iter()
                .map(|document| (shown(path), document))
        })
        .collect()
}

fn all<T: serde::de::DeserializeOwned>(kind: &str) -> Vec<T> {
    let documents: Vec<Value> = documents().into_iter().map(|(_, d)| d).collect();
    all_of_kind(&documents, kind).unwrap()
}

/// The policy's one Wasm extension.
fn extension() -> WasmExtension {
    let mut policies: Vec<EnvoyExtensionPolicy> = all("EnvoyExtensionPolicy");
    assert_eq!(policies.len(), 1);
    let mut policy = policies.remove(0);
    assert_eq!(policy.spec.wasm.len(), 1, "one extension: meshborder");
    policy.spec.wasm.remove(0)
}

/// The extension's configuration, as the JSON string Envoy Gateway hands the
/// filter.
fn config_json() -> String {
    extension().config.unwrap().to_string()
}

/// The real filter with `config` on a proxy as Envoy Gateway runs it: a node with
/// no `CLUSTER_ID` and no locality region, in a zone.
fn envoy_gateway_proxy(config: &str) -> proxy_wasm_host::Plugin {
    filter(config)
        .unwrap()
        .property(["xds", "node", "locality", "zone"], "us-east-1b")
}

/// A request from the internet on an Envoy Gateway listener, which has no
/// `traffic_direction` and so no `listener_direction` property, with `headers`.
fn visit<'a>(vm: &'a mut Vm, headers: &[(&str, &str)]) -> proxy_wasm_host::HttpStream<'a> {
    let mut stream = vm.http_stream();
    stream
        .request_headers(&get("shop.example.com", "/", headers), true)
        .unwrap();
    stream
}

#[test]
fn every_resource_of_the_envoy_gateway_example_is_accepted_by_its_crd_schema() {
    let schemas = crds::envoy_gateway();
    let mut kinds = BTreeSet::new();
    for (file, document) in documents() {
        schemas
            .validate(&document)
            .unwrap_or_else(|errors| panic!("{file} on {}: {errors:#?}", schemas.release()));
        kinds.insert(document["kind"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        kinds,
        BTreeSet::from(["EnvoyExtensionPolicy", "Gateway", "HTTPRoute"].map(str::to_owned))
    );
}

#[test]
fn the_envoy_gateway_schemas_refuse_a_misspelt_field_and_a_target_they_cannot_attach_to() {
    let schemas = crds::envoy_gateway();
    let (_, policy) = documents()
        .into_iter()
        .find(|(_, d)| d["kind"] == "EnvoyExtensionPolicy")
        .unwrap();
    let misspelt = with_renamed_field(&policy, "/spec/wasm/0", "failOpen", "failopen").unwrap();
    let errors = schemas.validate(&misspelt).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/spec/wasm/0/failopen: ")),
        "{errors:#?}"
    );
    let mut service = policy;
    service["spec"]["targetRefs"][0]["kind"] = Value::from("Service");
    let errors = schemas.validate(&service).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("can only have a targetRefs[*].kind")),
        "{errors:#?}"
    );
}

#[test]
fn the_policy_runs_the_image_istio_pulls_on_the_example_gateway_and_fails_closed() {
    let policies: Vec<EnvoyExtensionPolicy> = all("EnvoyExtensionPolicy");
    let gateways: Vec<Gateway> = all("Gateway");
    let [policy] = policies.as_slice() else {
        panic!("one policy")
    };
    let [gateway] = gateways.as_slice() else {
        panic!("one Gateway")
    };
    let [target] = policy.spec.target_refs.as_slice() else {
        panic!("one target")
    };
    assert_eq!(target.kind, "Gateway");
    assert_eq!(target.group.as_deref(), Some("gateway.networking.k8s.io"));
    assert_eq!(Some(&target.name), gateway.metadata.name.as_ref());
    assert_eq!(policy.metadata.namespace, gateway.metadata.namespace);

    let extension = extension();
    assert_eq!(extension.name.as_deref(), Some("meshborder"));
    assert_eq!(
        extension.fail_open,
        Some(false),
        "a broken filter fails closed"
    );
    assert_eq!(extension.code.type_, "Image");
    let image = extension.code.image.unwrap();
    let istio = shipped::in_file(SIDECAR_OUTBOUND.file).unwrap();
    let pulled = istio
        .spec
        .url
        .as_deref()
        .unwrap()
        .strip_prefix("oci://")
        .unwrap();
    assert_eq!(
        image.url, pulled,
        "Envoy Gateway takes the image without a scheme"
    );
    assert_eq!(image.sha256, istio.spec.sha256, "the same digest to pin");
}

#[test]
fn the_example_configuration_tags_and_routes_in_the_real_filter_on_an_envoy_gateway_listener() {
    let config = config_json();
    let parsed: Value = serde_json::from_str(&config).unwrap();
    let mut vm = envoy_gateway_proxy(&config).start().unwrap();
    let forged = [
        (SOURCE_CLUSTER, "eu-west"),
        (SOURCE_REGION, "eu-west-1"),
        (SOURCE_ZONE, "eu-west-1a"),
        ("cf-ipcountry", "FR"),
    ];
    let stream = visit(&mut vm, &forged);
    assert_eq!(
        stream.request_header(SOURCE_CLUSTER),
        parsed["cluster"].as_str()
    );
    assert_eq!(
        stream.request_header(SOURCE_REGION),
        parsed["region"].as_str()
    );
    assert_eq!(stream.request_header(SOURCE_ZONE), Some("us-east-1b"));
    assert_eq!(stream.request_header(ROUTE_REGION), Some("eu-west-1"));
    assert!(stream.local_response().is_none());
}

#[test]
fn without_its_explicit_settings_the_configuration_would_not_tag_on_envoy_gateway() {
    let mut config: Value = serde_json::from_str(&config_json()).unwrap();
    let object = config.as_object_mut().unwrap();
    // No direction: a listener without one reads as inbound, the safe side, so the
    // visitor's tag is removed and none is set.
    let mut undirected = object.clone();
    undirected.remove("direction");
    let mut vm = envoy_gateway_proxy(&Value::Object(undirected).to_string())
        .start()
        .unwrap();
    let stream = visit(&mut vm, &[(SOURCE_CLUSTER, "eu-west")]);
    assert_eq!(stream.request_header(SOURCE_CLUSTER), None);
    // No cluster: Envoy Gateway's node has no CLUSTER_ID, so there is none at all.
    let mut anonymous = object.clone();
    anonymous.remove("cluster");
    let reason = refusal(&envoy_gateway_proxy(&Value::Object(anonymous).to_string())).unwrap();
    assert!(reason.contains("no local cluster"), "{reason}");
}

#[test]
fn every_region_the_example_routes_to_has_a_rule_of_its_http_route() {
    let config: Value = serde_json::from_str(&config_json()).unwrap();
    let routes: Vec<HttpRoute> = all("HTTPRoute");
    let gateways: Vec<Gateway> = all("Gateway");
    let [route] = routes.as_slice() else {
        panic!("one HTTPRoute")
    };
    assert!(
        route
            .spec
            .parent_refs
            .iter()
            .any(|parent| Some(&parent.name) == gateways[0].metadata.name.as_ref())
    );
    let rules = route.routes_on(ROUTE_REGION);
    let routed: BTreeSet<&str> = rules.iter().filter_map(|(region, _)| *region).collect();
    // Every region a country maps to, and the first region of every group.
    let mut reachable = BTreeSet::new();
    for source in config["routing"]["sources"].as_array().unwrap() {
        for region in source["countries"]
            .as_object()
            .into_iter()
            .flat_map(|c| c.values())
        {
            reachable.insert(region.as_str().unwrap());
        }
    }
    for group in config["regionGroups"].as_object().unwrap().values() {
        reachable.insert(group[0].as_str().unwrap());
    }
    assert_eq!(
        routed, reachable,
        "a rule for every region a country or a group leads to"
    );
    for (region, backends) in &rules {
        assert!(
            !backends.is_empty(),
            "the rule for {region:?} has no backend"
        );
    }
    assert_eq!(
        rules.last().map(|(region, _)| *region),
        Some(None),
        "the last rule takes requests without a routing decision"
    );
    // The same tables as istio/'s plugins, so both ingresses route alike.
    let sidecar = shipped::plugins_in_build("base").unwrap();
    let sidecar = shipped::named(&sidecar, SIDECAR_OUTBOUND.name).unwrap();
    let table = sidecar.spec.plugin_config.as_ref().unwrap();
    for key in ["clusters", "regionGroups"] {
        assert_eq!(config[key], table[key], "`{key}`");
    }
    assert_eq!(
        config["routing"]["sources"], table["routing"]["sources"],
        "`routing.sources`"
    );
}
