//! Which ports a run listens on. Tests ask for port 0 everywhere: the kernel picks a
//! free port at bind time and the harness reads back which one (the echo apps from
//! their socket, Envoy from its admin API), so parallel tests never race for a port.
//! The demo uses fixed, well-known ports so its printed curl commands stay the same;
//! those are checked up front so a busy port is one clear error.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

use crate::error::{HarnessError, Result};
use crate::gateway::GatewayPorts;

/// The loopback address everything binds to on the host.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The ports of the eu-west sidecar and its app. 0 means "any free port".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboundPorts {
    /// Envoy's admin API.
    pub admin: u16,
    /// The listener that requires a client certificate.
    pub mtls: u16,
    /// The plaintext listener.
    pub plaintext: u16,
    /// The app behind it.
    pub app: u16,
}

/// The ports of one calling cluster's outbound sidecar and its app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundPorts {
    /// Envoy's admin API.
    pub admin: u16,
    /// Envoy's HTTP listener.
    pub listener: u16,
    /// The app next to it.
    pub app: u16,
}

/// The ports of a mesh run: eu-west in both modes, and each caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeshPorts {
    /// eu-west, enforcing.
    pub eu_west: InboundPorts,
    /// eu-west in audit mode.
    pub eu_west_audit: InboundPorts,
    /// The us-east caller.
    pub us_east: OutboundPorts,
    /// The eu-central caller.
    pub eu_central: OutboundPorts,
}

impl MeshPorts {
    /// Every port picked by the kernel: what tests use.
    pub const EPHEMERAL: Self = Self {
        eu_west: InboundPorts {
            admin: 0,
            mtls: 0,
            plaintext: 0,
            app: 0,
        },
        eu_west_audit: InboundPorts {
            admin: 0,
            mtls: 0,
            plaintext: 0,
            app: 0,
        },
        us_east: OutboundPorts {
            admin: 0,
            listener: 0,
            app: 0,
        },
        eu_central: OutboundPorts {
            admin: 0,
            listener: 0,
            app: 0,
        },
    };

    /// The fixed ports of the demo.
    pub const DEMO: Self = Self {
        eu_west: InboundPorts {
            admin: 9902,
            mtls: 15443,
            plaintext: 15080,
            app: 8081,
        },
        eu_west_audit: InboundPorts {
            admin: 9904,
            mtls: 15444,
            plaintext: 15081,
            app: 8084,
        },
        us_east: OutboundPorts {
            admin: 9901,
            listener: 10000,
            app: 8082,
        },
        eu_central: OutboundPorts {
            admin: 9903,
            listener: 10001,
            app: 8083,
        },
    };

    /// Every port of the plan.
    pub fn all(&self) -> [u16; 14] {
        let (west, audit) = (self.eu_west, self.eu_west_audit);
        let (us, central) = (self.us_east, self.eu_central);
        [
            west.admin,
            west.mtls,
            west.plaintext,
            west.app,
            audit.admin,
            audit.mtls,
            audit.plaintext,
            audit.app,
            us.admin,
            us.listener,
            us.app,
            central.admin,
            central.listener,
            central.app,
        ]
    }

    /// Fails with [`HarnessError::PortBusy`] for the first fixed port on `ip` that
    /// something already listens on. Port 0 is always free.
    pub fn ensure_free(&self, ip: IpAddr) -> Result<()> {
        self.all()
            .into_iter()
            .filter(|port| *port != 0)
            .try_for_each(|port| ensure_free(SocketAddr::new(ip, port)))
    }
}

/// The ports of one TCP sidecar: its admin API and the listener it is dialled on
/// (eu-west's `inbound_tcp`, a caller's `outbound_tcp`). 0 means "any free port".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSidecarPorts {
    /// Envoy's admin API.
    pub admin: u16,
    /// Its TCP listener.
    pub listener: u16,
}

/// The ports of the TCP pair: eu-west's database sidecar and each caller's TCP
/// sidecar. The database itself listens on a free port of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpPorts {
    /// eu-west's database sidecar (`inbound_tcp`).
    pub eu_west: TcpSidecarPorts,
    /// The us-east database client's sidecar.
    pub us_east: TcpSidecarPorts,
    /// The eu-central database client's sidecar.
    pub eu_central: TcpSidecarPorts,
}

impl TcpPorts {
    /// Every port picked by the kernel: what tests use.
    pub const EPHEMERAL: Self = Self {
        eu_west: TcpSidecarPorts {
            admin: 0,
            listener: 0,
        },
        us_east: TcpSidecarPorts {
            admin: 0,
            listener: 0,
        },
        eu_central: TcpSidecarPorts {
            admin: 0,
            listener: 0,
        },
    };

    /// The fixed ports of the demo (and the TCP pair's published ports in compose).
    pub const DEMO: Self = Self {
        eu_west: TcpSidecarPorts {
            admin: 9906,
            listener: 15432,
        },
        us_east: TcpSidecarPorts {
            admin: 9907,
            listener: 10002,
        },
        eu_central: TcpSidecarPorts {
            admin: 9908,
            listener: 10003,
        },
    };

    /// Every port of the plan.
    pub fn all(&self) -> [u16; 6] {
        [
            self.eu_west.admin,
            self.eu_west.listener,
            self.us_east.admin,
            self.us_east.listener,
            self.eu_central.admin,
            self.eu_central.listener,
        ]
    }

    /// Fails with [`HarnessError::PortBusy`] for the first fixed port on `ip` that
    /// something already listens on. Port 0 is always free.
    pub fn ensure_free(&self, ip: IpAddr) -> Result<()> {
        self.all()
            .into_iter()
            .filter(|port| *port != 0)
            .try_for_each(|port| ensure_free(SocketAddr::new(ip, port)))
    }
}

/// The eu-west gateway's fixed ports in the demo; admin and listener are also its
/// published ports in compose.
pub const GATEWAY_DEMO: GatewayPorts = GatewayPorts {
    admin: 9905,
    listener: 10080,
    eu_west_app: 8085,
    eu_central_app: 8086,
    us_east_app: 8087,
};

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
        MeshPorts::EPHEMERAL.ensure_free(LOOPBACK).unwrap();
        TcpPorts::EPHEMERAL.ensure_free(LOOPBACK).unwrap();
    }

    #[test]
    fn the_demo_uses_each_port_once() {
        let gateway = GATEWAY_DEMO;
        let mut ports = MeshPorts::DEMO.all().to_vec();
        ports.extend(TcpPorts::DEMO.all());
        ports.extend([
            gateway.admin,
            gateway.listener,
            gateway.eu_west_app,
            gateway.eu_central_app,
            gateway.us_east_app,
        ]);
        let count = ports.len();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), count);
    }
}
