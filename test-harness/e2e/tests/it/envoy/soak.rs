//! The short soak that `make test` runs (`make soak` runs the full minute): ten
//! seconds of load with oha through us-east to eu-west while eu-west's filter
//! config is swapped every second, a bad one and a good one in turn. Not one
//! request fails but the residency denials, which equal eu-west's deny counter;
//! every bad config is refused and every good one accepted; the byte counters
//! equal eu-west's access log; and memory stays flat after warm-up.

use std::time::Duration;

use meshborder_e2e::paths;
use meshborder_e2e::soak::{self, SoakOptions};

#[test]
fn ten_seconds_of_load_through_config_swaps_every_second_balance_the_books() {
    let options = SoakOptions::new(Duration::from_secs(10), paths::run_dir("soak").unwrap());

    let report = soak::run(&options).unwrap();

    eprint!("{report}");
    for check in &report.checks {
        assert!(check.passed, "{}: {}\n{report}", check.name, check.detail);
    }
}
