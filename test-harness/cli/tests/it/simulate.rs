//! `meshborder simulate`: one request through the real filter, the decision shown
//! as text or JSON: the deny reply or the pass, the headers set, the route, the
//! counters that moved.

use std::error::Error;

use super::fixtures::{meshborder, scratch, write};
use meshborder_filter::contract::{header, label, metric, value};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

/// The configuration example of the product contract.
const SPEC_CONFIG: &str = r#"{
  "clusters": { "us-east": { "region": "us-east-1" }, "eu-west": { "region": "eu-west-1" } },
  "regionGroups": { "eu": ["eu-west-1", "eu-central-1"], "us": ["us-east-1", "us-west-2"] },
  "trustedPeers": ["spiffe://cluster.local/ns/*/sa/*"],
  "residency": { "rules": [
    { "name": "eu-user-data",
      "match": { "hosts": ["eu-user-data", "eu-user-data.*"], "paths": ["/users/*"] },
      "allowSourceRegions": ["eu"], "allowLocalRegions": ["eu"] } ] },
  "routing": {
    "sources": [ { "header": "x-user-region" },
                 { "header": "cf-ipcountry", "countries": { "DE": "eu-west-1", "US": "us-east-1" } } ],
    "default": "us-east-1"
  }
}"#;

fn config(name: &str) -> Result<String, Box<dyn Error>> {
    Ok(write(&scratch(name)?, "plugin.json", SPEC_CONFIG)?)
}

fn json(stdout: &str) -> Result<Value, Box<dyn Error>> {
    Ok(serde_json::from_str(stdout)?)
}

const DENIED: [&str; 2] = ["--request", "GET http://eu-user-data/users/1"];

#[test]
fn a_denial_shows_the_reply_the_log_and_the_counter_as_text() -> TestResult {
    let file = config("cli-sim-deny-text")?;
    let run = meshborder(
        &[
            &["simulate", "--config", &file, "--cluster", "us-east"][..],
            &DENIED,
        ]
        .concat(),
    )?;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let denied_by = format!("          {}: eu-user-data", header::DENIED_BY);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[..8],
        [
            "request   GET http://eu-user-data/users/1 (outbound, no mTLS peer)",
            "node      cluster us-east, region us-east-1",
            "decision  DENY",
            "reply     403",
            &denied_by,
            "          content-type: application/json",
            r#"          {"error":"residency_denied","rule":"eu-user-data","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"us-east","region":"us-east-1"}"#,
            "headers   (unchanged)",
        ]
    );
    assert!(
        run.stdout.contains("\nroute     (none)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "\nmetrics   {name}{{{rule}=\"eu-user-data\",{decision}=\"{deny}\"}} +1\n",
            name = metric::RESIDENCY_DECISIONS.prometheus,
            rule = label::RULE,
            decision = label::DECISION,
            deny = value::DENY,
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(r#"log       warn {"error":"residency_denied""#),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn a_denial_as_json() -> TestResult {
    let file = config("cli-sim-deny-json")?;
    let run = meshborder(
        &[
            &[
                "simulate",
                "--json",
                "--config",
                &file,
                "--cluster",
                "us-east",
            ][..],
            &DENIED,
        ]
        .concat(),
    )?;
    let report = json(&run.stdout)?;
    assert_eq!(report["decision"], "deny");
    assert_eq!(report["reply"]["status"], 403);
    assert_eq!(
        report["reply"]["headers"][header::DENIED_BY],
        "eu-user-data"
    );
    assert_eq!(report["route_region"], Value::Null);
    assert_eq!(
        report["metrics"][0]["name"],
        metric::RESIDENCY_DECISIONS.prometheus
    );
    assert_eq!(report["metrics"][0]["labels"][label::DECISION], value::DENY);
    assert_eq!(report["metrics"][0]["delta"], 1);
    assert!(report["fuel"]["request_headers"].as_u64() > Some(0));
    Ok(())
}

#[test]
fn a_routed_pass_shows_the_tags_and_the_route() -> TestResult {
    let file = config("cli-sim-pass")?;
    let args = [
        "simulate",
        "--config",
        &file,
        "--cluster",
        "us-east",
        "--request",
        "GET http://shop/cart",
        "--header",
        "x-user-region=eu",
    ];
    let text = meshborder(&args)?;
    assert!(text.stdout.contains("decision  PASS\n"), "{}", text.stdout);
    assert!(
        text.stdout.contains(&format!(
            "headers   {}: us-east\n          {}: us-east-1\n          {}: eu-west-1\n",
            header::SOURCE_CLUSTER,
            header::SOURCE_REGION,
            header::ROUTE_REGION,
        )),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("route     eu-west-1 (route cache cleared)\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("metrics   (none)\n"),
        "{}",
        text.stdout
    );
    let report = json(&meshborder(&[&args[..], &["--json"]].concat())?.stdout)?;
    assert_eq!(report["decision"], "pass");
    assert_eq!(report["route_region"], "eu-west-1");
    assert_eq!(report["route_cache_cleared"], true);
    assert_eq!(
        report["header_changes"][0]["header"],
        header::SOURCE_CLUSTER
    );
    assert_eq!(report["header_changes"][0]["change"], "set");
    Ok(())
}

#[test]
fn an_inbound_request_from_a_trusted_peer_moves_the_byte_counters() -> TestResult {
    let file = config("cli-sim-inbound")?;
    let tag = format!("{}: us-east", header::SOURCE_CLUSTER);
    let run = meshborder(&[
        "simulate",
        "--json",
        "--config",
        &file,
        "--cluster",
        "eu-west",
        "--direction",
        "inbound",
        "--peer",
        "spiffe://cluster.local/ns/shop/sa/web",
        "--header",
        &tag,
        "--request",
        "GET http://catalog/items",
    ])?;
    let report = json(&run.stdout)?;
    let moved: Vec<&str> = report["metrics"]
        .as_array()
        .ok_or("metrics")?
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(
        moved,
        [
            metric::XCLUSTER_BYTES.prometheus,
            metric::XCLUSTER_BYTES.prometheus,
            metric::XCLUSTER_REQUESTS.prometheus
        ]
    );
    assert_eq!(
        report["metrics"][2]["labels"][label::SOURCE_CLUSTER],
        "us-east"
    );
    Ok(())
}

#[test]
fn unclear_input_gets_a_clear_error() -> TestResult {
    let file = config("cli-sim-errors")?;
    let bad_request = meshborder(&[
        "simulate",
        "--config",
        &file,
        "--cluster",
        "x",
        "--request",
        "GET",
    ])?;
    assert_eq!(bad_request.code, Some(2));
    assert!(
        bad_request.stderr.contains("expected 'METHOD URL'"),
        "{}",
        bad_request.stderr
    );
    let no_cluster = meshborder(&[&["simulate", "--config", &file][..], &DENIED].concat())?;
    assert_eq!(no_cluster.code, Some(2));
    assert!(
        no_cluster.stderr.contains("no local cluster"),
        "{}",
        no_cluster.stderr
    );
    assert!(
        no_cluster.stderr.contains("(pass --cluster)"),
        "{}",
        no_cluster.stderr
    );
    let dir = scratch("cli-sim-two")?;
    let two = write(
        &dir,
        "two.yaml",
        "kind: WasmPlugin\nmetadata: { name: meshborder-a }\nspec: {}\n---\nkind: WasmPlugin\nmetadata: { name: meshborder-b }\nspec: {}\n",
    )?;
    let ambiguous = meshborder(
        &[
            &["simulate", "--config", &two, "--cluster", "x"][..],
            &DENIED,
        ]
        .concat(),
    )?;
    assert_eq!(ambiguous.code, Some(2));
    assert!(
        ambiguous.stderr.contains("choose one with --pick"),
        "{}",
        ambiguous.stderr
    );
    let picked = meshborder(
        &[
            &[
                "simulate",
                "--config",
                &two,
                "--cluster",
                "x",
                "--pick",
                "2",
            ][..],
            &DENIED,
        ]
        .concat(),
    )?;
    assert_eq!(picked.code, Some(0), "{}", picked.stderr);
    Ok(())
}
