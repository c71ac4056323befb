//! The certificates of an end-to-end run, made fresh each time with rcgen, so no key
//! is ever committed: a test CA; the eu-west sidecar's server certificate; and two
//! client certificates whose URI SAN is a SPIFFE ID, one that eu-west's
//! `trustedPeers` matches and one that it does not. All are signed by the same CA,
//! so the untrusted one completes the TLS handshake and reaches the filter, which is
//! what a trust test needs.
//!
//! The files are PEM, written into one directory; the DER stays in memory for the
//! tests' own TLS client.

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
    /// Every file, in the order written.
    pub const ALL: [&str; 7] = [
        CA,
        SERVER_CERT,
        SERVER_KEY,
        CLIENT_CERT,
        CLIENT_KEY,
        UNTRUSTED_CERT,
        UNTRUSTED_KEY,
    ];
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
        let trusted_client = Leaf::client(TRUSTED_SPIFFE_ID).issue(
            &issuer,
            dir,
            files::CLIENT_CERT,
            files::CLIENT_KEY,
        )?;
        let untrusted_client = Leaf::client(UNTRUSTED_SPIFFE_ID).issue(
            &issuer,
            dir,
            files::UNTRUSTED_CERT,
            files::UNTRUSTED_KEY,
        )?;
        Ok(Self {
            dir: dir.to_path_buf(),
            ca_path,
            ca: ca.der().clone(),
            server,
            trusted_client,
            untrusted_client,
        })
    }

    /// The CA certificate, for a rustls client's root store.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca.clone()
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
    }
}
