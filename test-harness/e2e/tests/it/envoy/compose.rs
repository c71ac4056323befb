//! `envoy-config/docker-compose.yaml` runs exactly the configs the tests run: after
//! the render step `make compose-config` uses, every path it mounts exists; each of
//! its Envoy services mounts the config of its own name (the mesh's, with the
//! certificates; the gateway's, with its watched filter config) and the `.wasm`;
//! and it publishes the demo's ports, so the demo's curl commands work against it
//! too.

use std::collections::BTreeSet;
use std::path::Path;

use meshborder_e2e::compose::{
    self, CONTAINER_CERTS, CONTAINER_CONFIG, CONTAINER_ECDS_DIR, CONTAINER_WASM, GATEWAY_SERVICE,
};
use meshborder_e2e::paths;
use meshborder_e2e::ports::{GATEWAY_DEMO, MeshPorts};
use meshborder_e2e::render::COMPOSE_FILE;
use meshborder_e2e::topology::{self, Rendering};
use serde_yaml_ng::Value;

const ENVOY_IMAGE: &str = "envoyproxy/envoy:v1.40-latest";

type TestResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The compose file, merge keys applied.
fn compose_file() -> TestResult<Value> {
    let text = std::fs::read_to_string(paths::config_dir().join(COMPOSE_FILE))?;
    let mut value: Value = serde_yaml_ng::from_str(&text)?;
    value.apply_merge()?;
    Ok(value)
}

/// Every service, by name.
fn services(compose: &Value) -> Vec<(String, &Value)> {
    compose
        .get("services")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .map(|(name, service)| (name.as_str().unwrap_or("?").to_owned(), service))
        .collect()
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_sequence)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `(host path, container path)` of every bind mount of `service` (short syntax,
/// `host:container[:mode]`; a volume without a colon has no container path).
fn mounts(service: &Value) -> Vec<(&str, &str)> {
    strings(service.get("volumes"))
        .into_iter()
        .map(|volume| {
            let (host, rest) = volume.split_once(':').unwrap_or((volume, ""));
            (host, rest.split(':').next().unwrap_or_default())
        })
        .collect()
}

fn envoy_services(compose: &Value) -> Vec<(String, &Value)> {
    services(compose)
        .into_iter()
        .filter(|(_, service)| service.get("image").and_then(Value::as_str) == Some(ENVOY_IMAGE))
        .collect()
}

fn mesh_renderings() -> Vec<Rendering> {
    topology::renderings(&compose::placement(), &compose::container_files())
}

#[test]
fn every_path_compose_mounts_exists_after_the_render_step() {
    compose::render(&compose::out_dir()).unwrap();
    let compose = compose_file().unwrap();
    let config_dir = paths::config_dir();
    let mut checked = 0;
    for (name, service) in services(&compose) {
        for (host_path, _) in mounts(service) {
            let path = config_dir.join(host_path);
            assert!(
                Path::new(&path).exists(),
                "service `{name}` mounts `{host_path}`, which the render step did not make"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "compose mounts nothing");
}

#[test]
fn compose_runs_each_tested_config_under_its_own_name() {
    let compose = compose_file().unwrap();
    let envoys = envoy_services(&compose);
    let names: BTreeSet<&str> = envoys.iter().map(|(name, _)| name.as_str()).collect();
    let renderings = mesh_renderings();
    let mut expected: BTreeSet<&str> = renderings.iter().map(|r| r.name.as_str()).collect();
    expected.insert(GATEWAY_SERVICE);
    assert_eq!(
        names, expected,
        "compose's Envoys are not the tests' configs"
    );

    for (name, service) in &envoys {
        let mut mounted = mounts(service);
        mounted.sort_unstable();
        let config = format!(
            "../{}/{}",
            compose::OUT_DIR,
            topology::config_file_name(name)
        );
        // The mesh's Envoys need the certificates; the gateway its watched file.
        let (extra, extra_at) = if name == GATEWAY_SERVICE {
            (format!("../{}/ecds", compose::OUT_DIR), CONTAINER_ECDS_DIR)
        } else {
            (format!("../{}/certs", compose::OUT_DIR), CONTAINER_CERTS)
        };
        let mut expected = vec![
            (config.as_str(), CONTAINER_CONFIG),
            (extra.as_str(), extra_at),
            (
                "../target/wasm32-wasip1/release/meshborder_filter.wasm",
                CONTAINER_WASM,
            ),
        ];
        expected.sort_unstable();
        assert_eq!(mounted, expected, "service `{name}`");
    }
}

#[test]
fn compose_publishes_the_demo_ports() {
    let compose = compose_file().unwrap();
    let placement = compose::placement();
    let demo = MeshPorts::DEMO;
    let published = |name: &str| -> Vec<String> {
        let (_, service) = envoy_services(&compose)
            .into_iter()
            .find(|(service, _)| service == name)
            .unwrap();
        strings(service.get("ports"))
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    let inbound = |ports: meshborder_e2e::ports::InboundPorts| {
        vec![
            format!("{}:{}", ports.admin, placement.admin_port),
            format!("{}:{}", ports.mtls, placement.mtls_port),
            format!("{}:{}", ports.plaintext, placement.plaintext_port),
        ]
    };
    let outbound = |ports: meshborder_e2e::ports::OutboundPorts| {
        vec![
            format!("{}:{}", ports.admin, placement.admin_port),
            format!("{}:{}", ports.listener, placement.listener_port),
        ]
    };
    assert_eq!(published("eu-west"), inbound(demo.eu_west));
    assert_eq!(published("eu-west-audit"), inbound(demo.eu_west_audit));
    assert_eq!(published("us-east"), outbound(demo.us_east));
    assert_eq!(published("eu-central"), outbound(demo.eu_central));
    assert_eq!(
        published(GATEWAY_SERVICE),
        [
            format!("{}:{}", GATEWAY_DEMO.admin, placement.admin_port),
            format!("{}:{}", GATEWAY_DEMO.listener, placement.listener_port),
        ]
    );
}
