//! Config templates of `envoy-config/`: YAML with `{{...}}` placeholders that the
//! harness's renderer fills in per topology. Their plugin configurations are the
//! JSON files they include with `{{json:file.json}}`, read from the template's
//! directory (or the nearest parent that has the file). An include named by a
//! value, `{{json:$name}}`, is chosen at render time and cannot be followed here.
//! An include is loaded as the kind of wasm filter (HTTP or network) whose type
//! comes last before it in the template.

use std::fs;
use std::path::Path;

use super::walk::{HTTP_WASM_TYPE, NETWORK_WASM_TYPE, wasm_filter_kind};
use super::{FilterKind, FoundConfig, NodeIdentity};

const OPEN: &str = "{{";
const CLOSE: &str = "}}";
const JSON_INCLUDE: &str = "json:";

/// Whether `text` has placeholders (valid YAML that merely contains `{{`, such
/// as a Grafana legend, is read as YAML first).
pub fn is_template(text: &str) -> bool {
    text.contains(OPEN)
}

/// The plugin configurations a template includes, and the value names of
/// includes chosen at render time.
pub fn included_configs(
    path: &Path,
    text: &str,
) -> Result<(Vec<FoundConfig>, Vec<String>), String> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let (mut found, mut deferred) = (Vec::new(), Vec::new());
    let mut rest = text;
    let mut kind = None;
    while let Some((before, after)) = rest.split_once(OPEN) {
        kind = last_filter_kind(before).or(kind);
        let Some((name, tail)) = after.split_once(CLOSE) else {
            return Err("as a template: a `{{` placeholder is never closed".to_owned());
        };
        rest = tail;
        let Some(file) = name.strip_prefix(JSON_INCLUDE) else {
            continue;
        };
        if let Some(value_name) = file.strip_prefix('$') {
            deferred.push(value_name.to_owned());
            continue;
        }
        let include = dir
            .ancestors()
            .map(|d| d.join(file))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| {
                format!("as a template: include `{file}` not found next to it or above")
            })?;
        let config = fs::read(&include)
            .map_err(|e| format!("reading include `{}`: {e}", include.display()))?;
        found.push(FoundConfig {
            file: path.to_owned(),
            document: None,
            location: format!("includes `{file}`"),
            config,
            node: NodeIdentity::default(),
            kind,
        });
    }
    Ok((found, deferred))
}

/// The kind of the wasm filter whose type comes last in `text`.
fn last_filter_kind(text: &str) -> Option<FilterKind> {
    [HTTP_WASM_TYPE, NETWORK_WASM_TYPE]
        .iter()
        .filter_map(|type_url| Some((text.rfind(type_url)?, *type_url)))
        .max_by_key(|(at, _)| *at)
        .and_then(|(_, type_url)| wasm_filter_kind(type_url))
}
