//! `istio/monitoring/` under a real Prometheus (Debian's `prometheus` package,
//! `make setup-prometheus`): promtool checks the rules and runs their unit tests
//! (`istio/monitoring/tests/`), which must cover every recording rule and every
//! alert; and a live run, a Prometheus scraping the test mesh's Envoys while
//! cross-border traffic flows, shows every rule healthy, every recorded series and
//! cost where the rules say, the alerts firing on what they watch and silent
//! without it, and every dashboard panel with data. The global layer
//! (`istio/monitoring/global/`) likewise: its configuration fragments, its rules'
//! unit tests, and a live run of a Prometheus per cluster federated by a global
//! one, whose sums, denial alert and stale-cluster alert are checked against the
//! clusters'.

mod alerts;
mod costs;
mod dashboard;
mod federation;
mod federation_rig;
mod federation_sums;
mod global_config;
mod live;
mod live_rig;
mod promtool_rules;
mod recorded;
mod scraped;
mod unit_test_coverage;
