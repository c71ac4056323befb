//! What the plugin logged, through `proxy_log` or by writing to stdout and stderr.
//!
//! Envoy turns a guest's stdout into info lines and its stderr into error lines;
//! the host records both with where they came from, so tests can tell them apart.

use super::abi::LogLevel;

/// How a line reached the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSource {
    /// `proxy_log`.
    ProxyLog,
    /// WASI `fd_write` to stdout (logged at info).
    Stdout,
    /// WASI `fd_write` to stderr (logged at error).
    Stderr,
}

/// One line the plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Its level.
    pub level: LogLevel,
    /// The text, without a trailing newline.
    pub message: String,
    /// The context that was running: 0 the VM, then the root, then streams.
    pub context_id: u32,
    /// How it reached the host.
    pub source: LogSource,
}

impl LogRecord {
    /// Whether this line is at error level or above.
    pub fn is_error(&self) -> bool {
        self.level >= LogLevel::Error
    }
}
