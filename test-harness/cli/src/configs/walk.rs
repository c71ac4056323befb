//! Where plugin configurations sit inside a YAML or JSON document.
//!
//! - A `WasmPlugin` whose `url` or name mentions meshborder: its
//!   `spec.pluginConfig`, as the JSON string Istio makes of it (no pluginConfig is
//!   the empty configuration).
//! - Anywhere in an Envoy document: an `envoy.extensions.filters.http.wasm.v3.Wasm`
//!   whose name, VM id or code mentions meshborder: its `config.configuration`, a
//!   `StringValue` (the string) or a `Struct` (its JSON).

use std::path::Path;

use serde_json::Value;

use super::{FoundConfig, NodeIdentity};

const WASM_FILTER_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const MESHBORDER: &str = "meshborder";

/// Whether a JSON file is a document (Kubernetes or Envoy) rather than a plugin
/// configuration.
pub fn is_document(value: &Value) -> bool {
    [
        "kind",
        "apiVersion",
        "static_resources",
        "dynamic_resources",
        "resources",
        "node",
        "admin",
        "stats_config",
        "layered_runtime",
    ]
    .iter()
    .any(|key| value.get(key).is_some())
}

/// Whether a JSON file is a JSON Schema (of the plugin configuration, say).
pub fn is_json_schema(value: &Value) -> bool {
    value.get("$schema").is_some() || value.get("$id").is_some()
}

/// Every meshborder configuration in document `index` of `file`.
pub fn configs_in(value: &Value, file: &Path, index: Option<usize>) -> Vec<FoundConfig> {
    let node = node_identity(value);
    let found = |location: String, config: Vec<u8>| FoundConfig {
        file: file.to_owned(),
        document: index,
        location,
        config,
        node: node.clone(),
    };
    if value.get("kind").and_then(Value::as_str) == Some("WasmPlugin") {
        return wasm_plugin(value)
            .map(|(location, config)| found(location, config))
            .into_iter()
            .collect();
    }
    let mut filters = Vec::new();
    collect_filters(value, &mut Vec::new(), &mut filters);
    filters
        .into_iter()
        .map(|(location, config)| found(location, config))
        .collect()
}

fn wasm_plugin(value: &Value) -> Option<(String, Vec<u8>)> {
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let name = text("/metadata/name");
    let namespace = text("/metadata/namespace");
    if !(text("/spec/url").contains(MESHBORDER) || name.contains(MESHBORDER)) {
        return None;
    }
    let config = match value.pointer("/spec/pluginConfig") {
        None | Some(Value::Null) => Vec::new(),
        Some(config) => serde_json::to_vec(config).unwrap_or_default(),
    };
    let location = if namespace.is_empty() {
        format!("WasmPlugin `{name}`")
    } else {
        format!("WasmPlugin `{namespace}/{name}`")
    };
    Some((location, config))
}

fn collect_filters<'a>(
    value: &'a Value,
    names: &mut Vec<&'a str>,
    out: &mut Vec<(String, Vec<u8>)>,
) {
    match value {
        Value::Object(map) => {
            let name = map.get("name").and_then(Value::as_str);
            if let Some(name) = name {
                names.push(name);
            }
            if map.get("@type").and_then(Value::as_str) == Some(WASM_FILTER_TYPE) {
                if let Some(found) = wasm_filter(value, names) {
                    out.push(found);
                }
            } else {
                for child in map.values() {
                    collect_filters(child, names, out);
                }
            }
            if name.is_some() {
                names.pop();
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_filters(item, names, out);
            }
        }
        _ => {}
    }
}

fn wasm_filter(filter: &Value, names: &[&str]) -> Option<(String, Vec<u8>)> {
    let config = filter.get("config")?;
    let text = |pointer: &str| {
        config
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let mentions = [
        "/name",
        "/root_id",
        "/vm_config/vm_id",
        "/vm_config/code/local/filename",
        "/vm_config/code/remote/http_uri/uri",
    ]
    .iter()
    .any(|pointer| text(pointer).contains(MESHBORDER));
    if !mentions {
        return None;
    }
    let bytes = match config.get("configuration") {
        None => Vec::new(),
        Some(any) => match any.get("value") {
            Some(Value::String(text)) => text.as_bytes().to_vec(),
            Some(other) => serde_json::to_vec(other).unwrap_or_default(),
            None => Vec::new(),
        },
    };
    let name = text("/name");
    let location = match names.first() {
        Some(outer) => format!("wasm filter `{name}` in `{outer}`"),
        None => format!("wasm filter `{name}`"),
    };
    Some((location, bytes))
}

fn node_identity(value: &Value) -> NodeIdentity {
    let text = |pointer: &str| {
        value
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    NodeIdentity {
        cluster: text("/node/metadata/CLUSTER_ID"),
        region: text("/node/locality/region"),
        zone: text("/node/locality/zone"),
    }
}
