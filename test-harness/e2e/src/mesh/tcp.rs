//! The L4 pair of [`crate::tcp`], running: eu-west's database sidecar
//! (`eu-west-tcp-inbound.yaml`, the filter as a network filter) in front of a
//! database the caller started, and a TCP sidecar (`tcp-outbound-sidecar.yaml`) for
//! each database client asked for, presenting that client's certificate. Each Envoy
//! has its own directory of the run (`<run>/<name>/`), as in the HTTP mesh; all are
//! stopped when dropped.

use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde_json::Value;

use super::{envoy_dir, start_envoy};
use crate::envoy::Envoy;
use crate::error::{HarnessError, Result};
use crate::plugin_config;
use crate::ports::{TcpPorts, TcpSidecarPorts};
use crate::tcp::{
    self, EU_CENTRAL_DB_CLIENT, EU_WEST_TCP, EU_WEST_TCP_INBOUND, INBOUND_TCP_LISTENER,
    OUTBOUND_TCP_LISTENER, TCP_OUTBOUND_SIDECAR, US_EAST_DB_CLIENT,
};
use crate::topology::{self, Caller, ConfigFiles, Endpoint};

/// eu-west's database sidecar.
#[derive(Debug)]
pub struct DatabaseSidecar {
    /// Envoy, with the filter as a network filter.
    pub envoy: Envoy,
    /// Where callers dial it (`inbound_tcp`).
    pub listener: SocketAddr,
    /// The database behind it.
    pub database: SocketAddr,
}

impl DatabaseSidecar {
    /// Starts Envoy on `ports` of `bind` in front of `database`, with the shipped
    /// plugin config, in `run_dir/eu-west-tcp/`.
    pub fn start(
        bind: IpAddr,
        ports: &TcpSidecarPorts,
        database: SocketAddr,
        files: &ConfigFiles,
        run_dir: &Path,
    ) -> Result<Self> {
        let values = values(bind, ports, database, files);
        let dir = envoy_dir(EU_WEST_TCP, run_dir)?;
        let envoy = start_envoy(EU_WEST_TCP, EU_WEST_TCP_INBOUND, &values, &dir)?;
        Self::ready(envoy, database)
    }

    /// Like [`DatabaseSidecar::start`], with `plugin` in place of the shipped
    /// plugin config (an HTTP one, say, to see what a misloaded filter does).
    pub fn start_with_plugin(
        bind: IpAddr,
        ports: &TcpSidecarPorts,
        database: SocketAddr,
        files: &ConfigFiles,
        run_dir: &Path,
        plugin: &Value,
    ) -> Result<Self> {
        let values = values(bind, ports, database, files);
        let dir = envoy_dir(EU_WEST_TCP, run_dir)?;
        let text = plugin_config::render_with(EU_WEST_TCP_INBOUND, &values, plugin)?;
        let config = dir.join(topology::config_file_name(EU_WEST_TCP));
        fs::write(&config, text)
            .map_err(|e| HarnessError::io(format!("writing `{}`", config.display()), e))?;
        Self::ready(Envoy::start(&config, &dir)?, database)
    }

    fn ready(envoy: Envoy, database: SocketAddr) -> Result<Self> {
        Ok(Self {
            listener: envoy.listener_addr(INBOUND_TCP_LISTENER)?,
            envoy,
            database,
        })
    }
}

fn values(
    bind: IpAddr,
    ports: &TcpSidecarPorts,
    database: SocketAddr,
    files: &ConfigFiles,
) -> crate::render::Values {
    tcp::inbound_values(
        &bind.to_string(),
        ports.admin,
        ports.listener,
        &Endpoint::from(database),
        files,
    )
}

/// A database client's TCP sidecar.
#[derive(Debug)]
pub struct TcpCallerSidecar {
    /// Who it is.
    pub caller: Caller,
    /// Envoy (no filter: there are no headers to tag at L4).
    pub envoy: Envoy,
    /// Where the client connects (`outbound_tcp`).
    pub listener: SocketAddr,
}

impl TcpCallerSidecar {
    /// Starts Envoy on `ports` of `bind`, reaching eu-west's database sidecar at
    /// `eu_west`, in `run_dir/<caller name>/`.
    pub fn start(
        caller: Caller,
        bind: IpAddr,
        ports: &TcpSidecarPorts,
        eu_west: SocketAddr,
        files: &ConfigFiles,
        run_dir: &Path,
    ) -> Result<Self> {
        let values = tcp::outbound_values(
            &caller,
            &bind.to_string(),
            ports.admin,
            ports.listener,
            &Endpoint::from(eu_west),
            files,
        );
        let dir = envoy_dir(caller.name, run_dir)?;
        let envoy = start_envoy(caller.name, TCP_OUTBOUND_SIDECAR, &values, &dir)?;
        Ok(Self {
            caller,
            listener: envoy.listener_addr(OUTBOUND_TCP_LISTENER)?,
            envoy,
        })
    }
}

/// The running pair: eu-west's database sidecar and the callers asked for.
#[derive(Debug)]
pub struct TcpPair {
    /// eu-west's database sidecar.
    pub eu_west: DatabaseSidecar,
    /// The callers' TCP sidecars, in the order asked for.
    pub callers: Vec<TcpCallerSidecar>,
}

impl TcpPair {
    /// Starts eu-west's database sidecar in front of `database`, then a TCP sidecar
    /// for each of `callers`, on `ports` of `bind`.
    pub fn start(
        bind: IpAddr,
        ports: &TcpPorts,
        database: SocketAddr,
        callers: &[Caller],
        files: &ConfigFiles,
        run_dir: &Path,
    ) -> Result<Self> {
        let eu_west = DatabaseSidecar::start(bind, &ports.eu_west, database, files, run_dir)?;
        let callers = callers
            .iter()
            .map(|caller| {
                let ports = caller_ports(ports, caller);
                TcpCallerSidecar::start(*caller, bind, &ports, eu_west.listener, files, run_dir)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { eu_west, callers })
    }

    /// The sidecar of `caller`.
    pub fn caller(&self, caller: &Caller) -> Result<&TcpCallerSidecar> {
        self.callers
            .iter()
            .find(|sidecar| sidecar.caller == *caller)
            .ok_or_else(|| HarnessError::Missing {
                what: format!("a TCP sidecar for caller `{}`", caller.name),
                hint: "start the TCP pair with that caller".to_owned(),
            })
    }
}

/// The ports of `caller`: the plan's for the callers it names, any free ones for
/// the others (which only tests run).
fn caller_ports(ports: &TcpPorts, caller: &Caller) -> TcpSidecarPorts {
    if *caller == US_EAST_DB_CLIENT {
        ports.us_east
    } else if *caller == EU_CENTRAL_DB_CLIENT {
        ports.eu_central
    } else {
        TcpSidecarPorts {
            admin: 0,
            listener: 0,
        }
    }
}
