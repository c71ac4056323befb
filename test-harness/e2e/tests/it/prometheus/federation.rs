//! The global layer, live: a Prometheus per cluster of the test mesh (eu-west and
//! us-east), each scraping its own Envoys and evaluating each cluster's rules with
//! the shipped external labels, and a global Prometheus federating both with the
//! shipped job every second and evaluating the fleet's rules, while traffic
//! crosses the border both ways (us-east → eu-west, eu-west → us-east). Then:
//!
//! 1. every fleet figure (bytes and cost per cluster pair) is the sum over clusters
//!    of the per-cluster figures, and that sum has one term: the pair's receiving
//!    cluster. The global rule evaluated at `T` read the last samples federated by
//!    then, up to a couple of seconds older than `T`, and a rate drifts between
//!    samples; so each fleet value is looked up, exactly, among the samples the
//!    receiving cluster's own Prometheus recorded in the seconds before `T`; the
//!    other cluster's Prometheus has none for the pair (double counting would
//!    need it, or a fleet value twice a cluster's); the totals are shown;
//! 2. a residency denial in eu-west fires `MeshborderFleetResidencyDenials` for
//!    eu-west and its rule, and nothing alerted before it; every panel of the
//!    fleet dashboard has data;
//! 3. with us-east's Prometheus stopped, `MeshborderClusterNotReporting` is
//!    pending for us-east alone, its expression true for us-east alone (its
//!    federation target is down): its `for: 5m` is longer than a test waits, and
//!    the promtool unit tests (`global/tests/`) see it fire.
use std::thread;
use std::time::{Duration, Instant};

use meshborder_e2e::poll;
use meshborder_e2e::prometheus_server::federation::CLUSTER_LABEL;
use meshborder_e2e::prometheus_server::rules::{self, RuleLayer};
use meshborder_e2e::prometheus_server::{ActiveAlert, PrometheusApi};
use meshborder_e2e::topology::{EU_WEST_CLUSTER, US_EAST};
use meshborder_filter::contract::{label, metric};

use super::dashboard;
use super::federation_rig::FederationRun;
use super::federation_sums::{self, CHAINS, values_at};
use super::recorded::{Labels, now};
use super::scraped;

/// Rounds of traffic, and their spacing: counters that grow across scrapes.
const ROUNDS: usize = 8;
const ROUND_SPACING: Duration = Duration::from_millis(250);
const DENIALS: &str = "MeshborderFleetResidencyDenials";
const NOT_REPORTING: &str = "MeshborderClusterNotReporting";

#[test]
fn a_global_prometheus_federating_two_clusters_sums_them_once_and_alerts_on_denials_and_silence() {
    let started = Instant::now();
    let mut run = FederationRun::start("prometheus-federation");
    let global = run.fleet.global_api();
    for _ in 0..ROUNDS {
        run.round();
        thread::sleep(ROUND_SPACING);
    }
    for destination in [EU_WEST_CLUSTER, US_EAST.cluster] {
        poll::until(&format!("fleet bytes into `{destination}`"), || {
            let expr = format!(
                "{}{{{}=\"{destination}\"}} > 0",
                CHAINS[0].fleet,
                label::DESTINATION_CLUSTER
            );
            Ok((!global.query(&expr)?.is_empty()).then_some(()))
        })
        .unwrap();
    }
    let into_us_east = scraped::counted_bytes(&run.us_east_inbound.envoy, metric::XCLUSTER_BYTES);
    meshborder_e2e::show!("us-east's inbound sidecar counted {into_us_east:?}");
    assert!(
        into_us_east.iter().any(|(pair, bytes)| {
            pair.get(label::SOURCE_CLUSTER).map(String::as_str) == Some(EU_WEST_CLUSTER)
                && pair.get(label::DESTINATION_CLUSTER).map(String::as_str) == Some(US_EAST.cluster)
                && *bytes > 0
        }),
        "us-east's inbound sidecar counts eu-west's requests as us-east's: {into_us_east:?}"
    );
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        global.alerts().unwrap(),
        Vec::<ActiveAlert>::new(),
        "alerts before a denial"
    );
    let zero = global
        .query("meshborder:residency_denials:increase5m{rule=\"eu-user-data\"}")
        .unwrap();
    assert!(
        zero.iter().any(
            |series| series.label(CLUSTER_LABEL) == Some(EU_WEST_CLUSTER) && series.value == 0.0
        ),
        "eu-west's denials federated at zero before any, so the first is an increase: {zero:?}"
    );

    run.denial();
    let denial = wait_for_alert(&global, DENIALS, "firing");
    assert_eq!(
        denial.labels.get(CLUSTER_LABEL).map(String::as_str),
        Some(EU_WEST_CLUSTER)
    );
    assert_eq!(
        denial.labels.get(label::RULE).map(String::as_str),
        Some("eu-user-data")
    );

    let time = fleet_evaluation_time(&global);
    let mut compared = 0;
    let mut bytes = None;
    for chain in &CHAINS {
        let matched =
            federation_sums::assert_fleet_is_the_receiving_clusters_sum(&run, chain, time);
        compared += matched.values;
        bytes.get_or_insert(matched);
    }
    if let Some(bytes) = &bytes {
        federation_sums::show_fleet_total(&run, time, bytes);
    }
    let border = values_at(
        &global,
        "meshborder_fleet:region_pair_transfer_bytes:rate5m",
        time,
    );
    let pairs = values_at(&global, CHAINS[0].fleet, time);
    for (labels, bytes) in &pairs {
        let region_pair: Labels = labels
            .iter()
            .filter(|(name, _)| {
                ["transfer", label::SOURCE_REGION, label::DESTINATION_REGION]
                    .contains(&name.as_str())
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        assert_eq!(
            border.get(&region_pair),
            Some(bytes),
            "the border {region_pair:?} carries its one cluster pair's bytes"
        );
    }

    let panels = dashboard::assert_every_panel_has_data(&global, dashboard::FLEET_DASHBOARD);

    run.fleet.stop_cluster(US_EAST.cluster).unwrap();
    let silent = wait_for_alert(&global, NOT_REPORTING, "pending");
    assert_eq!(
        silent.labels.get(CLUSTER_LABEL).map(String::as_str),
        Some(US_EAST.cluster)
    );
    let rules = rules::layer_rules(RuleLayer::Fleet).unwrap();
    let expr = &rules
        .iter()
        .find(|rule| rule.name() == NOT_REPORTING)
        .unwrap()
        .expr;
    let not_reporting = global.query(expr).unwrap();
    let clusters: Vec<Option<&str>> = not_reporting
        .iter()
        .map(|series| series.label(CLUSTER_LABEL))
        .collect();
    assert_eq!(
        clusters,
        [Some(US_EAST.cluster)],
        "`{NOT_REPORTING}`'s expression: {not_reporting:?}"
    );
    let alerts = global.alerts().unwrap();
    assert!(
        !alerts.iter().any(|alert| alert.name() == NOT_REPORTING
            && alert.labels.get(CLUSTER_LABEL).map(String::as_str) == Some(EU_WEST_CLUSTER)),
        "eu-west still reports: {alerts:?}"
    );
    meshborder_e2e::show!(
        "federation: {compared} fleet values found among the receiving cluster's samples; \
         {panels} fleet dashboard panels with data; alerts {}; in {:.1}s",
        ActiveAlert::summary(&alerts),
        started.elapsed().as_secs_f64()
    );
}

/// The time of the fleet rules' latest evaluation that has surely finished.
fn fleet_evaluation_time(global: &PrometheusApi) -> f64 {
    let expr = format!("max(timestamp({}))", CHAINS[0].fleet);
    global.query_at(&expr, now() - 1.5).unwrap()[0].value
}

/// Waits for the alert `name` in `state`.
fn wait_for_alert(api: &PrometheusApi, name: &str, state: &str) -> ActiveAlert {
    poll::until(&format!("`{name}` to be {state}"), || {
        let alerts = api.alerts()?;
        Ok(alerts
            .into_iter()
            .find(|alert| alert.name() == name && alert.state == state))
    })
    .unwrap()
}
