//! meshborder: a proxy-wasm filter that watches requests crossing cluster and region
//! borders in a multi-cluster mesh. It tags requests with their source cluster and
//! region, enforces data-residency rules, turns region and country headers into one
//! routing header, and counts cross-cluster bytes as Envoy stats.
//!
//! `contract` holds the names the product contract fixes; `policy` is the pure
//! engine; `glue` (feature `proxy`, on by default) is the thin proxy-wasm layer that
//! feeds it host facts and applies its verdicts. Without the feature the crate is
//! the engine and the contract alone, for the crates that check the filter.

pub mod contract;
mod json;
pub mod policy;

#[cfg(feature = "proxy")]
mod glue;

/// The wasm entry point (`_initialize`), kept in a private module: it is exported to
/// the host, not part of the Rust API.
#[cfg(feature = "proxy")]
mod entry {
    proxy_wasm::main! {{
        super::glue::register();
    }}
}
