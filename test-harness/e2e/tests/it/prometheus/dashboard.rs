//! The dashboard's panels against the live run's Prometheus: every target's query,
//! with Grafana's macros given values fit for a run of seconds scraped every
//! second, returns data, and some of it is not zero: every panel shows the traffic
//! the run sent.

use meshborder_e2e::paths;
use meshborder_e2e::prometheus_server::PrometheusApi;
use serde_json::Value;

/// Grafana's macros, and what they stand for here: `$__rate_interval` is at least
/// four scrape intervals; the time range is the last hour.
const MACROS: [(&str, &str); 5] = [
    ("$__rate_interval", "1m"),
    ("${__rate_interval}", "1m"),
    ("$__interval", "15s"),
    ("$__range", "1h"),
    ("${__range}", "1h"),
];

/// Every panel's title and the queries of its targets, macros substituted.
pub fn panel_queries() -> Vec<(String, String)> {
    let path = paths::workspace_root().join("istio/monitoring/grafana-dashboard.json");
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
