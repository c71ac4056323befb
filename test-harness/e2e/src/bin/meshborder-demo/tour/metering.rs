//! Step 6: eu-west's cross-cluster byte counters, next to what its own access log
//! says about the same requests.

use std::fs;

use meshborder_e2e::access_log::{self, AccessEntry};
use meshborder_e2e::{HarnessError, poll, prometheus};
use meshborder_filter::contract::{label, metric, value};

use super::{Outcome, Target};
use crate::curl;

const BYTES: &str = metric::XCLUSTER_BYTES.prometheus;
const REQUESTS: &str = metric::XCLUSTER_REQUESTS.prometheus;
const US_EAST_TO_EU_WEST: [(&str, &str); 2] = [
    (label::SOURCE_CLUSTER, "us-east"),
    (label::DESTINATION_CLUSTER, "eu-west"),
];

/// The counters, then the check: for the requests from us-east, the counters
/// equal the access log's header and body bytes, each way.
pub fn bytes(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let url = format!("http://{}/stats/prometheus", target.eu_west_admin);
    // Envoy counts and logs a request as its stream ends: wait until the counter
    // and the access log agree on how many requests came from us-east.
    let (text, entries) = poll::until("eu-west's counters and access log to settle", || {
        let text = curl::run_quietly(&["-sS", &url]).map_err(|reason| HarnessError::Http {
            context: url.clone(),
            reason,
        })?;
        let counted = prometheus::value(&text, REQUESTS, &US_EAST_TO_EU_WEST);
        let log = fs::read_to_string(&target.eu_west_access_log).unwrap_or_default();
        let entries: Vec<AccessEntry> = access_log::entries(&log)
            .into_iter()
            .filter(|entry| entry.get("source_cluster") == Some("us-east"))
            .collect();
        let settled = counted.is_some() && counted == u64::try_from(entries.len()).ok();
        Ok(settled.then_some((text, entries)))
    })
    .map_err(|e| e.to_string())?;
    println!("$ curl -sS {url} | grep '^meshborder_xcluster'");
    for line in text
        .lines()
        .filter(|line| line.starts_with("meshborder_xcluster"))
    {
        println!("  {line}");
    }
    println!(
        "  eu-west's access log has {} requests from us-east; summing its header and body bytes:",
        entries.len()
    );
    for (direction, bytes) in [
        (value::REQUEST, sum(&entries, AccessEntry::request_bytes)),
        (value::RESPONSE, sum(&entries, AccessEntry::response_bytes)),
    ] {
        let labels = [
            (label::DIRECTION, direction),
            (label::SOURCE_CLUSTER, "us-east"),
            (label::SOURCE_REGION, "us-east-1"),
            (label::DESTINATION_CLUSTER, "eu-west"),
            (label::DESTINATION_REGION, "eu-west-1"),
        ];
        let metered = prometheus::value(&text, BYTES, &labels).map(|n| n.to_string());
        outcome.saw(
            &format!("{direction} bytes: access log {bytes}, meshborder"),
            metered.as_deref(),
            &bytes.to_string(),
        );
    }
    Ok(())
}

fn sum(entries: &[AccessEntry], bytes: fn(&AccessEntry) -> Option<u64>) -> u64 {
    entries.iter().filter_map(bytes).sum()
}
