//! Kubernetes-side shapes istio/ uses: object metadata, the generated ConfigMaps,
//! Deployment pod-template patches, the IstioOperator install overlay, and kind's
//! cluster config.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// `metadata` of a resource (or of a pod template in a patch).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectMeta {
    /// `name`.
    pub name: Option<String>,
    /// `namespace`.
    pub namespace: Option<String>,
    /// `labels`.
    pub labels: Option<BTreeMap<String, String>>,
    /// `annotations`.
    pub annotations: Option<BTreeMap<String, String>>,
}

/// A `v1` `ConfigMap`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigMap {
    /// `v1`.
    pub api_version: String,
    /// `ConfigMap`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Text entries.
    pub data: Option<BTreeMap<String, String>>,
    /// Binary entries.
    pub binary_data: Option<BTreeMap<String, String>>,
    /// Whether the entries may change.
    pub immutable: Option<bool>,
}

/// A strategic-merge patch to a Deployment's pod template.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentPatch {
    /// `spec`.
    pub spec: DeploymentPatchSpec,
}

/// `spec` of a Deployment patch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentPatchSpec {
    /// `spec.template`.
    pub template: PodTemplatePatch,
}

/// A pod template patch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodTemplatePatch {
    /// Labels and annotations of the pod.
    pub metadata: Option<ObjectMeta>,
    /// Containers and volumes of the pod.
    pub spec: Option<PodSpecPatch>,
}

/// A pod spec patch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodSpecPatch {
    /// Containers, merged by name.
    pub containers: Option<Vec<ContainerPatch>>,
    /// Volumes, merged by name.
    pub volumes: Option<Vec<Volume>>,
}

/// A container patch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContainerPatch {
    /// The container to patch.
    pub name: String,
    /// Environment variables.
    pub env: Option<Vec<EnvVar>>,
    /// Volume mounts.
    pub volume_mounts: Option<Vec<VolumeMount>>,
}

/// An environment variable with a literal value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// A volume mount.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VolumeMount {
    /// The volume.
    pub name: String,
    /// Where it appears in the container.
    pub mount_path: String,
    /// Read-only mount.
    pub read_only: Option<bool>,
}

/// A volume from a ConfigMap or a node path.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Volume {
    /// Name.
    pub name: String,
    /// A ConfigMap volume.
    pub config_map: Option<ConfigMapVolume>,
    /// A node-path volume.
    pub host_path: Option<HostPathVolume>,
}

/// A ConfigMap volume source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigMapVolume {
    /// The ConfigMap, in the pod's namespace.
    pub name: String,
    /// File mode.
    pub default_mode: Option<u32>,
    /// Whether the pod starts without it.
    pub optional: Option<bool>,
}

/// A node-path volume source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostPathVolume {
    /// The path on the node.
    pub path: String,
    /// `Directory`, `File`, ...
    #[serde(rename = "type")]
    pub type_: Option<String>,
}

/// An `IstioOperator` install overlay (only mesh config is set): the stats matcher
/// (metrics/) or a cluster's trust domain (trust-domains/).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IstioOperator {
    /// `install.istio.io/v1alpha1`.
    pub api_version: String,
    /// `IstioOperator`.
    pub kind: String,
    /// Metadata.
    pub metadata: Option<ObjectMeta>,
    /// `spec`.
    pub spec: IstioOperatorSpec,
}

/// `spec` of an IstioOperator.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IstioOperatorSpec {
    /// `meshConfig`.
    pub mesh_config: MeshConfig,
}

/// The mesh config fields istio/ sets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MeshConfig {
    /// Proxy config for every proxy.
    pub default_config: Option<ProxyConfig>,
    /// The trust domain of the cluster's workload identities.
    pub trust_domain: Option<String>,
    /// Other trust domains Istio treats as this one.
    pub trust_domain_aliases: Option<Vec<String>>,
}

/// Proxy config (meshConfig.defaultConfig, or the `proxy.istio.io/config`
/// annotation).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProxyConfig {
    /// Which Envoy stats the proxy keeps beyond Istio's defaults.
    pub proxy_stats_matcher: ProxyStatsMatcher,
}

/// `proxyStatsMatcher`.
#[derive(Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProxyStatsMatcher {
    /// Stat-name prefixes to keep.
    pub inclusion_prefixes: Option<Vec<String>>,
    /// Stat-name suffixes to keep.
    pub inclusion_suffixes: Option<Vec<String>>,
    /// Stat-name regexes to keep.
    pub inclusion_regexps: Option<Vec<String>>,
}

/// kind's cluster config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KindCluster {
    /// `kind.x-k8s.io/v1alpha4`.
    pub api_version: String,
    /// `Cluster`.
    pub kind: String,
    /// The cluster's name (or `--name`).
    pub name: Option<String>,
    /// Nodes.
    pub nodes: Vec<KindNode>,
    /// Networking (opaque).
    pub networking: Option<Value>,
}

/// A kind node.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KindNode {
    /// `control-plane` or `worker`.
    pub role: String,
    /// Node labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// Host paths mounted into the node.
    pub extra_mounts: Option<Vec<KindMount>>,
}

/// A kind node mount.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KindMount {
    /// Path on the machine running kind.
    pub host_path: String,
    /// Path in the node.
    pub container_path: String,
    /// Read-only mount.
    pub read_only: Option<bool>,
}
