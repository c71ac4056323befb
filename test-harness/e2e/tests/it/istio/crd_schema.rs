//! Tests of `crd_schema`: the shipped resources of istio/ against the CRD schemas
//! of every supported Istio release that serves their kind (and the Gateway API's),
//! and the mistakes those schemas must refuse.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use meshborder_e2e::paths::workspace_root;

use super::support::crd_schema::CrdSchemas;
use super::support::crds::{all_releases, minor, release, releases_serving};
use super::support::files;

fn yaml_documents(path: &Path) -> Vec<Value> {
    files::load_yaml(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Files that a kustomization under istio/ uses as a patch: partial resources,
/// checked after `kustomize build`, not here.
fn kustomize_patches(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut patches = BTreeSet::new();
    for file in files {
        if file
            .file_name()
            .is_none_or(|name| name != "kustomization.yaml")
        {
            continue;
        }
        let dir = file.parent().unwrap_or_else(|| Path::new("."));
        for doc in yaml_documents(file) {
            let mut add = |relative: &str| {
                let path = dir.join(relative);
                patches.insert(path.canonicalize().unwrap_or(path));
            };
            for key in ["patches", "patchesJson6902"] {
                for patch in doc.get(key).and_then(Value::as_array).into_iter().flatten() {
                    if let Some(path) = patch.get("path").and_then(Value::as_str) {
                        add(path);
                    }
                }
            }
            for patch in doc
                .get("patchesStrategicMerge")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(path) = patch.as_str() {
                    add(path);
                }
            }
        }
    }
    patches
}

/// API groups whose resources are checked against CRD schemas here.
fn is_checked_group(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    // install.istio.io's IstioOperator is read by istioctl, not served by a CRD.
    (group.ends_with(".istio.io") && group != "install.istio.io")
        || group == "monitoring.coreos.com"
        || group == "gateway.networking.k8s.io"
}

/// Every whole resource of a CRD-backed group under istio/: (file, document).
fn shipped_resources() -> Vec<(String, Value)> {
    let root = workspace_root();
    let files = files::istio_yaml_files().unwrap_or_else(|e| panic!("{e}"));
    let patches = kustomize_patches(&files);
    let mut resources = Vec::new();
    for file in &files {
        let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
        if patches.contains(&canonical) {
            continue;
        }
        for doc in yaml_documents(file) {
            let api_version = doc
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let whole = doc.get("kind").is_some_and(Value::is_string)
                && doc.pointer("/metadata/name").is_some_and(Value::is_string);
            if whole && is_checked_group(api_version) {
                let name = file
                    .strip_prefix(&root)
                    .unwrap_or(file)
                    .display()
                    .to_string();
                resources.push((name, doc));
            }
        }
    }
    resources
}

/// The errors of `doc` under `schemas`, or a panic naming the release if it passes.
pub(super) fn refused(schemas: &CrdSchemas, doc: &Value) -> Vec<String> {
    match schemas.validate(doc) {
        Ok(()) => panic!("{}: accepted {doc:#}", schemas.release()),
        Err(errors) => errors,
    }
}

pub(super) fn assert_error_at(schemas: &CrdSchemas, errors: &[String], path: &str, words: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("{path}: ")) && e.contains(words)),
        "{}: no error at {path} containing {words:?}: {errors:#?}",
        schemas.release()
    );
}

fn wasm_plugin(spec: Value) -> Value {
    json!({
        "apiVersion": "extensions.istio.io/v1alpha1",
        "kind": "WasmPlugin",
        "metadata": { "name": "meshborder", "namespace": "shop" },
        "spec": spec,
    })
}

fn valid_wasm_spec() -> Value {
    json!({
        "url": "oci://ghcr.io/meshborder/meshborder:1.0.0",
        "phase": "AUTHZ",
        "failStrategy": "FAIL_CLOSE",
        "type": "HTTP",
        "priority": 10,
        "selector": { "matchLabels": { "meshborder": "enabled" } },
        "pluginConfig": { "anything": ["goes", 1, { "here": true }] },
    })
}

pub(super) fn with(mut base: Value, pointer: &str, value: Value) -> Value {
    let (parent, field) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let target = base
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    target
        .as_object_mut()
        .unwrap_or_else(|| panic!("{parent} is not an object"))
        .insert(field.to_owned(), value);
    base
}

fn gateway(port: Value) -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": { "name": "shop", "namespace": "shop" },
        "spec": {
            "selector": { "istio": "ingressgateway" },
            "servers": [{ "port": { "number": port, "name": "http", "protocol": "HTTP" }, "hosts": ["*"] }],
        },
    })
}

fn virtual_service(port: Value) -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": { "name": "catalog" },
        "spec": {
            "hosts": ["catalog"],
            "http": [{ "route": [{ "destination": { "host": "catalog", "port": { "number": port } } }] }],
        },
    })
}

#[test]
fn every_release_file_loads_and_names_its_source() {
    for schemas in all_releases() {
        assert!(
            schemas
                .sources()
                .iter()
                .any(|s| s.starts_with("istio/istio release-1.") && s.contains(", commit ")),
            "{}: {:?}",
            schemas.release(),
            schemas.sources()
        );
        assert!(
            schemas.sources().iter().any(
                |s| s.starts_with("kubernetes-sigs/gateway-api v1.") && s.contains(", commit ")
            ),
            "{}: {:?}",
            schemas.release(),
            schemas.sources()
        );
        let kinds: Vec<&str> = schemas.kinds().collect();
        for kind in [
            "gateway.networking.k8s.io/v1/Gateway",
            "gateway.networking.k8s.io/v1/HTTPRoute",
            "extensions.istio.io/v1alpha1/WasmPlugin",
            "networking.istio.io/v1/VirtualService",
            "networking.istio.io/v1/DestinationRule",
            "networking.istio.io/v1/Gateway",
            "networking.istio.io/v1beta1/Gateway",
            "networking.istio.io/v1alpha3/Gateway",
            "networking.istio.io/v1alpha3/EnvoyFilter",
            "monitoring.coreos.com/v1/PrometheusRule",
        ] {
            assert!(kinds.contains(&kind), "{}: no {kind}", schemas.release());
        }
        let traffic_extension = kinds.contains(&"extensions.istio.io/v1alpha1/TrafficExtension");
        assert_eq!(
            traffic_extension,
            minor(schemas) >= 30,
            "{}: TrafficExtension",
            schemas.release()
        );
    }
}

#[test]
fn every_shipped_istio_resource_validates_for_every_supported_release_that_serves_its_kind() {
    let resources = shipped_resources();
    let kinds: BTreeSet<&str> = resources
        .iter()
        .filter_map(|(_, d)| d.get("kind")?.as_str())
        .collect();
    for kind in [
        "TrafficExtension",
        "VirtualService",
        "DestinationRule",
        "Gateway",
        "EnvoyFilter",
        "PrometheusRule",
    ] {
        assert!(
            kinds.contains(kind),
            "no shipped {kind} found under istio/: {kinds:?}"
        );
    }
    let mut failures = Vec::new();
    for (file, doc) in &resources {
        let kind = doc["kind"].as_str().unwrap_or_default();
        for schemas in releases_serving(kind) {
            let doc = &pinned(schemas, file, doc);
            if let Err(errors) = schemas.validate(doc) {
                let name = doc
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                failures.push(format!(
                    "{} {file} {name}:\n  {}",
                    schemas.release(),
                    errors.join("\n  ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The placeholder digest that base/ ships until `make image` gives a real one.
const DIGEST_PLACEHOLDER: &str = "PIN-ME-run-make-image-and-paste-the-sha256-it-prints";

/// `doc` with the digest placeholder of a plugin (`spec.wasm.sha256` of a
/// TrafficExtension, `spec.sha256` of a WasmPlugin) replaced by a real-looking
/// digest, after checking that the CRD refuses the placeholder, and only it, as
/// the comment in base/plugin-sidecar-outbound.yaml promises.
fn pinned(schemas: &CrdSchemas, file: &str, doc: &Value) -> Value {
    let Some(pointer) = ["/spec/sha256", "/spec/wasm/sha256"]
        .into_iter()
        .find(|pointer| doc.pointer(pointer).and_then(Value::as_str) == Some(DIGEST_PLACEHOLDER))
    else {
        return doc.clone();
    };
    let errors = refused(schemas, doc);
    assert!(
        errors.len() == 1 && errors[0].starts_with(&format!("{pointer}: ")),
        "{} {file}: the placeholder digest should be the only error: {errors:#?}",
        schemas.release()
    );
    with(doc.clone(), pointer, json!("0".repeat(64)))
}

#[test]
fn kustomize_patch_files_are_recognised_and_left_to_the_built_output() {
    let root = workspace_root();
    let files = files::istio_yaml_files().unwrap_or_else(|e| panic!("{e}"));
    let patches = kustomize_patches(&files);
    for patch in [
        "istio/overlays/us-east/plugins/sidecar-http-plugins.yaml",
        "istio/overlays/eu-west/plugins/gateway-plugin.yaml",
        "istio/overlays/eu-west/plugins/sidecar-tcp-plugin.yaml",
    ] {
        let path = root
            .join(patch)
            .canonicalize()
            .unwrap_or_else(|e| panic!("{patch}: {e}"));
        assert!(
            patches.contains(&path),
            "{patch} is not seen as a kustomize patch"
        );
    }
    let checked: Vec<String> = shipped_resources()
        .into_iter()
        .map(|(file, _)| file)
        .collect();
    for file in &checked {
        let path = root.join(file).canonicalize().unwrap();
        assert!(!patches.contains(&path), "{file} is a patch, checked whole");
    }
    // An overlay's own whole resources are checked: the ambient waypoint's.
    assert!(
        checked
            .iter()
            .any(|f| f.ends_with("overlays/ambient-eu-west/waypoint.yaml")),
        "{checked:?}"
    );
}

#[test]
fn a_wasm_plugin_with_both_target_ref_and_target_refs_is_refused_from_istio_1_24() {
    let target =
        json!({ "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "shop-gateway" });
    let mut spec = valid_wasm_spec();
    spec.as_object_mut().unwrap().remove("selector");
    let doc = wasm_plugin(with(
        with(spec, "/targetRef", target.clone()),
        "/targetRefs",
        json!([target]),
    ));
    for schemas in all_releases() {
        if minor(schemas) >= 24 {
            let errors = refused(schemas, &doc);
            assert_error_at(
                schemas,
                &errors,
                "/spec",
                "only one of targetRefs or selector can be set",
            );
        } else {
            // Istio 1.22 and 1.23 have no such rule in the CRD: only istiod's
            // webhook refuses it.
            assert_eq!(schemas.validate(&doc), Ok(()), "{}", schemas.release());
        }
    }
}

#[test]
fn a_wasm_plugin_with_a_selector_and_a_target_ref_is_refused_from_istio_1_24() {
    let spec = with(
        valid_wasm_spec(),
        "/targetRef",
        json!({ "kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw" }),
    );
    for schemas in all_releases().iter().filter(|s| minor(s) >= 24) {
        let errors = refused(schemas, &wasm_plugin(spec.clone()));
        assert_error_at(
            schemas,
            &errors,
            "/spec",
            "only one of targetRefs or selector",
        );
    }
}

#[test]
fn a_wasm_plugin_match_port_above_65535_is_refused() {
    let spec = with(
        valid_wasm_spec(),
        "/match",
        json!([{ "mode": "SERVER", "ports": [{ "number": 70000 }] }]),
    );
    for schemas in all_releases() {
        let errors = refused(schemas, &wasm_plugin(spec.clone()));
        assert_error_at(schemas, &errors, "/spec/match/0/ports/0/number", "70000");
    }
}

#[test]
fn gateway_and_virtual_service_ports_are_bounded_only_as_uint32_by_the_crds() {
    // Every release's CRD types these ports as uint32 (0 to 4294967295): 70000
    // passes the schema, and only istiod's webhook refuses it.
    for schemas in all_releases() {
        assert_eq!(
            schemas.validate(&gateway(json!(70000))),
            Ok(()),
            "{}",
            schemas.release()
        );
        assert_eq!(
            schemas.validate(&virtual_service(json!(70000))),
            Ok(()),
            "{}",
            schemas.release()
        );
        let errors = refused(schemas, &gateway(json!(4_294_967_296_u64)));
        assert_error_at(schemas, &errors, "/spec/servers/0/port/number", "maximum");
        let errors = refused(schemas, &virtual_service(json!(-1)));
        assert_error_at(
            schemas,
            &errors,
            "/spec/http/0/route/0/destination/port/number",
            "minimum",
        );
    }
}

#[test]
fn wasm_plugin_enum_fields_refuse_values_outside_the_enum() {
    for (field, value) in [
        ("phase", "AUTHZZ"),
        ("failStrategy", "FAIL_SOMETIMES"),
        ("type", "HTTPS"),
    ] {
        let doc = wasm_plugin(with(valid_wasm_spec(), &format!("/{field}"), json!(value)));
        for schemas in all_releases() {
            let errors = refused(schemas, &doc);
            assert_error_at(schemas, &errors, &format!("/spec/{field}"), value);
        }
    }
}

#[test]
fn fail_reload_is_accepted_from_istio_1_27_and_refused_before() {
    let doc = wasm_plugin(with(
        valid_wasm_spec(),
        "/failStrategy",
        json!("FAIL_RELOAD"),
    ));
    for schemas in all_releases() {
        if minor(schemas) >= 27 {
            assert_eq!(schemas.validate(&doc), Ok(()), "{}", schemas.release());
        } else {
            let errors = refused(schemas, &doc);
            assert_error_at(schemas, &errors, "/spec/failStrategy", "FAIL_RELOAD");
        }
    }
}

#[test]
fn an_unknown_field_in_a_closed_object_is_refused_and_named() {
    for schemas in all_releases() {
        let doc = wasm_plugin(with(valid_wasm_spec(), "/pluginConfigg", json!({})));
        let errors = refused(schemas, &doc);
        assert_error_at(schemas, &errors, "/spec/pluginConfigg", "unknown field");

        let doc = with(
            gateway(json!(80)),
            "/spec/servers/0/port/protocoll",
            json!("HTTP"),
        );
        let errors = refused(schemas, &doc);
        assert_error_at(
            schemas,
            &errors,
            "/spec/servers/0/port/protocoll",
            "unknown field",
        );

        let doc = with(
            wasm_plugin(valid_wasm_spec()),
            "/metadata/lables",
            json!({}),
        );
        let errors = refused(schemas, &doc);
        assert_error_at(schemas, &errors, "/metadata/lables", "unknown field");

        let doc = with(wasm_plugin(valid_wasm_spec()), "/statuss", json!({}));
        let errors = refused(schemas, &doc);
        assert_error_at(schemas, &errors, "/statuss", "unknown field");
    }
}

#[test]
fn fields_that_preserve_unknown_fields_stay_open() {
    let doc = wasm_plugin(with(
        valid_wasm_spec(),
        "/pluginConfig",
        json!({ "deeply": { "nested": [1, "x", null] } }),
    ));
    for schemas in all_releases() {
        assert_eq!(schemas.validate(&doc), Ok(()), "{}", schemas.release());
    }
}

#[test]
fn a_field_of_the_wrong_type_is_refused_and_named() {
    for schemas in all_releases() {
        let errors = refused(
            schemas,
            &wasm_plugin(with(valid_wasm_spec(), "/priority", json!("high"))),
        );
        assert_error_at(schemas, &errors, "/spec/priority", "integer");
        let errors = refused(
            schemas,
            &with(gateway(json!(80)), "/spec/selector", json!("istio")),
        );
        assert_error_at(schemas, &errors, "/spec/selector", "object");
        let errors = refused(schemas, &gateway(json!("80")));
        assert_error_at(schemas, &errors, "/spec/servers/0/port/number", "integer");
        let errors = refused(
            schemas,
            &with(
                wasm_plugin(valid_wasm_spec()),
                "/metadata/labels",
                json!({ "a": 1 }),
            ),
        );
        assert_error_at(schemas, &errors, "/metadata/labels/a", "string");
    }
}

#[test]
fn null_is_accepted_only_where_the_crd_says_nullable() {
    for schemas in all_releases() {
        // priority is `nullable: true` in every release.
        let doc = wasm_plugin(with(valid_wasm_spec(), "/priority", Value::Null));
        assert_eq!(schemas.validate(&doc), Ok(()), "{}", schemas.release());
        let errors = refused(
            schemas,
            &wasm_plugin(with(valid_wasm_spec(), "/url", Value::Null)),
        );
        assert_error_at(schemas, &errors, "/spec/url", "null");
    }
}

#[test]
fn a_missing_required_field_is_refused() {
    let mut spec = valid_wasm_spec();
    spec.as_object_mut().unwrap().remove("url");
    for schemas in all_releases() {
        let errors = refused(schemas, &wasm_plugin(spec.clone()));
        assert_error_at(schemas, &errors, "/spec", "url");
    }
}

#[test]
fn int_or_string_fields_accept_an_int_or_a_string_and_nothing_else() {
    let rule = |expr: Value| {
        json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": { "name": "meshborder" },
            "spec": { "groups": [{ "name": "g", "rules": [{ "record": "r", "expr": expr }] }] },
        })
    };
    for schemas in all_releases() {
        assert_eq!(schemas.validate(&rule(json!("vector(1)"))), Ok(()));
        assert_eq!(schemas.validate(&rule(json!(1))), Ok(()));
        let errors = refused(schemas, &rule(json!(true)));
        assert_error_at(schemas, &errors, "/spec/groups/0/rules/0/expr", "");
        // Istio's own int-or-string fields are in status.
        let doc = with(
            wasm_plugin(valid_wasm_spec()),
            "/status",
            json!({ "observedGeneration": "3" }),
        );
        assert_eq!(schemas.validate(&doc), Ok(()), "{}", schemas.release());
        let doc = with(
            wasm_plugin(valid_wasm_spec()),
            "/status",
            json!({ "observedGeneration": 3 }),
        );
        assert_eq!(schemas.validate(&doc), Ok(()), "{}", schemas.release());
    }
}

#[test]
fn duplicate_keys_of_a_map_list_are_refused() {
    let doc = json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": { "name": "meshborder" },
        "spec": { "groups": [
            { "name": "same", "rules": [{ "record": "a", "expr": "vector(1)" }] },
            { "name": "same", "rules": [{ "record": "b", "expr": "vector(2)" }] },
        ] },
    });
    let schemas = release("istio-1.29");
    let errors = refused(schemas, &doc);
    assert_error_at(schemas, &errors, "/spec/groups", "duplicate");
}

#[test]
fn an_unknown_api_version_or_kind_is_refused_by_name() {
    let schemas = release("istio-1.22");
    let doc = json!({ "apiVersion": "extensions.istio.io/v1", "kind": "WasmPlugin", "metadata": { "name": "x" } });
    let errors = refused(schemas, &doc);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("extensions.istio.io/v1") && e.contains("WasmPlugin")),
        "{errors:?}"
    );
    let doc = json!({ "apiVersion": "extensions.istio.io/v1alpha1", "kind": "TrafficExtension", "metadata": { "name": "x" } });
    let errors = refused(schemas, &doc);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("TrafficExtension") && e.contains("istio-1.22")),
        "{errors:?}"
    );
    let errors = refused(schemas, &json!({ "kind": "WasmPlugin" }));
    assert!(
        errors.iter().any(|e| e.contains("apiVersion")),
        "{errors:?}"
    );
}

#[test]
fn the_wasm_plugin_url_rule_refuses_an_unsupported_scheme() {
    for schemas in all_releases() {
        for url in [
            "oci://ghcr.io/meshborder/meshborder:1.0.0",
            "ghcr.io/meshborder/meshborder:1.0.0",
            "file:///var/local/lib/wasm/meshborder_filter.wasm",
            "https://example.com/meshborder.wasm",
        ] {
            let doc = wasm_plugin(with(valid_wasm_spec(), "/url", json!(url)));
            assert_eq!(
                schemas.validate(&doc),
                Ok(()),
                "{} {url}",
                schemas.release()
            );
        }
        let doc = wasm_plugin(with(
            valid_wasm_spec(),
            "/url",
            json!("ftp://example.com/x.wasm"),
        ));
        let errors = refused(schemas, &doc);
        assert_error_at(schemas, &errors, "/spec/url", "url must have schema one of");
    }
}

#[test]
fn selector_rules_refuse_wildcards_and_empty_keys_from_istio_1_23() {
    for schemas in all_releases().iter().filter(|s| minor(s) >= 23) {
        let doc = wasm_plugin(with(
            valid_wasm_spec(),
            "/selector",
            json!({ "matchLabels": { "app": "cat*" } }),
        ));
        let errors = refused(schemas, &doc);
        assert_error_at(
            schemas,
            &errors,
            "/spec/selector/matchLabels/app",
            "wildcard not allowed",
        );
        let doc = wasm_plugin(with(
            valid_wasm_spec(),
            "/selector",
            json!({ "matchLabels": { "": "x" } }),
        ));
        let errors = refused(schemas, &doc);
        assert_error_at(
            schemas,
            &errors,
            "/spec/selector/matchLabels",
            "key must not be empty",
        );
    }
}

#[test]
fn destination_rule_durations_below_one_millisecond_are_refused_from_istio_1_23() {
    let rule = |timeout: &str| {
        json!({
            "apiVersion": "networking.istio.io/v1",
            "kind": "DestinationRule",
            "metadata": { "name": "catalog" },
            "spec": { "host": "catalog", "trafficPolicy": { "connectionPool": { "tcp": { "connectTimeout": timeout } } } },
        })
    };
    for schemas in all_releases().iter().filter(|s| minor(s) >= 23) {
        assert_eq!(
            schemas.validate(&rule("1h30m")),
            Ok(()),
            "{}",
            schemas.release()
        );
        assert_eq!(
            schemas.validate(&rule("250ms")),
            Ok(()),
            "{}",
            schemas.release()
        );
        let errors = refused(schemas, &rule("0s"));
        assert_error_at(
            schemas,
            &errors,
            "/spec/trafficPolicy/connectionPool/tcp/connectTimeout",
            "greater than 1ms",
        );
    }
}

#[test]
fn every_cel_rule_of_every_release_compiles_and_none_is_a_skipped_transition_rule() {
    // Loading compiles every rule and refuses one that calls an unknown function;
    // this lists them, so that a release that adds a rule is seen here.
    let mut distinct = BTreeSet::new();
    for schemas in all_releases() {
        let rules = schemas.rules();
        assert!(!rules.is_empty(), "{}: no CEL rule", schemas.release());
        let transition: Vec<_> = rules.iter().filter(|r| r.transition).collect();
        assert!(
            transition.is_empty(),
            "{}: transition rules, skipped: {transition:#?}",
            schemas.release()
        );
        for rule in rules {
            distinct.insert(rule.rule.clone());
        }
    }
    assert!(distinct.len() >= 20, "{distinct:#?}");
}

#[test]
fn a_rule_that_does_not_compile_or_calls_an_unknown_function_fails_loading() {
    let file = |rule: &str| {
        json!({
            "release": "test",
            "source": "test",
            "schemas": { "example.com/v1/Thing": {
                "type": "object",
                "properties": { "spec": { "type": "object", "x-kubernetes-validations": [{ "rule": rule, "message": "m" }] } },
            } },
        })
        .to_string()
    };
    assert!(CrdSchemas::from_json_strs(&[&file("has(self.x)")]).is_ok());
    let err = CrdSchemas::from_json_strs(&[&file("self.x ==")])
        .err()
        .unwrap_or_default();
    assert!(err.contains("does not compile"), "{err}");
    let err = CrdSchemas::from_json_strs(&[&file("self.x.quantity() > 1")])
        .err()
        .unwrap_or_default();
    assert!(err.contains("quantity"), "{err}");
    let schemas =
        CrdSchemas::from_json_strs(&[&file("oldSelf == self")]).unwrap_or_else(|e| panic!("{e}"));
    assert!(schemas.rules().iter().all(|r| r.transition));
    let doc = json!({ "apiVersion": "example.com/v1", "kind": "Thing", "spec": {} });
    assert_eq!(schemas.validate(&doc), Ok(()));
}

#[test]
fn the_placeholder_digest_that_base_ships_is_refused_until_pinned() {
    let doc = wasm_plugin(with(
        valid_wasm_spec(),
        "/sha256",
        json!(DIGEST_PLACEHOLDER),
    ));
    for schemas in all_releases() {
        let errors = refused(schemas, &doc);
        assert_error_at(schemas, &errors, "/spec/sha256", "does not match");
        let pinned = wasm_plugin(with(valid_wasm_spec(), "/sha256", json!("a".repeat(64))));
        assert_eq!(schemas.validate(&pinned), Ok(()), "{}", schemas.release());
    }
}
