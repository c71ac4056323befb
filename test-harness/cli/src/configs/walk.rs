//! Where plugin configurations sit inside a YAML or JSON document.
//!
//! - A `WasmPlugin` whose `url` or name mentions meshborder: its
//!   `spec.pluginConfig`, as the JSON string Istio makes of it (no pluginConfig is
//!   the empty configuration); a `TrafficExtension` (Istio 1.30 and later) the
//!   same, its fields under `spec.wasm`.
//! - An Envoy Gateway `EnvoyExtensionPolicy`: each of its `spec.wasm` extensions
//!   whose name or code URL mentions meshborder, its `config` as the JSON string
//!   Envoy Gateway makes of it.
//! - Anywhere in an Envoy document: an `envoy.extensions.filters.http.wasm.v3.Wasm`
//!   or `envoy.extensions.filters.network.wasm.v3.Wasm` whose name, VM id or code
//!   mentions meshborder: its `config.configuration`, a `StringValue` (the string)
//!   or a `Struct` (its JSON).
//!
//! Each is found with the kind of filter it is loaded as: a plugin resource's
//! `type` (`NETWORK`, else HTTP), HTTP for Envoy Gateway (whose Wasm extensions
//! are HTTP filters), or the wasm filter's type.

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
    match value.get("kind").and_then(Value::as_str) {
        Some(kind @ "WasmPlugin") => {
            return plugin(value, kind, "/spec")
                .map(found)
                .into_iter()
                .collect();
        }
        Some(kind @ "TrafficExtension") => {
            return plugin(value, kind, "/spec/wasm")
                .map(found)
                .into_iter()
                .collect();
        }
        Some("EnvoyExtensionPolicy") => {
            return extension_policy(value).into_iter().map(found).collect();
        }
        _ => {}
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

/// An Istio plugin resource of `kind`, whose module's fields (`url`, `type`,
/// `pluginConfig`) are at `module`.
fn plugin(value: &Value, kind: &str, module: &str) -> Option<Found> {
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let name = text("/metadata/name");
    if !(text(&format!("{module}/url")).contains(MESHBORDER) || name.contains(MESHBORDER)) {
        return None;
    }
    let config = json_text(value.pointer(&format!("{module}/pluginConfig")));
    // Istio runs a plugin without a type (UNSPECIFIED_PLUGIN_TYPE) as HTTP.
    let filter = if text(&format!("{module}/type")) == "NETWORK" {
        FilterKind::Network
    } else {
        FilterKind::Http
    };
    Some((resource_location(value, kind), config, filter))
}

/// The meshborder extensions of an Envoy Gateway `EnvoyExtensionPolicy`.
fn extension_policy(value: &Value) -> Vec<Found> {
    let extensions = value.pointer("/spec/wasm").and_then(Value::as_array);
    let policy = resource_location(value, "EnvoyExtensionPolicy");
    let mut found = Vec::new();
    for (index, extension) in extensions.into_iter().flatten().enumerate() {
        let text = |pointer: &str| {
            extension
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let mentions = ["/name", "/code/image/url", "/code/http/url"]
            .iter()
            .any(|pointer| text(pointer).contains(MESHBORDER));
        if !mentions {
            continue;
        }
        let name = text("/name");
        let location = if name.is_empty() {
            format!("{policy}, wasm[{index}]")
        } else {
            format!("{policy}, wasm `{name}`")
        };
        found.push((
            location,
            json_text(extension.get("config")),
            FilterKind::Http,
        ));
    }
    found
}

/// `value` as the JSON text its host hands the filter; nothing for no value.
fn json_text(value: Option<&Value>) -> Vec<u8> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(config) => serde_json::to_vec(config).unwrap_or_default(),
    }
}

/// ``Kind `namespace/name` `` of a Kubernetes resource.
fn resource_location(value: &Value, kind: &str) -> String {
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).unwrap_or("");
    let (name, namespace) = (text("/metadata/name"), text("/metadata/namespace"));
    if namespace.is_empty() {
        format!("{kind} `{name}`")
    } else {
        format!("{kind} `{namespace}/{name}`")
    }
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
