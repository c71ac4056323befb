//! Every file under istio/ loads, and every resource in it, patches included, is
//! accepted by its CRD's schema (Istio's kinds, the `PrometheusRule`) or the model
//! of its kind (the rest), so a misspelt field fails here and not in a cluster.
//! Also the editor schema that checks `pluginConfig` as it is typed.

use super::support::files::{self, shown};
use super::support::models;
use super::support::views::plugin::Form;
use meshborder_e2e::paths;

#[test]
fn every_yaml_file_under_istio_parses() {
    let yaml_files = files::istio_yaml_files().unwrap();
    assert!(yaml_files.len() >= 20, "too few YAML files: {yaml_files:?}");
    for path in &yaml_files {
        let documents = files::load_yaml(path).unwrap();
        assert!(!documents.is_empty(), "`{}` holds no document", shown(path));
    }
}

#[test]
fn every_json_file_under_istio_parses() {
    let json_files = files::files_ending_with(&files::istio_dir(), &[".json"]).unwrap();
    assert!(!json_files.is_empty(), "no JSON files under istio/");
    for path in &json_files {
        files::load_json(path).unwrap();
    }
}

#[test]
fn every_document_under_istio_is_accepted_by_its_crd_schema_or_model() {
    let mut kinds = Vec::new();
    for path in files::istio_yaml_files().unwrap() {
        for document in files::load_yaml(&path).unwrap() {
            let resource = models::check_document(&document)
                .unwrap_or_else(|e| panic!("`{}`: {e}", shown(&path)));
            kinds.push(resource.kind().to_owned());
        }
    }
    for kind in [
        "TrafficExtension",
        "VirtualService",
        "DestinationRule",
        "Gateway",
        "EnvoyFilter",
        "PrometheusRule",
        "Kustomization",
        "IstioOperator",
        "DeploymentPatch",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} was checked");
    }
}

#[test]
fn a_misspelt_field_is_refused_by_the_crd_schema_or_the_model_of_its_kind() {
    let istio = files::istio_dir();
    let first = |path: &str| {
        files::load_yaml(&istio.join(path))
            .unwrap()
            .into_iter()
            .next()
            .unwrap()
    };
    let cases = [
        (
            "base/plugin-sidecar-outbound.yaml",
            "/spec/wasm",
            "failStrategy",
            "failStratgy",
        ),
        (
            "base/plugin-sidecar-inbound.yaml",
            "/spec/match/0",
            "mode",
            "mdoe",
        ),
        (
            "base/plugin-sidecar-tcp.yaml",
            "/spec/match/0/ports/0",
            "number",
            "port",
        ),
        (
            "overlays/us-east/plugins/sidecar-http-plugins.yaml",
            "/spec/wasm",
            "pluginConfig",
            "pluginconfig",
        ),
        (
            "overlays/ambient-eu-west/waypoint.yaml",
            "/spec",
            "gatewayClassName",
            "gatewayClass",
        ),
        (
            "base/virtualservice.yaml",
            "/spec/http/0/match/0",
            "headers",
            "header",
        ),
        (
            "base/destinationrule.yaml",
            "/spec/trafficPolicy/loadBalancer",
            "localityLbSetting",
            "localityLBSetting",
        ),
        (
            "base/destinationrule.yaml",
            "/spec/trafficPolicy/outlierDetection",
            "consecutive5xxErrors",
            "consecutive5XXErrors",
        ),
        ("base/gateway.yaml", "/spec/servers/0", "hosts", "host"),
        (
            "metrics/legacy-envoyfilter-stats-tags.yaml",
            "/spec/configPatches/0",
            "applyTo",
            "applyto",
        ),
        (
            "monitoring/prometheusrule.yaml",
            "/spec/groups/0/rules/0",
            "record",
            "recrod",
        ),
        (
            "overlays/us-east/kustomization.yaml",
            "",
            "components",
            "componets",
        ),
        (
            "overlays/us-east/plugins/kustomization.yaml",
            "",
            "patches",
            "patchs",
        ),
        // A target that lost its label selector would patch every plugin.
        (
            "overlays/us-east/plugins/kustomization.yaml",
            "/patches/0/target",
            "labelSelector",
            "labelselector",
        ),
        (
            "metrics/workload-patch.yaml",
            "/spec/template",
            "metadata",
            "metdata",
        ),
        (
            "trust-domains/us-east.yaml",
            "/spec/meshConfig",
            "trustDomainAliases",
            "trustDomainAlias",
        ),
    ];
    for (path, pointer, from, to) in cases {
        let original = first(path);
        models::check_document(&original).unwrap_or_else(|e| panic!("`{path}` as shipped: {e}"));
        let misspelt = models::with_renamed_field(&original, pointer, from, to).unwrap();
        let error = models::check_document(&misspelt)
            .err()
            .unwrap_or_else(|| panic!("`{path}` with `{to}` for `{from}` was accepted"));
        assert!(
            error.contains(to),
            "`{path}`: the error does not name `{to}`: {error}"
        );
    }
}

#[test]
fn a_resource_of_a_kind_without_a_model_is_refused() {
    let document =
        serde_json::json!({ "apiVersion": "v1", "kind": "Service", "metadata": { "name": "x" } });
    let error = models::check_document(&document).unwrap_err();
    assert!(error.contains("Service"), "{error}");
}

#[test]
fn the_editor_schemas_check_plugin_config_against_the_filter_schema_in_either_form() {
    let istio = files::istio_dir();
    let filter_schema = paths::workspace_root()
        .join("filter/config.schema.json")
        .canonicalize()
        .unwrap();
    let schemas = [
        (
            Form::TrafficExtension,
            "schema/trafficextension.schema.json",
            "/properties/spec/properties/wasm/properties/pluginConfig/$ref",
        ),
        (
            Form::WasmPlugin,
            "schema/wasmplugin.schema.json",
            "/properties/spec/properties/pluginConfig/$ref",
        ),
    ];
    for (_, file, pointer) in schemas {
        let schema_path = istio.join(file);
        let schema = files::load_json(&schema_path).unwrap();
        let reference = files::str_at(&schema, pointer)
            .unwrap_or_else(|| panic!("{file}: no $ref at {pointer}"));
        let target = schema_path.parent().unwrap().join(reference);
        assert_eq!(
            target.canonicalize().unwrap(),
            filter_schema,
            "{file}: the $ref must lead to the filter's schema"
        );
    }

    let mut modelines = 0;
    for path in files::istio_yaml_files().unwrap() {
        let text = files::read(&path).unwrap();
        let Some(line) = text
            .lines()
            .find(|line| line.contains("yaml-language-server:"))
        else {
            continue;
        };
        let schema = line.split("$schema=").nth(1).unwrap().trim();
        let resolved = path.parent().unwrap().join(schema);
        assert!(
            resolved.is_file(),
            "`{}`: `{schema}` does not exist",
            shown(&path)
        );
        let document = files::load_single_yaml(&path).unwrap();
        let form = Form::of(&document)
            .unwrap_or_else(|| panic!("`{}`: a modeline on no plugin", shown(&path)));
        let (_, expected, _) = schemas.iter().find(|(f, _, _)| *f == form).unwrap();
        assert_eq!(
            resolved.canonicalize().unwrap(),
            istio.join(expected).canonicalize().unwrap(),
            "`{}`: a {} file names the schema of its kind",
            shown(&path),
            form.kind()
        );
        modelines += 1;
    }
    // The four plugins of the base, the six patches of them in the cluster
    // overlays (one of which patches both sidecar HTTP plugins), and the ambient
    // overlay's waypoint plugin.
    assert_eq!(modelines, 11, "every plugin file carries the modeline");
}

#[test]
fn every_file_the_guide_names_exists() {
    let istio = files::istio_dir();
    let root = paths::workspace_root();
    let guide = files::read(&istio.join("README.md")).unwrap();
    let mut checked = 0;
    for quoted in guide.split('`').skip(1).step_by(2) {
        let path = quoted.trim_end_matches('/');
        let looks_like_ours = [
            "base/",
            "overlays/",
            "components/",
            "monitoring/",
            "metrics/",
            "kind/",
            "schema/",
            "trust-domains/",
        ]
        .iter()
        .any(|prefix| path.starts_with(prefix));
        let in_repo = ["istio/", "filter/", "envoy-config/"]
            .iter()
            .any(|prefix| path.starts_with(prefix));
        if path.contains(['*', ' ', '{', '…']) || !(looks_like_ours || in_repo) {
            continue;
        }
        let resolved = if in_repo {
            root.join(path)
        } else {
            istio.join(path)
        };
        assert!(
            resolved.exists(),
            "istio/README.md names `{quoted}`, which does not exist"
        );
        checked += 1;
    }
    assert!(checked >= 20, "too few paths found in the guide: {checked}");
}
