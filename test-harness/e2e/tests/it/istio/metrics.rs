//! Metrics enablement for Istio: the stats tags istio/ carries are the ones
//! envoy-config/ uses, both proxyStatsMatcher variants keep the same stats, the
//! bootstrap override reaches the pods that run the filter, and a real Envoy set up
//! as Istio sets up a proxy (the override merged with `--config-yaml`, only our
//! stats inclusion, no default tags), running a certificate-bound overlay's three
//! sidecar plugins (HTTP outbound and inbound, TCP) on a node in a zone, shows every
//! counter of the contract, under its name, with its labels, once a caller from
//! another cluster and zone has sent it a request and opened a TCP connection to it
//! over mTLS.

use std::collections::BTreeSet;

use super::support::envoy::{
    self, INBOUND_LISTENER, INBOUND_TCP_LISTENER, InboundTls, LISTENER, Node,
};
use super::support::files;
use super::support::kustomize::{self, Module, Trust};
use super::support::models::all_of_kind;
use super::support::models::k8s::ConfigMap;
use super::support::proxy_stats;
use super::support::shipped::{
    self, SIDECAR_HTTP, SIDECAR_INBOUND, SIDECAR_OUTBOUND, SIDECAR_TCP, named,
};
use super::support::stats_tags;
use super::support::tcp::{self, EchoUpstream};
use super::support::trust_domains;
use crate::wasm::fixtures::{SPEC_CONFIG, TRUSTED_SAN, from_peer, get, node};
use meshborder_e2e::certs::{ClientCert, EU_WEST_FRONTEND_ID, TestPki};
use meshborder_e2e::client::Request;
use meshborder_e2e::paths;
use meshborder_e2e::poll;
use meshborder_e2e::tls::TlsClient;
use meshborder_filter::contract::header::{DENIED_BY, SOURCE_CLUSTER, SOURCE_ZONE};
use meshborder_filter::contract::{label, metric, parse_stat_name, value};
use serde_json::json;

/// One Prometheus sample line: `name{label="value",...} count`.
fn sample(name: &str, labels: &[(&str, &str)], count: u64) -> String {
    let labels: Vec<String> = labels
        .iter()
        .map(|(label, value)| format!("{label}=\"{value}\""))
        .collect();
    format!("{name}{{{}}} {count}", labels.join(","))
}

#[test]
fn istio_carries_the_stats_tags_envoy_config_uses() {
    let envoy_config = stats_tags::envoy_config_lists().unwrap();
    assert!(
        !envoy_config.is_empty(),
        "no stats_tags found in envoy-config/"
    );
    let expected = stats_tags::sorted(stats_tags::bootstrap_override().unwrap());
    let names: BTreeSet<&str> = expected.iter().map(|tag| tag.tag_name.as_str()).collect();
    assert_eq!(names.len(), expected.len(), "a label with two regexes");
    assert_eq!(
        names,
        BTreeSet::from_iter(label::ALL),
        "one regex per label of the contract"
    );
    for (origin, tags) in envoy_config {
        assert_eq!(
            stats_tags::sorted(tags),
            expected,
            "{origin} differs from istio/{}",
            stats_tags::BOOTSTRAP_OVERRIDE
        );
    }
    assert_eq!(
        stats_tags::sorted(stats_tags::legacy_envoy_filter().unwrap()),
        expected,
        "istio/{} differs from istio/{}",
        stats_tags::LEGACY_ENVOY_FILTER,
        stats_tags::BOOTSTRAP_OVERRIDE
    );
}

#[test]
fn the_mesh_wide_and_per_pod_stats_matchers_keep_the_same_stats() {
    let mesh = proxy_stats::mesh_config_matcher().unwrap();
    // Envoy names a proxy-wasm counter `wasmcustom.<name>` inside; the matcher sees that.
    assert_eq!(
        mesh.inclusion_prefixes,
        Some(vec!["wasmcustom.meshborder.".to_owned()])
    );
    for patch in ["metrics/workload-patch.yaml", "metrics/gateway-patch.yaml"] {
        assert_eq!(
            proxy_stats::annotation_matcher(patch).unwrap(),
            mesh,
            "{patch}"
        );
    }
}

#[test]
fn every_counter_the_filter_defines_is_a_contract_metric_with_its_labels() {
    // The SPEC configuration on a node in a zone: most counters are defined at
    // configure time, the cross-zone ones when a trusted caller from another zone
    // first arrives.
    let mut vm = node(SPEC_CONFIG, "eu-west", "eu-west-1")
        .unwrap()
        .property(["xds", "node", "locality", "zone"], "eu-west-1a")
        .start()
        .unwrap();
    let mut stream = from_peer(&mut vm, TRUSTED_SAN)
        .property(["request", "total_size"], 100_u64)
        .property(["response", "total_size"], 40_u64);
    let tags = [(SOURCE_CLUSTER, "us-east"), (SOURCE_ZONE, "us-east-1a")];
    stream
        .request_headers(&get("shop", "/", &tags), true)
        .unwrap();
    stream
        .response_headers(&[(":status", "200")], true)
        .unwrap();
    stream.finish().unwrap();

    let mut seen = BTreeSet::new();
    for defined in vm.metrics() {
        let stat = parse_stat_name(&defined.name)
            .unwrap_or_else(|| panic!("`{}` is not an embedded-tag name", defined.name));
        let contract = metric::ALL
            .iter()
            .find(|metric| metric.stat == stat.base)
            .unwrap_or_else(|| panic!("`{}` is not in the contract", defined.name));
        let labels: Vec<&str> = stat.labels.iter().map(|(label, _)| *label).collect();
        assert_eq!(labels, contract.labels, "{}", defined.name);
        seen.insert(contract.prometheus);
    }
    let all: BTreeSet<&str> = metric::HTTP
        .iter()
        .map(|metric| metric.prometheus)
        .collect();
    assert_eq!(
        seen, all,
        "the SPEC configuration defines every counter once a request crossed a zone"
    );
}

#[test]
fn the_stats_override_reaches_every_proxy_that_runs_the_filter() {
    let maps: Vec<ConfigMap> =
        all_of_kind(&kustomize::build("base").unwrap(), "ConfigMap").unwrap();
    let override_text =
        files::read(&files::istio_dir().join(stats_tags::BOOTSTRAP_OVERRIDE)).unwrap();
    let mut namespaces = BTreeSet::new();
    for map in maps
        .iter()
        .filter(|map| map.metadata.name.as_deref() == Some("meshborder-stats-tags"))
    {
        // Istio reads exactly this key of the mounted ConfigMap.
        assert_eq!(
            map.data.as_ref().unwrap()["custom_bootstrap.json"],
            override_text
        );
        namespaces.insert(map.metadata.namespace.clone().unwrap());
    }
    // The sample shop's sidecars, and the ingress gateway.
    assert_eq!(
        namespaces,
        BTreeSet::from(["istio-system".to_owned(), "shop".to_owned()])
    );

    let workload = proxy_stats::deployment_patch("metrics/workload-patch.yaml").unwrap();
    let metadata = workload.spec.template.metadata.unwrap();
    assert_eq!(
        metadata.annotations.unwrap()["sidecar.istio.io/bootstrapOverride"],
        "meshborder-stats-tags"
    );
    let labels = metadata.labels.unwrap();
    for sidecar in SIDECAR_HTTP {
        let plugin = shipped::in_file(sidecar.file).unwrap();
        assert_eq!(
            labels,
            plugin.spec.selector.unwrap().match_labels,
            "the pod gets the label {} selects",
            sidecar.name
        );
    }

    // The gateway's injection template ignores the annotation: its patch mounts the
    // ConfigMap and points ISTIO_BOOTSTRAP_OVERRIDE at the key.
    let gateway = proxy_stats::deployment_patch("metrics/gateway-patch.yaml").unwrap();
    let pod = gateway.spec.template.spec.unwrap();
    let volume = &pod.volumes.unwrap()[0];
    assert_eq!(
        volume.config_map.as_ref().unwrap().name,
        "meshborder-stats-tags"
    );
    let proxy = &pod.containers.unwrap()[0];
    assert_eq!(proxy.name, "istio-proxy");
    let mount = &proxy.volume_mounts.as_ref().unwrap()[0];
    assert_eq!(mount.name, volume.name);
    let variable = &proxy.env.as_ref().unwrap()[0];
    assert_eq!(variable.name, "ISTIO_BOOTSTRAP_OVERRIDE");
    assert_eq!(
        variable.value,
        format!("{}/custom_bootstrap.json", mount.mount_path)
    );
}

#[test]
fn an_istio_style_proxy_shows_every_counter_of_the_contract_with_its_labels() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("istio-metrics").unwrap();
    let overlay = kustomize::overlay("us-east", Module::Image, Trust::PerClusterDomain).unwrap();
    let rendered = shipped::plugins_in_build(overlay.dir).unwrap();
    let outbound = named(&rendered, SIDECAR_OUTBOUND.name).unwrap();
    let inbound = named(&rendered, SIDECAR_INBOUND.name).unwrap();
    let sidecar_tcp = named(&rendered, SIDECAR_TCP).unwrap();
    let pki = TestPki::generate(&run_dir.join("certs")).unwrap();
    // The caller: eu-west's frontend, with the SPIFFE ID eu-west's Istio issues.
    let eu_west = trust_domains::of("eu-west").unwrap();
    assert_eq!(EU_WEST_FRONTEND_ID, eu_west.spiffe_id("shop", "frontend"));

    // As Istio's bootstrap: no default tag extractors, and a stats matcher that
    // keeps only what is included; here, only what istio/ includes.
    let prefixes = proxy_stats::mesh_config_matcher()
        .unwrap()
        .inclusion_prefixes
        .unwrap();
    let patterns: Vec<_> = prefixes
        .iter()
        .map(|prefix| json!({ "prefix": prefix }))
        .collect();
    let stats = json!({
        "use_all_default_tags": false,
        "stats_matcher": { "inclusion_list": { "patterns": patterns } }
    });
    // A node in zone us-east-1a, as istio/kind/us-east.yaml labels it.
    // The outbound plugin on the outbound listener, the inbound one on the inbound
    // listener, as Istio places a CLIENT and a SERVER plugin.
    let local = Node::for_plugin(outbound).in_zone("us-east-1a");
    let mut bootstrap = envoy::bootstrap(outbound, &local, &wasm, Some(stats)).unwrap();
    let tls = InboundTls {
        cert: &pki.server.cert_path,
        key: &pki.server.key_path,
        ca: &pki.ca_path,
    };
    envoy::add_inbound_mtls(&mut bootstrap, inbound, &wasm, tls).unwrap();
    // The TCP plugin on the inbound side of a TCP port, as Istio places a plugin
    // of `type: NETWORK`, in front of a database that echoes.
    let database = EchoUpstream::start().unwrap();
    envoy::add_inbound_tcp_mtls(&mut bootstrap, sidecar_tcp, &wasm, tls, database.addr()).unwrap();
    let path = envoy::write_json(&run_dir, "istio-like.json", &bootstrap).unwrap();
    // The file ISTIO_BOOTSTRAP_OVERRIDE points at, passed to Envoy the way Istio's
    // istio-proxy container passes it.
    let override_text =
        files::read(&files::istio_dir().join(stats_tags::BOOTSTRAP_OVERRIDE)).unwrap();
    let proxy = envoy::start(&path, &override_text, &run_dir).unwrap();

    let denied = Request::get("/users/1")
        .header("host", "eu-user-data.shop.svc.cluster.local")
        .send(proxy.listener_addr(LISTENER).unwrap())
        .unwrap();
    assert_eq!(denied.status, 403, "{}", denied.text());
    assert_eq!(denied.header(DENIED_BY), Some("eu-user-data"));

    // From eu-west, zone eu-west-1a, with a cluster tag that lies.
    let client = TlsClient::with_cert(&pki, pki.client(ClientCert::EuWest)).unwrap();
    let served = Request::get("/")
        .header("host", "catalog.shop.svc.cluster.local")
        .header(SOURCE_CLUSTER, "us-east")
        .header(SOURCE_ZONE, "eu-west-1a")
        .send_tls(proxy.listener_addr(INBOUND_LISTENER).unwrap(), &client)
        .unwrap();
    assert_eq!(served.status, 200, "{}", served.text());

    // And a TCP connection from the same caller: its bytes one way and the echo the
    // other, counted when it closes.
    let payload = [5_u8; 1000];
    let echoed = tcp::exchange(
        proxy.listener_addr(INBOUND_TCP_LISTENER).unwrap(),
        &pki,
        pki.client(ClientCert::EuWest),
        &payload,
    )
    .unwrap();
    assert_eq!(echoed, payload);
    let tcp_bytes = |direction: &str| {
        let values = [
            direction,
            "eu-west",
            "eu-west-1",
            overlay.cluster,
            overlay.region,
        ];
        let labels: Vec<(&str, &str)> = metric::XCLUSTER_TCP_BYTES
            .labels
            .iter()
            .copied()
            .zip(values)
            .collect();
        sample(metric::XCLUSTER_TCP_BYTES.prometheus, &labels, 1000)
    };
    let text = poll::until("the TCP connection's counters", || {
        let text = proxy.admin_get("/stats/prometheus")?;
        let counted = [value::RECEIVED, value::SENT]
            .iter()
            .all(|direction| text.lines().any(|line| line == tcp_bytes(direction)));
        Ok(counted.then_some(text))
    })
    .unwrap();
    assert!(!text.contains("=.="), "a label was not extracted:\n{text}");
    let samples = proxy_stats::samples(&text, "meshborder").unwrap();
    let names: BTreeSet<&str> = samples.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = metric::ALL.iter().map(|metric| metric.prometheus).collect();
    assert_eq!(
        names, expected,
        "the counters on /stats/prometheus:\n{text}"
    );
    for (name, found) in &samples {
        let labels: BTreeSet<String> = metric::ALL
            .iter()
            .find(|metric| metric.prometheus == name)
            .unwrap()
            .labels
            .iter()
            .map(|label| (*label).to_owned())
            .collect();
        for sample in found {
            assert_eq!(sample.labels, labels, "`{}`", sample.line);
        }
    }
    let zones = [
        (label::SOURCE_ZONE, "eu-west-1a"),
        (label::DESTINATION_ZONE, "us-east-1a"),
    ];
    let expected_lines = [
        sample(
            metric::RESIDENCY_DECISIONS.prometheus,
            &[
                (label::RULE, "eu-user-data"),
                (label::DECISION, value::DENY),
            ],
            1,
        ),
        sample(
            metric::TAG_MISMATCH.prometheus,
            &[(label::SOURCE_CLUSTER, "eu-west")],
            1,
        ),
        sample(
            metric::XCLUSTER_REQUESTS.prometheus,
            &[
                (label::SOURCE_CLUSTER, "eu-west"),
                (label::DESTINATION_CLUSTER, "us-east"),
            ],
            1,
        ),
        sample(metric::XZONE_REQUESTS.prometheus, &zones, 1),
        sample(
            metric::XCLUSTER_TCP_CONNECTIONS.prometheus,
            &[
                (label::SOURCE_CLUSTER, "eu-west"),
                (label::DESTINATION_CLUSTER, "us-east"),
            ],
            1,
        ),
    ];
    for line in expected_lines {
        assert!(
            text.lines().any(|found| found == line),
            "no `{line}` in:\n{text}"
        );
    }
}
