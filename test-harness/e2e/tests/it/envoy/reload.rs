//! Bad configs and hot reload on a real Envoy 1.40: the gateway's filter config is
//! discovered from a watched file (ECDS). A version the filter refuses is rejected
//! (Envoy counts it, the filter says why in Envoy's log) while the last good one
//! keeps serving, without one failed request; a later good version takes effect
//! on the next request. A bad config in the bootstrap makes Envoy exit non-zero
//! with the filter's reason.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use meshborder_e2e::client::{Request, Response};
use meshborder_e2e::ecds::{EcdsFile, Verdict};
use meshborder_e2e::envoy::READY_TIMEOUT;
use meshborder_e2e::gateway::{
    self, EU_CENTRAL_APP, EU_WEST_APP, Gateway, GatewayPorts, GatewaySite, US_EAST_APP,
};
use meshborder_e2e::ports::LOOPBACK;
use meshborder_e2e::steady::SteadyClient;
use meshborder_e2e::topology::Endpoint;
use meshborder_e2e::{HarnessError, Result, paths, plugin_config};
use meshborder_filter::contract::header;
use serde_json::Value;

/// What the filter logs when it refuses [`misspelt_region_group`].
const REFUSAL: &str = "meshborder configuration refused: rule `eu-user-data`: \
                       `allowLocalRegions[0]`: unknown region or group `eu-wst` (known groups: \
                       eu, us; known regions: eu-central-1, eu-west-1, us-east-1, us-west-2); \
                       list a new region in `regionGroups` or `clusters`";
/// Enough answers to show a loop kept going through a phase.
const ANSWERS_PER_PHASE: usize = 20;

fn shipped() -> Result<Value> {
    plugin_config::shipped(gateway::PLUGIN_CONFIG)
}

/// The shipped config with `value` at `pointer`.
fn shipped_with(pointer: &str, value: Value) -> Result<Value> {
    let mut config = shipped()?;
    if let Some(slot) = config.pointer_mut(pointer) {
        *slot = value;
    }
    Ok(config)
}

/// The shipped config with a typo in a region group: the filter refuses it.
fn misspelt_region_group() -> Result<Value> {
    shipped_with(
        "/residency/rules/0/allowLocalRegions",
        serde_json::json!(["eu-wst"]),
    )
}

/// The shipped config, but visitors without a known region go to eu-central-1.
fn eu_central_by_default() -> Result<Value> {
    shipped_with("/routing/default", "eu-central-1".into())
}

/// The app that answered, checked: a 200 from one of the gateway's apps, which saw
/// its own region as the route region. Anything else is the error.
fn answered_by(
    answer: &std::result::Result<Response, String>,
) -> std::result::Result<&'static str, String> {
    let response = answer.as_ref().map_err(Clone::clone)?;
    if response.status != 200 {
        return Err(format!("status {}: {}", response.status, response.text()));
    }
    let seen = response.json().map_err(|e| e.to_string())?;
    let field = |pointer: &str| seen.pointer(pointer).and_then(Value::as_str);
    let app = [EU_WEST_APP, EU_CENTRAL_APP, US_EAST_APP]
        .into_iter()
        .find(|app| field("/app") == Some(app.name))
        .ok_or_else(|| format!("answered by an unknown app: {seen}"))?;
    if field(&format!("/headers/{}", header::ROUTE_REGION)) != Some(app.region) {
        return Err(format!("{} saw another route region: {seen}", app.name));
    }
    Ok(app.name)
}

/// Sends `request` through the gateway; the app that answered, checked.
fn served_by(gateway: &Gateway, request: &Request) -> std::result::Result<&'static str, String> {
    answered_by(&request.send(gateway.listener).map_err(|e| e.to_string()))
}

#[test]
fn refuses_a_bad_config_keeps_the_last_good_one_and_takes_a_later_good_one() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("reload").unwrap();
    let mut gateway = Gateway::start(LOOPBACK, &GatewayPorts::EPHEMERAL, &wasm, &run_dir).unwrap();
    let unrouted = Request::get("/catalog");
    let german = Request::get("/catalog").header("cf-ipcountry", "DE");
    let unrouted_loop = SteadyClient::start(gateway.listener, unrouted.clone()).unwrap();
    let german_loop = SteadyClient::start(gateway.listener, german.clone()).unwrap();
    let both_loops_go_on = || {
        unrouted_loop.wait_for_more(ANSWERS_PER_PHASE).unwrap();
        german_loop.wait_for_more(ANSWERS_PER_PHASE).unwrap();
    };
    both_loops_go_on();

    // A config the filter refuses: rejected, counted, explained; version 1 serves on.
    let before = gateway.config_stats().unwrap();
    let refused = gateway
        .reconfigure(&misspelt_region_group().unwrap())
        .unwrap();
    assert_eq!(refused.verdict, Verdict::Rejected, "{refused:?}");
    let after = gateway.config_stats().unwrap();
    assert_eq!(after.rejected, before.rejected + 1, "{after:?}");
    assert_eq!(after.failed, before.failed + 1, "{after:?}");
    assert_eq!(after.accepted, before.accepted, "{after:?}");
    assert_eq!(after.version, "1", "{after:?}");
    let log = gateway.envoy.log();
    assert!(log.contains(REFUSAL), "no `{REFUSAL}` in:\n{log}");
    both_loops_go_on();
    assert_eq!(served_by(&gateway, &unrouted).unwrap(), US_EAST_APP.name);

    // A later good config: accepted, and the next request already uses it.
    let last_old = unrouted_loop.answered();
    let accepted = gateway
        .reconfigure(&eu_central_by_default().unwrap())
        .unwrap();
    let first_new = unrouted_loop.answered() + 1;
    assert_eq!(accepted.verdict, Verdict::Accepted, "{accepted:?}");
    assert_eq!(gateway.config_stats().unwrap().version, "3");
    assert_eq!(served_by(&gateway, &unrouted).unwrap(), EU_CENTRAL_APP.name);
    assert_eq!(served_by(&gateway, &german).unwrap(), EU_WEST_APP.name);
    both_loops_go_on();
    eprintln!(
        "rejected after {:?}, accepted after {:?}",
        refused.took, accepted.took
    );

    // Not one request failed, and each saw one config or the other, never a mix.
    let unrouted_answers = unrouted_loop.stop();
    let apps: Vec<&str> = unrouted_answers
        .iter()
        .map(|answer| answered_by(answer).unwrap())
        .collect();
    let switch = apps
        .iter()
        .position(|app| *app == EU_CENTRAL_APP.name)
        .unwrap();
    assert!(
        switch >= last_old,
        "switched at {switch}, before {last_old}"
    );
    assert!(
        switch <= first_new,
        "switched at {switch}, after {first_new}"
    );
    assert!(
        apps.get(..switch)
            .unwrap()
            .iter()
            .all(|app| *app == US_EAST_APP.name),
        "{apps:?}"
    );
    assert!(
        apps.get(switch..)
            .unwrap()
            .iter()
            .all(|app| *app == EU_CENTRAL_APP.name),
        "{apps:?}"
    );
    for answer in &german_loop.stop() {
        assert_eq!(answered_by(answer).unwrap(), EU_WEST_APP.name);
    }
}

#[test]
fn serves_the_shipped_config_when_the_first_file_version_is_refused() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("reload-first-refused").unwrap();
    let mut gateway = Gateway::start_with_plugin_config(
        LOOPBACK,
        &GatewayPorts::EPHEMERAL,
        &wasm,
        &run_dir,
        &misspelt_region_group().unwrap(),
    )
    .unwrap();

    let stats = gateway.config_stats().unwrap();
    assert_eq!((stats.rejected, stats.accepted), (1, 0), "{stats:?}");
    assert_eq!(stats.version, "", "{stats:?}");
    let log = gateway.envoy.log();
    assert!(log.contains(REFUSAL), "no `{REFUSAL}` in:\n{log}");
    let german = Request::get("/catalog").header("cf-ipcountry", "DE");
    assert_eq!(served_by(&gateway, &german).unwrap(), EU_WEST_APP.name);
    assert_eq!(
        served_by(&gateway, &Request::get("/")).unwrap(),
        US_EAST_APP.name
    );

    let accepted = gateway
        .reconfigure(&eu_central_by_default().unwrap())
        .unwrap();
    assert_eq!(accepted.verdict, Verdict::Accepted, "{accepted:?}");
    assert_eq!(
        served_by(&gateway, &Request::get("/")).unwrap(),
        EU_CENTRAL_APP.name
    );
}

#[test]
fn a_refused_config_sent_again_is_skipped_and_the_last_good_one_still_serves() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("reload-refused-again").unwrap();
    let mut gateway = Gateway::start(LOOPBACK, &GatewayPorts::EPHEMERAL, &wasm, &run_dir).unwrap();
    let refused = gateway
        .reconfigure(&misspelt_region_group().unwrap())
        .unwrap();
    assert_eq!(refused.verdict, Verdict::Rejected, "{refused:?}");

    // Envoy compares the filter config with the last one it saw, refused or not.
    let again = gateway
        .reconfigure(&misspelt_region_group().unwrap())
        .unwrap();

    assert_eq!(again.verdict, Verdict::Unchanged, "{again:?}");
    let stats = gateway.config_stats().unwrap();
    assert_eq!((stats.accepted, stats.rejected), (2, 1), "{stats:?}");
    // Its version is reported as current, but version 1 still serves.
    assert_eq!(stats.version, "3", "{stats:?}");
    assert_eq!(gateway.envoy.log().matches(REFUSAL).count(), 1);
    let austrian = Request::get("/catalog").header("cf-ipcountry", "AT");
    assert_eq!(served_by(&gateway, &austrian).unwrap(), EU_CENTRAL_APP.name);
    assert_eq!(
        served_by(&gateway, &Request::get("/")).unwrap(),
        US_EAST_APP.name
    );
}

#[test]
fn exits_non_zero_with_the_reason_when_the_bootstrap_config_is_bad() {
    let wasm = paths::filter_wasm().unwrap();
    let run_dir = paths::run_dir("reload-bad-bootstrap").unwrap();
    let any = Endpoint::from(std::net::SocketAddr::new(LOOPBACK, 0));
    let site = GatewaySite {
        bind: LOOPBACK.to_string(),
        admin_port: 0,
        listener_port: 0,
        eu_west_app: any.clone(),
        eu_central_app: any.clone(),
        us_east_app: any,
        ecds_path: run_dir.join("meshborder.yaml").display().to_string(),
        wasm: wasm.display().to_string(),
    };
    let values = gateway::values(&site);
    // A good watched file: only the bootstrap's inlined config is bad.
    EcdsFile::new(
        run_dir.join("meshborder.yaml"),
        gateway::ECDS_TEMPLATE,
        values.clone(),
    )
    .publish(&shipped().unwrap())
    .unwrap();
    let config = run_dir.join(gateway::GATEWAY);
    let rendered =
        plugin_config::render_with(gateway::GATEWAY, &values, &misspelt_region_group().unwrap())
            .unwrap();
    std::fs::write(&config, rendered).unwrap();

    let log = run_dir.join("envoy.log");
    let status = run_until_exit(&config, &log).unwrap();

    assert!(!status.success(), "envoy exited with {status}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(REFUSAL), "no `{REFUSAL}` in:\n{text}");
}

/// Runs Envoy on `config`, logging to `log`, and returns how it exited; an error if
/// it still runs after [`READY_TIMEOUT`] (it is then killed).
fn run_until_exit(config: &Path, log: &Path) -> Result<ExitStatus> {
    let binary = paths::envoy_binary()?;
    let log_file = File::create(log)
        .map_err(|e| HarnessError::io(format!("creating `{}`", log.display()), e))?;
    let child = Command::new(&binary)
        .arg("--config-path")
        .arg(config)
        .args(["--concurrency", "1", "--disable-hot-restart"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .map_err(|e| HarnessError::io(format!("starting `{}`", binary.display()), e))?;
    let mut envoy = Killed(child);
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let exited = envoy
            .0
            .try_wait()
            .map_err(|e| HarnessError::io("checking on envoy", e))?;
        if let Some(status) = exited {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            return Err(HarnessError::Timeout {
                what: "envoy to exit on a bad config".to_owned(),
                after: READY_TIMEOUT,
            });
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed and reaped when dropped, even when the test fails.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        drop(self.0.kill());
        drop(self.0.wait());
    }
}
