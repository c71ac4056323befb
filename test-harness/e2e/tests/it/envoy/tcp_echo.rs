//! The demo's stand-in for PostgreSQL, through the same TCP pair: a plain TCP echo
//! server behind eu-west's database sidecar, asked by the rig's echo client. The
//! filter knows nothing of the protocol, so the rule `eu-database` holds as it
//! does for PostgreSQL: eu-central's line comes back whole and is metered to the
//! byte of tcp_proxy's access log, and us-east's connection is closed with nothing
//! sent back.

use meshborder_e2e::mesh::TcpPair;
use meshborder_e2e::ports::{LOOPBACK, TcpPorts};
use meshborder_e2e::tcp::{Answer, Database, EU_CENTRAL_DB_CLIENT, US_EAST_DB_CLIENT};

use super::tcp_support::{ended_from_once, run, settled_counters};

#[test]
fn the_echo_stand_in_is_allowed_from_eu_central_metered_and_refused_from_us_east() {
    let (run_dir, _pki, files) = run("tcp-echo");
    let database = Database::echo().unwrap();
    let callers = [US_EAST_DB_CLIENT, EU_CENTRAL_DB_CLIENT];
    let pair = TcpPair::start(
        LOOPBACK,
        &TcpPorts::EPHEMERAL,
        database.addr(),
        &callers,
        &files,
        &run_dir,
    )
    .unwrap();
    let eu_central = pair.caller(&EU_CENTRAL_DB_CLIENT).unwrap();
    let us_east = pair.caller(&US_EAST_DB_CLIENT).unwrap();

    let answer = database
        .ask(eu_central.listener, "eu-central-echo")
        .unwrap();
    assert_eq!(
        answer,
        Answer::Answered("hello from eu-central-echo".to_owned())
    );
    let refused = database.ask(us_east.listener, "us-east-echo").unwrap();
    assert!(
        matches!(&refused, Answer::Closed(how) if how.contains("after 0 of")),
        "{refused:?}"
    );

    let envoy = &pair.eu_west.envoy;
    let ended = ended_from_once(envoy, &EU_CENTRAL_DB_CLIENT, 1);
    settled_counters(envoy, &EU_CENTRAL_DB_CLIENT, &ended);
    let line = "hello from eu-central-echo".len();
    assert_eq!(ended[0].number("bytes_received"), Some(line as u64));
    assert_eq!(ended[0].number("bytes_sent"), Some(line as u64));
    let denied = ended_from_once(envoy, &US_EAST_DB_CLIENT, 1);
    assert_eq!(denied[0].number("bytes_sent"), Some(0), "{denied:?}");
}
