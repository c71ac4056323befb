//! The live run's rules as Prometheus runs them: every rule loaded and healthy,
//! and each recording rule's series equal to its own expression evaluated at the
//! time the rule was, value for value; and when the rules were last evaluated, so
//! that the other checks read one evaluation.

use std::collections::BTreeMap;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use meshborder_e2e::poll;
use meshborder_e2e::prometheus_server::rules::Rule;
use meshborder_e2e::prometheus_server::{PrometheusApi, Series};

/// The price table, the first series of the cost group.
pub const PRICES: &str = "meshborder:transfer_price_usd_per_gb";
/// How many rule evaluations a comparison may take to see no scrape in flight.
const ATTEMPTS: usize = 5;

/// Labels without the series name: a series of a result, as a map key.
pub type Labels = BTreeMap<String, String>;

/// Seconds since the epoch.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The time of the cost group's latest evaluation that has surely finished (one
/// that began at least 1.5 s ago; an evaluation takes milliseconds).
pub fn evaluation_time(api: &PrometheusApi) -> f64 {
    let latest = api
        .query_at(&format!("max(timestamp({PRICES}))"), now() - 1.5)
        .unwrap();
    latest
        .first()
        .map(|series| series.value)
        .unwrap_or_else(|| panic!("no {PRICES} recorded yet"))
}

/// The time of the latest surely finished evaluation of the group that records
/// `record` (groups are evaluated at offsets of their own), or of the cost group
/// while `record` has no series.
fn evaluation_time_of(api: &PrometheusApi, record: &str) -> f64 {
    let latest = api
        .query_at(&format!("max(timestamp({record}))"), now() - 1.5)
        .unwrap();
    latest
        .first()
        .map_or_else(|| evaluation_time(api), |series| series.value)
}

/// The time of the first finished evaluation of the cost group after `since`
/// (seconds since the epoch): one that saw every sample scraped before then.
pub fn evaluation_after(api: &PrometheusApi, since: f64) -> f64 {
    poll::until("an evaluation of the rules after the last scrape", || {
        let time = evaluation_time(api);
        Ok((time > since).then_some(time))
    })
    .unwrap()
}

/// `series` by their labels, the series name left out.
pub fn by_labels(series: Vec<Series>) -> BTreeMap<Labels, f64> {
    series
        .into_iter()
        .map(|mut series| {
            series.labels.remove("__name__");
            (series.labels, series.value)
        })
        .collect()
}

/// The series of `record` that `rule` wrote at `time`, and its expression evaluated
/// at `time` with the rule's labels.
fn recorded_and_expected(
    api: &PrometheusApi,
    rule: &Rule,
    record: &str,
    time: f64,
) -> (BTreeMap<Labels, f64>, BTreeMap<Labels, f64>) {
    let matchers: Vec<String> = rule
        .labels
        .iter()
        .map(|(name, value)| format!("{name}={value:?}"))
        .chain([format!("__name__={record:?}")])
        .collect();
    let recorded = by_labels(
        api.query_at(&format!("{{{}}}", matchers.join(",")), time)
            .unwrap(),
    );
    let expected = api
        .query_at(&rule.expr, time)
        .unwrap()
        .into_iter()
        .map(|mut series| {
            series.labels.remove("__name__");
            series.labels.extend(rule.labels.clone());
            (series.labels, series.value)
        })
        .collect();
    (recorded, expected)
}

/// Every recording rule's series are its expression's, value for value, at one of
/// the next few evaluations (a scrape that lands while a rule evaluates is seen by
/// a later query and not by the rule), and there are some, but for the rules in
/// `none_expected` (record and one of its labels' values). Returns how many series
/// were compared.
pub fn assert_each_rule_records_its_expression(
    api: &PrometheusApi,
    rules: &[Rule],
    none_expected: &[(&str, &str)],
) -> usize {
    let mut compared = 0;
    for rule in rules {
        let Some(record) = rule.record.as_deref() else {
            continue;
        };
        let may_be_empty = none_expected.iter().any(|(name, value)| {
            *name == record && rule.labels.values().any(|label| label == value)
        });
        let mut attempts = Vec::new();
        let agreed = (0..ATTEMPTS).find_map(|attempt| {
            if attempt > 0 {
                thread::sleep(Duration::from_secs(1));
            }
            let time = evaluation_time_of(api, record);
            let (recorded, expected) = recorded_and_expected(api, rule, record, time);
            if (may_be_empty || !recorded.is_empty()) && recorded == expected {
                return Some(recorded.len());
            }
            attempts.push(format!(
                "at {time:.3}: recorded {recorded:?}, expression {expected:?}"
            ));
            None
        });
        compared += agreed.unwrap_or_else(|| {
            panic!(
                "`{record}` {:?} is not its expression `{}`:\n{}",
                rule.labels,
                rule.expr,
                attempts.join("\n")
            )
        });
    }
    compared
}

/// Every rule of the rule file is loaded, evaluated and healthy.
pub fn assert_every_rule_is_healthy(api: &PrometheusApi, shipped: &[Rule]) {
    let loaded = api.rules().unwrap();
    // Prometheus lists groups by name, not in the file's order.
    let mut names: Vec<&str> = loaded.iter().map(|rule| rule.name.as_str()).collect();
    let mut expected: Vec<&str> = shipped.iter().map(Rule::name).collect();
    names.sort_unstable();
    expected.sort_unstable();
    assert_eq!(names, expected, "the rules Prometheus loaded");
    for rule in &loaded {
        assert!(
            rule.health == "ok" && rule.last_error.is_empty(),
            "{rule:?}"
        );
    }
}
