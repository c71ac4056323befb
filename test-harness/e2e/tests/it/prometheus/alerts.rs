//! The alerts of the live run, as Prometheus's API shows them: none pending or
//! firing, and no alert's expression with a value, before any denial, while the
//! counters they watch are scraped at zero (so that the first denial is an
//! increase); then, after denials, contradicting tags and a flood of unknown
//! callers, each alert in the state its rule allows within seconds.

use std::thread;
use std::time::Duration;

use meshborder_e2e::poll;
use meshborder_e2e::prometheus_server::{ActiveAlert, PrometheusApi, rules};
use meshborder_e2e::tcp::DATABASE_RULE;
use meshborder_e2e::topology::US_EAST;
use meshborder_filter::contract::{label, metric, value};

const DENIALS: &str = "MeshborderResidencyDenials";
const MISMATCH: &str = "MeshborderTagMismatch";
const SPIKE: &str = "MeshborderUnknownSourceSpike";

/// Before any denial: no alert is pending or firing, no alert's expression has a
/// value, and the counters the alerts watch are there at zero.
pub fn assert_nothing_alerts(api: &PrometheusApi, shipped: &[rules::Rule]) {
    // One more evaluation of the alerts, after the costs that show the traffic.
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        api.alerts().unwrap(),
        Vec::<ActiveAlert>::new(),
        "alerts without denials"
    );
    for rule in shipped.iter().filter(|rule| rule.alert.is_some()) {
        let value = api.query(&rule.expr).unwrap();
        assert!(
            value.is_empty(),
            "`{}` without denials: {value:?}",
            rule.name()
        );
    }
    let watched = [
        format!(
            "{}{{{}={:?}}}",
            metric::RESIDENCY_DECISIONS.prometheus,
            label::DECISION,
            value::DENY
        ),
        format!(
            "{}{{{}={:?}}}",
            metric::TAG_MISMATCH.prometheus,
            label::SOURCE_CLUSTER,
            US_EAST.cluster
        ),
    ];
    for query in watched {
        let counters = api.query(&query).unwrap();
        assert!(
            !counters.is_empty() && counters.iter().all(|series| series.value == 0.0),
            "`{query}` is scraped at zero before any denial, so that the first one is an increase: {counters:?}"
        );
    }
}

/// After denials: waits until both rules' denials and us-east's mismatches fire
/// and the spike is pending above one a second; returns the alerts then.
pub fn wait_for_alerts(api: &PrometheusApi) -> Vec<ActiveAlert> {
    let expected = [
        (DENIALS, label::RULE, "eu-user-data", "firing"),
        (DENIALS, label::RULE, DATABASE_RULE, "firing"),
        (MISMATCH, label::SOURCE_CLUSTER, US_EAST.cluster, "firing"),
    ];
    let settled = poll::until(
        "the alerts of the denials, mismatches and unknown callers",
        || {
            let alerts = api.alerts()?;
            let has = |(name, key, value, state): (&str, &str, &str, &str)| {
                alerts.iter().any(|alert| {
                    alert.name() == name
                        && alert.labels.get(key).map(String::as_str) == Some(value)
                        && alert.state == state
                })
            };
            let spike = alerts.iter().any(|alert| {
                alert.name() == SPIKE
                    && alert.state == "pending"
                    && alert.value.parse::<f64>().is_ok_and(|v| v > 1.0)
            });
            Ok((expected.into_iter().all(has) && spike).then_some(alerts))
        },
    );
    settled.unwrap_or_else(|e| panic!("{e}: {:#?}", api.alerts().unwrap()))
}
