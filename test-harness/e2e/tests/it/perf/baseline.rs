//! A recorded baseline of the perf guards: a JSON file under `bench/`, checked
//! against what a test measured, or written anew when the test runs with its record
//! variable set (after a deliberate change, committed with the change).

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::fuel_regression::TestResult;

/// With `record_env` set, writes `measured` to `path` and returns `None`;
/// otherwise returns the baseline `path` holds, or an error that says how to
/// record one.
pub fn record_or_read(
    path: &Path,
    record_env: &str,
    measured: &Value,
) -> TestResult<Option<Value>> {
    if std::env::var_os(record_env).is_some() {
        let text = serde_json::to_string_pretty(measured)? + "\n";
        fs::write(path, text)?;
        println!("recorded {}", path.display());
        return Ok(None);
    }
    let text = fs::read_to_string(path).map_err(|e| {
        format!(
            "reading {}: {e}; record it with {record_env}=1",
            path.display()
        )
    })?;
    Ok(Some(serde_json::from_str(&text)?))
}
