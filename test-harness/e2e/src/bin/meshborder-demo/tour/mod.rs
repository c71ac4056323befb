//! The demo's tour: curl requests through the running mesh, each followed by what
//! the filter did, as the app, the response, Envoy's log and Envoy's stats show it.
//! A step that does not go as the product contract says is flagged with `!!`.

mod borders;
mod metering;
mod residency;
mod routing;
mod tagging;
mod tcp;

use std::net::SocketAddr;
use std::path::PathBuf;

use meshborder_e2e::gateway::Gateway;
use meshborder_e2e::mesh::{EuWestSidecar, Mesh, TcpPair};
use meshborder_e2e::tcp::{Database, DatabaseKind, EU_CENTRAL_DB_CLIENT, US_EAST_DB_CLIENT};
use meshborder_e2e::topology::{EU_CENTRAL, US_EAST};
use meshborder_e2e::{HarnessError, certs, prometheus};
use meshborder_filter::contract::header;
use serde_json::Value;

use crate::{curl, shown};

/// A certificate and key to present, as curl arguments.
pub struct ClientCert {
    cert: String,
    key: String,
}

/// The L4 pair the tour talks to.
pub struct TcpTarget {
    /// What is behind eu-west's database sidecar.
    pub database: DatabaseKind,
    /// Where it listens.
    pub database_addr: SocketAddr,
    /// The us-east database client's TCP sidecar.
    pub us_east: SocketAddr,
    /// The eu-central database client's TCP sidecar.
    pub eu_central: SocketAddr,
    /// eu-west's database sidecar's admin API.
    pub admin: String,
    /// Its log.
    pub log: PathBuf,
    /// Its access log.
    pub access_log: PathBuf,
}

impl TcpTarget {
    /// The addresses and files of a running TCP pair in front of `database`.
    pub fn new(pair: &TcpPair, database: &Database) -> Result<Self, HarnessError> {
        Ok(Self {
            database: database.kind(),
            database_addr: database.addr(),
            us_east: pair.caller(&US_EAST_DB_CLIENT)?.listener,
            eu_central: pair.caller(&EU_CENTRAL_DB_CLIENT)?.listener,
            admin: pair.eu_west.envoy.admin_addr().to_string(),
            log: pair.eu_west.envoy.log_path().to_path_buf(),
            access_log: pair.eu_west.envoy.access_log_path().to_path_buf(),
        })
    }
}

/// What the tour talks to, and where it looks.
pub struct Target {
    /// us-east's outbound listener, e.g. `127.0.0.1:10000`.
    pub us_east: String,
    /// eu-central's outbound listener.
    pub eu_central: String,
    /// eu-west's plaintext listener.
    pub eu_west_plaintext: String,
    /// eu-west's mTLS listener.
    pub eu_west_mtls: String,
    /// eu-west's admin API.
    pub eu_west_admin: String,
    /// The auditing eu-west's mTLS listener.
    pub audit_mtls: String,
    /// The auditing eu-west's admin API.
    pub audit_admin: String,
    /// The test CA, relative to the workspace.
    pub ca: String,
    /// The trusted client certificate.
    pub trusted: ClientCert,
    /// The untrusted client certificate.
    pub untrusted: ClientCert,
    /// The client certificate of us-east's trust domain, bound to us-east.
    pub us_east_bound: ClientCert,
    /// eu-west's log (the filter's lines are in it).
    pub eu_west_log: PathBuf,
    /// eu-west's access log.
    pub eu_west_access_log: PathBuf,
    /// The eu-west gateway's listener.
    pub gateway: String,
    /// The gateway's log.
    pub gateway_log: PathBuf,
    /// The L4 pair.
    pub tcp: TcpTarget,
}

impl Target {
    /// The addresses and files of a running mesh, its auditing eu-west, the
    /// gateway and the L4 pair.
    pub fn new(
        mesh: &Mesh,
        audit: &EuWestSidecar,
        gateway: &Gateway,
        tcp: TcpTarget,
    ) -> Result<Self, HarnessError> {
        let client = |identity: &certs::Identity| ClientCert {
            cert: shown(&identity.cert_path),
            key: shown(&identity.key_path),
        };
        Ok(Self {
            us_east: mesh.caller(&US_EAST)?.listener.to_string(),
            eu_central: mesh.caller(&EU_CENTRAL)?.listener.to_string(),
            eu_west_plaintext: mesh.eu_west.plaintext.to_string(),
            eu_west_mtls: mesh.eu_west.mtls.to_string(),
            eu_west_admin: mesh.eu_west.envoy.admin_addr().to_string(),
            audit_mtls: audit.mtls.to_string(),
            audit_admin: audit.envoy.admin_addr().to_string(),
            ca: shown(&mesh.pki.ca_path),
            trusted: client(&mesh.pki.trusted_client),
            untrusted: client(&mesh.pki.untrusted_client),
            us_east_bound: client(&mesh.pki.us_east_client),
            eu_west_log: mesh.eu_west.envoy.log_path().to_path_buf(),
            eu_west_access_log: mesh.eu_west.envoy.access_log_path().to_path_buf(),
            gateway: gateway.listener.to_string(),
            gateway_log: gateway.envoy.log_path().to_path_buf(),
            tcp,
        })
    }

    /// curl arguments for an mTLS request to `addr` (`ip:port`) as `client`: the
    /// server certificate names `eu-west`, so curl resolves that name to `addr`.
    pub fn mtls(&self, addr: &str, client: &ClientCert, path: &str) -> Vec<String> {
        let (ip, port) = addr.rsplit_once(':').unwrap_or((addr, ""));
        let name = certs::SERVER_DNS_NAME;
        vec![
            "--cacert".to_owned(),
            self.ca.clone(),
            "--cert".to_owned(),
            client.cert.clone(),
            "--key".to_owned(),
            client.key.clone(),
            "--resolve".to_owned(),
            format!("{name}:{port}:{ip}"),
            format!("https://{name}:{port}{path}"),
        ]
    }
}

/// Counts what did not go as expected.
#[derive(Default)]
pub struct Outcome {
    /// How many expectations failed.
    pub surprises: usize,
}

impl Outcome {
    fn saw(&mut self, what: &str, actual: Option<&str>, expected: &str) {
        match actual {
            Some(value) if value == expected => println!("  -> {what}: {value}"),
            Some(value) => self.surprise(&format!("{what}: {value} (expected {expected})")),
            None => self.surprise(&format!("{what}: nothing (expected {expected})")),
        }
    }

    fn saw_none(&mut self, what: &str, actual: Option<&str>) {
        match actual {
            None => println!("  -> {what}: none"),
            Some(value) => self.surprise(&format!("{what}: {value} (expected none)")),
        }
    }

    fn surprise(&mut self, text: &str) {
        println!("  !! {text}");
        self.surprises += 1;
    }
}

/// One step of the tour; an `Err` is a step that could not even run.
type Step = fn(&Target, &mut Outcome) -> Result<(), String>;

/// Runs every step; a failed curl counts as a surprise, not an abort.
pub fn run(target: &Target) -> Outcome {
    let mut outcome = Outcome::default();
    let steps: [(&str, Step); 9] = [
        (
            "1. Tagging: a request from us-east crosses to eu-west over mTLS, tagged with its source",
            tagging::tags,
        ),
        (
            "2. Trust: a forged tag never reaches an app as if it were true",
            tagging::forged_tags,
        ),
        (
            "3. Residency: EU user data may only be asked for from the EU",
            residency::enforce,
        ),
        (
            "4. Audit: the same rule in audit mode lets the request through, and counts it",
            residency::audit,
        ),
        (
            "5. Routing: the eu-west gateway sends each visitor to the region that serves them",
            routing::by_header_and_country,
        ),
        (
            "6. Metering: eu-west counts the bytes that crossed the border, exactly",
            metering::bytes,
        ),
        (
            "7. Zones: a request from another zone of eu-west is cross-zone, not cross-cluster",
            borders::cross_zone,
        ),
        (
            "8. Identity from the certificate: a caller's tag cannot move it to another cluster",
            borders::certificate_bound,
        ),
        (
            "9. L4: a database connection across the border is metered to the byte, or refused",
            tcp::database,
        ),
    ];
    for (title, step) in steps {
        println!("\n{title}");
        if let Err(e) = step(target, &mut outcome) {
            outcome.surprise(&e);
        }
    }
    outcome
}

/// Prints the commands to try by hand.
pub fn invite(target: &Target) {
    let commands = [
        format!(
            "curl -sS -H 'Host: eu-user-data' http://{}/catalog",
            target.us_east
        ),
        format!(
            "curl -sS -i -H 'Host: eu-user-data' http://{}/users/7",
            target.us_east
        ),
        format!(
            "curl -sS -i -H 'Host: eu-user-data' http://{}/users/7",
            target.eu_central
        ),
        format!(
            "curl -sS -H '{}: us-east' http://{}/users/7",
            header::SOURCE_CLUSTER,
            target.eu_west_plaintext
        ),
        curl::command(
            &[
                vec![
                    "-sS".to_owned(),
                    "-H".to_owned(),
                    "Host: eu-user-data".to_owned(),
                ],
                target.mtls(&target.eu_west_mtls, &target.untrusted, "/catalog"),
            ]
            .concat(),
        ),
        format!("curl -sS -H 'cf-ipcountry: AT' http://{}/", target.gateway),
        format!(
            "curl -sS -H 'Host: eu-user-data' -H 'x-user-region: us' http://{}/users/7",
            target.gateway
        ),
        format!(
            "curl -sS http://{}/stats/prometheus | grep '^meshborder_'",
            target.eu_west_admin
        ),
    ];
    println!("\nThe mesh keeps running. Try by hand:");
    for command in commands {
        println!("  {command}");
    }
    if target.tcp.database == DatabaseKind::Postgres {
        for (who, addr) in [
            ("eu-central: answered", target.tcp.eu_central),
            ("us-east: refused", target.tcp.us_east),
        ] {
            println!(
                "  PGSSLMODE=disable psql -h {} -p {} -U postgres -c 'SELECT 1'    # {who}",
                addr.ip(),
                addr.port()
            );
        }
    }
    println!(
        "  curl -sS http://{}/stats/prometheus | grep '^meshborder_'    # eu-west-tcp",
        target.tcp.admin
    );
    println!("Press Ctrl-C to stop.");
}

fn app_saw<'a>(seen: &'a Value, header: &str) -> Option<&'a str> {
    seen.get("headers")?.get(header)?.as_str()
}

fn answered_by(seen: &Value) -> String {
    let field = |name: &str| {
        seen.get(name)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    format!("{} ({})", field("app"), field("region"))
}

fn app_reply(response: &curl::CurlResponse) -> Result<Value, String> {
    serde_json::from_str(&response.body).map_err(|_| {
        format!(
            "{} from envoy, not from an app: {}",
            response.status,
            response.body.trim()
        )
    })
}

/// Reads a counter with `read` until it reaches `at_least` (Envoy counts a request
/// as its stream ends, a moment after curl has the answer).
fn poll_counter(
    mut read: impl FnMut() -> Result<u64, String>,
    at_least: u64,
) -> Result<u64, String> {
    meshborder_e2e::poll::until(&format!("a counter to reach {at_least}"), || {
        let value = read().map_err(|reason| HarnessError::Http {
            context: "eu-west's stats".to_owned(),
            reason,
        })?;
        Ok((value >= at_least).then_some(value))
    })
    .map_err(|e| e.to_string())
}

/// The value of a counter on an admin API, by its exact labels.
fn counter(admin: &str, name: &str, labels: &[(&str, &str)]) -> Result<Option<u64>, String> {
    let text = curl::run_quietly(&["-sS", &format!("http://{admin}/stats/prometheus")])?;
    Ok(prometheus::value(&text, name, labels))
}

/// Runs curl with `args` (owned) and parses the response.
fn request(args: &[String]) -> Result<curl::CurlResponse, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curl::request(&args)
}
