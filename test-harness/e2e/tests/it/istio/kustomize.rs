//! The GitOps layout renders with a real kustomize: the base, the monitoring
//! kustomization and every overlay build, every rendered resource is accepted by its
//! CRD's schema on every Istio release the overlay supports, each overlay carries
//! its own cluster's identity, the certificate-bound overlays change only whom the
//! sidecars believe, every overlay and component is built here, and the routing
//! resources agree with the plugin configuration they rely on. (The two forms of
//! the plugins are `forms`'s.)

use std::collections::{BTreeMap, BTreeSet};

use super::support::crds;
use super::support::files;
use super::support::forms::{self, SHIPPED};
use super::support::kustomize::{
    self, BUILDS, DataPlane, MONITORING_BUILDS, Module, OVERLAYS, Trust,
};
use super::support::models::{self, Resource, all_of_kind};
use super::support::shipped::{
    self, GATEWAY, SIDECAR_HTTP, SIDECAR_OUTBOUND, SIDECAR_TCP, WAYPOINT, config, is_sidecar_http,
    named,
};
use super::support::views::networking::{DestinationRule, VirtualService};
use super::support::views::plugin::{Form, SHA256_PLACEHOLDER, SOME_DIGEST, pinned};
use meshborder_filter::contract::header::ROUTE_REGION;
use serde_json::Value;

/// The oldest Istio minor release a build supports as istio/ ships it: the
/// overlay's, and for the base (TrafficExtensions) and the monitoring (no plugin),
/// that of what they hold.
fn oldest_minor(build: &str) -> u32 {
    match OVERLAYS.iter().find(|overlay| overlay.dir == build) {
        Some(overlay) => overlay.oldest_minor(SHIPPED),
        None if build == "base" => SHIPPED.oldest_minor(),
        None => 22,
    }
}

/// The names of the directories under `istio/<dir>`, as `<dir>/<name>`.
fn directories_under(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(files::istio_dir().join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .map(|path| format!("{dir}/{}", path.file_name().unwrap().to_str().unwrap()))
        .collect()
}

#[test]
fn every_overlay_directory_is_one_the_tests_build() {
    let listed: BTreeSet<String> = OVERLAYS
        .iter()
        .map(|overlay| overlay.dir.to_owned())
        .collect();
    assert_eq!(directories_under("overlays"), listed);
    for overlay in &OVERLAYS {
        assert!(
            BUILDS.contains(&overlay.dir),
            "{} is not built",
            overlay.dir
        );
    }
}

#[test]
fn every_component_is_used_by_an_overlay() {
    // Components an overlay keeps for itself (a cluster's identity and rules) are
    // used too; every one under components/ must be.
    let mut used = BTreeSet::new();
    for overlay in &OVERLAYS {
        let path = files::istio_dir()
            .join(overlay.dir)
            .join("kustomization.yaml");
        let document = files::load_single_yaml(&path).unwrap();
        for component in document["components"].as_array().into_iter().flatten() {
            let relative = component.as_str().unwrap();
            let resolved = files::istio_dir()
                .join(overlay.dir)
                .join(relative)
                .canonicalize()
                .unwrap();
            let under = resolved.strip_prefix(files::istio_dir().canonicalize().unwrap());
            used.insert(under.unwrap().display().to_string());
        }
    }
    // The WasmPlugin form is named by no overlay as shipped: `forms` builds every
    // overlay with it.
    let shared = directories_under("components");
    let other_form = format!("components/{}", Form::WasmPlugin.component());
    assert!(shared.contains(&other_form), "no {other_form}");
    assert_eq!(
        shared.difference(&used).collect::<Vec<_>>(),
        vec![&other_form],
        "unused components"
    );
    for component in &used {
        assert!(
            component.starts_with("components/") || component.starts_with("overlays/"),
            "`{component}`: a component lives under components/ or in an overlay"
        );
    }
}

#[test]
fn every_kustomization_renders_to_resources_their_crds_accept_on_every_supported_release() {
    for build in BUILDS {
        let documents = kustomize::build(build).unwrap();
        assert!(!documents.is_empty(), "`{build}` renders nothing");
        for document in &documents {
            let resource = models::check_document(document)
                .unwrap_or_else(|e| panic!("`kustomize build {build}`: {e}"));
            assert!(
                !matches!(
                    resource,
                    Resource::Kustomization | Resource::DeploymentPatch
                ),
                "`{build}` renders a {}",
                resource.kind()
            );
            if !matches!(resource, Resource::Crd(_)) {
                continue;
            }
            // The placeholder is refused until an image is pinned (tested below).
            let pinned = pinned(document);
            let releases: Vec<_> = crds::releases_serving(resource.kind())
                .filter(|schemas| crds::minor(schemas) >= oldest_minor(build))
                .collect();
            assert!(
                !releases.is_empty(),
                "`{build}`: no release serves its {}",
                resource.kind()
            );
            for schemas in releases {
                schemas.validate(&pinned).unwrap_or_else(|errors| {
                    panic!(
                        "`kustomize build {build}`, {} {}, on {}: {errors:#?}",
                        resource.kind(),
                        files::str_at(document, "/metadata/name").unwrap_or("-"),
                        schemas.release()
                    )
                });
            }
        }
    }
}

#[test]
fn an_overlay_deploys_the_whole_base_and_the_monitoring() {
    let kinds = |build: &str| -> BTreeMap<String, usize> {
        let mut kinds = BTreeMap::new();
        for document in kustomize::build(build).unwrap() {
            let kind = format!("{} {}", document["apiVersion"], document["kind"]);
            *kinds.entry(kind).or_insert(0) += 1;
        }
        kinds
    };
    let mut expected = kinds("base");
    for (kind, count) in kinds("monitoring") {
        *expected.entry(kind).or_insert(0) += count;
    }
    for overlay in &OVERLAYS {
        let mut expected = expected.clone();
        if overlay.data_plane == DataPlane::Ambient {
            // The waypoint and the plugin on it.
            for kind in [
                r#""gateway.networking.k8s.io/v1" "Gateway""#,
                r#""extensions.istio.io/v1alpha1" "TrafficExtension""#,
            ] {
                *expected.entry(kind.to_owned()).or_insert(0) += 1;
            }
        }
        assert_eq!(kinds(overlay.dir), expected, "`{}`", overlay.dir);
    }
}

#[test]
fn each_overlay_sets_its_own_cluster_and_region_and_keeps_the_shared_tables() {
    let base = shipped::plugins_in_build("base").unwrap();
    for overlay in &OVERLAYS {
        let (dir, cluster, region) = (overlay.dir, overlay.cluster, overlay.region);
        let rendered = shipped::plugins_in_build(dir).unwrap();
        let names = SIDECAR_HTTP.map(|sidecar| sidecar.name);
        for name in names.into_iter().chain([SIDECAR_TCP, GATEWAY]) {
            let plugin = named(&rendered, name).unwrap();
            assert_eq!(
                config(plugin, "cluster"),
                Some(&Value::from(cluster)),
                "{dir} {name}"
            );
            assert_eq!(
                config(plugin, "region"),
                Some(&Value::from(region)),
                "{dir} {name}"
            );
            // The patch merged into the base's configuration; it did not replace it.
            // Only the certificate-bound overlays change whom the HTTP sidecars
            // believe (tested below); the TCP plugin believes certificates alone
            // everywhere.
            let shared = named(&base, name).unwrap();
            let mut keys = vec!["layer", "clusters", "regionGroups", "routing", "direction"];
            if overlay.trust == Trust::SharedDomain || !is_sidecar_http(plugin) {
                keys.push("trustedPeers");
            }
            for key in keys {
                assert_eq!(
                    config(plugin, key),
                    config(shared, key),
                    "{dir} {name}: `{key}`"
                );
            }
            // The zone comes from the node's locality, never from the overlay.
            assert_eq!(config(plugin, "zone"), None, "{dir} {name}");
        }
        // The overlay's cluster is in the shared table, in the overlay's region.
        let table = config(named(&rendered, SIDECAR_OUTBOUND.name).unwrap(), "clusters").unwrap();
        assert_eq!(table[cluster]["region"], region, "{dir}: clusters table");
        if overlay.data_plane == DataPlane::Ambient {
            // The waypoint's plugin has the sidecars' tables, and its own identity.
            let waypoint = named(&rendered, WAYPOINT).unwrap();
            let sidecar = named(&base, SIDECAR_OUTBOUND.name).unwrap();
            for key in ["clusters", "regionGroups", "routing"] {
                assert_eq!(
                    config(waypoint, key),
                    config(sidecar, key),
                    "{dir} {WAYPOINT}: `{key}`"
                );
            }
            assert_eq!(config(waypoint, "cluster"), Some(&Value::from(cluster)));
            assert_eq!(config(waypoint, "region"), Some(&Value::from(region)));
            assert_eq!(config(waypoint, "zone"), None, "{dir} {WAYPOINT}");
        }
    }
}

#[test]
fn a_trust_domain_overlay_changes_only_whom_the_sidecars_believe() {
    for bound in OVERLAYS
        .iter()
        .filter(|overlay| overlay.trust == Trust::PerClusterDomain)
    {
        let shared = kustomize::overlay(bound.cluster, bound.module, Trust::SharedDomain).unwrap();
        let rendered = kustomize::build(bound.dir).unwrap();
        let mut expected = kustomize::build(shared.dir).unwrap();
        let plugins = shipped::plugins_in_build(bound.dir).unwrap();
        let peers = config(
            named(&plugins, SIDECAR_OUTBOUND.name).unwrap(),
            "trustedPeers",
        )
        .unwrap();
        let patterns = peers.as_array().unwrap();
        assert!(!patterns.is_empty(), "{}: no trusted peers", bound.dir);
        for pattern in patterns {
            let pattern = pattern
                .as_str()
                .unwrap_or_else(|| panic!("{}: `{pattern}` binds no cluster by name", bound.dir));
            assert!(
                pattern.starts_with("spiffe://{cluster}."),
                "{}: `{pattern}` does not take the cluster from the trust domain",
                bound.dir
            );
        }
        for document in &mut expected {
            let config = match Form::of(document) {
                Some(Form::TrafficExtension) => "/spec/wasm/pluginConfig",
                Some(Form::WasmPlugin) => "/spec/pluginConfig",
                None => continue,
            };
            let name = document["metadata"]["name"].as_str();
            if SIDECAR_HTTP
                .iter()
                .any(|sidecar| Some(sidecar.name) == name)
            {
                document.pointer_mut(config).unwrap()["trustedPeers"] = peers.clone();
            }
        }
        assert_eq!(
            rendered, expected,
            "{} differs from {} in more than the HTTP sidecar plugins' trustedPeers",
            bound.dir, shared.dir
        );
        assert!(
            config(named(&plugins, GATEWAY).unwrap(), "trustedPeers").is_none(),
            "{}: a gateway believes no peer",
            bound.dir
        );
        assert_eq!(
            config(named(&plugins, SIDECAR_TCP).unwrap(), "trustedPeers"),
            Some(peers),
            "{}: the TCP plugin believes the certificates the HTTP plugin believes",
            bound.dir
        );
    }
}

#[test]
fn residency_rules_with_one_name_are_the_same_in_every_overlay() {
    let mut rules: BTreeMap<String, Vec<(&str, Value)>> = BTreeMap::new();
    for overlay in OVERLAYS.iter().map(|overlay| overlay.dir) {
        let rendered = shipped::plugins_in_build(overlay).unwrap();
        let rules_of = |name: &str| {
            config(named(&rendered, name).unwrap(), "residency")
                .and_then(|residency| residency.get("rules"))
                .and_then(Value::as_array)
                .cloned()
        };
        // Both sidecar HTTP plugins have rules; some clusters have no TCP rule (its
        // port is only one cluster's database), and only the ambient overlay has a
        // waypoint.
        let http = SIDECAR_HTTP.map(|sidecar| {
            rules_of(sidecar.name)
                .unwrap_or_else(|| panic!("{overlay} {}: no residency rules", sidecar.name))
        });
        let others = [SIDECAR_TCP, WAYPOINT].map(|name| {
            named(&rendered, name)
                .ok()
                .and_then(|_| rules_of(name))
                .unwrap_or_default()
        });
        for rule in http.iter().chain(others.iter()).flatten() {
            let name = rule["name"].as_str().unwrap().to_owned();
            rules.entry(name).or_default().push((overlay, rule.clone()));
        }
    }
    let with_mesh_rule: BTreeSet<&str> = rules["eu-user-data"]
        .iter()
        .map(|(overlay, _)| *overlay)
        .collect();
    assert_eq!(
        with_mesh_rule.len(),
        OVERLAYS.len(),
        "the mesh-wide rule must be in every overlay"
    );
    for (name, versions) in &rules {
        for (overlay, rule) in versions {
            assert_eq!(rule, &versions[0].1, "rule `{name}` differs in {overlay}");
        }
    }
}

#[test]
fn the_gateway_plugin_routes_without_residency_rules_in_every_build() {
    for build in BUILDS
        .iter()
        .filter(|build| !MONITORING_BUILDS.contains(build))
    {
        let rendered = shipped::plugins_in_build(build).unwrap();
        let gateway = named(&rendered, "meshborder-gateway").unwrap();
        assert!(
            config(gateway, "residency").is_none(),
            "{build}: the gateway has residency rules"
        );
        let sources = config(gateway, "routing")
            .and_then(|routing| routing.get("sources"))
            .and_then(Value::as_array);
        assert!(
            sources.is_some_and(|sources| !sources.is_empty()),
            "{build}: no routing sources"
        );
    }
}

#[test]
fn production_overlays_pull_one_pinned_oci_image() {
    let pulled = OVERLAYS
        .iter()
        .filter(|overlay| overlay.module == Module::Image)
        .map(|overlay| overlay.dir);
    for overlay in std::iter::once("base").chain(pulled) {
        let images: BTreeSet<(Option<String>, Option<String>)> = shipped::plugins_in_build(overlay)
            .unwrap()
            .into_iter()
            .map(|plugin| (plugin.spec.url, plugin.spec.sha256))
            .collect();
        assert_eq!(
            images.len(),
            1,
            "{overlay}: the plugins pull different images: {images:?}"
        );
        let (url, sha256) = images.into_iter().next().unwrap();
        assert!(
            url.unwrap().starts_with("oci://"),
            "{overlay}: not an OCI URL"
        );
        // Its form, when it is not the placeholder, is the CRD's to check (above).
        let sha256 = sha256.unwrap_or_default();
        assert!(
            !sha256.is_empty(),
            "{overlay}: `sha256` is neither a digest nor the placeholder"
        );
    }
}

#[test]
fn the_sha256_placeholder_is_refused_by_istios_crd_pattern_in_both_forms() {
    // The CRDs' pattern is `(^$|^[a-f0-9]{64}$)`: the API server refuses anything
    // else, so a plugin still carrying the placeholder cannot be applied, as a
    // TrafficExtension (the file) or as the WasmPlugin an overlay makes of it.
    let file = files::load_single_yaml(&files::istio_dir().join(SIDECAR_OUTBOUND.file)).unwrap();
    let converted = forms::build_as("overlays/us-east", Form::WasmPlugin)
        .unwrap()
        .into_iter()
        .find(|document| document["metadata"]["name"] == SIDECAR_OUTBOUND.name)
        .unwrap();
    for (plugin, digest) in [(file, "/spec/wasm/sha256"), (converted, "/spec/sha256")] {
        assert_eq!(files::str_at(&plugin, digest), Some(SHA256_PLACEHOLDER));
        let with = |sha256: &str| {
            let mut copy = plugin.clone();
            *copy.pointer_mut(digest).unwrap() = Value::from(sha256);
            copy
        };
        let kind = plugin["kind"].as_str().unwrap();
        for schemas in crds::releases_serving(kind) {
            let errors = schemas.validate(&plugin).unwrap_err();
            assert!(
                errors.iter().all(|e| e.starts_with(&format!("{digest}: "))),
                "{} {kind}: {errors:?}",
                schemas.release()
            );
            assert_eq!(schemas.validate(&with(SOME_DIGEST)), Ok(()));
            assert!(
                schemas
                    .validate(&with(&SOME_DIGEST.to_ascii_uppercase()))
                    .is_err()
            );
        }
    }
}

#[test]
fn kind_overlays_load_the_filter_from_a_local_file_and_reload_a_crashed_vm() {
    let with = |module: Module| {
        OVERLAYS
            .iter()
            .filter(move |overlay| overlay.module == module)
            .map(|overlay| overlay.dir)
    };
    for overlay in with(Module::LocalFile) {
        for plugin in shipped::plugins_in_build(overlay).unwrap() {
            let id = plugin.id();
            assert_eq!(
                plugin.spec.url.as_deref(),
                Some("file:///var/local/lib/wasm/meshborder_filter.wasm"),
                "{overlay} {id}"
            );
            assert_eq!(
                plugin.spec.sha256, None,
                "{overlay} {id}: a file has no digest to pin"
            );
            assert_eq!(
                plugin.spec.fail_strategy.as_deref(),
                Some("FAIL_RELOAD"),
                "{overlay} {id}"
            );
        }
    }
    for overlay in std::iter::once("base").chain(with(Module::Image)) {
        for plugin in shipped::plugins_in_build(overlay).unwrap() {
            assert_eq!(
                plugin.spec.fail_strategy.as_deref(),
                Some("FAIL_CLOSE"),
                "{overlay} {}: FAIL_CLOSE works on every supported Istio",
                plugin.id()
            );
        }
    }
}

#[test]
fn the_local_file_is_where_the_kind_clusters_mount_the_release_build() {
    for cluster in ["kind/us-east.yaml", "kind/eu-west.yaml"] {
        let path = files::istio_dir().join(cluster);
        let Resource::KindCluster(kind) =
            models::check_document(&files::load_single_yaml(&path).unwrap()).unwrap()
        else {
            panic!("{cluster} is not a kind cluster");
        };
        let mounted = kind
            .nodes
            .iter()
            .flat_map(|node| node.extra_mounts.iter().flatten())
            .any(|mount| {
                mount.host_path == "target/wasm32-wasip1/release"
                    && mount.container_path == "/var/local/lib/wasm"
            });
        assert!(
            mounted,
            "{cluster}: the release build is not mounted at /var/local/lib/wasm"
        );
    }
}

#[test]
fn every_routed_region_goes_to_the_subset_of_the_cluster_in_that_region() {
    let documents = kustomize::build("base").unwrap();
    let services: Vec<VirtualService> = all_of_kind(&documents, "VirtualService").unwrap();
    let rules: Vec<DestinationRule> = all_of_kind(&documents, "DestinationRule").unwrap();
    let plugins = shipped::plugins_in_build("base").unwrap();
    let clusters = config(named(&plugins, SIDECAR_OUTBOUND.name).unwrap(), "clusters").unwrap();

    let mut routed = 0;
    for service in &services {
        for route in service.spec.http.iter().flatten() {
            let region = route
                .match_
                .iter()
                .flatten()
                .filter_map(|condition| condition.headers.as_ref()?.get(ROUTE_REGION))
                .find_map(|header| header.exact.clone());
            for destination in route.route.iter().flatten().map(|route| &route.destination) {
                let rule = rules
                    .iter()
                    .find(|rule| rule.spec.host == destination.host)
                    .unwrap_or_else(|| panic!("no DestinationRule for {}", destination.host));
                let Some(subset_name) = &destination.subset else {
                    assert!(region.is_none(), "a region route without a subset");
                    continue;
                };
                let subset = rule
                    .spec
                    .subsets
                    .iter()
                    .flatten()
                    .find(|subset| &subset.name == subset_name)
                    .unwrap_or_else(|| panic!("no subset `{subset_name}` of {}", destination.host));
                let cluster = &subset.labels.as_ref().unwrap()["topology.istio.io/cluster"];
                assert_eq!(
                    clusters[cluster]["region"].as_str(),
                    region.as_deref(),
                    "{}: route to subset `{subset_name}` (cluster {cluster})",
                    service.metadata.name.as_deref().unwrap()
                );
                routed += 1;
            }
        }
    }
    assert!(routed >= 4, "too few regional routes checked: {routed}");
}

#[test]
fn residency_bound_traffic_fails_over_only_inside_its_region_group() {
    let documents = kustomize::build("base").unwrap();
    let rules: Vec<DestinationRule> = all_of_kind(&documents, "DestinationRule").unwrap();
    let plugins = shipped::plugins_in_build("base").unwrap();
    let sidecar = named(&plugins, SIDECAR_OUTBOUND.name).unwrap();
    let eu: Vec<&str> = config(sidecar, "regionGroups").unwrap()["eu"]
        .as_array()
        .unwrap()
        .iter()
        .map(|region| region.as_str().unwrap())
        .collect();
    let rule = rules
        .iter()
        .find(|rule| rule.spec.host.starts_with("eu-user-data."))
        .unwrap();
    let policy = rule.spec.traffic_policy.as_ref().unwrap();
    let locality = policy
        .load_balancer
        .as_ref()
        .unwrap()
        .locality_lb_setting
        .as_ref()
        .unwrap();
    let failover = locality.failover.as_ref().unwrap();
    assert!(!failover.is_empty());
    for step in failover {
        assert!(
            eu.contains(&step.from.as_str()) && eu.contains(&step.to.as_str()),
            "eu-user-data fails over from {} to {}, outside the eu group {eu:?}",
            step.from,
            step.to
        );
    }
    assert!(
        policy.outlier_detection.is_some(),
        "without outlier detection there is no failover"
    );
    let clusters = config(sidecar, "clusters").unwrap();
    for subset in rule.spec.subsets.iter().flatten() {
        let cluster = &subset.labels.as_ref().unwrap()["topology.istio.io/cluster"];
        let region = clusters[cluster]["region"].as_str().unwrap();
        assert!(
            eu.contains(&region),
            "subset `{}` is outside the eu group",
            subset.name
        );
    }
}
