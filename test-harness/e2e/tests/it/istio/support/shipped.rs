//! The plugins istio/ ships: as written in its files (TrafficExtensions), and as
//! every kustomization renders them, in the form it ships and, for the overlays,
//! in the other one.

use serde_json::Value;

use super::Result;
use super::files::{self, shown};
use super::forms::{self, SHIPPED};
use super::kustomize::BUILDS;
use super::models;
use super::views::plugin::{Form, Plugin};

/// One of the sidecars' two HTTP plugins: one configuration, run on one side of
/// the sidecar (Istio's `match.mode`), which its `direction` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SidecarHttp {
    /// The resource's name.
    pub name: &'static str,
    /// Its file, relative to istio/.
    pub file: &'static str,
    /// Its one `match` entry's `mode`: the listeners Istio runs it on.
    pub mode: &'static str,
    /// Its configuration's `direction`: the same side, named.
    pub direction: &'static str,
}

/// The sidecars' HTTP plugin on their outbound listeners
/// (base/plugin-sidecar-outbound.yaml).
pub const SIDECAR_OUTBOUND: SidecarHttp = SidecarHttp {
    name: "meshborder-outbound",
    file: "base/plugin-sidecar-outbound.yaml",
    mode: "CLIENT",
    direction: "outbound",
};
/// The sidecars' HTTP plugin on their inbound listener
/// (base/plugin-sidecar-inbound.yaml).
pub const SIDECAR_INBOUND: SidecarHttp = SidecarHttp {
    name: "meshborder-inbound",
    file: "base/plugin-sidecar-inbound.yaml",
    mode: "SERVER",
    direction: "inbound",
};
/// Both sidecar HTTP plugins.
pub const SIDECAR_HTTP: [SidecarHttp; 2] = [SIDECAR_OUTBOUND, SIDECAR_INBOUND];
/// The label both carry, and by which the overlays' patches and the components
/// select them.
pub const SIDECAR_HTTP_LABEL: (&str, &str) = ("app.kubernetes.io/component", "sidecar-http");
/// The sidecars' TCP plugin (base/plugin-sidecar-tcp.yaml).
pub const SIDECAR_TCP: &str = "meshborder-tcp";
/// The ingress gateway's plugin (base/plugin-gateway.yaml).
pub const GATEWAY: &str = "meshborder-gateway";
/// The waypoint's HTTP plugin (overlays/ambient-eu-west/plugin-waypoint.yaml).
pub const WAYPOINT: &str = "meshborder-waypoint";

/// The plugins among `documents`, in either form.
pub fn plugins(documents: &[Value]) -> Result<Vec<Plugin>> {
    documents
        .iter()
        .filter(|document| Form::of(document).is_some())
        .map(Plugin::from_document)
        .collect()
}

/// The complete plugins in istio/'s files (patches, which have no `url`, are left
/// out), with the file each is in.
pub fn plugins_in_files() -> Result<Vec<(String, Plugin)>> {
    let mut found = Vec::new();
    for path in files::istio_yaml_files()? {
        let documents = files::load_yaml(&path)?;
        for document in &documents {
            models::check_document(document).map_err(|e| format!("`{}`: {e}", shown(&path)))?;
        }
        for plugin in plugins(&documents).map_err(|e| format!("`{}`: {e}", shown(&path)))? {
            if plugin.spec.url.is_some() {
                found.push((shown(&path), plugin));
            }
        }
    }
    Ok(found)
}

/// The plugins `kustomize build` renders for `build` (relative to istio/).
pub fn plugins_in_build(build: &str) -> Result<Vec<Plugin>> {
    plugins_in_build_as(build, SHIPPED)
}

/// The plugins `kustomize build` renders for `build` with every cluster overlay in
/// `form`.
pub fn plugins_in_build_as(build: &str, form: Form) -> Result<Vec<Plugin>> {
    plugins(&forms::build_as(build, form)?)
}

/// Every complete plugin: in the files, and in every build in the form istio/
/// ships, with its origin.
pub fn all_plugins() -> Result<Vec<(String, Plugin)>> {
    let mut found = plugins_in_files()?;
    for build in BUILDS {
        for plugin in plugins_in_build(build)? {
            found.push((format!("kustomize build istio/{build}"), plugin));
        }
    }
    Ok(found)
}

/// The plugin called `name`.
pub fn named<'a>(plugins: &'a [Plugin], name: &str) -> Result<&'a Plugin> {
    plugins
        .iter()
        .find(|plugin| plugin.metadata.name.as_deref() == Some(name))
        .ok_or_else(|| format!("no plugin `{name}`"))
}

/// Whether `plugin` is one of the sidecar HTTP plugins.
pub fn is_sidecar_http(plugin: &Plugin) -> bool {
    plugin
        .metadata
        .name
        .as_deref()
        .is_some_and(|name| SIDECAR_HTTP.iter().any(|sidecar| sidecar.name == name))
}

/// The plugin in the istio/ file at `path`.
pub fn in_file(path: &str) -> Result<Plugin> {
    let path = files::istio_dir().join(path);
    let document = files::load_single_yaml(&path)?;
    models::check_document(&document)?;
    Plugin::from_document(&document).map_err(|e| format!("`{}`: {e}", shown(&path)))
}

/// A top-level field of a plugin's configuration.
pub fn config<'a>(plugin: &'a Plugin, key: &str) -> Option<&'a Value> {
    plugin
        .spec
        .plugin_config
        .as_ref()
        .and_then(|config| config.get(key))
}
