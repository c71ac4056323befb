//! Data residency on the real filter: a request whose data may not leave, or may
//! not be served outside, a set of regions gets the contract's local 403, a JSON
//! log line and a decision counter; audit mode records and lets it through.

use super::fixtures::{
    DENIED_BY, ROUTE_REGION, SOURCE_CLUSTER, SPEC_CONFIG, TRUSTED_SAN, eu_west, from_peer, get,
    inbound, lines_at, node, outbound, us_east,
};
use meshborder_e2e::host::Counters;
use meshborder_filter::contract::{label, metric, value};
use proxy_wasm_host::{Action, HostResult, LogLevel, Vm};

const DECISIONS: &str = metric::RESIDENCY_DECISIONS.prometheus;

fn decisions(vm: &Vm, rule: &str, decision: &str) -> u64 {
    vm.counter(
        DECISIONS,
        &[(label::RULE, rule), (label::DECISION, decision)],
    )
}

#[test]
fn denies_eu_user_data_leaving_us_east() -> HostResult<()> {
    let mut vm = us_east()?;
    let mut stream = outbound(&mut vm);
    let action = stream.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
    assert_eq!(action, Action::Pause);
    let reply = stream.local_response().expect("a local reply");
    assert_eq!(reply.status, 403);
    assert_eq!(reply.header(DENIED_BY), Some("eu-user-data"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.body_text(),
        r#"{"error":"residency_denied","rule":"eu-user-data","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"us-east","region":"us-east-1"}"#
    );
    assert_eq!(
        stream.request_header(ROUTE_REGION),
        None,
        "a denied request is not routed"
    );
    assert_eq!(stream.route_cache_clears(), 0);
    stream.finish()?;
    assert_eq!(
        lines_at(&vm, LogLevel::Warn),
        [
            r#"{"error":"residency_denied","decision":"deny","reason":"source_region_not_allowed","rule":"eu-user-data","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"us-east","region":"us-east-1","host":"eu-user-data","path":"/users/1","method":"GET","mode":"enforce","direction":"outbound"}"#
        ]
    );
    assert_eq!(decisions(&vm, "eu-user-data", value::DENY), 1);
    assert_eq!(decisions(&vm, "eu-user-data", value::AUDIT), 0);
    Ok(())
}

#[test]
fn denies_a_us_east_caller_at_eu_west() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(
        &get("eu-user-data", "/users/1", &[(SOURCE_CLUSTER, "us-east")]),
        true,
    )?;
    let reply = stream.local_response().expect("a local reply");
    assert_eq!(
        reply.body_text(),
        r#"{"error":"residency_denied","rule":"eu-user-data","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"eu-west","region":"eu-west-1"}"#
    );
    Ok(())
}

#[test]
fn serves_eu_user_data_to_a_trusted_eu_caller() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    let action = stream.request_headers(
        &get(
            "eu-user-data",
            "/users/1",
            &[(SOURCE_CLUSTER, "eu-central")],
        ),
        true,
    )?;
    assert_eq!(action, Action::Continue);
    assert!(stream.local_response().is_none());
    stream.response_headers(&[(":status", "200")], true)?;
    stream.finish()?;
    assert!(lines_at(&vm, LogLevel::Warn).is_empty());
    assert_eq!(decisions(&vm, "eu-user-data", value::DENY), 0);
    Ok(())
}

#[test]
fn denies_an_unknown_source_by_default() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = inbound(&mut vm);
    stream.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
    let reply = stream.local_response().expect("a local reply");
    assert!(
        reply
            .body_text()
            .contains(r#""sourceCluster":"unknown","sourceRegion":"unknown""#),
        "{}",
        reply.body_text()
    );
    assert!(
        lines_at(stream.vm(), LogLevel::Warn)
            .iter()
            .any(|l| l.contains(r#""reason":"unknown_source""#))
    );
    Ok(())
}

#[test]
fn unknown_source_allow_lets_unknown_callers_through() -> HostResult<()> {
    let config = SPEC_CONFIG.replace(r#""unknownSource": "deny""#, r#""unknownSource": "allow""#);
    let mut vm = node(&config, "eu-west", "eu-west-1")?.start()?;
    let mut stream = inbound(&mut vm);
    stream.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
    assert!(stream.local_response().is_none());
    Ok(())
}

#[test]
fn allow_local_regions_refuses_to_serve_eu_data_in_us_east() -> HostResult<()> {
    let mut vm = us_east()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(
        &get("eu-user-data", "/users/1", &[(SOURCE_CLUSTER, "eu-west")]),
        true,
    )?;
    assert_eq!(stream.local_response().map(|r| r.status), Some(403));
    assert!(
        lines_at(stream.vm(), LogLevel::Warn)
            .iter()
            .any(|l| l.contains(r#""reason":"local_region_not_allowed""#))
    );
    Ok(())
}

const LOCAL_ONLY: &str = r#"{
  "regionGroups": { "us": ["us-east-1"] },
  "residency": { "rules": [ { "name": "us-only", "allowLocalRegions": ["us"] } ] }
}"#;

#[test]
fn outbound_does_not_check_where_the_request_will_be_served() -> HostResult<()> {
    let mut vm = node(LOCAL_ONLY, "eu-west", "eu-west-1")?.start()?;
    let mut out = outbound(&mut vm);
    out.request_headers(&get("shop", "/", &[]), true)?;
    assert!(
        out.local_response().is_none(),
        "outbound: allowLocalRegions not checked"
    );
    let mut inside = inbound(&mut vm);
    inside.request_headers(&get("shop", "/", &[]), true)?;
    assert_eq!(
        inside.local_response().map(|r| r.status),
        Some(403),
        "inbound: checked"
    );
    Ok(())
}

#[test]
fn audit_mode_records_the_decision_and_lets_the_request_through() -> HostResult<()> {
    let config = SPEC_CONFIG.replace(r#""mode": "enforce""#, r#""mode": "audit""#);
    let mut vm = node(&config, "us-east", "us-east-1")?.start()?;
    let mut stream = outbound(&mut vm);
    let action = stream.request_headers(
        &get("eu-user-data", "/users/1", &[("x-request-id", "req-7")]),
        true,
    )?;
    assert_eq!(action, Action::Continue);
    assert!(stream.local_response().is_none());
    assert_eq!(
        stream.request_header(SOURCE_CLUSTER),
        Some("us-east"),
        "still tagged"
    );
    stream.finish()?;
    assert!(lines_at(&vm, LogLevel::Warn).is_empty());
    let audit = lines_at(&vm, LogLevel::Info)
        .into_iter()
        .find(|l| l.contains("residency_audit"))
        .expect("an audit line");
    assert_eq!(
        audit,
        r#"{"error":"residency_audit","decision":"audit","reason":"source_region_not_allowed","rule":"eu-user-data","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"us-east","region":"us-east-1","host":"eu-user-data","path":"/users/1","method":"GET","mode":"audit","direction":"outbound","x-request-id":"req-7"}"#
    );
    assert_eq!(decisions(&vm, "eu-user-data", value::AUDIT), 1);
    assert_eq!(decisions(&vm, "eu-user-data", value::DENY), 0);
    Ok(())
}

const TWO_RULES: &str = r#"{
  "regionGroups": { "eu": ["eu-west-1"], "us": ["us-east-1"] },
  "residency": { "mode": "audit", "rules": [
    { "name": "orders", "match": { "hosts": ["*.shop"], "paths": ["/orders/*"], "methods": ["POST"] },
      "allowSourceRegions": ["eu"], "mode": "enforce" },
    { "name": "shop", "match": { "hosts": ["*.shop"] }, "allowSourceRegions": ["eu"] }
  ] }
}"#;

#[test]
fn the_first_matching_rule_decides_and_a_rule_mode_overrides_the_default() -> HostResult<()> {
    let mut vm = node(TWO_RULES, "us-east", "us-east-1")?.start()?;
    let post = [
        (":method", "POST"),
        (":authority", "api.shop"),
        (":path", "/orders/9"),
    ];
    let mut stream = outbound(&mut vm);
    stream.request_headers(&post, true)?;
    assert_eq!(
        stream.local_response().and_then(|r| r.header(DENIED_BY)),
        Some("orders")
    );
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("api.shop", "/orders/9", &[]), true)?;
    assert!(
        stream.local_response().is_none(),
        "GET: only `shop` matches, in audit"
    );
    assert_eq!(decisions(&vm, "orders", value::DENY), 1);
    assert_eq!(decisions(&vm, "shop", value::AUDIT), 1);
    Ok(())
}

#[test]
fn no_matching_rule_allows() -> HostResult<()> {
    let mut vm = us_east()?;
    for (host, path) in [("eu-user-data", "/health"), ("catalog", "/users/1")] {
        let mut stream = outbound(&mut vm);
        stream.request_headers(&get(host, path, &[]), true)?;
        assert!(stream.local_response().is_none(), "{host}{path}");
    }
    Ok(())
}

#[test]
fn hosts_match_ignoring_port_case_and_suffix() -> HostResult<()> {
    let mut vm = us_east()?;
    for host in [
        "EU-USER-DATA:8080",
        "eu-user-data.shop.svc.cluster.local",
        "eu-user-data.",
    ] {
        let mut stream = outbound(&mut vm);
        stream.request_headers(&get(host, "/users/1?x=1", &[]), true)?;
        assert_eq!(
            stream.local_response().map(|r| r.status),
            Some(403),
            "{host}"
        );
    }
    Ok(())
}

#[test]
fn allow_source_clusters_limits_callers_by_cluster() -> HostResult<()> {
    let config = r#"{"residency":{"rules":[{"name":"local","allowSourceClusters":["eu-west"]}]}}"#;
    let mut vm = node(config, "eu-west", "eu-west-1")?.start()?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("any", "/", &[]), true)?;
    assert!(stream.local_response().is_none(), "eu-west itself");
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(&get("any", "/", &[(SOURCE_CLUSTER, "us-east")]), true)?;
    assert_eq!(stream.local_response().map(|r| r.status), Some(403));
    Ok(())
}

#[test]
fn the_decision_line_logs_no_header_values_but_the_request_id() -> HostResult<()> {
    let mut vm = us_east()?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(
        &get(
            "eu-user-data",
            "/users/1?token=secret-query",
            &[
                ("authorization", "Bearer secret-token"),
                ("cookie", "session=secret-cookie"),
                ("x-request-id", "req-42"),
            ],
        ),
        true,
    )?;
    let line = lines_at(stream.vm(), LogLevel::Warn).join("\n");
    assert!(line.contains(r#""x-request-id":"req-42""#), "{line}");
    assert!(line.contains(r#""path":"/users/1""#), "{line}");
    assert!(!line.contains("secret"), "{line}");
    Ok(())
}
