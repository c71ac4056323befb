//! Real Envoy processes running the release filter: every shipped config validated,
//! tagging, trust, residency, routing, reload, metering, the spoofing matrix and the
//! soak, each against the behaviour the contract fixes.

mod compose;
mod config_rules;
mod config_storm;
mod config_validate;
mod gateway;
mod gateway_config;
mod metering;
mod reload;
mod residency;
mod soak;
mod soak_topology;
mod spoofing_bypasses;
mod spoofing_hosts;
mod spoofing_paths;
mod spoofing_support;
mod spoofing_tags;
mod stats_tags;
mod tagging;
mod trust;
