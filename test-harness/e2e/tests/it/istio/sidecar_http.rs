//! The sidecars' HTTP filter as two plugins, one per side: `meshborder-outbound`
//! (`match` mode CLIENT, `direction: outbound`) and `meshborder-inbound` (SERVER,
//! `inbound`), so that no request reads its listener's direction from Envoy. In the
//! files and in every overlay, in both forms, the two differ only in name, `match`
//! and `direction`; every plugin names the direction its mode fixes; and in the
//! real filter, each on its side does what one plugin with `direction: auto` on
//! both sides did.

use meshborder_filter::contract::header::{SOURCE_CLUSTER, SOURCE_REGION, SOURCE_ZONE};
use proxy_wasm_host::codec::Pair;
use proxy_wasm_host::{LocalResponse, Metric, Vm};
use serde_json::{Map, Value};

use super::support::envoy::Node;
use super::support::files;
use super::support::forms;
use super::support::kustomize::{BUILDS, MONITORING_BUILDS, OVERLAYS};
use super::support::shipped::{
    self, SIDECAR_HTTP, SIDECAR_HTTP_LABEL, SIDECAR_INBOUND, SIDECAR_OUTBOUND, SidecarHttp, config,
    named,
};
use super::support::trust_domains;
use super::support::views::plugin::{Form, Plugin, PluginType, flat_spec};
use crate::wasm::fixtures::{INBOUND, OUTBOUND, TRUSTED_SAN, get, node};

/// A sidecar HTTP plugin's document with what sets it on its side taken out: its
/// name, its `match` and its configuration's `direction`. What is left must be the
/// same for both.
fn without_side(document: &Value) -> (Value, Map<String, Value>) {
    let mut metadata = document["metadata"].clone();
    metadata.as_object_mut().unwrap().remove("name");
    let mut spec = flat_spec(document).unwrap();
    spec.remove("match");
    spec.get_mut("pluginConfig")
        .and_then(Value::as_object_mut)
        .unwrap()
        .remove("direction");
    (metadata, spec)
}

/// Checks that `documents` (of `origin`) hold both sidecar HTTP plugins, each on
/// its side with its direction named, and nothing else that carries their label;
/// returns their documents, outbound first.
fn sidecar_http_documents(documents: &[Value], origin: &str) -> [Value; 2] {
    let labelled: Vec<&Value> = documents
        .iter()
        .filter(|document| Form::of(document).is_some())
        .filter(|document| {
            document["metadata"]["labels"][SIDECAR_HTTP_LABEL.0] == SIDECAR_HTTP_LABEL.1
        })
        .collect();
    let names: Vec<&str> = labelled
        .iter()
        .map(|document| document["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "{origin}: the label selects exactly the two sidecar HTTP plugins: {names:?}"
    );
    SIDECAR_HTTP.map(|sidecar| {
        let document = labelled
            .iter()
            .find(|document| document["metadata"]["name"] == sidecar.name)
            .unwrap_or_else(|| panic!("{origin}: no {} among {names:?}", sidecar.name));
        let plugin = Plugin::from_document(document).unwrap();
        assert_on_its_side(&plugin, sidecar, origin);
        (*document).clone()
    })
}

/// `plugin` is the HTTP plugin `sidecar` says: its one `match` entry, and the
/// direction that names the same side.
fn assert_on_its_side(plugin: &Plugin, sidecar: SidecarHttp, origin: &str) {
    assert_eq!(
        plugin.plugin_type(),
        PluginType::Http,
        "{origin} {}",
        sidecar.name
    );
    assert_eq!(
        plugin.modes(),
        [Some(sidecar.mode)],
        "{origin} {}",
        sidecar.name
    );
    assert_eq!(
        config(plugin, "direction"),
        Some(&Value::from(sidecar.direction)),
        "{origin} {}",
        sidecar.name
    );
}

#[test]
fn in_the_files_the_two_sidecar_http_plugins_differ_only_in_name_match_and_direction() {
    let documents: Vec<Value> = SIDECAR_HTTP
        .iter()
        .map(|sidecar| files::load_single_yaml(&files::istio_dir().join(sidecar.file)).unwrap())
        .collect();
    let [outbound, inbound] = sidecar_http_documents(&documents, "istio/base/");
    assert_eq!(without_side(&outbound), without_side(&inbound));
}

#[test]
fn every_overlay_in_both_forms_runs_one_sidecar_http_plugin_per_side_with_its_rules_and_identity() {
    for overlay in &OVERLAYS {
        for form in Form::ALL {
            let origin = format!("{} as {form:?}", overlay.dir);
            let documents = forms::build_as(overlay.dir, form).unwrap();
            let both = sidecar_http_documents(&documents, &origin);
            for document in &both {
                assert_eq!(document["kind"], form.kind(), "{origin}");
                let plugin = Plugin::from_document(document).unwrap();
                let identity = (config(&plugin, "cluster"), config(&plugin, "region"));
                assert_eq!(
                    identity,
                    (
                        Some(&Value::from(overlay.cluster)),
                        Some(&Value::from(overlay.region))
                    ),
                    "{origin} {}",
                    plugin.id()
                );
                let rules = config(&plugin, "residency")
                    .and_then(|residency| residency.get("rules"))
                    .and_then(Value::as_array);
                assert!(
                    rules.is_some_and(|rules| !rules.is_empty()),
                    "{origin} {}: no residency rules",
                    plugin.id()
                );
            }
            let [outbound, inbound] = both;
            assert_eq!(
                without_side(&outbound),
                without_side(&inbound),
                "{origin}: the two sidecar HTTP plugins differ in more than their side"
            );
        }
    }
}

#[test]
fn every_shipped_plugin_names_the_direction_its_match_mode_fixes() {
    for (origin, plugin) in shipped::all_plugins().unwrap() {
        let direction = config(&plugin, "direction").and_then(Value::as_str);
        let expected = match plugin.modes().as_slice() {
            [Some("CLIENT")] => "outbound",
            [Some("SERVER")] => "inbound",
            other => panic!(
                "{origin}, {}: `match` {other:?} runs on both sides, which leaves the \
                 direction to `auto`, read on every request",
                plugin.id()
            ),
        };
        assert_eq!(direction, Some(expected), "{origin}, {}", plugin.id());
    }
}

/// What one request came to: the request headers as the filter left them, its
/// local reply, and how often Envoy would pick the route again.
#[derive(Debug, PartialEq)]
struct Seen {
    request: Vec<Pair>,
    reply: Option<LocalResponse>,
    route_cache_clears: u32,
}

/// One request through `vm` on a listener of `listener_direction` (the property's
/// value), over mTLS from `peer` if given, answered 200 if it is forwarded.
fn request(
    vm: &mut Vm,
    listener_direction: u64,
    peer: Option<&str>,
    headers: &[(&str, &str)],
) -> Seen {
    let mut stream = vm
        .http_stream()
        .property(["xds", "listener_direction"], listener_direction)
        .property(["request", "total_size"], 300_u64)
        .property(["response", "total_size"], 120_u64);
    if let Some(san) = peer {
        stream = stream.connection_mtls(san);
    }
    stream.request_headers(headers, true).unwrap();
    let seen = Seen {
        request: stream.request_header_map().to_vec(),
        reply: stream.local_response().cloned(),
        route_cache_clears: stream.route_cache_clears(),
    };
    if seen.reply.is_none() {
        stream
            .response_headers(&[(":status", "200")], true)
            .unwrap();
    }
    stream.finish().unwrap();
    seen
}

/// Everything a VM shows after its requests: its counters and its log lines.
fn shown(vm: &Vm) -> (Vec<Metric>, Vec<String>) {
    let logs = vm.logs().iter().map(|line| line.message.clone()).collect();
    (vm.metrics().to_vec(), logs)
}

/// `plugin` started in the real filter on a node of its own cluster, in a zone.
fn started(plugin: &Plugin, config: &Map<String, Value>) -> Vm {
    let local = Node::for_plugin(plugin);
    node(
        &Value::Object(config.clone()).to_string(),
        &local.cluster,
        &local.region,
    )
    .unwrap()
    .property(
        ["xds", "node", "locality", "zone"],
        format!("{}a", local.region),
    )
    .start()
    .unwrap_or_else(|e| panic!("{}: {e}", plugin.id()))
}

/// One request of the comparison: a sample service, the tags it carries (as from
/// some cluster, or none), and a routing hint.
struct Probe {
    authority: &'static str,
    path: &'static str,
    tags: Vec<(&'static str, String)>,
    hint: Option<(&'static str, &'static str)>,
}

impl Probe {
    /// Its request headers.
    fn headers(&self) -> Vec<(&str, &str)> {
        let mut extra: Vec<(&str, &str)> = self
            .tags
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        extra.extend(self.hint);
        get(self.authority, self.path, &extra)
    }
}

/// The requests both sides are given: to each sample service, with and without
/// routing hints, tagged as from each cluster of `plugin`'s table, and untagged.
fn probes(plugin: &Plugin) -> Vec<Probe> {
    let clusters = config(plugin, "clusters").unwrap().as_object().unwrap();
    let mut tag_sets = vec![Vec::new()];
    for (cluster, entry) in clusters {
        let region = entry["region"].as_str().unwrap();
        tag_sets.push(vec![
            (SOURCE_CLUSTER, cluster.clone()),
            (SOURCE_REGION, region.to_owned()),
            (SOURCE_ZONE, format!("{region}b")),
        ]);
    }
    let catalog = "catalog.shop.svc.cluster.local";
    let eu_user_data = "eu-user-data.shop.svc.cluster.local";
    let targets = [
        (catalog, "/", None),
        (catalog, "/", Some(("cf-ipcountry", "DE"))),
        (catalog, "/", Some(("x-user-region", "us"))),
        (eu_user_data, "/users/1", None),
        (eu_user_data, "/users/1", Some(("cf-ipcountry", "US"))),
        ("payments.shop.svc.cluster.local", "/pay", None),
    ];
    let mut probes = Vec::new();
    for (authority, path, hint) in targets {
        for tags in &tag_sets {
            probes.push(Probe {
                authority,
                path,
                tags: tags.clone(),
                hint,
            });
        }
    }
    probes
}

/// The mTLS peers of the inbound requests: none (plaintext), a workload of the
/// shared trust domain, and one of each cluster's own trust domain.
fn peers(plugin: &Plugin) -> Vec<Option<String>> {
    let clusters = config(plugin, "clusters").unwrap().as_object().unwrap();
    let mut peers = vec![None, Some(TRUSTED_SAN.to_owned())];
    for cluster in clusters.keys() {
        let domain = trust_domains::of(cluster).unwrap();
        peers.push(Some(domain.spiffe_id("shop", "frontend")));
    }
    peers
}

#[test]
fn in_the_real_filter_each_sidecar_http_plugin_on_its_side_does_what_one_plugin_on_auto_did() {
    let builds = BUILDS
        .iter()
        .filter(|build| !MONITORING_BUILDS.contains(build));
    let mut compared = 0;
    for build in builds {
        let rendered = shipped::plugins_in_build(build).unwrap();
        // The one plugin of before: the same configuration on both sides, the
        // direction read from the listener.
        let outbound = named(&rendered, SIDECAR_OUTBOUND.name).unwrap();
        let inbound = named(&rendered, SIDECAR_INBOUND.name).unwrap();
        let mut auto = outbound.spec.plugin_config.clone().unwrap();
        auto.insert("direction".to_owned(), Value::from("auto"));
        let probes = probes(outbound);
        let sides = [
            (outbound, OUTBOUND, vec![None]),
            (inbound, INBOUND, peers(inbound)),
        ];
        for (plugin, listener, peers) in sides {
            let id = format!("{build} {}", plugin.id());
            let mut named_side = started(plugin, plugin.spec.plugin_config.as_ref().unwrap());
            let mut on_auto = started(plugin, &auto);
            for peer in &peers {
                for probe in &probes {
                    let (peer, headers) = (peer.as_deref(), probe.headers());
                    assert_eq!(
                        request(&mut named_side, listener, peer, &headers),
                        request(&mut on_auto, listener, peer, &headers),
                        "{id}: from {peer:?}, {headers:?}"
                    );
                    compared += 1;
                }
            }
            assert_eq!(
                shown(&named_side),
                shown(&on_auto),
                "{id}: counters and logs"
            );
        }
    }
    assert!(compared >= 500, "too few requests compared: {compared}");
}
