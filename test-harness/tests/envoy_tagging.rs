//! Scenario 1, tagging, on real Envoys: a request leaving the us-east sidecar
//! crosses to eu-west over mTLS and reaches the app tagged with its source cluster
//! and region; a tag the client forged is overwritten at us-east.

use meshborder_harness::client::Request;
use meshborder_harness::mesh::Mesh;
use meshborder_harness::topology::{ResidencyMode, US_EAST};

#[test]
fn a_request_from_us_east_reaches_the_eu_west_app_tagged_with_its_source() {
    let mesh = Mesh::start("tagging-source", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();

    let response = Request::get("/catalog")
        .header("host", "eu-user-data")
        .send(us_east.listener)
        .unwrap();

    assert_eq!(response.status, 200, "{}", response.text());
    let seen = response.json().unwrap();
    assert_eq!(seen["app"], "eu-west-app", "answered by {seen}");
    assert_eq!(seen["headers"]["x-meshborder-source-cluster"], "us-east");
    assert_eq!(seen["headers"]["x-meshborder-source-region"], "us-east-1");
}

#[test]
fn a_forged_tag_is_overwritten_at_us_east() {
    let mesh = Mesh::start("tagging-forged", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();

    let response = Request::get("/catalog")
        .header("host", "eu-user-data")
        .header("x-meshborder-source-cluster", "eu-west")
        .header("x-meshborder-source-region", "eu-west-1")
        .send(us_east.listener)
        .unwrap();

    assert_eq!(response.status, 200, "{}", response.text());
    let seen = response.json().unwrap();
    assert_eq!(seen["app"], "eu-west-app", "answered by {seen}");
    assert_eq!(seen["headers"]["x-meshborder-source-cluster"], "us-east");
    assert_eq!(seen["headers"]["x-meshborder-source-region"], "us-east-1");
}
