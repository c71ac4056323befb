//! The differential suite: the same release `.wasm`, configuration and requests
//! through real Envoy (the mesh: eu-west enforcing, us-east and eu-central
//! calling; the auditing eu-west; the ingress gateway) and through the proxy-wasm
//! host set up as the shipped configs present the filter, every outcome compared
//! field by field: status, reply headers and body, what the app received (names,
//! values, order), the routing header, every counter's change and the filter's log
//! lines. The requests: every HTTP request of the demo tour, then a fixed sample of
//! the property test's generator and of its variant whose values Envoy's codec
//! accepts. Any difference fails, printing the request and both outcomes.

use std::time::Instant;

use meshborder_e2e::differential::envoy_side::EnvoyMesh;
use meshborder_e2e::differential::generator::{self, wire_case};
use meshborder_e2e::differential::host_side::HostMesh;
use meshborder_e2e::differential::run::compare;
use meshborder_e2e::differential::sites::Sites;
use meshborder_e2e::differential::tour;
use meshborder_e2e::envoy::version;
use meshborder_e2e::topology::{EU_CENTRAL, US_EAST};

/// Requests of the property test's generator per run.
const GENERATED: usize = 100;
/// Requests of its variant whose values Envoy's codec accepts, per run.
const RECEIVABLE: usize = 150;

#[test]
fn envoy_and_the_wasm_host_give_every_request_the_same_outcome() {
    let started = Instant::now();
    let callers = [US_EAST, EU_CENTRAL];
    let sites = Sites::start("differential", &callers).unwrap();
    let mut cases = tour::cases(&sites).unwrap();
    let tour_requests = cases.len();
    let generated = generator::sample(GENERATED)
        .into_iter()
        .chain(generator::sample_receivable(RECEIVABLE));
    cases.extend(
        generated
            .enumerate()
            .map(|(index, (side, headers))| wire_case(index, side, &headers)),
    );
    let mut envoy = EnvoyMesh::new(&sites).unwrap();
    let mut host = HostMesh::start(&callers).unwrap();
    let score = compare(&mut envoy, &mut host, &cases).unwrap();

    meshborder_e2e::show!(
        "differential on Envoy {}: {} requests compared, each through Envoy and through the \
         wasm host ({tour_requests} of the tour, {} generated); by entry: {:?}; endings on \
         Envoy: {:?}; {} difference(s); {:.1} s",
        version::version().unwrap(),
        score.compared,
        score.compared - tour_requests,
        score.entries,
        score.endings,
        score.differences.len(),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        score.differences.is_empty(),
        "{} of {} requests differ:\n\n{}",
        score.differences.len(),
        score.compared,
        score.differences.join("\n\n")
    );
    assert_eq!(score.compared, tour_requests + GENERATED + RECEIVABLE);
}
