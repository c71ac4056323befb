//! The dashboards' panels against a live run's Prometheus: every target's query,
//! with Grafana's macros given values fit for a run of seconds scraped every
//! second, returns data, and some of it is not zero: every panel shows the traffic
//! the run sent. The fleet dashboard, against the global Prometheus, likewise
//! per panel.

use meshborder_e2e::paths;
use meshborder_e2e::prometheus_server::PrometheusApi;
use serde_json::Value;

/// Grafana's macros, and what they stand for here: `$__rate_interval` is at least
/// four scrape intervals; the time range is the last hour (`$__range_s` before
/// `$__range`, which it starts with).
const MACROS: [(&str, &str); 6] = [
    ("$__rate_interval", "1m"),
    ("${__rate_interval}", "1m"),
    ("$__interval", "15s"),
    ("$__range_s", "3600"),
    ("$__range", "1h"),
    ("${__range}", "1h"),
];

/// The dashboard of each cluster.
pub const CLUSTER_DASHBOARD: &str = "istio/monitoring/grafana-dashboard.json";
/// The global layer's dashboard.
pub const FLEET_DASHBOARD: &str = "istio/monitoring/global/grafana-dashboard.json";

/// Every panel's title and the queries of its targets, macros substituted.
pub fn panel_queries() -> Vec<(String, String)> {
    panel_queries_of(CLUSTER_DASHBOARD)
}

/// The same for the dashboard at `dashboard` (relative to the workspace).
pub fn panel_queries_of(dashboard: &str) -> Vec<(String, String)> {
    let path = paths::workspace_root().join(dashboard);
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = panel["title"].as_str().unwrap().to_owned();
        for target in panel["targets"].as_array().unwrap() {
            let mut expr = target["expr"].as_str().unwrap().to_owned();
            for (grafana, value) in MACROS {
                expr = expr.replace(grafana, value);
            }
            assert!(
                !expr.contains('$'),
                "panel `{title}` uses a variable this test gives no value: `{expr}`"
            );
            queries.push((title.clone(), expr));
        }
    }
    queries
}

/// Every panel of `dashboard` has a query that returns a series that is not zero
/// (a panel may also show traffic the run does not send: the fleet's TCP costs).
/// Returns how many panels were checked.
pub fn assert_every_panel_has_data(api: &PrometheusApi, dashboard: &str) -> usize {
    let mut panels: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (title, expr) in panel_queries_of(dashboard) {
        panels.entry(title).or_default().push(expr);
    }
    for (title, exprs) in &panels {
        let results: Vec<_> = exprs.iter().map(|expr| api.query(expr).unwrap()).collect();
        assert!(
            results.iter().flatten().any(|series| series.value > 0.0),
            "panel `{title}`: `{exprs:?}` returned {results:?}"
        );
    }
    panels.len()
}

/// Every panel query returns at least one series, and one that is not zero.
/// Returns how many queries ran.
pub fn assert_every_panel_shows_the_traffic(api: &PrometheusApi) -> usize {
    let queries = panel_queries();
    for (title, expr) in &queries {
        let result = api.query(expr).unwrap();
        assert!(
            result.iter().any(|series| series.value > 0.0),
            "panel `{title}`: `{expr}` returned {result:?}"
        );
    }
    queries.len()
}
