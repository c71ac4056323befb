//! Steps 7 and 8: the zone border inside one cluster, metered apart from the
//! cluster border; and a caller whose certificate says which cluster it is in,
//! whatever its tag claims.

use std::fs;

use meshborder_filter::contract::{header, label, log_line, metric};

use super::{Outcome, Target, app_reply, app_saw, counter, request};

const CLUSTER_TAG: &str = header::SOURCE_CLUSTER;
const ZONE_TAG: &str = header::SOURCE_ZONE;
const ZONE_REQUESTS: &str = metric::XZONE_REQUESTS.prometheus;
const CLUSTER_REQUESTS: &str = metric::XCLUSTER_REQUESTS.prometheus;
const MISMATCH: &str = metric::TAG_MISMATCH.prometheus;

/// A caller of eu-west in zone eu-west-1b calls eu-west's sidecar in eu-west-1a: one
/// more cross-zone request, and no cross-cluster one.
pub fn cross_zone(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let zones = [
        (label::SOURCE_ZONE, "eu-west-1b"),
        (label::DESTINATION_ZONE, "eu-west-1a"),
    ];
    let same_cluster = [
        (label::SOURCE_CLUSTER, "eu-west"),
        (label::DESTINATION_CLUSTER, "eu-west"),
    ];
    let read = |name, labels: &[(&str, &str)]| {
        counter(&target.eu_west_admin, name, labels).map(Option::unwrap_or_default)
    };
    let (zone_before, cluster_before) = (
        read(ZONE_REQUESTS, &zones)?,
        read(CLUSTER_REQUESTS, &same_cluster)?,
    );
    println!("  A trusted eu-west workload in zone eu-west-1b, over mTLS:");
    let mut args: Vec<String> = [
        "-H".to_owned(),
        format!("{CLUSTER_TAG}: eu-west"),
        "-H".to_owned(),
        format!("{ZONE_TAG}: eu-west-1b"),
    ]
    .into();
    args.extend(target.mtls(&target.eu_west_mtls, &target.trusted, "/catalog"));
    let seen = app_reply(&request(&args)?)?;
    outcome.saw(
        &format!("the app saw {ZONE_TAG}"),
        app_saw(&seen, ZONE_TAG),
        "eu-west-1b",
    );
    let counted = super::poll_counter(|| read(ZONE_REQUESTS, &zones), zone_before + 1)?;
    outcome.saw(
        &format!(
            "{ZONE_REQUESTS}{{source_zone=\"eu-west-1b\",destination_zone=\"eu-west-1a\"}} rose by"
        ),
        counted
            .checked_sub(zone_before)
            .map(|n| n.to_string())
            .as_deref(),
        "1",
    );
    let crossed = read(CLUSTER_REQUESTS, &same_cluster)?;
    outcome.saw(
        &format!("{CLUSTER_REQUESTS} for eu-west to eu-west rose by"),
        crossed
            .checked_sub(cluster_before)
            .map(|n| n.to_string())
            .as_deref(),
        "0",
    );
    Ok(())
}

/// A caller with a us-east trust-domain certificate claims eu-central in its tag:
/// the app sees us-east, the mismatch is counted, and Envoy's log says so.
pub fn certificate_bound(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let by_certificate = [(label::SOURCE_CLUSTER, "us-east")];
    let read =
        || counter(&target.eu_west_admin, MISMATCH, &by_certificate).map(Option::unwrap_or_default);
    let before = read()?;
    println!(
        "  A workload with a certificate of us-east's trust domain, whose tag says eu-central:"
    );
    let mut args: Vec<String> = ["-H".to_owned(), format!("{CLUSTER_TAG}: eu-central")].into();
    args.extend(target.mtls(&target.eu_west_mtls, &target.us_east_bound, "/catalog"));
    let seen = app_reply(&request(&args)?)?;
    outcome.saw(
        &format!("the app saw {CLUSTER_TAG}"),
        app_saw(&seen, CLUSTER_TAG),
        "us-east",
    );
    let after = super::poll_counter(read, before + 1)?;
    outcome.saw(
        &format!("{MISMATCH}{{source_cluster=\"us-east\"}} rose by"),
        after.checked_sub(before).map(|n| n.to_string()).as_deref(),
        "1",
    );
    let event = format!(r#""{}":"{}""#, log_line::EVENT, log_line::TAG_MISMATCH);
    let log = fs::read_to_string(&target.eu_west_log).unwrap_or_default();
    match log.lines().rev().find(|line| line.contains(&event)) {
        Some(line) => println!("  -> eu-west's log: {}", line.trim()),
        None => outcome.surprise("eu-west logged no tag_mismatch line"),
    }
    Ok(())
}
