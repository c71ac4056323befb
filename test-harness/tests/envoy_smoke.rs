//! Smoke test: a real Envoy 1.40 loads the release `.wasm` with the shipped sample
//! config, and a request through it reaches the app tagged with the sidecar's
//! cluster and region. Needs `make setup` (Envoy) and `make build` (the `.wasm`);
//! without them it fails and says so.

use meshborder_harness::client::Request;
use meshborder_harness::paths;
use meshborder_harness::ports::{LOOPBACK, PortPlan};
use meshborder_harness::topology::UsEastSidecar;

#[test]
fn tags_a_request_with_the_local_cluster_and_region() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("envoy-smoke").unwrap();
    let sidecar = UsEastSidecar::start(LOOPBACK, &PortPlan::EPHEMERAL, &wasm, &run_dir).unwrap();

    let response = Request::get("/orders/42").send(sidecar.listener).unwrap();

    assert_eq!(
        response.status,
        200,
        "{}\n{}",
        response.text(),
        sidecar.envoy.log()
    );
    let seen = response.json().unwrap();
    let headers = &seen["headers"];
    assert_eq!(
        headers["x-meshborder-source-cluster"], "us-east",
        "the app saw {seen}"
    );
    assert_eq!(
        headers["x-meshborder-source-region"], "us-east-1",
        "the app saw {seen}"
    );
}
