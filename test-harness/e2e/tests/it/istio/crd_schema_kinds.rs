//! Tests of `crd_schema` on the kinds beyond the WasmPlugin and Istio's networking
//! resources: Istio 1.30's TrafficExtension, the Gateway API's and Envoy Gateway's
//! CRDs (where their files come from), and what their rules need of the validator:
//! defaults filled in first, and the strings library's `split`.

use serde_json::{Value, json};

use super::crd_schema::{assert_error_at, refused, with};
use super::support::crd_schema::CrdSchemas;
use super::support::crds::{ENVOY_GATEWAY, GATEWAY_API, all_releases, envoy_gateway, release};

fn traffic_extension(spec: Value) -> Value {
    json!({
        "apiVersion": "extensions.istio.io/v1alpha1",
        "kind": "TrafficExtension",
        "metadata": { "name": "meshborder", "namespace": "shop" },
        "spec": spec,
    })
}

fn valid_traffic_extension_spec() -> Value {
    json!({
        "selector": { "matchLabels": { "meshborder": "enabled" } },
        "phase": "AUTHZ",
        "match": [{ "mode": "SERVER" }],
        "wasm": {
            "url": "oci://ghcr.io/meshborder/meshborder:1.0.0",
            "failStrategy": "FAIL_RELOAD",
            "type": "HTTP",
            "pluginConfig": { "anything": ["goes"] },
        },
    })
}

#[test]
fn a_traffic_extension_needs_exactly_one_of_wasm_and_lua_and_one_attachment() {
    let schemas = release("istio-1.30");
    let valid = traffic_extension(valid_traffic_extension_spec());
    assert_eq!(schemas.validate(&valid), Ok(()));

    let lua = with(
        valid_traffic_extension_spec(),
        "/lua",
        json!({ "inlineCode": "function envoy_on_request(h) end" }),
    );
    let errors = refused(schemas, &traffic_extension(lua));
    assert_error_at(schemas, &errors, "/spec", "exactly one of wasm or lua");

    let target =
        json!([{ "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "waypoint" }]);
    let both = with(valid_traffic_extension_spec(), "/targetRefs", target);
    let errors = refused(schemas, &traffic_extension(both));
    assert_error_at(
        schemas,
        &errors,
        "/spec",
        "only one of targetRefs or selector",
    );

    // The module's fields belong under `wasm`: at the top, a WasmPlugin's place,
    // they are unknown.
    let flat = with(valid_traffic_extension_spec(), "/url", json!("oci://x"));
    let errors = refused(schemas, &traffic_extension(flat));
    assert_error_at(schemas, &errors, "/spec/url", "unknown field");
}

#[test]
fn a_traffic_extension_target_in_another_namespace_is_refused() {
    let target = json!([{ "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "waypoint", "namespace": "other" }]);
    let mut spec = valid_traffic_extension_spec();
    spec.as_object_mut().unwrap().remove("selector");
    let doc = traffic_extension(with(spec, "/targetRefs", target));
    let schemas = release("istio-1.30");
    let errors = refused(schemas, &doc);
    assert_error_at(
        schemas,
        &errors,
        "/spec/targetRefs/0/namespace",
        "cross namespace referencing is not currently supported",
    );
}

#[test]
fn the_gateway_api_and_envoy_gateway_files_name_their_repository_tag_and_commit() {
    let schemas = envoy_gateway();
    for (file, repository) in [
        (ENVOY_GATEWAY, "envoyproxy/gateway "),
        (GATEWAY_API, "kubernetes-sigs/gateway-api "),
    ] {
        let tag = file.rsplit('-').next().unwrap();
        assert!(
            schemas
                .sources()
                .iter()
                .any(|s| s.starts_with(&format!("{repository}{tag}, ")) && s.contains(", commit ")),
            "{file}: {:?}",
            schemas.sources()
        );
    }
    let kinds: Vec<&str> = schemas.kinds().collect();
    for kind in [
        "gateway.envoyproxy.io/v1alpha1/EnvoyExtensionPolicy",
        "gateway.networking.k8s.io/v1/Gateway",
        "gateway.networking.k8s.io/v1/HTTPRoute",
    ] {
        assert!(kinds.contains(&kind), "no {kind}: {kinds:?}");
    }
    assert!(schemas.rules().iter().all(|rule| !rule.transition));
}

#[test]
fn a_gateway_api_rule_that_splits_a_label_key_is_evaluated() {
    let gateway = |key: &str| {
        json!({
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": { "name": "waypoint", "namespace": "shop" },
            "spec": {
                "gatewayClassName": "istio-waypoint",
                "infrastructure": { "labels": { key: "x" } },
                "listeners": [{ "name": "mesh", "port": 15008, "protocol": "HBONE" }],
            },
        })
    };
    let schemas = newest_istio();
    assert_eq!(schemas.validate(&gateway("example.com/team")), Ok(()));
    let long = format!("{}.example/team", "a".repeat(250));
    let errors = refused(schemas, &gateway(&long));
    assert_error_at(
        schemas,
        &errors,
        "/spec/infrastructure/labels",
        "prefix must be a DNS subdomain not longer than 253 characters",
    );
}

#[test]
fn a_gateway_api_listener_rule_refuses_two_listeners_with_one_name() {
    let listener = json!({ "name": "mesh", "port": 15008, "protocol": "HBONE" });
    let doc = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": { "name": "waypoint" },
        "spec": { "gatewayClassName": "istio-waypoint", "listeners": [listener.clone(), with(listener, "/port", json!(15009))] },
    });
    let schemas = newest_istio();
    let errors = refused(schemas, &doc);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("Listener name must be unique")),
        "{errors:#?}"
    );
}

fn newest_istio() -> &'static CrdSchemas {
    all_releases().last().unwrap()
}

#[test]
fn a_default_the_crd_declares_is_filled_in_before_its_rules_run() {
    let file = json!({
        "release": "test",
        "source": "test",
        "schemas": { "example.com/v1/Route": {
            "type": "object",
            "properties": { "spec": {
                "type": "object",
                "properties": { "backends": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "kind": { "type": "string", "default": "Service" },
                            "port": { "type": "integer" },
                        },
                        "x-kubernetes-validations": [{
                            "rule": "self.kind == 'Service' ? has(self.port) : true",
                            "message": "a Service needs a port",
                        }],
                    },
                } },
            } },
        } },
    })
    .to_string();
    let schemas = CrdSchemas::from_json_strs(&[&file]).unwrap();
    let route = |backend: Value| json!({ "apiVersion": "example.com/v1", "kind": "Route", "spec": { "backends": [backend] } });
    // Without the default, `self.kind` has no value and the rule cannot run.
    assert_eq!(schemas.validate(&route(json!({ "port": 80 }))), Ok(()));
    let errors = refused(&schemas, &route(json!({})));
    assert_error_at(
        &schemas,
        &errors,
        "/spec/backends/0",
        "a Service needs a port",
    );
    assert_eq!(
        schemas.validate(&route(json!({ "kind": "Backend" }))),
        Ok(()),
        "a value given is not replaced by the default"
    );
}
