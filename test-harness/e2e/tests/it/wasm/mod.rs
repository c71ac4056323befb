//! The release filter under the proxy-wasm host, callback by callback: every
//! contract rule at the ABI level, and a property test with random header sets.

pub(crate) mod fixtures;
mod identity;
mod lifecycle;
mod metering;
mod property;
mod residency;
mod routing;
mod shipped;
mod trust;
