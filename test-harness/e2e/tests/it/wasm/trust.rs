//! Tagging and trust on the real filter: outbound replaces any incoming tag with
//! the local identity; inbound believes a tag only from an mTLS peer whose URI SAN
//! matches `trustedPeers`, and strips it otherwise, so a forged tag never reaches
//! an application.

use super::fixtures::{
    SOURCE_CLUSTER, SOURCE_REGION, SPEC_CONFIG, TRUSTED_SAN, eu_west, from_peer, get, inbound,
    node, outbound, us_east,
};
use meshborder_e2e::host::Counters;
use meshborder_filter::contract::metric;
use proxy_wasm_host::{HostResult, PropertyValue, Vm};

const UNKNOWN_SOURCE: &str = metric::UNKNOWN_SOURCE.prometheus;

/// The tags an inbound request reaches the app with, and whether the source was
/// counted as unknown.
struct Seen {
    cluster: Option<String>,
    region: Option<String>,
    unknown: bool,
}

fn seen(
    vm: &mut Vm,
    stream_of: impl FnOnce(&mut Vm) -> proxy_wasm_host::HttpStream<'_>,
    tags: &[(&str, &str)],
) -> HostResult<Seen> {
    let before = vm.counter(UNKNOWN_SOURCE, &[]);
    let mut stream = stream_of(vm);
    stream.request_headers(&get("shop", "/", tags), true)?;
    let cluster = stream.request_header(SOURCE_CLUSTER).map(str::to_owned);
    let region = stream.request_header(SOURCE_REGION).map(str::to_owned);
    stream.finish()?;
    Ok(Seen {
        cluster,
        region,
        unknown: vm.counter(UNKNOWN_SOURCE, &[]) == before + 1,
    })
}

const FORGED: [(&str, &str); 2] = [(SOURCE_CLUSTER, "us-east"), (SOURCE_REGION, "us-east-1")];

#[test]
fn outbound_replaces_forged_tags_with_the_local_identity() -> HostResult<()> {
    let mut vm = eu_west()?;
    let tags = seen(&mut vm, outbound, &FORGED)?;
    assert_eq!(tags.cluster.as_deref(), Some("eu-west"));
    assert_eq!(tags.region.as_deref(), Some("eu-west-1"));
    assert!(!tags.unknown, "outbound requests have a known source");
    Ok(())
}

#[test]
fn a_trusted_peer_is_believed_and_its_region_comes_from_the_table() -> HostResult<()> {
    let mut vm = eu_west()?;
    let tags = seen(
        &mut vm,
        |vm| from_peer(vm, TRUSTED_SAN),
        &[(SOURCE_CLUSTER, "us-east"), (SOURCE_REGION, "eu-central-1")],
    )?;
    assert_eq!(tags.cluster.as_deref(), Some("us-east"));
    assert_eq!(
        tags.region.as_deref(),
        Some("us-east-1"),
        "the table wins over the header"
    );
    assert!(!tags.unknown);
    Ok(())
}

#[test]
fn the_region_header_counts_when_the_table_lacks_the_cluster() -> HostResult<()> {
    let mut vm = eu_west()?;
    let tags = seen(
        &mut vm,
        |vm| from_peer(vm, TRUSTED_SAN),
        &[(SOURCE_CLUSTER, "ap-south"), (SOURCE_REGION, "ap-south-1")],
    )?;
    assert_eq!(tags.cluster.as_deref(), Some("ap-south"));
    assert_eq!(tags.region.as_deref(), Some("ap-south-1"));
    Ok(())
}

#[test]
fn plaintext_tags_are_removed_and_the_source_is_unknown() -> HostResult<()> {
    let mut vm = eu_west()?;
    let tags = seen(&mut vm, inbound, &FORGED)?;
    assert_eq!((tags.cluster, tags.region), (None, None));
    assert!(tags.unknown);
    Ok(())
}

#[test]
fn an_mtls_peer_outside_trusted_peers_is_unknown() -> HostResult<()> {
    let mut vm = eu_west()?;
    let tags = seen(
        &mut vm,
        |vm| from_peer(vm, "spiffe://evil.example/ns/a/sa/b"),
        &FORGED,
    )?;
    assert_eq!((tags.cluster, tags.region), (None, None));
    assert!(tags.unknown);
    Ok(())
}

#[test]
fn a_star_matches_exactly_one_path_segment() -> HostResult<()> {
    let mut vm = eu_west()?;
    let san = "spiffe://cluster.local/ns/shop/extra/sa/frontend";
    let tags = seen(&mut vm, |vm| from_peer(vm, san), &FORGED)?;
    assert!(tags.unknown, "{san} must not match ns/*/sa/*");
    Ok(())
}

#[test]
fn a_san_without_mtls_is_not_trusted() -> HostResult<()> {
    let mut vm = eu_west()?;
    let tags = seen(
        &mut vm,
        |vm| inbound(vm).property(["connection", "uri_san_peer_certificate"], TRUSTED_SAN),
        &FORGED,
    )?;
    assert!(tags.unknown);
    Ok(())
}

#[test]
fn mtls_must_be_envoys_one_byte_true() -> HostResult<()> {
    let mut vm = eu_west()?;
    for mtls in [
        PropertyValue::from(false),
        PropertyValue::raw(1_u64.to_le_bytes()),
        PropertyValue::from("true"),
    ] {
        let tags = seen(
            &mut vm,
            |vm| {
                inbound(vm)
                    .property(["connection", "mtls"], mtls.clone())
                    .property(["connection", "uri_san_peer_certificate"], TRUSTED_SAN)
            },
            &FORGED,
        )?;
        assert!(tags.unknown, "mtls = {mtls:?}");
    }
    Ok(())
}

#[test]
fn a_repeated_or_malformed_cluster_tag_is_not_believed() -> HostResult<()> {
    let mut vm = eu_west()?;
    let twice = [(SOURCE_CLUSTER, "us-east"), (SOURCE_CLUSTER, "eu-central")];
    assert!(seen(&mut vm, |vm| from_peer(vm, TRUSTED_SAN), &twice)?.unknown);
    let bad = [(SOURCE_CLUSTER, "us east;.;x")];
    assert!(seen(&mut vm, |vm| from_peer(vm, TRUSTED_SAN), &bad)?.unknown);
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(
        &[
            (":authority", &b"shop"[..]),
            (":path", b"/"),
            (SOURCE_CLUSTER, &[0xff, 0xfe]),
        ],
        true,
    )?;
    assert_eq!(
        stream.request_header(SOURCE_CLUSTER),
        None,
        "not UTF-8: stripped"
    );
    Ok(())
}

#[test]
fn a_trusted_peer_without_a_tag_is_unknown() -> HostResult<()> {
    let mut vm = eu_west()?;
    assert!(seen(&mut vm, |vm| from_peer(vm, TRUSTED_SAN), &[])?.unknown);
    Ok(())
}

#[test]
fn by_default_nobody_is_trusted() -> HostResult<()> {
    let mut config: serde_json::Value = serde_json::from_str(SPEC_CONFIG).unwrap_or_default();
    let removed = config
        .as_object_mut()
        .and_then(|object| object.remove("trustedPeers"));
    assert!(removed.is_some(), "{config}");
    let config = config.to_string();
    let mut vm = node(&config, "eu-west", "eu-west-1")?.start()?;
    let tags = seen(&mut vm, |vm| from_peer(vm, TRUSTED_SAN), &FORGED)?;
    assert_eq!((tags.cluster, tags.region), (None, None));
    assert!(tags.unknown);
    Ok(())
}

#[test]
fn the_local_cluster_is_a_source_like_any_other() -> HostResult<()> {
    let mut vm = us_east()?;
    let tags = seen(
        &mut vm,
        |vm| from_peer(vm, TRUSTED_SAN),
        &[(SOURCE_CLUSTER, "us-east")],
    )?;
    assert_eq!(tags.cluster.as_deref(), Some("us-east"));
    assert_eq!(tags.region.as_deref(), Some("us-east-1"));
    Ok(())
}
