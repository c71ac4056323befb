//! Real Envoy processes running the release filter: every shipped config validated,
//! tagging, trust, certificate-bound identity, zones, residency, routing, reload,
//! metering, the spoofing matrix, the soak and L4 (the filter as a network filter in
//! front of PostgreSQL), each against the behaviour the contract fixes.

mod border_support;
mod certificate_bound;
mod compose;
mod config_rules;
mod config_storm;
mod config_validate;
mod differential;
mod differential_tcp;
mod envoy_version;
mod gateway;
mod gateway_config;
mod loopback;
mod metering;
mod reload;
mod residency;
mod soak;
mod soak_topology;
mod spoofing_bypasses;
mod spoofing_certificates;
mod spoofing_hosts;
mod spoofing_paths;
mod spoofing_support;
mod spoofing_tags;
mod spoofing_zones;
mod stats_tags;
mod tagging;
mod tcp_echo;
mod tcp_long_lived;
mod tcp_metering;
mod tcp_misloaded;
mod tcp_residency;
mod tcp_support;
mod trust;
mod zones;
