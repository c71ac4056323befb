//! Plugin configs as JSON values a test can change: the ones shipped in
//! `envoy-config/`, and rendering a template with another config in their place.
//! This is how a test hands Envoy a config the filter refuses (a misspelt region
//! group, say) through the very template that ships the good one.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::error::{HarnessError, Result};
use crate::paths;
use crate::render::{self, Values};

/// The plugin config shipped as `envoy-config/<file>`.
pub fn shipped(file: &str) -> Result<Value> {
    let text = read(&paths::config_dir().join(file))?;
    serde_json::from_str(&text).map_err(|e| HarnessError::Render {
        template: file.to_owned(),
        reason: format!("not valid JSON: {e}"),
    })
}

/// Renders `envoy-config/<template>` like [`render::render`], but with `plugin` in
/// place of every plugin config it includes (`{{json:...}}`).
pub fn render_with(template: &str, values: &Values, plugin: &Value) -> Result<String> {
    let dir = paths::config_dir();
    let text = read(&dir.join(template))?;
    let plugin = plugin.to_string();
    render::render_text(template, &text, values, &|file| {
        if Path::new(file).extension().is_some_and(|ext| ext == "json") {
            Ok(plugin.clone())
        } else {
            read(&dir.join(file))
        }
    })
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path)
        .map_err(|e| HarnessError::io(format!("reading `{}`", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_template_with_another_plugin_config_inlined() {
        let values = crate::gateway::validation_values(Path::new("/filter.wasm"));
        let plugin = serde_json::json!({ "routing": { "default": "eu-central-1" } });
        let rendered = render_with(crate::gateway::GATEWAY, &values, &plugin).unwrap();
        assert!(
            rendered.contains(r#"value: "{\"routing\":{\"default\":\"eu-central-1\"}}""#),
            "{rendered}"
        );
        assert!(!rendered.contains("{{"), "left a placeholder:\n{rendered}");
    }

    #[test]
    fn reads_a_shipped_plugin_config() {
        let config = shipped(crate::gateway::PLUGIN_CONFIG).unwrap();
        assert_eq!(config["routing"]["default"], "us-east-1");
    }
}
