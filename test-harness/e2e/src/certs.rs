//! The certificates of an end-to-end run, made fresh each time with rcgen, so no key
//! is ever committed: a test CA; the eu-west sidecar's server certificate; and the
//! client certificates ([`ClientCert`]), each with a SPIFFE ID as its URI SAN:
//!
//! - the mesh-wide `frontend` identity, which a plain string entry of eu-west's
//!   `trustedPeers` matches (its tags are believed);
//! - one of another trust domain that no entry matches (a trust test needs a
//!   certificate that completes the handshake and still is not believed);
//! - `frontend` in the per-cluster trust domains `us-east.mesh.example`,
//!   `eu-west.mesh.example` and `eu-central.mesh.example`, as SPIFFE federation or
//!   Istio's `trustDomain` per cluster with a shared root issue them: eu-west's
//!   `trustedPeers` binds the first to us-east by name and captures the cluster of
//!   the others from the trust domain (eu-central, which its `clusters` table
//!   lacks, stays unknown).
//!
//! All are signed by the same CA. The files are PEM, written into one directory; the
//! DER stays in memory for the tests' own TLS client.

use std::fs;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, string::Ia5String,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::{HarnessError, Result};

/// The SPIFFE ID of the callers' client certificate (the `frontend` service account
/// of namespace `shop`, the same in every cluster of the mesh's trust domain).
pub const TRUSTED_SPIFFE_ID: &str = "spiffe://cluster.local/ns/shop/sa/frontend";
/// The SPIFFE ID of a client certificate from another trust domain: signed by the
/// same CA, but matching no `trustedPeers` pattern.
pub const UNTRUSTED_SPIFFE_ID: &str = "spiffe://evil.example/ns/x/sa/y";
/// `frontend` in us-east's own trust domain, which eu-west's `trustedPeers` binds
/// to cluster us-east (`{ "peer": ..., "cluster": "us-east" }`).
pub const US_EAST_FRONTEND_ID: &str = "spiffe://us-east.mesh.example/ns/shop/sa/frontend";
/// `frontend` in eu-west's own trust domain, whose cluster eu-west's `trustedPeers`
/// captures (`spiffe://{cluster}.mesh.example/ns/*/sa/*`): a caller of eu-west's own
/// cluster, in another zone.
pub const EU_WEST_FRONTEND_ID: &str = "spiffe://eu-west.mesh.example/ns/shop/sa/frontend";
/// `frontend` in eu-central's own trust domain: captured as `eu-central`, which
/// eu-west's `clusters` table does not list, so the source stays unknown.
pub const EU_CENTRAL_FRONTEND_ID: &str = "spiffe://eu-central.mesh.example/ns/shop/sa/frontend";
/// The SPIFFE ID of the eu-west server certificate, which the callers check.
pub const SERVER_SPIFFE_ID: &str = "spiffe://cluster.local/ns/shop/sa/users";
/// The DNS name in the server certificate (also the compose service name), for
/// clients that check a host name, such as the tests' TLS client and curl.
pub const SERVER_DNS_NAME: &str = "eu-west";

/// The file names in a certificate directory, the same for tests, demo and compose.
pub mod files {
    /// The CA certificate every side trusts.
    pub const CA: &str = "ca.pem";
    /// The eu-west server certificate.
    pub const SERVER_CERT: &str = "eu-west.pem";
    /// Its key.
    pub const SERVER_KEY: &str = "eu-west.key";
    /// The trusted client certificate.
    pub const CLIENT_CERT: &str = "frontend.pem";
    /// Its key.
    pub const CLIENT_KEY: &str = "frontend.key";
    /// The untrusted client certificate.
    pub const UNTRUSTED_CERT: &str = "untrusted.pem";
    /// Its key.
    pub const UNTRUSTED_KEY: &str = "untrusted.key";
    /// The client certificate in us-east's trust domain.
    pub const US_EAST_CERT: &str = "us-east-frontend.pem";
    /// Its key.
    pub const US_EAST_KEY: &str = "us-east-frontend.key";
    /// The client certificate in eu-west's trust domain.
    pub const EU_WEST_CERT: &str = "eu-west-frontend.pem";
    /// Its key.
    pub const EU_WEST_KEY: &str = "eu-west-frontend.key";
    /// The client certificate in eu-central's trust domain.
    pub const EU_CENTRAL_CERT: &str = "eu-central-frontend.pem";
    /// Its key.
    pub const EU_CENTRAL_KEY: &str = "eu-central-frontend.key";
    /// Every file, in the order written.
    pub const ALL: [&str; 13] = [
        CA,
        SERVER_CERT,
        SERVER_KEY,
        CLIENT_CERT,
        CLIENT_KEY,
        UNTRUSTED_CERT,
        UNTRUSTED_KEY,
        US_EAST_CERT,
        US_EAST_KEY,
        EU_WEST_CERT,
        EU_WEST_KEY,
        EU_CENTRAL_CERT,
        EU_CENTRAL_KEY,
    ];
}

/// A client certificate of the run, by what eu-west's `trustedPeers` makes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCert {
    /// [`TRUSTED_SPIFFE_ID`]: matched by a string entry, its tags are believed.
    MeshWide,
    /// [`UNTRUSTED_SPIFFE_ID`]: matched by no entry.
    Untrusted,
    /// [`US_EAST_FRONTEND_ID`]: bound to us-east by name.
    UsEast,
    /// [`EU_WEST_FRONTEND_ID`]: its trust domain says eu-west.
    EuWest,
    /// [`EU_CENTRAL_FRONTEND_ID`]: its trust domain says eu-central, an unlisted
    /// cluster.
    EuCentral,
}

impl ClientCert {
    /// Every client certificate, in the order written.
    pub const ALL: [Self; 5] = [
        Self::MeshWide,
        Self::Untrusted,
        Self::UsEast,
        Self::EuWest,
        Self::EuCentral,
    ];

    /// Its URI SAN.
    pub fn spiffe_id(self) -> &'static str {
        match self {
            Self::MeshWide => TRUSTED_SPIFFE_ID,
            Self::Untrusted => UNTRUSTED_SPIFFE_ID,
            Self::UsEast => US_EAST_FRONTEND_ID,
            Self::EuWest => EU_WEST_FRONTEND_ID,
            Self::EuCentral => EU_CENTRAL_FRONTEND_ID,
        }
    }

    /// Its certificate file, in [`files`].
    pub fn cert_file(self) -> &'static str {
        match self {
            Self::MeshWide => files::CLIENT_CERT,
            Self::Untrusted => files::UNTRUSTED_CERT,
            Self::UsEast => files::US_EAST_CERT,
            Self::EuWest => files::EU_WEST_CERT,
            Self::EuCentral => files::EU_CENTRAL_CERT,
        }
    }

    /// Its key file, in [`files`].
    pub fn key_file(self) -> &'static str {
        match self {
            Self::MeshWide => files::CLIENT_KEY,
            Self::Untrusted => files::UNTRUSTED_KEY,
            Self::UsEast => files::US_EAST_KEY,
            Self::EuWest => files::EU_WEST_KEY,
            Self::EuCentral => files::EU_CENTRAL_KEY,
        }
    }
}

/// A certificate with its key, as files and as DER.
#[derive(Debug)]
pub struct Identity {
    /// The PEM certificate file.
    pub cert_path: PathBuf,
    /// The PEM key file (PKCS#8).
    pub key_path: PathBuf,
    cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl Identity {
    /// The certificate, for a rustls client.
    pub fn cert_der(&self) -> CertificateDer<'static> {
        self.cert.clone()
    }

    /// The key, for a rustls client.
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }
}

/// Every certificate of a run, written into [`TestPki::dir`].
#[derive(Debug)]
pub struct TestPki {
    /// The directory holding the files.
    pub dir: PathBuf,
    /// The CA certificate file.
    pub ca_path: PathBuf,
    ca: CertificateDer<'static>,
    /// The eu-west server certificate.
    pub server: Identity,
    /// The client certificate with [`TRUSTED_SPIFFE_ID`].
    pub trusted_client: Identity,
    /// The client certificate with [`UNTRUSTED_SPIFFE_ID`].
    pub untrusted_client: Identity,
    /// The client certificate with [`US_EAST_FRONTEND_ID`].
    pub us_east_client: Identity,
    /// The client certificate with [`EU_WEST_FRONTEND_ID`].
    pub eu_west_client: Identity,
    /// The client certificate with [`EU_CENTRAL_FRONTEND_ID`].
    pub eu_central_client: Identity,
}

impl TestPki {
    /// Makes a CA and its certificates, and writes them into `dir` (created if
    /// needed) under the names in [`files`].
    pub fn generate(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir)
            .map_err(|e| HarnessError::io(format!("creating `{}`", dir.display()), e))?;
        let ca_key = KeyPair::generate().map_err(failed("the CA key"))?;
        let ca_params = ca_params();
        let ca = ca_params
            .self_signed(&ca_key)
            .map_err(failed("the CA certificate"))?;
        let issuer = Issuer::new(ca_params, ca_key);
        let ca_path = dir.join(files::CA);
        write(&ca_path, &ca.pem())?;

        let server = Leaf {
            uri: SERVER_SPIFFE_ID,
            dns: Some(SERVER_DNS_NAME),
            usage: ExtendedKeyUsagePurpose::ServerAuth,
        }
        .issue(&issuer, dir, files::SERVER_CERT, files::SERVER_KEY)?;
        let client = |cert: ClientCert| {
            Leaf::client(cert.spiffe_id()).issue(&issuer, dir, cert.cert_file(), cert.key_file())
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            ca_path,
            ca: ca.der().clone(),
            server,
            trusted_client: client(ClientCert::MeshWide)?,
            untrusted_client: client(ClientCert::Untrusted)?,
            us_east_client: client(ClientCert::UsEast)?,
            eu_west_client: client(ClientCert::EuWest)?,
            eu_central_client: client(ClientCert::EuCentral)?,
        })
    }

    /// The CA certificate, for a rustls client's root store.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca.clone()
    }

    /// The client certificate `cert`.
    pub fn client(&self, cert: ClientCert) -> &Identity {
        match cert {
            ClientCert::MeshWide => &self.trusted_client,
            ClientCert::Untrusted => &self.untrusted_client,
            ClientCert::UsEast => &self.us_east_client,
            ClientCert::EuWest => &self.eu_west_client,
            ClientCert::EuCentral => &self.eu_central_client,
        }
    }
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, "meshborder test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// A leaf certificate to issue: a SPIFFE URI SAN, maybe a DNS name, one usage.
struct Leaf {
    uri: &'static str,
    dns: Option<&'static str>,
    usage: ExtendedKeyUsagePurpose,
}

impl Leaf {
    fn client(uri: &'static str) -> Self {
        Self {
            uri,
            dns: None,
            usage: ExtendedKeyUsagePurpose::ClientAuth,
        }
    }

    fn issue(
        self,
        issuer: &Issuer<'_, KeyPair>,
        dir: &Path,
        cert_file: &str,
        key_file: &str,
    ) -> Result<Identity> {
        let what = format!("the certificate for `{}`", self.uri);
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, self.uri.to_owned());
        params.subject_alt_names = vec![SanType::URI(ia5(self.uri)?)];
        if let Some(dns) = self.dns {
            params.subject_alt_names.push(SanType::DnsName(ia5(dns)?));
        }
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![self.usage];
        let key = KeyPair::generate().map_err(failed(&what))?;
        let cert = params.signed_by(&key, issuer).map_err(failed(&what))?;
        let identity = Identity {
            cert_path: dir.join(cert_file),
            key_path: dir.join(key_file),
            cert: cert.der().clone(),
            key: key.serialize_der(),
        };
        write(&identity.cert_path, &cert.pem())?;
        write(&identity.key_path, &key.serialize_pem())?;
        Ok(identity)
    }
}

fn ia5(text: &str) -> Result<Ia5String> {
    Ia5String::try_from(text).map_err(failed(&format!("`{text}` as a SAN")))
}

fn failed(what: &str) -> impl Fn(rcgen::Error) -> HarnessError + '_ {
    move |e| HarnessError::Certs {
        reason: format!("making {what}: {e}"),
    }
}

fn write(path: &Path, pem: &str) -> Result<()> {
    fs::write(path, pem).map_err(|e| HarnessError::io(format!("writing `{}`", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file_it_names() {
        let dir = crate::paths::run_dir("certs-unit").unwrap();
        let pki = TestPki::generate(&dir).unwrap();
        for file in files::ALL {
            let text = fs::read_to_string(dir.join(file)).unwrap();
            assert!(text.starts_with("-----BEGIN "), "{file}: {text}");
        }
        assert_eq!(pki.trusted_client.cert_path, dir.join(files::CLIENT_CERT));
    }

    #[test]
    fn client_certificates_carry_their_spiffe_id_as_a_uri_san() {
        let dir = crate::paths::run_dir("certs-unit-san").unwrap();
        let pki = TestPki::generate(&dir).unwrap();
        let contains = |haystack: &[u8], needle: &str| {
            haystack
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
        };
        assert!(contains(&pki.trusted_client.cert_der(), TRUSTED_SPIFFE_ID));
        assert!(contains(
            &pki.untrusted_client.cert_der(),
            UNTRUSTED_SPIFFE_ID
        ));
        assert!(contains(&pki.server.cert_der(), SERVER_SPIFFE_ID));
        for cert in ClientCert::ALL {
            let identity = pki.client(cert);
            assert!(contains(&identity.cert_der(), cert.spiffe_id()), "{cert:?}");
            assert_eq!(identity.cert_path, dir.join(cert.cert_file()), "{cert:?}");
            assert_eq!(identity.key_path, dir.join(cert.key_file()), "{cert:?}");
        }
    }
}
