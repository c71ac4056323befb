//! A real PostgreSQL server for the L4 runs: a throwaway cluster in a run's
//! directory, listening on loopback on a free port, stopped when dropped.
//!
//! Why a real database, and not an echo app: at L4 the filter's promise is about
//! what reaches the upstream. A denied connection must be closed before any of its
//! bytes get there, and an allowed one is metered to the byte. The only honest
//! witness of that is the upstream itself, speaking a real protocol. PostgreSQL is
//! client-speaks-first (the client sends the startup packet, the server answers),
//! like the database replication meshborder meters, and with `log_connections`
//! its log says, for every connection:
//!
//! - that a TCP connection arrived, and from which address and port
//!   (`connection received: host=127.0.0.1 port=40112`): through Envoy, that is
//!   the address of Envoy's upstream connection, `%UPSTREAM_LOCAL_ADDRESS%` in the
//!   TCP access log, so a test can match the two;
//! - whether the client's startup packet arrived (`connection authorized: user=...
//!   database=... application_name=...`), or only part of it (`incomplete startup
//!   packet`). A connection the filter denied shows neither: at most the TCP
//!   connection that `tcp_proxy` opened as the downstream one was accepted, and no
//!   startup packet (see docs/tcp.md for why the TCP connection itself may arrive);
//! - when it ended (`disconnection: ...`, with how long it lasted).
//!
//! [`log::parse`] turns those lines into one [`Connection`] per server process. The
//! clients are [`psql`] (one query) and [`SteadyConnection`] (one long-lived
//! connection that sends a small query at a steady pace), both the real `psql`.
//!
//! PostgreSQL refuses to run as root. When the rig runs as root (CI, containers),
//! the server runs as the `postgres` user that Debian's package creates, through
//! `setpriv` (util-linux), which execs the server itself, so the process the rig
//! holds is the postmaster and stopping it is a plain signal. Its data directory is
//! handed to that user. A missing PostgreSQL is an error that names the command
//! installing it, so an L4 test fails loudly instead of skipping.

mod client;
pub mod log;

use std::env;
use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub use client::{SteadyConnection, SteadyOutcome, psql};
pub use log::{Connection, Startup};

use crate::error::{HarnessError, Result};
use crate::paths;
use crate::poll;
use crate::ports::LOOPBACK;

/// Environment variable naming a directory holding `initdb`, `postgres` and `psql`,
/// for a PostgreSQL that is neither Debian's nor on `PATH`.
pub const POSTGRES_BIN_ENV: &str = "MESHBORDER_POSTGRES_BIN";
/// What to run when PostgreSQL is missing.
pub const INSTALL_HINT: &str = "run `make setup` as root (it installs Debian's `postgresql` package), \
     or `sudo apt-get install postgresql`";
/// What `psql` says when the other side closes its connection before answering
/// (a proxy that refused it, say).
pub const SERVER_CLOSED: &str = "server closed the connection unexpectedly";
/// The superuser `initdb` creates, and the user every client logs in as.
pub const SUPERUSER: &str = "postgres";
/// The database every client connects to.
pub const DATABASE: &str = "postgres";
/// The user a server started by root runs as (Debian's package creates it).
pub const SERVICE_USER: &str = "postgres";
/// How long the server may take to accept connections.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may take to stop after a fast-shutdown request.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// The log line of a server that accepts connections.
const READY_LINE: &str = "database system is ready to accept connections";
/// How often to try another port when the one picked was taken in between.
const PORT_ATTEMPTS: usize = 3;

/// Where PostgreSQL's programs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The directory holding `initdb`, `postgres` and `psql`.
    pub dir: PathBuf,
}

impl Binaries {
    /// `initdb`.
    pub fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }

    /// The server, `postgres`.
    pub fn postgres(&self) -> PathBuf {
        self.dir.join("postgres")
    }

    /// The client, `psql` (the one of the server's version, not Debian's wrapper).
    pub fn psql(&self) -> PathBuf {
        self.dir.join("psql")
    }
}

/// PostgreSQL's programs: `$MESHBORDER_POSTGRES_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian), else the first directory on `PATH`
/// that has all three. Missing: [`HarnessError::Missing`] with [`INSTALL_HINT`].
pub fn binaries() -> Result<Binaries> {
    let mut candidates = Vec::new();
    if let Some(dir) = env::var_os(POSTGRES_BIN_ENV) {
        candidates.push(PathBuf::from(dir));
    }
    candidates.extend(debian_bin_dirs(Path::new("/usr/lib/postgresql")));
    if let Some(path) = env::var_os("PATH") {
        candidates.extend(env::split_paths(&path));
    }
    find_binaries(&candidates)
}

/// The first of `candidates` that holds `initdb`, `postgres` and `psql`.
pub fn find_binaries(candidates: &[PathBuf]) -> Result<Binaries> {
    candidates
        .iter()
        .map(|dir| Binaries { dir: dir.clone() })
        .find(|bins| {
            [bins.initdb(), bins.postgres(), bins.psql()]
                .iter()
                .all(|p| p.is_file())
        })
        .ok_or_else(|| HarnessError::Missing {
            what: "PostgreSQL (`initdb`, `postgres` and `psql`, as in Debian's \
                   /usr/lib/postgresql/<version>/bin)"
                .to_owned(),
            hint: INSTALL_HINT.to_owned(),
        })
}

/// `<root>/<version>/bin` for every version under `root`, newest first.
fn debian_bin_dirs(root: &Path) -> Vec<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// Who the server runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunAs {
    /// This process's user (not root).
    Myself,
    /// Root hands over to this uid and gid.
    Service { uid: u32, gid: u32 },
}

impl RunAs {
    fn find() -> Result<Self> {
        if current_uid()? != 0 {
            return Ok(Self::Myself);
        }
        let passwd = fs::read_to_string("/etc/passwd")
            .map_err(|e| HarnessError::io("reading `/etc/passwd`", e))?;
        let (uid, gid) =
            passwd_ids(&passwd, SERVICE_USER).ok_or_else(|| HarnessError::Missing {
                what: format!(
                    "the `{SERVICE_USER}` user to run PostgreSQL as (it refuses to run as root)"
                ),
                hint: INSTALL_HINT.to_owned(),
            })?;
        if which("setpriv").is_none() {
            return Err(HarnessError::Missing {
                what: "`setpriv`, to run PostgreSQL as an unprivileged user".to_owned(),
                hint: "install util-linux (`sudo apt-get install util-linux`)".to_owned(),
            });
        }
        Ok(Self::Service { uid, gid })
    }

    /// A command running `program` as this user.
    fn command(self, program: &Path) -> Command {
        match self {
            Self::Myself => Command::new(program),
            Self::Service { uid, gid } => {
                let mut command = Command::new("setpriv");
                command
                    .arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg("--")
                    .arg(program);
                command
            }
        }
    }

    /// Hands `dir` to this user.
    fn own(self, dir: &Path) -> Result<()> {
        if let Self::Service { uid, gid } = self {
            chown(dir, Some(uid), Some(gid)).map_err(|e| {
                HarnessError::io(
                    format!("handing `{}` to `{SERVICE_USER}`", dir.display()),
                    e,
                )
            })?;
        }
        Ok(())
    }
}

/// The real user id of this process.
fn current_uid() -> Result<u32> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| HarnessError::io("running `id -u`", e))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|e| HarnessError::io("reading `id -u`", std::io::Error::other(format!("{e}"))))
}

/// The uid and gid of `user` in an `/etc/passwd` text.
fn passwd_ids(passwd: &str, user: &str) -> Option<(u32, u32)> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == user).then_some(())?;
        let _password = fields.next()?;
        Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
    })
}

fn which(program: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
}

/// A running PostgreSQL server.
#[derive(Debug)]
pub struct Postgres {
    child: Child,
    addr: SocketAddr,
    bins: Binaries,
    dir: PathBuf,
    log: PathBuf,
}

impl Postgres {
    /// Creates a cluster in `run_dir/postgres/` (trust authentication, as its only
    /// clients are the rig's, on loopback) and starts it on `127.0.0.1` and a free
    /// port, logging every connection to `run_dir/postgres/postgres.log`; returns
    /// once it accepts connections.
    pub fn start(run_dir: &Path) -> Result<Self> {
        let bins = binaries()?;
        let run_as = RunAs::find()?;
        let dir = run_dir.join("postgres");
        paths::fresh_dir(&dir)?;
        run_as.own(&dir)?;
        let data = dir.join("data");
        init_cluster(&bins, run_as, &data, &dir.join("initdb.log"))?;
        let log = dir.join("postgres.log");
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            match launch(&bins, run_as, &data, port, &log) {
                Ok(child) => {
                    return Ok(Self {
                        child,
                        addr: SocketAddr::new(LOOPBACK, port),
                        bins,
                        dir,
                        log,
                    });
                }
                // Another process took the port between our probe and the bind.
                Err(e) if fs::read_to_string(&log).is_ok_and(|l| l.contains("could not bind")) => {
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| start_error("no port to listen on", &log)))
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its programs (the client `psql` of the same version among them).
    pub fn binaries(&self) -> &Binaries {
        &self.bins
    }

    /// Its directory in the run (`data/`, `postgres.log`, `initdb.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of its log.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Its log, as written so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Every client connection its log shows so far, in the order they arrived.
    pub fn connections(&self) -> Vec<Connection> {
        log::parse(&self.log())
    }

    /// Waits (see [`poll::until`]) until the log shows a connection for which
    /// `matches` holds, and returns it; `what` names it in the timeout error.
    pub fn wait_for_connection(
        &self,
        what: &str,
        matches: impl Fn(&Connection) -> bool,
    ) -> Result<Connection> {
        poll::until(what, || Ok(self.connections().into_iter().find(&matches)))
    }

    /// Runs `sql` with `psql` straight against the server (not through Envoy).
    pub fn query(&self, application: &str, sql: &str) -> Result<String> {
        psql(self.addr, application, sql)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Fast shutdown (SIGINT): clients are disconnected, the log is complete.
        drop(
            Command::new("kill")
                .args(["-INT", &self.child.id().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status(),
        );
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            thread::sleep(POLL_INTERVAL);
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            drop(self.child.kill());
            drop(self.child.wait());
        }
    }
}

/// `initdb` into `data`, its output in `log`.
fn init_cluster(bins: &Binaries, run_as: RunAs, data: &Path, log: &Path) -> Result<()> {
    let out = create(log)?;
    let err = out
        .try_clone()
        .map_err(|e| HarnessError::io(format!("opening `{}`", log.display()), e))?;
    let status = run_as
        .command(&bins.initdb())
        .arg("--pgdata")
        .arg(data)
        .args(["--auth=trust", "--username", SUPERUSER])
        .args([
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| HarnessError::io(format!("running `{}`", bins.initdb().display()), e))?;
    if status.success() {
        Ok(())
    } else {
        Err(start_error(&format!("`initdb` exited with {status}"), log))
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> Result<u16> {
    let addr = SocketAddr::new(LOOPBACK, 0);
    let listener = TcpListener::bind(addr).map_err(|e| crate::ports::bind_error(addr, e))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| HarnessError::io("reading a free port", e))
}

/// The server's settings: loopback TCP only, every connection logged with its
/// client address and port, and nothing kept that a throwaway cluster does not need.
fn settings(port: u16) -> Vec<String> {
    [
        ("listen_addresses", LOOPBACK.to_string()),
        ("port", port.to_string()),
        // TCP only: no socket file in a directory the service user must own.
        ("unix_socket_directories", String::new()),
        // One line when a connection arrives (from where), one when its startup
        // packet has been accepted (user, database, application), one at its end.
        ("log_connections", "on".to_owned()),
        ("log_disconnections", "on".to_owned()),
        ("log_min_messages", "info".to_owned()),
        // Timestamp, server process, client `host(port)`: every line says which
        // connection it is about.
        ("log_line_prefix", "%m [%p] client=%r ".to_owned()),
        ("log_timezone", "UTC".to_owned()),
        ("logging_collector", "off".to_owned()),
        ("fsync", "off".to_owned()),
        ("synchronous_commit", "off".to_owned()),
        ("full_page_writes", "off".to_owned()),
        ("shared_buffers", "16MB".to_owned()),
        ("max_connections", "20".to_owned()),
        ("dynamic_shared_memory_type", "mmap".to_owned()),
        ("huge_pages", "off".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| format!("{name}={value}"))
    .collect()
}

/// Starts the server on `port` and waits until it accepts connections.
fn launch(bins: &Binaries, run_as: RunAs, data: &Path, port: u16, log: &Path) -> Result<Child> {
    let out = create(log)?;
    let err = out
        .try_clone()
        .map_err(|e| HarnessError::io(format!("opening `{}`", log.display()), e))?;
    let mut command = run_as.command(&bins.postgres());
    command.arg("-D").arg(data);
    for setting in settings(port) {
        command.arg("-c").arg(setting);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| HarnessError::io(format!("starting `{}`", bins.postgres().display()), e))?;
    match wait_ready(&mut child, log) {
        Ok(()) => Ok(child),
        Err(e) => {
            drop(child.kill());
            drop(child.wait());
            Err(e)
        }
    }
}

/// Polls the log for [`READY_LINE`], which the server writes once its listening
/// socket is open. No probe connection: every connection in the log is a client's.
fn wait_ready(child: &mut Child, log: &Path) -> Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| HarnessError::io("checking on postgres", e))?
        {
            return Err(start_error(&format!("postgres exited with {status}"), log));
        }
        if fs::read_to_string(log).is_ok_and(|text| text.contains(READY_LINE)) {
            return Ok(());
        }
        thread::sleep(POLL_INTERVAL);
    }
    Err(start_error(
        &format!("postgres not ready after {}s", READY_TIMEOUT.as_secs()),
        log,
    ))
}

fn create(path: &Path) -> Result<File> {
    let file = File::create(path)
        .map_err(|e| HarnessError::io(format!("creating `{}`", path.display()), e))?;
    // The server may run as another user; it writes through the inherited
    // descriptor, but someone reading the run afterwards should be able to as well.
    drop(fs::set_permissions(path, fs::Permissions::from_mode(0o644)));
    Ok(file)
}

/// An error for a server that did not start, with the end of `log`.
fn start_error(reason: &str, log: &Path) -> HarnessError {
    let text = fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines
        .get(lines.len().saturating_sub(20)..)
        .unwrap_or_default()
        .join("\n");
    HarnessError::io(
        format!("{reason} (log: `{}`)", log.display()),
        std::io::Error::other(format!("last lines:\n{tail}")),
    )
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpStream;

    use super::*;

    fn server(label: &str) -> Postgres {
        let run_dir = paths::run_dir(&format!("postgres-{label}")).unwrap();
        Postgres::start(&run_dir).unwrap()
    }

    #[test]
    fn answers_a_query_and_logs_the_connection_with_its_client_port() {
        let pg = server("query");
        // Starting it made no connection of its own: every one in the log is a client's.
        assert!(pg.connections().is_empty(), "{:?}", pg.connections());
        let answer = pg.query("rig-query", "SELECT 40 + 2").unwrap();
        assert_eq!(answer.trim(), "42");
        let connection = pg
            .wait_for_connection("the psql connection", |c| {
                c.application.as_deref() == Some("rig-query") && c.ended
            })
            .unwrap();
        assert_eq!(connection.startup, Startup::Accepted);
        assert_eq!(connection.user.as_deref(), Some(SUPERUSER));
        assert_eq!(connection.database.as_deref(), Some(DATABASE));
        let client = connection.client.unwrap();
        assert_eq!(client.ip(), LOOPBACK);
        assert_ne!(client.port(), 0);
    }

    #[test]
    fn a_connection_without_a_startup_packet_shows_as_such() {
        let pg = server("no-startup");
        let silent = TcpStream::connect(pg.addr()).unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        drop(silent);
        let mut partial = TcpStream::connect(pg.addr()).unwrap();
        let partial_port = partial.local_addr().unwrap().port();
        // A length of 8, then nothing: half a startup packet.
        partial.write_all(&[0, 0, 0, 8]).unwrap();
        drop(partial);
        let by_port = |port: u16| {
            pg.wait_for_connection(&format!("the connection from port {port}"), |c| {
                c.client.map(|a| a.port()) == Some(port)
            })
            .unwrap()
        };
        assert_eq!(by_port(silent_port).startup, Startup::None);
        let partial = pg
            .wait_for_connection("the incomplete startup packet", |c| {
                c.client.map(|a| a.port()) == Some(partial_port) && c.startup == Startup::Incomplete
            })
            .unwrap();
        assert!(partial.user.is_none(), "{partial:?}");
    }

    #[test]
    fn a_steady_connection_stays_one_connection_until_finished() {
        let pg = server("steady");
        let steady =
            SteadyConnection::start(pg.addr(), "rig-steady", Duration::from_millis(100)).unwrap();
        steady.wait_for_answers(5).unwrap();
        let outcome = steady.finish().unwrap();
        assert!(outcome.answers >= 5, "{outcome:?}");
        assert!(outcome.queries >= outcome.answers, "{outcome:?}");
        let steady_ones: Vec<Connection> = pg
            .connections()
            .into_iter()
            .filter(|c| c.application.as_deref() == Some("rig-steady"))
            .collect();
        assert_eq!(steady_ones.len(), 1, "{steady_ones:?}");
        pg.wait_for_connection("the end of the steady connection", |c| {
            c.application.as_deref() == Some("rig-steady") && c.ended
        })
        .unwrap();
    }

    #[test]
    fn stops_listening_when_dropped() {
        let pg = server("drop");
        let addr = pg.addr();
        drop(pg);
        assert!(TcpStream::connect(addr).is_err());
    }

    #[test]
    fn missing_postgresql_names_the_command_that_installs_it() {
        let empty = paths::run_dir("postgres-missing").unwrap();
        let err = find_binaries(&[empty]).unwrap_err();
        assert!(matches!(err, HarnessError::Missing { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("make setup"), "{text}");
        assert!(text.contains("apt-get install postgresql"), "{text}");
    }

    #[test]
    fn finds_the_users_of_a_passwd_file() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n";
        assert_eq!(passwd_ids(passwd, "postgres"), Some((101, 104)));
        assert_eq!(passwd_ids(passwd, "nobody"), None);
    }

    #[test]
    fn debian_versions_are_tried_newest_first() {
        let root = paths::run_dir("postgres-versions").unwrap();
        for version in ["13", "15", "9", "not-a-version"] {
            fs::create_dir_all(root.join(version).join("bin")).unwrap();
        }
        let dirs = debian_bin_dirs(&root);
        assert_eq!(
            dirs,
            ["15", "13", "9"].map(|v| root.join(v).join("bin")).to_vec()
        );
    }
}
