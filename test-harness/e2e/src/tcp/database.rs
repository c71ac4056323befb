//! What sits behind eu-west's TCP sidecar in the demo: PostgreSQL where it is
//! installed ([`crate::postgres`]), else a plain TCP echo server ([`super::echo`]),
//! so the tour runs everywhere and says which it used. Only a missing PostgreSQL
//! falls back; one that is installed and fails to start is an error. The tests
//! always use PostgreSQL, and fail when it is missing.

use std::net::SocketAddr;
use std::path::Path;

use super::echo::{self, EchoServer};
use crate::error::{HarnessError, Result};
use crate::ports::LOOPBACK;
use crate::postgres::{self, Postgres};

/// The query `psql` asks: it answers with the connection's application name.
pub const HELLO_SQL: &str = "SELECT 'hello from ' || current_setting('application_name')";

/// What one connection got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The server answered: `psql`'s output, or the echoed line.
    Answered(String),
    /// The connection was closed before an answer: what the client made of it.
    Closed(String),
}

/// Which server it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// A real PostgreSQL, asked with `psql`.
    Postgres,
    /// A plain TCP echo server, asked with the rig's echo client.
    Echo,
}

impl DatabaseKind {
    /// The server, for a sentence.
    pub fn server(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Echo => "a plain TCP echo server",
        }
    }

    /// The client, for a sentence.
    pub fn client(self) -> &'static str {
        match self {
            Self::Postgres => "psql",
            Self::Echo => "a plain TCP echo client",
        }
    }

    /// Asks a server of this kind one thing over one connection to `through` (the
    /// server itself, or a sidecar in front of it) as `application`: `psql` runs a
    /// query that answers with the application name; the echo client sends a line
    /// and must get it back whole. A connection the proxy closed is
    /// [`Answer::Closed`]; any other failure is an error.
    pub fn ask(self, through: SocketAddr, application: &str) -> Result<Answer> {
        match self {
            Self::Postgres => match postgres::psql(through, application, HELLO_SQL) {
                Ok(answer) => Ok(Answer::Answered(answer.trim().to_owned())),
                Err(e) if e.to_string().contains(postgres::SERVER_CLOSED) => {
                    Ok(Answer::Closed(postgres::SERVER_CLOSED.to_owned()))
                }
                Err(e) => Err(e),
            },
            Self::Echo => {
                let line = format!("hello from {application}");
                let back = echo::exchange(through, line.as_bytes())?;
                Ok(if back == line.as_bytes() {
                    Answer::Answered(line)
                } else {
                    Answer::Closed(format!(
                        "the connection was closed after {} of {} bytes came back",
                        back.len(),
                        line.len()
                    ))
                })
            }
        }
    }
}

/// The running server.
#[derive(Debug)]
pub enum Database {
    /// PostgreSQL in the run's directory.
    Postgres(Postgres),
    /// The echo server.
    Echo(EchoServer),
}

impl Database {
    /// PostgreSQL in `run_dir` when it is installed, else an echo server on
    /// loopback.
    pub fn start(run_dir: &Path) -> Result<Self> {
        match postgres::binaries() {
            Ok(_) => Postgres::start(run_dir).map(Self::Postgres),
            Err(HarnessError::Missing { .. }) => Self::echo(),
            Err(e) => Err(e),
        }
    }

    /// An echo server on loopback, whatever is installed.
    pub fn echo() -> Result<Self> {
        EchoServer::start(SocketAddr::new(LOOPBACK, 0)).map(Self::Echo)
    }

    /// Which server it is.
    pub fn kind(&self) -> DatabaseKind {
        match self {
            Self::Postgres(_) => DatabaseKind::Postgres,
            Self::Echo(_) => DatabaseKind::Echo,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Self::Postgres(server) => server.addr(),
            Self::Echo(server) => server.addr(),
        }
    }

    /// The PostgreSQL server, if that is what it is.
    pub fn postgres(&self) -> Option<&Postgres> {
        match self {
            Self::Postgres(server) => Some(server),
            Self::Echo(_) => None,
        }
    }

    /// Asks it one thing over one connection to `through`: [`DatabaseKind::ask`].
    pub fn ask(&self, through: SocketAddr, application: &str) -> Result<Answer> {
        self.kind().ask(through, application)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_echo_stand_in_answers_with_what_it_was_sent() {
        let database = Database::echo().unwrap();
        assert_eq!(database.kind(), DatabaseKind::Echo);
        assert!(database.postgres().is_none());
        let answer = database.ask(database.addr(), "rig-echo").unwrap();
        assert_eq!(answer, Answer::Answered("hello from rig-echo".to_owned()));
    }
}
