//! Which ports a run listens on. Tests ask for port 0 everywhere: the kernel picks a
//! free port at bind time and the harness reads back which one (the echo apps from
//! their socket, Envoy from its admin API), so parallel tests never race for a port.
//! The demo uses fixed, well-known ports so its printed curl commands stay the same;
//! those are checked up front so a busy port is one clear error.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

use crate::error::{HarnessError, Result};

/// The loopback address everything binds to on the host.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The ports of one us-east sidecar run. 0 means "any free port".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortPlan {
    /// Envoy's HTTP listener.
    pub listener: u16,
    /// Envoy's admin API.
    pub admin: u16,
    /// The eu-west-1 echo app.
    pub eu_app: u16,
    /// The us-east-1 echo app.
    pub us_app: u16,
}

impl PortPlan {
    /// Every port picked by the kernel: what tests use.
    pub const EPHEMERAL: Self = Self {
        listener: 0,
        admin: 0,
        eu_app: 0,
        us_app: 0,
    };

    /// The fixed ports of the demo.
    pub const DEMO: Self = Self {
        listener: 10000,
        admin: 9901,
        eu_app: 8081,
        us_app: 8082,
    };

    /// Fails with [`HarnessError::PortBusy`] for the first fixed port on `ip` that
    /// something already listens on. Port 0 is always free.
    pub fn ensure_free(&self, ip: IpAddr) -> Result<()> {
        [self.listener, self.admin, self.eu_app, self.us_app]
            .into_iter()
            .filter(|port| *port != 0)
            .try_for_each(|port| ensure_free(SocketAddr::new(ip, port)))
    }
}

/// Fails with [`HarnessError::PortBusy`] if `addr` cannot be bound right now.
pub fn ensure_free(addr: SocketAddr) -> Result<()> {
    TcpListener::bind(addr)
        .map(drop)
        .map_err(|source| bind_error(addr, source))
}

/// Turns a failed bind into [`HarnessError::PortBusy`] when the address is taken.
pub fn bind_error(addr: SocketAddr, source: std::io::Error) -> HarnessError {
    if source.kind() == ErrorKind::AddrInUse {
        HarnessError::PortBusy {
            addr: addr.to_string(),
            source,
        }
    } else {
        HarnessError::io(format!("binding {addr}"), source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_a_port_that_is_already_bound_as_busy() {
        let taken = TcpListener::bind((LOOPBACK, 0)).unwrap();
        let addr = taken.local_addr().unwrap();
        let err = ensure_free(addr).unwrap_err();
        assert!(matches!(err, HarnessError::PortBusy { .. }), "{err}");
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }

    #[test]
    fn port_zero_is_always_free() {
        PortPlan::EPHEMERAL.ensure_free(LOOPBACK).unwrap();
    }
}
