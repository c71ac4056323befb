//! What can go wrong while loading or driving a plugin, as one typed error.
//!
//! A guest failure names the callback it happened in and carries the wasm backtrace,
//! so a test that fails because of the plugin shows where, not just "wasm trap".

use std::fmt;
use std::path::PathBuf;

/// One frame of a guest backtrace, innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Index of the function in the module.
    pub func_index: u32,
    /// The function's (demangled) name, when the module keeps a name section.
    pub name: Option<String>,
    /// Byte offset of the instruction in the module, when known.
    pub module_offset: Option<usize>,
}

/// The wasm frames on the stack when the guest failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestBacktrace {
    /// Frames, innermost first.
    pub frames: Vec<Frame>,
}

impl fmt::Display for GuestBacktrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.frames.is_empty() {
            return f.write_str("    (no wasm frames)");
        }
        for (i, frame) in self.frames.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            let name = frame.name.as_deref().unwrap_or("<unnamed>");
            write!(f, "    {i}: func[{}] {name}", frame.func_index)?;
            if let Some(offset) = frame.module_offset {
                write!(f, " @ {offset:#x}")?;
            }
        }
        Ok(())
    }
}

/// Everything that can go wrong in the wasm host.
///
/// `Debug` prints the same text as `Display`, so `unwrap()` in a test shows the
/// message, the callback and the backtrace, not a struct dump.
#[derive(Clone, PartialEq, Eq)]
pub enum HostError {
    /// The `.wasm` file does not exist.
    MissingWasm {
        /// Where it was looked for.
        path: PathBuf,
        /// What to do about it: "no such file" from [`crate::Plugin::load`], or a
        /// caller's advice, e.g. the command that builds the file.
        hint: String,
    },
    /// The `.wasm` file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// wasmtime could not compile the module.
    Compile {
        /// The file, or `<wat>` for inline text.
        path: PathBuf,
        /// wasmtime's reason.
        reason: String,
    },
    /// The module could not be instantiated (an import of the wrong type, say).
    Instantiate {
        /// wasmtime's reason.
        reason: String,
    },
    /// The module lacks an export the host needs.
    MissingExport {
        /// The export's name.
        name: String,
    },
    /// The module exports no proxy-wasm ABI version this host speaks.
    UnsupportedAbi,
    /// `proxy_on_vm_start` returned false.
    VmStartRejected {
        /// What the plugin logged at error level or above while starting.
        reason: String,
    },
    /// `proxy_on_configure` returned false.
    ConfigureRejected {
        /// What the plugin logged at error level or above while configuring.
        reason: String,
    },
    /// The guest trapped (out-of-bounds access, division by zero, `unreachable`...).
    Trap {
        /// The callback that trapped.
        callback: String,
        /// wasmtime's description of the trap.
        trap: String,
        /// Where.
        backtrace: GuestBacktrace,
    },
    /// The guest panicked: it logged a panic message and then trapped.
    Panic {
        /// The callback that panicked.
        callback: String,
        /// The panic message the guest logged.
        message: String,
        /// Where.
        backtrace: GuestBacktrace,
    },
    /// The callback used up its fuel: an endless loop, or more work than allowed.
    FuelExhausted {
        /// The callback.
        callback: String,
        /// The fuel it was given.
        limit: u64,
        /// Where it was when the fuel ran out.
        backtrace: GuestBacktrace,
    },
    /// The guest called WASI `proc_exit`, which a proxy never honours.
    ProcExit {
        /// The callback.
        callback: String,
        /// The exit code.
        code: u32,
    },
    /// Strict mode: the guest called a host function this host does not implement.
    Unimplemented {
        /// The callback.
        callback: String,
        /// The import, as `module.name`.
        call: String,
    },
    /// An earlier failure killed the VM; like Envoy, it serves nothing more.
    VmFailed {
        /// The first failure.
        cause: Box<HostError>,
    },
    /// The harness API was driven in an order a proxy never would.
    Usage {
        /// What was wrong.
        reason: String,
    },
}

impl HostError {
    /// The callback a guest failure happened in, if this is one.
    pub fn callback(&self) -> Option<&str> {
        match self {
            Self::Trap { callback, .. }
            | Self::Panic { callback, .. }
            | Self::FuelExhausted { callback, .. }
            | Self::ProcExit { callback, .. }
            | Self::Unimplemented { callback, .. } => Some(callback),
            _ => None,
        }
    }

    /// The wasm backtrace of a guest failure, if this is one.
    pub fn backtrace(&self) -> Option<&GuestBacktrace> {
        match self {
            Self::Trap { backtrace, .. }
            | Self::Panic { backtrace, .. }
            | Self::FuelExhausted { backtrace, .. } => Some(backtrace),
            _ => None,
        }
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingWasm { path, hint } => {
                write!(f, "no plugin at `{}`: {hint}", path.display())
            }
            Self::Read { path, reason } => write!(f, "reading `{}`: {reason}", path.display()),
            Self::Compile { path, reason } => {
                write!(f, "compiling `{}`: {reason}", path.display())
            }
            Self::Instantiate { reason } => write!(f, "instantiating the plugin: {reason}"),
            Self::MissingExport { name } => {
                write!(f, "the plugin does not export `{name}`")
            }
            Self::UnsupportedAbi => f.write_str(
                "the plugin exports no supported proxy-wasm ABI version \
                 (expected `proxy_abi_version_0_2_1` or `proxy_abi_version_0_2_0`)",
            ),
            Self::VmStartRejected { reason } => {
                write!(
                    f,
                    "the plugin refused to start (on_vm_start returned false): {reason}"
                )
            }
            Self::ConfigureRejected { reason } => write!(
                f,
                "the plugin refused its configuration (on_configure returned false): {reason}"
            ),
            Self::Trap {
                callback,
                trap,
                backtrace,
            } => write!(f, "the plugin trapped in {callback}: {trap}\n{backtrace}"),
            Self::Panic {
                callback,
                message,
                backtrace,
            } => write!(
                f,
                "the plugin panicked in {callback}: {message}\n{backtrace}"
            ),
            Self::FuelExhausted {
                callback,
                limit,
                backtrace,
            } => write!(
                f,
                "the plugin ran out of fuel in {callback} (limit {limit}): an endless loop?\n{backtrace}"
            ),
            Self::ProcExit { callback, code } => {
                write!(f, "the plugin called proc_exit({code}) in {callback}")
            }
            Self::Unimplemented { callback, call } => write!(
                f,
                "the plugin called `{call}` in {callback}, which this host does not implement \
                 (strict mode)"
            ),
            Self::VmFailed { cause } => {
                write!(f, "the VM failed earlier and serves nothing more: {cause}")
            }
            Self::Usage { reason } => write!(f, "harness misuse: {reason}"),
        }
    }
}

impl fmt::Debug for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for HostError {}

/// The wasm host's result type.
pub type HostResult<T> = Result<T, HostError>;
