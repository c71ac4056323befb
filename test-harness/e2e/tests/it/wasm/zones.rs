//! Zones on the real filter: the outbound zone tag from the node's locality, the
//! inbound one believed with a trusted source and stripped otherwise, and the
//! cross-zone counters, which count bytes of established sources from another zone.

use super::fixtures::{
    SOURCE_CLUSTER, SPEC_CONFIG, TRUSTED_SAN, from_peer, get, inbound, node, outbound,
};
use meshborder_e2e::host::Counters;
use meshborder_filter::contract::header::SOURCE_ZONE;
use meshborder_filter::contract::{label, metric, value};
use proxy_wasm_host::{HostResult, Vm};

const ZONE_BYTES: &str = metric::XZONE_BYTES.prometheus;
const ZONE_REQUESTS: &str = metric::XZONE_REQUESTS.prometheus;
const CLUSTER_REQUESTS: &str = metric::XCLUSTER_REQUESTS.prometheus;

/// The SPEC configuration on eu-west's node in zone eu-west-1a.
fn eu_west_1a() -> HostResult<Vm> {
    node(SPEC_CONFIG, "eu-west", "eu-west-1")?
        .property(["xds", "node", "locality", "zone"], "eu-west-1a")
        .start()
}

fn zone_requests(vm: &Vm, zone: &str) -> Option<u64> {
    vm.try_counter(
        ZONE_REQUESTS,
        &[
            (label::SOURCE_ZONE, zone),
            (label::DESTINATION_ZONE, "eu-west-1a"),
        ],
    )
}

/// One answered inbound request from the trusted peer with `tags`; returns the zone
/// tag the app saw.
fn exchange(vm: &mut Vm, tags: &[(&str, &str)]) -> HostResult<Option<String>> {
    let mut stream = from_peer(vm, TRUSTED_SAN)
        .property(["request", "total_size"], 100_u64)
        .property(["response", "total_size"], 40_u64);
    stream.request_headers(&get("shop", "/", tags), true)?;
    let seen = stream.request_header(SOURCE_ZONE).map(str::to_owned);
    stream.response_headers(&[(":status", "200")], true)?;
    stream.finish()?;
    Ok(seen)
}

#[test]
fn outbound_tags_the_nodes_zone_over_a_forged_one() -> HostResult<()> {
    let mut vm = eu_west_1a()?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("shop", "/", &[(SOURCE_ZONE, "us-east-1a")]), true)?;
    assert_eq!(stream.request_header(SOURCE_ZONE), Some("eu-west-1a"));
    Ok(())
}

#[test]
fn a_request_from_another_zone_of_the_same_cluster_counts_as_cross_zone_only() -> HostResult<()> {
    let mut vm = eu_west_1a()?;
    let seen = exchange(
        &mut vm,
        &[(SOURCE_CLUSTER, "eu-west"), (SOURCE_ZONE, "eu-west-1b")],
    )?;

    assert_eq!(
        seen.as_deref(),
        Some("eu-west-1b"),
        "the believed zone tag stays"
    );
    assert_eq!(zone_requests(&vm, "eu-west-1b"), Some(1));
    let bytes = |direction| {
        vm.counter(
            ZONE_BYTES,
            &[
                (label::DIRECTION, direction),
                (label::SOURCE_ZONE, "eu-west-1b"),
                (label::DESTINATION_ZONE, "eu-west-1a"),
            ],
        )
    };
    assert_eq!((bytes(value::REQUEST), bytes(value::RESPONSE)), (100, 40));
    let crossed = [
        (label::SOURCE_CLUSTER, "eu-west"),
        (label::DESTINATION_CLUSTER, "eu-west"),
    ];
    assert_eq!(
        vm.try_counter(CLUSTER_REQUESTS, &crossed),
        None,
        "no cluster border"
    );
    Ok(())
}

#[test]
fn a_request_from_the_local_zone_is_not_counted() -> HostResult<()> {
    let mut vm = eu_west_1a()?;
    exchange(
        &mut vm,
        &[(SOURCE_CLUSTER, "eu-west"), (SOURCE_ZONE, "eu-west-1a")],
    )?;
    assert_eq!(zone_requests(&vm, "eu-west-1a"), None);
    Ok(())
}

#[test]
fn a_believed_source_without_a_zone_counts_as_unknown_zone() -> HostResult<()> {
    let mut vm = eu_west_1a()?;
    exchange(&mut vm, &[(SOURCE_CLUSTER, "us-east")])?;
    assert_eq!(zone_requests(&vm, value::UNKNOWN), Some(1));
    Ok(())
}

#[test]
fn an_untrusted_zone_tag_is_stripped_and_not_counted() -> HostResult<()> {
    let mut vm = eu_west_1a()?;
    let mut stream = inbound(&mut vm);
    let tags = [(SOURCE_CLUSTER, "eu-west"), (SOURCE_ZONE, "eu-west-1b")];
    stream.request_headers(&get("shop", "/", &tags), true)?;
    assert_eq!(stream.request_header(SOURCE_ZONE), None);
    stream.response_headers(&[(":status", "200")], true)?;
    stream.finish()?;
    assert_eq!(zone_requests(&vm, "eu-west-1b"), None);
    Ok(())
}

#[test]
fn nothing_is_counted_by_zone_on_a_node_without_a_zone() -> HostResult<()> {
    let mut vm = node(SPEC_CONFIG, "eu-west", "eu-west-1")?.start()?;
    exchange(
        &mut vm,
        &[(SOURCE_CLUSTER, "us-east"), (SOURCE_ZONE, "us-east-1a")],
    )?;
    let any_zone_counter = vm
        .metrics()
        .iter()
        .any(|m| m.name.starts_with(metric::XZONE_REQUESTS.stat));
    assert!(!any_zone_counter, "{:#?}", vm.metrics());
    Ok(())
}
