//! The gateway's two copies of its filter: the default inlined in
//! `envoy-config/gateway.yaml` (checked at startup, served until the watched file
//! is accepted) and the watched file's template, `envoy-config/ecds/...`. They must
//! be the same filter, so that the watched file's first version changes nothing,
//! and the watched file must be what Envoy's discovery expects: one
//! `TypedExtensionConfig` named like the filter that discovers it.

use std::path::Path;

use meshborder_e2e::gateway;
use meshborder_e2e::render;
use serde_json::Value;

type TestResult<T> = Result<T, Box<dyn std::error::Error>>;

fn rendered(template: &str) -> TestResult<Value> {
    let values = gateway::validation_values(Path::new("/filter.wasm")).set("version", 1);
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&render::render(template, &values)?)?;
    Ok(serde_json::to_value(yaml)?)
}

/// The gateway's HTTP filter that discovers the meshborder config.
fn discovering_filter(bootstrap: &Value) -> Option<&Value> {
    bootstrap
        .pointer(
            "/static_resources/listeners/0/filter_chains/0/filters/0/typed_config/http_filters",
        )?
        .as_array()?
        .iter()
        .find(|filter| filter.get("name").and_then(Value::as_str) == Some(gateway::FILTER))
}

#[test]
fn the_inlined_default_filter_is_the_one_the_watched_file_starts_with() {
    let bootstrap = rendered(gateway::GATEWAY).unwrap();
    let watched = rendered(gateway::ECDS_TEMPLATE).unwrap();

    let discovery = &discovering_filter(&bootstrap).unwrap()["config_discovery"];
    let default = &discovery["default_config"];
    assert_eq!(default["config"]["failure_policy"], "FAIL_RELOAD");
    assert_eq!(
        discovery["type_urls"][0], default["@type"],
        "the default is a filter of the discovered type"
    );
    let resources = watched["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "{watched}");
    let resource = &resources[0];
    assert_eq!(
        resource["@type"],
        "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"
    );
    assert_eq!(resource["name"], gateway::FILTER);
    assert_eq!(&resource["typed_config"], default);
}

#[test]
fn the_gateway_discovers_its_filter_from_the_watched_file() {
    let bootstrap = rendered(gateway::GATEWAY).unwrap();
    let listener = &bootstrap["static_resources"]["listeners"][0];
    assert_eq!(listener["name"], gateway::LISTENER);
    assert_eq!(listener["traffic_direction"], "OUTBOUND");
    assert_eq!(
        bootstrap["node"]["metadata"]["CLUSTER_ID"],
        gateway::CLUSTER
    );
    assert_eq!(bootstrap["node"]["locality"]["region"], gateway::REGION);

    let source = &discovering_filter(&bootstrap).unwrap()["config_discovery"]["config_source"];
    // The validation values name the watched file's template as the file.
    let path = source["path_config_source"]["path"].as_str().unwrap();
    assert!(path.ends_with(gateway::ECDS_TEMPLATE), "{path}");
    assert_eq!(source["resource_api_version"], "V3");
}
