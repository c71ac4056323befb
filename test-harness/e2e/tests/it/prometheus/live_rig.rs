//! The live run's rig and its traffic: the test mesh (eu-west enforcing its rules,
//! the us-east and eu-central callers' sidecars), the TCP pair in front of an echo
//! database (the us-east and eu-central database clients' sidecars), and a real
//! Prometheus scraping every one of their Envoys; then requests and connections
//! that cross the borders the rules price and alert on.

use meshborder_e2e::certs::ClientCert;
use meshborder_e2e::client::Request;
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::keep_alive::KeptAlive;
use meshborder_e2e::mesh::{Mesh, TcpPair};
use meshborder_e2e::poll;
use meshborder_e2e::ports::{LOOPBACK, TcpPorts};
use meshborder_e2e::prometheus_server::{PrometheusApi, PrometheusServer, ScrapeTarget};
use meshborder_e2e::tcp::{Answer, Database, EU_CENTRAL_DB_CLIENT, EU_WEST_TCP, US_EAST_DB_CLIENT};
use meshborder_e2e::tls::TlsClient;
use meshborder_e2e::topology::{Caller, EU_CENTRAL, EU_WEST_CLUSTER, ResidencyMode, US_EAST};
use meshborder_filter::contract::header;

/// A cluster in eu-west's region that eu-west's `clusters` table does not list:
/// a trusted peer's tags put a caller there, and two clusters of one region are
/// priced cross-zone.
pub const STANDBY_CLUSTER: &str = "eu-west-standby";
/// Its region, eu-west's.
pub const STANDBY_REGION: &str = "eu-west-1";
/// Its zone, not eu-west's.
pub const STANDBY_ZONE: &str = "eu-west-1c";

/// The running rig. Prometheus is stopped first, then the Envoys.
#[derive(Debug)]
pub struct LiveRun {
    /// Prometheus, scraping every Envoy below.
    pub prometheus: PrometheusServer,
    /// The TCP pair.
    pub tcp: TcpPair,
    /// The database behind it.
    pub database: Database,
    /// The HTTP mesh.
    pub mesh: Mesh,
    trusted: TlsClient,
    untrusted: TlsClient,
    us_east_cert: TlsClient,
}

impl LiveRun {
    /// Starts the mesh, the TCP pair and Prometheus, and waits until Prometheus has
    /// scraped every Envoy.
    pub fn start(label: &str) -> Self {
        let mesh = Mesh::start(label, ResidencyMode::Enforce, &[US_EAST, EU_CENTRAL]).unwrap();
        let database = Database::echo().unwrap();
        let callers = [US_EAST_DB_CLIENT, EU_CENTRAL_DB_CLIENT];
        let tcp = mesh
            .start_tcp(LOOPBACK, &TcpPorts::EPHEMERAL, database.addr(), &callers)
            .unwrap();
        let targets: Vec<ScrapeTarget> = proxies(&mesh, &tcp)
            .into_iter()
            .map(|(name, envoy)| ScrapeTarget::new(name, envoy.admin_addr()))
            .collect();
        let prometheus = PrometheusServer::start(&mesh.run_dir, &targets).unwrap();
        let api = prometheus.api();
        poll::until("Prometheus to scrape every Envoy", || {
            let up = api.query("up == 1")?;
            Ok((up.len() == targets.len()).then_some(()))
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", prometheus.log()));
        Self {
            trusted: mesh.trusted_client().unwrap(),
            untrusted: mesh.untrusted_client().unwrap(),
            us_east_cert: mesh.client(ClientCert::UsEast).unwrap(),
            prometheus,
            tcp,
            database,
            mesh,
        }
    }

    /// Every Envoy of the run, by the name Prometheus labels it with.
    pub fn proxies(&self) -> Vec<(&'static str, &Envoy)> {
        proxies(&self.mesh, &self.tcp)
    }

    /// Its Prometheus's API.
    pub fn api(&self) -> PrometheusApi {
        self.prometheus.api()
    }

    /// Traffic that every rule allows, across every border the mesh has: us-east's
    /// and eu-central's sidecars to eu-west (other regions, other zones), a trusted
    /// peer tagged as the standby cluster (eu-west's region, another zone), a
    /// us-east certificate with no tags (a believed source without a zone), a
    /// plaintext caller (unknown), and eu-central's database client (TCP). Every
    /// pair it creates a counter for grows from then on: Prometheus cannot see the
    /// bytes a counter already had when it was first scraped.
    pub fn allowed_round(&self) {
        let us_east = self.mesh.caller(&US_EAST).unwrap();
        let eu_central = self.mesh.caller(&EU_CENTRAL).unwrap();
        let eu_west = &self.mesh.eu_west;
        let catalog = Request::get("/catalog").header("host", "eu-user-data");
        let order = Request::new("POST", "/orders")
            .header("host", "eu-user-data")
            .body(vec![b'x'; 1000]);
        let eu_user = Request::get("/users/1").header("host", "eu-user-data");
        let standby = catalog
            .clone()
            .header(header::SOURCE_CLUSTER, STANDBY_CLUSTER)
            .header(header::SOURCE_REGION, STANDBY_REGION)
            .header(header::SOURCE_ZONE, STANDBY_ZONE);
        let statuses = [
            catalog.send(us_east.listener).unwrap().status,
            order.send(us_east.listener).unwrap().status,
            eu_user.send(eu_central.listener).unwrap().status,
            standby
                .send_tls(eu_west.mtls, &self.trusted)
                .unwrap()
                .status,
            catalog
                .send_tls(eu_west.mtls, &self.us_east_cert)
                .unwrap()
                .status,
            catalog.send(eu_west.plaintext).unwrap().status,
        ];
        assert_eq!(statuses, [200; 6], "allowed traffic");
        let answer = self.ask_database(&EU_CENTRAL_DB_CLIENT);
        assert!(
            matches!(answer, Answer::Answered(_)),
            "eu-central's database client: {answer:?}"
        );
    }

    /// Traffic the alerts watch: a residency denial of us-east's request for EU
    /// user data, a us-east certificate whose cluster tag claims eu-west, and
    /// us-east's database client, whose connection the TCP rule closes.
    pub fn denied_round(&self) {
        let us_east = self.mesh.caller(&US_EAST).unwrap();
        let eu_user = Request::get("/users/1").header("host", "eu-user-data");
        let denied = eu_user.send(us_east.listener).unwrap();
        assert_eq!(denied.status, 403, "{}", denied.text());
        let claiming = Request::get("/catalog")
            .header("host", "eu-user-data")
            .header(header::SOURCE_CLUSTER, EU_WEST_CLUSTER);
        let mismatch = claiming
            .send_tls(self.mesh.eu_west.mtls, &self.us_east_cert)
            .unwrap();
        assert_eq!(mismatch.status, 200, "{}", mismatch.text());
        let closed = self.ask_database(&US_EAST_DB_CLIENT);
        assert!(
            matches!(closed, Answer::Closed(_)),
            "us-east's database client: {closed:?}"
        );
    }

    /// `count` requests on one connection from a peer outside `trustedPeers`:
    /// a spike of unknown callers.
    pub fn unknown_flood(&self, count: usize) {
        let mut connection =
            KeptAlive::connect_tls(self.mesh.eu_west.mtls, &self.untrusted).unwrap();
        let request = Request::get("/catalog").header("host", "eu-user-data");
        for _ in 0..count {
            assert_eq!(connection.send(&request).unwrap().status, 200);
        }
    }

    fn ask_database(&self, caller: &Caller) -> Answer {
        let sidecar = self.tcp.caller(caller).unwrap();
        self.database.ask(sidecar.listener, caller.name).unwrap()
    }
}

/// Every Envoy of `mesh` and `tcp`, by name.
fn proxies<'a>(mesh: &'a Mesh, tcp: &'a TcpPair) -> Vec<(&'static str, &'a Envoy)> {
    let mut proxies = vec![("eu-west", &mesh.eu_west.envoy)];
    proxies.extend(
        mesh.callers
            .iter()
            .map(|caller| (caller.caller.name, &caller.envoy)),
    );
    proxies.push((EU_WEST_TCP, &tcp.eu_west.envoy));
    proxies.extend(
        tcp.callers
            .iter()
            .map(|caller| (caller.caller.name, &caller.envoy)),
    );
    proxies
}
