//! kustomize's `Kustomization` and `Component`, from kustomize's
//! `api/types/kustomization.go` and the types it uses.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// A `kustomization.yaml` (kind `Kustomization` or `Component`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Kustomization {
    /// `kustomize.config.k8s.io/v1beta1` (or v1alpha1 for a Component).
    pub api_version: String,
    /// `Kustomization` or `Component`.
    pub kind: String,
    /// Metadata (opaque).
    pub metadata: Option<Value>,
    /// OpenAPI schema (opaque).
    pub openapi: Option<Value>,
    /// Prefix for every name.
    pub name_prefix: Option<String>,
    /// Suffix for every name.
    pub name_suffix: Option<String>,
    /// Namespace for every resource.
    pub namespace: Option<String>,
    /// Deprecated labels (use `labels`).
    pub common_labels: Option<BTreeMap<String, String>>,
    /// Labels.
    pub labels: Option<Vec<Label>>,
    /// Annotations for every resource.
    pub common_annotations: Option<BTreeMap<String, String>>,
    /// Deprecated strategic-merge patches (use `patches`).
    pub patches_strategic_merge: Option<Vec<String>>,
    /// Deprecated JSON 6902 patches (use `patches`).
    pub patches_json6902: Option<Vec<Patch>>,
    /// Patches.
    pub patches: Option<Vec<Patch>>,
    /// Image overrides (opaque).
    pub images: Option<Vec<Value>>,
    /// Deprecated.
    pub image_tags: Option<Vec<Value>>,
    /// Replacements (opaque).
    pub replacements: Option<Vec<Value>>,
    /// Replica overrides (opaque).
    pub replicas: Option<Vec<Value>>,
    /// Deprecated variables (opaque).
    pub vars: Option<Vec<Value>>,
    /// Output order (opaque).
    pub sort_options: Option<Value>,
    /// Resources: files and directories.
    pub resources: Option<Vec<String>>,
    /// Components.
    pub components: Option<Vec<String>>,
    /// CRD schema files.
    pub crds: Option<Vec<String>>,
    /// Deprecated (use `resources`).
    pub bases: Option<Vec<String>>,
    /// ConfigMap generators.
    pub config_map_generator: Option<Vec<GeneratorArgs>>,
    /// Secret generators.
    pub secret_generator: Option<Vec<GeneratorArgs>>,
    /// Helm globals (opaque).
    pub helm_globals: Option<Value>,
    /// Helm charts (opaque).
    pub helm_charts: Option<Vec<Value>>,
    /// Deprecated Helm generator (opaque).
    pub helm_chart_inflation_generator: Option<Vec<Value>>,
    /// Options for every generator.
    pub generator_options: Option<GeneratorOptions>,
    /// Transformer configurations.
    pub configurations: Option<Vec<String>>,
    /// Generator plugins.
    pub generators: Option<Vec<String>>,
    /// Transformer plugins.
    pub transformers: Option<Vec<String>>,
    /// Validator plugins.
    pub validators: Option<Vec<String>>,
    /// Build metadata options.
    pub build_metadata: Option<Vec<String>>,
}

/// A `labels` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Label {
    /// The labels.
    pub pairs: BTreeMap<String, String>,
    /// Also add them to selectors.
    pub include_selectors: Option<bool>,
    /// Also add them to pod templates.
    pub include_templates: Option<bool>,
    /// Also add them to volume claim templates.
    pub include_volume_claim_templates: Option<bool>,
    /// Other fields to add them to (opaque).
    pub fields: Option<Vec<Value>>,
}

/// A patch: a file or inline text, strategic-merge or JSON 6902, with an optional
/// target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// A patch file, relative to the kustomization.
    pub path: Option<String>,
    /// An inline patch.
    pub patch: Option<String>,
    /// Which resources.
    pub target: Option<Selector>,
    /// Options.
    pub options: Option<PatchOptions>,
}

/// A patch target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Selector {
    /// API group.
    pub group: Option<String>,
    /// API version.
    pub version: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Name (a regex).
    pub name: Option<String>,
    /// Namespace (a regex).
    pub namespace: Option<String>,
    /// Label selector.
    pub label_selector: Option<String>,
    /// Annotation selector.
    pub annotation_selector: Option<String>,
}

/// Patch options.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchOptions {
    /// The patch may rename the target.
    pub allow_name_change: Option<bool>,
    /// The patch may change the target's kind.
    pub allow_kind_change: Option<bool>,
}

/// A ConfigMap or Secret generator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorArgs {
    /// Namespace of the generated object.
    pub namespace: Option<String>,
    /// Name of the generated object.
    pub name: String,
    /// `create`, `replace` or `merge`.
    pub behavior: Option<String>,
    /// `key=value` literals.
    pub literals: Option<Vec<String>>,
    /// Files, as `key=path` or `path`.
    pub files: Option<Vec<String>>,
    /// Env files.
    pub envs: Option<Vec<String>>,
    /// Deprecated single env file.
    pub env: Option<String>,
    /// Secret type.
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// Options.
    pub options: Option<GeneratorOptions>,
}

/// Generator options.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeneratorOptions {
    /// Labels of the generated object.
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations of the generated object.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Keep the name as given, without a content hash.
    pub disable_name_suffix_hash: Option<bool>,
    /// Make the generated object immutable.
    pub immutable: Option<bool>,
}
