//! Step 5: regional routing. At the eu-west ingress gateway the filter turns
//! `x-user-region` or `cf-ipcountry` into `x-meshborder-route-region`, which the
//! route table matches, one app per region; for EU user data the residency guard
//! keeps the choice in the EU. The same filter on us-east's sidecar sends
//! `eu-west-1` across the border.

use std::fs;

use meshborder_e2e::{filter_log, poll};
use meshborder_filter::contract::{header, log_line};

use super::{Outcome, Target, answered_by, app_reply, app_saw};
use crate::curl;

/// One header, the region it should pick, the app that should answer.
const GATEWAY_CASES: [(&str, &str, &str); 3] = [
    (
        "x-user-region: eu-central-1",
        "eu-central-1",
        "eu-central-app (eu-central-1)",
    ),
    ("cf-ipcountry: DE", "eu-west-1", "eu-west-app (eu-west-1)"),
    ("cf-ipcountry: US", "us-east-1", "us-east-app (us-east-1)"),
];

/// The gateway's cases, the guard, and one case through us-east's sidecar.
pub fn by_header_and_country(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let url = format!("http://{}/catalog", target.gateway);
    for (header, region, app) in GATEWAY_CASES {
        routed(outcome, &["-H", header, &url], region, app)?;
    }

    println!("  EU user data stays in the EU, whatever region the visitor asks for:");
    let url = format!("http://{}/users/7", target.gateway);
    let args = ["-H", "Host: eu-user-data", "-H", "x-user-region: us", &url];
    routed(outcome, &args, "eu-west-1", "eu-west-app (eu-west-1)")?;
    guard_log_line(target, outcome);

    println!("  The same filter on us-east's sidecar sends eu-west-1 across the border:");
    let url = format!("http://{}/catalog", target.us_east);
    routed(
        outcome,
        &["-H", "x-user-region: eu", &url],
        "eu-west-1",
        "eu-west-app (eu-west-1)",
    )
}

fn routed(outcome: &mut Outcome, args: &[&str], region: &str, app: &str) -> Result<(), String> {
    let seen = app_reply(&curl::request(args)?)?;
    outcome.saw(
        &format!("the app saw {}", header::ROUTE_REGION),
        app_saw(&seen, header::ROUTE_REGION),
        region,
    );
    outcome.saw("answered by", Some(&answered_by(&seen)), app);
    Ok(())
}

/// The gateway's `route_guarded` line.
fn guard_log_line(target: &Target, outcome: &mut Outcome) {
    let found = poll::until("the route_guarded line in the gateway's log", || {
        let log = fs::read_to_string(&target.gateway_log).unwrap_or_default();
        let lines = filter_log::json_lines(&log);
        Ok(
            filter_log::with_field(&lines, log_line::EVENT, log_line::ROUTE_GUARDED)
                .next()
                .cloned(),
        )
    });
    match found {
        Ok(line) => println!("  -> the gateway logged ({}): {}", line.level, line.json),
        Err(e) => outcome.surprise(&e.to_string()),
    }
}
