//! Metric names and bounded label values.

use super::fixtures::{TRUSTED_SAN, eu_west, get, inbound, mtls};
use crate::policy::identity::{Source, SourceKind};
use crate::policy::metering::{SourceLabeler, stat_name};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn trusted(cluster: &'static str, region: Option<&'static str>) -> Source<'static> {
    Source {
        kind: SourceKind::Trusted,
        cluster: Some(cluster),
        region,
    }
}

#[test]
fn stat_names_use_embedded_tags() {
    assert_eq!(
        stat_name(
            "meshborder.x_total",
            &[("direction", "request"), ("source_cluster", "a")]
        ),
        "meshborder.x_total_direction=.=request;.;source_cluster=.=a;.;"
    );
    assert_eq!(
        stat_name("meshborder.unknown_source_total", &[]),
        "meshborder.unknown_source_total"
    );
}

#[test]
fn at_most_max_clusters_get_their_own_label() {
    let mut labeler = SourceLabeler::new(3, ["a", "b"], ["r1"]);
    assert_eq!(labeler.labels(&trusted("a", Some("r1"))).cluster, "a");
    assert_eq!(labeler.labels(&trusted("c", Some("r1"))).cluster, "c");
    assert_eq!(labeler.labels(&trusted("d", Some("r1"))).cluster, "other");
    assert_eq!(labeler.labels(&trusted("c", Some("r1"))).cluster, "c");
}

#[test]
fn configured_clusters_keep_their_label_beyond_the_bound() {
    let mut labeler = SourceLabeler::new(0, ["a"], ["r1"]);
    assert_eq!(labeler.labels(&trusted("a", None)).cluster, "a");
    assert_eq!(labeler.labels(&trusted("z", None)).cluster, "other");
}

#[test]
fn regions_outside_the_config_are_other_and_missing_ones_unknown() {
    let mut labeler = SourceLabeler::new(8, ["a"], ["r1"]);
    let labels = labeler.labels(&trusted("a", Some("mars-1")));
    assert_eq!(labels.region, "other");
    assert_eq!(labeler.labels(&trusted("a", None)).region, "unknown");
    assert_eq!(labeler.labels(&Source::UNKNOWN).cluster, "unknown");
}

#[test]
fn same_cluster_traffic_is_not_metered() {
    let policy = eu_west();
    let headers = get("svc", "/", &[("x-meshborder-source-cluster", "eu-west")]);
    assert!(!inbound(&policy, mtls(TRUSTED_SAN), &headers).metered);
    let headers = get("svc", "/", &[("x-meshborder-source-cluster", "us-east")]);
    assert!(inbound(&policy, mtls(TRUSTED_SAN), &headers).metered);
}
