//! The tests' TLS client: rustls on the ring provider, trusting the run's test CA,
//! presenting a chosen client certificate (or none), and expecting the eu-west
//! server certificate's DNS name. It lets a test talk to eu-west's mTLS listener
//! directly, as a trusted peer, as an untrusted one, or without a certificate.

use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::certs::{Identity, SERVER_DNS_NAME, TestPki};
use crate::error::{HarnessError, Result};

/// A TLS client configuration for one identity.
#[derive(Debug, Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
}

impl TlsClient {
    /// A client that presents `identity` (one of `pki`'s client certificates).
    pub fn with_cert(pki: &TestPki, identity: &Identity) -> Result<Self> {
        let config = builder(pki)?
            .with_client_auth_cert(vec![identity.cert_der()], identity.key_der())
            .map_err(|e| tls_error("loading the client certificate", &e))?;
        Self::from_config(config)
    }

    /// A client that presents no certificate.
    pub fn without_cert(pki: &TestPki) -> Result<Self> {
        Self::from_config(builder(pki)?.with_no_client_auth())
    }

    fn from_config(config: ClientConfig) -> Result<Self> {
        let server_name =
            ServerName::try_from(SERVER_DNS_NAME).map_err(|e| tls_error("the server name", &e))?;
        Ok(Self {
            config: Arc::new(config),
            server_name,
        })
    }

    /// Starts TLS over `tcp`; the handshake runs on first use.
    pub(crate) fn wrap(
        &self,
        tcp: TcpStream,
    ) -> std::result::Result<StreamOwned<ClientConnection, TcpStream>, String> {
        let connection = ClientConnection::new(Arc::clone(&self.config), self.server_name.clone())
            .map_err(|e| format!("starting TLS: {e}"))?;
        Ok(StreamOwned::new(connection, tcp))
    }
}

type WantsClientCert = rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert>;

fn builder(pki: &TestPki) -> Result<WantsClientCert> {
    let mut roots = RootCertStore::empty();
    roots
        .add(pki.ca_der())
        .map_err(|e| tls_error("trusting the test CA", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("choosing protocol versions", &e))?
        .with_root_certificates(roots))
}

fn tls_error(context: &str, error: &dyn std::fmt::Display) -> HarnessError {
    HarnessError::Http {
        context: format!("tls client: {context}"),
        reason: error.to_string(),
    }
}
