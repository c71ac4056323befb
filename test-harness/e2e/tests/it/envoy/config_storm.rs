//! Configuration pushes under load on a real Envoy (one worker): the gateway's
//! filter config is pushed 440 times through its watched ECDS file while a request
//! loop runs through it, once with meshborder and once with the no-op filter. Each
//! push must leave meshborder no more memory behind (Envoy's heap and the VM's
//! linear memory) than the no-op filter plus 1 KiB, lose no request, and leave the counters of rules that keep their names
//! counting on from where they were.

use std::sync::OnceLock;

use meshborder_e2e::paths;
use meshborder_e2e::storm::{self, ALLOWANCE, StormOptions, StormReport, kib};

/// meshborder's storm and the no-op filter's, run once for every test here.
fn storms() -> &'static (StormReport, StormReport) {
    static STORMS: OnceLock<(StormReport, StormReport)> = OnceLock::new();
    STORMS.get_or_init(|| {
        let run = |filter: &str, wasm: std::path::PathBuf| {
            let dir = paths::run_dir(&format!("storm-{filter}")).unwrap();
            let report = storm::run(filter, &wasm, &StormOptions::TEST, &dir).unwrap();
            eprintln!("{report}");
            report
        };
        let noop = run("no-op", paths::noop_wasm().unwrap());
        let meshborder = run("meshborder", paths::filter_wasm().unwrap());
        (meshborder, noop)
    })
}

#[test]
fn a_push_leaves_meshborder_at_most_a_kib_more_memory_than_the_no_op_filter() {
    let (meshborder, noop) = storms();
    let (ours, baseline) = (meshborder.per_push().unwrap(), noop.per_push().unwrap());

    eprintln!(
        "memory kept per push: meshborder {}, no-op {}",
        kib(ours.kept()),
        kib(baseline.kept())
    );
    assert!(
        ours.kept() <= baseline.kept() + ALLOWANCE,
        "meshborder keeps {} per push, the no-op filter {}\n{meshborder}\n{noop}",
        kib(ours.kept()),
        kib(baseline.kept())
    );
}

#[test]
fn no_request_fails_while_the_config_is_pushed() {
    for report in [&storms().0, &storms().1] {
        assert!(report.requests > 0, "{report}");
        assert_eq!(report.failed, 0, "{report}: {:?}", report.failures);
    }
}

#[test]
fn a_rule_that_keeps_its_name_counts_on_across_every_push() {
    let (meshborder, _) = storms();
    let expected = meshborder.options.pushes / meshborder.options.sample_every;

    assert_eq!(meshborder.readings.len(), expected as usize, "{meshborder}");
    for reading in &meshborder.readings {
        assert!(reading.continued(), "{reading:?}\n{meshborder}");
    }
    let pairs = meshborder.readings.windows(2);
    for pair in pairs {
        if let [earlier, later] = pair {
            assert!(later.before >= earlier.after, "{earlier:?} then {later:?}");
        }
    }
}
