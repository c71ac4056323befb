//! Envoy's log as error context: an error about Envoy carries the lines of its log
//! that explain it, and says where the whole log is.

use std::fs;
use std::path::Path;

use crate::error::HarnessError;

const EXCERPT_LINES: usize = 40;

/// An [`HarnessError::Envoy`] for `reason`, with an excerpt of the log at `log`.
pub(super) fn error(reason: &str, log: &Path) -> HarnessError {
    HarnessError::Envoy {
        reason: format!("{reason} (full log: `{}`)", log.display()),
        log_tail: excerpt(&fs::read_to_string(log).unwrap_or_default()),
    }
}

/// The part of a log worth showing with an error: its error and critical lines when
/// there are any (Envoy's info lines at startup bury them), else its last lines.
pub(super) fn excerpt(log: &str) -> String {
    let problems: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("][error][") || line.contains("][critical]["))
        .collect();
    if problems.is_empty() {
        last_lines(log, EXCERPT_LINES)
    } else {
        last_lines(&problems.join("\n"), EXCERPT_LINES)
    }
}

/// The last `count` lines of `text`.
fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(count);
    lines.get(start..).unwrap_or_default().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_error_lines_of_a_log_when_there_are_any() {
        let log = "[t][1][info][main] a\n[t][1][error][wasm] bad abi\n[t][1][info][main] b\n\
                   [t][1][critical][main] unable to create plugin\n";
        assert_eq!(
            excerpt(log),
            "[t][1][error][wasm] bad abi\n[t][1][critical][main] unable to create plugin"
        );
    }

    #[test]
    fn shows_the_last_lines_of_a_log_without_errors() {
        assert_eq!(excerpt("[t][1][info][main] a\n"), "[t][1][info][main] a");
        assert_eq!(last_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("", 5), "");
    }
}
