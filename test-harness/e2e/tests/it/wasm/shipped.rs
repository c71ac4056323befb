//! Every plugin configuration the project ships configures the real filter, and
//! every bad configuration docs/configuration.md documents is refused with the documented
//! message, word for word.
//!
//! Shipped configurations are found as `meshborder check` finds them: the plugin
//! config JSON files of `envoy-config/` and `istio/`, the ones Envoy templates
//! include, the plugin resources (`TrafficExtension`s) each kustomize overlay of
//! `istio/` builds to, as the real `kustomize build` makes them, and the Wasm
//! extension of the Envoy Gateway example.

use std::error::Error;
use std::fs;

use meshborder_cli::configs::{
    CheckOutcome, FoundConfig, NodeIdentity, SourceError, check, expand,
};
use proxy_wasm_host::{HostResult, Plugin};

use meshborder_e2e::host::release_filter;
use meshborder_e2e::paths::workspace_root;

use super::fixtures::{filter, node, refusal};

type TestResult = Result<(), Box<dyn Error>>;

fn shipped(dir: &str) -> Result<Vec<FoundConfig>, SourceError> {
    let mut found = Vec::new();
    for source in expand(&[workspace_root().join(dir)])? {
        found.extend(source.find()?.configs);
    }
    Ok(found)
}

fn assert_all_configure(filter: &Plugin, found: &[FoundConfig]) {
    let failures: Vec<String> = found
        .iter()
        .filter_map(
            |config| match check(filter, config, &NodeIdentity::default()) {
                CheckOutcome::Accepted => None,
                other => Some(format!(
                    "{} ({}): {other:?}",
                    config.file.display(),
                    config.location
                )),
            },
        )
        .collect();
    assert!(failures.is_empty(), "refused:\n{}", failures.join("\n"));
}

#[test]
fn every_plugin_configuration_in_envoy_config_configures() -> TestResult {
    let found = shipped("envoy-config")?;
    assert!(
        found
            .iter()
            .filter(|c| c.location == "plugin configuration")
            .count()
            >= 2,
        "expected the plugin config JSON files of envoy-config/: {found:?}"
    );
    assert_all_configure(&release_filter()?, &found);
    Ok(())
}

#[test]
fn every_plugin_that_istio_overlays_build_configures() -> TestResult {
    let found = shipped("istio")?;
    assert!(
        found
            .iter()
            .any(|c| c.location.contains("TrafficExtension")),
        "expected TrafficExtensions in istio/: {found:?}"
    );
    assert_all_configure(&release_filter()?, &found);
    Ok(())
}

#[test]
fn the_envoy_gateway_example_extension_configures() -> TestResult {
    let found = shipped("envoy-gateway")?;
    assert_eq!(
        found
            .iter()
            .filter(|c| c.location.contains("EnvoyExtensionPolicy"))
            .count(),
        1,
        "expected one meshborder extension in envoy-gateway/: {found:?}"
    );
    assert_all_configure(&release_filter()?, &found);
    Ok(())
}

/// The bad configurations the reference table documents, each with a config that
/// makes the filter say it.
const BAD_CONFIGS: [&str; 17] = [
    r#"{"residency":{"rules":[{"name":"r","match":{"hostz":[]}}]}}"#,
    r#"{"regionGroups":{"eu":["eu-west-1"],"us":["us-east-1"]},"residency":{"rules":[{"name":"eu-user-data","allowSourceRegions":["eu-wst"]}]}}"#,
    r#"{"residency":{"rules":[{"name":"a","allowSourceClusters":["x"]},{"name":"a","allowSourceClusters":["y"]}]}}"#,
    r#"{"residency":{"rules":[{"name":"r","match":{"hosts":["a*b"]}}]}}"#,
    r#"{"residency":{"rules":[{"name":"r","match":{"paths":["users/*"]}}]}}"#,
    r#"{"trustedPeers":["spiffe://cluster.local/ns/a*"]}"#,
    r#"{"regionGroups":{"eu":["eu-west-1"]},"routing":{"sources":[{"header":"cf-ipcountry","countries":{"DEU":"eu-west-1"}}]}}"#,
    r#"{"residency":{"rules":[{"name":"r","allowSourceRegions":[]}]}}"#,
    r#"{"residency":{"rules":[{"name":"bad name"}]}}"#,
    r#"{"clusters":{"eu-west":{"region":"eu-west-1"},"us-east":{"region":"us-east-1"}},"trustedPeers":[{"peer":"spiffe://x.example/ns/*/sa/*","cluster":"ap-south"}]}"#,
    r#"{"trustedPeers":["spiffe://{cluster}.mesh.example/ns/{cluster}/sa/*"]}"#,
    r#"{"trustedPeers":["spiffe://x-{cluster}.mesh.example/ns/*/sa/*"]}"#,
    r#"{"clusters":{"us-east":{"region":"us-east-1"}},"trustedPeers":[{"peer":"spiffe://{cluster}.example/ns/*/sa/*","cluster":"us-east"}]}"#,
    r#"{"metrics":{"maxZones":5000}}"#,
    r#"{"residency":{"rules":[{"name":"r","match":{"ports":[5432]}}]}}"#,
    r#"{"layer":"tcp","residency":{"rules":[{"name":"r","match":{"hosts":["db"]}}]}}"#,
    r#"{"layer":"tcp","routing":{"default":"eu-west-1"}}"#,
];

/// The messages of the configuration reference's "What a bad configuration looks
/// like" table.
fn documented_messages() -> Result<Vec<String>, Box<dyn Error>> {
    let reference = fs::read_to_string(workspace_root().join("docs/configuration.md"))?;
    let section = reference
        .split("## What a bad configuration looks like")
        .nth(1)
        .ok_or("docs/configuration.md has no section `What a bad configuration looks like`")?
        .split("\n#")
        .next()
        .unwrap_or_default();
    Ok(section
        .lines()
        .filter(|line| {
            line.starts_with('|') && !line.starts_with("| mistake") && !line.starts_with("| ---")
        })
        .filter_map(|line| line.split('|').nth(2))
        .map(code_span)
        .collect())
}

/// The text of a Markdown code span, without its backtick fence and the spaces
/// that pad a message starting or ending with a backtick (no message starts or
/// ends with a space).
fn code_span(cell: &str) -> String {
    let cell = cell.trim();
    let fence = cell.len() - cell.trim_start_matches('`').len();
    cell.get(fence..cell.len() - fence)
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[test]
fn every_bad_configuration_in_the_reference_is_refused_with_its_message() -> TestResult {
    let messages = documented_messages()?;
    assert!(messages.len() >= 5, "the reference's table: {messages:?}");
    let mut said = Vec::new();
    for config in BAD_CONFIGS {
        said.push(refusal(&node(config, "eu-west", "eu-west-1")?).unwrap());
    }
    said.push(refusal(&filter("{}")?).unwrap());
    let undocumented: Vec<&String> = messages.iter().filter(|m| !said.contains(m)).collect();
    assert!(
        undocumented.is_empty(),
        "the reference documents messages no bad config produces:\n{undocumented:#?}\nthe filter said:\n{said:#?}"
    );
    Ok(())
}

#[test]
fn the_contract_example_of_a_refusal_is_what_the_filter_says() -> HostResult<()> {
    let said = refusal(&node(BAD_CONFIGS[1], "eu-west", "eu-west-1")?).unwrap();
    assert!(
        said.starts_with(
            "rule `eu-user-data`: `allowSourceRegions[0]`: unknown region or group `eu-wst` \
             (known groups: eu, us; known regions: eu-west-1, us-east-1)"
        ),
        "{said}"
    );
    Ok(())
}
