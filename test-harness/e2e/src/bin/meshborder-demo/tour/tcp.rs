//! Step 9: L4. A database client in eu-central and one in us-east connect through
//! their TCP sidecars, over mTLS with certificates of their own clusters' trust
//! domains, to eu-west's database sidecar, where the filter runs as a network
//! filter. Behind it is PostgreSQL when it is installed (the clients are `psql`),
//! else a plain TCP echo server (the clients are the rig's echo client); the step
//! says which. eu-central is answered and metered to the byte of tcp_proxy's access
//! log; us-east is refused by the rule `eu-database`, counted and logged.

use std::fs;
use std::net::SocketAddr;

use meshborder_e2e::access_log::AccessEntry;
use meshborder_e2e::tcp::{
    self, Answer, DATABASE_RULE, DatabaseKind, EU_CENTRAL_DB_CLIENT, HELLO_SQL, US_EAST_DB_CLIENT,
};
use meshborder_e2e::{filter_log, poll, postgres, topology::Caller};
use meshborder_filter::contract::{label, metric, reply, value};

use super::{Outcome, Target, counter, poll_counter};

const DECISIONS: &str = metric::RESIDENCY_DECISIONS.prometheus;
const BYTES: &str = metric::XCLUSTER_TCP_BYTES.prometheus;
const CONNECTIONS: &str = metric::XCLUSTER_TCP_CONNECTIONS.prometheus;

/// eu-central answered and metered, us-east refused.
pub fn database(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let tcp = &target.tcp;
    match tcp.database {
        DatabaseKind::Postgres => println!(
            "  Behind eu-west's database sidecar: PostgreSQL at {}; the clients are psql.",
            tcp.database_addr
        ),
        DatabaseKind::Echo => println!(
            "  PostgreSQL is not installed (`make setup` installs it), so behind eu-west's \
             database sidecar is a plain TCP echo server at {}; the clients are the rig's \
             echo client.",
            tcp.database_addr
        ),
    }
    let deny = [(label::RULE, DATABASE_RULE), (label::DECISION, value::DENY)];
    let read_denials = || counter(&tcp.admin, DECISIONS, &deny).map(Option::unwrap_or_default);
    let denials_before = read_denials()?;

    println!("  From eu-central (eu-central-1), a certificate of eu-central's trust domain:");
    let application = "eu-central-demo";
    show(tcp.database, tcp.eu_central, application);
    let expected = format!("hello from {application}");
    match tcp.database.ask(tcp.eu_central, application) {
        Ok(Answer::Answered(answer)) => outcome.saw("answer", Some(&answer), &expected),
        Ok(Answer::Closed(how)) => outcome.surprise(&format!("eu-central was refused: {how}")),
        Err(e) => outcome.surprise(&e.to_string()),
    }

    println!("  From us-east (us-east-1), a certificate bound to us-east:");
    let application = "us-east-demo";
    show(tcp.database, tcp.us_east, application);
    match tcp.database.ask(tcp.us_east, application) {
        Ok(Answer::Closed(how)) => println!("  -> refused: {how}"),
        Ok(Answer::Answered(answer)) => {
            outcome.surprise(&format!("us-east was answered: {answer}"));
        }
        Err(e) => outcome.surprise(&e.to_string()),
    }
    let denials = poll_counter(read_denials, denials_before + 1)?;
    outcome.saw(
        &format!("{DECISIONS}{{rule=\"{DATABASE_RULE}\",decision=\"deny\"}} rose by"),
        denials
            .checked_sub(denials_before)
            .map(|n| n.to_string())
            .as_deref(),
        "1",
    );
    let log = fs::read_to_string(&tcp.log).unwrap_or_default();
    let lines = filter_log::json_lines(&log);
    let decided = filter_log::with_field(&lines, reply::RULE, DATABASE_RULE).count();
    let rule = format!(r#""{}":"{DATABASE_RULE}""#, reply::RULE);
    // As the filter wrote it, at the level Envoy logged it.
    let written = log
        .lines()
        .rev()
        .find(|line| line.contains(&rule))
        .and_then(|line| line.get(line.find(": {")? + 2..));
    match written {
        Some(json) if decided > 0 => println!("  -> eu-west-tcp's log (warning): {json}"),
        _ => outcome.surprise("eu-west-tcp logged no decision line"),
    }

    metering(target, outcome)
}

/// eu-central's counters on eu-west-tcp, next to its ended connections in
/// tcp_proxy's access log.
fn metering(target: &Target, outcome: &mut Outcome) -> Result<(), String> {
    let tcp = &target.tcp;
    let caller = EU_CENTRAL_DB_CLIENT;
    let read = |name, labels: &[(&str, &str)]| {
        counter(&tcp.admin, name, labels).map(Option::unwrap_or_default)
    };
    let connections_labels = [
        (label::SOURCE_CLUSTER, caller.cluster),
        (label::DESTINATION_CLUSTER, "eu-west"),
    ];
    // Counted at the connection's first bytes, logged at its end: wait until both
    // say the same number of connections.
    let ended = poll::until("eu-west-tcp's counters and access log to settle", || {
        let ended = ended_from(&tcp.access_log, &caller);
        let counted = read(CONNECTIONS, &connections_labels).map_err(http_error)?;
        let settled = !ended.is_empty() && u64::try_from(ended.len()).ok() == Some(counted);
        Ok(settled.then_some(ended))
    })
    .map_err(|e| e.to_string())?;
    println!(
        "  eu-west-tcp's access log has {} connection(s) from eu-central; its counters:",
        ended.len()
    );
    for (direction, field) in [
        (value::RECEIVED, "bytes_received"),
        (value::SENT, "bytes_sent"),
    ] {
        let logged: u64 = ended.iter().filter_map(|e| e.number(field)).sum();
        let labels = [
            (label::DIRECTION, direction),
            (label::SOURCE_CLUSTER, caller.cluster),
            (label::SOURCE_REGION, caller.region),
            (label::DESTINATION_CLUSTER, "eu-west"),
            (label::DESTINATION_REGION, "eu-west-1"),
        ];
        // The close flushes the counts a moment after the line is written.
        let counted = poll_counter(|| read(BYTES, &labels), logged)?;
        outcome.saw(
            &format!("{direction} bytes: access log {field}={logged}, meshborder"),
            Some(&counted.to_string()),
            &logged.to_string(),
        );
    }
    let refused = ended_from(&tcp.access_log, &US_EAST_DB_CLIENT);
    let sent: u64 = refused.iter().filter_map(|e| e.number("bytes_sent")).sum();
    outcome.saw(
        "bytes sent back to us-east (access log)",
        Some(&sent.to_string()),
        "0",
    );
    Ok(())
}

/// Prints the command the client runs, as one would type it.
fn show(kind: DatabaseKind, through: SocketAddr, application: &str) {
    match kind {
        DatabaseKind::Postgres => println!(
            "$ PGSSLMODE=disable PGAPPNAME={application} psql -h {} -p {} -U {} -d {} -Atc \"{HELLO_SQL}\"",
            through.ip(),
            through.port(),
            postgres::SUPERUSER,
            postgres::DATABASE
        ),
        DatabaseKind::Echo => println!(
            "$ printf 'hello from {application}' | nc -N {} {}    # what the echo client sends",
            through.ip(),
            through.port()
        ),
    }
}

/// The ended connections of `caller` in the TCP access log at `path`.
fn ended_from(path: &std::path::Path, caller: &Caller) -> Vec<AccessEntry> {
    let log = fs::read_to_string(path).unwrap_or_default();
    tcp::ended_connections(&log)
        .into_iter()
        .filter(|entry| entry.get("peer") == Some(caller.cert.spiffe_id()))
        .collect()
}

fn http_error(reason: String) -> meshborder_e2e::HarnessError {
    meshborder_e2e::HarnessError::Http {
        context: "eu-west-tcp's stats".to_owned(),
        reason,
    }
}
