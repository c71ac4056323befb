//! The ready-to-run sidecars of `envoy-config/loopback/`: their inline plugin
//! configurations and `stats_tags` are the shipped ones, and the README's lines
//! start them and send requests through them exactly as a user would, with
//! `envoy` the binary under test; each request prints what its comment promises.

use std::fs;
use std::net::SocketAddr;

use meshborder_e2e::loopback::{self, Walkthrough};
use meshborder_e2e::paths;
use meshborder_e2e::ports::{self, LOOPBACK};
use serde_json::Value;

const WASM: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";

fn yaml(path: &std::path::Path) -> Value {
    let text = fs::read_to_string(path).unwrap();
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    serde_json::to_value(yaml).unwrap()
}

/// The `configuration` strings of every meshborder HTTP filter in `config`.
fn plugin_configs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.get("@type").and_then(Value::as_str) == Some(WASM) {
                let inline = &map["config"]["configuration"]["value"];
                found.push(inline.as_str().unwrap().to_owned());
            }
            map.values().for_each(|child| plugin_configs(child, found));
        }
        Value::Array(items) => items.iter().for_each(|child| plugin_configs(child, found)),
        _ => {}
    }
}

#[test]
fn each_loopback_sidecar_inlines_the_plugin_config_its_comment_names() {
    let expected = [
        ("eu-west-inbound.yaml", "eu-west-plugin.json"),
        ("us-east-outbound.yaml", "outbound-plugin.json"),
    ];
    for (config, plugin) in expected {
        let path = paths::config_dir().join(loopback::DIR).join(config);
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(&format!("# envoy-config/{plugin}, as a JSON string.")),
            "{config} does not name {plugin}"
        );
        let mut found = Vec::new();
        plugin_configs(&yaml(&path), &mut found);
        let shipped: Value =
            serde_json::from_str(&fs::read_to_string(paths::config_dir().join(plugin)).unwrap())
                .unwrap();
        assert_eq!(found.len(), 1, "{config}: one meshborder filter");
        let inline: Value = serde_json::from_str(&found[0]).unwrap();
        assert_eq!(
            inline, shipped,
            "{config}: the inline config differs from {plugin}"
        );
    }
}

#[test]
fn each_loopback_sidecar_carries_the_one_stats_tags_list() {
    let include = yaml(&paths::config_dir().join("include/stats-tags.yaml"));
    for path in loopback::configs() {
        assert_eq!(
            yaml(&path)["stats_config"]["stats_tags"],
            include["stats_tags"],
            "{}",
            path.display()
        );
    }
}

#[test]
fn the_readme_lines_start_both_sidecars_and_a_request_through_them_reaches_the_app_tagged() {
    paths::filter_wasm().unwrap();
    for port in loopback::PORTS {
        ports::ensure_free(SocketAddr::new(LOOPBACK, port)).unwrap();
    }
    let steps = loopback::readme_steps().unwrap();
    let run_dir = paths::run_dir("loopback").unwrap();
    let mut walkthrough = Walkthrough::default();
    let mut started = 0;
    let mut promised = 0;
    for (index, step) in steps.iter().enumerate() {
        // make test has just built the filter; building it again while other tests
        // load it would only cost time.
        if step.command == "make build" {
            continue;
        }
        if step.background {
            let log = run_dir.join(format!("step-{index}.log"));
            walkthrough.spawn(step, &log).unwrap();
            started += 1;
            continue;
        }
        if step.command.starts_with("curl") {
            walkthrough.wait_ready().unwrap();
        }
        let output = loopback::run(step).unwrap();
        if let Some(promise) = &step.promise
            && step.command.starts_with("curl")
        {
            promised += 1;
            for part in promise.split(", ") {
                assert!(
                    output.contains(part),
                    "`{}` promises `{part}`, but printed:\n{output}",
                    step.command
                );
            }
        }
    }
    assert_eq!(started, 2, "the README starts two Envoys");
    assert!(
        promised >= 2,
        "the README's requests promise what they print"
    );
}
