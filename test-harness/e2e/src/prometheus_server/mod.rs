//! A real Prometheus, and its promtool, for the monitoring tests: `istio/monitoring/`'s
//! rules written as a Prometheus rule file, `promtool check rules` and
//! `promtool test rules` on them, and a Prometheus server on loopback that scrapes
//! the test mesh's Envoys, evaluates the rules and answers queries on its HTTP API.
//! Not to be confused with [`crate::prometheus`], which reads Envoy's own
//! `/stats/prometheus` text.
//!
//! - [`binaries`]: where `prometheus` and `promtool` are (`make setup-prometheus`);
//! - [`rules`]: the shipped PrometheusRule, its groups as a rule file, and the
//!   promtool unit tests next to it;
//! - [`promtool`]: `promtool check rules` and `promtool test rules`;
//! - [`config`] and [`server`]: the server's configuration, and the server, killed
//!   on drop;
//! - [`api`]: its HTTP API: instant queries, alerts and rule health;
//! - [`federation`] and [`fleet`]: the global layer (`istio/monitoring/global/`):
//!   the shipped federation job and external labels, and a Prometheus per cluster
//!   federated by a global one evaluating the fleet's rules.

pub mod api;
pub mod binaries;
pub mod config;
pub mod federation;
pub mod fleet;
pub mod promtool;
pub mod rules;
pub mod server;

pub use api::{ActiveAlert, PrometheusApi, RuleHealth, Series};
pub use binaries::PrometheusBinaries;
pub use config::ScrapeTarget;
pub use fleet::{ClusterScrape, FleetPrometheus};
pub use server::PrometheusServer;
