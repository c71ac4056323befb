//! The federation run's rig and its traffic: two clusters of the test mesh, each
//! with an inbound sidecar in front of its app and an outbound sidecar of its own
//! callers (eu-west's shipped sidecar and us-east's caller; us-east's inbound
//! sidecar, eu-west's bootstrap with its node moved to us-east, and a caller in
//! eu-west), one Prometheus per cluster scraping that cluster's Envoys, and a
//! global Prometheus federating both ([`FleetPrometheus`]). Traffic crosses the
//! border both ways: us-east → eu-west and eu-west → us-east.

use meshborder_e2e::client::Request;
use meshborder_e2e::envoy::Envoy;
use meshborder_e2e::mesh::{CallerSidecar, InboundSidecarElsewhere, Mesh};
use meshborder_e2e::poll;
use meshborder_e2e::ports::{LOOPBACK, OutboundPorts};
use meshborder_e2e::prometheus_server::{
    ClusterScrape, FleetPrometheus, PrometheusApi, ScrapeTarget,
};
use meshborder_e2e::topology::{
    EU_WEST_A, EU_WEST_CLUSTER, EU_WEST_REGION, ResidencyMode, US_EAST,
};

/// The running rig. The Prometheus servers are stopped first, then the Envoys.
#[derive(Debug)]
pub struct FederationRun {
    /// The clusters' Prometheus servers and the global one.
    pub fleet: FleetPrometheus,
    /// eu-west's caller, sending to us-east's inbound sidecar.
    pub eu_west_caller: CallerSidecar,
    /// us-east's inbound sidecar.
    pub us_east_inbound: InboundSidecarElsewhere,
    /// eu-west's inbound sidecar and us-east's caller.
    pub mesh: Mesh,
}

impl FederationRun {
    /// Starts both clusters and the three Prometheus servers, and waits until each
    /// cluster's has scraped its Envoys and the global one has federated both.
    pub fn start(label: &str) -> Self {
        let mesh = Mesh::start(label, ResidencyMode::Enforce, &[US_EAST]).unwrap();
        let us_east_inbound =
            InboundSidecarElsewhere::start(US_EAST, LOOPBACK, &mesh.files, &mesh.run_dir).unwrap();
        let free = OutboundPorts {
            admin: 0,
            listener: 0,
            app: 0,
        };
        let eu_west_caller = CallerSidecar::start(
            EU_WEST_A,
            LOOPBACK,
            &free,
            us_east_inbound.mtls,
            &mesh.files,
            &mesh.run_dir,
        )
        .unwrap();
        let us_east_caller = &mesh.caller(&US_EAST).unwrap().envoy;
        let clusters = [
            scrape(
                EU_WEST_CLUSTER,
                EU_WEST_REGION,
                &[
                    ("eu-west", &mesh.eu_west.envoy),
                    (EU_WEST_A.name, &eu_west_caller.envoy),
                ],
            ),
            scrape(
                US_EAST.cluster,
                US_EAST.region,
                &[
                    ("us-east-inbound", &us_east_inbound.envoy),
                    (US_EAST.name, us_east_caller),
                ],
            ),
        ];
        let fleet = FleetPrometheus::start(&mesh.run_dir, &clusters).unwrap();
        for cluster in &clusters {
            let api = fleet.cluster_api(&cluster.cluster).unwrap();
            wait_until_up(&api, cluster.targets.len(), &cluster.cluster);
        }
        wait_until_up(&fleet.global_api(), clusters.len(), "global");
        Self {
            fleet,
            eu_west_caller,
            us_east_inbound,
            mesh,
        }
    }

    /// Cross-border traffic both ways: us-east's caller to eu-west (a read and a
    /// 1000-byte order) and eu-west's caller to us-east (a read).
    pub fn round(&self) {
        let us_east = self.mesh.caller(&US_EAST).unwrap();
        let catalog = Request::get("/catalog").header("host", "eu-user-data");
        let order = Request::new("POST", "/orders")
            .header("host", "eu-user-data")
            .body(vec![b'x'; 1000]);
        let statuses = [
            catalog.send(us_east.listener).unwrap().status,
            order.send(us_east.listener).unwrap().status,
            catalog.send(self.eu_west_caller.listener).unwrap().status,
        ];
        assert_eq!(statuses, [200; 3], "traffic across the border both ways");
    }

    /// us-east's caller asks eu-west for EU user data: a residency denial in
    /// eu-west.
    pub fn denial(&self) {
        let us_east = self.mesh.caller(&US_EAST).unwrap();
        let eu_user = Request::get("/users/1").header("host", "eu-user-data");
        let denied = eu_user.send(us_east.listener).unwrap();
        assert_eq!(denied.status, 403, "{}", denied.text());
    }
}

fn scrape(cluster: &str, region: &str, envoys: &[(&str, &Envoy)]) -> ClusterScrape {
    ClusterScrape {
        cluster: cluster.to_owned(),
        region: region.to_owned(),
        targets: envoys
            .iter()
            .map(|(name, envoy)| ScrapeTarget::new(name, envoy.admin_addr()))
            .collect(),
    }
}

fn wait_until_up(api: &PrometheusApi, targets: usize, name: &str) {
    poll::until(
        &format!("the {name} Prometheus to scrape its {targets} targets"),
        || {
            let up = api.query("up == 1")?;
            Ok((up.len() == targets).then_some(()))
        },
    )
    .unwrap();
}
