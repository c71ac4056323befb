//! Regional routing on the real filter: the first routing source that yields a
//! region sets `x-meshborder-route-region` (replacing any incoming value), and
//! Envoy picks the route again because the request headers were edited (no
//! `clear_route_cache` call is needed); the residency guard keeps requests under an
//! `allowLocalRegions` rule inside those regions.

use super::fixtures::{
    ROUTE_REGION, SOURCE_CLUSTER, SPEC_CONFIG, TRUSTED_SAN, eu_west, from_peer, get, lines_at,
    node, outbound, us_east,
};
use meshborder_filter::contract::log_line;
use proxy_wasm_host::{HostResult, LogLevel, Vm};

/// The route an outbound request to `shop` with `extra` headers gets.
fn routed(vm: &mut Vm, extra: &[(&str, &str)]) -> HostResult<Option<String>> {
    let mut stream = outbound(vm);
    stream.request_headers(&get("shop", "/", extra), true)?;
    Ok(stream.request_header(ROUTE_REGION).map(str::to_owned))
}

fn to(region: &str) -> Option<String> {
    Some(region.to_owned())
}

#[test]
fn a_region_header_sets_the_route_and_envoy_routes_on_the_edited_headers() -> HostResult<()> {
    let mut vm = us_east()?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(
        &get("shop", "/", &[("x-user-region", "eu-central-1")]),
        true,
    )?;
    assert_eq!(stream.request_header(ROUTE_REGION), Some("eu-central-1"));
    assert!(
        stream.route_cache_clears() > 0,
        "editing the request headers clears Envoy's route cache"
    );
    assert!(
        vm.foreign_calls().is_empty(),
        "so no clear_route_cache call is needed"
    );
    Ok(())
}

#[test]
fn a_group_name_routes_to_its_first_region() -> HostResult<()> {
    let mut vm = us_east()?;
    assert_eq!(
        routed(&mut vm, &[("x-user-region", "eu")])?,
        to("eu-west-1")
    );
    assert_eq!(
        routed(&mut vm, &[("x-user-region", "US")])?,
        to("us-east-1")
    );
    Ok(())
}

#[test]
fn country_codes_are_case_insensitive() -> HostResult<()> {
    let mut vm = us_east()?;
    assert_eq!(routed(&mut vm, &[("cf-ipcountry", "de")])?, to("eu-west-1"));
    assert_eq!(routed(&mut vm, &[("cf-ipcountry", "US")])?, to("us-east-1"));
    Ok(())
}

#[test]
fn the_first_source_that_yields_a_region_wins() -> HostResult<()> {
    let mut vm = us_east()?;
    let both = [("x-user-region", "eu-central-1"), ("cf-ipcountry", "US")];
    assert_eq!(routed(&mut vm, &both)?, to("eu-central-1"));
    Ok(())
}

#[test]
fn unknown_values_fall_through_to_the_next_source_and_the_default() -> HostResult<()> {
    let mut vm = us_east()?;
    let unknown = [("x-user-region", "mars-1"), ("cf-ipcountry", "DE")];
    assert_eq!(routed(&mut vm, &unknown)?, to("eu-west-1"));
    let nothing = [("x-user-region", "mars-1"), ("cf-ipcountry", "ZZ")];
    assert_eq!(routed(&mut vm, &nothing)?, to("us-east-1"));
    Ok(())
}

#[test]
fn an_incoming_route_header_is_replaced() -> HostResult<()> {
    let mut vm = us_east()?;
    let forged = [(ROUTE_REGION, "eu-west-1"), ("cf-ipcountry", "US")];
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("shop", "/", &forged), true)?;
    let values: Vec<&[u8]> = stream
        .request_header_map()
        .iter()
        .filter(|(k, _)| k == ROUTE_REGION)
        .map(|(_, v)| v.as_slice())
        .collect();
    assert_eq!(values, [b"us-east-1"]);
    Ok(())
}

#[test]
fn an_incoming_route_header_is_removed_when_nothing_is_chosen() -> HostResult<()> {
    let config = r#"{"regionGroups":{"eu":["eu-west-1"]},"routing":{"sources":[{"header":"x-user-region"}]}}"#;
    let mut vm = node(config, "us-east", "us-east-1")?.start()?;
    assert_eq!(routed(&mut vm, &[(ROUTE_REGION, "eu-west-1")])?, None);
    assert_eq!(routed(&mut vm, &[])?, None);
    Ok(())
}

#[test]
fn without_routing_the_route_is_never_touched() -> HostResult<()> {
    let mut vm = node("{}", "us-east", "us-east-1")?.start()?;
    assert_eq!(
        routed(&mut vm, &[("x-user-region", "eu"), (ROUTE_REGION, "x")])?,
        to("x")
    );
    assert!(vm.foreign_calls().is_empty());
    Ok(())
}

#[test]
fn the_residency_guard_keeps_eu_rule_requests_in_the_eu() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(
        &get(
            "eu-user-data",
            "/users/1",
            &[(SOURCE_CLUSTER, "eu-central"), ("x-user-region", "us")],
        ),
        true,
    )?;
    assert_eq!(stream.request_header(ROUTE_REGION), Some("eu-west-1"));
    assert!(stream.route_cache_clears() > 0);
    assert_eq!(
        lines_at(stream.vm(), LogLevel::Info)
            .last()
            .map(String::as_str),
        Some(
            r#"{"event":"route_guarded","rule":"eu-user-data","requested":"us-east-1","routed":"eu-west-1"}"#
        )
    );
    Ok(())
}

#[test]
fn the_residency_guard_leaves_an_allowed_choice_alone() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(
        &get(
            "eu-user-data",
            "/users/1",
            &[
                (SOURCE_CLUSTER, "eu-central"),
                ("x-user-region", "eu-central-1"),
            ],
        ),
        true,
    )?;
    assert_eq!(stream.request_header(ROUTE_REGION), Some("eu-central-1"));
    assert!(
        !lines_at(stream.vm(), LogLevel::Info)
            .iter()
            .any(|l| l.contains(log_line::ROUTE_GUARDED))
    );
    Ok(())
}

#[test]
fn the_residency_guard_can_be_turned_off() -> HostResult<()> {
    let config = SPEC_CONFIG.replace(r#""residencyGuard": true"#, r#""residencyGuard": false"#);
    let mut vm = node(&config, "eu-west", "eu-west-1")?.start()?;
    let mut stream = from_peer(&mut vm, TRUSTED_SAN);
    stream.request_headers(
        &get(
            "eu-user-data",
            "/users/1",
            &[(SOURCE_CLUSTER, "eu-central"), ("x-user-region", "us")],
        ),
        true,
    )?;
    assert_eq!(stream.request_header(ROUTE_REGION), Some("us-east-1"));
    Ok(())
}

#[test]
fn routing_runs_inbound_too() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = from_peer(&mut vm, "spiffe://other.example/x");
    stream.request_headers(&get("shop", "/", &[("cf-ipcountry", "DE")]), true)?;
    assert_eq!(stream.request_header(ROUTE_REGION), Some("eu-west-1"));
    assert!(stream.route_cache_clears() > 0);
    Ok(())
}
