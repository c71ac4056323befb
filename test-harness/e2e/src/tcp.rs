//! The L4 topology, written once: a caller's TCP sidecar
//! (`envoy-config/tcp-outbound-sidecar.yaml`) in front of a database client, reaching
//! over mTLS the TCP sidecar of eu-west's PostgreSQL
//! (`envoy-config/eu-west-tcp-inbound.yaml`), which runs the filter as a network
//! filter with `eu-west-tcp-plugin.json` (`"layer": "tcp"`).
//!
//! ```text
//!  psql ──> caller's sidecar ──mTLS──> eu-west inbound_tcp ──> inbound_tcp_mtls ──> PostgreSQL
//!           (outbound_tcp)    cert-     (the port callers      (internal listener:
//!                             bound     dial; TLS passed       destination 5432, TLS
//!                             SPIFFE ID on untouched)          ends, meshborder, tcp_proxy)
//! ```
//!
//! The templates take the placeholders of their HTTP counterparts, so the values
//! below are [`topology::outbound_values`] and [`topology::inbound_values`] with the
//! database as eu-west's app; [`topology::validation_values`] fills both in.
//!
//! What eu-west's rule `eu-database` (port 5432, EU sources only, unknown sources
//! denied) makes of each caller's certificate:
//!
//! | caller | certificate | source | connection |
//! | --- | --- | --- | --- |
//! | [`US_EAST_DB_CLIENT`] | `spiffe://us-east.mesh.example/...` | us-east (bound by name) | denied |
//! | [`EU_CENTRAL_DB_CLIENT`] | `spiffe://eu-central.mesh.example/...` | eu-central (from the trust domain) | allowed, metered cross-cluster |
//! | [`EU_WEST_DB_CLIENT`] | `spiffe://eu-west.mesh.example/...` | eu-west (its own cluster) | allowed, not cross-cluster |
//! | [`MESH_WIDE_DB_CLIENT`] | `spiffe://cluster.local/...` | unknown (no certificate-bound entry) | denied |
//!
//! The demo and compose run the pair with [`TCP_CALLERS`] ([`renderings`]; running:
//! [`crate::mesh::TcpPair`]); behind eu-west is a [`Database`]: PostgreSQL, or, where
//! it is not installed, a plain TCP [`echo`] server.

mod database;
pub mod echo;

pub use database::{Answer, Database, DatabaseKind, HELLO_SQL};

use crate::access_log::{self, AccessEntry};
use crate::certs::ClientCert;
use crate::render::Values;
use crate::topology::{
    self, Caller, ConfigFiles, Endpoint, InboundSite, OutboundSite, Placement, Rendering,
    ResidencyMode,
};

/// The template of a caller's TCP sidecar.
pub const TCP_OUTBOUND_SIDECAR: &str = "tcp-outbound-sidecar.yaml";
/// The template of eu-west's database sidecar.
pub const EU_WEST_TCP_INBOUND: &str = "eu-west-tcp-inbound.yaml";
/// The plugin config it includes.
pub const EU_WEST_TCP_PLUGIN: &str = "eu-west-tcp-plugin.json";
/// The caller's listener, where the database client connects.
pub const OUTBOUND_TCP_LISTENER: &str = "outbound_tcp";
/// eu-west's listener that callers dial (its port is `mtls_port`).
pub const INBOUND_TCP_LISTENER: &str = "inbound_tcp";
/// eu-west's internal listener where TLS ends and the filter runs.
pub const INBOUND_TCP_MTLS_LISTENER: &str = "inbound_tcp_mtls";
/// The database's port as the filter sees it (`destination.port`), whatever port
/// `inbound_tcp` listens on: what the rule's `ports` names.
pub const DATABASE_PORT: u16 = 5432;
/// The residency rule of [`EU_WEST_TCP_PLUGIN`].
pub const DATABASE_RULE: &str = "eu-database";
/// The server name callers ask for (`sni` of their upstream TLS).
pub const DATABASE_SNI: &str = "eu-user-db";
/// The `stat_prefix` of the tcp_proxy in front of the database
/// (`tcp.inbound_tcp.*` in Envoy's stats).
pub const INBOUND_TCP_STAT_PREFIX: &str = "inbound_tcp";
/// The name of eu-west's database sidecar in a run (its directory and rendered
/// config) and in compose.
pub const EU_WEST_TCP: &str = "eu-west-tcp";
/// The database behind it, by name (its compose service).
pub const EU_WEST_DB: &str = "eu-west-db";
/// The port the database listens on where it has a host of its own (compose).
pub const DATABASE_SERVICE_PORT: u16 = 5432;

/// A database client in us-east, bound to us-east by its certificate: denied.
pub const US_EAST_DB_CLIENT: Caller = Caller {
    name: "us-east-tcp",
    cluster: "us-east",
    region: "us-east-1",
    zone: "us-east-1a",
    cert: ClientCert::UsEast,
    app: "us-east-db-client",
};

/// A database client in eu-central, whose trust domain names its cluster: allowed.
pub const EU_CENTRAL_DB_CLIENT: Caller = Caller {
    name: "eu-central-tcp",
    cluster: "eu-central",
    region: "eu-central-1",
    zone: "eu-central-1a",
    cert: ClientCert::EuCentral,
    app: "eu-central-db-client",
};

/// A database client inside eu-west itself: allowed, crosses no cluster border.
/// Its name is not [`EU_WEST_TCP`]: a run keeps each Envoy in a directory of that
/// name, and the two share a run.
pub const EU_WEST_DB_CLIENT: Caller = Caller {
    name: "eu-west-local-tcp",
    cluster: "eu-west",
    region: "eu-west-1",
    zone: "eu-west-1b",
    cert: ClientCert::EuWest,
    app: "eu-west-db-client",
};

/// The database clients the demo and compose run: one refused, one allowed.
pub const TCP_CALLERS: [Caller; 2] = [US_EAST_DB_CLIENT, EU_CENTRAL_DB_CLIENT];

/// A client with the mesh-wide certificate, which no certificate-bound entry
/// matches: an unknown source at L4, denied.
pub const MESH_WIDE_DB_CLIENT: Caller = Caller {
    name: "mesh-wide-tcp",
    cluster: "us-east",
    region: "us-east-1",
    zone: "us-east-1a",
    cert: ClientCert::MeshWide,
    app: "mesh-wide-db-client",
};

/// The values of [`TCP_OUTBOUND_SIDECAR`] for `caller`, listening on `bind` at
/// `listener_port` (0: any), admin on `admin_port`, reaching eu-west's
/// [`INBOUND_TCP_LISTENER`] at `eu_west`.
pub fn outbound_values(
    caller: &Caller,
    bind: &str,
    admin_port: u16,
    listener_port: u16,
    eu_west: &Endpoint,
    files: &ConfigFiles,
) -> Values {
    topology::outbound_values(
        caller,
        &OutboundSite {
            bind: bind.to_owned(),
            admin_port,
            listener_port,
            // The TCP sidecar has no app of its own; the value is unused.
            local_app: eu_west.clone(),
            eu_west: eu_west.clone(),
        },
        files,
    )
}

/// The values of [`EU_WEST_TCP_INBOUND`]: [`INBOUND_TCP_LISTENER`] on `bind` at
/// `listener_port` (0: any), admin on `admin_port`, the database at `database`.
pub fn inbound_values(
    bind: &str,
    admin_port: u16,
    listener_port: u16,
    database: &Endpoint,
    files: &ConfigFiles,
) -> Values {
    topology::inbound_values(
        // The TCP template includes its own plugin config; the value is unused.
        ResidencyMode::Enforce,
        &InboundSite {
            bind: bind.to_owned(),
            admin_port,
            mtls_port: listener_port,
            plaintext_port: 0,
            app: database.clone(),
        },
        files,
    )
}

/// Every config of the TCP pair at `placement`: eu-west's database sidecar
/// ([`EU_WEST_TCP`], in front of [`EU_WEST_DB`]) and each of [`TCP_CALLERS`]' TCP
/// sidecars, pointing at it.
pub fn renderings(placement: &Placement, files: &ConfigFiles) -> Vec<Rendering> {
    let host = placement.host;
    let eu_west = Endpoint {
        host: host(EU_WEST_TCP),
        port: placement.mtls_port,
    };
    let database = Endpoint {
        host: host(EU_WEST_DB),
        port: placement.database_port,
    };
    let inbound = Rendering {
        name: EU_WEST_TCP.to_owned(),
        template: EU_WEST_TCP_INBOUND,
        values: inbound_values(
            &placement.bind,
            placement.admin_port,
            placement.mtls_port,
            &database,
            files,
        ),
    };
    let callers = TCP_CALLERS.iter().map(|caller| Rendering {
        name: caller.name.to_owned(),
        template: TCP_OUTBOUND_SIDECAR,
        values: outbound_values(
            caller,
            &placement.bind,
            placement.admin_port,
            placement.listener_port,
            &eu_west,
            files,
        ),
    });
    std::iter::once(inbound).chain(callers).collect()
}

/// The lines of a TCP access log (`include/tcp-access-log.yaml`) written when a
/// connection ended, in order.
pub fn ended_connections(access_log: &str) -> Vec<AccessEntry> {
    tcp_entries(access_log)
        .into_iter()
        .filter(|entry| entry.get("type") == Some("TcpConnectionEnd"))
        .collect()
}

/// Every line of a TCP access log, periodic ones included, in order.
pub fn tcp_entries(access_log: &str) -> Vec<AccessEntry> {
    access_log::entries(access_log)
        .into_iter()
        .filter(|entry| entry.get("layer") == Some("tcp"))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use serde_json::Value;

    use super::*;
    use crate::paths;
    use crate::render;

    const NETWORK_WASM: &str = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm";
    const TCP_PROXY: &str =
        "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

    fn files() -> ConfigFiles {
        ConfigFiles {
            wasm: "/filter.wasm".to_owned(),
            certs: "/certs".to_owned(),
        }
    }

    fn rendered(template: &str, values: &Values) -> Value {
        let text = render::render(template, values).unwrap();
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        serde_json::to_value(yaml).unwrap()
    }

    fn listener<'a>(config: &'a Value, name: &str) -> &'a Value {
        config["static_resources"]["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == name)
            .unwrap_or_else(|| panic!("no listener {name}"))
    }

    fn filters(listener: &Value) -> &Vec<Value> {
        listener["filter_chains"][0]["filters"].as_array().unwrap()
    }

    fn inbound() -> Value {
        let database = SocketAddr::from(([127, 0, 0, 1], 15432));
        rendered(
            EU_WEST_TCP_INBOUND,
            &inbound_values("127.0.0.1", 0, 0, &database.into(), &files()),
        )
    }

    #[test]
    fn eu_west_runs_the_filter_as_a_network_filter_before_tcp_proxy() {
        let config = inbound();
        let mtls = listener(&config, INBOUND_TCP_MTLS_LISTENER);
        assert_eq!(mtls["traffic_direction"], "INBOUND");
        let tls = &mtls["filter_chains"][0]["transport_socket"]["typed_config"];
        assert_eq!(tls["require_client_certificate"], true);
        let chain = filters(mtls);
        let types: Vec<&str> = chain
            .iter()
            .map(|f| f["typed_config"]["@type"].as_str().unwrap())
            .collect();
        assert_eq!(types, [NETWORK_WASM, TCP_PROXY]);
        let wasm = &chain[0]["typed_config"]["config"];
        assert_eq!(wasm["failure_policy"], "FAIL_RELOAD");
        assert_eq!(
            wasm["vm_config"]["code"]["local"]["filename"],
            "/filter.wasm"
        );
        let plugin: Value =
            serde_json::from_str(wasm["configuration"]["value"].as_str().unwrap()).unwrap();
        assert_eq!(plugin["layer"], "tcp");
        let proxy = &chain[1]["typed_config"];
        assert_eq!(proxy["stat_prefix"], INBOUND_TCP_STAT_PREFIX);
        let format = proxy["access_log"][0]["typed_config"]["log_format"]["text_format_source"]
            ["inline_string"]
            .as_str()
            .unwrap();
        for field in [
            "bytes_received=%BYTES_RECEIVED%",
            "bytes_sent=%BYTES_SENT%",
            "peer=%DOWNSTREAM_PEER_URI_SAN%",
            "upstream_local=%UPSTREAM_LOCAL_ADDRESS%",
        ] {
            assert!(format.contains(field), "{format}");
        }
        let database = config["static_resources"]["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "postgres")
            .unwrap();
        let address = &database["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
            ["socket_address"];
        assert_eq!(address["port_value"], 15432);
    }

    #[test]
    fn the_rule_names_the_port_the_template_maps_every_connection_to() {
        let plugin: Value = serde_json::from_str(
            &std::fs::read_to_string(paths::config_dir().join(EU_WEST_TCP_PLUGIN)).unwrap(),
        )
        .unwrap();
        let rules = plugin["residency"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0]["name"], DATABASE_RULE);
        assert_eq!(
            rules[0]["match"]["ports"],
            serde_json::json!([DATABASE_PORT])
        );

        let config = inbound();
        let front = listener(&config, INBOUND_TCP_LISTENER);
        let state = &filters(front)[0]["typed_config"]["on_new_connection"];
        let local = state
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["object_key"] == "envoy.filters.listener.original_dst.local_ip")
            .unwrap();
        let mapped = local["format_string"]["text_format_source"]["inline_string"]
            .as_str()
            .unwrap();
        assert!(mapped.ends_with(&format!(":{DATABASE_PORT}")), "{mapped}");
    }

    #[test]
    fn a_caller_presents_its_certificate_and_asks_for_the_database_by_name() {
        let eu_west = Endpoint {
            host: "127.0.0.1".to_owned(),
            port: 15443,
        };
        for caller in [US_EAST_DB_CLIENT, EU_CENTRAL_DB_CLIENT, MESH_WIDE_DB_CLIENT] {
            let config = rendered(
                TCP_OUTBOUND_SIDECAR,
                &outbound_values(&caller, "127.0.0.1", 0, 0, &eu_west, &files()),
            );
            assert_eq!(config["node"]["metadata"]["CLUSTER_ID"], caller.cluster);
            let cluster = &config["static_resources"]["clusters"][0];
            let tls = &cluster["transport_socket"]["typed_config"];
            assert_eq!(tls["sni"], DATABASE_SNI);
            assert_eq!(
                tls["common_tls_context"]["tls_certificates"][0]["certificate_chain"]["filename"],
                format!("/certs/{}", caller.cert.cert_file())
            );
            let endpoint = &cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]
                ["address"]["socket_address"];
            assert_eq!(endpoint["port_value"], 15443);
            let outbound = listener(&config, OUTBOUND_TCP_LISTENER);
            assert_eq!(outbound["traffic_direction"], "OUTBOUND");
        }
    }

    #[test]
    fn reads_the_lines_of_ended_connections() {
        let log = "access method=GET path=/ status=200\n\
                   access layer=tcp type=TcpPeriodic bytes_received=10 bytes_sent=4\n\
                   access layer=tcp type=TcpConnectionEnd peer=spiffe://x bytes_received=12 bytes_sent=9\n";
        assert_eq!(tcp_entries(log).len(), 2);
        let ended = ended_connections(log);
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].number("bytes_received"), Some(12));
        assert_eq!(ended[0].get("peer"), Some("spiffe://x"));
    }
}
