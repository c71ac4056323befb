//! The soak's books: what the access logs say happened to every request of the
//! run, and what eu-west's counters say, so the two can be compared exactly.
//!
//! us-east's access log has one line per request oha sent; eu-west's has one per
//! request that crossed, with the source the filter believed. Each line is served
//! (200, a path the rule does not cover), denied (403, a user's path) or anything
//! else, which the soak allows none of.

use crate::access_log::{self, AccessEntry};
use crate::envoy::Envoy;
use crate::error::Result;
use crate::prometheus;
use crate::topology::{EU_WEST_CLUSTER, EU_WEST_REGION, US_EAST};
use meshborder_filter::contract::{label, metric, value as label_value};

use super::load::is_denied_path;

/// How many unexpected lines a tally keeps, to show.
const KEPT: usize = 5;

/// The requests of one access log, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Every line.
    pub total: u64,
    /// 200 for a path the rule does not cover.
    pub served: u64,
    /// 403 for a user's path.
    pub denied: u64,
    /// Anything else.
    pub unexpected: u64,
    /// The first few unexpected lines' method, path, status and flags.
    pub first_unexpected: Vec<String>,
    /// Request bytes (`request_headers_bytes + request_body_bytes`) of every line.
    pub request_bytes: u64,
    /// Response bytes (`response_headers_bytes + response_body_bytes`).
    pub response_bytes: u64,
}

impl Tally {
    /// Tallies `entries`.
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a AccessEntry>) -> Self {
        let mut tally = Self::default();
        for entry in entries {
            tally.add(entry);
        }
        tally
    }

    fn add(&mut self, entry: &AccessEntry) {
        self.total += 1;
        let path = entry.get("path").unwrap_or_default();
        let status = entry.number("status");
        let clean = entry.get("flags") == Some("-");
        match (is_denied_path(path), status) {
            (Some(false), Some(200)) if clean => self.served += 1,
            (Some(true), Some(403)) if clean => self.denied += 1,
            _ => {
                self.unexpected += 1;
                if self.first_unexpected.len() < KEPT {
                    self.first_unexpected.push(format!(
                        "{} {path} status={} flags={}",
                        entry.get("method").unwrap_or_default(),
                        entry.get("status").unwrap_or_default(),
                        entry.get("flags").unwrap_or_default(),
                    ));
                }
            }
        }
        let (request, response) = (entry.request_bytes(), entry.response_bytes());
        if request.is_none() || response.is_none() {
            self.unexpected += 1;
        }
        self.request_bytes += request.unwrap_or(0);
        self.response_bytes += response.unwrap_or(0);
    }
}

/// eu-west's counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// `meshborder_xcluster_requests_total` from us-east.
    pub requests: u64,
    /// `meshborder_xcluster_bytes_total` from us-east, request direction.
    pub request_bytes: u64,
    /// The same, response direction.
    pub response_bytes: u64,
    /// `meshborder_residency_decisions_total` of `eu-user-data`, `deny`.
    pub denials: u64,
    /// `meshborder_unknown_source_total`.
    pub unknown_sources: u64,
}

impl Counters {
    /// Reads them from eu-west's `/stats/prometheus` (a counter not defined yet is 0).
    pub fn read(eu_west: &Envoy) -> Result<Self> {
        let text = eu_west.prometheus()?;
        let value = |name: &str, labels: &[(&str, &str)]| {
            prometheus::value(&text, name, labels).unwrap_or(0)
        };
        let from_us_east = [
            (label::SOURCE_CLUSTER, US_EAST.cluster),
            (label::DESTINATION_CLUSTER, EU_WEST_CLUSTER),
        ];
        let bytes = |direction: &str| {
            value(
                metric::XCLUSTER_BYTES.prometheus,
                &[
                    (label::DIRECTION, direction),
                    (label::SOURCE_CLUSTER, US_EAST.cluster),
                    (label::SOURCE_REGION, US_EAST.region),
                    (label::DESTINATION_CLUSTER, EU_WEST_CLUSTER),
                    (label::DESTINATION_REGION, EU_WEST_REGION),
                ],
            )
        };
        Ok(Self {
            requests: value(metric::XCLUSTER_REQUESTS.prometheus, &from_us_east),
            request_bytes: bytes(label_value::REQUEST),
            response_bytes: bytes(label_value::RESPONSE),
            denials: value(
                metric::RESIDENCY_DECISIONS.prometheus,
                &[
                    (label::RULE, "eu-user-data"),
                    (label::DECISION, label_value::DENY),
                ],
            ),
            unknown_sources: value(metric::UNKNOWN_SOURCE.prometheus, &[]),
        })
    }

    /// What rose from `before` to `self`; a counter that fell is `None`.
    pub fn since(&self, before: &Self) -> Option<Self> {
        Some(Self {
            requests: self.requests.checked_sub(before.requests)?,
            request_bytes: self.request_bytes.checked_sub(before.request_bytes)?,
            response_bytes: self.response_bytes.checked_sub(before.response_bytes)?,
            denials: self.denials.checked_sub(before.denials)?,
            unknown_sources: self.unknown_sources.checked_sub(before.unknown_sources)?,
        })
    }
}

/// How many access log lines `envoy` has written so far.
pub fn logged_lines(envoy: &Envoy) -> usize {
    envoy
        .access_log()
        .lines()
        .filter(|line| line.starts_with("access "))
        .count()
}

/// The access log lines of `envoy` after the first `skip`.
pub fn entries_after(envoy: &Envoy, skip: usize) -> Vec<AccessEntry> {
    access_log::entries(&envoy.access_log())
        .into_iter()
        .skip(skip)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_served_denied_and_anything_else() {
        let log = "\
access method=GET path=/catalog status=200 flags=- request_headers_bytes=100 request_body_bytes=0 response_headers_bytes=50 response_body_bytes=300\n\
access method=GET path=/users/1 status=403 flags=- request_headers_bytes=101 request_body_bytes=0 response_headers_bytes=60 response_body_bytes=140\n\
access method=GET path=/users/1 status=200 flags=- request_headers_bytes=101 request_body_bytes=0 response_headers_bytes=50 response_body_bytes=300\n\
access method=GET path=/catalog status=503 flags=UF request_headers_bytes=100 request_body_bytes=0 response_headers_bytes=50 response_body_bytes=19\n";
        let entries = access_log::entries(log);
        let tally = Tally::of(&entries);
        assert_eq!(
            (tally.total, tally.served, tally.denied, tally.unexpected),
            (4, 1, 1, 2)
        );
        assert_eq!(tally.request_bytes, 402);
        assert_eq!(
            tally.response_bytes,
            50 + 300 + 60 + 140 + 50 + 300 + 50 + 19
        );
        assert_eq!(
            tally.first_unexpected,
            [
                "GET /users/1 status=200 flags=-",
                "GET /catalog status=503 flags=UF"
            ]
        );
    }

    #[test]
    fn a_counter_that_fell_is_no_difference() {
        let before = Counters {
            requests: 5,
            ..Counters::default()
        };
        let after = Counters {
            requests: 7,
            denials: 2,
            ..Counters::default()
        };
        assert_eq!(after.since(&before).map(|d| d.requests), Some(2));
        assert_eq!(before.since(&after), None);
    }
}
