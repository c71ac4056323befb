//! Certificate-bound identity on the real filter: a peer whose `trustedPeers` entry
//! names its cluster, or captures it from the SAN, is that cluster whatever its tag
//! says; the tag the app sees is rewritten, the contradiction counted, and logged at
//! most once a second however many requests carry it.

use std::time::Duration;

use super::fixtures::{SOURCE_CLUSTER, SOURCE_REGION, eu_west, from_peer, get, lines_at};
use meshborder_e2e::host::Counters;
use meshborder_filter::contract::{label, log_line, metric};
use proxy_wasm_host::{HostResult, LogLevel, Vm};

const MISMATCH: &str = metric::TAG_MISMATCH.prometheus;
const UNKNOWN_SOURCE: &str = metric::UNKNOWN_SOURCE.prometheus;
/// The SPEC example binds this trust domain to us-east.
const US_EAST_SAN: &str = "spiffe://us-east.mesh.example/ns/shop/sa/frontend";

/// One inbound request from `san` with `tags`; the cluster and region tags the app saw.
fn send(
    vm: &mut Vm,
    san: &str,
    tags: &[(&str, &str)],
) -> HostResult<(Option<String>, Option<String>)> {
    let mut stream = from_peer(vm, san);
    stream.request_headers(&get("shop", "/", tags), true)?;
    let seen = (
        stream.request_header(SOURCE_CLUSTER).map(str::to_owned),
        stream.request_header(SOURCE_REGION).map(str::to_owned),
    );
    stream.response_headers(&[(":status", "200")], true)?;
    stream.finish()?;
    Ok(seen)
}

fn mismatch_lines(vm: &Vm) -> Vec<String> {
    let event = format!(r#""{}":"{}""#, log_line::EVENT, log_line::TAG_MISMATCH);
    lines_at(vm, LogLevel::Warn)
        .into_iter()
        .filter(|line| line.contains(&event))
        .collect()
}

#[test]
fn a_contradicting_tag_is_overruled_by_the_certificate_and_counted() -> HostResult<()> {
    let mut vm = eu_west()?;
    let tags = [
        (SOURCE_CLUSTER, "eu-central"),
        (SOURCE_REGION, "eu-central-1"),
    ];
    let seen = send(&mut vm, US_EAST_SAN, &tags)?;
    assert_eq!(
        seen,
        (Some("us-east".to_owned()), Some("us-east-1".to_owned()))
    );
    assert_eq!(
        vm.counter(MISMATCH, &[(label::SOURCE_CLUSTER, "us-east")]),
        1
    );
    assert_eq!(
        mismatch_lines(&vm),
        [
            r#"{"event":"tag_mismatch","sourceCluster":"us-east","claimedCluster":"eu-central","peer":"spiffe://us-east.mesh.example/ns/shop/sa/frontend","cluster":"eu-west","suppressed":0}"#
        ]
    );
    Ok(())
}

#[test]
fn a_flood_of_mismatches_is_counted_in_full_and_logged_once_a_second() -> HostResult<()> {
    let mut vm = eu_west()?;
    let tags = [(SOURCE_CLUSTER, "eu-central")];
    for _ in 0..50 {
        send(&mut vm, US_EAST_SAN, &tags)?;
    }
    vm.advance_clock(Duration::from_millis(1_000))?;
    for _ in 0..10 {
        send(&mut vm, US_EAST_SAN, &tags)?;
    }
    assert_eq!(
        vm.counter(MISMATCH, &[(label::SOURCE_CLUSTER, "us-east")]),
        60
    );
    let lines = mismatch_lines(&vm);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines
            .get(1)
            .is_some_and(|line| line.contains(r#""suppressed":49"#)),
        "{lines:#?}"
    );
    Ok(())
}

#[test]
fn mismatch_counters_exist_at_zero_for_every_bindable_cluster() -> HostResult<()> {
    let vm = eu_west()?;
    for cluster in ["us-east", "eu-west", "eu-central"] {
        assert_eq!(
            vm.try_counter(MISMATCH, &[(label::SOURCE_CLUSTER, cluster)]),
            Some(0),
            "{cluster}"
        );
    }
    Ok(())
}

#[test]
fn a_captured_cluster_missing_from_clusters_is_an_unknown_source() -> HostResult<()> {
    let mut vm = eu_west()?;
    let san = "spiffe://ap-south.mesh.example/ns/shop/sa/frontend";
    let seen = send(&mut vm, san, &[(SOURCE_CLUSTER, "us-east")])?;
    assert_eq!(seen, (None, None));
    assert_eq!(vm.counter(UNKNOWN_SOURCE, &[]), 1);
    Ok(())
}

#[test]
fn a_captured_cluster_is_the_source() -> HostResult<()> {
    let mut vm = eu_west()?;
    let san = "spiffe://eu-central.mesh.example/ns/shop/sa/frontend";
    let seen = send(&mut vm, san, &[])?;
    assert_eq!(
        seen,
        (
            Some("eu-central".to_owned()),
            Some("eu-central-1".to_owned())
        )
    );
    assert!(
        mismatch_lines(&vm).is_empty(),
        "no tag, nothing contradicted"
    );
    Ok(())
}
