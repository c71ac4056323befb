//! Just enough of `kustomize build` to see the `WasmPlugin`s an overlay deploys:
//! `resources` (files and directories), `components`, and `patches` given as a
//! file or inline, either a merge patch (for a custom resource such as
//! `WasmPlugin`, a strategic merge patch is a JSON merge patch: maps merge, lists
//! are replaced, `null` deletes) or JSON 6902 operations (`add`, `replace`,
//! `remove`) on the resources their `target` selects. Generators and labels do not
//! change a plugin configuration and are ignored.
//!
//! An overlay's patch files are partial on purpose (the cluster's identity and
//! rules over the shared base), so only the built result can be checked.

use std::fs;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// File names kustomize looks for, in its order.
const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The kustomization file of `dir`, if it has one.
pub fn kustomization_file(dir: &Path) -> Option<std::path::PathBuf> {
    FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// Whether `dir` holds a `Kustomization` (a `Component` cannot be built alone).
pub fn is_buildable(dir: &Path) -> bool {
    kustomization_file(dir)
        .and_then(|file| read_docs(&file).ok())
        .and_then(|docs| docs.into_iter().next())
        .is_some_and(|k| k.get("kind").and_then(Value::as_str) != Some("Component"))
}

/// The resources `dir` builds to, patched.
pub fn build(dir: &Path) -> Result<Vec<Value>, String> {
    build_at(dir, 0)
}

fn build_at(dir: &Path, depth: usize) -> Result<Vec<Value>, String> {
    if depth > 16 {
        return Err(format!("`{}`: kustomizations nest too deep", dir.display()));
    }
    let file = kustomization_file(dir)
        .ok_or_else(|| format!("`{}` has no kustomization.yaml", dir.display()))?;
    let kustomization = read_docs(&file)?.into_iter().next().unwrap_or(Value::Null);
    let mut docs = Vec::new();
    for resource in strings(&kustomization, "resources") {
        let path = dir.join(resource);
        if path.is_dir() {
            docs.extend(build_at(&path, depth + 1)?);
        } else {
            docs.extend(read_docs(&path)?);
        }
    }
    for component in strings(&kustomization, "components") {
        let component_dir = dir.join(component);
        let file = kustomization_file(&component_dir).ok_or_else(|| {
            format!(
                "component `{}` has no kustomization.yaml",
                component_dir.display()
            )
        })?;
        let component_k = read_docs(&file)?.into_iter().next().unwrap_or(Value::Null);
        for resource in strings(&component_k, "resources") {
            docs.extend(read_docs(&component_dir.join(resource))?);
        }
        apply_patches(&mut docs, &component_dir, &component_k)?;
    }
    apply_patches(&mut docs, dir, &kustomization)?;
    Ok(docs)
}

fn strings<'a>(value: &'a Value, key: &str) -> Vec<&'a str> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The YAML documents of a file, as JSON values.
pub fn read_docs(path: &Path) -> Result<Vec<Value>, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("reading `{}`: {e}", path.display()))?;
    parse_docs(&text).map_err(|e| format!("`{}`: {e}", path.display()))
}

fn parse_docs(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|e| format!("invalid YAML in document {}: {e}", index.saturating_add(1)))?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

fn apply_patches(docs: &mut [Value], dir: &Path, kustomization: &Value) -> Result<(), String> {
    let Some(patches) = kustomization.get("patches").and_then(Value::as_array) else {
        return Ok(());
    };
    for patch in patches {
        let text = match (
            patch.get("path").and_then(Value::as_str),
            patch.get("patch"),
        ) {
            (Some(path), _) => fs::read_to_string(dir.join(path))
                .map_err(|e| format!("reading patch `{path}`: {e}"))?,
            (None, Some(Value::String(inline))) => inline.clone(),
            _ => return Err("a patch without `path` or `patch`".to_owned()),
        };
        let body = parse_docs(&text)?.into_iter().next().unwrap_or(Value::Null);
        let target = patch.get("target");
        for doc in docs.iter_mut() {
            let selected = match target {
                Some(target) => matches_target(doc, target),
                None => same_resource(doc, &body),
            };
            if !selected {
                continue;
            }
            match &body {
                Value::Array(ops) => apply_json6902(doc, ops)?,
                merge => merge_patch(doc, merge),
            }
        }
    }
    Ok(())
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn same_resource(doc: &Value, patch: &Value) -> bool {
    text(doc, "/kind") == text(patch, "/kind")
        && text(doc, "/metadata/name") == text(patch, "/metadata/name")
        && text(patch, "/metadata/namespace")
            .is_none_or(|ns| text(doc, "/metadata/namespace") == Some(ns))
}

fn matches_target(doc: &Value, target: &Value) -> bool {
    let group = text(doc, "/apiVersion")
        .and_then(|v| v.split_once('/'))
        .map_or("", |(group, _)| group);
    let checks = [
        ("kind", text(doc, "/kind").unwrap_or("")),
        ("group", group),
        ("name", text(doc, "/metadata/name").unwrap_or("")),
        ("namespace", text(doc, "/metadata/namespace").unwrap_or("")),
    ];
    checks.iter().all(|(key, actual)| {
        target
            .get(key)
            .and_then(Value::as_str)
            .is_none_or(|want| want == *actual)
    })
}

/// RFC 7386: objects merge, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = target {
        for (key, change) in changes {
            if change.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), change);
            }
        }
    }
}

/// JSON 6902 `add`, `replace` and `remove`.
fn apply_json6902(doc: &mut Value, ops: &[Value]) -> Result<(), String> {
    for op in ops {
        let kind = text(op, "/op").unwrap_or("");
        let path = text(op, "/path").ok_or("a JSON 6902 operation without `path`")?;
        let (parent, last) = path
            .rsplit_once('/')
            .ok_or_else(|| format!("bad JSON 6902 path `{path}`"))?;
        let last = last.replace("~1", "/").replace("~0", "~");
        let parent = doc
            .pointer_mut(parent)
            .ok_or_else(|| format!("JSON 6902 `{kind}`: no `{parent}` in the resource"))?;
        match (kind, parent) {
            ("add" | "replace", Value::Object(map)) => {
                map.insert(last, op.get("value").cloned().unwrap_or(Value::Null));
            }
            ("remove", Value::Object(map)) => {
                map.remove(&last);
            }
            ("add" | "replace", Value::Array(items)) => {
                let value = op.get("value").cloned().unwrap_or(Value::Null);
                match (kind, last.as_str(), last.parse::<usize>()) {
                    ("add", "-", _) => items.push(value),
                    ("add", _, Ok(i)) if i <= items.len() => items.insert(i, value),
                    ("replace", _, Ok(i)) if i < items.len() => {
                        if let Some(slot) = items.get_mut(i) {
                            *slot = value;
                        }
                    }
                    _ => return Err(format!("JSON 6902 `{kind}`: bad index in `{path}`")),
                }
            }
            ("remove", Value::Array(items)) => match last.parse::<usize>() {
                Ok(i) if i < items.len() => {
                    items.remove(i);
                }
                _ => return Err(format!("JSON 6902 `remove`: bad index in `{path}`")),
            },
            (other, _) => {
                return Err(format!(
                    "JSON 6902 operation `{other}` on `{path}` is not supported"
                ));
            }
        }
    }
    Ok(())
}
