//! istio/trust-domains/: each cluster's Istio install overlay for certificate-bound
//! identity, which gives the cluster's workloads a trust domain of their own.

use super::Result;
use super::files::{self, shown};
use super::models::{self, Resource};

/// The directory, relative to istio/.
pub const DIR: &str = "trust-domains";

/// One cluster's trust domain, as its install overlay sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustDomain {
    /// The file, for messages.
    pub file: String,
    /// `meshConfig.trustDomain`.
    pub domain: String,
    /// `meshConfig.trustDomainAliases`.
    pub aliases: Vec<String>,
}

impl TrustDomain {
    /// The SPIFFE ID istiod issues a workload of this trust domain.
    pub fn spiffe_id(&self, namespace: &str, service_account: &str) -> String {
        format!(
            "spiffe://{}/ns/{namespace}/sa/{service_account}",
            self.domain
        )
    }
}

/// The trust domain of `cluster`, from `trust-domains/<cluster>.yaml`.
pub fn of(cluster: &str) -> Result<TrustDomain> {
    let path = files::istio_dir().join(DIR).join(format!("{cluster}.yaml"));
    let file = shown(&path);
    let Resource::IstioOperator(operator) =
        models::check_document(&files::load_single_yaml(&path)?)
            .map_err(|e| format!("`{file}`: {e}"))?
    else {
        return Err(format!("`{file}` is not an IstioOperator"));
    };
    let mesh = operator.spec.mesh_config;
    let domain = mesh
        .trust_domain
        .ok_or_else(|| format!("`{file}`: no meshConfig.trustDomain"))?;
    Ok(TrustDomain {
        file,
        domain,
        aliases: mesh.trust_domain_aliases.unwrap_or_default(),
    })
}
