//! The release filter under the proxy-wasm host, callback by callback: every
//! contract rule at the ABI level (tags, trust, certificate-bound identity, zones,
//! residency, routing, metering), and a property test with random header sets.

mod certificate_bound;
pub(crate) mod fixtures;
mod identity;
mod lifecycle;
mod metering;
mod property;
mod residency;
mod routing;
mod shipped;
mod tcp;
mod trust;
mod zones;
