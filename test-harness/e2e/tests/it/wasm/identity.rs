//! Who am I and which side of the border: the real filter reads its cluster and
//! region from either property generation (`xds.node` on Envoy >= 1.33, `node`
//! before), lets the config override them, and takes the direction from
//! `listener_direction` as an 8-byte little-endian integer, anything else inbound.

use super::fixtures::{
    OUTBOUND, SOURCE_CLUSTER, SOURCE_REGION, filter, get, legacy_node, node, outbound, refusal,
};
use proxy_wasm_host::{HostResult, PropertyValue};

/// The tags an outbound request leaves with, on a VM of `plugin`.
fn tags(
    plugin: HostResult<proxy_wasm_host::Plugin>,
) -> HostResult<(Option<String>, Option<String>)> {
    let mut vm = plugin?.start()?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("shop", "/", &[]), true)?;
    Ok((
        stream.request_header(SOURCE_CLUSTER).map(str::to_owned),
        stream.request_header(SOURCE_REGION).map(str::to_owned),
    ))
}

fn some(cluster: &str, region: &str) -> (Option<String>, Option<String>) {
    (Some(cluster.to_owned()), Some(region.to_owned()))
}

#[test]
fn reads_cluster_and_region_from_the_xds_node() -> HostResult<()> {
    assert_eq!(
        tags(node("{}", "eu-west", "eu-west-1"))?,
        some("eu-west", "eu-west-1")
    );
    Ok(())
}

#[test]
fn falls_back_to_the_legacy_node_properties() -> HostResult<()> {
    assert_eq!(
        tags(legacy_node("{}", "eu-west", "eu-west-1"))?,
        some("eu-west", "eu-west-1")
    );
    Ok(())
}

#[test]
fn xds_node_wins_over_the_legacy_node() -> HostResult<()> {
    let plugin = legacy_node("{}", "old", "old-1")?
        .property(["xds", "node", "metadata", "CLUSTER_ID"], "eu-west")
        .property(["xds", "node", "locality", "region"], "eu-west-1");
    assert_eq!(tags(Ok(plugin))?, some("eu-west", "eu-west-1"));
    Ok(())
}

#[test]
fn config_overrides_the_node() -> HostResult<()> {
    let config = r#"{"cluster":"us-east","region":"us-east-1"}"#;
    assert_eq!(
        tags(node(config, "eu-west", "eu-west-1"))?,
        some("us-east", "us-east-1")
    );
    Ok(())
}

#[test]
fn region_comes_from_the_clusters_table_when_the_node_has_none() -> HostResult<()> {
    let config = r#"{"clusters":{"us-east":{"region":"us-east-1"}}}"#;
    let plugin = filter(config)?.property(["xds", "node", "metadata", "CLUSTER_ID"], "us-east");
    assert_eq!(tags(Ok(plugin))?, some("us-east", "us-east-1"));
    Ok(())
}

#[test]
fn empty_node_strings_count_as_missing() -> HostResult<()> {
    let plugin = legacy_node("{}", "eu-west", "eu-west-1")?
        .property(["xds", "node", "metadata", "CLUSTER_ID"], "")
        .property(["xds", "node", "locality", "region"], "");
    assert_eq!(tags(Ok(plugin))?, some("eu-west", "eu-west-1"));
    Ok(())
}

#[test]
fn refuses_a_configuration_without_any_cluster() -> HostResult<()> {
    assert_eq!(
        refusal(&filter("{}")?),
        Ok("no local cluster: set `cluster` in the plugin configuration, or `CLUSTER_ID` in the node metadata".to_owned())
    );
    Ok(())
}

#[test]
fn an_empty_configuration_is_valid_and_tags() -> HostResult<()> {
    assert_eq!(
        tags(node("", "eu-west", "eu-west-1"))?,
        some("eu-west", "eu-west-1")
    );
    assert_eq!(
        tags(node("  \n", "eu-west", "eu-west-1"))?,
        some("eu-west", "eu-west-1")
    );
    Ok(())
}

/// Whether a request on a listener with this `listener_direction` is outbound:
/// outbound tags it, inbound (untrusted) strips the tags.
fn is_outbound(path: &[&str], value: Option<PropertyValue>) -> HostResult<bool> {
    let mut vm = node("{}", "eu-west", "eu-west-1")?.start()?;
    let mut stream = vm.http_stream();
    if let Some(value) = value {
        stream = stream.property(path.to_vec(), value);
    }
    stream.request_headers(&get("shop", "/", &[(SOURCE_CLUSTER, "forged")]), true)?;
    Ok(stream.request_header(SOURCE_CLUSTER) == Some("eu-west"))
}

#[test]
fn listener_direction_two_is_outbound_and_one_inbound() -> HostResult<()> {
    let xds = ["xds", "listener_direction"];
    assert!(is_outbound(&xds, Some(2_u64.into()))?);
    assert!(!is_outbound(&xds, Some(1_u64.into()))?);
    Ok(())
}

#[test]
fn legacy_listener_direction_is_read_when_xds_has_none() -> HostResult<()> {
    assert!(is_outbound(&["listener_direction"], Some(OUTBOUND.into()))?);
    Ok(())
}

#[test]
fn missing_or_unexpected_direction_counts_as_inbound() -> HostResult<()> {
    let xds = ["xds", "listener_direction"];
    assert!(!is_outbound(&xds, None)?, "missing");
    assert!(!is_outbound(&xds, Some(3_u64.into()))?, "3");
    assert!(
        !is_outbound(&xds, Some(PropertyValue::raw(2_u32.to_le_bytes())))?,
        "4 bytes"
    );
    assert!(
        !is_outbound(&xds, Some(PropertyValue::raw(vec![2])))?,
        "1 byte"
    );
    assert!(!is_outbound(&xds, Some("2".into()))?, "a string");
    assert!(
        !is_outbound(&xds, Some(PropertyValue::raw(2_u64.to_be_bytes())))?,
        "big-endian"
    );
    Ok(())
}

#[test]
fn configured_direction_ignores_the_listener() -> HostResult<()> {
    let mut vm = node(r#"{"direction":"outbound"}"#, "eu-west", "eu-west-1")?.start()?;
    let mut stream = vm
        .http_stream()
        .property(["xds", "listener_direction"], 1_u64);
    stream.request_headers(&get("shop", "/", &[]), true)?;
    assert_eq!(stream.request_header(SOURCE_CLUSTER), Some("eu-west"));
    Ok(())
}
