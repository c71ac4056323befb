//! The host answers like Envoy's: which status each call gets in each phase, the
//! metric ids, shared data, queues, foreign functions, and the WASI calls. A probe
//! guest in WAT makes the calls and logs each status as two digits, so the tests
//! read the answers from the log.

use std::time::Duration;

use proxy_wasm_host::{
    CallRecord, Callback, DEFAULT_START_UNIX_NANOS, HostResult, LogLevel, LogSource, Plugin, Vm,
};

/// A guest whose callbacks run the given WAT instructions. `$report` logs a status
/// (or any number below 100) as two digits; strings live at fixed addresses.
fn probe(
    on_configure: &str,
    on_request_headers: &str,
    on_response_headers: &str,
    on_log: &str,
) -> HostResult<Plugin> {
    let wat = format!(
        r#"(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $get_pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment (param i32 i64) (result i32)))
  (import "env" "proxy_get_metric" (func $get_metric (param i32 i32) (result i32)))
  (import "env" "proxy_set_shared_data" (func $set_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_shared_data" (func $get_shared (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_register_shared_queue" (func $register (param i32 i32 i32) (result i32)))
  (import "env" "proxy_enqueue_shared_queue" (func $enqueue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_dequeue_shared_queue" (func $dequeue (param i32 i32 i32) (result i32)))
  (import "env" "proxy_call_foreign_function" (func $foreign (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $effective (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $tick_period (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "x-probe")
  (data (i32.const 120) "missing")
  (data (i32.const 140) "empty")
  (data (i32.const 160) "clear_route_cache")
  (data (i32.const 200) "nope")
  (data (i32.const 220) "key")
  (data (i32.const 240) "queue")
  (data (i32.const 260) "hello from stdout\n")
  (global $next (mut i32) (i32.const 4096))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $at))
  (func $report (param $n i32)
    (i32.store8 (i32.const 1000) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 10))))
    (i32.store8 (i32.const 1001) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
    (drop (call $log (i32.const 2) (i32.const 1000) (i32.const 2))))
  ;; The size a call wrote at 304.
  (func $size (result i32) (i32.load (i32.const 304)))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $ctx i32) (param $len i32) (result i32)
    {on_configure}
    (i32.const 1))
  (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
    {on_request_headers}
    (i32.const 0))
  (func (export "proxy_on_response_headers") (param $ctx i32) (param i32 i32) (result i32)
    {on_response_headers}
    (i32.const 0))
  (func (export "proxy_on_log") (param $ctx i32)
    {on_log})
  (func (export "proxy_on_queue_ready") (param i32 i32)
    (call $report (i32.const 99)))
  (func (export "proxy_on_tick") (param i32)
    (call $report (i32.const 98)))
)"#
    );
    Plugin::from_wat(wat)
}

/// What the guest reported, in order.
fn reports(vm: &Vm) -> Vec<String> {
    vm.logs()
        .iter()
        .filter(|l| l.source == LogSource::ProxyLog && l.level == LogLevel::Info)
        .map(|l| l.message.clone())
        .collect()
}

/// `$get_value` of `x-probe` in header map `map`, reported.
fn get_value(map: u32) -> String {
    format!(
        "(call $report (call $get_value (i32.const {map}) (i32.const 100) (i32.const 7) (i32.const 300) (i32.const 304)))"
    )
}

/// Runs one stream: request headers, response headers, log.
fn one_stream(plugin: &Plugin) -> HostResult<Vm> {
    let mut vm = plugin.start()?;
    let mut stream = vm.http_stream();
    stream.request_headers(&[(":path", "/"), ("x-probe", "yes")], true)?;
    stream.response_headers(&[(":status", "200"), ("x-probe", "yes")], true)?;
    stream.finish()?;
    Ok(vm)
}

#[test]
fn header_maps_are_usable_only_in_their_phase_and_readable_in_on_log() -> HostResult<()> {
    let request = format!("{} {}", get_value(0), get_value(2));
    let response = get_value(0);
    let log = format!(
        "{} {} {} (call $report (call $replace (i32.const 0) (i32.const 100) (i32.const 7) (i32.const 100) (i32.const 1)))",
        get_value(0),
        get_value(2),
        get_value(1)
    );
    let vm = one_stream(&probe("", &request, &response, &log)?)?;
    assert_eq!(
        reports(&vm),
        [
            "00", // request headers, in on_request_headers
            "02", // response headers, not there yet: BadArgument
            "02", // request headers, after the request went on: BadArgument
            "00", // request headers, in on_log
            "00", // response headers, in on_log
            "01", // request trailers, in on_log: NotFound
            "02", // a write in on_log: BadArgument
        ]
    );
    Ok(())
}

#[test]
fn an_unavailable_header_map_reads_as_no_pairs() -> HostResult<()> {
    let response = "(call $report (call $get_pairs (i32.const 0) (i32.const 300) (i32.const 304))) (call $report (call $size))";
    let vm = one_stream(&probe("", "", response, "")?)?;
    assert_eq!(reports(&vm), ["00", "00"]);
    Ok(())
}

#[test]
fn a_missing_property_is_not_found_and_an_empty_one_has_no_bytes() -> HostResult<()> {
    let request = "(call $report (call $get_property (i32.const 120) (i32.const 7) (i32.const 300) (i32.const 304)))
                   (call $report (call $get_property (i32.const 140) (i32.const 5) (i32.const 300) (i32.const 304)))
                   (call $report (call $size))";
    let plugin = probe("", request, "", "")?.property(["empty"], "");
    let vm = one_stream(&plugin)?;
    assert_eq!(reports(&vm), ["01", "00", "00"]);
    Ok(())
}

#[test]
fn plugin_configuration_is_readable_only_while_configuring() -> HostResult<()> {
    let read = "(call $report (call $get_buffer (i32.const 7) (i32.const 0) (i32.const -1) (i32.const 300) (i32.const 304)))
                (call $report (call $size))";
    let vm = one_stream(&probe(read, read, "", "")?.config_json("{\"a\":1}"))?;
    assert_eq!(reports(&vm), ["00", "07", "01", "07"]);
    Ok(())
}

#[test]
fn metric_ids_carry_their_type_and_counters_only_go_up() -> HostResult<()> {
    let configure = "
      (call $report (call $define (i32.const 0) (i32.const 220) (i32.const 3) (i32.const 312)))
      (call $report (i32.load (i32.const 312)))
      (call $report (call $define (i32.const 1) (i32.const 220) (i32.const 3) (i32.const 312)))
      (call $report (i32.load (i32.const 312)))
      (call $report (call $define (i32.const 2) (i32.const 220) (i32.const 3) (i32.const 312)))
      (call $report (i32.load (i32.const 312)))
      (call $report (call $define (i32.const 0) (i32.const 240) (i32.const 5) (i32.const 312)))
      (call $report (i32.load (i32.const 312)))
      (call $report (call $increment (i32.const 4) (i64.const 3)))
      (call $report (call $increment (i32.const 4) (i64.const 0)))
      (call $report (call $increment (i32.const 5) (i64.const -2)))
      (call $report (call $increment (i32.const 6) (i64.const 1)))
      (call $report (call $increment (i32.const 44) (i64.const 1)))
      (call $report (call $get_metric (i32.const 4) (i32.const 320)))
      (call $report (i32.load (i32.const 320)))";
    let vm = probe(configure, "", "", "")?.start()?;
    assert_eq!(
        reports(&vm),
        [
            "00", "04", "00", "05", "00", "06", "00", "08", "00", "02", "00", "02", "01", "00",
            "03"
        ]
    );
    assert_eq!(vm.counter_named("key"), 3);
    Ok(())
}

#[test]
fn a_name_defined_twice_is_one_metric_with_two_ids() -> HostResult<()> {
    let configure = "
      (call $report (call $define (i32.const 0) (i32.const 220) (i32.const 3) (i32.const 312)))
      (call $report (i32.load (i32.const 312)))
      (call $report (call $define (i32.const 0) (i32.const 220) (i32.const 3) (i32.const 312)))
      (call $report (i32.load (i32.const 312)))
      (call $report (call $increment (i32.const 4) (i64.const 1)))
      (call $report (call $increment (i32.const 8) (i64.const 2)))";
    let vm = probe(configure, "", "", "")?.start()?;
    assert_eq!(reports(&vm), ["00", "04", "00", "08", "00", "00"]);
    assert_eq!(vm.metric_definitions(), 2);
    assert_eq!(vm.metrics().len(), 1);
    assert_eq!(vm.counter_named("key"), 3);
    Ok(())
}

#[test]
fn shared_data_checks_its_compare_and_swap_token() -> HostResult<()> {
    let configure = "
      (call $report (call $get_shared (i32.const 220) (i32.const 3) (i32.const 300) (i32.const 304) (i32.const 308)))
      (call $report (call $set_shared (i32.const 220) (i32.const 3) (i32.const 240) (i32.const 5) (i32.const 0)))
      (call $report (call $get_shared (i32.const 220) (i32.const 3) (i32.const 300) (i32.const 304) (i32.const 308)))
      (call $report (call $size))
      (call $report (call $set_shared (i32.const 220) (i32.const 3) (i32.const 240) (i32.const 2)
                                      (i32.add (i32.load (i32.const 308)) (i32.const 1))))
      (call $report (call $set_shared (i32.const 220) (i32.const 3) (i32.const 240) (i32.const 2)
                                      (i32.load (i32.const 308))))";
    let vm = probe(configure, "", "", "")?.start()?;
    assert_eq!(reports(&vm), ["01", "00", "00", "05", "08", "00"]);
    assert_eq!(vm.shared_data("key").map(|v| v.value), Some(b"qu".to_vec()));
    Ok(())
}

#[test]
fn an_enqueued_item_is_announced_to_the_queue_owner() -> HostResult<()> {
    let configure = "
      (call $report (call $register (i32.const 240) (i32.const 5) (i32.const 316)))
      (call $report (call $dequeue (i32.load (i32.const 316)) (i32.const 300) (i32.const 304)))
      (call $report (call $enqueue (i32.load (i32.const 316)) (i32.const 220) (i32.const 3)))
      (call $report (call $enqueue (i32.const 77) (i32.const 220) (i32.const 3)))";
    let vm = probe(configure, "", "", "")?.start()?;
    // 07: the queue is empty; 99: on_queue_ready ran after on_configure returned.
    assert_eq!(reports(&vm), ["00", "07", "00", "01", "99"]);
    Ok(())
}

#[test]
fn clear_route_cache_is_the_foreign_function_envoy_offers() -> HostResult<()> {
    let request = "
      (call $report (call $foreign (i32.const 160) (i32.const 17) (i32.const 0) (i32.const 0) (i32.const 300) (i32.const 304)))
      (call $report (call $foreign (i32.const 200) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 300) (i32.const 304)))
      (call $report (call $effective (i32.const 1)))
      (call $report (call $effective (i32.const 999)))";
    let plugin = probe("", request, "", "")?;
    let mut vm = plugin.start()?;
    let mut stream = vm.http_stream();
    stream.request_headers(&[(":path", "/")], true)?;
    assert_eq!(stream.route_cache_clears(), 1);
    assert_eq!(reports(stream.vm()), ["00", "01", "00", "02"]);
    assert_eq!(vm.foreign_calls(), ["clear_route_cache", "nope"]);
    Ok(())
}

#[test]
fn stdout_is_an_info_line_without_its_newline() -> HostResult<()> {
    let configure = "
      (i32.store (i32.const 400) (i32.const 260)) (i32.store (i32.const 404) (i32.const 18))
      (call $report (call $fd_write (i32.const 1) (i32.const 400) (i32.const 1) (i32.const 408)))
      (call $report (i32.load (i32.const 408)))
      (call $report (call $fd_write (i32.const 7) (i32.const 400) (i32.const 1) (i32.const 408)))";
    let vm = probe(configure, "", "", "")?.start()?;
    let stdout: Vec<&str> = vm
        .logs()
        .iter()
        .filter(|l| l.source == LogSource::Stdout)
        .map(|l| l.message.as_str())
        .collect();
    assert_eq!(stdout, ["hello from stdout"]);
    assert_eq!(reports(&vm), ["00", "18", "08"]);
    Ok(())
}

#[test]
fn environment_clock_and_random_bytes_are_the_configured_ones() -> HostResult<()> {
    let configure = "
      (call $report (call $env_sizes (i32.const 500) (i32.const 504)))
      (call $report (i32.load (i32.const 500)))
      (call $report (i32.load (i32.const 504)))
      (call $report (call $env_get (i32.const 600) (i32.const 700)))
      (drop (call $log (i32.const 3) (i32.load (i32.const 600)) (i32.sub (i32.load (i32.const 504)) (i32.const 1))))
      (call $report (call $clock (i32.const 0) (i64.const 1) (i32.const 800)))
      (call $report (call $random (i32.const 900) (i32.const 16)))
      (drop (call $log (i32.const 4) (i32.const 900) (i32.const 16)))";
    let plugin = probe(configure, "", "", "")?.env("REGION", "eu-west-1");
    let first = plugin.start()?;
    assert_eq!(reports(&first), ["00", "01", "17", "00", "00", "00"]);
    let warn: Vec<&str> = first
        .logs()
        .iter()
        .filter(|l| l.level == LogLevel::Warn)
        .map(|l| l.message.as_str())
        .collect();
    assert_eq!(warn, ["REGION=eu-west-1"]);
    let random = |vm: &Vm| {
        vm.logs()
            .iter()
            .find(|l| l.level == LogLevel::Error)
            .map(|l| l.message.clone())
    };
    let second = plugin.start()?;
    assert!(random(&first).is_some());
    assert_eq!(random(&first), random(&second), "random_get is seeded");
    assert_eq!(first.now_unix_nanos(), DEFAULT_START_UNIX_NANOS);
    Ok(())
}

#[test]
fn advancing_the_clock_delivers_ticks() -> HostResult<()> {
    let configure = "(call $report (call $tick_period (i32.const 100)))";
    let mut vm = probe(configure, "", "", "")?.start()?;
    assert_eq!(vm.tick_period(), Some(Duration::from_millis(100)));
    assert_eq!(vm.advance_clock(Duration::from_millis(250))?, 2);
    assert_eq!(vm.advance_clock(Duration::from_millis(50))?, 1);
    assert_eq!(reports(&vm), ["00", "98", "98", "98"]);
    assert_eq!(vm.now_unix_nanos(), DEFAULT_START_UNIX_NANOS + 300_000_000);
    Ok(())
}

/// A call into the guest as its callback, host calls, and host calls by import.
type HostCalls<'a> = (Callback, u64, Vec<(&'a str, u64)>);

/// Each call into the guest, as [`HostCalls`].
fn host_calls(calls: &[CallRecord]) -> Vec<HostCalls<'_>> {
    calls
        .iter()
        .map(|call| {
            let by_import = call
                .host_calls_by_import
                .iter()
                .map(|(name, count)| (name.as_ref(), *count))
                .collect();
            (call.callback, call.host_calls, by_import)
        })
        .collect()
}

#[test]
fn each_callback_counts_the_host_calls_it_made() -> HostResult<()> {
    let configure =
        "(drop (call $define (i32.const 0) (i32.const 220) (i32.const 3) (i32.const 312)))";
    // get_pairs and get_property hand bytes over through the guest's allocator: a
    // call back into the guest, not one more host call.
    let request = "
      (drop (call $get_pairs (i32.const 0) (i32.const 300) (i32.const 304)))
      (drop (call $replace (i32.const 0) (i32.const 100) (i32.const 7) (i32.const 100) (i32.const 1)))
      (drop (call $get_property (i32.const 120) (i32.const 7) (i32.const 300) (i32.const 304)))
      (drop (call $get_property (i32.const 140) (i32.const 5) (i32.const 300) (i32.const 304)))
      (call $report (i32.const 7))";
    let log = "
      (drop (call $increment (i32.load (i32.const 312)) (i64.const 1)))
      (drop (call $increment (i32.load (i32.const 312)) (i64.const 1)))
      (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 800)))";
    let plugin = probe(configure, request, "", log)?.property(["empty"], "");
    let mut vm = plugin.start()?;
    assert_eq!(
        host_calls(vm.calls()),
        [
            (Callback::Initialize, 0, vec![]),
            (Callback::ContextCreate, 0, vec![]),
            (Callback::VmStart, 0, vec![]),
            (Callback::Configure, 1, vec![("proxy_define_metric", 1)]),
        ]
    );
    let mut stream = vm.http_stream();
    stream.request_headers(&[(":path", "/"), ("x-probe", "yes")], true)?;
    stream.response_headers(&[(":status", "200")], true)?;
    stream.finish()?;
    assert_eq!(
        host_calls(&stream.calls()),
        [
            (Callback::ContextCreate, 0, vec![]),
            (
                Callback::RequestHeaders,
                5,
                vec![
                    ("proxy_get_header_map_pairs", 1),
                    ("proxy_get_property", 2),
                    ("proxy_log", 1),
                    ("proxy_replace_header_map_value", 1),
                ]
            ),
            (Callback::ResponseHeaders, 0, vec![]),
            (
                Callback::Log,
                3,
                vec![("clock_time_get", 1), ("proxy_increment_metric", 2)]
            ),
        ]
    );
    assert_eq!(vm.counter_named("key"), 2);
    Ok(())
}

#[test]
fn a_call_of_an_unimplemented_import_is_a_host_call_too() -> HostResult<()> {
    let wat = r#"(module
  (import "env" "proxy_http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_log_level" (func $log_level (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (drop (call $log_level (i32.const 300)))
    (drop (call $http_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                           (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (drop (call $http_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                           (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
    (i32.const 1))
)"#;
    let vm = Plugin::from_wat(wat)?.strict(false).start()?;
    let configure = host_calls(vm.calls())
        .into_iter()
        .filter(|(callback, ..)| *callback == Callback::Configure)
        .collect::<Vec<_>>();
    assert_eq!(
        configure,
        [(
            Callback::Configure,
            3,
            vec![("proxy_get_log_level", 1), ("proxy_http_call", 2)]
        )]
    );
    assert_eq!(
        vm.unimplemented_calls(),
        ["env.proxy_http_call", "env.proxy_http_call"]
    );
    Ok(())
}
