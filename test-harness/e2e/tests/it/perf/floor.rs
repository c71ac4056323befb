//! The floor filter (`bench/floor-filter`) against meshborder on the wasm host: for
//! each request of the benchmark workload, the floor's host calls are a subset of
//! meshborder's, import by import, and it does the job those calls are for (the
//! tags and the routing header under the contract's names, the denial, the
//! metering). Both counts are printed; the difference is the gap `make bench`
//! measures in Envoy.

use std::collections::BTreeMap;

use meshborder_e2e::fuel::{self, RequestFuel};
use meshborder_e2e::paths;
use meshborder_e2e::workload::{CLUSTER, REGION, RequestKind, Workload};
use meshborder_filter::contract::header;
use proxy_wasm_host::{HostError, HostResult, Plugin, Vm};

use super::fuel_regression::TestResult;
use super::host_calls::{INBOUND_METERED, meshborder_requests};

fn floor(config: &str) -> HostResult<Vm> {
    let path = paths::floor_wasm_path();
    if !path.is_file() {
        return Err(HostError::MissingWasm {
            path,
            hint: "run `make build`, which builds the floor filter too".to_owned(),
        });
    }
    Plugin::load(path)?
        .config(config.as_bytes().to_vec())
        .start()
}

/// What each request of the bench workload costs the floor, by kind name.
fn floor_requests() -> HostResult<BTreeMap<String, RequestFuel>> {
    let workload = Workload::BENCH;
    let mut outbound = floor(&workload.floor_outbound_config())?;
    let mut costs = BTreeMap::new();
    for kind in RequestKind::ALL {
        let request = workload.request(kind);
        for _ in 0..3 {
            fuel::send(fuel::outbound(&mut outbound), &request)?;
        }
        let cost = fuel::send(fuel::outbound(&mut outbound), &request)?;
        assert_eq!(cost.replied, kind == RequestKind::Denied, "{}", kind.name());
        costs.insert(kind.name().to_owned(), cost);
    }
    let mut inbound = floor(&workload.floor_inbound_config())?;
    let request = fuel::inbound_metered_request(&workload);
    for _ in 0..3 {
        fuel::send(fuel::inbound(&mut inbound), &request)?;
    }
    costs.insert(
        INBOUND_METERED.to_owned(),
        fuel::send(fuel::inbound(&mut inbound), &request)?,
    );
    assert_eq!(
        inbound.counter_named("floor.requests"),
        4,
        "the floor meters the inbound request"
    );
    Ok(costs)
}

#[test]
fn the_floor_makes_a_subset_of_meshborders_host_calls_for_every_request() -> TestResult<()> {
    let meshborder = meshborder_requests()?;
    let floor = floor_requests()?;
    println!("host calls and fuel per request, meshborder against the floor:");
    let mut over = Vec::new();
    for (kind, theirs) in &floor {
        let mine = meshborder
            .get(kind)
            .ok_or_else(|| format!("meshborder has no `{kind}` request"))?;
        println!(
            "  {kind}: host calls meshborder {}, floor {}; fuel meshborder {}, floor {}",
            mine.host_calls, theirs.host_calls, mine.fuel, theirs.fuel
        );
        for (import, &count) in &mine.host_calls_by_import {
            let floor_count = theirs
                .host_calls_by_import
                .get(import)
                .copied()
                .unwrap_or(0);
            if count > floor_count {
                println!("    gap: {import} meshborder {count}, floor {floor_count}");
            }
        }
        for (import, &count) in &theirs.host_calls_by_import {
            let allowed = mine.host_calls_by_import.get(import).copied().unwrap_or(0);
            if count > allowed {
                over.push(format!(
                    "{kind}: the floor calls {import} {count} times, meshborder {allowed}"
                ));
            }
        }
        assert!(theirs.host_calls > 0, "{kind}: the floor made no host call");
    }
    assert_eq!(floor.len(), meshborder.len());
    assert!(
        over.is_empty(),
        "the floor is no floor:\n  {}",
        over.join("\n  ")
    );
    Ok(())
}

#[test]
fn the_floor_tags_routes_and_denies_under_the_contracts_names() -> HostResult<()> {
    let workload = Workload::BENCH;
    let mut vm = floor(&workload.floor_outbound_config())?;
    let routed = workload.request(RequestKind::Routed);
    let mut stream = fuel::outbound(&mut vm);
    let mut headers = vec![
        (":authority", routed.authority.as_str()),
        (":path", routed.path.as_str()),
        (header::SOURCE_ZONE, "forged"),
    ];
    headers.extend(routed.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    stream.request_headers(&headers, true)?;
    assert_eq!(stream.request_header(header::SOURCE_CLUSTER), Some(CLUSTER));
    assert_eq!(stream.request_header(header::SOURCE_REGION), Some(REGION));
    assert_eq!(stream.request_header(header::SOURCE_ZONE), None);
    assert!(stream.request_header(header::ROUTE_REGION).is_some());
    stream.finish()?;

    let denied = workload.request(RequestKind::Denied);
    let mut stream = fuel::outbound(&mut vm);
    stream.request_headers(
        &[
            (":authority", denied.authority.as_str()),
            (":path", denied.path.as_str()),
        ],
        true,
    )?;
    let reply = stream
        .local_response()
        .map(|r| (r.status, r.headers.clone()));
    let (status, reply_headers) = reply.unwrap_or_default();
    assert_eq!(status, 403);
    assert!(
        reply_headers
            .iter()
            .any(|(name, _)| name == header::DENIED_BY),
        "{reply_headers:?}"
    );
    stream.finish()?;
    Ok(())
}
