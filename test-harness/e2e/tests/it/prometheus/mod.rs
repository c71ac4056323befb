//! `istio/monitoring/` under a real Prometheus (Debian's `prometheus` package,
//! `make setup-prometheus`): promtool checks the rules and runs their unit tests
//! (`istio/monitoring/tests/`), which must cover every recording rule and every
//! alert; and a live run, a Prometheus scraping the test mesh's Envoys while
//! cross-border traffic flows, shows every rule healthy, every recorded series and
//! cost where the rules say, the alerts firing on what they watch and silent
//! without it, and every dashboard panel with data.

mod alerts;
mod costs;
mod dashboard;
mod live;
mod live_rig;
mod promtool_rules;
mod recorded;
mod scraped;
mod unit_test_coverage;
