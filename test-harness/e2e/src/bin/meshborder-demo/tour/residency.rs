//! Steps 3 and 4: the rule `eu-user-data` on eu-west, enforced and audited.

use std::fs;

use meshborder_e2e::filter_log;
use meshborder_e2e::poll;
use meshborder_filter::contract::{header, label, log_line, metric, value};

use super::{Outcome, Target, answered_by, app_reply, app_saw, counter, request};
use crate::curl;

const DENIED_BY: &str = header::DENIED_BY;
const US_EAST_DENIAL: &str = r#"{"error":"residency_denied","rule":"eu-user-data","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"eu-west","region":"eu-west-1"}"#;
const UNKNOWN_DENIAL: &str = r#"{"error":"residency_denied","rule":"eu-user-data","sourceCluster":"unknown","sourceRegion":"unknown","cluster":"eu-west","region":"eu-west-1"}"#;

/// us-east is refused (reply and log line), eu-central is served, an unknown
/// caller is refused.
pub fn enforce(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    println!("  From us-east (us-east-1):");
    let url = format!("http://{}/users/1", target.us_east);
    let response = curl::request(&[
        "-H",
        "Host: eu-user-data",
        "-H",
        "x-request-id: demo-1",
        &url,
    ])?;
    outcome.saw("status", Some(&response.status.to_string()), "403");
    outcome.saw(DENIED_BY, response.header(DENIED_BY), "eu-user-data");
    outcome.saw("body", Some(response.body.trim()), US_EAST_DENIAL);
    deny_log_line(target, outcome, "demo-1");

    println!("  From eu-central (eu-central-1, in the group `eu`):");
    let url = format!("http://{}/users/1", target.eu_central);
    let response = curl::request(&["-H", "Host: eu-user-data", &url])?;
    let seen = app_reply(&response)?;
    outcome.saw("status", Some(&response.status.to_string()), "200");
    outcome.saw(
        "answered by",
        Some(&answered_by(&seen)),
        "eu-west-app (eu-west-1)",
    );
    outcome.saw(
        &format!("the app saw {}", header::SOURCE_CLUSTER),
        app_saw(&seen, header::SOURCE_CLUSTER),
        "eu-central",
    );

    println!("  From an unknown caller (plaintext, straight to eu-west): denied by default");
    let url = format!("http://{}/users/1", target.eu_west_plaintext);
    let response = curl::request(&["-H", "Host: eu-user-data", &url])?;
    outcome.saw("status", Some(&response.status.to_string()), "403");
    outcome.saw("body", Some(response.body.trim()), UNKNOWN_DENIAL);
    Ok(())
}

/// The one JSON line eu-west logged for the request `request_id`.
fn deny_log_line(target: &Target, outcome: &mut Outcome, request_id: &str) {
    let found = poll::until("the deny line in eu-west's log", || {
        let log = fs::read_to_string(&target.eu_west_log).unwrap_or_default();
        let lines = filter_log::json_lines(&log);
        let mine: Vec<_> = filter_log::with_field(&lines, log_line::REQUEST_ID, request_id)
            .cloned()
            .collect();
        Ok((!mine.is_empty()).then_some(mine))
    });
    match found {
        Ok(lines) => {
            for line in &lines {
                println!("  -> eu-west logged ({}): {}", line.level, line.json);
            }
            let decision = lines
                .first()
                .and_then(|line| line.json.get("decision"))
                .and_then(serde_json::Value::as_str);
            outcome.saw(
                "log lines for this request",
                Some(&lines.len().to_string()),
                "1",
            );
            outcome.saw("logged decision", decision, value::DENY);
        }
        Err(e) => outcome.surprise(&e.to_string()),
    }
}

/// The same request to the auditing eu-west, as us-east's sidecar sends it: served,
/// counted as `decision="audit"`.
pub fn audit(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    println!("  As us-east's sidecar sends it (trusted certificate, tagged us-east):");
    let mut args: Vec<String> = vec![
        "-H".to_owned(),
        "Host: eu-user-data".to_owned(),
        "-H".to_owned(),
        format!("{}: us-east", header::SOURCE_CLUSTER),
        "-H".to_owned(),
        format!("{}: us-east-1", header::SOURCE_REGION),
    ];
    args.extend(target.mtls(&target.audit_mtls, &target.trusted, "/users/1"));
    let response = request(&args)?;
    let seen = app_reply(&response)?;
    outcome.saw("status", Some(&response.status.to_string()), "200");
    outcome.saw(
        "answered by",
        Some(&answered_by(&seen)),
        "eu-west-app (eu-west-1)",
    );
    let labels = [
        (label::RULE, "eu-user-data"),
        (label::DECISION, value::AUDIT),
    ];
    let audited = counter(
        &target.audit_admin,
        metric::RESIDENCY_DECISIONS.prometheus,
        &labels,
    )?;
    outcome.saw(
        &format!(
            "{}{{{}=\"eu-user-data\",{}=\"{}\"}}",
            metric::RESIDENCY_DECISIONS.prometheus,
            label::RULE,
            label::DECISION,
            value::AUDIT,
        ),
        audited.map(|n| n.to_string()).as_deref(),
        "1",
    );
    Ok(())
}
