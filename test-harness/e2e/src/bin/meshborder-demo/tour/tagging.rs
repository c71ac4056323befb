//! Steps 1 and 2: the tags an app sees, and the forged tags it never sees.

use meshborder_e2e::topology::EU_WEST_APP;
use meshborder_filter::contract::{header, metric};

use super::{Outcome, Target, answered_by, app_reply, app_saw, counter, request};
use crate::curl;

const CLUSTER_TAG: &str = header::SOURCE_CLUSTER;
const REGION_TAG: &str = header::SOURCE_REGION;
const UNKNOWN_SOURCE: &str = metric::UNKNOWN_SOURCE.prometheus;

/// us-east → eu-west: the app sees us-east's cluster and region.
pub fn tags(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let url = format!("http://{}/catalog", target.us_east);
    let response = curl::request(&["-H", "Host: eu-user-data", &url])?;
    let seen = app_reply(&response)?;
    println!("  -> {} from {}", response.status, answered_by(&seen));
    outcome.saw(
        &format!("the app saw {CLUSTER_TAG}"),
        app_saw(&seen, CLUSTER_TAG),
        "us-east",
    );
    outcome.saw(
        &format!("the app saw {REGION_TAG}"),
        app_saw(&seen, REGION_TAG),
        "us-east-1",
    );
    Ok(())
}

/// A forged tag: replaced at us-east; removed at eu-west when the caller is not a
/// trusted mTLS peer (plaintext, or a certificate of another trust domain).
pub fn forged_tags(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let forged_tag = format!("{CLUSTER_TAG}: eu-west");
    let forged = ["-H", forged_tag.as_str()];
    println!("  A client of us-east claims to be eu-west; us-east replaces the claim:");
    let url = format!("http://{}/catalog", target.us_east);
    let response =
        curl::request(&[forged.as_slice(), &["-H", "Host: eu-user-data", &url]].concat())?;
    let seen = app_reply(&response)?;
    outcome.saw(
        &format!("the app saw {CLUSTER_TAG}"),
        app_saw(&seen, CLUSTER_TAG),
        "us-east",
    );

    println!("  The same claim straight to eu-west, in plaintext (no peer identity):");
    let before = unknown_sources(target)?;
    let url = format!("http://{}/catalog", target.eu_west_plaintext);
    let response = curl::request(&[forged.as_slice(), &[url.as_str()]].concat())?;
    let seen = app_reply(&response)?;
    outcome.saw(
        "answered by",
        seen.get("app").and_then(|app| app.as_str()),
        EU_WEST_APP,
    );
    outcome.saw_none(
        &format!("the app saw {CLUSTER_TAG}"),
        app_saw(&seen, CLUSTER_TAG),
    );

    println!("  And over mTLS, with a certificate eu-west's trustedPeers does not match:");
    let mut args: Vec<String> = forged.iter().map(|arg| (*arg).to_owned()).collect();
    args.extend(target.mtls(&target.eu_west_mtls, &target.untrusted, "/catalog"));
    let seen = app_reply(&request(&args)?)?;
    outcome.saw_none(
        &format!("the app saw {CLUSTER_TAG}"),
        app_saw(&seen, CLUSTER_TAG),
    );

    let after = unknown_sources(target)?;
    let counted = after.checked_sub(before).map(|n| n.to_string());
    outcome.saw(
        &format!("eu-west counted them in {UNKNOWN_SOURCE}, by"),
        counted.as_deref(),
        "2",
    );
    Ok(())
}

fn unknown_sources(target: &Target) -> Result<u64, String> {
    counter(&target.eu_west_admin, UNKNOWN_SOURCE, &[])?
        .ok_or_else(|| format!("eu-west has no {UNKNOWN_SOURCE}"))
}
