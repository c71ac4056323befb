//! `meshborder simulate` on a `tcp` configuration: one connection through the real
//! filter as a network filter, the decision shown as text or JSON: the source bound
//! to the certificate (or unknown, and why), the `trustedPeers` entry, PASS or the
//! close with its rule, the bytes that got through, the log line, and the counters,
//! the TCP byte counters included once the close flushed them.

use std::error::Error;

use super::fixtures::{meshborder, scratch, write};
use meshborder_filter::contract::{label, metric, value};
use serde_json::Value;

type TestResult = Result<(), Box<dyn Error>>;

/// eu-west's database sidecar configuration, as shipped.
const TCP_CONFIG: &str = "envoy-config/eu-west-tcp-plugin.json";
/// An HTTP configuration, as shipped.
const HTTP_CONFIG: &str = "envoy-config/eu-west-plugin.json";

const EU_CENTRAL_PEER: &str = "spiffe://eu-central.mesh.example/ns/db/sa/replica";
const US_EAST_PEER: &str = "spiffe://us-east.mesh.example/ns/db/sa/replica";

/// An inbound connection at eu-west's database port from `peer`.
fn at_the_database<'a>(peer: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [
        &[
            "simulate",
            "--config",
            TCP_CONFIG,
            "--cluster",
            "eu-west",
            "--direction",
            "inbound",
            "--peer",
            peer,
            "--port",
            "5432",
        ][..],
        extra,
    ]
    .concat()
}

fn json(stdout: &str) -> Result<Value, Box<dyn Error>> {
    Ok(serde_json::from_str(stdout)?)
}

/// The deltas of the counter `name`, with the labels given, in the report.
fn moved(report: &Value, name: &str, labels: &[(&str, &str)]) -> Vec<u64> {
    report["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["name"] == name)
        .filter(|m| labels.iter().all(|(k, v)| m["labels"][*k] == *v))
        .filter_map(|m| m["delta"].as_u64())
        .collect()
}

#[test]
fn a_connection_from_a_bound_eu_peer_passes_and_its_bytes_are_counted() -> TestResult {
    let bytes = ["--send", "1000", "--receive", "20000"];
    let text = meshborder(&at_the_database(EU_CENTRAL_PEER, &bytes))?;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    let lines: Vec<&str> = text.stdout.lines().collect();
    let peer_line = "peer       trustedPeers[1] spiffe://{cluster}.mesh.example/ns/*/sa/*: the \
                     certificate binds cluster eu-central (captured)";
    let connection_line =
        format!("connection inbound, port 5432, no SNI, mTLS peer {EU_CENTRAL_PEER}");
    assert_eq!(
        lines.get(..6),
        Some(
            &[
                connection_line.as_str(),
                "node       cluster eu-west, region eu-west-1",
                "source     bound to the certificate: cluster eu-central, region eu-central-1",
                peer_line,
                "decision   PASS",
                "bytes      1000 from the caller, all forwarded; 20000 back to the caller",
            ][..]
        ),
        "{}",
        text.stdout
    );
    let labels = format!(
        "{}=\"eu-central\",{}=\"eu-central-1\",{}=\"eu-west\",{}=\"eu-west-1\"",
        label::SOURCE_CLUSTER,
        label::SOURCE_REGION,
        label::DESTINATION_CLUSTER,
        label::DESTINATION_REGION
    );
    for expected in [
        format!(
            "\nmetrics    {}{{{}=\"{}\",{labels}}} +1000\n",
            metric::XCLUSTER_TCP_BYTES.prometheus,
            label::DIRECTION,
            value::RECEIVED
        ),
        format!(
            "\n           {}{{{}=\"{}\",{labels}}} +20000\n",
            metric::XCLUSTER_TCP_BYTES.prometheus,
            label::DIRECTION,
            value::SENT
        ),
        format!(
            "\n           {}{{{}=\"eu-central\",{}=\"eu-west\"}} +1\n",
            metric::XCLUSTER_TCP_CONNECTIONS.prometheus,
            label::SOURCE_CLUSTER,
            label::DESTINATION_CLUSTER
        ),
    ] {
        assert!(
            text.stdout.contains(&expected),
            "{expected}\n{}",
            text.stdout
        );
    }
    assert!(!text.stdout.contains("\nlog"), "{}", text.stdout);

    let report = json(
        &meshborder(&at_the_database(
            EU_CENTRAL_PEER,
            &[&bytes[..], &["--json"]].concat(),
        ))?
        .stdout,
    )?;
    assert_eq!(report["layer"], "tcp");
    assert_eq!(report["connection"]["port"], 5432);
    assert_eq!(report["source"]["kind"], "bound");
    assert_eq!(report["source"]["cluster"], "eu-central");
    assert_eq!(report["trusted_peer"]["entry"], 1);
    assert_eq!(report["trusted_peer"]["binding"], "captured");
    assert_eq!(report["decision"], "pass");
    assert_eq!(report["closed"], false);
    assert_eq!(report["rule"], Value::Null);
    assert_eq!(report["bytes"]["to_upstream"], 1000);
    assert_eq!(report["bytes"]["to_caller"], 20000);
    let tcp_bytes = metric::XCLUSTER_TCP_BYTES.prometheus;
    let from = (label::SOURCE_CLUSTER, "eu-central");
    assert_eq!(
        moved(
            &report,
            tcp_bytes,
            &[(label::DIRECTION, value::RECEIVED), from]
        ),
        [1000]
    );
    assert_eq!(
        moved(&report, tcp_bytes, &[(label::DIRECTION, value::SENT), from]),
        [20000]
    );
    assert_eq!(
        moved(
            &report,
            metric::XCLUSTER_TCP_CONNECTIONS.prometheus,
            &[from]
        ),
        [1]
    );
    assert!(report["fuel"]["first_downstream_data"].as_u64() > Some(0));
    Ok(())
}

#[test]
fn a_us_peer_on_the_database_port_is_closed_and_the_decision_shown() -> TestResult {
    let bytes = ["--send", "77", "--receive", "10"];
    let text = meshborder(&at_the_database(US_EAST_PEER, &bytes))?;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    for expected in [
        "\nsource     bound to the certificate: cluster us-east, region us-east-1\n".to_owned(),
        "\npeer       trustedPeers[0] spiffe://us-east.mesh.example/ns/*/sa/*: the certificate \
         binds cluster us-east\n"
            .to_owned(),
        "\ndecision   DENY: closed by rule eu-database (source_region_not_allowed)\n".to_owned(),
        "\nbytes      77 from the caller, none forwarded; nothing back (closed)\n".to_owned(),
        format!(
            "\nmetrics    {}{{{}=\"eu-database\",{}=\"{}\"}} +1\n",
            metric::RESIDENCY_DECISIONS.prometheus,
            label::RULE,
            label::DECISION,
            value::DENY
        ),
        r#"log        warn {"error":"residency_denied","decision":"deny","reason":"source_region_not_allowed","rule":"eu-database","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"eu-west","region":"eu-west-1","port":5432,"mode":"enforce","direction":"inbound"}"#.to_owned(),
    ] {
        assert!(
            text.stdout.contains(&expected),
            "{expected}\n{}",
            text.stdout
        );
    }

    let report = json(
        &meshborder(&at_the_database(
            US_EAST_PEER,
            &[&bytes[..], &["--json"]].concat(),
        ))?
        .stdout,
    )?;
    assert_eq!(report["decision"], "deny");
    assert_eq!(report["closed"], true);
    assert_eq!(report["rule"]["name"], "eu-database");
    assert_eq!(report["rule"]["mode"], "enforce");
    assert_eq!(report["rule"]["reason"], "source_region_not_allowed");
    assert_eq!(report["bytes"]["from_caller"], 77);
    assert_eq!(report["bytes"]["to_upstream"], 0);
    assert_eq!(report["bytes"]["from_upstream"], 0);
    assert_eq!(
        moved(&report, metric::XCLUSTER_TCP_BYTES.prometheus, &[]),
        Vec::<u64>::new()
    );
    let log: Value = serde_json::from_str(report["logs"][0]["message"].as_str().ok_or("log")?)?;
    assert_eq!(report["logs"][0]["level"], "warn");
    assert_eq!(log["port"], 5432);
    assert_eq!(log["rule"], "eu-database");

    // Without a certificate the caller is unknown, and the same rule closes the
    // connection at the caller's close, though it sent nothing.
    let anonymous = meshborder(&[
        "simulate",
        "--config",
        TCP_CONFIG,
        "--cluster",
        "eu-west",
        "--direction",
        "inbound",
        "--port",
        "5432",
    ])?;
    for expected in [
        "\nsource     unknown (no mTLS peer); counted\n".to_owned(),
        "\ndecision   DENY: closed by rule eu-database (unknown_source)\n".to_owned(),
        "\nbytes      nothing from the caller; nothing back (closed)\n".to_owned(),
        format!("\n           {} +1\n", metric::UNKNOWN_SOURCE.prometheus),
    ] {
        assert!(
            anonymous.stdout.contains(&expected),
            "{expected}\n{}",
            anonymous.stdout
        );
    }
    Ok(())
}

#[test]
fn a_peer_of_an_entry_that_believes_tags_is_an_unknown_source_of_a_connection() -> TestResult {
    let dir = scratch("cli-sim-tcp-tags")?;
    let config = write(
        &dir,
        "tcp-plugin.json",
        r#"{ "layer": "tcp",
             "clusters": { "eu-west": { "region": "eu-west-1" } },
             "trustedPeers": [ "spiffe://cluster.local/ns/*/sa/*" ] }"#,
    )?;
    let text = meshborder(&[
        "simulate",
        "--config",
        &config,
        "--cluster",
        "eu-west",
        "--direction",
        "inbound",
        "--peer",
        "spiffe://cluster.local/ns/db/sa/replica",
        "--send",
        "5",
    ])?;
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    for expected in [
        "\nsource     unknown (trustedPeers[0] believes tags, and a connection has none: only a \
         certificate-bound entry establishes the source of a connection); counted\n",
        "\npeer       trustedPeers[0] spiffe://cluster.local/ns/*/sa/*: believes the peer's \
         tags, and a connection has none\n",
        "\ndecision   PASS\n",
        "\nbytes      5 from the caller, all forwarded; nothing back\n",
    ] {
        assert!(
            text.stdout.contains(expected),
            "{expected}\n{}",
            text.stdout
        );
    }
    assert!(
        text.stdout.contains(&format!(
            "{}{{{}=\"{}\",{}=\"{}\"",
            metric::XCLUSTER_TCP_BYTES.prometheus,
            label::DIRECTION,
            value::RECEIVED,
            label::SOURCE_CLUSTER,
            value::UNKNOWN
        )),
        "{}",
        text.stdout
    );
    Ok(())
}

#[test]
fn flags_of_the_wrong_layer_are_refused_saying_which_flags_go_with_which_layer() -> TestResult {
    let request_for_tcp = meshborder(&at_the_database(
        EU_CENTRAL_PEER,
        &["--request", "GET http://db/", "--header", "a=b"],
    ))?;
    assert_eq!(request_for_tcp.code, Some(2));
    assert_eq!(request_for_tcp.stdout, "");
    for expected in [
        "is a `tcp` configuration",
        "so --request and --header do not apply",
        "a connection takes --peer, --port, --sni, --send and --receive",
    ] {
        assert!(
            request_for_tcp.stderr.contains(expected),
            "{expected}\n{}",
            request_for_tcp.stderr
        );
    }
    let status_for_tcp = meshborder(&at_the_database(
        EU_CENTRAL_PEER,
        &["--response-status", "503"],
    ))?;
    assert_eq!(status_for_tcp.code, Some(2));
    assert!(
        status_for_tcp
            .stderr
            .contains("so --response-status does not apply"),
        "{}",
        status_for_tcp.stderr
    );

    let port_for_http = meshborder(&[
        "simulate",
        "--config",
        HTTP_CONFIG,
        "--cluster",
        "eu-west",
        "--request",
        "GET http://eu-user-data/users/1",
        "--port",
        "5432",
        "--sni",
        "eu-user-db",
        "--send",
        "10",
    ])?;
    assert_eq!(port_for_http.code, Some(2));
    for expected in [
        "is an `http` configuration",
        "so --port, --sni and --send do not apply",
        "for a `tcp` configuration, with \"layer\": \"tcp\"",
        "a request takes --request, --header, --peer and --response-status",
    ] {
        assert!(
            port_for_http.stderr.contains(expected),
            "{expected}\n{}",
            port_for_http.stderr
        );
    }

    let no_request = meshborder(&["simulate", "--config", HTTP_CONFIG, "--cluster", "eu-west"])?;
    assert_eq!(no_request.code, Some(2));
    assert!(
        no_request
            .stderr
            .contains("give the request with --request 'METHOD URL'"),
        "{}",
        no_request.stderr
    );
    Ok(())
}
