//! Figures a test puts into `make test`'s own output: the counts and sums a run
//! compared (requests, connections, bytes, the Envoy version). Cargo's test harness
//! captures `println!` and `eprintln!` of a passing test; [`show!`](crate::show)
//! writes past that capture, straight to the process's stderr, one whole line at a
//! time, so the figures are there to read in every run, passing or not.

use std::io::{self, Write};

/// Writes `line` and a newline to the process's stderr, in one write.
pub fn line(line: &str) {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    // A closed stderr loses the figures, not the test.
    drop(io::stderr().lock().write_all(text.as_bytes()));
}

/// `format!`'s arguments, shown with [`line`].
#[macro_export]
macro_rules! show {
    ($($arg:tt)*) => {
        $crate::shown::line(&format!($($arg)*))
    };
}
