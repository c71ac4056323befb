//! Reading the server's log: one [`Connection`] per client connection, from the
//! lines `log_connections` and `log_disconnections` write. With the rig's
//! `log_line_prefix` (`%m [%p] client=%r `) a line reads
//!
//! ```text
//! 2026-01-01 10:00:00.123 UTC [4242] client=127.0.0.1(40112) LOG:  connection received: host=127.0.0.1 port=40112
//! 2026-01-01 10:00:00.124 UTC [4242] client=127.0.0.1(40112) LOG:  connection authorized: user=postgres database=postgres application_name=psql
//! 2026-01-01 10:00:01.500 UTC [4242] client=127.0.0.1(40112) LOG:  disconnection: [how long it lasted] user=postgres database=postgres host=127.0.0.1 port=40112
//! ```
//!
//! The server forks one process per connection, so the process id in brackets ties
//! the lines of one connection together. A TCP connection that closes before
//! sending anything leaves only its `connection received` line; one that sends part
//! of a startup packet adds `incomplete startup packet`.

use std::net::{IpAddr, SocketAddr};

/// How far a connection got with its startup packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Startup {
    /// No startup packet was seen (yet): the TCP connection arrived, nothing more.
    None,
    /// Part of one arrived, and the connection closed.
    Incomplete,
    /// A whole one arrived and the connection was authorized.
    Accepted,
}

/// One client connection as the server's log tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The server process that served it.
    pub pid: u32,
    /// Where it came from (through Envoy: Envoy's upstream connection).
    pub client: Option<SocketAddr>,
    /// How far its startup packet got.
    pub startup: Startup,
    /// The user of its startup packet.
    pub user: Option<String>,
    /// The database of its startup packet.
    pub database: Option<String>,
    /// The application name of its startup packet.
    pub application: Option<String>,
    /// Whether its end was logged (`disconnection: ...`).
    pub ended: bool,
    /// Its `FATAL` and `ERROR` messages.
    pub errors: Vec<String>,
}

impl Connection {
    fn new(pid: u32) -> Self {
        Self {
            pid,
            client: None,
            startup: Startup::None,
            user: None,
            database: None,
            application: None,
            ended: false,
            errors: Vec::new(),
        }
    }
}

/// Every client connection in `log`, in the order they arrived.
pub fn parse(log: &str) -> Vec<Connection> {
    let mut connections: Vec<Connection> = Vec::new();
    for line in log.lines() {
        let Some((pid, level, message)) = split_line(line) else {
            continue;
        };
        if let Some(rest) = message.strip_prefix("connection received: ") {
            // A process id is reused only after its connection ended; a new
            // `connection received` always starts a new connection.
            let mut connection = Connection::new(pid);
            connection.client = client_addr(rest);
            connections.push(connection);
            continue;
        }
        let Some(connection) = connections.iter_mut().rev().find(|c| c.pid == pid) else {
            continue;
        };
        if let Some(rest) = message.strip_prefix("connection authorized: ") {
            connection.startup = Startup::Accepted;
            connection.user = field(rest, "user");
            connection.database = field(rest, "database");
            connection.application = field(rest, "application_name");
        } else if message.starts_with("incomplete startup packet") {
            connection.startup = Startup::Incomplete;
        } else if message.starts_with("disconnection: ") {
            connection.ended = true;
        } else if matches!(level, "FATAL" | "ERROR") {
            connection.errors.push(message.to_owned());
        }
    }
    connections
}

/// `(process id, level, message)` of a line the server wrote with the rig's prefix.
fn split_line(line: &str) -> Option<(u32, &str, &str)> {
    let (_, after_open) = line.split_once(" [")?;
    let (pid, rest) = after_open.split_once(']')?;
    let pid = pid.parse().ok()?;
    // `client=... LEVEL:  message`: the level is the last word before `:  `.
    let (head, message) = rest.split_once(":  ")?;
    let level = head.rsplit(' ').next()?;
    Some((pid, level, message.trim_end()))
}

/// The address in `host=<ip> port=<port>`.
fn client_addr(text: &str) -> Option<SocketAddr> {
    let ip: IpAddr = field(text, "host")?.parse().ok()?;
    let port = field(text, "port")?.parse().ok()?;
    Some(SocketAddr::new(ip, port))
}

/// The value of `name=value` in a space-separated list of fields. The last field
/// (`application_name`) may contain spaces: it runs to the end of the text.
fn field(text: &str, name: &str) -> Option<String> {
    let prefix = format!("{name}=");
    let start = text
        .match_indices(&prefix)
        .find(|(at, _)| *at == 0 || text.get(at - 1..*at) == Some(" "))
        .map(|(at, _)| at + prefix.len())?;
    let value = text.get(start..)?;
    let value = if name == "application_name" {
        value
    } else {
        value.split(' ').next().unwrap_or_default()
    };
    Some(value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
2026-12-01 12:35:21.571 UTC [1508] client= LOG:  starting PostgreSQL 15.18 (Debian 15.18-0+deb12u1)
2026-12-01 12:35:21.621 UTC [1508] client= LOG:  database system is ready to accept connections
2026-12-01 12:35:23.111 UTC [1727] client=127.0.0.1(37026) LOG:  connection received: host=127.0.0.1 port=37026
2026-12-01 12:35:23.112 UTC [1727] client=127.0.0.1(37026) LOG:  connection authorized: user=postgres database=postgres application_name=rig steady
2026-12-01 12:35:23.113 UTC [1730] client=127.0.0.1(37028) LOG:  connection received: host=127.0.0.1 port=37028
2026-12-01 12:35:23.113 UTC [1731] client=127.0.0.1(37036) LOG:  connection received: host=127.0.0.1 port=37036
2026-12-01 12:35:23.114 UTC [1731] client=127.0.0.1(37036) LOG:  incomplete startup packet
2026-12-01 12:35:23.115 UTC [1727] client=127.0.0.1(37026) LOG:  disconnection: [0:00:00.004] user=postgres database=postgres host=127.0.0.1 port=37026
2026-12-01 12:35:24.000 UTC [1740] client=127.0.0.1(37040) LOG:  connection received: host=127.0.0.1 port=37040
2026-12-01 12:35:24.001 UTC [1740] client=127.0.0.1(37040) FATAL:  database \"nope\" does not exist
";

    #[test]
    fn tells_each_connection_by_its_server_process() {
        let connections = parse(LOG);
        assert_eq!(connections.len(), 4, "{connections:#?}");
        let authorized = &connections[0];
        assert_eq!(authorized.pid, 1727);
        assert_eq!(authorized.client, Some("127.0.0.1:37026".parse().unwrap()));
        assert_eq!(authorized.startup, Startup::Accepted);
        assert_eq!(authorized.user.as_deref(), Some("postgres"));
        assert_eq!(authorized.database.as_deref(), Some("postgres"));
        assert_eq!(authorized.application.as_deref(), Some("rig steady"));
        assert!(authorized.ended);

        let silent = &connections[1];
        assert_eq!(silent.client, Some("127.0.0.1:37028".parse().unwrap()));
        assert_eq!(silent.startup, Startup::None);
        assert!(!silent.ended);

        assert_eq!(connections[2].startup, Startup::Incomplete);
        assert_eq!(
            connections[3].errors,
            ["database \"nope\" does not exist".to_owned()]
        );
    }

    #[test]
    fn a_reused_process_id_starts_a_new_connection() {
        let log = "\
t UTC [7] client=127.0.0.1(1) LOG:  connection received: host=127.0.0.1 port=1
t UTC [7] client=127.0.0.1(1) LOG:  disconnection: [0:00:00.001] user=postgres database=postgres host=127.0.0.1 port=1
t UTC [7] client=127.0.0.1(2) LOG:  connection received: host=127.0.0.1 port=2
";
        let connections = parse(log);
        assert_eq!(connections.len(), 2);
        assert!(connections[0].ended);
        assert!(!connections[1].ended);
        assert_eq!(connections[1].client.map(|a| a.port()), Some(2));
    }

    #[test]
    fn ignores_lines_without_the_prefix() {
        assert!(parse("DETAIL:  something\n\tcontinued\n").is_empty());
    }
}
