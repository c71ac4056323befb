//! The two forms of istio/'s plugins: every cluster overlay names its form in one
//! line (a leaf overlay keeps its parent's), the overlays render TrafficExtensions
//! as shipped and WasmPlugins with that line switched, both forms carry the same
//! plugins field for field, the WasmPlugin form is accepted by the CRDs of every
//! release an overlay supports, and the conversion fails loudly rather than drop a
//! field.

use std::collections::BTreeMap;
use std::fs;

use meshborder_e2e::paths;
use serde_json::{Map, Value, json};

use super::support::crds;
use super::support::files;
use super::support::forms::{self, SHIPPED, form_line, named_form};
use super::support::kustomize::{self, OVERLAYS};
use super::support::models::{self, Resource};
use super::support::views::plugin::{Form, flat_spec, pinned};

/// Whether the overlay at `dir` deploys a cluster itself (it builds on the base)
/// rather than on another overlay.
fn is_cluster_overlay(dir: &str) -> bool {
    let path = files::istio_dir().join(dir).join("kustomization.yaml");
    let kustomization = files::load_single_yaml(&path).unwrap();
    kustomization["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|resource| resource == "../../base")
}

#[test]
fn every_cluster_overlay_names_its_form_in_its_last_component_line_and_a_leaf_keeps_its_parents() {
    let mut clusters = 0;
    for overlay in &OVERLAYS {
        let form = named_form(overlay.dir).unwrap();
        if !is_cluster_overlay(overlay.dir) {
            assert_eq!(
                form, None,
                "{}: a leaf keeps its parent's form",
                overlay.dir
            );
            continue;
        }
        clusters += 1;
        assert_eq!(form, Some(SHIPPED), "{}", overlay.dir);
        // Last, so that the cluster's own patches (listed before) apply to the
        // TrafficExtensions the base writes, and the form sees finished plugins.
        let path = files::istio_dir()
            .join(overlay.dir)
            .join("kustomization.yaml");
        let kustomization = files::load_single_yaml(&path).unwrap();
        let last = kustomization["components"]
            .as_array()
            .unwrap()
            .last()
            .unwrap();
        assert_eq!(last, &Value::from(form_line(SHIPPED)), "{}", overlay.dir);
    }
    assert!(clusters >= 3, "too few cluster overlays: {clusters}");
    for form in Form::ALL {
        let component = files::istio_dir().join("components").join(form.component());
        assert!(component.join("kustomization.yaml").is_file(), "{form:?}");
    }
}

#[test]
fn overlays_render_traffic_extensions_as_shipped_and_wasmplugins_with_the_form_line_switched() {
    for overlay in &OVERLAYS {
        for form in Form::ALL {
            let documents = forms::build_as(overlay.dir, form).unwrap();
            let kinds: Vec<&str> = documents
                .iter()
                .filter(|document| Form::of(document).is_some())
                .map(|document| document["kind"].as_str().unwrap())
                .collect();
            assert!(kinds.len() >= 3, "{} as {form:?}: {kinds:?}", overlay.dir);
            assert!(
                kinds.iter().all(|kind| *kind == form.kind()),
                "{} as {form:?}: {kinds:?}",
                overlay.dir
            );
        }
    }
}

/// The plugins among `documents` by `namespace/name`: metadata and flat spec.
fn plugins_by_name(documents: &[Value]) -> BTreeMap<String, (Value, Map<String, Value>)> {
    documents
        .iter()
        .filter(|document| Form::of(document).is_some())
        .map(|document| {
            let metadata = document["metadata"].clone();
            let name = format!("{}/{}", metadata["namespace"], metadata["name"]);
            (name, (metadata, flat_spec(document).unwrap()))
        })
        .collect()
}

#[test]
fn both_forms_of_every_overlay_carry_the_same_plugins_field_for_field() {
    for overlay in &OVERLAYS {
        let shipped = forms::build_as(overlay.dir, Form::TrafficExtension).unwrap();
        let converted = forms::build_as(overlay.dir, Form::WasmPlugin).unwrap();
        let (shipped_plugins, converted_plugins) =
            (plugins_by_name(&shipped), plugins_by_name(&converted));
        assert_eq!(
            shipped_plugins.keys().collect::<Vec<_>>(),
            converted_plugins.keys().collect::<Vec<_>>(),
            "{}",
            overlay.dir
        );
        for (name, (metadata, spec)) in &shipped_plugins {
            let (converted_metadata, converted_spec) = &converted_plugins[name];
            assert_eq!(metadata, converted_metadata, "{} {name}", overlay.dir);
            assert!(
                spec.get("pluginConfig")
                    .is_some_and(|c| c.as_object().is_some_and(|c| !c.is_empty())),
                "{} {name}: no plugin configuration",
                overlay.dir
            );
            // The whole spec: the plugin configuration, and the image, digest,
            // failure strategy, type, attachment, phase and match with it.
            assert_eq!(spec, converted_spec, "{} {name}", overlay.dir);
        }
        let others = |documents: &[Value]| -> Vec<Value> {
            documents
                .iter()
                .filter(|document| Form::of(document).is_none())
                .cloned()
                .collect()
        };
        assert_eq!(
            others(&shipped),
            others(&converted),
            "{}: the form changes nothing but the plugins",
            overlay.dir
        );
    }
}

#[test]
fn every_overlay_as_wasmplugins_is_accepted_by_the_crds_of_every_release_it_supports() {
    for overlay in &OVERLAYS {
        let oldest = overlay.oldest_minor(Form::WasmPlugin);
        assert!(
            oldest <= 27,
            "{}: WasmPlugins from Istio 1.{oldest}",
            overlay.dir
        );
        for document in forms::build_as(overlay.dir, Form::WasmPlugin).unwrap() {
            let resource = models::check_document(&document).unwrap();
            if !matches!(resource, Resource::Crd(_)) {
                continue;
            }
            let document = pinned(&document);
            for schemas in crds::releases_serving(resource.kind())
                .filter(|schemas| crds::minor(schemas) >= oldest)
            {
                schemas.validate(&document).unwrap_or_else(|errors| {
                    panic!(
                        "{} as WasmPlugins, {} {}, on {}: {errors:#?}",
                        overlay.dir,
                        resource.kind(),
                        files::str_at(&document, "/metadata/name").unwrap_or("-"),
                        schemas.release()
                    )
                });
            }
        }
    }
}

/// `kustomize build` of a kustomization that converts `plugin` with
/// components/wasmplugin, in a directory of its own.
fn convert(label: &str, plugin: &Value) -> Result<Vec<Value>, String> {
    let dir = paths::run_dir(label).unwrap();
    let depth = dir
        .strip_prefix(paths::workspace_root())
        .unwrap()
        .components()
        .count();
    let component = format!(
        "{}istio/components/{}",
        "../".repeat(depth),
        Form::WasmPlugin.component()
    );
    let kustomization =
        json!({ "resources": ["plugin.yaml"], "components": [component] }).to_string();
    fs::write(dir.join("kustomization.yaml"), kustomization).unwrap();
    fs::write(dir.join("plugin.yaml"), plugin.to_string()).unwrap();
    kustomize::build_path(&dir)
}

#[test]
fn the_wasmplugin_component_fails_the_build_rather_than_drop_or_miss_a_module_field() {
    let base =
        files::load_single_yaml(&files::istio_dir().join("base/plugin-gateway.yaml")).unwrap();
    let converted = convert("form-as-shipped", &base).unwrap();
    assert_eq!(converted.len(), 1);
    assert_eq!(converted[0]["kind"], "WasmPlugin");
    assert_eq!(flat_spec(&converted[0]).unwrap(), flat_spec(&base).unwrap());

    // A field the component does not move (a private registry's pull secret) would
    // vanish with `spec.wasm`: the build fails instead.
    let mut extra = base.clone();
    extra["spec"]["wasm"]["imagePullSecret"] = Value::from("registry-credentials");
    let error = convert("form-extra-field", &extra).unwrap_err();
    assert!(error.contains("/spec/wasm"), "{error}");

    // A field it moves and the plugin lacks fails too.
    let mut missing = base;
    missing["spec"]["wasm"]
        .as_object_mut()
        .unwrap()
        .remove("type");
    let error = convert("form-missing-field", &missing).unwrap_err();
    assert!(error.contains("type"), "{error}");
}
