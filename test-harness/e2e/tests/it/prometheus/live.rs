//! The live run: a real Prometheus scraping every Envoy of the test mesh each
//! second and evaluating the shipped rules each second, while traffic crosses
//! every border the mesh has, in three phases:
//!
//! 1. traffic every rule allows (other regions, one region's two clusters, other
//!    zones, an unknown caller, TCP): the recorded series appear; no alert is
//!    pending or firing and no alert's expression has a value, while the denial
//!    and mismatch counters are there at zero, so a first denial is an increase;
//! 2. residency denials (HTTP and TCP), cluster tags that contradict a
//!    certificate, and a flood of unknown callers: `MeshborderResidencyDenials`
//!    fires for both rules and `MeshborderTagMismatch` for us-east; the spike alert
//!    is pending with its expression above one a second, since its `for: 10m` is
//!    longer than a test can wait (the promtool unit test sees it fire);
//! 3. traffic stopped: Prometheus holds every counter as Envoy shows it, every
//!    rule is healthy, every recording rule records its own expression, every cost
//!    is its bytes times its price, and every dashboard panel has data.

use std::thread;
use std::time::{Duration, Instant};

use meshborder_e2e::poll;
use meshborder_e2e::prometheus_server::{ActiveAlert, PrometheusApi, PrometheusBinaries, rules};
use meshborder_filter::contract::metric;

use super::alerts;
use super::costs::{self, CROSS_REGION, CROSS_ZONE, CostChain, PairCost};
use super::dashboard;
use super::live_rig::LiveRun;
use super::recorded;
use super::scraped;

/// Rounds of allowed traffic in the first phase, and their spacing: a few
/// seconds, so that every pair's counters grow across several scrapes.
const ROUNDS: usize = 8;
const ROUND_SPACING: Duration = Duration::from_millis(250);
/// Rounds of denied traffic in the second phase.
const DENIED_ROUNDS: usize = 4;
/// Unknown callers in the flood: over 300, so that the five-minute rate is above
/// one a second.
const FLOOD: usize = 500;

/// The recorded series this mesh cannot produce: a cross-zone TCP pair needs a
/// second cluster in eu-west's region, and the TCP plugin's `clusters` table, which
/// is where a certificate-bound caller's region comes from, has none. The promtool
/// unit test covers it.
const NOT_IN_THIS_MESH: [(&str, &str); 1] =
    [("meshborder:xcluster_tcp_transfer_bytes:rate5m", CROSS_ZONE)];

const HTTP: CostChain = CostChain {
    bytes: "meshborder:xcluster_bytes:rate5m",
    classified: Some("meshborder:xcluster_transfer_bytes:rate5m"),
    cost: "meshborder:xcluster_transfer_usd_per_hour:rate5m",
};
const TCP: CostChain = CostChain {
    bytes: "meshborder:xcluster_tcp_bytes:rate5m",
    classified: Some("meshborder:xcluster_tcp_transfer_bytes:rate5m"),
    cost: "meshborder:xcluster_tcp_transfer_usd_per_hour:rate5m",
};
const ZONES: CostChain = CostChain {
    bytes: "meshborder:xzone_bytes:rate5m",
    classified: None,
    cost: "meshborder:xzone_transfer_usd_per_hour:rate5m",
};

#[test]
fn a_real_prometheus_scraping_the_mesh_records_prices_and_alerts_as_the_rules_say() {
    let started = Instant::now();
    let run = LiveRun::start("prometheus-live");
    let api = run.api();
    let shipped = rules::all_rules().unwrap();

    for _ in 0..ROUNDS {
        run.allowed_round();
        thread::sleep(ROUND_SPACING);
    }
    wait_for_costs(&api);
    alerts::assert_nothing_alerts(&api, &shipped);

    for _ in 0..DENIED_ROUNDS {
        run.denied_round();
        run.allowed_round();
        thread::sleep(ROUND_SPACING);
    }
    run.unknown_flood(FLOOD);
    let alerts = alerts::wait_for_alerts(&api);

    let proxies = run.proxies();
    let counters = scraped::assert_scraped_as_envoy_shows(&api, &proxies);
    let settled = recorded::now();
    recorded::assert_every_rule_is_healthy(&api, &shipped);
    let series =
        recorded::assert_each_rule_records_its_expression(&api, &shipped, &NOT_IN_THIS_MESH);
    let time = recorded::evaluation_after(&api, settled);
    let prices = costs::prices_at(&api, time);
    assert_eq!(prices[CROSS_ZONE], 0.02, "cross-zone, a cent a GB each way");
    assert_eq!(prices[CROSS_REGION], 0.09, "cross-region");
    let eu_west = &run.mesh.eu_west.envoy;
    let eu_west_tcp = &run.tcp.eu_west.envoy;
    let http = costs::assert_cost_chain(
        &api,
        time,
        HTTP,
        &scraped::counted_bytes(eu_west, metric::XCLUSTER_BYTES),
        &prices,
    );
    let tcp = costs::assert_cost_chain(
        &api,
        time,
        TCP,
        &scraped::counted_bytes(eu_west_tcp, metric::XCLUSTER_TCP_BYTES),
        &prices,
    );
    let zones = costs::assert_cost_chain(
        &api,
        time,
        ZONES,
        &scraped::counted_bytes(eu_west, metric::XZONE_BYTES),
        &prices,
    );
    let moving = |figures: &[PairCost], transfer: &str| {
        figures
            .iter()
            .any(|pair| pair.transfer == transfer && pair.counted_bytes > 0)
    };
    assert!(
        moving(&http, CROSS_ZONE) && moving(&http, CROSS_REGION),
        "HTTP priced both ways: {http:#?}"
    );
    assert!(
        moving(&tcp, CROSS_REGION),
        "TCP priced cross-region: {tcp:#?}"
    );
    assert!(moving(&zones, CROSS_ZONE), "zones priced: {zones:#?}");
    let panels = dashboard::assert_every_panel_shows_the_traffic(&api);

    let binaries = PrometheusBinaries::find().unwrap();
    meshborder_e2e::show!(
        "{}: {counters} counters scraped as Envoy shows them, {series} recorded series equal to their \
         expressions, {panels} panel queries with data, alerts {} in {:.1}s",
        binaries.prometheus_version().unwrap(),
        ActiveAlert::summary(&alerts),
        started.elapsed().as_secs_f64()
    );
    for pair in http.iter().chain(&tcp).chain(&zones) {
        meshborder_e2e::show!(
            "{:?}: {} bytes counted, {:.3} B/s, {:e} USD/h, {} USD/GB ({})",
            pair.pair,
            pair.counted_bytes,
            pair.bytes_per_second,
            pair.usd_per_hour,
            pair.usd_per_gb,
            pair.transfer
        );
    }
}

/// Waits until the three costs are recorded and moving.
fn wait_for_costs(api: &PrometheusApi) {
    for chain in [HTTP, TCP, ZONES] {
        poll::until(&format!("`{}` to be recorded", chain.cost), || {
            let costs = api.query(chain.cost)?;
            Ok(costs.iter().any(|series| series.value > 0.0).then_some(()))
        })
        .unwrap();
    }
}
