//! `meshborder check`: every shipped configuration passes; a bad one prints the
//! filter's own error with the file and document, and the exit code says so.

use std::error::Error;
use std::fs;

use super::fixtures::{
    filter_wasm, meshborder, meshborder_in, meshborder_with, run, scratch, workspace_root, write,
};

type TestResult = Result<(), Box<dyn Error>>;

#[test]
fn every_shipped_configuration_passes_check() -> TestResult {
    let run = meshborder(&["check", "envoy-config", "istio", "envoy-gateway"])?;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let (summary, results) = lines.split_last().ok_or("no output")?;
    assert!(results.len() >= 5, "{}", run.stdout);
    assert!(
        results.iter().all(|l| l.ends_with(": OK")),
        "{}",
        run.stdout
    );
    assert!(
        summary.ends_with(&format!("{n} OK, 0 failed", n = results.len())),
        "{summary}"
    );
    Ok(())
}

const BAD_WASMPLUGIN: &str = r#"apiVersion: v1
kind: ConfigMap
metadata: { name: unrelated }
---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: { name: meshborder, namespace: istio-system }
spec:
  url: oci://ghcr.io/meshborder/meshborder-filter:0.1.0
  pluginConfig:
    regionGroups: { eu: [eu-west-1], us: [us-east-1] }
    residency:
      rules:
        - name: eu-user-data
          allowSourceRegions: [eu-wst]
"#;

#[test]
fn a_refused_configuration_prints_the_filters_error_with_file_and_document() -> TestResult {
    let dir = scratch("cli-check-refused")?;
    let file = write(&dir, "plugin.yaml", BAD_WASMPLUGIN)?;
    let run = meshborder(&["check", &file])?;
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stdout,
        format!(
            "{file}#2 (WasmPlugin `istio-system/meshborder`): REFUSED meshborder configuration \
             refused: rule `eu-user-data`: `allowSourceRegions[0]`: unknown region or group \
             `eu-wst` (known groups: eu, us; known regions: eu-west-1, us-east-1); list a new \
             region in `regionGroups` or `clusters`\n\
             1 configuration checked: 0 OK, 1 failed\n"
        )
    );
    Ok(())
}

const BOOTSTRAP: &str = r#"node:
  id: sidecar
  metadata: { CLUSTER_ID: eu-west }
  locality: { region: eu-west-1 }
static_resources:
  listeners:
    - name: inbound_http
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                http_filters:
                  - name: envoy.filters.http.wasm
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        name: meshborder
                        configuration:
                          "@type": type.googleapis.com/google.protobuf.StringValue
                          value: '{"residency":{"rules":[{"name":"here","allowSourceRegions":["eu-west-1"]}]}}'
                        vm_config: { vm_id: meshborder, code: { local: { filename: x.wasm } } }
"#;

const PLUGIN_RESOURCES: &str = r#"apiVersion: extensions.istio.io/v1alpha1
kind: TrafficExtension
metadata: { name: meshborder-tcp, namespace: istio-system }
spec:
  wasm:
    url: oci://ghcr.io/meshborder/meshborder-filter:0.1.0
    type: NETWORK
    pluginConfig: { layer: tcp }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: ingress, namespace: shop }
spec:
  targetRefs: [ { group: gateway.networking.k8s.io, kind: Gateway, name: shop } ]
  wasm:
    - name: other
      code: { type: Image, image: { url: example.com/other:1 } }
    - name: meshborder
      code: { type: Image, image: { url: ghcr.io/meshborder/meshborder-filter:0.1.0 } }
      config: { cluster: us-east, direction: outbound, routing: { default: eu-west-1 } }
"#;

#[test]
fn a_traffic_extension_and_an_envoy_gateway_extension_are_found_and_checked() -> TestResult {
    let dir = scratch("cli-check-plugin-resources")?;
    let file = write(&dir, "plugins.yaml", PLUGIN_RESOURCES)?;
    let run = meshborder(&["check", &file])?;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(format!("{file}#1 (TrafficExtension `istio-system/meshborder-tcp`): OK").as_str())
    );
    // The policy's own extension only, with its routing to a region the
    // configuration does not know.
    let policy = lines.get(1).copied().unwrap_or_default();
    assert!(
        policy.starts_with(&format!(
            "{file}#2 (EnvoyExtensionPolicy `shop/ingress`, wasm `meshborder`): REFUSED"
        )) && policy.contains("eu-west-1"),
        "{}",
        run.stdout
    );
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    Ok(())
}

#[test]
fn an_envoy_bootstrap_is_checked_on_its_own_node() -> TestResult {
    let dir = scratch("cli-check-bootstrap")?;
    let bootstrap = write(&dir, "envoy.yaml", BOOTSTRAP)?;
    // `eu-west-1` is a known region only as the node's own region.
    let plugin = write(
        &dir,
        "plugin.json",
        r#"{"residency":{"rules":[{"name":"here","allowSourceRegions":["eu-west-1"]}]}}"#,
    )?;
    let run = meshborder(&["check", &bootstrap])?;
    assert_eq!(
        run.stdout.lines().next(),
        Some(format!("{bootstrap}#1 (wasm filter `meshborder` in `inbound_http`): OK").as_str())
    );
    let alone = meshborder(&["check", &plugin])?;
    assert_eq!(alone.code, Some(1));
    assert!(
        alone.stdout.contains("unknown region or group `eu-west-1`"),
        "{}",
        alone.stdout
    );
    let told = meshborder(&[
        "check",
        "--cluster",
        "eu-west",
        "--region",
        "eu-west-1",
        &plugin,
    ])?;
    assert_eq!(told.code, Some(0), "{}", told.stdout);
    Ok(())
}

#[test]
fn a_kustomize_overlay_is_checked_as_built() -> TestResult {
    let dir = scratch("cli-check-kustomize")?;
    write(
        &dir,
        "base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [plugin.yaml]\n",
    )?;
    write(
        &dir,
        "base/plugin.yaml",
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: { name: meshborder, namespace: istio-system }\nspec:\n  url: oci://x/meshborder:1\n  pluginConfig:\n    regionGroups: { eu: [eu-west-1] }\n",
    )?;
    write(
        &dir,
        "overlay/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base]\npatches:\n  - path: rules.yaml\n  - target: { kind: WasmPlugin }\n    patch: |-\n      - op: add\n        path: /spec/pluginConfig/cluster\n        value: eu-west\n",
    )?;
    let patch = write(
        &dir,
        "overlay/rules.yaml",
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: { name: meshborder, namespace: istio-system }\nspec:\n  pluginConfig:\n    residency: { rules: [ { name: eu-only, allowSourceRegions: [eu] } ] }\n",
    )?;
    let overlay = dir.join("overlay").to_string_lossy().into_owned();
    let built = meshborder(&["check", &overlay])?;
    assert_eq!(
        built.stdout,
        format!(
            "{overlay} (kustomize build, WasmPlugin `istio-system/meshborder`): OK\n\
             1 configuration checked: 1 OK, 0 failed\n"
        )
    );
    let alone = meshborder(&["check", &patch])?;
    assert_eq!(
        alone.code,
        Some(1),
        "the patch alone lacks the base's groups"
    );
    assert!(
        alone.stdout.contains("unknown region or group `eu`"),
        "{}",
        alone.stdout
    );
    Ok(())
}

#[test]
fn an_overlay_without_a_kustomize_to_build_it_says_how_to_get_one() -> TestResult {
    let dir = scratch("cli-check-no-kustomize")?;
    write(
        &dir,
        "kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    )?;
    let missing = dir.join("no-kustomize-here");
    let run = meshborder_with(
        &["check", &dir.to_string_lossy()],
        &[("MESHBORDER_KUSTOMIZE", &missing.to_string_lossy())],
    )?;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "no kustomize was found (tried `{}`): install kustomize (or kubectl), or set \
             MESHBORDER_KUSTOMIZE to its path",
            missing.display()
        )),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn unreadable_files_bad_yaml_and_files_without_a_config_are_errors() -> TestResult {
    let dir = scratch("cli-check-errors")?;
    let bad = write(&dir, "bad.yaml", "kind: WasmPlugin\nspec: [unclosed\n")?;
    let empty = write(&dir, "other.yaml", "kind: ConfigMap\n")?;
    let missing = dir.join("missing.json").to_string_lossy().into_owned();
    let run = meshborder(&["check", &bad, &empty, &missing])?;
    assert_eq!(run.code, Some(1));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with(&format!("{bad}: ERROR invalid YAML in document 1: ")),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        format!("{empty}: ERROR no meshborder plugin configuration found")
    );
    assert!(
        lines[2].starts_with(&format!("{missing}: ERROR cannot read it: ")),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3], "3 configurations checked: 0 OK, 3 failed");
    Ok(())
}

#[test]
fn a_missing_wasm_names_the_command_that_builds_it() -> TestResult {
    let run = meshborder(&[
        "--wasm",
        "target/nowhere/meshborder_filter.wasm",
        "check",
        "envoy-config",
    ])?;
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr,
        "meshborder: no filter at `target/nowhere/meshborder_filter.wasm`: pass --wasm FILE or \
         set MESHBORDER_WASM (in a meshborder checkout, `make build` makes \
         target/wasm32-wasip1/release/meshborder_filter.wasm)\n"
    );
    Ok(())
}

#[test]
fn without_wasm_or_its_variable_the_filter_is_looked_for_under_the_current_directory() -> TestResult
{
    let dir = scratch("cli-check-default-wasm")?;
    let run = meshborder_in(
        &dir,
        &["check", "envoy-config"],
        &[("MESHBORDER_WASM", None)],
    )?;
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.starts_with(
            "meshborder: no filter at `target/wasm32-wasip1/release/meshborder_filter.wasm`"
        ),
        "{}",
        run.stderr
    );
    Ok(())
}

#[test]
fn a_copy_of_the_binary_outside_the_checkout_checks_what_it_is_given() -> TestResult {
    let dir = scratch("cli-check-elsewhere")?;
    let copy = dir.join("meshborder");
    fs::copy(env!("CARGO_BIN_EXE_meshborder"), &copy)?;
    let wasm = filter_wasm().canonicalize()?;
    let root = workspace_root().canonicalize()?;
    let targets = [root.join("envoy-config"), root.join("istio")];
    let mut args = vec!["--wasm".to_owned(), wasm.to_string_lossy().into_owned()];
    args.push("check".to_owned());
    args.extend(targets.iter().map(|t| t.to_string_lossy().into_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let elsewhere = run(&copy, &dir, &args, &[("MESHBORDER_WASM", None)])?;
    let here = meshborder(&["check", "envoy-config", "istio"])?;
    assert_eq!(
        elsewhere.code,
        Some(0),
        "{}{}",
        elsewhere.stdout,
        elsewhere.stderr
    );
    assert_eq!(here.code, Some(0), "{}{}", here.stdout, here.stderr);
    let root_prefix = format!("{}/", root.display());
    let relative: Vec<String> = elsewhere
        .stdout
        .lines()
        .map(|line| line.replace(&root_prefix, ""))
        .collect();
    let here: Vec<&str> = here.stdout.lines().collect();
    assert_eq!(relative, here);
    Ok(())
}

#[test]
fn zones_and_certificate_bound_peers_pass_check_and_an_unlisted_bound_cluster_is_refused()
-> TestResult {
    let dir = scratch("cli-check-bound")?;
    let good = write(
        &dir,
        "good-plugin.json",
        r#"{
  "zone": "eu-west-1a",
  "clusters": { "us-east": { "region": "us-east-1" }, "eu-west": { "region": "eu-west-1" } },
  "trustedPeers": [
    { "peer": "spiffe://us-east.mesh.example/ns/*/sa/*", "cluster": "us-east" },
    "spiffe://{cluster}.mesh.example/ns/*/sa/*",
    "spiffe://cluster.local/ns/*/sa/*"
  ],
  "metrics": { "maxClusters": 16, "maxZones": 8 }
}"#,
    )?;
    let run = meshborder(&["check", "--cluster", "eu-west", &good])?;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        format!("{good}: OK\n1 configuration checked: 1 OK, 0 failed\n")
    );
    let bad = write(
        &dir,
        "bad-plugin.json",
        r#"{ "trustedPeers": [ { "peer": "spiffe://x.example/ns/*/sa/*", "cluster": "ap-south" } ] }"#,
    )?;
    let refused = meshborder(&["check", "--zone", "eu-west-1a", &bad])?;
    assert_eq!(refused.code, Some(1), "{}", refused.stdout);
    assert!(
        refused.stdout.starts_with(&format!(
            "{bad}: REFUSED meshborder configuration refused: "
        )),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("trustedPeers[0].cluster"),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("ap-south"), "{}", refused.stdout);
    Ok(())
}

#[test]
fn a_tcp_configuration_passes_check_with_the_real_filter_as_a_file_and_as_its_template_includes_it()
-> TestResult {
    let run = meshborder(&[
        "check",
        "envoy-config/eu-west-tcp-plugin.json",
        "envoy-config/eu-west-tcp-inbound.yaml",
    ])?;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "envoy-config/eu-west-tcp-plugin.json: OK\n\
         envoy-config/eu-west-tcp-inbound.yaml (includes `eu-west-tcp-plugin.json`): OK\n\
         2 configurations checked: 2 OK, 0 failed\n"
    );
    // The filter judges it as a `tcp` layer: an HTTP condition is refused there.
    let dir = scratch("cli-check-tcp")?;
    let bad = write(
        &dir,
        "tcp-plugin.json",
        r#"{ "layer": "tcp", "residency": { "rules": [ { "name": "r", "match": { "hosts": ["db"] } } ] } }"#,
    )?;
    let refused = meshborder(&["check", "--cluster", "eu-west", &bad])?;
    assert_eq!(refused.code, Some(1), "{}", refused.stdout);
    assert!(
        refused.stdout.starts_with(&format!(
            "{bad}: REFUSED meshborder configuration refused: rule `r`: `match.hosts`: "
        )),
        "{}",
        refused.stdout
    );
    Ok(())
}

/// An Envoy bootstrap with meshborder as a network filter, configured with
/// `configuration`.
fn network_bootstrap(configuration: &str) -> String {
    format!(
        r#"node:
  id: database
  metadata: {{ CLUSTER_ID: eu-west }}
  locality: {{ region: eu-west-1 }}
static_resources:
  listeners:
    - name: inbound_tcp
      filter_chains:
        - filters:
            - name: envoy.filters.network.wasm
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm
                config:
                  name: meshborder
                  configuration:
                    "@type": type.googleapis.com/google.protobuf.StringValue
                    value: '{configuration}'
                  vm_config: {{ vm_id: meshborder, code: {{ local: {{ filename: x.wasm }} }} }}
            - name: envoy.filters.network.tcp_proxy
"#
    )
}

#[test]
fn a_configuration_of_the_other_layer_than_the_filter_that_loads_it_is_misloaded() -> TestResult {
    let dir = scratch("cli-check-misloaded")?;
    let tcp = write(
        &dir,
        "tcp.yaml",
        &network_bootstrap(
            r#"{"layer":"tcp","residency":{"rules":[{"name":"db","match":{"ports":[5432]},"allowSourceRegions":["eu-west-1"]}]}}"#,
        ),
    )?;
    let run = meshborder(&["check", &tcp])?;
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.lines().next(),
        Some(format!("{tcp}#1 (wasm filter `meshborder` in `inbound_tcp`): OK").as_str())
    );

    let http = write(&dir, "http.yaml", &network_bootstrap("{}"))?;
    let run = meshborder(&["check", &http])?;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.lines().next(),
        Some(
            format!(
                "{http}#1 (wasm filter `meshborder` in `inbound_tcp`): MISLOADED meshborder: this \
                 configuration is for HTTP (no `\"layer\": \"tcp\"`), but Envoy runs it as a \
                 network filter: every connection is closed until it is loaded as an HTTP filter \
                 (envoy.filters.http.wasm) or its layer is `tcp`"
            )
            .as_str()
        )
    );

    let plugins = write(
        &dir,
        "plugins.yaml",
        "kind: WasmPlugin\nmetadata: { name: meshborder-tcp }\nspec:\n  type: NETWORK\n  pluginConfig: { layer: tcp }\n\
         ---\nkind: WasmPlugin\nmetadata: { name: meshborder-http }\nspec:\n  pluginConfig: { layer: tcp }\n",
    )?;
    let run = meshborder(&["check", &plugins])?;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(format!("{plugins}#1 (WasmPlugin `meshborder-tcp`): OK").as_str())
    );
    assert!(
        lines.get(1).is_some_and(|line| line.starts_with(&format!(
            "{plugins}#2 (WasmPlugin `meshborder-http`): MISLOADED meshborder: this \
             configuration has `\"layer\": \"tcp\"`, but Envoy runs it as an HTTP filter"
        ))),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines.get(2).copied(),
        Some("2 configurations checked: 1 OK, 1 failed")
    );
    Ok(())
}
