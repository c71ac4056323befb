//! Who am I and which side of the border: node facts, overrides, direction.

use super::fixtures::{SPEC_CONFIG, policy_at, xds_node};
use crate::policy::{Direction, NodeFacts, NodeInfo, Policy};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn node(xds: NodeInfo, legacy: NodeInfo) -> NodeFacts {
    NodeFacts { xds, legacy }
}

fn info(cluster: Option<&str>, region: Option<&str>, zone: Option<&str>) -> NodeInfo {
    NodeInfo {
        cluster: cluster.map(str::to_owned),
        region: region.map(str::to_owned),
        zone: zone.map(str::to_owned),
    }
}

#[test]
fn reads_cluster_region_and_zone_from_xds_node() {
    let facts = node(
        info(Some("eu-west"), Some("eu-west-1"), Some("eu-west-1a")),
        info(Some("legacy"), Some("legacy-1"), None),
    );
    let policy = Policy::from_json(b"{}", &facts).unwrap();
    assert_eq!(policy.identity.cluster, "eu-west");
    assert_eq!(policy.identity.region.as_deref(), Some("eu-west-1"));
    assert_eq!(policy.identity.zone.as_deref(), Some("eu-west-1a"));
}

#[test]
fn falls_back_to_legacy_node_properties() {
    let facts = node(
        NodeInfo::default(),
        info(Some("us-east"), Some("us-east-1"), Some("z")),
    );
    let policy = Policy::from_json(b"", &facts).unwrap();
    assert_eq!(policy.identity.cluster, "us-east");
    assert_eq!(policy.identity.region.as_deref(), Some("us-east-1"));
    assert_eq!(policy.identity.zone.as_deref(), Some("z"));
}

#[test]
fn config_overrides_node_properties() {
    let policy = Policy::from_json(
        br#"{"cluster":"override","region":"override-1"}"#,
        &xds_node("eu-west", "eu-west-1"),
    )
    .unwrap();
    assert_eq!(policy.identity.cluster, "override");
    assert_eq!(policy.identity.region.as_deref(), Some("override-1"));
}

#[test]
fn region_comes_from_clusters_table_when_node_has_none() {
    let facts = node(info(Some("eu-west"), None, None), NodeInfo::default());
    let policy = Policy::from_json(SPEC_CONFIG.as_bytes(), &facts).unwrap();
    assert_eq!(policy.identity.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn empty_node_strings_count_as_missing() {
    let facts = node(info(Some(""), None, None), info(Some("legacy"), None, None));
    let policy = Policy::from_json(b"{}", &facts).unwrap();
    assert_eq!(policy.identity.cluster, "legacy");
}

#[test]
fn refuses_configuration_without_any_cluster() {
    let error = Policy::from_json(b"{}", &NodeFacts::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no local cluster: set `cluster` in the plugin configuration, or `CLUSTER_ID` in the node metadata"
    );
}

#[test]
fn empty_configuration_is_valid() {
    let policy = policy_at("", "eu-west", "eu-west-1");
    assert!(!policy.has_rules());
    assert!(policy.routing.is_none());
    assert!(policy.trusted.is_empty());
}

#[test]
fn listener_direction_two_is_outbound_and_anything_else_inbound() {
    let le = |v: u64| v.to_le_bytes();
    assert_eq!(
        Direction::from_listener_property(Some(&le(2))),
        Direction::Outbound
    );
    assert_eq!(
        Direction::from_listener_property(Some(&le(1))),
        Direction::Inbound
    );
    assert_eq!(
        Direction::from_listener_property(Some(&le(0))),
        Direction::Inbound
    );
    assert_eq!(
        Direction::from_listener_property(Some(&[2])),
        Direction::Inbound
    );
    assert_eq!(Direction::from_listener_property(None), Direction::Inbound);
}

#[test]
fn a_configured_direction_is_fixed_and_auto_reads_the_listener() {
    let policy = policy_at(r#"{"direction":"outbound"}"#, "a", "r");
    assert_eq!(policy.needs().fixed_direction(), Some(Direction::Outbound));
    let policy = policy_at(r#"{"direction":"inbound"}"#, "a", "r");
    assert_eq!(policy.needs().fixed_direction(), Some(Direction::Inbound));
    let policy = policy_at("{}", "a", "r");
    assert_eq!(policy.needs().fixed_direction(), None);
}

#[test]
fn the_empty_configuration_needs_no_peer_and_no_outbound_headers() {
    let needs = policy_at("", "eu-west", "eu-west-1").needs();
    assert!(!needs.peer(Direction::Inbound));
    assert!(
        needs.headers(Direction::Inbound),
        "inbound tags are always checked"
    );
    assert!(!needs.headers(Direction::Outbound));
}

#[test]
fn the_spec_configuration_needs_the_peer_inbound_and_the_headers_both_ways() {
    let needs = policy_at(SPEC_CONFIG, "eu-west", "eu-west-1").needs();
    assert!(needs.peer(Direction::Inbound));
    assert!(!needs.peer(Direction::Outbound));
    assert!(needs.headers(Direction::Inbound));
    assert!(needs.headers(Direction::Outbound));
    let routing_only = r#"{"routing":{"default":"eu-west-1"}}"#;
    let needs = policy_at(routing_only, "eu-west", "eu-west-1").needs();
    assert!(needs.headers(Direction::Outbound));
}
