//! One storm: the gateway (one worker) started with the filter, a request loop that
//! one rule audits, and `warmup + pushes` good configurations pushed one after the
//! other, each waited for until Envoy has applied it on the worker.

use std::path::Path;

use meshborder_filter::contract::{label, metric, value};

use super::StormOptions;
use super::configs::{AUDITED_HOST, AUDITED_PATH, AUDITED_RULE, StormConfigs};
use super::figures::{CounterReading, StormReport};
use crate::client::Request;
use crate::ecds::Verdict;
use crate::envoy::Envoy;
use crate::error::Result;
use crate::gateway::{Gateway, GatewayPorts};
use crate::paths;
use crate::ports::LOOPBACK;
use crate::prometheus;
use crate::soak::MemorySample;
use crate::steady::SteadyClient;

/// Requests the loop answers after a push before the counter is read again.
const ANSWERS_AFTER_PUSH: usize = 3;
/// Failed requests a report keeps, to show.
const KEPT_FAILURES: usize = 5;

/// Storms the gateway running `wasm` (called `filter` in the report), in `run_dir`.
pub fn run(
    filter: &str,
    wasm: &Path,
    options: &StormOptions,
    run_dir: &Path,
) -> Result<StormReport> {
    let configs = StormConfigs::new(options.names)?;
    paths::fresh_dir(run_dir)?;
    let mut gateway = Gateway::start_with_plugin_config(
        LOOPBACK,
        &GatewayPorts::EPHEMERAL,
        wasm,
        run_dir,
        &configs.push(0),
    )?;
    let request = Request::get(AUDITED_PATH).header("host", AUDITED_HOST);
    let client = SteadyClient::start(gateway.listener, request)?;
    client.wait_for_more(ANSWERS_AFTER_PUSH)?;
    let counts = audited(&gateway.envoy)?.is_some();

    let mut samples = Vec::new();
    let mut readings = Vec::new();
    let mut sent_before = 0;
    for push in 1..=options.warmup + options.pushes {
        let measured = push.checked_sub(options.warmup);
        if measured == Some(0) {
            samples.push((0, MemorySample::read(&gateway.envoy)?));
            sent_before = client.answered();
        }
        let before = audited(&gateway.envoy)?;
        let update = gateway.reconfigure(&configs.push(push))?;
        if update.verdict != Verdict::Accepted {
            return Err(gateway.envoy.error(&format!(
                "push {push} of the storm was not applied: {:?}",
                update.verdict
            )));
        }
        let Some(measured) = measured.filter(|n| *n > 0 && n % options.sample_every == 0) else {
            continue;
        };
        samples.push((measured, MemorySample::read(&gateway.envoy)?));
        if counts {
            client.wait_for_more(ANSWERS_AFTER_PUSH)?;
            readings.push(CounterReading {
                push: measured,
                before: before.unwrap_or(0),
                after: audited(&gateway.envoy)?.unwrap_or(0),
            });
        }
    }

    let answers = client.stop();
    let during = answers.get(sent_before..).unwrap_or_default();
    let failures: Vec<String> = during
        .iter()
        .filter_map(|answer| match answer {
            Ok(response) if response.status == 200 => None,
            Ok(response) => Some(format!("status {}: {}", response.status, response.text())),
            Err(error) => Some(error.clone()),
        })
        .collect();
    Ok(StormReport {
        filter: filter.to_owned(),
        options: *options,
        samples,
        requests: during.len(),
        failed: failures.len(),
        failures: failures.into_iter().take(KEPT_FAILURES).collect(),
        readings,
    })
}

/// The audited rule's audit counter; `None` when the filter defines no such counter.
fn audited(envoy: &Envoy) -> Result<Option<u64>> {
    let text = envoy.prometheus()?;
    Ok(prometheus::value(
        &text,
        metric::RESIDENCY_DECISIONS.prometheus,
        &[(label::RULE, AUDITED_RULE), (label::DECISION, value::AUDIT)],
    ))
}
