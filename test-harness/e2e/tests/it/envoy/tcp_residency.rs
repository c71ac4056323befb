//! L4 residency on real Envoys and a real PostgreSQL: eu-west's shipped rule
//! `eu-database` keeps port 5432 in the EU. `psql` in us-east, whose certificate
//! binds it to us-east, is refused: the server closes its connection. The decision
//! is counted (`meshborder_residency_decisions_total{rule,decision="deny"}`) and
//! logged as one JSON line with the connection's port, and not one byte of the
//! connection reaches PostgreSQL: the server's log shows the TCP connection that
//! tcp_proxy opened (matched by the upstream address in the access log) and no
//! startup packet on it.

use meshborder_e2e::filter_log;
use meshborder_e2e::postgres::{self, Startup};
use meshborder_e2e::tcp::{DATABASE_PORT, DATABASE_RULE, US_EAST_DB_CLIENT};
use meshborder_e2e::topology::{EU_WEST_CLUSTER, EU_WEST_REGION};
use meshborder_e2e::{poll, prometheus};
use meshborder_filter::contract::{label, log_line, metric, reply, value};

use super::tcp_support::{
    Rig, SERVER_CLOSED, counted_connections, ended_from_once, postgres_connection_from,
};

const DECISIONS: &str = metric::RESIDENCY_DECISIONS.prometheus;
const APPLICATION: &str = "us-east-refused";

#[test]
fn us_east_is_refused_counted_and_logged_and_not_one_byte_reaches_postgres() {
    let rig = Rig::start("tcp-residency", &[US_EAST_DB_CLIENT]);
    let client = rig.caller(&US_EAST_DB_CLIENT);

    let refused = postgres::psql(client.listener, APPLICATION, "SELECT 1").unwrap_err();
    assert!(refused.to_string().contains(SERVER_CLOSED), "{refused}");

    let deny = [(label::RULE, DATABASE_RULE), (label::DECISION, value::DENY)];
    let text = poll::until("the deny to be counted", || {
        let text = rig.eu_west().prometheus()?;
        Ok((prometheus::value(&text, DECISIONS, &deny) == Some(1)).then_some(text))
    })
    .unwrap();
    assert_eq!(counted_connections(&text, &US_EAST_DB_CLIENT), 0, "metered");

    let lines = filter_log::json_lines(&rig.eu_west().log());
    let decisions: Vec<_> = filter_log::with_field(&lines, reply::RULE, DATABASE_RULE).collect();
    assert_eq!(decisions.len(), 1, "{lines:?}");
    let line = decisions[0];
    assert_eq!(line.level, "warning", "{line:?}");
    let json = &line.json;
    assert_eq!(json[reply::ERROR], reply::RESIDENCY_DENIED, "{json}");
    assert_eq!(json[label::DECISION], value::DENY, "{json}");
    assert_eq!(
        json[reply::SOURCE_CLUSTER],
        US_EAST_DB_CLIENT.cluster,
        "{json}"
    );
    assert_eq!(
        json[reply::SOURCE_REGION],
        US_EAST_DB_CLIENT.region,
        "{json}"
    );
    assert_eq!(json[reply::CLUSTER], EU_WEST_CLUSTER, "{json}");
    assert_eq!(json[reply::REGION], EU_WEST_REGION, "{json}");
    assert_eq!(json[log_line::PORT], DATABASE_PORT, "{json}");
    assert_eq!(json[log_line::MODE], "enforce", "{json}");
    for absent in [
        log_line::HOST,
        log_line::PATH,
        log_line::METHOD,
        log_line::SNI,
    ] {
        assert!(json.get(absent).is_none(), "{absent} in {json}");
    }

    // Envoy read psql's startup packet and sent nothing back.
    let ended = ended_from_once(rig.eu_west(), &US_EAST_DB_CLIENT, 1);
    assert_eq!(ended.len(), 1, "{ended:?}");
    let entry = &ended[0];
    assert!(entry.number("bytes_received").unwrap() > 0, "{entry:?}");
    assert_eq!(entry.number("bytes_sent"), Some(0), "{entry:?}");
    // PostgreSQL saw tcp_proxy's TCP connection, and not one byte on it.
    let upstream_local = entry.get("upstream_local").unwrap();
    let connection = postgres_connection_from(&rig.postgres, upstream_local);
    assert_eq!(connection.startup, Startup::None, "{connection:?}");
    assert_eq!(connection.user, None, "{connection:?}");
    assert!(
        rig.postgres
            .connections()
            .iter()
            .all(|c| c.application.as_deref() != Some(APPLICATION)),
        "{:?}",
        rig.postgres.connections()
    );
    eprintln!(
        "us-east refused: access log bytes_received={} bytes_sent=0; PostgreSQL logged {connection:?}",
        entry.number("bytes_received").unwrap()
    );
}
