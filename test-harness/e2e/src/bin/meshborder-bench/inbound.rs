//! The check of the inbound case before anything is measured, so that the case
//! measures the work it says: through each config's front Envoy, the inbound
//! metered request reaches the measured Envoy's inbound listener over mTLS and is
//! answered 200 by `direct_response`, not routed; a build of meshborder believed
//! the caller's cluster tag (the front's certificate is a trusted peer) and
//! metered the request in `on_log` (`meshborder_xcluster_requests_total` of the
//! caller's cluster one up, both byte counters moved); the floor took it for
//! metered too (its request counter one up).

use std::thread;
use std::time::{Duration, Instant};

use meshborder_e2e::workload::{CLUSTER, Workload};
use meshborder_e2e::{HarnessError, Result, prometheus};
use meshborder_filter::contract::{header, label, metric, value};

use crate::cases::Case;
use crate::configs::{Artifacts, Config, Running};
use crate::front::Front;
use crate::rounds;

/// The floor's counter of metered requests, as `bench/floor-filter` defines it
/// (`floor.requests`) and `/stats/prometheus` shows it.
const FLOOR_REQUESTS: &str = "floor_requests";
/// How long the counters may take to move: `on_log` runs after the reply is out.
const COUNTED_WITHIN: Duration = Duration::from_secs(5);

/// What meshborder counted for requests from one source cluster to the local one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Metered {
    requests: u64,
    request_bytes: u64,
    response_bytes: u64,
}

impl Metered {
    /// The counts from `source` to the workload's cluster in a `/stats/prometheus`
    /// text.
    fn read(text: &str, source: &str) -> Self {
        let ours = |sample: &prometheus::Sample| {
            sample.label(label::SOURCE_CLUSTER) == Some(source)
                && sample.label(label::DESTINATION_CLUSTER) == Some(CLUSTER)
        };
        let bytes = |direction: &str| {
            prometheus::samples(text, metric::XCLUSTER_BYTES.prometheus)
                .iter()
                .filter(|sample| ours(sample) && sample.label(label::DIRECTION) == Some(direction))
                .map(|sample| sample.value)
                .sum()
        };
        Self {
            requests: prometheus::samples(text, metric::XCLUSTER_REQUESTS.prometheus)
                .iter()
                .filter(|sample| ours(sample))
                .map(|sample| sample.value)
                .sum(),
            request_bytes: bytes(value::REQUEST),
            response_bytes: bytes(value::RESPONSE),
        }
    }

    /// Whether `self`, read after one request, shows it counted over `before`:
    /// one request more, and bytes each way.
    fn counted_one_over(self, before: Self) -> bool {
        self.requests == before.requests + 1
            && self.request_bytes > before.request_bytes
            && self.response_bytes > before.response_bytes
    }
}

/// The floor's metered requests in a `/stats/prometheus` text.
fn floor_requests(text: &str) -> u64 {
    prometheus::samples(text, FLOOR_REQUESTS)
        .iter()
        .map(|sample| sample.value)
        .sum()
}

/// The caller's cluster: the tag the inbound metered request carries.
pub fn caller(workload: &Workload) -> Result<String> {
    Case::InboundMetered
        .request(workload)
        .headers
        .into_iter()
        .find(|(name, _)| name == header::SOURCE_CLUSTER)
        .map(|(_, cluster)| cluster)
        .ok_or_else(|| HarnessError::Http {
            context: "the inbound metered request".to_owned(),
            reason: format!("carries no `{}` tag", header::SOURCE_CLUSTER),
        })
}

/// Checks the inbound case of `running` through `front`; for a build of
/// meshborder, returns what it metered, for the progress output.
pub fn check(
    running: &Running,
    front: &Front,
    workload: &Workload,
    artifacts: &Artifacts,
) -> Result<Option<String>> {
    let name = running.config.name(artifacts);
    let context = format!("{name} {}", Case::InboundMetered.name());
    let source = caller(workload)?;
    let before = running.envoy.prometheus()?;
    let response = rounds::send_one(front.listener, &Case::InboundMetered.request(workload))?;
    if response.status != 200 || response.text() != "ok\n" {
        return Err(HarnessError::Http {
            context,
            reason: format!(
                "answered {} `{}` through the front Envoy, expected 200 `ok` from the \
                 inbound listener's direct_response (front log: {})",
                response.status,
                response.text().trim(),
                front.envoy.log_path().display()
            ),
        });
    }
    if running.config.meters() {
        let before = Metered::read(&before, &source);
        let after = poll(running, |text| {
            let after = Metered::read(text, &source);
            after.counted_one_over(before).then_some(after)
        });
        return match after? {
            Some(after) => Ok(Some(format!(
                "the inbound request from `{source}` believed and metered ({} request, \
                 {} request bytes, {} response bytes)",
                after.requests - before.requests,
                after.request_bytes - before.request_bytes,
                after.response_bytes - before.response_bytes
            ))),
            None => Err(running.envoy.error(&format!(
                "{context}: `{}` and `{}` from source_cluster `{source}` did not move as \
                 one metered request (before: {before:?}, after: {:?}); the peer's \
                 certificate is not trusted, or the request was not metered",
                metric::XCLUSTER_REQUESTS.prometheus,
                metric::XCLUSTER_BYTES.prometheus,
                Metered::read(&running.envoy.prometheus()?, &source)
            ))),
        };
    }
    if running.config == Config::Floor {
        let before = floor_requests(&before);
        let after = poll(running, |text| {
            (floor_requests(text) == before + 1).then_some(())
        })?;
        if after.is_none() {
            return Err(running.envoy.error(&format!(
                "{context}: the floor's `{FLOOR_REQUESTS}` did not go one up (from {before}): \
                 it did not see an mTLS peer and a cluster tag of another cluster"
            )));
        }
    }
    Ok(None)
}

/// Reads `running`'s `/stats/prometheus` until `done` says yes, for at most
/// [`COUNTED_WITHIN`]; `None` when it never did.
fn poll<T>(running: &Running, done: impl Fn(&str) -> Option<T>) -> Result<Option<T>> {
    let deadline = Instant::now() + COUNTED_WITHIN;
    loop {
        if let Some(found) = done(&running.envoy.prometheus()?) {
            return Ok(Some(found));
        }
        if Instant::now() > deadline {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(requests: u64, request_bytes: u64, response_bytes: u64) -> String {
        let bytes = |direction: &str, value: u64| {
            format!(
                "{}{{{}=\"{direction}\",{}=\"eu-west\",{}=\"eu-west-1\",{}=\"{CLUSTER}\",{}=\"us-east-1\"}} {value}\n",
                metric::XCLUSTER_BYTES.prometheus,
                label::DIRECTION,
                label::SOURCE_CLUSTER,
                label::SOURCE_REGION,
                label::DESTINATION_CLUSTER,
                label::DESTINATION_REGION,
            )
        };
        format!(
            "{}{}{}{{{}=\"eu-west\",{}=\"{CLUSTER}\"}} {requests}\n\
             {}{{{}=\"unknown\",{}=\"{CLUSTER}\"}} 7\n{FLOOR_REQUESTS}{{}} 3\n",
            bytes(value::REQUEST, request_bytes),
            bytes(value::RESPONSE, response_bytes),
            metric::XCLUSTER_REQUESTS.prometheus,
            label::SOURCE_CLUSTER,
            label::DESTINATION_CLUSTER,
            metric::XCLUSTER_REQUESTS.prometheus,
            label::SOURCE_CLUSTER,
            label::DESTINATION_CLUSTER,
        )
    }

    #[test]
    fn reads_what_meshborder_metered_from_one_source_cluster_only() {
        let metered = Metered::read(&stats(2, 300, 120), "eu-west");
        assert_eq!(
            metered,
            Metered {
                requests: 2,
                request_bytes: 300,
                response_bytes: 120,
            }
        );
        assert_eq!(
            Metered::read(&stats(2, 300, 120), "ap-south"),
            Metered::default()
        );
        assert_eq!(floor_requests(&stats(0, 0, 0)), 3);
    }

    #[test]
    fn one_metered_request_is_one_request_more_and_bytes_both_ways() {
        let before = Metered::read(&stats(2, 300, 120), "eu-west");
        let read = |requests, request_bytes, response_bytes| {
            Metered::read(&stats(requests, request_bytes, response_bytes), "eu-west")
        };
        assert!(read(3, 450, 180).counted_one_over(before));
        assert!(!read(2, 450, 180).counted_one_over(before));
        assert!(!read(4, 450, 180).counted_one_over(before));
        assert!(!read(3, 300, 180).counted_one_over(before));
        assert!(!read(3, 450, 120).counted_one_over(before));
    }

    #[test]
    fn the_caller_is_a_cluster_other_than_the_workloads() {
        let source = caller(&Workload::BENCH).unwrap();
        assert_ne!(source, CLUSTER);
    }
}
