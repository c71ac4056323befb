//! The real filter as a network filter (`"layer": "tcp"`) under the wasm host, with
//! eu-west's shipped TCP configuration: the decision on the caller's first bytes,
//! a denied connection closed with its bytes held, byte counters moved by the timer
//! while a connection is open and equal to what passed at the end, and a
//! configuration of the other layer refused instead of trapping.

use std::time::Duration;

use meshborder_e2e::host::Counters;
use meshborder_e2e::paths::config_dir;
use meshborder_filter::contract::{label, metric, value};
use proxy_wasm_host::{Action, Direction, HostResult, LogLevel, PeerType, Vm};

use super::fixtures::{INBOUND, get, lines_at, node};

const TCP_BYTES: &str = metric::XCLUSTER_TCP_BYTES.prometheus;
const TCP_CONNECTIONS: &str = metric::XCLUSTER_TCP_CONNECTIONS.prometheus;
const DECISIONS: &str = metric::RESIDENCY_DECISIONS.prometheus;
const EU_CENTRAL_SAN: &str = "spiffe://eu-central.mesh.example/ns/db/sa/replica";
const US_EAST_SAN: &str = "spiffe://us-east.mesh.example/ns/db/sa/replica";
/// The PostgreSQL port the shipped rule keeps in the EU.
const DATABASE_PORT: u64 = 5432;

fn shipped_tcp_config() -> String {
    std::fs::read_to_string(config_dir().join("eu-west-tcp-plugin.json")).unwrap_or_default()
}

fn eu_west() -> HostResult<Vm> {
    node(&shipped_tcp_config(), "eu-west", "eu-west-1")?.start()
}

fn tcp_bytes(vm: &Vm, direction: &str) -> u64 {
    vm.counter(
        TCP_BYTES,
        &[
            (label::DIRECTION, direction),
            (label::SOURCE_CLUSTER, "eu-central"),
            (label::SOURCE_REGION, "eu-central-1"),
            (label::DESTINATION_CLUSTER, "eu-west"),
            (label::DESTINATION_REGION, "eu-west-1"),
        ],
    )
}

#[test]
fn an_eu_replica_reaches_the_database_and_its_bytes_are_counted_exactly() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut connection = vm
        .tcp_stream()
        .property(["xds", "listener_direction"], INBOUND)
        .property(["destination", "port"], DATABASE_PORT)
        .connection_mtls(EU_CENTRAL_SAN);
    assert_eq!(connection.new_connection()?, Action::Continue);
    assert_eq!(
        connection.downstream_data(&[7; 300], false)?,
        Action::Continue
    );
    assert_eq!(
        connection.upstream_data(&[8; 1200], false)?,
        Action::Continue
    );
    assert_eq!(
        connection.downstream_data(&[9; 45], false)?,
        Action::Continue
    );
    assert_eq!(connection.passed(Direction::Downstream).len(), 345);
    connection.downstream_close(PeerType::Remote)?;
    connection.finish()?;

    assert_eq!(tcp_bytes(&vm, value::RECEIVED), 345);
    assert_eq!(tcp_bytes(&vm, value::SENT), 1200);
    let pair = [
        (label::SOURCE_CLUSTER, "eu-central"),
        (label::DESTINATION_CLUSTER, "eu-west"),
    ];
    assert_eq!(vm.counter(TCP_CONNECTIONS, &pair), 1);
    Ok(())
}

#[test]
fn a_us_caller_on_the_database_port_is_closed_and_no_byte_passes() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut connection = vm
        .tcp_stream()
        .property(["xds", "listener_direction"], INBOUND)
        .property(["destination", "port"], DATABASE_PORT)
        .connection_mtls(US_EAST_SAN);
    connection.new_connection()?;
    assert_eq!(
        connection.downstream_data(b"startup packet", false)?,
        Action::Pause
    );
    assert!(connection.close_requested());
    assert!(connection.passed(Direction::Downstream).is_empty());
    connection.downstream_close(PeerType::Local)?;
    connection.finish()?;

    let denied = [(label::RULE, "eu-database"), (label::DECISION, value::DENY)];
    assert_eq!(vm.counter(DECISIONS, &denied), 1);
    let warned = lines_at(&vm, LogLevel::Warn);
    assert_eq!(
        warned,
        [
            r#"{"error":"residency_denied","decision":"deny","reason":"source_region_not_allowed","rule":"eu-database","sourceCluster":"us-east","sourceRegion":"us-east-1","cluster":"eu-west","region":"eu-west-1","port":5432,"mode":"enforce","direction":"inbound"}"#
        ]
    );
    Ok(())
}

#[test]
fn an_open_connections_bytes_reach_the_counters_on_the_timer_before_it_closes() -> HostResult<()> {
    let mut vm = eu_west()?;
    assert_eq!(vm.tick_period(), Some(Duration::from_secs(5)));
    let mut connection = vm
        .tcp_stream()
        .property(["xds", "listener_direction"], INBOUND)
        .property(["destination", "port"], DATABASE_PORT)
        .connection_mtls(EU_CENTRAL_SAN);
    connection.new_connection()?;
    connection.downstream_data(&[1; 500], false)?;
    assert_eq!(
        tcp_bytes(connection.vm(), value::RECEIVED),
        0,
        "not flushed yet"
    );
    connection.advance_clock(Duration::from_secs(5))?;
    assert_eq!(
        tcp_bytes(connection.vm(), value::RECEIVED),
        500,
        "flushed by the timer"
    );
    connection.downstream_data(&[1; 20], false)?;
    connection.downstream_close(PeerType::Remote)?;
    connection.finish()?;
    assert_eq!(
        tcp_bytes(&vm, value::RECEIVED),
        520,
        "and the rest at the close"
    );
    Ok(())
}

#[test]
fn a_tcp_configuration_run_as_an_http_filter_answers_503_and_says_why_once() -> HostResult<()> {
    let mut vm = eu_west()?;
    for _ in 0..3 {
        let mut stream = vm.http_stream();
        stream.request_headers(&get("db", "/", &[]), true)?;
        assert_eq!(stream.local_response().map(|reply| reply.status), Some(503));
        stream.finish()?;
    }
    let errors = lines_at(&vm, LogLevel::Error);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors.iter().all(|line| line.contains("as an HTTP filter")),
        "{errors:#?}"
    );
    Ok(())
}

#[test]
fn an_http_configuration_run_as_a_network_filter_closes_the_connection_and_says_why()
-> HostResult<()> {
    let mut vm = node("{}", "eu-west", "eu-west-1")?.start()?;
    let mut connection = vm.tcp_stream();
    assert_eq!(connection.new_connection()?, Action::Pause);
    assert!(connection.close_requested());
    connection.downstream_close(PeerType::Local)?;
    connection.finish()?;
    let errors = lines_at(&vm, LogLevel::Error);
    assert!(
        errors.len() == 1
            && errors
                .iter()
                .all(|line| line.contains("as a network filter")),
        "{errors:#?}"
    );
    Ok(())
}
