//! L4 metering on real Envoys and a real PostgreSQL: `psql` in eu-central connects
//! through its TCP sidecar over mTLS (a certificate of eu-central's own trust
//! domain) to eu-west's database sidecar, which runs the filter as a network filter.
//! Its queries are answered, and eu-west's `meshborder_xcluster_tcp_bytes_total`
//! (received and sent) equals, to the byte, what tcp_proxy's access log reports for
//! the same connections, and `meshborder_xcluster_tcp_connections_total` moved by
//! the number of connections.

use meshborder_e2e::postgres::{self, Startup};
use meshborder_e2e::tcp::EU_CENTRAL_DB_CLIENT;
use meshborder_filter::contract::value;

use super::tcp_support::{Rig, counted_connections, ended_from_once, settled_counters, sum};

#[test]
fn eu_central_queries_are_answered_and_metered_exactly_as_tcp_proxy_logs_them() {
    let rig = Rig::start("tcp-metering", &[EU_CENTRAL_DB_CLIENT]);
    let client = rig.caller(&EU_CENTRAL_DB_CLIENT);
    let before = counted_connections(&rig.eu_west().prometheus().unwrap(), &EU_CENTRAL_DB_CLIENT);

    // Three connections of different sizes each way.
    let queries = [
        ("eu-central-small", "SELECT 40 + 2", "42".to_owned()),
        (
            "eu-central-wide",
            "SELECT repeat('x', 3000)",
            "x".repeat(3000),
        ),
        (
            "eu-central-long",
            &format!("SELECT length('{}')", "y".repeat(5000)),
            "5000".to_owned(),
        ),
    ];
    for (application, sql, expected) in &queries {
        let answer = postgres::psql(client.listener, application, sql).unwrap();
        assert_eq!(answer.trim(), expected, "{application}");
    }

    let ended = ended_from_once(rig.eu_west(), &EU_CENTRAL_DB_CLIENT, queries.len());
    assert_eq!(ended.len(), queries.len(), "{ended:?}");
    let text = settled_counters(rig.eu_west(), &EU_CENTRAL_DB_CLIENT, &ended);
    let (received, sent) = (sum(&ended, "bytes_received"), sum(&ended, "bytes_sent"));
    assert!(received > 5000 && sent > 3000, "{ended:?}");
    assert_eq!(
        counted_connections(&text, &EU_CENTRAL_DB_CLIENT) - before,
        3,
        "connections_total"
    );
    let per_connection: Vec<String> = ended
        .iter()
        .map(|e| {
            let field = |name| e.number(name).unwrap_or_default();
            format!("{}/{}", field("bytes_received"), field("bytes_sent"))
        })
        .collect();
    eprintln!(
        "eu-central: {} connections (received/sent: {}); counted = logged: \
         direction=\"{}\" {received}, direction=\"{}\" {sent}",
        ended.len(),
        per_connection.join(", "),
        value::RECEIVED,
        value::SENT
    );

    // The database saw each of them whole: authorized, under its own name.
    for (application, _, _) in &queries {
        let connection = rig
            .postgres
            .wait_for_connection(application, |c| {
                c.application.as_deref() == Some(*application) && c.ended
            })
            .unwrap();
        assert_eq!(connection.startup, Startup::Accepted, "{connection:?}");
    }
}
