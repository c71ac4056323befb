//! What every shipped Envoy template must say, checked on its rendered YAML (and the
//! ready-to-run configurations of `loopback/` as written): the one
//! `stats_tags` list (from `include/stats-tags.yaml`), canonical paths on every HTTP
//! connection manager (residency rules match on the path the app will serve), and a
//! filter that fails closed.

use meshborder_e2e::render::{self, INCLUDE_DIR};
use meshborder_e2e::topology::{self, ConfigFiles};
use meshborder_e2e::{loopback, paths};
use meshborder_filter::contract::label;
use serde_json::Value;

const HCM: &str = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const WASM: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const NETWORK_WASM: &str = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm";
const TCP_PROXY: &str =
    "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

type TestResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Every template, rendered and parsed (YAML anchors resolved), with its name, and
/// the loopback configurations with their paths.
fn rendered_templates() -> TestResult<Vec<(String, Value)>> {
    let values = topology::validation_values(&ConfigFiles {
        wasm: "/filter.wasm".to_owned(),
        certs: "/certs".to_owned(),
    });
    let templates = render::templates()?;
    assert!(!templates.is_empty(), "no templates in envoy-config/");
    let mut rendered = templates
        .into_iter()
        .map(|template| {
            let text = render::render(&template, &values)?;
            Ok((template, yaml_to_json(&text)?))
        })
        .collect::<TestResult<Vec<_>>>()?;
    // The ready-to-run configurations follow the same rules, as written.
    for path in loopback::configs() {
        let text = std::fs::read_to_string(&path)?;
        rendered.push((path.display().to_string(), yaml_to_json(&text)?));
    }
    Ok(rendered)
}

fn yaml_to_json(text: &str) -> TestResult<Value> {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)?;
    Ok(serde_json::to_value(yaml)?)
}

/// Every object in `value` (at any depth) whose `@type` is `type_url`.
fn typed<'a>(value: &'a Value, type_url: &str, found: &mut Vec<&'a Value>) {
    match value {
        Value::Object(map) => {
            if map.get("@type").and_then(Value::as_str) == Some(type_url) {
                found.push(value);
            }
            map.values().for_each(|child| typed(child, type_url, found));
        }
        Value::Array(items) => items.iter().for_each(|child| typed(child, type_url, found)),
        _ => {}
    }
}

#[test]
fn every_template_carries_the_one_stats_tags_list() {
    let include = paths::config_dir()
        .join(INCLUDE_DIR)
        .join("stats-tags.yaml");
    let list =
        yaml_to_json(&std::fs::read_to_string(include).unwrap()).unwrap()["stats_tags"].clone();
    let labels: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| tag["tag_name"].as_str().unwrap())
        .collect();
    assert_eq!(labels, label::ALL);
    for (template, config) in rendered_templates().unwrap() {
        assert_eq!(
            config["stats_config"]["stats_tags"], list,
            "{template}: stats_tags differ from include/stats-tags.yaml"
        );
    }
}

#[test]
fn every_connection_manager_serves_canonical_paths() {
    for (template, config) in rendered_templates().unwrap() {
        let mut managers = Vec::new();
        typed(&config, HCM, &mut managers);
        let mut proxies = Vec::new();
        typed(&config, TCP_PROXY, &mut proxies);
        assert!(
            !managers.is_empty() || !proxies.is_empty(),
            "{template}: neither an HTTP connection manager nor a tcp_proxy"
        );
        for manager in managers {
            let name = &manager["stat_prefix"];
            assert_eq!(manager["normalize_path"], true, "{template} {name}");
            assert_eq!(manager["merge_slashes"], true, "{template} {name}");
            assert_eq!(
                manager["path_with_escaped_slashes_action"], "UNESCAPE_AND_REDIRECT",
                "{template} {name}"
            );
        }
    }
}

#[test]
fn every_inline_meshborder_filter_fails_closed() {
    for (template, config) in rendered_templates().unwrap() {
        let mut filters = Vec::new();
        typed(&config, WASM, &mut filters);
        typed(&config, NETWORK_WASM, &mut filters);
        for filter in filters {
            assert_eq!(
                filter["config"]["failure_policy"], "FAIL_RELOAD",
                "{template}"
            );
        }
    }
}
