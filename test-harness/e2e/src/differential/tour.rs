//! The HTTP requests of the demo's tour (`meshborder-demo`), as curl sends them
//! (`host`, `user-agent`, `accept`, then the `-H` headers): tagging, forged tags,
//! residency from us-east, eu-central and an unknown caller, the same rule in
//! audit mode, routing at the gateway (with the residency guard) and on us-east's
//! sidecar, the zone border, the certificate-bound caller, and the commands the
//! demo invites a user to try. The tour's last step, a database connection, is
//! TCP, which the suite does not compare.

use meshborder_filter::contract::header::{SOURCE_CLUSTER, SOURCE_REGION, SOURCE_ZONE};

use super::case::{Case, Entry};
use super::sites::Sites;
use crate::certs::{ClientCert, SERVER_DNS_NAME};
use crate::topology::{EU_CENTRAL, US_EAST};

/// A curl request: `host`, curl's `user-agent` and `accept`, then `extra`, and an
/// `x-request-id` named after the step when `extra` has none (curl sends none, and
/// the one Envoy would make up is random).
fn curl(label: &str, entry: Entry, path: &str, host: &str, extra: &[(&str, &str)]) -> Case {
    let mut case = Case::new(&format!("tour: {label}"), entry, "GET", path)
        .header("Host", host)
        .header("User-Agent", "curl/8.5.0")
        .header("Accept", "*/*");
    for (name, value) in extra {
        case = case.header(name, value);
    }
    if case.value("x-request-id").is_none() {
        let id: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        case = case.header("x-request-id", format!("tour-{id}"));
    }
    case
}

/// Every HTTP request of the tour through `sites` (callers us-east and
/// eu-central).
pub fn cases(sites: &Sites) -> crate::Result<Vec<Case>> {
    let mesh = &sites.mesh;
    let gateway = sites.gateway.listener.to_string();
    let us_east = Entry::Outbound(US_EAST);
    let eu_central = Entry::Outbound(EU_CENTRAL);
    let us_east_addr = mesh.caller(&US_EAST)?.listener.to_string();
    let plaintext = mesh.eu_west.plaintext.to_string();
    let mtls = format!("{SERVER_DNS_NAME}:{}", mesh.eu_west.mtls.port());
    let trusted = Entry::Mtls(ClientCert::MeshWide);
    let untrusted = Entry::Mtls(ClientCert::Untrusted);
    let forged = [(SOURCE_CLUSTER, "eu-west")];
    Ok(vec![
        curl("1. tagging", us_east, "/catalog", "eu-user-data", &[]),
        curl(
            "2. forged tag via us-east",
            us_east,
            "/catalog",
            "eu-user-data",
            &forged,
        ),
        curl(
            "2. forged tag in plaintext",
            Entry::Plaintext,
            "/catalog",
            &plaintext,
            &forged,
        ),
        curl(
            "2. forged tag, untrusted mTLS",
            untrusted,
            "/catalog",
            &mtls,
            &forged,
        ),
        curl(
            "3. residency from us-east",
            us_east,
            "/users/1",
            "eu-user-data",
            &[("x-request-id", "demo-1")],
        ),
        curl(
            "3. residency from eu-central",
            eu_central,
            "/users/1",
            "eu-user-data",
            &[],
        ),
        curl(
            "3. residency, unknown caller",
            Entry::Plaintext,
            "/users/1",
            "eu-user-data",
            &[],
        ),
        curl(
            "4. audit",
            Entry::AuditMtls(ClientCert::MeshWide),
            "/users/1",
            "eu-user-data",
            &[(SOURCE_CLUSTER, "us-east"), (SOURCE_REGION, "us-east-1")],
        ),
        curl(
            "5. gateway, x-user-region",
            Entry::Gateway,
            "/catalog",
            &gateway,
            &[("x-user-region", "eu-central-1")],
        ),
        curl(
            "5. gateway, DE",
            Entry::Gateway,
            "/catalog",
            &gateway,
            &[("cf-ipcountry", "DE")],
        ),
        curl(
            "5. gateway, US",
            Entry::Gateway,
            "/catalog",
            &gateway,
            &[("cf-ipcountry", "US")],
        ),
        curl(
            "5. gateway, residency guard",
            Entry::Gateway,
            "/users/7",
            "eu-user-data",
            &[("x-user-region", "us")],
        ),
        curl(
            "5. routing on us-east",
            us_east,
            "/catalog",
            &us_east_addr,
            &[("x-user-region", "eu")],
        ),
        curl(
            "7. zone border",
            trusted,
            "/catalog",
            &mtls,
            &[(SOURCE_CLUSTER, "eu-west"), (SOURCE_ZONE, "eu-west-1b")],
        ),
        curl(
            "8. certificate-bound caller",
            Entry::Mtls(ClientCert::UsEast),
            "/catalog",
            &mtls,
            &[(SOURCE_CLUSTER, "eu-central")],
        ),
        curl(
            "try: /users/7 from us-east",
            us_east,
            "/users/7",
            "eu-user-data",
            &[],
        ),
        curl(
            "try: /users/7 from eu-central",
            eu_central,
            "/users/7",
            "eu-user-data",
            &[],
        ),
        curl(
            "try: gateway, AT",
            Entry::Gateway,
            "/",
            &gateway,
            &[("cf-ipcountry", "AT")],
        ),
        curl(
            "try: forged us-east in plaintext",
            Entry::Plaintext,
            "/users/7",
            &plaintext,
            &[(SOURCE_CLUSTER, "us-east")],
        ),
    ])
}
