//! Shared by the zone, certificate-bound and spoofing tests: what eu-west counted
//! and logged about its callers, read one way everywhere. Its unknown-source and
//! tag-mismatch counters, its cross-zone counters checked against the bytes of its
//! own access log (as `metering` checks the cross-cluster ones), and the filter's
//! `tag_mismatch` log lines.

#![cfg(test)]

use meshborder_e2e::access_log::{self, AccessEntry};
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::filter_log::{self, FilterLine};
use meshborder_e2e::prometheus::{self, Sample};
use meshborder_e2e::topology::EU_WEST_ZONE;
use meshborder_e2e::{Result, poll};
use meshborder_filter::contract::{label, log_line, metric, value};

/// `meshborder_unknown_source_total` on `envoy`.
pub fn unknown_sources(envoy: &Envoy) -> u64 {
    let text = envoy.prometheus().unwrap();
    prometheus::value(&text, metric::UNKNOWN_SOURCE.prometheus, &[]).unwrap()
}

/// `meshborder_tag_mismatch_total{source_cluster=cluster}` on `envoy`; `None`
/// when the counter does not exist.
pub fn tag_mismatches(envoy: &Envoy, cluster: &str) -> Option<u64> {
    let text = envoy.prometheus().unwrap();
    prometheus::value(
        &text,
        metric::TAG_MISMATCH.prometheus,
        &[(label::SOURCE_CLUSTER, cluster)],
    )
}

/// Every `meshborder_tag_mismatch_total` sample on `envoy`.
pub fn all_tag_mismatches(envoy: &Envoy) -> Vec<Sample> {
    prometheus::samples(
        &envoy.prometheus().unwrap(),
        metric::TAG_MISMATCH.prometheus,
    )
}

/// The filter's `tag_mismatch` lines in `envoy`'s log, as written so far.
pub fn mismatch_lines(envoy: &Envoy) -> Vec<FilterLine> {
    let lines = filter_log::json_lines(&envoy.log());
    filter_log::with_field(&lines, log_line::EVENT, log_line::TAG_MISMATCH)
        .cloned()
        .collect()
}

/// The `tag_mismatch` lines once there are `count` of them.
pub fn mismatch_lines_once(envoy: &Envoy, count: usize) -> Vec<FilterLine> {
    poll::until(&format!("{count} tag_mismatch line(s)"), || {
        let lines = mismatch_lines(envoy);
        Ok((lines.len() >= count).then_some(lines))
    })
    .unwrap()
}

/// Every sample of both cross-zone counters on `envoy`.
pub fn xzone_samples(envoy: &Envoy) -> Vec<Sample> {
    let text = envoy.prometheus().unwrap();
    [metric::XZONE_BYTES, metric::XZONE_REQUESTS]
        .into_iter()
        .flat_map(|metric| prometheus::samples(&text, metric.prometheus))
        .collect()
}

/// Asserts that nothing was counted across zones: no cross-zone sample, or only
/// zeros.
pub fn assert_nothing_metered_by_zone(envoy: &Envoy) {
    for sample in xzone_samples(envoy) {
        assert_eq!(sample.value, 0, "counted across zones: {sample:?}");
    }
}

/// `envoy`'s access log lines whose `field` is `value`, once there are `count`.
pub fn entries_where(envoy: &Envoy, field: &str, value: &str, count: usize) -> Vec<AccessEntry> {
    poll::until(
        &format!("{count} access log line(s) with {field}={value}"),
        || {
            let entries: Vec<AccessEntry> = access_log::entries(&envoy.access_log())
                .into_iter()
                .filter(|entry| entry.get(field) == Some(value))
                .collect();
            Ok((entries.len() >= count).then_some(entries))
        },
    )
    .unwrap()
}

/// What eu-west counted for `source_zone`, once its request counter shows
/// `requests`: (requests, request bytes, response bytes).
pub fn metered_by_zone(envoy: &Envoy, source_zone: &str, requests: u64) -> Result<(u64, u64, u64)> {
    let zones = [
        (label::SOURCE_ZONE, source_zone),
        (label::DESTINATION_ZONE, EU_WEST_ZONE),
    ];
    let bytes = |direction| {
        [
            (label::DIRECTION, direction),
            (label::SOURCE_ZONE, source_zone),
            (label::DESTINATION_ZONE, EU_WEST_ZONE),
        ]
    };
    let text = poll::until(&format!("{requests} request(s) from {source_zone}"), || {
        let text = envoy.prometheus()?;
        let counted = prometheus::value(&text, metric::XZONE_REQUESTS.prometheus, &zones);
        Ok((counted == Some(requests)).then_some(text))
    })?;
    let read = |labels: &[(&str, &str)]| {
        prometheus::value(&text, metric::XZONE_BYTES.prometheus, labels).unwrap_or_default()
    };
    Ok((
        requests,
        read(&bytes(value::REQUEST)),
        read(&bytes(value::RESPONSE)),
    ))
}

/// Asserts that eu-west counted exactly `entries` (its access log lines of those
/// requests) under `source_zone`: as many requests, and bytes each way equal to
/// the sum the access log reports. Returns the request and response bytes.
pub fn assert_metered_by_zone(
    envoy: &Envoy,
    source_zone: &str,
    entries: &[AccessEntry],
) -> (u64, u64) {
    let sum = |bytes: fn(&AccessEntry) -> Option<u64>| -> u64 {
        entries.iter().map(bytes).sum::<Option<u64>>().unwrap()
    };
    let (request_bytes, response_bytes) = (
        sum(AccessEntry::request_bytes),
        sum(AccessEntry::response_bytes),
    );
    let count = u64::try_from(entries.len()).unwrap();
    let counted = metered_by_zone(envoy, source_zone, count).unwrap();
    assert!(request_bytes > 0 && response_bytes > 0, "{entries:?}");
    assert_eq!(
        counted,
        (count, request_bytes, response_bytes),
        "(requests, request bytes, response bytes) from {source_zone}; access log: {entries:?}"
    );
    println!(
        "{source_zone} -> {EU_WEST_ZONE}: {count} request(s), {request_bytes} request bytes, \
         {response_bytes} response bytes, in the counters and the access log alike"
    );
    (request_bytes, response_bytes)
}
