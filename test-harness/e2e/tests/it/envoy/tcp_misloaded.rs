//! A configuration loaded as the wrong kind of filter fails closed and says why, on
//! real Envoys (one each): eu-west's `tcp` plugin config inlined in its HTTP
//! sidecar (`envoy.filters.http.wasm`) answers every request with a 503, and
//! eu-west's `http` plugin config inlined in its database sidecar
//! (`envoy.filters.network.wasm`) closes every connection before a byte reaches
//! PostgreSQL. Either way Envoy's log says why, once.

use std::net::SocketAddr;

use meshborder_e2e::client::Request;
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::mesh::{DatabaseSidecar, TcpCallerSidecar};
use meshborder_e2e::ports::{LOOPBACK, TcpSidecarPorts};
use meshborder_e2e::postgres;
use meshborder_e2e::tcp::{EU_CENTRAL_DB_CLIENT, EU_WEST_TCP_PLUGIN};
use meshborder_e2e::topology::{
    self, EU_WEST_APP, EU_WEST_INBOUND, EU_WEST_REGION, InboundSite, PLAINTEXT_LISTENER,
    ResidencyMode,
};
use meshborder_e2e::upstream::EchoApp;
use meshborder_e2e::{paths, plugin_config, poll};

use super::tcp_support::{
    RUN_AS_HTTP_FILTER, RUN_AS_NETWORK_FILTER, Rig, SERVER_CLOSED, TCP_LAYER, lines_saying, run,
};

const ANY: TcpSidecarPorts = TcpSidecarPorts {
    admin: 0,
    listener: 0,
};

/// Waits until `envoy`'s log has a line with every one of `fragments`, then
/// returns how many it has.
fn reason_lines(envoy: &Envoy, fragments: &[&str]) -> usize {
    poll::until("the misloaded reason in Envoy's log", || {
        let count = lines_saying(&envoy.log(), fragments);
        Ok((count > 0).then_some(count))
    })
    .unwrap()
}

#[test]
fn a_tcp_configuration_loaded_as_an_http_filter_answers_503_and_logs_why_once() {
    let (run_dir, _pki, files) = run("tcp-misloaded-as-http");
    let app = EchoApp::start(EU_WEST_APP, EU_WEST_REGION, SocketAddr::new(LOOPBACK, 0)).unwrap();
    let site = InboundSite {
        bind: LOOPBACK.to_string(),
        admin_port: 0,
        mtls_port: 0,
        plaintext_port: 0,
        app: app.addr().into(),
    };
    let values = topology::inbound_values(ResidencyMode::Enforce, &site, &files);
    let tcp_config = plugin_config::shipped(EU_WEST_TCP_PLUGIN).unwrap();
    let text = plugin_config::render_with(EU_WEST_INBOUND, &values, &tcp_config).unwrap();
    let dir = run_dir.join("eu-west");
    paths::fresh_dir(&dir).unwrap();
    let config = dir.join(topology::config_file_name("eu-west"));
    std::fs::write(&config, text).unwrap();
    let envoy = Envoy::start(&config, &dir).unwrap();
    let plaintext = envoy.listener_addr(PLAINTEXT_LISTENER).unwrap();

    for path in ["/catalog", "/users/1", "/orders"] {
        let response = Request::get(path)
            .header("host", "eu-user-data")
            .send(plaintext)
            .unwrap();
        assert_eq!(response.status, 503, "{path}: {}", response.text());
        let body = response.text();
        assert!(
            body.contains(TCP_LAYER) && body.contains(RUN_AS_HTTP_FILTER),
            "{path}: not the reason, so not the filter's answer: {body}"
        );
    }
    let fragments = [TCP_LAYER, RUN_AS_HTTP_FILTER];
    assert_eq!(reason_lines(&envoy, &fragments), 1, "{}", envoy.log());
}

#[test]
fn an_http_configuration_loaded_as_a_network_filter_closes_the_connection_and_logs_why_once() {
    let (run_dir, _pki, files, postgres) = Rig::base("tcp-misloaded-as-network");
    let http_config = plugin_config::shipped(ResidencyMode::Enforce.plugin_config()).unwrap();
    let eu_west = DatabaseSidecar::start_with_plugin(
        LOOPBACK,
        &ANY,
        postgres.addr(),
        &files,
        &run_dir,
        &http_config,
    )
    .unwrap();
    let client = TcpCallerSidecar::start(
        EU_CENTRAL_DB_CLIENT,
        LOOPBACK,
        &ANY,
        eu_west.listener,
        &files,
        &run_dir,
    )
    .unwrap();

    for application in ["eu-central-first", "eu-central-second"] {
        let refused = postgres::psql(client.listener, application, "SELECT 1").unwrap_err();
        assert!(refused.to_string().contains(SERVER_CLOSED), "{refused}");
    }
    let fragments = [TCP_LAYER, RUN_AS_NETWORK_FILTER];
    assert_eq!(
        reason_lines(&eu_west.envoy, &fragments),
        1,
        "{}",
        eu_west.envoy.log()
    );
    // Closed at accept, before tcp_proxy could even connect: PostgreSQL saw no
    // connection at all, let alone a byte.
    assert_eq!(postgres.connections(), [], "{}", postgres.log());
}
