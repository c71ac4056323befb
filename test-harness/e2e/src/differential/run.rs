//! Running cases through both sides and keeping score: how many were compared,
//! how each ended on Envoy's side, and every difference, with the request and both
//! outcomes, ready to print.

use std::collections::BTreeMap;

use proxy_wasm_host::HostError;

use super::case::Case;
use super::envoy_side::EnvoyMesh;
use super::fields;
use super::host_side::HostMesh;
use crate::error::{HarnessError, Result};

/// The score of a run.
#[derive(Debug, Default)]
pub struct Score {
    /// Requests compared.
    pub compared: usize,
    /// How many entered each way.
    pub entries: BTreeMap<String, usize>,
    /// How many ended each way on Envoy's side.
    pub endings: BTreeMap<String, usize>,
    /// One report per request whose outcomes differ.
    pub differences: Vec<String>,
}

/// Sends every case through `envoy`, then through `host`, and compares.
pub fn compare(envoy: &mut EnvoyMesh<'_>, host: &mut HostMesh, cases: &[Case]) -> Result<Score> {
    let mut score = Score::default();
    for case in cases {
        let (seen, sizes) = envoy.run(case).map_err(|e| about(case, &e))?;
        let modelled = host
            .run(case, sizes)
            .map_err(|e| about(case, &host_error(e)))?;
        score.compared += 1;
        *score.entries.entry(case.entry.describe()).or_default() += 1;
        *score
            .endings
            .entry(format!("{:?} {}", seen.ending, seen.status))
            .or_default() += 1;
        let fields = seen.differences(&modelled);
        score
            .differences
            .extend(fields::report(&case.describe(), &seen, &modelled, &fields));
    }
    Ok(score)
}

/// `error`, naming the request it happened to.
fn about(case: &Case, error: &HarnessError) -> HarnessError {
    HarnessError::Http {
        context: case.describe(),
        reason: error.to_string(),
    }
}

fn host_error(error: HostError) -> HarnessError {
    HarnessError::Missing {
        what: format!("a host outcome ({error})"),
        hint: "run `make build`".to_owned(),
    }
}
