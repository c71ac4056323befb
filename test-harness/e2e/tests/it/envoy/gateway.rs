//! Routing through the regional ingress gateway: a real Envoy 1.40 with the release
//! `.wasm` and `envoy-config/gateway.yaml` (cluster eu-west, one app per region
//! behind it) sends each visitor to the region that serves them, as the filter
//! chooses from `x-user-region` or `cf-ipcountry`, and the residency guard keeps
//! EU user data in the EU. Every test checks the app that answered (it names itself
//! and its region) and the `x-meshborder-route-region` that app saw.

use meshborder_e2e::client::Request;
use meshborder_e2e::gateway::{
    self, EU_CENTRAL_APP, EU_WEST_APP, Gateway, GatewayPorts, RegionApp, US_EAST_APP,
};
use meshborder_e2e::ports::LOOPBACK;
use meshborder_e2e::{Result, paths};
use meshborder_filter::contract::header;
use serde_json::Value;

fn start(label: &str) -> Result<Gateway> {
    let wasm = paths::filter_wasm()?;
    let run_dir = paths::run_dir(label)?;
    Gateway::start(LOOPBACK, &GatewayPorts::EPHEMERAL, &wasm, &run_dir)
}

/// GETs `path` through the gateway with `headers`; returns what the app saw.
fn get(gateway: &Gateway, path: &str, headers: &[(&str, &str)]) -> Result<Value> {
    let request = headers
        .iter()
        .fold(Request::get(path), |request, (name, value)| {
            request.header(name, value)
        });
    let response = request.send(gateway.listener)?;
    assert_eq!(
        response.status,
        200,
        "{headers:?}: {}\n{}",
        response.text(),
        gateway.envoy.log()
    );
    response.json()
}

/// The value at `pointer` in what the app saw, `null` when absent.
fn field<'a>(seen: &'a Value, pointer: &str) -> &'a Value {
    seen.pointer(pointer).unwrap_or(&Value::Null)
}

fn assert_served_by(seen: &Value, app: RegionApp, headers: &[(&str, &str)]) {
    assert_eq!(
        field(seen, "/app"),
        app.name,
        "{headers:?}: the app saw {seen}"
    );
    assert_eq!(
        field(seen, "/region"),
        app.region,
        "{headers:?}: the app saw {seen}"
    );
    assert_eq!(
        field(seen, &format!("/headers/{}", header::ROUTE_REGION)),
        app.region,
        "{headers:?}: the app saw {seen}"
    );
}

fn assert_routes(gateway: &Gateway, cases: &[&[(&str, &str)]], app: RegionApp) -> Result<()> {
    for headers in cases {
        assert_served_by(&get(gateway, "/catalog", headers)?, app, headers);
    }
    Ok(())
}

#[test]
fn routes_eu_visitors_to_the_eu_west_app() {
    let gateway = start("gateway-eu").unwrap();
    assert_routes(
        &gateway,
        &[
            &[("x-user-region", "eu")],
            &[("x-user-region", "eu-west-1")],
            &[("cf-ipcountry", "DE")],
            &[("cf-ipcountry", "de")],
            &[("cf-ipcountry", "FR")],
        ],
        EU_WEST_APP,
    )
    .unwrap();
}

#[test]
fn routes_us_visitors_to_the_us_east_app() {
    let gateway = start("gateway-us").unwrap();
    assert_routes(
        &gateway,
        &[
            &[("cf-ipcountry", "US")],
            &[("x-user-region", "us")],
            // The user's own region comes first, whatever country they are in.
            &[("x-user-region", "us"), ("cf-ipcountry", "DE")],
        ],
        US_EAST_APP,
    )
    .unwrap();
}

#[test]
fn routes_eu_central_visitors_to_the_eu_central_app() {
    let gateway = start("gateway-eu-central").unwrap();
    assert_routes(
        &gateway,
        &[
            &[("x-user-region", "eu-central-1")],
            &[("cf-ipcountry", "AT")],
        ],
        EU_CENTRAL_APP,
    )
    .unwrap();
}

#[test]
fn routes_a_request_without_a_known_region_to_the_default_region() {
    let gateway = start("gateway-default").unwrap();
    assert_routes(
        &gateway,
        &[&[], &[("x-user-region", "mars")], &[("cf-ipcountry", "XX")]],
        US_EAST_APP,
    )
    .unwrap();
}

#[test]
fn keeps_eu_user_data_in_the_eu_when_the_user_region_says_us() {
    let gateway = start("gateway-guard").unwrap();
    let headers: &[(&str, &str)] = &[("host", "eu-user-data"), ("x-user-region", "us")];

    let seen = get(&gateway, "/users/1", headers).unwrap();

    assert_served_by(&seen, EU_WEST_APP, headers);
    assert_eq!(seen["path"], "/users/1");
    let log = gateway.envoy.log();
    let guarded = r#"{"event":"route_guarded","rule":"eu-user-data","requested":"us-east-1","routed":"eu-west-1"}"#;
    assert!(log.contains(guarded), "no `{guarded}` in:\n{log}");
    // The same visitor's other requests still go where they asked.
    assert_served_by(
        &get(&gateway, "/catalog", &[("x-user-region", "us")]).unwrap(),
        US_EAST_APP,
        &[],
    );
}

#[test]
fn replaces_the_route_region_and_source_tags_a_visitor_sends() {
    let gateway = start("gateway-forged").unwrap();
    let headers: &[(&str, &str)] = &[
        ("cf-ipcountry", "DE"),
        (header::ROUTE_REGION, "us-east-1"),
        (header::SOURCE_CLUSTER, "us-east"),
        (header::SOURCE_REGION, "us-east-1"),
    ];

    let seen = get(&gateway, "/catalog", headers).unwrap();

    assert_served_by(&seen, EU_WEST_APP, headers);
    assert_eq!(seen["headers"][header::SOURCE_CLUSTER], gateway::CLUSTER);
    assert_eq!(seen["headers"][header::SOURCE_REGION], gateway::REGION);
}
