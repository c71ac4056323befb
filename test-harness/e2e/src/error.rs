//! The one error type of the harness: every failure says what went wrong and, when
//! the fix is a make target or a busy port, what to do about it.

use std::error::Error;
use std::fmt;
use std::io;
use std::time::Duration;

/// Everything that can go wrong while preparing or driving an end-to-end run.
///
/// `Debug` prints the same text as `Display`, so a test that returns this error or
/// unwraps it shows the message and its hint, not a struct dump.
pub enum HarnessError {
    /// A prerequisite is not there; `hint` names the command that provides it.
    Missing {
        /// What is missing, e.g. "envoy at `.venv/bin/envoy`".
        what: String,
        /// What to run, e.g. "run `make setup`".
        hint: String,
    },
    /// A fixed port that something else already listens on.
    PortBusy {
        /// The address that could not be bound.
        addr: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A filesystem, process or socket operation failed.
    Io {
        /// What was being done, e.g. "reading `envoy-config/x.yaml`".
        context: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A config template could not be rendered.
    Render {
        /// The template's file name.
        template: String,
        /// Why, e.g. "no value for placeholder `admin_port`".
        reason: String,
    },
    /// Envoy did not start, did not become ready, or answered unexpectedly.
    Envoy {
        /// Why.
        reason: String,
        /// Its error lines, or its last lines, to show with the error.
        log_tail: String,
    },
    /// The test certificates could not be made.
    Certs {
        /// Why, e.g. "making the CA key: ...".
        reason: String,
    },
    /// Something a test waited for did not happen in time.
    Timeout {
        /// What was awaited, e.g. "3 lines in eu-west's access log".
        what: String,
        /// How long it was awaited.
        after: Duration,
    },
    /// An HTTP exchange failed or returned something unparseable.
    Http {
        /// Which exchange, e.g. "GET 127.0.0.1:9901/ready".
        context: String,
        /// Why.
        reason: String,
    },
    /// Prometheus or promtool failed, refused the rules, or answered unexpectedly.
    Prometheus {
        /// Why, e.g. "`promtool test rules` failed (exit status: 1)".
        reason: String,
        /// What it printed, or the last lines of its log, to show with the error.
        output: String,
    },
}

impl HarnessError {
    /// Wraps an I/O error with what was being done when it happened.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { what, hint } => write!(f, "missing {what}: {hint}"),
            Self::PortBusy { addr, source } => write!(
                f,
                "port {addr} is busy ({source}): stop whatever listens there \
                 (`ss -ltnp` shows it) and try again"
            ),
            Self::Io { context, source } => write!(f, "{context}: {source}"),
            Self::Render { template, reason } => {
                write!(f, "rendering `{template}`: {reason}")
            }
            Self::Envoy { reason, log_tail } if log_tail.is_empty() => {
                write!(f, "envoy: {reason}")
            }
            Self::Envoy { reason, log_tail } => {
                write!(f, "envoy: {reason}\n--- from envoy's log ---\n{log_tail}")
            }
            Self::Certs { reason } => write!(f, "test certificates: {reason}"),
            Self::Timeout { what, after } => {
                write!(f, "gave up waiting for {what} after {}s", after.as_secs())
            }
            Self::Http { context, reason } => write!(f, "{context}: {reason}"),
            Self::Prometheus { reason, output } if output.is_empty() => {
                write!(f, "prometheus: {reason}")
            }
            Self::Prometheus { reason, output } => {
                write!(f, "prometheus: {reason}\n--- its output ---\n{output}")
            }
        }
    }
}

impl fmt::Debug for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error for HarnessError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::PortBusy { source, .. } | Self::Io { source, .. } => Some(source),
            Self::Missing { .. }
            | Self::Render { .. }
            | Self::Envoy { .. }
            | Self::Certs { .. }
            | Self::Timeout { .. }
            | Self::Http { .. }
            | Self::Prometheus { .. } => None,
        }
    }
}

/// The harness's result type.
pub type Result<T> = std::result::Result<T, HarnessError>;
