//! Certificate-bound identity on Istio: each cluster's install overlay in
//! istio/trust-domains/ gives its workloads a trust domain of their own, aliasing
//! the others', and the trust-domain overlays' sidecars, run in the real filter,
//! take a caller's cluster from that trust domain: a cluster tag naming another
//! cluster is overruled and counted, and a certificate of the shared domain is no
//! longer believed.

use std::collections::BTreeSet;

use super::support::kustomize::{self, Module, Trust};
use super::support::shipped::{self, SIDECAR_INBOUND, config, named};
use super::support::trust_domains::{self, TrustDomain};
use crate::wasm::fixtures::{from_peer, get, node};
use meshborder_e2e::host::Counters;
use meshborder_filter::contract::header::{SOURCE_CLUSTER, SOURCE_REGION};
use meshborder_filter::contract::{label, metric};
use proxy_wasm_host::Vm;
use serde_json::Value;

/// The service account the callers' certificates name.
const CALLER: (&str, &str) = ("shop", "frontend");

/// The clusters of the mesh: the base's `clusters` table, with their regions.
fn clusters() -> Vec<(String, String)> {
    let base = shipped::plugins_in_build("base").unwrap();
    let table = config(named(&base, SIDECAR_INBOUND.name).unwrap(), "clusters").unwrap();
    table
        .as_object()
        .unwrap()
        .iter()
        .map(|(cluster, entry)| {
            (
                cluster.clone(),
                entry["region"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The inbound sidecar plugin of the trust-domain overlay of `cluster`, started in
/// the real filter on a node of that cluster.
fn bound_sidecar(cluster: &str) -> Vm {
    let overlay = kustomize::overlay(cluster, Module::Image, Trust::PerClusterDomain).unwrap();
    let rendered = shipped::plugins_in_build(overlay.dir).unwrap();
    let sidecar = named(&rendered, SIDECAR_INBOUND.name).unwrap();
    node(
        &sidecar.plugin_config_json().unwrap(),
        overlay.cluster,
        overlay.region,
    )
    .unwrap()
    .start()
    .unwrap_or_else(|e| panic!("{}: {e}", overlay.dir))
}

/// One inbound request over mTLS from `san` with `tags`: the cluster and region
/// tags the application saw.
fn arrives(vm: &mut Vm, san: &str, tags: &[(&str, &str)]) -> (Option<String>, Option<String>) {
    let mut stream = from_peer(vm, san);
    stream
        .request_headers(&get("catalog.shop.svc.cluster.local", "/", tags), true)
        .unwrap();
    let seen = (
        stream.request_header(SOURCE_CLUSTER).map(str::to_owned),
        stream.request_header(SOURCE_REGION).map(str::to_owned),
    );
    stream
        .response_headers(&[(":status", "200")], true)
        .unwrap();
    stream.finish().unwrap();
    seen
}

#[test]
fn every_cluster_has_a_trust_domain_of_its_own_that_aliases_every_other_clusters() {
    let clusters = clusters();
    let domains: Vec<(String, TrustDomain)> = clusters
        .iter()
        .map(|(cluster, _)| (cluster.clone(), trust_domains::of(cluster).unwrap()))
        .collect();
    let distinct: BTreeSet<&str> = domains.iter().map(|(_, td)| td.domain.as_str()).collect();
    assert_eq!(distinct.len(), clusters.len(), "{domains:#?}");
    for (cluster, td) in &domains {
        assert!(
            !td.aliases.contains(&td.domain),
            "{}: its own domain as an alias",
            td.file
        );
        for (other, other_td) in &domains {
            if other != cluster {
                assert!(
                    td.aliases.contains(&other_td.domain),
                    "{}: without the alias `{}`, {cluster}'s sidecars refuse {other}'s",
                    td.file,
                    other_td.domain
                );
            }
        }
    }
}

#[test]
fn a_trust_domain_overlay_takes_the_callers_cluster_and_region_from_its_certificate() {
    let clusters = clusters();
    for (receiver, _) in &clusters {
        for (caller, caller_region) in &clusters {
            let mut vm = bound_sidecar(receiver);
            let san = trust_domains::of(caller)
                .unwrap()
                .spiffe_id(CALLER.0, CALLER.1);
            // A tag that agrees with the certificate, and one that claims another
            // cluster: the certificate decides both times.
            let honest = arrives(&mut vm, &san, &[(SOURCE_CLUSTER, caller)]);
            let impostor = clusters
                .iter()
                .map(|(cluster, _)| cluster)
                .find(|cluster| *cluster != caller)
                .unwrap();
            let forged = arrives(&mut vm, &san, &[(SOURCE_CLUSTER, impostor)]);
            let expected = (Some(caller.clone()), Some(caller_region.clone()));
            assert_eq!(honest, expected, "{san} calling {receiver}");
            assert_eq!(
                forged, expected,
                "{san} calling {receiver}, claiming {impostor}"
            );
            assert_eq!(
                vm.counter(
                    metric::TAG_MISMATCH.prometheus,
                    &[(label::SOURCE_CLUSTER, caller)]
                ),
                1,
                "{san} calling {receiver}: the forged tag is counted once"
            );
        }
    }
}

#[test]
fn a_trust_domain_overlay_no_longer_believes_a_certificate_of_the_shared_domain() {
    let base = shipped::plugins_in_build("base").unwrap();
    let shared = config(named(&base, SIDECAR_INBOUND.name).unwrap(), "trustedPeers")
        .and_then(Value::as_array)
        .and_then(|peers| peers.first())
        .and_then(Value::as_str)
        .unwrap();
    let san = shared.replacen('*', CALLER.0, 1).replacen('*', CALLER.1, 1);
    for (receiver, _) in clusters() {
        let mut vm = bound_sidecar(&receiver);
        let seen = arrives(&mut vm, &san, &[(SOURCE_CLUSTER, receiver.as_str())]);
        assert_eq!(seen, (None, None), "{san} calling {receiver}: tags removed");
        assert_eq!(
            vm.counter(metric::UNKNOWN_SOURCE.prometheus, &[]),
            1,
            "{san} calling {receiver}"
        );
    }
}
