//! The stats-tag regexes that turn the filter's embedded-tag counter names into
//! Prometheus labels, read from every place that carries them: the Envoy configs in
//! envoy-config/ and, in istio/, the bootstrap override and the legacy EnvoyFilter.

use std::path::Path;

use meshborder_e2e::paths;
use serde_json::Value;

use super::Result;
use super::files::{self, shown};
use super::models::typed;
use super::views::envoy_filter::{EnvoyFilter, StatsTag, StatsTagsBootstrap};

/// istio/'s bootstrap override: the one file both ConfigMaps are generated from.
pub const BOOTSTRAP_OVERRIDE: &str = "base/stats-tags-bootstrap.json";
/// istio/'s EnvoyFilter BOOTSTRAP patch, for Istio 1.20 and earlier.
pub const LEGACY_ENVOY_FILTER: &str = "metrics/legacy-envoyfilter-stats-tags.yaml";

/// The stats tags of istio/'s bootstrap override file.
pub fn bootstrap_override() -> Result<Vec<StatsTag>> {
    let path = files::istio_dir().join(BOOTSTRAP_OVERRIDE);
    let fragment: StatsTagsBootstrap =
        typed(&files::load_json(&path)?).map_err(|e| format!("`{}` {e}", shown(&path)))?;
    Ok(fragment.stats_config.stats_tags)
}

/// The stats tags of istio/'s EnvoyFilter BOOTSTRAP patch.
pub fn legacy_envoy_filter() -> Result<Vec<StatsTag>> {
    let path = files::istio_dir().join(LEGACY_ENVOY_FILTER);
    let filter: EnvoyFilter = typed(&files::load_single_yaml(&path)?)?;
    let mut tags = Vec::new();
    for patch in &filter.spec.config_patches {
        if patch.apply_to != "BOOTSTRAP" {
            return Err(format!("`{}`: a patch that is not BOOTSTRAP", shown(&path)));
        }
        let value = patch
            .patch
            .value
            .as_ref()
            .ok_or_else(|| format!("`{}`: a patch without a value", shown(&path)))?;
        let fragment: StatsTagsBootstrap =
            typed(value).map_err(|e| format!("`{}` patch value {e}", shown(&path)))?;
        tags.extend(fragment.stats_config.stats_tags);
    }
    Ok(tags)
}

/// Every `stats_tags` list in the YAML files of envoy-config/, with the file it is
/// in. The files are templates: a line that is only a placeholder (an include of
/// another file, which this walk reads in that file) is dropped, and every other
/// `{{...}}` placeholder becomes `0`, so that they parse.
pub fn envoy_config_lists() -> Result<Vec<(String, Vec<StatsTag>)>> {
    let dir = paths::workspace_root().join("envoy-config");
    let mut lists = Vec::new();
    for path in files::files_ending_with(&dir, &[".yaml", ".yml"])? {
        let text = without_placeholders(&files::read(&path)?);
        for document in files::yaml_documents(&text, &shown(&path))? {
            collect_lists(&path, &document, &mut lists)?;
        }
    }
    Ok(lists)
}

fn collect_lists(
    path: &Path,
    value: &Value,
    lists: &mut Vec<(String, Vec<StatsTag>)>,
) -> Result<()> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "stats_tags" {
                    let tags: Vec<StatsTag> =
                        typed(child).map_err(|e| format!("`{}` stats_tags {e}", shown(path)))?;
                    lists.push((shown(path), tags));
                } else {
                    collect_lists(path, child, lists)?;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_lists(path, item, lists)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `text` without lines that are only a placeholder, and with every other
/// `{{...}}` replaced by `0`.
fn without_placeholders(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| {
            let line = line.trim();
            !(line.starts_with("{{") && line.ends_with("}}") && line.matches("{{").count() == 1)
        })
        .collect();
    let text = kept.join("\n");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{{") {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        match after.find("}}") {
            Some(end) => {
                out.push('0');
                rest = after.get(end + 2..).unwrap_or_default();
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The tags sorted by name: Envoy applies every extractor, so order does not
/// change the result as long as each label has one regex.
pub fn sorted(mut tags: Vec<StatsTag>) -> Vec<StatsTag> {
    tags.sort();
    tags
}
