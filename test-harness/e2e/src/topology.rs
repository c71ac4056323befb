//! The topology the end-to-end tests, the demo and compose run, written once: which
//! template each Envoy renders, under which name, with which value for each
//! placeholder. Only the addresses and file locations differ between a test run
//! (loopback, ports the kernel picks), the demo (loopback, fixed ports) and compose
//! (service names, container paths).
//!
//! The mesh: the `users` service's sidecar in cluster `eu-west` (region
//! `eu-west-1`, zone `eu-west-1a`), inbound, with the residency rules; and one
//! outbound sidecar per calling cluster (`us-east`, `eu-central`), each rendered from
//! the same template with its own identity, reaching eu-west over mTLS. Tests of
//! zones and certificate-bound identity also run callers inside cluster eu-west
//! ([`EU_WEST_A`] in eu-west's own zone, [`EU_WEST_B`] in another), from the same
//! template; demo and compose render only [`CALLERS`].
//!
//! Next to it, the L4 pair of [`crate::tcp`]: eu-west's database sidecar and the TCP
//! sidecars of a database client in us-east and one in eu-central, rendered here
//! too ([`renderings`]), so demo and compose run them with the rest.

use std::net::SocketAddr;
use std::path::Path;

use crate::certs::{ClientCert, TestPki, files};
use crate::render::Values;

/// The template of every calling cluster's outbound sidecar.
pub const OUTBOUND_SIDECAR: &str = "outbound-sidecar.yaml";
/// The template of the eu-west inbound sidecar.
pub const EU_WEST_INBOUND: &str = "eu-west-inbound.yaml";
/// The same sidecar, its filter config discovered from a watched file (ECDS), so
/// that a run can swap it while traffic flows.
pub const EU_WEST_INBOUND_WATCHED: &str = "eu-west-inbound-watched.yaml";
/// The template of that watched file.
pub const EU_WEST_ECDS_TEMPLATE: &str = "ecds/eu-west-meshborder.yaml";
/// The name of the watched sidecar's meshborder HTTP filter, which is also the name
/// of the discovered resource.
pub const EU_WEST_FILTER: &str = "meshborder";
/// The outbound sidecar's HTTP listener.
pub const OUTBOUND_LISTENER: &str = "outbound_http";
/// eu-west's listener that requires a client certificate.
pub const MTLS_LISTENER: &str = "inbound_mtls";
/// eu-west's plaintext listener (what Istio's PERMISSIVE mode also accepts).
pub const PLAINTEXT_LISTENER: &str = "inbound_plaintext";

/// The cluster of the inbound sidecar.
pub const EU_WEST_CLUSTER: &str = "eu-west";
/// Its region.
pub const EU_WEST_REGION: &str = "eu-west-1";
/// Its zone (the node locality `eu-west-inbound.yaml` is rendered with).
pub const EU_WEST_ZONE: &str = "eu-west-1a";
/// The app behind it.
pub const EU_WEST_APP: &str = "eu-west-app";

/// A caller: who its outbound sidecar says it is, the certificate it presents to
/// eu-west, and the app next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The name of its Envoy in a run (its directory and rendered config).
    pub name: &'static str,
    /// The cluster (node metadata `CLUSTER_ID`).
    pub cluster: &'static str,
    /// The region (node locality).
    pub region: &'static str,
    /// The zone (node locality).
    pub zone: &'static str,
    /// The client certificate its sidecar presents to eu-west.
    pub cert: ClientCert,
    /// The name of the echo app next to it.
    pub app: &'static str,
}

/// The US caller, whose requests for EU user data are refused.
pub const US_EAST: Caller = Caller {
    name: "us-east",
    cluster: "us-east",
    region: "us-east-1",
    zone: "us-east-1a",
    cert: ClientCert::MeshWide,
    app: "us-east-app",
};

/// An EU caller, allowed to read EU user data. Not in eu-west's `clusters` table:
/// its region comes from its (trusted) region tag.
pub const EU_CENTRAL: Caller = Caller {
    name: "eu-central",
    cluster: "eu-central",
    region: "eu-central-1",
    zone: "eu-central-1a",
    cert: ClientCert::MeshWide,
    app: "eu-central-app",
};

/// A caller inside cluster eu-west and in eu-west's own zone, with the mesh-wide
/// certificate (its tags are believed): traffic that crosses no border.
pub const EU_WEST_A: Caller = Caller {
    name: "eu-west-a",
    cluster: EU_WEST_CLUSTER,
    region: EU_WEST_REGION,
    zone: EU_WEST_ZONE,
    cert: ClientCert::MeshWide,
    app: "eu-west-a-app",
};

/// A caller inside cluster eu-west but in zone `eu-west-1b`, with the certificate
/// of eu-west's own trust domain (its cluster is captured from the certificate):
/// traffic that crosses a zone border and no cluster border.
pub const EU_WEST_B: Caller = Caller {
    name: "eu-west-b",
    cluster: EU_WEST_CLUSTER,
    region: EU_WEST_REGION,
    zone: "eu-west-1b",
    cert: ClientCert::EuWest,
    app: "eu-west-b-app",
};

/// Every calling cluster: the callers the demo and compose run.
pub const CALLERS: [Caller; 2] = [US_EAST, EU_CENTRAL];

/// How eu-west applies its residency rules: which plugin config it renders with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidencyMode {
    /// Deny what a rule forbids (`eu-west-plugin.json`).
    Enforce,
    /// Let it through, log and count it (`eu-west-audit-plugin.json`).
    Audit,
}

impl ResidencyMode {
    /// Both modes.
    pub const ALL: [Self; 2] = [Self::Enforce, Self::Audit];

    /// The plugin config file in `envoy-config/`.
    pub fn plugin_config(self) -> &'static str {
        match self {
            Self::Enforce => "eu-west-plugin.json",
            Self::Audit => "eu-west-audit-plugin.json",
        }
    }

    /// The name of eu-west's rendered config (and compose service) in this mode.
    pub fn config_name(self) -> &'static str {
        match self {
            Self::Enforce => "eu-west",
            Self::Audit => "eu-west-audit",
        }
    }
}

/// A host (an IP address or a name) and a port that a config points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// IP address or DNS name.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Self {
        Self {
            host: addr.ip().to_string(),
            port: addr.port(),
        }
    }
}

/// Where the files a config names are, as the Envoy that loads it sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFiles {
    /// The filter's `.wasm`.
    pub wasm: String,
    /// The directory of the certificates, named as in [`files`].
    pub certs: String,
}

impl ConfigFiles {
    /// Files on this machine: the built filter and a run's certificates.
    pub fn local(wasm: &Path, pki: &TestPki) -> Self {
        Self {
            wasm: wasm.display().to_string(),
            certs: pki.dir.display().to_string(),
        }
    }

    fn cert(&self, name: &str) -> String {
        format!("{}/{name}", self.certs)
    }
}

/// Where an outbound sidecar listens and what it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundSite {
    /// The address its listeners bind.
    pub bind: String,
    /// Admin API port.
    pub admin_port: u16,
    /// HTTP listener port.
    pub listener_port: u16,
    /// The app next to it.
    pub local_app: Endpoint,
    /// eu-west's mTLS listener.
    pub eu_west: Endpoint,
}

/// The values of [`OUTBOUND_SIDECAR`] for `caller`.
pub fn outbound_values(caller: &Caller, site: &OutboundSite, files: &ConfigFiles) -> Values {
    Values::new()
        .set("cluster", caller.cluster)
        .set("region", caller.region)
        .set("zone", caller.zone)
        .set("bind_address", &site.bind)
        .set("admin_port", site.admin_port)
        .set("listener_port", site.listener_port)
        .set("local_app_host", &site.local_app.host)
        .set("local_app_port", site.local_app.port)
        .set("eu_west_host", &site.eu_west.host)
        .set("eu_west_port", site.eu_west.port)
        .set("ca_cert", files.cert(files::CA))
        .set("client_cert", files.cert(caller.cert.cert_file()))
        .set("client_key", files.cert(caller.cert.key_file()))
        .set("wasm_path", &files.wasm)
}

/// Where the eu-west sidecar listens and what it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSite {
    /// The address its listeners bind.
    pub bind: String,
    /// Admin API port.
    pub admin_port: u16,
    /// The mTLS listener's port.
    pub mtls_port: u16,
    /// The plaintext listener's port.
    pub plaintext_port: u16,
    /// The app behind it.
    pub app: Endpoint,
}

/// The values of [`EU_WEST_INBOUND`] in `mode`, its node in [`EU_WEST_ZONE`].
pub fn inbound_values(mode: ResidencyMode, site: &InboundSite, files: &ConfigFiles) -> Values {
    Values::new()
        .set("plugin_config", mode.plugin_config())
        .set("zone", EU_WEST_ZONE)
        .set("bind_address", &site.bind)
        .set("admin_port", site.admin_port)
        .set("mtls_port", site.mtls_port)
        .set("plaintext_port", site.plaintext_port)
        .set("app_host", &site.app.host)
        .set("app_port", site.app.port)
        .set("ca_cert", files.cert(files::CA))
        .set("server_cert", files.cert(files::SERVER_CERT))
        .set("server_key", files.cert(files::SERVER_KEY))
        .set("wasm_path", &files.wasm)
}

/// The values of [`EU_WEST_INBOUND_WATCHED`] and [`EU_WEST_ECDS_TEMPLATE`] (but the
/// latter's `version`) in `mode`, the watched file at `ecds_path`.
pub fn watched_inbound_values(
    mode: ResidencyMode,
    site: &InboundSite,
    files: &ConfigFiles,
    ecds_path: &str,
) -> Values {
    inbound_values(mode, site, files).set("ecds_path", ecds_path)
}

/// One config of the mesh: the name it is written under (`<name>.yaml`), its
/// template and its values.
#[derive(Debug, Clone)]
pub struct Rendering {
    /// `us-east`, `eu-central`, `eu-west` or `eu-west-audit`.
    pub name: String,
    /// The template in `envoy-config/`.
    pub template: &'static str,
    /// Its values.
    pub values: Values,
}

impl Rendering {
    /// The file name of the rendered config.
    pub fn file_name(&self) -> String {
        config_file_name(&self.name)
    }
}

/// The file name a config called `name` is rendered to, in tests, demo and compose.
pub fn config_file_name(name: &str) -> String {
    format!("{name}.yaml")
}

/// The fixed addresses of a placement where every Envoy and app has its own host
/// (compose), or where nothing listens (validation).
#[derive(Debug, Clone)]
pub struct Placement {
    /// The address listeners bind.
    pub bind: String,
    /// Every Envoy's admin port.
    pub admin_port: u16,
    /// Every outbound sidecar's listener port.
    pub listener_port: u16,
    /// eu-west's mTLS port.
    pub mtls_port: u16,
    /// eu-west's plaintext port.
    pub plaintext_port: u16,
    /// Every app's port.
    pub app_port: u16,
    /// The port of the database behind eu-west's TCP sidecar.
    pub database_port: u16,
    /// The host of a service (an Envoy or an app) by its name.
    pub host: fn(&str) -> String,
}

/// Every config of the mesh at `placement`: each caller's outbound sidecar, eu-west
/// in both modes, and the TCP pair ([`crate::tcp::renderings`]). Callers point at
/// the enforcing eu-west.
pub fn renderings(placement: &Placement, files: &ConfigFiles) -> Vec<Rendering> {
    let host = placement.host;
    let eu_west = Endpoint {
        host: host(ResidencyMode::Enforce.config_name()),
        port: placement.mtls_port,
    };
    let callers = CALLERS.iter().map(|caller| Rendering {
        name: caller.name.to_owned(),
        template: OUTBOUND_SIDECAR,
        values: outbound_values(
            caller,
            &OutboundSite {
                bind: placement.bind.clone(),
                admin_port: placement.admin_port,
                listener_port: placement.listener_port,
                local_app: Endpoint {
                    host: host(caller.app),
                    port: placement.app_port,
                },
                eu_west: eu_west.clone(),
            },
            files,
        ),
    });
    let inbound = ResidencyMode::ALL.iter().map(|mode| Rendering {
        name: mode.config_name().to_owned(),
        template: EU_WEST_INBOUND,
        values: inbound_values(
            *mode,
            &InboundSite {
                bind: placement.bind.clone(),
                admin_port: placement.admin_port,
                mtls_port: placement.mtls_port,
                plaintext_port: placement.plaintext_port,
                app: Endpoint {
                    host: host(EU_WEST_APP),
                    port: placement.app_port,
                },
            },
            files,
        ),
    });
    callers
        .chain(inbound)
        .chain(crate::tcp::renderings(placement, files))
        .collect()
}

/// Loopback, every port 0: for `envoy --mode validate`, which binds nothing.
pub fn validation_placement() -> Placement {
    Placement {
        bind: crate::ports::LOOPBACK.to_string(),
        admin_port: 0,
        listener_port: 0,
        mtls_port: 0,
        plaintext_port: 0,
        app_port: 0,
        database_port: 0,
        host: |_| crate::ports::LOOPBACK.to_string(),
    }
}

/// Values for every placeholder of every template in `envoy-config/`, loopback and
/// port 0 throughout, for checks that render any template (a template that is not
/// part of [`renderings`] is validated with these). The plugin config is eu-west's.
pub fn validation_values(files: &ConfigFiles) -> Values {
    let loopback = crate::ports::LOOPBACK;
    let any = Endpoint::from(SocketAddr::new(loopback, 0));
    let outbound = outbound_values(
        &US_EAST,
        &OutboundSite {
            bind: loopback.to_string(),
            admin_port: 0,
            listener_port: 0,
            local_app: any.clone(),
            eu_west: any.clone(),
        },
        files,
    );
    let inbound = inbound_values(
        ResidencyMode::Enforce,
        &InboundSite {
            bind: loopback.to_string(),
            admin_port: 0,
            mtls_port: 0,
            plaintext_port: 0,
            app: any.clone(),
        },
        files,
    );
    let gateway = crate::gateway::validation_values(Path::new(&files.wasm));
    outbound.merge(inbound).merge(gateway)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_plugin_config_differs_from_eu_west_only_in_its_mode() {
        let read = |mode: ResidencyMode| -> serde_json::Value {
            let path = crate::paths::config_dir().join(mode.plugin_config());
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let mut enforce = read(ResidencyMode::Enforce);
        let mut audit = read(ResidencyMode::Audit);
        assert_eq!(enforce["residency"]["mode"], "enforce");
        assert_eq!(audit["residency"]["mode"], "audit");
        enforce["residency"]["mode"].take();
        audit["residency"]["mode"].take();
        assert_eq!(enforce, audit);
    }

    #[test]
    fn eu_west_zone_is_the_zone_of_its_template() {
        let files = ConfigFiles {
            wasm: "/filter.wasm".to_owned(),
            certs: "/certs".to_owned(),
        };
        let text = crate::render::render(EU_WEST_INBOUND, &validation_values(&files)).unwrap();
        let config: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(config["node"]["locality"]["zone"], EU_WEST_ZONE);
        assert_eq!(config["node"]["locality"]["region"], EU_WEST_REGION);
        assert_eq!(config["node"]["metadata"]["CLUSTER_ID"], EU_WEST_CLUSTER);
    }

    #[test]
    fn a_caller_presents_its_own_client_certificate() {
        let files = ConfigFiles {
            wasm: "/filter.wasm".to_owned(),
            certs: "/certs".to_owned(),
        };
        let any = Endpoint {
            host: "127.0.0.1".to_owned(),
            port: 0,
        };
        let site = OutboundSite {
            bind: "127.0.0.1".to_owned(),
            admin_port: 0,
            listener_port: 0,
            local_app: any.clone(),
            eu_west: any,
        };
        for caller in [US_EAST, EU_WEST_B] {
            let text =
                crate::render::render(OUTBOUND_SIDECAR, &outbound_values(&caller, &site, &files))
                    .unwrap();
            let cert = format!("/certs/{}", caller.cert.cert_file());
            assert!(text.contains(&cert), "{}: no {cert}", caller.name);
            assert!(text.contains(&format!("zone: {}", caller.zone)), "{text}");
        }
    }

    #[test]
    fn every_caller_and_mode_has_its_own_config_name() {
        let files = ConfigFiles {
            wasm: "/filter.wasm".to_owned(),
            certs: "/certs".to_owned(),
        };
        let mut names: Vec<String> = renderings(&validation_placement(), &files)
            .iter()
            .map(Rendering::file_name)
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "eu-central-tcp.yaml",
                "eu-central.yaml",
                "eu-west-audit.yaml",
                "eu-west-tcp.yaml",
                "eu-west.yaml",
                "us-east-tcp.yaml",
                "us-east.yaml"
            ]
        );
    }
}
