//! The committed JSON Schema of the plugin configuration matches the config types.
//!
//! Regenerate it after changing `config.rs` with
//! `MESHBORDER_WRITE_SCHEMA=1 cargo test -p meshborder-filter schema`.

use crate::policy::config::PluginConfig;

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config.schema.json");

fn generated() -> String {
    let schema = schemars::schema_for!(PluginConfig);
    let mut text = serde_json::to_string_pretty(&schema).unwrap();
    text.push('\n');
    text
}

#[test]
fn committed_schema_matches_the_config_types() {
    let generated = generated();
    if std::env::var_os("MESHBORDER_WRITE_SCHEMA").is_some() {
        std::fs::write(SCHEMA_PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "filter/config.schema.json is out of date: run `MESHBORDER_WRITE_SCHEMA=1 cargo test -p meshborder-filter schema`"
    );
}

#[test]
fn schema_rejects_unknown_fields_everywhere() {
    let schema: serde_json::Value = serde_json::from_str(&generated()).unwrap();
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
    let defs = schema["$defs"].as_object().unwrap();
    for name in [
        "ResidencyConfig",
        "RuleConfig",
        "MatchConfig",
        "RoutingConfig",
        "RouteSourceConfig",
        "MetricsConfig",
        "ClusterConfig",
    ] {
        assert_eq!(
            defs[name]["additionalProperties"],
            serde_json::json!(false),
            "{name}"
        );
    }
}
