//! Cross-cluster metering on the real filter: inbound requests from another
//! cluster count their bytes (`request.total_size`, `response.total_size`, 8-byte
//! little-endian integers read in `on_log`) and themselves, labelled by source and
//! destination; label values stay bounded by the configuration.

use super::fixtures::{
    ROUTE_REGION, SOURCE_CLUSTER, SOURCE_REGION, SPEC_CONFIG, TRUSTED_SAN, eu_west, from_peer, get,
    inbound, lines_at, node, outbound,
};
use meshborder_e2e::host::Counters;
use meshborder_filter::contract::{label, metric, value};
use proxy_wasm_host::{HostResult, LogLevel, PropertyValue, Vm};

const BYTES: &str = metric::XCLUSTER_BYTES.prometheus;
const REQUESTS: &str = metric::XCLUSTER_REQUESTS.prometheus;
const UNKNOWN_SOURCE: &str = metric::UNKNOWN_SOURCE.prometheus;

fn bytes(vm: &Vm, direction: &str, cluster: &str, region: &str) -> u64 {
    vm.counter(
        BYTES,
        &[
            (label::DIRECTION, direction),
            (label::SOURCE_CLUSTER, cluster),
            (label::SOURCE_REGION, region),
            (label::DESTINATION_CLUSTER, "eu-west"),
            (label::DESTINATION_REGION, "eu-west-1"),
        ],
    )
}

fn requests(vm: &Vm, cluster: &str) -> u64 {
    vm.counter(
        REQUESTS,
        &[
            (label::SOURCE_CLUSTER, cluster),
            (label::DESTINATION_CLUSTER, "eu-west"),
        ],
    )
}

/// One inbound request from a trusted peer tagged `cluster`, answered 200, with
/// the given total sizes (Envoy's computation when `None`).
fn exchange(
    vm: &mut Vm,
    cluster: &str,
    request_size: Option<PropertyValue>,
    response_size: Option<PropertyValue>,
) -> HostResult<()> {
    let mut stream = from_peer(vm, TRUSTED_SAN);
    if let Some(size) = request_size {
        stream = stream.property(["request", "total_size"], size);
    }
    if let Some(size) = response_size {
        stream = stream.property(["response", "total_size"], size);
    }
    stream.request_headers(&get("shop", "/", &[(SOURCE_CLUSTER, cluster)]), false)?;
    stream.request_body(b"hello", true)?;
    stream.response_headers(&[(":status", "200")], false)?;
    stream.response_body(b"world!", true)?;
    stream.finish()
}

#[test]
fn counts_the_bytes_envoy_reports_for_a_cross_cluster_request() -> HostResult<()> {
    let mut vm = eu_west()?;
    exchange(
        &mut vm,
        "us-east",
        Some(1234_u64.into()),
        Some(56_789_u64.into()),
    )?;
    exchange(&mut vm, "us-east", Some(1_u64.into()), Some(1_u64.into()))?;
    assert_eq!(bytes(&vm, value::REQUEST, "us-east", "us-east-1"), 1235);
    assert_eq!(bytes(&vm, value::RESPONSE, "us-east", "us-east-1"), 56_790);
    assert_eq!(requests(&vm, "us-east"), 2);
    Ok(())
}

#[test]
fn total_sizes_default_to_envoys_headers_plus_body() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(&get("shop", "/", &[(SOURCE_CLUSTER, "us-east")]), false)?;
    stream.request_body(b"hello", true)?;
    stream.response_headers(&[(":status", "200")], false)?;
    stream.response_body(b"world!", true)?;
    // Envoy counts the header map as the filters left it: the tags and the route
    // the filter added are part of it.
    let header_bytes: usize = stream
        .request_header_map()
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    assert_eq!(stream.request_header(ROUTE_REGION), Some("us-east-1"));
    stream.finish()?;
    assert_eq!(
        bytes(&vm, value::REQUEST, "us-east", "us-east-1"),
        header_bytes as u64 + 5
    );
    assert_eq!(
        bytes(&vm, value::RESPONSE, "us-east", "us-east-1"),
        7 + 3 + 6
    );
    Ok(())
}

#[test]
fn a_total_size_in_another_encoding_counts_no_bytes() -> HostResult<()> {
    let mut vm = eu_west()?;
    let four_bytes = PropertyValue::raw(1234_u32.to_le_bytes());
    exchange(&mut vm, "us-east", Some(four_bytes), Some("5678".into()))?;
    assert_eq!(bytes(&vm, value::REQUEST, "us-east", "us-east-1"), 0);
    assert_eq!(bytes(&vm, value::RESPONSE, "us-east", "us-east-1"), 0);
    assert_eq!(requests(&vm, "us-east"), 1, "the request still counts");
    Ok(())
}

#[test]
fn a_stream_without_a_response_counts_no_zero_bytes_and_warns_nothing() -> HostResult<()> {
    // Envoy refuses an increment of 0 (BadArgument); the filter must not make one.
    let mut vm = eu_west()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(&get("shop", "/", &[(SOURCE_CLUSTER, "us-east")]), true)?;
    stream.finish()?;
    assert_eq!(lines_at(&vm, LogLevel::Warn), Vec::<String>::new());
    assert_eq!(bytes(&vm, value::RESPONSE, "us-east", "us-east-1"), 0);
    assert_eq!(requests(&vm, "us-east"), 1);
    Ok(())
}

#[test]
fn same_cluster_and_outbound_traffic_is_not_metered() -> HostResult<()> {
    let mut vm = eu_west()?;
    exchange(&mut vm, "eu-west", None, None)?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("shop", "/", &[]), true)?;
    stream.response_headers(&[(":status", "200")], true)?;
    stream.finish()?;
    assert!(
        vm.metrics()
            .iter()
            .filter(|m| m.name.contains("xcluster"))
            .all(|m| m.value == proxy_wasm_host::MetricValue::Counter(0)),
        "{:?}",
        vm.metrics()
    );
    Ok(())
}

#[test]
fn an_unknown_source_is_metered_as_unknown() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = inbound(&mut vm).property(["request", "total_size"], 10_u64);
    stream.request_headers(&get("shop", "/", &[(SOURCE_CLUSTER, "us-east")]), true)?;
    stream.response_headers(&[(":status", "200")], true)?;
    stream.finish()?;
    assert_eq!(
        bytes(&vm, value::REQUEST, value::UNKNOWN, value::UNKNOWN),
        10
    );
    assert_eq!(requests(&vm, value::UNKNOWN), 1);
    assert_eq!(vm.counter(UNKNOWN_SOURCE, &[]), 1);
    Ok(())
}

#[test]
fn clusters_beyond_max_clusters_are_counted_as_other() -> HostResult<()> {
    let config = SPEC_CONFIG.replace(
        r#""direction": "auto","#,
        r#""direction": "auto", "metrics": { "maxClusters": 4 },"#,
    );
    let mut vm = node(&config, "eu-west", "eu-west-1")?.start()?;
    for cluster in ["ap-south", "ap-east", "sa-east"] {
        exchange(&mut vm, cluster, Some(1_u64.into()), Some(1_u64.into()))?;
    }
    // eu-west, us-east and eu-central are configured; ap-south takes the fourth label.
    assert_eq!(requests(&vm, "ap-south"), 1);
    assert_eq!(requests(&vm, value::OTHER), 2);
    assert_eq!(
        vm.try_counter(
            REQUESTS,
            &[
                (label::SOURCE_CLUSTER, "ap-east"),
                (label::DESTINATION_CLUSTER, "eu-west")
            ]
        ),
        None
    );
    Ok(())
}

#[test]
fn regions_outside_the_configuration_are_other() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN).property(["request", "total_size"], 3_u64);
    stream.request_headers(
        &get(
            "shop",
            "/",
            &[(SOURCE_CLUSTER, "ap-south"), (SOURCE_REGION, "ap-south-1")],
        ),
        true,
    )?;
    stream.response_headers(&[(":status", "200")], true)?;
    stream.finish()?;
    assert_eq!(bytes(&vm, value::REQUEST, "ap-south", value::OTHER), 3);
    Ok(())
}

#[test]
fn configured_counters_exist_at_zero_before_any_request() -> HostResult<()> {
    let vm = eu_west()?;
    let decisions = [
        (label::RULE, "eu-user-data"),
        (label::DECISION, value::DENY),
    ];
    assert_eq!(
        vm.try_counter(metric::RESIDENCY_DECISIONS.prometheus, &decisions),
        Some(0)
    );
    assert_eq!(vm.try_counter(UNKNOWN_SOURCE, &[]), Some(0));
    assert_eq!(
        vm.try_counter(
            REQUESTS,
            &[
                (label::SOURCE_CLUSTER, "us-east"),
                (label::DESTINATION_CLUSTER, "eu-west")
            ]
        ),
        Some(0)
    );
    Ok(())
}

#[test]
fn a_counter_is_defined_once_per_vm_however_often_it_is_reconfigured() -> HostResult<()> {
    let mut vm = eu_west()?;
    exchange(&mut vm, "ap-south", Some(1_u64.into()), Some(1_u64.into()))?;
    let defined = vm.metric_definitions();
    let moved = SPEC_CONFIG.replace(r#""eu-user-data", "eu-user-data.*""#, r#""eu-data""#);
    assert_ne!(moved, SPEC_CONFIG);

    for config in [SPEC_CONFIG, &moved, SPEC_CONFIG] {
        vm.reconfigure(config.as_bytes().to_vec())?;
        exchange(&mut vm, "ap-south", Some(1_u64.into()), Some(1_u64.into()))?;
    }

    assert_eq!(vm.metric_definitions(), defined, "{:#?}", vm.metrics());
    assert_eq!(
        requests(&vm, "ap-south"),
        4,
        "counting went on across the updates"
    );
    Ok(())
}

#[test]
fn a_new_rule_name_defines_only_its_own_counters() -> HostResult<()> {
    let mut vm = eu_west()?;
    let defined = vm.metric_definitions();
    let renamed = SPEC_CONFIG.replace(
        r#"{ "name": "eu-user-data","#,
        r#"{ "name": "eu-user-records","#,
    );
    assert_ne!(renamed, SPEC_CONFIG);

    vm.reconfigure(renamed.as_bytes().to_vec())?;

    assert_eq!(
        vm.metric_definitions(),
        defined + 2,
        "a deny and an audit counter"
    );
    let kept = [
        (label::RULE, "eu-user-data"),
        (label::DECISION, value::DENY),
    ];
    assert_eq!(
        vm.try_counter(metric::RESIDENCY_DECISIONS.prometheus, &kept),
        Some(0),
        "the retired rule's counter stays, as Envoy keeps it"
    );
    Ok(())
}
