//! Metric names and bounded label values: the stat names the glue defines, and the
//! label sets a source is counted under.

use super::fixtures::{SPEC_CONFIG, TRUSTED_SAN, eu_west, get, inbound, mtls, xds_node};
use crate::contract::header::SOURCE_CLUSTER;
use crate::contract::parse_stat_name;
use crate::contract::value::{OTHER, UNKNOWN};
use crate::policy::Policy;
use crate::policy::identity::{Source, SourceKind};
use crate::policy::metering::{BorderStats, DecisionStats, SourceLabeler};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn trusted(cluster: &'static str, region: Option<&'static str>) -> Source<'static> {
    Source {
        kind: SourceKind::Trusted,
        cluster: Some(cluster),
        region,
        zone: None,
    }
}

#[test]
fn at_most_max_clusters_get_their_own_label() {
    let mut labeler = SourceLabeler::new(3, ["a", "b"], ["r1"]);
    assert_eq!(labeler.labels(&trusted("a", Some("r1"))).cluster, "a");
    assert_eq!(labeler.labels(&trusted("c", Some("r1"))).cluster, "c");
    assert_eq!(labeler.labels(&trusted("d", Some("r1"))).cluster, OTHER);
    assert_eq!(labeler.labels(&trusted("c", Some("r1"))).cluster, "c");
}

#[test]
fn configured_clusters_keep_their_label_beyond_the_bound() {
    let mut labeler = SourceLabeler::new(0, ["a"], ["r1"]);
    assert_eq!(labeler.labels(&trusted("a", None)).cluster, "a");
    assert_eq!(labeler.labels(&trusted("z", None)).cluster, OTHER);
}

#[test]
fn regions_outside_the_config_are_other_and_missing_ones_unknown() {
    let mut labeler = SourceLabeler::new(8, ["a"], ["r1"]);
    let labels = labeler.labels(&trusted("a", Some("mars-1")));
    assert_eq!(labels.region, OTHER);
    assert_eq!(labeler.labels(&trusted("a", None)).region, UNKNOWN);
    assert_eq!(labeler.labels(&Source::UNKNOWN).cluster, UNKNOWN);
}

#[test]
fn same_cluster_traffic_is_not_metered() {
    let policy = eu_west();
    let headers = get("svc", "/", &[(SOURCE_CLUSTER, "eu-west")]);
    assert!(!inbound(&policy, mtls(TRUSTED_SAN), &headers).metered);
    let headers = get("svc", "/", &[(SOURCE_CLUSTER, "us-east")]);
    assert!(inbound(&policy, mtls(TRUSTED_SAN), &headers).metered);
}

#[test]
fn each_rule_gets_a_deny_and_an_audit_counter() {
    let stats: Vec<DecisionStats> = eu_west().decision_stats().collect();
    assert_eq!(
        stats,
        [DecisionStats {
            deny: "meshborder.residency_decisions_total_rule=.=eu-user-data;.;decision=.=deny;.;"
                .to_owned(),
            audit: "meshborder.residency_decisions_total_rule=.=eu-user-data;.;decision=.=audit;.;"
                .to_owned(),
        }]
    );
}

#[test]
fn the_configured_clusters_other_than_the_local_one_are_metered_up_front() {
    let meter = eu_west().meter();
    assert_eq!(meter.label_sets(), 2, "eu-central and us-east");
    assert_eq!(
        meter.xcluster_stats(1),
        Some(BorderStats {
            request_bytes: "meshborder.xcluster_bytes_total_direction=.=request;.;\
                            source_cluster=.=us-east;.;source_region=.=us-east-1;.;\
                            destination_cluster=.=eu-west;.;destination_region=.=eu-west-1;.;"
                .to_owned(),
            response_bytes: "meshborder.xcluster_bytes_total_direction=.=response;.;\
                             source_cluster=.=us-east;.;source_region=.=us-east-1;.;\
                             destination_cluster=.=eu-west;.;destination_region=.=eu-west-1;.;"
                .to_owned(),
            requests: "meshborder.xcluster_requests_total_source_cluster=.=us-east;.;\
                       destination_cluster=.=eu-west;.;"
                .to_owned(),
        })
    );
    assert_eq!(meter.xcluster_stats(2), None);
}

#[test]
fn a_source_keeps_its_label_set_and_a_new_one_gets_the_next_number() {
    let mut meter = eu_west().meter();
    assert_eq!(meter.label_set(&trusted("us-east", Some("us-east-1"))), 1);
    assert_eq!(meter.label_set(&Source::UNKNOWN), 2);
    assert_eq!(meter.label_set(&Source::UNKNOWN), 2);
    let stats = meter.xcluster_stats(2).unwrap();
    let parsed = parse_stat_name(&stats.requests).unwrap();
    assert_eq!(
        parsed.labels,
        [
            ("source_cluster", UNKNOWN),
            ("destination_cluster", "eu-west")
        ]
    );
}

#[test]
fn an_unknown_local_region_is_labelled_unknown() {
    let json = SPEC_CONFIG.replace(r#""eu-west": { "region": "eu-west-1" },"#, "");
    let policy = Policy::from_json(json.as_bytes(), &xds_node("eu-west", "")).unwrap();
    let meter = policy.meter();
    let stats = meter.xcluster_stats(0).unwrap();
    let parsed = parse_stat_name(&stats.request_bytes).unwrap();
    assert_eq!(parsed.labels.last(), Some(&("destination_region", UNKNOWN)));
}
