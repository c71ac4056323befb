//! Running promtool: `promtool check rules` (the rule file parses, every expression
//! is valid PromQL, names and labels are well formed), `promtool test rules`
//! (unit tests: series in, recorded samples and firing alerts out) and
//! `promtool check config` (a Prometheus configuration, such as the global layer's
//! fragments). A failure is an error carrying what promtool printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::PrometheusBinaries;
use crate::error::{HarnessError, Result};

/// `promtool check rules <rule_file>`; its output on success.
pub fn check_rules(binaries: &PrometheusBinaries, rule_file: &Path) -> Result<String> {
    run(binaries, &["check", "rules"], &[rule_file.to_path_buf()])
}

/// `promtool check config <config>`; its output on success.
pub fn check_config(binaries: &PrometheusBinaries, config: &Path) -> Result<String> {
    run(binaries, &["check", "config"], &[config.to_path_buf()])
}

/// `promtool test rules <tests…>`; its output on success.
pub fn test_rules(binaries: &PrometheusBinaries, tests: &[PathBuf]) -> Result<String> {
    if tests.is_empty() {
        return Err(HarnessError::Prometheus {
            reason: "no promtool unit tests to run".to_owned(),
            output: String::new(),
        });
    }
    run(binaries, &["test", "rules"], tests)
}

fn run(binaries: &PrometheusBinaries, command: &[&str], files: &[PathBuf]) -> Result<String> {
    let shown = format!("promtool {}", command.join(" "));
    let output = Command::new(&binaries.promtool)
        .args(command)
        .args(files)
        .output()
        .map_err(|e| HarnessError::io(format!("running `{shown}`"), e))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        Ok(text)
    } else {
        Err(HarnessError::Prometheus {
            reason: format!("`{shown}` failed ({})", output.status),
            output: text,
        })
    }
}
