//! A guest that panics, traps, loops forever, exits or calls what the host does not
//! implement surfaces as a typed error naming the callback, with the wasm
//! backtrace: never a hang, an abort of the test process, or a silent pass. The
//! guests are tiny WAT modules, so the production filter carries no test code.

use proxy_wasm_host::{Action, HostError, HostResult, Plugin};

/// A proxy-wasm guest whose `on_request_headers` runs `body` inside `$behave`.
fn guest(body: &str) -> HostResult<Plugin> {
    let wat = format!(
        r#"(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_http_call"
    (func $http_call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "panicked at src/lib.rs:7:9: boom")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "_initialize"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 4096))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func $recurse (param i32) (result i32)
    (call $recurse (i32.add (local.get 0) (i32.const 1))))
  (func $behave (result i32) {body})
  (func $on_request_headers (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $behave))
)"#
    );
    Plugin::from_wat(wat)
}

/// How the guest's `on_request_headers` failed; `None` when it did not.
fn failure_of(plugin: HostResult<Plugin>) -> HostResult<Option<HostError>> {
    let mut vm = plugin?.start()?;
    let mut stream = vm.http_stream();
    Ok(stream.request_headers(&[(":path", "/")], true).err())
}

fn frame_names(error: &HostError) -> Vec<String> {
    error
        .backtrace()
        .map(|bt| bt.frames.iter().filter_map(|f| f.name.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn a_healthy_guest_continues() -> HostResult<()> {
    let mut vm = guest("(i32.const 0)")?.start()?;
    let mut stream = vm.http_stream();
    assert_eq!(
        stream.request_headers(&[(":path", "/")], true)?,
        Action::Continue
    );
    Ok(())
}

#[test]
fn panic_is_a_typed_error_with_the_logged_message_and_backtrace() -> HostResult<()> {
    let error = failure_of(guest(
        "(drop (call $log (i32.const 5) (i32.const 16) (i32.const 32))) unreachable",
    ))?
    .expect("the guest fails");
    let HostError::Panic {
        callback, message, ..
    } = &error
    else {
        panic!("expected a panic, got: {error}");
    };
    assert_eq!(callback, "proxy_on_request_headers");
    assert_eq!(message, "panicked at src/lib.rs:7:9: boom");
    assert_eq!(frame_names(&error), ["behave", "on_request_headers"]);
    let text = error.to_string();
    assert!(
        text.contains("panicked in proxy_on_request_headers"),
        "{text}"
    );
    assert!(text.contains("behave"), "{text}");
    Ok(())
}

#[test]
fn panic_written_to_stderr_is_recognised_too() -> HostResult<()> {
    // iovec at 64: { ptr 16, len 32 }, written to fd 2.
    let error = failure_of(guest(
        "(i32.store (i32.const 64) (i32.const 16)) (i32.store (i32.const 68) (i32.const 32))
         (drop (call $fd_write (i32.const 2) (i32.const 64) (i32.const 1) (i32.const 72)))
         unreachable",
    ))?
    .expect("the guest fails");
    assert!(
        matches!(&error, HostError::Panic { message, .. } if message.contains("boom")),
        "{error}"
    );
    Ok(())
}

#[test]
fn unreachable_without_a_panic_message_is_a_trap() -> HostResult<()> {
    let error = failure_of(guest("unreachable"))?.expect("the guest fails");
    assert!(
        matches!(&error, HostError::Trap { trap, .. } if trap.contains("unreachable")),
        "{error}"
    );
    assert_eq!(error.callback(), Some("proxy_on_request_headers"));
    Ok(())
}

#[test]
fn out_of_bounds_memory_access_is_a_trap() -> HostResult<()> {
    let error = failure_of(guest("(i32.load (i32.const 70000))"))?.expect("the guest fails");
    assert!(
        matches!(&error, HostError::Trap { trap, .. } if trap.contains("out of bounds")),
        "{error}"
    );
    Ok(())
}

#[test]
fn division_by_zero_is_a_trap() -> HostResult<()> {
    let error =
        failure_of(guest("(i32.div_u (i32.const 1) (i32.const 0))"))?.expect("the guest fails");
    assert!(
        matches!(&error, HostError::Trap { trap, .. } if trap.contains("divide by zero")),
        "{error}"
    );
    Ok(())
}

#[test]
fn endless_recursion_is_a_trap_not_a_crash() -> HostResult<()> {
    let error = failure_of(guest("(call $recurse (i32.const 0))"))?.expect("the guest fails");
    assert!(
        matches!(&error, HostError::Trap { trap, .. } if trap.contains("call stack exhausted")),
        "{error}"
    );
    Ok(())
}

#[test]
fn endless_loop_runs_out_of_fuel_instead_of_hanging() -> HostResult<()> {
    let plugin =
        guest("(loop $forever (br $forever)) (i32.const 0)").map(|p| p.fuel_limit(1_000_000));
    let error = failure_of(plugin)?.expect("the guest fails");
    let HostError::FuelExhausted {
        callback, limit, ..
    } = &error
    else {
        panic!("expected fuel exhaustion, got: {error}");
    };
    assert_eq!(callback, "proxy_on_request_headers");
    assert_eq!(*limit, 1_000_000);
    assert_eq!(
        frame_names(&error).first().map(String::as_str),
        Some("behave")
    );
    Ok(())
}

#[test]
fn proc_exit_is_an_error_with_its_code() -> HostResult<()> {
    let error =
        failure_of(guest("(call $exit (i32.const 3)) (i32.const 0)"))?.expect("the guest fails");
    assert_eq!(
        error,
        HostError::ProcExit {
            callback: "proxy_on_request_headers".to_owned(),
            code: 3
        }
    );
    Ok(())
}

#[test]
fn strict_mode_names_an_unimplemented_host_call() -> HostResult<()> {
    let error = failure_of(guest(
        "(call $http_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))",
    ))?
    .expect("the guest fails");
    assert_eq!(
        error,
        HostError::Unimplemented {
            callback: "proxy_on_request_headers".to_owned(),
            call: "env.proxy_http_call".to_owned()
        }
    );
    assert!(error.to_string().contains("`env.proxy_http_call`"));
    Ok(())
}

#[test]
fn lenient_mode_answers_unimplemented_and_records_the_call() -> HostResult<()> {
    let plugin = guest(
        "(call $http_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                          (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))",
    )?
    .strict(false);
    let mut vm = plugin.start()?;
    let mut stream = vm.http_stream();
    // The guest returns the status it got: 12 is `Unimplemented`.
    assert_eq!(
        stream.request_headers(&[(":path", "/")], true)?,
        Action::Other(12)
    );
    assert_eq!(vm.unimplemented_calls(), ["env.proxy_http_call"]);
    Ok(())
}

#[test]
fn a_failed_vm_serves_nothing_more() -> HostResult<()> {
    let mut vm = guest("unreachable")?.start()?;
    let first = vm
        .http_stream()
        .request_headers(&[(":path", "/")], true)
        .unwrap_err();
    let second = vm
        .http_stream()
        .request_headers(&[(":path", "/")], true)
        .unwrap_err();
    assert_eq!(
        second,
        HostError::VmFailed {
            cause: Box::new(first.clone())
        }
    );
    assert_eq!(vm.failure(), Some(&first));
    Ok(())
}

#[test]
fn a_module_without_an_abi_version_is_refused() -> HostResult<()> {
    let error = Plugin::from_wat(r#"(module (memory (export "memory") 1))"#)?
        .start()
        .err();
    assert_eq!(error, Some(HostError::UnsupportedAbi));
    Ok(())
}

#[test]
fn a_missing_wasm_names_the_file_it_looked_for() -> HostResult<()> {
    let error = Plugin::load("target/nowhere/missing.wasm").err().unwrap();
    assert!(matches!(error, HostError::MissingWasm { .. }));
    assert_eq!(
        error.to_string(),
        "no plugin at `target/nowhere/missing.wasm`: no such file"
    );
    Ok(())
}
