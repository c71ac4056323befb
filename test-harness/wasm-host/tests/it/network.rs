//! Network filters as Envoy's `envoy.filters.network.wasm` drives them: the order
//! and arguments of the connection callbacks, the data buffers, pauses, the
//! plugin's close and resume requests, per-connection properties, and ticks while a
//! connection is open. A WAT guest logs each callback with its arguments as
//! `name AA BB` and each status it gets as two digits, so the tests read both from
//! the log.

use std::time::Duration;

use proxy_wasm_host::{
    Action, Callback, ConnectionEvent, Direction, HostError, HostResult, LogLevel, LogSource,
    PeerType, Plugin, StreamType, Vm,
};

/// What the guest's configurable callbacks run. Each `*_data` and
/// `new_connection` snippet must leave the callback's result (an action) on the
/// stack; `$ctx`, `$size` and `$eos` name the callback's arguments.
struct Guest {
    configure: &'static str,
    new_connection: &'static str,
    downstream: &'static str,
    upstream: &'static str,
    tick: &'static str,
}

impl Default for Guest {
    fn default() -> Self {
        Self {
            configure: "",
            new_connection: "(i32.const 0)",
            downstream: "(i32.const 0)",
            upstream: "(i32.const 0)",
            tick: "",
        }
    }
}

impl Guest {
    /// The guest as a plugin. Strings live at fixed addresses: `XY` at 200, `!` at
    /// 210, `>` at 212, property paths from 100, callback names from 400.
    fn plugin(&self) -> HostResult<Plugin> {
        let Self {
            configure,
            new_connection,
            downstream,
            upstream,
            tick,
        } = self;
        let wat = format!(
            r#"(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buffer (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_status" (func $buffer_status (param i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_close_stream" (func $close (param i32) (result i32)))
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $get_value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_effective_context" (func $effective (param i32) (result i32)))
  (import "env" "proxy_set_tick_period_milliseconds" (func $tick_period (param i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment (param i32 i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "destination\00port")
  (data (i32.const 120) "connection\00requested_server_name")
  (data (i32.const 160) "upstream\00address")
  (data (i32.const 180) "bytes")
  (data (i32.const 190) ":path")
  (data (i32.const 200) "XY")
  (data (i32.const 210) "!")
  (data (i32.const 212) ">")
  (data (i32.const 400) "create")
  (data (i32.const 410) "new_connection")
  (data (i32.const 430) "downstream")
  (data (i32.const 440) "upstream")
  (data (i32.const 450) "downstream_close")
  (data (i32.const 470) "upstream_close")
  (data (i32.const 490) "done")
  (data (i32.const 500) "log")
  (data (i32.const 510) "delete")
  (data (i32.const 520) "tick")
  (global $next (mut i32) (i32.const 8192))
  (global $unflushed (mut i32) (i32.const 0))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $size)))
    (local.get $at))
  (func $digits (param $at i32) (param $n i32)
    (i32.store8 (local.get $at)
      (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $n) (i32.const 10)) (i32.const 10))))
    (i32.store8 (i32.add (local.get $at) (i32.const 1))
      (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10)))))
  (func $report (param $n i32)
    (call $digits (i32.const 1000) (local.get $n))
    (drop (call $log (i32.const 2) (i32.const 1000) (i32.const 2))))
  ;; Logs `name` and the first `count` of `a`, `b` as two digits each.
  (func $line (param $name i32) (param $len i32) (param $count i32) (param $a i32) (param $b i32)
    (local $at i32)
    (memory.copy (i32.const 1100) (local.get $name) (local.get $len))
    (local.set $at (i32.add (i32.const 1100) (local.get $len)))
    (if (i32.ge_u (local.get $count) (i32.const 1))
      (then
        (i32.store8 (local.get $at) (i32.const 32))
        (call $digits (i32.add (local.get $at) (i32.const 1)) (local.get $a))
        (local.set $at (i32.add (local.get $at) (i32.const 3)))))
    (if (i32.ge_u (local.get $count) (i32.const 2))
      (then
        (i32.store8 (local.get $at) (i32.const 32))
        (call $digits (i32.add (local.get $at) (i32.const 1)) (local.get $b))
        (local.set $at (i32.add (local.get $at) (i32.const 3)))))
    (drop (call $log (i32.const 2) (i32.const 1100) (i32.sub (local.get $at) (i32.const 1100)))))
  ;; Logs at warn the bytes a call handed over at 300 (address) and 304 (size).
  (func $show
    (drop (call $log (i32.const 3) (i32.load (i32.const 300)) (i32.load (i32.const 304)))))
  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32)
    (call $line (i32.const 400) (i32.const 6) (i32.const 2) (local.get $ctx) (local.get $parent)))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param $ctx i32) (param $len i32) (result i32)
    {configure}
    (i32.const 1))
  (func (export "proxy_on_new_connection") (param $ctx i32) (result i32)
    (call $line (i32.const 410) (i32.const 14) (i32.const 1) (local.get $ctx) (i32.const 0))
    {new_connection})
  (func (export "proxy_on_downstream_data") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (call $line (i32.const 430) (i32.const 10) (i32.const 2) (local.get $size) (local.get $eos))
    {downstream})
  (func (export "proxy_on_upstream_data") (param $ctx i32) (param $size i32) (param $eos i32) (result i32)
    (call $line (i32.const 440) (i32.const 8) (i32.const 2) (local.get $size) (local.get $eos))
    {upstream})
  (func (export "proxy_on_downstream_connection_close") (param $ctx i32) (param $peer i32)
    (call $line (i32.const 450) (i32.const 16) (i32.const 1) (local.get $peer) (i32.const 0)))
  (func (export "proxy_on_upstream_connection_close") (param $ctx i32) (param $peer i32)
    (call $line (i32.const 470) (i32.const 14) (i32.const 1) (local.get $peer) (i32.const 0)))
  (func (export "proxy_on_done") (param $ctx i32) (result i32)
    (call $line (i32.const 490) (i32.const 4) (i32.const 1) (local.get $ctx) (i32.const 0))
    (i32.const 1))
  (func (export "proxy_on_log") (param $ctx i32)
    (call $line (i32.const 500) (i32.const 3) (i32.const 1) (local.get $ctx) (i32.const 0)))
  (func (export "proxy_on_delete") (param $ctx i32)
    (call $line (i32.const 510) (i32.const 6) (i32.const 1) (local.get $ctx) (i32.const 0)))
  (func (export "proxy_on_tick") (param $ctx i32)
    (call $line (i32.const 520) (i32.const 4) (i32.const 1) (local.get $ctx) (i32.const 0))
    {tick})
)"#
        );
        Plugin::from_wat(wat)
    }
}

/// The guest's info lines since the VM started: callbacks and statuses, in order.
fn lines(vm: &Vm) -> Vec<String> {
    logged(vm, LogLevel::Info)
        .into_iter()
        .skip_while(|line| line != "create 01 00")
        .skip(1)
        .collect()
}

/// The guest's lines at `level`.
fn logged(vm: &Vm, level: LogLevel) -> Vec<String> {
    vm.logs()
        .iter()
        .filter(|l| l.source == LogSource::ProxyLog && l.level == level)
        .map(|l| l.message.clone())
        .collect()
}

/// The callbacks that ran for context `id`, in order.
fn callbacks(vm: &Vm, id: u32) -> Vec<Callback> {
    vm.calls()
        .iter()
        .filter(|call| call.context_id == id)
        .map(|call| call.callback)
        .collect()
}

#[test]
fn connection_callbacks_arrive_in_envoys_order_with_their_arguments() -> HostResult<()> {
    let mut vm = Guest::default().plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    let id = conn.id();
    assert_eq!(conn.new_connection()?, Action::Continue);
    assert_eq!(conn.downstream_data(b"hello", false)?, Action::Continue);
    assert_eq!(conn.upstream_data(b"world!", false)?, Action::Continue);
    assert_eq!(conn.downstream_data(b"bye", true)?, Action::Continue);
    conn.downstream_close(PeerType::Remote)?;
    assert!(conn.ended());
    assert_eq!(
        callbacks(conn.vm(), id),
        [
            Callback::ContextCreate,
            Callback::NewConnection,
            Callback::DownstreamData,
            Callback::UpstreamData,
            Callback::DownstreamData,
            Callback::DownstreamConnectionClose,
            Callback::Done,
            Callback::Log,
            Callback::Delete,
        ]
    );
    assert_eq!(
        lines(conn.vm()),
        [
            "create 02 01",
            "new_connection 02",
            "downstream 05 00",
            "upstream 06 00",
            "downstream 03 01",
            "downstream_close 02",
            "done 02",
            "log 02",
            "delete 02",
        ]
    );
    assert_eq!(conn.passed(Direction::Downstream), b"hellobye");
    assert_eq!(conn.passed(Direction::Upstream), b"world!");
    // Envoy ends a connection once: finishing again calls nothing more.
    conn.finish()?;
    assert_eq!(callbacks(conn.vm(), id).len(), 9);
    Ok(())
}

#[test]
fn upstream_end_of_stream_closes_the_upstream_side_and_the_downstream_close_ends_it()
-> HostResult<()> {
    let mut vm = Guest::default().plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    conn.new_connection()?;
    conn.upstream_data(b"last", true)?;
    assert!(conn.side_closed(Direction::Upstream));
    assert!(!conn.ended(), "the client side is still open");
    conn.downstream_close(PeerType::Local)?;
    assert_eq!(
        lines(conn.vm()),
        [
            "create 02 01",
            "new_connection 02",
            "upstream 04 01",
            "upstream_close 00",
            "downstream_close 01",
            "done 02",
            "log 02",
            "delete 02",
        ]
    );
    assert_eq!(
        conn.events(),
        [
            ConnectionEvent::NewConnection {
                action: Action::Continue
            },
            ConnectionEvent::Data {
                direction: Direction::Upstream,
                data_size: 4,
                end_of_stream: true,
                action: Action::Continue,
                passed: b"last".to_vec(),
            },
            ConnectionEvent::Closed {
                direction: Direction::Upstream,
                peer: PeerType::Unknown,
            },
            ConnectionEvent::Closed {
                direction: Direction::Downstream,
                peer: PeerType::Local,
            },
        ]
    );
    Ok(())
}

#[test]
fn an_upstream_close_after_the_downstream_one_is_refused_as_the_connection_has_ended()
-> HostResult<()> {
    let mut vm = Guest::default().plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    conn.new_connection()?;
    conn.upstream_close(PeerType::Remote)?;
    assert!(!conn.ended());
    conn.downstream_close(PeerType::Remote)?;
    let error = conn.upstream_close(PeerType::Remote).unwrap_err();
    assert!(matches!(error, HostError::Usage { .. }), "{error}");
    Ok(())
}

#[test]
fn data_before_the_new_connection_is_refused_and_an_unaccepted_connection_finishes_silently()
-> HostResult<()> {
    let mut vm = Guest::default().plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    let id = conn.id();
    let error = conn.downstream_data(b"early", false).unwrap_err();
    assert!(
        error.to_string().contains("on_new_connection first"),
        "{error}"
    );
    conn.finish()?;
    assert!(conn.ended());
    assert_eq!(callbacks(conn.vm(), id), []);
    Ok(())
}

#[test]
fn finish_ends_an_open_connection_with_done_log_and_delete() -> HostResult<()> {
    let mut vm = Guest::default().plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    let id = conn.id();
    conn.new_connection()?;
    conn.finish()?;
    assert_eq!(
        callbacks(conn.vm(), id),
        [
            Callback::ContextCreate,
            Callback::NewConnection,
            Callback::Done,
            Callback::Log,
            Callback::Delete,
        ]
    );
    Ok(())
}

/// A guest that reads the downstream chunk, rewrites its first two bytes, and in
/// `on_upstream_data` probes the downstream buffer, then appends and prepends to
/// the upstream one.
fn rewriting_guest() -> Guest {
    Guest {
        downstream: "
          (call $report (call $get_buffer (i32.const 2) (i32.const 0) (local.get $size) (i32.const 300) (i32.const 304)))
          (call $show)
          (call $report (call $set_buffer (i32.const 2) (i32.const 0) (i32.const 2) (i32.const 200) (i32.const 2)))
          (call $report (call $get_value (i32.const 0) (i32.const 190) (i32.const 5) (i32.const 300) (i32.const 304)))
          (i32.const 0)",
        upstream: "
          (call $report (call $buffer_status (i32.const 2) (i32.const 308) (i32.const 312)))
          (call $report (i32.load (i32.const 308)))
          (call $report (call $set_buffer (i32.const 2) (i32.const 0) (i32.const 0) (i32.const 200) (i32.const 2)))
          (call $report (call $set_buffer (i32.const 3) (local.get $size) (i32.const 0) (i32.const 210) (i32.const 1)))
          (call $report (call $set_buffer (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 212) (i32.const 1)))
          (call $report (call $set_buffer (i32.const 3) (i32.const 2) (i32.const 1) (i32.const 212) (i32.const 1)))
          (i32.const 0)",
        ..Guest::default()
    }
}

#[test]
fn data_is_readable_and_replaceable_in_its_own_callback_only() -> HostResult<()> {
    let mut vm = rewriting_guest().plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    conn.new_connection()?;
    conn.downstream_data(b"hello", false)?;
    conn.upstream_data(b"world", false)?;
    assert_eq!(logged(conn.vm(), LogLevel::Warn), ["hello"]);
    assert_eq!(
        lines(conn.vm()),
        [
            "create 02 01",
            "new_connection 02",
            "downstream 05 00",
            "00", // get_buffer_bytes(DownstreamData)
            "00", // set_buffer_bytes at 0 over 2 bytes: they are replaced
            "02", // a connection has no header maps: BadArgument
            "upstream 05 00",
            "00", // get_buffer_status(DownstreamData) outside its callback
            "00", // ... reads as empty
            "02", // ... and refuses a write: BadArgument
            "00", // append to UpstreamData
            "00", // prepend to UpstreamData
            "02", // a write inside the buffer: BadArgument
        ]
    );
    assert_eq!(conn.passed(Direction::Downstream), b"XYllo");
    assert_eq!(conn.passed(Direction::Upstream), b">world!");
    let passed: Vec<&[u8]> = conn
        .events()
        .iter()
        .filter_map(|event| match event {
            ConnectionEvent::Data { passed, .. } => Some(passed.as_slice()),
            _ => None,
        })
        .collect();
    assert_eq!(passed, [&b"XYllo"[..], &b">world!"[..]]);
    Ok(())
}

#[test]
fn network_callbacks_record_their_fuel_and_host_calls() -> HostResult<()> {
    let mut vm = rewriting_guest().plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    conn.new_connection()?;
    conn.downstream_data(b"hello", false)?;
    let calls = conn.calls();
    let data = calls
        .iter()
        .find(|call| call.callback == Callback::DownstreamData)
        .expect("on_downstream_data ran");
    let by_import: Vec<(&str, u64)> = data
        .host_calls_by_import
        .iter()
        .map(|(name, count)| (name.as_ref(), *count))
        .collect();
    assert_eq!(
        by_import,
        [
            ("proxy_get_buffer_bytes", 1),
            ("proxy_get_header_map_value", 1),
            ("proxy_log", 5),
            ("proxy_set_buffer_bytes", 1),
        ]
    );
    assert_eq!(data.host_calls, 8);
    assert!(data.fuel > 0);
    assert_eq!(conn.fuel(), calls.iter().map(|call| call.fuel).sum::<u64>());
    Ok(())
}

#[test]
fn a_paused_chunk_is_held_readable_from_a_tick_and_let_through_when_the_plugin_resumes()
-> HostResult<()> {
    let guest = Guest {
        configure: "(drop (call $tick_period (i32.const 1000)))",
        downstream: "(i32.const 1)",
        tick: "
          (call $report (call $effective (i32.const 2)))
          (call $report (call $buffer_status (i32.const 2) (i32.const 308) (i32.const 312)))
          (call $report (i32.load (i32.const 308)))
          (call $report (call $continue (i32.const 2)))",
        ..Guest::default()
    };
    let mut vm = guest.plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    conn.new_connection()?;
    assert_eq!(conn.downstream_data(b"ab", false)?, Action::Pause);
    assert_eq!(conn.held(Direction::Downstream), Some(&b"ab"[..]));
    // Envoy leaves a paused chunk in its buffer: the next one joins it.
    assert_eq!(conn.downstream_data(b"cd", false)?, Action::Pause);
    assert_eq!(conn.held(Direction::Downstream), Some(&b"abcd"[..]));
    assert_eq!(conn.passed(Direction::Downstream), b"");
    assert_eq!(conn.advance_clock(Duration::from_secs(1))?, 1);
    assert_eq!(conn.held(Direction::Downstream), None);
    assert_eq!(conn.passed(Direction::Downstream), b"abcd");
    assert_eq!(conn.continued(), [StreamType::Downstream]);
    assert_eq!(
        lines(conn.vm())
            .into_iter()
            .skip_while(|line| !line.starts_with("tick"))
            .collect::<Vec<_>>(),
        ["tick 01", "00", "00", "04", "00"]
    );
    assert_eq!(
        conn.events().last(),
        Some(&ConnectionEvent::Resumed {
            direction: Direction::Downstream,
            passed: b"abcd".to_vec(),
        })
    );
    Ok(())
}

#[test]
fn a_pause_on_new_connection_is_recorded_until_the_plugin_resumes_the_downstream() -> HostResult<()>
{
    let guest = Guest {
        configure: "(drop (call $tick_period (i32.const 1000)))",
        new_connection: "(i32.const 1)",
        tick: "
          (drop (call $effective (i32.const 2)))
          (call $report (call $continue (i32.const 2)))",
        ..Guest::default()
    };
    let mut vm = guest.plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    assert_eq!(conn.new_connection()?, Action::Pause);
    assert!(conn.new_connection_paused());
    assert_eq!(
        conn.events(),
        [ConnectionEvent::NewConnection {
            action: Action::Pause
        }]
    );
    conn.tick()?;
    assert!(!conn.new_connection_paused());
    assert_eq!(
        conn.events().last(),
        Some(&ConnectionEvent::Resumed {
            direction: Direction::Downstream,
            passed: Vec::new(),
        })
    );
    Ok(())
}

#[test]
fn a_close_request_from_the_guest_is_recorded_and_the_test_closes() -> HostResult<()> {
    let guest = Guest {
        downstream: "
          (call $report (call $close (i32.const 2)))
          (call $report (call $close (i32.const 3)))
          (call $report (call $continue (i32.const 3)))
          (i32.const 0)",
        ..Guest::default()
    };
    let mut vm = guest.plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    conn.new_connection()?;
    assert!(!conn.close_requested());
    conn.downstream_data(b"not allowed", false)?;
    assert!(conn.close_requested());
    assert_eq!(
        conn.close_requests(),
        [StreamType::Downstream, StreamType::Upstream]
    );
    assert!(
        !conn.ended(),
        "Envoy closes after the callback; the test drives it"
    );
    // Envoy closes the client connection itself (peer Local), which ends the context.
    conn.downstream_close(PeerType::Local)?;
    assert!(conn.ended());
    assert_eq!(
        lines(conn.vm()),
        [
            "create 02 01",
            "new_connection 02",
            "downstream 11 00",
            "00", // close_stream(Downstream)
            "00", // close_stream(Upstream)
            "12", // continue_stream(Upstream): Unimplemented, as in Envoy
            "downstream_close 01",
            "done 02",
            "log 02",
            "delete 02",
        ]
    );
    Ok(())
}

#[test]
fn a_tick_reaches_the_root_context_while_a_connection_is_open() -> HostResult<()> {
    let guest = Guest {
        configure: "
          (drop (call $tick_period (i32.const 1000)))
          (drop (call $define (i32.const 0) (i32.const 180) (i32.const 5) (i32.const 320)))",
        downstream: "
          (global.set $unflushed (i32.add (global.get $unflushed) (local.get $size)))
          (i32.const 0)",
        tick: "
          (if (global.get $unflushed)
            (then
              (drop (call $increment (i32.load (i32.const 320))
                                     (i64.extend_i32_u (global.get $unflushed))))
              (global.set $unflushed (i32.const 0))))",
        ..Guest::default()
    };
    let mut vm = guest.plugin()?.start()?;
    let mut conn = vm.tcp_stream();
    conn.new_connection()?;
    conn.downstream_data(b"12345", false)?;
    assert_eq!(conn.vm().counter_named("bytes"), 0);
    assert_eq!(conn.advance_clock(Duration::from_millis(1500))?, 1);
    assert_eq!(conn.vm().counter_named("bytes"), 5);
    conn.downstream_data(b"678", false)?;
    assert_eq!(conn.advance_clock(Duration::from_millis(500))?, 1);
    assert_eq!(conn.vm().counter_named("bytes"), 8);
    assert!(!conn.ended());
    let ticks: Vec<u32> = conn
        .vm()
        .calls()
        .iter()
        .filter(|call| call.callback == Callback::Tick)
        .map(|call| call.context_id)
        .collect();
    assert_eq!(ticks, [1, 1]);
    conn.downstream_close(PeerType::Remote)?;
    Ok(())
}

#[test]
fn connection_properties_are_served_to_that_connection_only() -> HostResult<()> {
    let guest = Guest {
        new_connection: "
          (i32.store (i32.const 304) (i32.const 0))
          (call $report (call $get_property (i32.const 100) (i32.const 16) (i32.const 300) (i32.const 304)))
          (call $report (i32.load (i32.const 304)))
          (call $report (call $get_property (i32.const 120) (i32.const 32) (i32.const 300) (i32.const 304)))
          (call $show)
          (i32.const 0)",
        downstream: "
          (call $report (call $get_property (i32.const 160) (i32.const 16) (i32.const 300) (i32.const 304)))
          (i32.const 0)",
        ..Guest::default()
    };
    let mut vm = guest.plugin()?.start()?;
    let mut conn = vm
        .tcp_stream()
        .property(["destination", "port"], 5432_u64)
        .property(["connection", "requested_server_name"], "db.internal")
        .connection_mtls("spiffe://cluster.local/ns/a/sa/b");
    conn.new_connection()?;
    conn.downstream_data(b"a", false)?;
    conn.set_property(["upstream", "address"], "10.0.0.7:5432");
    conn.downstream_data(b"b", false)?;
    conn.downstream_close(PeerType::Remote)?;
    let mut other = vm.tcp_stream();
    other.new_connection()?;
    let reports: Vec<String> = lines(&vm)
        .into_iter()
        .filter(|line| line.len() == 2)
        .collect();
    assert_eq!(
        reports,
        [
            "00", "08", "00", // port (8 bytes) and SNI of the first connection
            "01", // upstream.address before it connected: NotFound
            "00", // ... and after
            "01", "00", "01", // the second connection has neither
        ]
    );
    assert_eq!(
        logged(&vm, LogLevel::Warn).first().map(String::as_str),
        Some("db.internal")
    );
    Ok(())
}
