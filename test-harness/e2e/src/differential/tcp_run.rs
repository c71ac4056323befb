//! Running the TCP side's connections through both sides and keeping score: how
//! many were compared, from which caller, how each ended on Envoy's side, and every
//! difference, with the connection and both outcomes, ready to print.

use std::collections::BTreeMap;

use super::fields;
use super::tcp_case::TcpCase;
use super::tcp_envoy_side::EnvoyTcp;
use super::tcp_host_side::HostTcp;
use crate::error::{HarnessError, Result};

/// The score of a run.
#[derive(Debug, Default)]
pub struct TcpScore {
    /// Connections compared.
    pub compared: usize,
    /// How many came from each caller.
    pub callers: BTreeMap<String, usize>,
    /// How many ended each way on Envoy's side.
    pub endings: BTreeMap<String, usize>,
    /// One report per connection whose outcomes differ.
    pub differences: Vec<String>,
}

/// Runs every case through `envoy`, then through `host`, and compares.
pub fn compare(
    envoy: &mut EnvoyTcp<'_>,
    host: &mut HostTcp,
    cases: &[TcpCase],
) -> Result<TcpScore> {
    let mut score = TcpScore::default();
    for case in cases {
        let seen = envoy.run(case).map_err(|e| about(case, &e.to_string()))?;
        let modelled = host.run(case).map_err(|e| about(case, &e.to_string()))?;
        score.compared += 1;
        *score
            .callers
            .entry(case.caller.name.to_owned())
            .or_default() += 1;
        *score
            .endings
            .entry(format!("{:?} {:?}", seen.ending, seen.close_order))
            .or_default() += 1;
        let fields = seen.differences(&modelled);
        score
            .differences
            .extend(fields::report(&case.describe(), &seen, &modelled, &fields));
    }
    Ok(score)
}

/// `reason`, naming the connection it happened to.
fn about(case: &TcpCase, reason: &str) -> HarnessError {
    HarnessError::Http {
        context: case.describe(),
        reason: reason.to_owned(),
    }
}
