//! `meshborder simulate`: one request through the real filter, the decision shown
//! as text or JSON: the source and the trusted peer entry behind it, the deny reply
//! or the pass, the headers set, the tags the application sees, the route, the
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
  "trustedPeers": [
    { "peer": "spiffe://us-east.mesh.example/ns/*/sa/*", "cluster": "us-east" },
    "spiffe://{cluster}.mesh.example/ns/*/sa/*",
    "spiffe://cluster.local/ns/*/sa/*"
  ],
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
        lines[..9],
        [
            "request   GET http://eu-user-data/users/1 (outbound, no mTLS peer)",
            "node      cluster us-east, region us-east-1",
            "source    local: cluster us-east, region us-east-1",
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

/// `meshborder simulate ARGS --json`, parsed.
fn simulate_json(args: &[&str]) -> Result<Value, Box<dyn Error>> {
    let run = meshborder(&[&["simulate", "--json"][..], args].concat())?;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    json(&run.stdout)
}

#[test]
fn the_zone_tag_the_application_sees_is_shown_with_the_cross_zone_counters() -> TestResult {
    let file = config("cli-sim-zone")?;
    // Outbound: the node's zone replaces whatever the caller sent.
    let forged = format!("{}=somewhere-else", header::SOURCE_ZONE);
    let outbound = [
        "simulate",
        "--config",
        &file,
        "--cluster",
        "us-east",
        "--zone",
        "us-east-1a",
        "--header",
        &forged,
        "--request",
        "GET http://catalog/items",
    ];
    let text = meshborder(&outbound)?;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    for expected in [
        "\nnode      cluster us-east, region us-east-1, zone us-east-1a\n".to_owned(),
        "\nsource    local: cluster us-east, region us-east-1, zone us-east-1a\n".to_owned(),
        format!(
            "\ntags      {}: us-east\n          {}: us-east-1\n          {}: us-east-1a\n",
            header::SOURCE_CLUSTER,
            header::SOURCE_REGION,
            header::SOURCE_ZONE
        ),
    ] {
        assert!(
            text.stdout.contains(&expected),
            "{expected}\n{}",
            text.stdout
        );
    }
    let report = json(&meshborder(&[&outbound[..], &["--json"]].concat())?.stdout)?;
    assert_eq!(report["node"]["zone"], "us-east-1a");
    assert_eq!(report["tags"][header::SOURCE_ZONE], "us-east-1a");

    // Inbound from a peer whose tags are believed: its zone tag reaches the
    // application and the request is metered across zones.
    let cluster_tag = format!("{}: us-east", header::SOURCE_CLUSTER);
    let zone_tag = format!("{}: us-east-1b", header::SOURCE_ZONE);
    let inbound = [
        "--config",
        &file,
        "--cluster",
        "eu-west",
        "--zone",
        "eu-west-1a",
        "--direction",
        "inbound",
        "--peer",
        "spiffe://cluster.local/ns/shop/sa/web",
        "--header",
        &cluster_tag,
        "--header",
        &zone_tag,
        "--request",
        "GET http://catalog/items",
    ];
    let report = simulate_json(&inbound)?;
    assert_eq!(report["source"]["kind"], "trusted");
    assert_eq!(report["source"]["zone"], "us-east-1b");
    assert_eq!(report["tags"][header::SOURCE_ZONE], "us-east-1b");
    assert_eq!(report["trusted_peer"]["entry"], 2);
    assert_eq!(report["trusted_peer"]["binding"], "tags");
    let zone_counter = |name: &str| {
        report["metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["name"] == name)
            .map(|m| {
                let labels = &m["labels"];
                (
                    labels[label::SOURCE_ZONE].clone(),
                    labels[label::DESTINATION_ZONE].clone(),
                    m["delta"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        zone_counter(metric::XZONE_REQUESTS.prometheus),
        [("us-east-1b".into(), "eu-west-1a".into(), 1.into())]
    );
    assert_eq!(zone_counter(metric::XZONE_BYTES.prometheus).len(), 2);
    let text = meshborder(&[&["simulate"][..], &inbound].concat())?;
    assert!(
        text.stdout.contains(
            "\npeer      trustedPeers[2] spiffe://cluster.local/ns/*/sa/*: the peer's tags are believed\n"
        ) && text.stdout.contains(&format!(
            "\n          {}{{{}=\"us-east-1b\",{}=\"eu-west-1a\"}} +1\n",
            metric::XZONE_REQUESTS.prometheus,
            label::SOURCE_ZONE,
            label::DESTINATION_ZONE
        )),
        "{}",
        text.stdout
    );
    Ok(())
}

#[test]
fn a_certificate_bound_peer_overrules_a_contradicting_cluster_tag_and_the_mismatch_is_shown()
-> TestResult {
    let file = config("cli-sim-bound")?;
    let claimed = format!("{}=eu-west", header::SOURCE_CLUSTER);
    let args = [
        "--config",
        &file,
        "--cluster",
        "eu-west",
        "--direction",
        "inbound",
        "--peer",
        "spiffe://us-east.mesh.example/ns/shop/sa/web",
        "--header",
        &claimed,
        "--request",
        "GET http://catalog/items",
    ];
    let text = meshborder(&[&["simulate"][..], &args].concat())?;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    for expected in [
        "\nsource    bound to the certificate: cluster us-east, region us-east-1\n".to_owned(),
        "\npeer      trustedPeers[0] spiffe://us-east.mesh.example/ns/*/sa/*: the certificate \
         binds cluster us-east\n"
            .to_owned(),
        "\nmismatch  the cluster tag said eu-west: overruled by the certificate's us-east, \
         counted and logged\n"
            .to_owned(),
        format!(
            "\ntags      {}: us-east\n          {}: us-east-1\n          {} (none)\n",
            header::SOURCE_CLUSTER,
            header::SOURCE_REGION,
            header::SOURCE_ZONE
        ),
        format!(
            "          {}{{{}=\"us-east\"}} +1\n",
            metric::TAG_MISMATCH.prometheus,
            label::SOURCE_CLUSTER
        ),
    ] {
        assert!(
            text.stdout.contains(&expected),
            "{expected}\n{}",
            text.stdout
        );
    }
    assert!(
        text.stdout
            .contains(r#"log       warn {"event":"tag_mismatch""#),
        "{}",
        text.stdout
    );

    let report = simulate_json(&args)?;
    assert_eq!(report["source"]["kind"], "bound");
    assert_eq!(report["source"]["cluster"], "us-east");
    assert_eq!(report["trusted_peer"]["entry"], 0);
    assert_eq!(
        report["trusted_peer"]["pattern"],
        "spiffe://us-east.mesh.example/ns/*/sa/*"
    );
    assert_eq!(report["trusted_peer"]["binding"], "named");
    assert_eq!(report["trusted_peer"]["bound_cluster"], "us-east");
    assert_eq!(report["mismatch"]["cluster"], "us-east");
    assert_eq!(report["mismatch"]["claimed"], "eu-west");
    assert_eq!(report["mismatch"]["counted"], true);
    assert_eq!(report["tags"][header::SOURCE_CLUSTER], "us-east");

    // A captured cluster the table lists binds too, and a tag that agrees is no
    // mismatch.
    let agreeing = format!("{}=eu-west", header::SOURCE_CLUSTER);
    let captured = simulate_json(&[
        "--config",
        &file,
        "--cluster",
        "us-east",
        "--direction",
        "inbound",
        "--peer",
        "spiffe://eu-west.mesh.example/ns/shop/sa/web",
        "--header",
        &agreeing,
        "--request",
        "GET http://catalog/items",
    ])?;
    assert_eq!(captured["source"]["kind"], "bound");
    assert_eq!(captured["source"]["region"], "eu-west-1");
    assert_eq!(captured["trusted_peer"]["entry"], 1);
    assert_eq!(captured["trusted_peer"]["binding"], "captured");
    assert_eq!(captured["trusted_peer"]["bound_cluster"], "eu-west");
    assert_eq!(captured["mismatch"], Value::Null);
    Ok(())
}

#[test]
fn a_captured_cluster_missing_from_clusters_is_shown_as_an_unknown_source() -> TestResult {
    let file = config("cli-sim-unlisted")?;
    let forged = format!("{}=eu-central", header::SOURCE_CLUSTER);
    let args = [
        "--config",
        &file,
        "--cluster",
        "eu-west",
        "--direction",
        "inbound",
        "--peer",
        "spiffe://eu-central.mesh.example/ns/shop/sa/web",
        "--header",
        &forged,
        "--request",
        "GET http://catalog/items",
    ];
    let text = meshborder(&[&["simulate"][..], &args].concat())?;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    for expected in [
        "\nsource    unknown (the certificate's cluster eu-central is not listed in \
         `clusters`); counted, tags removed\n"
            .to_owned(),
        "\npeer      trustedPeers[1] spiffe://{cluster}.mesh.example/ns/*/sa/*: captures \
         cluster eu-central from the certificate, which `clusters` does not list\n"
            .to_owned(),
        format!(
            "\nheaders   {} removed (was eu-central)\n",
            header::SOURCE_CLUSTER
        ),
        format!("\ntags      {} (none)\n", header::SOURCE_CLUSTER),
        format!("\nmetrics   {} +1\n", metric::UNKNOWN_SOURCE.prometheus),
    ] {
        assert!(
            text.stdout.contains(&expected),
            "{expected}\n{}",
            text.stdout
        );
    }
    assert!(!text.stdout.contains("\nmismatch"), "{}", text.stdout);

    let report = simulate_json(&args)?;
    assert_eq!(report["source"]["kind"], "unknown");
    assert_eq!(report["source"]["cluster"], Value::Null);
    assert_eq!(report["trusted_peer"]["entry"], 1);
    assert_eq!(report["trusted_peer"]["bound_cluster"], "eu-central");
    assert_eq!(report["tags"][header::SOURCE_CLUSTER], Value::Null);
    assert_eq!(report["mismatch"], Value::Null);
    Ok(())
}

#[test]
fn a_request_envoy_refuses_before_the_filter_says_so() -> TestResult {
    let file = config("cli-sim-codec-refusal")?;
    let big = format!("x-big={}", "a".repeat(70_000));
    let run = meshborder(&[
        "simulate",
        "--config",
        &file,
        "--cluster",
        "us-east",
        "--request",
        "GET http://shop/items",
        "--header",
        &big,
    ])?;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let note = run
        .stdout
        .lines()
        .find(|line| line.starts_with("note "))
        .unwrap_or_default();
    assert!(
        note.contains("refuses this request with 431") && note.contains("before any filter"),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn mixed_case_header_names_are_said_to_reach_the_filter_lowercased() -> TestResult {
    let file = config("cli-sim-lowercased")?;
    let run = meshborder(&[
        "simulate",
        "--config",
        &file,
        "--cluster",
        "us-east",
        "--request",
        "GET http://shop/items",
        "--header",
        "X-User-Region: eu",
        "--json",
    ])?;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let report = json(&run.stdout)?;
    assert_eq!(
        report["notes"],
        serde_json::json!([
            "Envoy lowercases header names before the filter sees them: X-User-Region as x-user-region"
        ])
    );
    Ok(())
}
