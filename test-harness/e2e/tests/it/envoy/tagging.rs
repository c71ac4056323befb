//! Scenario 1, tagging, on real Envoys: a request leaving the us-east sidecar
//! crosses to eu-west over mTLS and reaches the app tagged with its source cluster
//! and region; a tag the client forged is overwritten at us-east.

use meshborder_e2e::client::Request;
use meshborder_e2e::mesh::Mesh;
use meshborder_e2e::topology::{ResidencyMode, US_EAST};
use meshborder_filter::contract::header;

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
    assert_eq!(seen["headers"][header::SOURCE_CLUSTER], "us-east");
    assert_eq!(seen["headers"][header::SOURCE_REGION], "us-east-1");
}

#[test]
fn a_forged_tag_is_overwritten_at_us_east() {
    let mesh = Mesh::start("tagging-forged", ResidencyMode::Enforce, &[US_EAST]).unwrap();
    let us_east = mesh.caller(&US_EAST).unwrap();

    let response = Request::get("/catalog")
        .header("host", "eu-user-data")
        .header(header::SOURCE_CLUSTER, "eu-west")
        .header(header::SOURCE_REGION, "eu-west-1")
        .send(us_east.listener)
        .unwrap();

    assert_eq!(response.status, 200, "{}", response.text());
    let seen = response.json().unwrap();
    assert_eq!(seen["app"], "eu-west-app", "answered by {seen}");
    assert_eq!(seen["headers"][header::SOURCE_CLUSTER], "us-east");
    assert_eq!(seen["headers"][header::SOURCE_REGION], "us-east-1");
}
