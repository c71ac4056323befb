//! The lifecycle Envoy drives, on the real filter: start, configure (and a refused
//! configuration or update), the order of a stream's callbacks, fuel as a
//! deterministic cost figure, and VMs that share nothing, even across threads.

use meshborder_e2e::host::Counters;
use meshborder_filter::contract::{label, metric, value};
use std::thread;

use super::fixtures::{
    DENIED_BY, REFUSED, SOURCE_CLUSTER, SPEC_CONFIG, eu_west, get, node, outbound, us_east,
};
use proxy_wasm_host::{Callback, HostError, HostResult, Vm};

const DECISIONS: &str = metric::RESIDENCY_DECISIONS.prometheus;
const DENY: [(&str, &str); 2] = [
    (label::RULE, "eu-user-data"),
    (label::DECISION, value::DENY),
];

#[test]
fn a_vm_starts_in_envoys_order() -> HostResult<()> {
    let vm = eu_west()?;
    let order: Vec<(Callback, u32)> = vm
        .calls()
        .iter()
        .map(|c| (c.callback, c.context_id))
        .collect();
    assert_eq!(
        order,
        [
            (Callback::Initialize, 0),
            (Callback::ContextCreate, 1),
            (Callback::VmStart, 1),
            (Callback::Configure, 1),
        ]
    );
    Ok(())
}

#[test]
fn a_stream_runs_every_callback_in_envoys_order() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("shop", "/", &[]), false)?;
    stream.request_body(b"{}", false)?;
    stream.request_trailers(&[("x-t", "1")])?;
    stream.response_headers(&[(":status", "200")], false)?;
    stream.response_body(b"ok", false)?;
    stream.response_trailers(&[("grpc-status", "0")])?;
    stream.finish()?;
    let order: Vec<Callback> = stream.calls().iter().map(|c| c.callback).collect();
    // The shipped filter exports only the callbacks it uses (make build drops the
    // others), so Envoy, like this host, calls nothing else: no body, trailer or
    // response callback, and no on_done.
    assert_eq!(
        order,
        [
            Callback::ContextCreate,
            Callback::RequestHeaders,
            Callback::Log,
            Callback::Delete,
        ]
    );
    assert!(matches!(
        stream.request_headers(&get("shop", "/", &[]), true),
        Err(HostError::Usage { .. })
    ));
    Ok(())
}

#[test]
fn a_refused_configuration_is_a_typed_error_with_the_logged_reason() -> HostResult<()> {
    let bad = r#"{"regionGroups":{"eu":["eu-west-1"],"us":["us-east-1"]},
                  "residency":{"rules":[{"name":"eu-user-data","allowSourceRegions":["eu-wst"]}]}}"#;
    let error = node(bad, "eu-west", "eu-west-1")?.start().err();
    assert_eq!(
        error,
        Some(HostError::ConfigureRejected {
            reason: format!(
                "{REFUSED}rule `eu-user-data`: `allowSourceRegions[0]`: unknown region or group \
                 `eu-wst` (known groups: eu, us; known regions: eu-west-1, us-east-1); list a new \
                 region in `regionGroups` or `clusters`"
            )
        })
    );
    Ok(())
}

#[test]
fn a_refused_update_keeps_the_last_good_configuration_serving() -> HostResult<()> {
    let mut vm = us_east()?;
    let refused = vm.reconfigure(r#"{"clustr":"typo"}"#.as_bytes().to_vec());
    assert!(
        matches!(&refused, Err(HostError::ConfigureRejected { reason }) if reason.contains("unknown field `clustr`")),
        "{refused:?}"
    );
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
    assert_eq!(
        stream.local_response().and_then(|r| r.header(DENIED_BY)),
        Some("eu-user-data"),
        "the rule of the last good configuration still applies"
    );
    vm.reconfigure("{}".as_bytes().to_vec())?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
    assert!(
        stream.local_response().is_none(),
        "the accepted update applies"
    );
    Ok(())
}

#[test]
fn fuel_is_metered_per_call_and_per_stream() -> HostResult<()> {
    let mut vm = us_east()?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
    stream.finish()?;
    let calls = stream.calls();
    assert!(calls.iter().all(|c| c.fuel > 0), "{calls:?}");
    assert_eq!(stream.fuel(), calls.iter().map(|c| c.fuel).sum::<u64>());
    assert_eq!(
        vm.fuel_total(),
        vm.calls().iter().map(|c| c.fuel).sum::<u64>()
    );
    Ok(())
}

/// The fuel of each callback of one denied request on a fresh VM.
fn denied_request_fuel() -> HostResult<Vec<(Callback, u64)>> {
    let mut vm = us_east()?;
    let mut stream = outbound(&mut vm);
    stream.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
    stream.finish()?;
    Ok(stream
        .calls()
        .iter()
        .map(|c| (c.callback, c.fuel))
        .collect())
}

#[test]
fn fuel_is_the_same_on_every_run() -> HostResult<()> {
    assert_eq!(denied_request_fuel()?, denied_request_fuel()?);
    Ok(())
}

#[test]
fn vms_of_one_plugin_share_no_state() -> HostResult<()> {
    let plugin = node(SPEC_CONFIG, "us-east", "us-east-1")?;
    let mut first = plugin.start()?;
    let second = plugin.start()?;
    let mut stream = outbound(&mut first);
    stream.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
    assert_eq!(first.counter(DECISIONS, &DENY), 1);
    assert_eq!(second.counter(DECISIONS, &DENY), 0);
    assert_eq!(second.logs().len(), 1, "only its own `configured` line");
    Ok(())
}

/// Runs `n` denied and `n` allowed requests on a VM of its own.
fn busy_vm(n: u64) -> HostResult<Vm> {
    let mut vm = us_east()?;
    for _ in 0..n {
        let mut denied = outbound(&mut vm);
        denied.request_headers(&get("eu-user-data", "/users/1", &[]), true)?;
        denied.finish()?;
        let mut allowed = outbound(&mut vm);
        allowed.request_headers(&get("shop", "/", &[]), true)?;
        assert_eq!(allowed.request_header(SOURCE_CLUSTER), Some("us-east"));
        allowed.finish()?;
    }
    Ok(vm)
}

#[test]
fn vms_on_parallel_threads_do_not_interfere() -> HostResult<()> {
    let workers: Vec<_> = (1..=4_u64)
        .map(|n| thread::spawn(move || busy_vm(n * 5).map(|vm| (n, vm.counter(DECISIONS, &DENY)))))
        .collect();
    for worker in workers {
        let (n, denied) = worker.join().expect("the worker thread finishes")?;
        assert_eq!(denied, n * 5);
    }
    Ok(())
}

#[test]
fn header_values_that_are_not_utf8_never_break_the_filter() -> HostResult<()> {
    let mut vm = eu_west()?;
    let mut stream = outbound(&mut vm);
    let garbage: &[u8] = &[0xff, 0xfe, 0x00, 0x80];
    stream.request_headers(
        &[
            (":authority", garbage),
            (":path", garbage),
            ("x-user-region", garbage),
            ("cf-ipcountry", garbage),
        ],
        true,
    )?;
    stream.finish()?;
    assert!(vm.failure().is_none());
    Ok(())
}
