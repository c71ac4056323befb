//! Where plugin configurations sit inside a YAML or JSON document.
//!
//! - A `WasmPlugin` whose `url` or name mentions meshborder: its
//!   `spec.pluginConfig`, as the JSON string Istio makes of it (no pluginConfig is
//!   the empty configuration).
//! - Anywhere in an Envoy document: an `envoy.extensions.filters.http.wasm.v3.Wasm`
//!   or `envoy.extensions.filters.network.wasm.v3.Wasm` whose name, VM id or code
//!   mentions meshborder: its `config.configuration`, a `StringValue` (the string)
//!   or a `Struct` (its JSON).
//!
//! Each is found with the kind of filter it is loaded as: a `WasmPlugin`'s `type`
//! (`NETWORK`, else HTTP), or the wasm filter's type.

use std::path::Path;

use serde_json::Value;

use super::{FilterKind, FoundConfig, NodeIdentity};

/// The type of Envoy's wasm HTTP filter's configuration.
pub const HTTP_WASM_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
/// The type of Envoy's wasm network filter's configuration.
pub const NETWORK_WASM_TYPE: &str =
    "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm";
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
    let found = |(location, config, kind): Found| FoundConfig {
        file: file.to_owned(),
        document: index,
        location,
        config,
        node: node.clone(),
        kind: Some(kind),
    };
    if value.get("kind").and_then(Value::as_str) == Some("WasmPlugin") {
        return wasm_plugin(value).map(found).into_iter().collect();
    }
    let mut filters = Vec::new();
    collect_filters(value, &mut Vec::new(), &mut filters);
    filters.into_iter().map(found).collect()
}

/// A configuration's location, bytes, and the kind of filter it is loaded as.
type Found = (String, Vec<u8>, FilterKind);

/// The kind of filter Envoy's wasm filter configuration of type `type_url` is.
pub fn wasm_filter_kind(type_url: &str) -> Option<FilterKind> {
    match type_url {
        HTTP_WASM_TYPE => Some(FilterKind::Http),
        NETWORK_WASM_TYPE => Some(FilterKind::Network),
        _ => None,
    }
}

fn wasm_plugin(value: &Value) -> Option<Found> {
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
    // Istio runs a plugin without a type (UNSPECIFIED_PLUGIN_TYPE) as HTTP.
    let kind = if text("/spec/type") == "NETWORK" {
        FilterKind::Network
    } else {
        FilterKind::Http
    };
    Some((location, config, kind))
}

fn collect_filters<'a>(value: &'a Value, names: &mut Vec<&'a str>, out: &mut Vec<Found>) {
    match value {
        Value::Object(map) => {
            let name = map.get("name").and_then(Value::as_str);
            if let Some(name) = name {
                names.push(name);
            }
            let kind = map
                .get("@type")
                .and_then(Value::as_str)
                .and_then(wasm_filter_kind);
            if let Some(kind) = kind {
                if let Some((location, config)) = wasm_filter(value, names) {
                    out.push((location, config, kind));
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
