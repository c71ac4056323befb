//! The WasmPlugins istio/ ships: as written in its files, and as every
//! kustomization renders them.

use serde_json::Value;

use super::Result;
use super::files::{self, shown};
use super::kustomize::{self, BUILDS};
use super::models::{self, all_of_kind, typed};
use super::views::wasm_plugin::WasmPlugin;

/// The sidecars' HTTP plugin (base/wasmplugin-sidecar.yaml).
pub const SIDECAR: &str = "meshborder";
/// The sidecars' TCP plugin (base/wasmplugin-sidecar-tcp.yaml).
pub const SIDECAR_TCP: &str = "meshborder-tcp";
/// The ingress gateway's plugin (base/wasmplugin-gateway.yaml).
pub const GATEWAY: &str = "meshborder-gateway";

/// The complete WasmPlugins in istio/'s files (patches, which have no `url`, are
/// left out), with the file each is in.
pub fn plugins_in_files() -> Result<Vec<(String, WasmPlugin)>> {
    let mut plugins = Vec::new();
    for path in files::istio_yaml_files()? {
        for document in files::load_yaml(&path)? {
            let resource = models::check_document(&document)
                .map_err(|e| format!("`{}`: {e}", shown(&path)))?;
            if resource.kind() == "WasmPlugin" {
                let plugin: WasmPlugin = typed(&document)?;
                if plugin.spec.url.is_some() {
                    plugins.push((shown(&path), plugin));
                }
            }
        }
    }
    Ok(plugins)
}

/// The WasmPlugins `kustomize build` renders for `build` (relative to istio/).
pub fn plugins_in_build(build: &str) -> Result<Vec<WasmPlugin>> {
    all_of_kind(&kustomize::build(build)?, "WasmPlugin")
}

/// Every complete WasmPlugin: in the files and in every build, with its origin.
pub fn all_plugins() -> Result<Vec<(String, WasmPlugin)>> {
    let mut plugins = plugins_in_files()?;
    for build in BUILDS {
        for plugin in plugins_in_build(build)? {
            plugins.push((format!("kustomize build istio/{build}"), plugin));
        }
    }
    Ok(plugins)
}

/// The WasmPlugin called `name`.
pub fn named<'a>(plugins: &'a [WasmPlugin], name: &str) -> Result<&'a WasmPlugin> {
    plugins
        .iter()
        .find(|plugin| plugin.metadata.name.as_deref() == Some(name))
        .ok_or_else(|| format!("no WasmPlugin `{name}`"))
}

/// The WasmPlugin in the istio/ file at `path`.
pub fn in_file(path: &str) -> Result<WasmPlugin> {
    let path = files::istio_dir().join(path);
    let document = files::load_single_yaml(&path)?;
    match models::check_document(&document)?.kind() {
        "WasmPlugin" => typed(&document),
        other => Err(format!("`{}` holds a {other}", shown(&path))),
    }
}

/// A top-level field of a plugin's configuration.
pub fn config<'a>(plugin: &'a WasmPlugin, key: &str) -> Option<&'a Value> {
    plugin
        .spec
        .plugin_config
        .as_ref()
        .and_then(|config| config.get(key))
}
